"""Instance -> Program -> Backend -> Solution, verified: the one way through."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from allocopt.backends import (
    DEFAULT_BACKEND,
    REGISTRY,
    Feature,
    SolveOptions,
    choose,
    get_backend,
)
from allocopt.backends.base import settle
from allocopt.backends.relaxation import lp_bound
from allocopt.clock import Stopwatch, with_deadline
from allocopt.errors import (
    BackendError,
    NoRelaxation,
    SolverAbandoned,
    Unsupported,
    VerificationError,
)
from allocopt.instance import Instance
from allocopt.instance.schema import Objective
from allocopt.model import Program, build_program
from allocopt.model.decode import decode
from allocopt.numerics import coefficient_warnings
from allocopt.policies import CONTINUOUS_POLICIES, parameters, solve_staged_policy
from allocopt.solution import Solution
from allocopt.solving.starts.warmstart import hint_from_solution
from allocopt.status import Result, Status, relative_gap


def solve(instance: Instance, backend: str = DEFAULT_BACKEND,
          options: SolveOptions | None = None, check: bool = True,
          warm_start: Solution | None = None, lp_bound: bool = True,
          start: str | None = "auto") -> Solution:
    """Build the model of `instance`, solve it, decode and verify the allocation.

    `backend="auto"` and `start="auto"` choose by the model's shape (see
    `allocopt.backends.choose`). `warm_start` seeds the solver with an earlier
    allocation; `start="lp"` with the LP-rounding allocation of
    `allocopt.solving.starts.rounding`, `start="core"` with that of
    `allocopt.solving.starts.core` (weighted policy; see `_seeded_start`);
    `lp_bound` also solves the LP relaxation (GLOP) to report the root gap.
    `options.time_limit_s` bounds the whole call, every stage included (and
    `options.deadline`, when set, too): `figures["time"]` says what each stage took.
    The policy runs through its runner in `RUNNERS`.
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
    choice = choose(backend, start if warm_start is None else None, columns, integer,
                    policy is Objective.WEIGHTED)
    chosen = choice.backend
    if (backend == "auto" and options.memory_limit_mb is not None
            and Feature.MEMORY_LIMIT not in REGISTRY[chosen].features):
        chosen = "scip"  # the one that limits its memory on every model
    get_backend(chosen).require(program, options)  # before any start is spent on it
    run = _Run(instance, program, chosen, options, choice.start, check, warm_start,
               lp_bound, backend == "auto", started, build_s, watch)
    solution = RUNNERS[policy](run)
    solution.figures["time"] = _time_figures(limit_s, watch, solution)
    return solution


@dataclass
class _Run:
    """One call of `solve` after the build and the backend's choice: what a policy's
    runner needs. `backend` and `options` change as the run goes (a seeded start's hint,
    CP-SAT's fallback to SCIP)."""

    instance: Instance
    program: Program
    backend: str
    options: SolveOptions
    start: str | None  # the seeded start chosen (weighted policy only)
    check: bool
    warm_start: Solution | None
    lp_bound: bool
    auto: bool  # the caller asked for backend="auto"
    started: float  # perf_counter before the build
    build_s: float
    watch: Stopwatch
    figures: dict = field(default_factory=dict)
    # A seeded start already proven within the gaps (the core start's strengthened LP
    # bound): the answer, no solver run. Otherwise its reduced-cost fixing, if any:
    # the program the solver gets (the same columns, tighter bounds) and the bound the
    # start proved, which caps the solver's.
    proven: Result | None = None
    fixed: Program | None = None
    bound_cap: float | None = None


def _run_weighted(run: _Run) -> Solution:
    """The weighted policy: one program, optionally seeded (LP rounding or LP core), its
    LP relaxation solved first so that a solve stopped without a bound still has one."""
    columns = len(run.program.columns)
    if run.start is not None and columns:
        with run.watch.stage(f"start ({run.start})"):
            run.figures["start"], hint = _seeded_start(run, run.start)
        if hint is not None:
            run.options = replace(run.options, hint=hint)
    relaxation = None
    if run.lp_bound and columns:
        with run.watch.stage("lp bound"):
            relaxation = lp_bound(run.program, _lp_limit_s(run.options))
    solution, _ = _solve_policy(run, _weighted_result)
    if relaxation is not None and solution.status.has_solution and solution.bound is None:
        # Stopped before the solver proved a bound: the LP relaxation's is one.
        solution.bound = relaxation
        solution.gap = relative_gap(solution.objective, relaxation)
    if run.lp_bound and not solution.interrupted:
        solution.lp_bound = relaxation if columns else 0.0
    return _verified(run, solution)


def _run_staged(run: _Run) -> Solution:
    """A policy solved as stages (`policies/stages.py`); its LP bound is that of the last
    stage's own program, solved after it."""
    solution, solved = _solve_policy(run, _staged_result)
    if run.lp_bound and not solution.interrupted:
        solution.lp_bound = 0.0  # nothing can be allocated
        if len(run.program.columns):
            with run.watch.stage("lp bound"):
                solution.lp_bound = lp_bound(solved, _lp_limit_s(run.options, 1.0))
    return _verified(run, solution)


def _run_robust(run: _Run) -> Solution:
    """The robust policy over supply scenarios (`policies/robust.py`), handed this
    module's `solve` for each scenario; every scenario's allocation is verified there."""
    if run.warm_start is not None:
        raise BackendError("a warm start is one allocation; the robust policy has one "
                           "per scenario (solve without --warm-start)")
    from allocopt.policies.robust import solve_robust

    with run.watch.stage("solve: robust (every scenario, verified)"):
        return solve_robust(run.instance, solve, backend=run.backend, options=run.options,
                            check=run.check)


# How each policy is run: the one place `solve` branches on the objective.
RUNNERS: dict[Objective, Callable[[_Run], Solution]] = {
    Objective.WEIGHTED: _run_weighted,
    Objective.MAXMIN: _run_staged,
    Objective.PROPORTIONAL: _run_staged,
    Objective.LEXICOGRAPHIC: _run_staged,
    Objective.LEAST_COST: _run_staged,
    Objective.ROBUST: _run_robust,
}


def run_policy(instance: Instance, policy: str | None = None, *,
               backend: str = DEFAULT_BACKEND, options: SolveOptions | None = None,
               warm_start: Solution | None = None, start: str | None = "auto",
               decompose: int | None = None) -> Solution:
    """Run a policy on `instance`: its own (`policy=None`) or another objective with the
    file's settings (`Instance.with_objective`, InstanceError when the file cannot
    serve it); over the whole model (`solve`), or, with `decompose=K`, as K parts and a
    repair (`allocopt.solving.decompose.decompose.solve_decomposed`, the weighted
    policy only, with no warm start or seeded start)."""
    if policy is not None:
        instance = instance.with_objective(policy)
    if decompose is None:
        return solve(instance, backend=backend, options=options, warm_start=warm_start,
                     start=start)
    from allocopt.solving.decompose.decompose import solve_decomposed

    return solve_decomposed(instance, decompose, backend=backend, options=options)


def _weighted_result(run: _Run) -> tuple[Result, Program, dict]:
    """The weighted program solved by the chosen backend: as it is, or with the columns
    a seeded start's reduced-cost fixing fixed (`allocopt.solving.fixing`: the same
    optimum, and a bound that holds for the whole program), or not at all when the
    start is already proven within the gaps."""
    if run.proven is not None:
        return settle(run.proven, run.options), run.program, {}
    program = run.fixed if run.fixed is not None else run.program
    try:
        result = get_backend(run.backend).solve(program, run.options)
    except Unsupported as refusal:
        if not run.auto or refusal.feature != Feature.FRACTIONAL_COEFFICIENTS:
            raise
        # CP-SAT refuses coefficients it cannot scale exactly: SCIP takes them.
        run.backend = "scip"
        result = get_backend(run.backend).solve(program, run.options)
    return _capped(result, run), run.program, {}


def _capped(result: Result, run: _Run) -> Result:
    """A solve of the fixed program, its bound stated for the whole program: at least the
    start's value (module docstring of `allocopt.solving.fixing`) and at most the
    start's own proven bound; the status settled again against the gaps."""
    if run.bound_cap is None or result.bound is None or not result.status.has_solution:
        return result
    start = run.figures["start"]["objective"]
    bound = min(max(result.bound, start), run.bound_cap)
    return settle(replace(result, bound=bound), run.options)


def _staged_result(run: _Run) -> tuple[Result, Program, dict]:
    """The policy's stages, each a program and a measure; the last stage's program."""
    staged, report = solve_staged_policy(run.instance, run.program, run.backend, run.options,
                                         auto=run.auto)
    return staged.result, staged.program, report


def _solve_policy(run: _Run, result_of: Callable[[_Run], tuple[Result, Program, dict]]
                  ) -> tuple[Solution, Program]:
    """The solver's answer under the instance's (non-robust) policy, decoded, and the
    program it solved last (a staged policy's has its own rows and objective)."""
    policy = run.instance.spec.policy.objective
    program = run.program
    report: dict = {}
    solve_started = time.perf_counter()
    try:
        if len(program.columns) == 0:
            result = _solve_empty(program, run.backend, time.perf_counter() - run.started)
        else:
            result, program, report = result_of(run)
    except SolverAbandoned as exc:
        result = Result(Status.NO_SOLUTION_FOUND, None, None, None,
                        time.perf_counter() - run.started, run.backend, interrupted=True,
                        message=str(exc))
    stages = report.get("stages")
    if stages:
        for stage in stages:
            run.watch.add(f"solve: {stage['name']}", stage["wall_s"])
    else:
        run.watch.add("solve", time.perf_counter() - solve_started)
    solution = decode(run.instance, program, result)
    solution.policy = {"name": policy.value, "parameters": parameters(run.instance), **report}
    solution.build_s = run.build_s
    solution.warnings = coefficient_warnings(run.program)
    solution.figures.update(run.figures)
    return solution, program


def _verified(run: _Run, solution: Solution) -> Solution:
    """`solution`, once verify finds no broken rule (VerificationError otherwise)."""
    if run.check and solution.status.has_solution:
        with run.watch.stage("verify"):
            violations = solution.verify(run.instance)
        if violations:
            raise VerificationError("\n".join(str(v) for v in violations))
    return solution


# The LP bound may take this share of what is left of a time limit.
LP_BOUND_SHARE = 0.2


def _lp_limit_s(options: SolveOptions, at_least_s: float = 0.05) -> float | None:
    left = options.remaining_s()
    return None if left is None else max(at_least_s, LP_BOUND_SHARE * left)


def _time_figures(limit_s: float | None, watch: Stopwatch, solution: Solution) -> dict:
    """summary.json's `time`: the limit asked for and what each stage spent of it."""
    return {"limit_s": limit_s, "stages": watch.as_list(),
            **solution.figures.get("time", {})}


def _seeded_start(run: _Run, start: str) -> tuple[dict, np.ndarray | None]:
    """What a starting allocation was worth (for summary.json) and its column values
    when it passed verify. 'lp': `allocopt.solving.starts.rounding`; 'core':
    `_core_start`."""
    if start == "lp":
        from allocopt.solving.starts.rounding import round_lp

        try:
            rounded = round_lp(run.instance, run.program)
        except NoRelaxation as exc:  # an infeasible instance: the solve says why
            return {"method": "lp-rounding", "used": False, "reason": str(exc)}, None
        used = not rounded.violations
        return ({"method": "lp-rounding", "objective": rounded.objective,
                 "lp_objective": rounded.lp_objective,
                 "seconds": round(rounded.lp_s + rounded.rounding_s, 3), "used": used},
                rounded.values if used else None)
    return _core_start(run)


def _core_start(run: _Run) -> tuple[dict, np.ndarray | None]:
    """`allocopt.solving.starts.core`, within 10 s or a third of the time limit, to half
    the solve's gap, stopping at an allocation its strengthened LP bound proves within
    the gap. Proven: `run.proven` is the answer. Otherwise the solver gets the program
    with the columns reduced-cost fixing fixes against the start (`run.fixed`)."""
    from allocopt.solving.fixing import reduced_cost_fixing
    from allocopt.solving.starts.core import core_start

    options = run.options
    left = options.limit_s()
    budget = 10.0 if left is None else min(10.0, left / 3)
    core = core_start(run.instance, run.program, time_limit_s=budget, gap=options.gap / 2,
                      threads=options.threads, seed=options.seed, stop=options.stop,
                      prove_gap=options.gap)
    figures = {"method": "lp-core", "objective": core.objective,
               "lp_objective": core.lp_objective,
               "bound": core.bound if core.bound is not None and np.isfinite(core.bound)
               else None,
               "seconds": round(core.lp_s + core.core_s, 3),
               "forced_projects": core.forced_projects, "free_columns": core.free_columns,
               "used": core.usable, "proven": core.proven(options.gap, options.abs_gap)}
    if not core.usable:
        return figures, None
    if figures["proven"]:
        # The chosen backend is named (summary.json's `backend`), though it had nothing
        # left to do: the start (HiGHS) found the allocation, its LP proved it.
        run.proven = Result(Status.OPTIMAL, core.objective, core.bound, core.values, 0.0,
                            run.backend,
                            message=f"the LP-core start (HiGHS), proven within the gap by the "
                                    f"strengthened LP bound; {run.backend} was not run")
        return figures, core.values
    if core.bound_duals is not None and np.isfinite(core.bound):
        run.bound_cap = core.bound
        fixing = reduced_cost_fixing(core.bound_program, core.bound_duals, core.objective)
        figures["fixed_columns"] = fixing.fixed
        if fixing.tightened:
            run.fixed = fixing.bounds_for(run.program)
    return figures, core.values


def _solve_empty(program: Program, backend: str, wall_s: float) -> Result:
    """No column can be non-zero (nothing can be allocated): the only allocation is
    the empty one, feasible exactly when every row admits zero. Solvers disagree on
    empty models (HiGHS calls it an error), so it is settled here."""
    _, lower, upper = program.matrix()
    if np.all(lower <= 0) and np.all(upper >= 0):
        return Result(Status.OPTIMAL, 0.0, 0.0, np.zeros(0), wall_s, backend)
    return Result(Status.INFEASIBLE, None, None, None, wall_s, backend)
