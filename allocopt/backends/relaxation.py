"""The LP relaxation of a program, as one service: every part of allocopt that needs it
(the reported `lp_bound`, the decomposition's split, the LP-rounding and LP-core
starts, shadow prices) asks here and gets the common `Result`.

Which solver answers is decided by what is asked for: with `duals=True`, the first
installed backend that has `Feature.DUALS` (HiGHS); otherwise GLOP's dual simplex
(`backends/glop.py`), one fixed LP solver that keeps `lp_bound` and the root gap
comparable across MILP backends. `prefer` names a backend to use instead when it is
installed (the decomposition keeps the HiGHS vertex its split was measured with).

The LP-rounding start's dive (`solving/starts/rounding.py`) re-solves one HiGHS model
under changed column bounds from its last basis, which a one-shot call cannot; its
first solve and its fallback go through here.
"""

from __future__ import annotations

import time
from dataclasses import replace

from allocopt.backends import REGISTRY, Feature, SolveOptions, get_backend
from allocopt.backends.glop import solve_relaxation
from allocopt.errors import Unsupported
from allocopt.model.program import Program
from allocopt.status import Result, Status

_GLOP_STATUS = {"OPTIMAL": Status.OPTIMAL, "INFEASIBLE": Status.INFEASIBLE,
                "UNBOUNDED": Status.UNBOUNDED}


def relax(program: Program, *, duals: bool = False, prefer: str | None = None,
          time_limit_s: float | None = None, threads: int | None = None,
          seed: int = 0) -> Result:
    """`program` with integrality dropped, solved: status, optimum (objective = bound),
    column values and, with `duals=True`, row duals (∂objective/∂rhs). Raises
    Unsupported when duals are asked and no installed backend gives them."""
    name = solver_for(duals, prefer)
    if name == "glop":
        return _glop(program, time_limit_s)
    options = SolveOptions(relax=True, time_limit_s=time_limit_s, seed=seed)
    if threads is not None:  # else SolveOptions' default: every core
        options = replace(options, threads=threads)
    return get_backend(name).solve(program, options)


def lp_bound(program: Program, time_limit_s: float | None = None) -> float | None:
    """The optimum of the LP relaxation (GLOP), the bound every summary reports, or None
    when it was not reached within `time_limit_s`."""
    return relax(program, time_limit_s=time_limit_s).objective


def solver_for(duals: bool, prefer: str | None = None) -> str:
    """The backend name (or "glop") that answers a relaxation asked this way."""
    if prefer is not None and REGISTRY[prefer].version() is not None and (
            not duals or Feature.DUALS in REGISTRY[prefer].features):
        return prefer
    if not duals:
        return "glop"
    for name, backend in REGISTRY.items():
        if Feature.DUALS in backend.features and backend.version() is not None:
            return name
    raise Unsupported(Feature.DUALS, "LP duals need a backend with duals (HiGHS: pip "
                                     "install highspy)")


def _glop(program: Program, time_limit_s: float | None) -> Result:
    started = time.perf_counter()
    answer = solve_relaxation(program, time_limit_s)
    status = _GLOP_STATUS.get(answer.status, Status.ERROR)
    if answer.status == "OPTIMAL" and answer.objective is None:
        status = Status.ERROR
    return Result(status, answer.objective, answer.objective, answer.values,
                  time.perf_counter() - started, "glop", message=answer.status)
