"""The LP relaxation of a program, as one service: every part of allocopt that needs it
(the reported `lp_bound`, the decomposition's split, the LP-rounding and LP-core
starts, shadow prices) asks here and gets the common `Result`; nothing outside
`backends/` drives an LP solver itself.

Which solver answers is decided by what is asked for: with `duals=True`, the first
installed backend that has `Feature.DUALS` (HiGHS); otherwise GLOP's dual simplex
(`backends/glop.py`), one fixed LP solver that keeps `lp_bound` and the root gap
comparable across MILP backends. `prefer` names a backend to use instead when it is
installed (the decomposition keeps the HiGHS vertex its split was measured with).

`RepeatedRelaxation` serves the LP-rounding start's dive (`solving/starts/rounding.py`),
which solves the same LP again under changed column bounds: it keeps one HiGHS model
between solves, each from the last basis.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from allocopt.backends import REGISTRY, Feature, SolveOptions, get_backend
from allocopt.backends.glop import solve_relaxation
from allocopt.backends.highs import use_threads
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
    return Result(status, answer.objective, answer.objective, answer.values,
                  time.perf_counter() - started, "glop", message=answer.status)


class RepeatedRelaxation:
    """The LP relaxation solved again and again under changed column bounds (the
    LP-rounding start's dive): one HiGHS model kept between solves, each re-solve from
    the last basis, with duals; without HiGHS, `relax` each time."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.highs = None
        if REGISTRY["highs"].version() is None:
            return
        import highspy

        cols = program.columns
        a, lower, upper = program.matrix()
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.passModel(len(cols), a.shape[0], a.nnz, 2, -1 if program.maximize else 1, 0.0,
                    cols.objective.astype(np.float64), cols.lower.astype(np.float64),
                    cols.upper.astype(np.float64), lower.astype(np.float64),
                    upper.astype(np.float64), a.indptr.astype(np.int32),
                    a.indices.astype(np.int32), a.data.astype(np.float64),
                    np.zeros(len(cols), np.int32))  # 2: row-wise; -1: maximise
        self.highs, self.optimal = h, highspy.HighsModelStatus.kOptimal

    def solve(self, lower: np.ndarray | None = None, upper: np.ndarray | None = None) -> Result:
        started = time.perf_counter()
        cols = self.program.columns
        if self.highs is None:
            if lower is not None:
                program = replace(self.program, columns=replace(cols, lower=lower, upper=upper))
            else:
                program = self.program
            return relax(program)
        h = self.highs
        if lower is not None:
            h.changeColsBounds(len(cols), np.arange(len(cols), dtype=np.int32),
                               lower.astype(np.float64), upper.astype(np.float64))
        use_threads(1)
        h.run()
        if h.getModelStatus() != self.optimal:
            return Result(Status.ERROR, None, None, None, time.perf_counter() - started,
                          "highs", message=h.modelStatusToString(h.getModelStatus()))
        solution = h.getSolution()
        objective = float(h.getInfo().objective_function_value)
        return Result(Status.OPTIMAL, objective, objective,
                      np.asarray(solution.col_value, dtype=float), time.perf_counter() - started,
                      "highs", row_duals=np.asarray(solution.row_dual, dtype=float)
                      if solution.dual_valid else None)
