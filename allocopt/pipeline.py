"""Instance -> Program -> Backend -> Solution, verified: the one way through."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from allocopt.backends import (
    DEFAULT_BACKEND,
    REGISTRY,
    Feature,
    SolveOptions,
    choose_backend,
    get_backend,
)
from allocopt.backends.base import Result, SolverAbandoned, Status
from allocopt.backends.glop import lp_relaxation_bound
from allocopt.errors import BackendError
from allocopt.instance import Instance
from allocopt.instance.schema import Objective
from allocopt.model import Program, build_program
from allocopt.numerics import coefficient_warnings
from allocopt.policies import parameters, solve_staged_policy
from allocopt.solution import Solution, decode
from allocopt.warmstart import hint_from_solution


class VerificationError(RuntimeError):
    """A solver returned an allocation that breaks a rule: never reported as an answer."""


def solve(instance: Instance, backend: str = DEFAULT_BACKEND,
          options: SolveOptions | None = None, check: bool = True,
          warm_start: Solution | None = None, lp_bound: bool = True,
          start: str | None = None) -> Solution:
    """Build the model of `instance`, solve it, decode and verify the allocation.

    `warm_start` seeds the solver with an earlier allocation; `start="lp"` with the
    LP-rounding allocation of `allocopt.rounding`, `start="core"` with that of
    `allocopt.core` (weighted policy; see `_seeded_start`); `lp_bound` also solves the
    LP relaxation (GLOP) to report the root gap. Raises VerificationError if the
    solver's allocation breaks any rule.
    """
    options = options or SolveOptions()
    policy = instance.spec.policy.objective
    started = time.perf_counter()
    program = build_program(instance)
    build_s = time.perf_counter() - started
    if warm_start is not None:
        options = replace(options, hint=hint_from_solution(instance, program, warm_start))
    figures: dict = {}
    if start not in (None, "lp", "core"):
        raise ValueError(f"unknown start {start!r}; use 'lp' or 'core'")
    if start is not None and policy is Objective.WEIGHTED and len(program.columns):
        figures["start"], hint = _seeded_start(start, instance, program, options)
        if hint is not None:
            options = replace(options, hint=hint)
    asked = backend
    backend = choose_backend(backend, len(program.columns), bool(program.columns.integer.all()))
    solver = get_backend(backend)
    if options.memory_limit_mb is not None and Feature.MEMORY_LIMIT not in solver.features:
        capable = [n for n, b in REGISTRY.items() if Feature.MEMORY_LIMIT in b.features]
        raise BackendError(f"{backend} cannot limit its memory; use {' or '.join(capable)}")
    if policy is Objective.ROBUST:
        if warm_start is not None:
            raise BackendError("a warm start is one allocation; the robust policy has one "
                               "per scenario (solve without --warm-start)")
        from allocopt.policies.robust import solve_robust

        return solve_robust(instance, backend=backend, options=options, check=check)
    report: dict = {}
    try:
        if len(program.columns) == 0:
            result = _solve_empty(program, backend, time.perf_counter() - started)
        elif policy is Objective.WEIGHTED:
            try:
                result = solver.solve(program, options)
            except BackendError:
                if asked != "auto" or backend != "cpsat":
                    raise
                # CP-SAT refuses coefficients it cannot scale exactly: SCIP takes them.
                backend = DEFAULT_BACKEND
                result = get_backend(backend).solve(program, options)
        else:
            staged, report = solve_staged_policy(instance, program, backend, options)
            result, program = staged.result, staged.program
    except SolverAbandoned as exc:
        result = Result(Status.NO_SOLUTION_FOUND, None, None, None,
                        time.perf_counter() - started, backend, interrupted=True,
                        message=str(exc))
    solution = decode(instance, program, result)
    solution.build_s = build_s
    solution.warnings = coefficient_warnings(program)
    solution.policy = {"name": policy.value, "parameters": parameters(instance), **report}
    solution.figures.update(figures)
    if lp_bound and not solution.interrupted:
        solution.lp_bound = lp_relaxation_bound(program)
    if check and solution.status.has_solution:
        violations = solution.verify(instance)
        if violations:
            raise VerificationError("\n".join(str(v) for v in violations))
    return solution


def _seeded_start(start: str, instance: Instance, program: Program,
                  options: SolveOptions) -> tuple[dict, np.ndarray | None]:
    """What a starting allocation was worth (for summary.json) and its column values
    when it passed verify. 'lp': `allocopt.rounding`; 'core': `allocopt.core`, within
    10 s or a third of the time limit, to half the solve's gap."""
    if start == "lp":
        from allocopt.rounding import NoRelaxation, round_lp

        try:
            rounded = round_lp(instance, program)
        except NoRelaxation as exc:  # an infeasible instance: the solve says why
            return {"method": "lp-rounding", "used": False, "reason": str(exc)}, None
        used = not rounded.violations
        return ({"method": "lp-rounding", "objective": rounded.objective,
                 "lp_objective": rounded.lp_objective,
                 "seconds": round(rounded.lp_s + rounded.rounding_s, 3), "used": used},
                rounded.values if used else None)
    from allocopt.core import core_start

    budget = 10.0 if options.time_limit_s is None else min(10.0, options.time_limit_s / 3)
    core = core_start(instance, program, time_limit_s=budget, gap=options.gap / 2,
                      threads=options.threads, seed=options.seed)
    return ({"method": "lp-core", "objective": core.objective,
             "lp_objective": core.lp_objective, "seconds": round(core.lp_s + core.core_s, 3),
             "forced_projects": core.forced_projects, "free_columns": core.free_columns,
             "used": core.usable},
            core.values if core.usable else None)


def _solve_empty(program: Program, backend: str, wall_s: float) -> Result:
    """No column can be non-zero (nothing can be allocated): the only allocation is
    the empty one, feasible exactly when every row admits zero. Solvers disagree on
    empty models (HiGHS calls it an error), so it is settled here."""
    _, lower, upper = program.matrix()
    if np.all(lower <= 0) and np.all(upper >= 0):
        return Result(Status.OPTIMAL, 0.0, 0.0, np.zeros(0), wall_s, backend)
    return Result(Status.INFEASIBLE, None, None, None, wall_s, backend)
