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
    choose,
    get_backend,
)
from allocopt.backends.glop import lp_relaxation_bound
from allocopt.clock import Stopwatch, with_deadline
from allocopt.errors import BackendError, NoRelaxation, SolverAbandoned, VerificationError
from allocopt.instance import Instance
from allocopt.instance.schema import Objective
from allocopt.model import Program, build_program
from allocopt.model.decode import decode
from allocopt.numerics import coefficient_warnings
from allocopt.policies import CONTINUOUS_POLICIES, parameters, solve_staged_policy
from allocopt.solution import Solution
from allocopt.status import Result, Status, relative_gap
from allocopt.warmstart import hint_from_solution


def solve(instance: Instance, backend: str = DEFAULT_BACKEND,
          options: SolveOptions | None = None, check: bool = True,
          warm_start: Solution | None = None, lp_bound: bool = True,
          start: str | None = "auto") -> Solution:
    """Build the model of `instance`, solve it, decode and verify the allocation.

    `backend="auto"` and `start="auto"` choose by the model's shape (see
    `allocopt.backends.choose`). `warm_start` seeds the solver with an earlier
    allocation; `start="lp"` with the LP-rounding allocation of `allocopt.rounding`,
    `start="core"` with that of `allocopt.core` (weighted policy; see `_seeded_start`);
    `lp_bound` also solves the LP relaxation (GLOP) to report the root gap.
    `options.time_limit_s` bounds the whole call, every stage included (and
    `options.deadline`, when set, too): `figures["time"]` says what each stage took.
    Raises VerificationError if the solver's allocation breaks any rule.
    """
    options = options or SolveOptions()
    if start not in (None, "auto", "lp", "core"):
        raise ValueError(f"unknown start {start!r}; use 'auto', 'lp' or 'core'")
    limit_s = options.time_limit_s
    options = with_deadline(options, time.monotonic())
    watch = Stopwatch()
    policy = instance.spec.policy.objective
    started = time.perf_counter()
    with watch.stage("build"):
        program = build_program(instance)
    build_s = time.perf_counter() - started
    if warm_start is not None:
        options = replace(options, hint=hint_from_solution(instance, program, warm_start))
    columns = len(program.columns)
    integer = bool(program.columns.integer.all()) and policy not in CONTINUOUS_POLICIES
    weighted = policy is Objective.WEIGHTED
    choice = choose(backend, start if warm_start is None else None, columns, integer,
                    weighted)
    asked, backend = backend, choice.backend
    if (asked == "auto" and options.memory_limit_mb is not None
            and Feature.MEMORY_LIMIT not in REGISTRY[backend].features):
        backend = "scip"  # the one that limits its memory on every model
    figures: dict = {}
    if choice.start is not None and weighted and columns:
        with watch.stage(f"start ({choice.start})"):
            figures["start"], hint = _seeded_start(choice.start, instance, program, options)
        if hint is not None:
            options = replace(options, hint=hint)
    solver = get_backend(backend)
    if options.memory_limit_mb is not None and Feature.MEMORY_LIMIT not in solver.features:
        capable = [n for n, b in REGISTRY.items() if Feature.MEMORY_LIMIT in b.features]
        raise BackendError(f"{backend} cannot limit its memory; use {' or '.join(capable)}")
    if policy is Objective.ROBUST:
        if warm_start is not None:
            raise BackendError("a warm start is one allocation; the robust policy has one "
                               "per scenario (solve without --warm-start)")
        from allocopt.policies.robust import solve_robust

        with watch.stage("solve: robust (every scenario, verified)"):
            solution = solve_robust(instance, solve, backend=backend, options=options,
                                    check=check)
        solution.figures["time"] = _time_figures(limit_s, watch, solution)
        return solution
    relaxation = None
    if lp_bound and columns and weighted:
        with watch.stage("lp bound"):
            relaxation = lp_relaxation_bound(program, _lp_limit_s(options))
    solution, solved = _solve_policy(instance, program, backend, options, started, watch,
                                     auto=asked == "auto")
    solution.build_s = build_s
    solution.warnings = coefficient_warnings(program)
    solution.figures.update(figures)
    if (weighted and relaxation is not None and solution.status.has_solution
            and solution.bound is None):
        # Stopped before the solver proved a bound: the LP relaxation's is one.
        solution.bound = relaxation
        solution.gap = relative_gap(solution.objective, relaxation)
    if lp_bound and not solution.interrupted:
        if columns and not weighted:  # the bound of the last stage's own program
            with watch.stage("lp bound"):
                relaxation = lp_relaxation_bound(solved, _lp_limit_s(options, 1.0))
        solution.lp_bound = relaxation if columns else 0.0
    if check and solution.status.has_solution:
        with watch.stage("verify"):
            violations = solution.verify(instance)
        if violations:
            raise VerificationError("\n".join(str(v) for v in violations))
    solution.figures["time"] = _time_figures(limit_s, watch, solution)
    return solution


def run_policy(instance: Instance, policy: str | None = None, *,
               backend: str = DEFAULT_BACKEND, options: SolveOptions | None = None,
               warm_start: Solution | None = None, start: str | None = "auto",
               decompose: int | None = None) -> Solution:
    """Run a policy on `instance`: its own (`policy=None`) or another objective with the
    file's settings (`Instance.with_objective`, InstanceError when the file cannot
    serve it); over the whole model (`solve`), or, with `decompose=K`, as K parts and a
    repair (`allocopt.decompose.solve_decomposed`, the weighted policy only, with no
    warm start or seeded start)."""
    if policy is not None:
        instance = instance.with_objective(policy)
    if decompose is None:
        return solve(instance, backend=backend, options=options, warm_start=warm_start,
                     start=start)
    from allocopt.decompose import solve_decomposed

    return solve_decomposed(instance, decompose, backend=backend, options=options)


def _solve_policy(instance: Instance, program: Program, backend: str,
                  options: SolveOptions, started: float, watch: Stopwatch,
                  auto: bool) -> tuple[Solution, Program]:
    """The solver's answer under the instance's (non-robust) policy, decoded, and the
    program it solved last (a staged policy's has its own rows and objective)."""
    policy = instance.spec.policy.objective
    report: dict = {}
    solve_started = time.perf_counter()
    try:
        if len(program.columns) == 0:
            result = _solve_empty(program, backend, time.perf_counter() - started)
        elif policy is Objective.WEIGHTED:
            try:
                result = get_backend(backend).solve(program, options)
            except BackendError:
                if not auto or backend != "cpsat":
                    raise
                # CP-SAT refuses coefficients it cannot scale exactly: SCIP takes them.
                backend = "scip"
                result = get_backend(backend).solve(program, options)
        else:
            staged, report = solve_staged_policy(instance, program, backend, options)
            result, program = staged.result, staged.program
    except SolverAbandoned as exc:
        result = Result(Status.NO_SOLUTION_FOUND, None, None, None,
                        time.perf_counter() - started, backend, interrupted=True,
                        message=str(exc))
    stages = report.get("stages")
    if stages:
        for stage in stages:
            watch.add(f"solve: {stage['name']}", stage["wall_s"])
    else:
        watch.add("solve", time.perf_counter() - solve_started)
    solution = decode(instance, program, result)
    solution.policy = {"name": policy.value, "parameters": parameters(instance), **report}
    return solution, program


# The LP bound may take this share of what is left of a time limit.
LP_BOUND_SHARE = 0.2


def _lp_limit_s(options: SolveOptions, at_least_s: float = 0.05) -> float | None:
    left = options.remaining_s()
    return None if left is None else max(at_least_s, LP_BOUND_SHARE * left)


def _time_figures(limit_s: float | None, watch: Stopwatch, solution: Solution) -> dict:
    """summary.json's `time`: the limit asked for and what each stage spent of it."""
    return {"limit_s": limit_s, "stages": watch.as_list(),
            **solution.figures.get("time", {})}


def _seeded_start(start: str, instance: Instance, program: Program,
                  options: SolveOptions) -> tuple[dict, np.ndarray | None]:
    """What a starting allocation was worth (for summary.json) and its column values
    when it passed verify. 'lp': `allocopt.rounding`; 'core': `allocopt.core`, within
    10 s or a third of the time limit, to half the solve's gap."""
    if start == "lp":
        from allocopt.rounding import round_lp

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

    left = options.limit_s()
    budget = 10.0 if left is None else min(10.0, left / 3)
    core = core_start(instance, program, time_limit_s=budget, gap=options.gap / 2,
                      threads=options.threads, seed=options.seed, stop=options.stop)
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
