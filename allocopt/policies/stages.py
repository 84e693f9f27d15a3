"""Lexicographic optimisation: solve objectives one after another, each later one
kept from worsening the earlier ones by more than their tolerance.

Stage k optimises its objective; its value v_k then becomes a row (objective_k · x
≥ v_k − tolerance_k · |v_k|, or ≤ when minimising) for every later stage, and the
stage's allocation seeds the next solve as a hint. Every stage after the first can
therefore never be worse off than the allocation it starts from: when its solver
returns nothing (stopped before it found anything, or abandoned), that allocation is
its answer.

A policy's own columns (max-min levels, log chords) are set at their best for the
allocation the solver returned before anything is reported or hinted (`polish`): a
stage's objective is then its measure of the allocation itself (a max-min level is the
sum of the smallest satisfactions, never below 0), and a solver's answer above its own
proven bound is an error, not an answer.

Each stage stops at its own gap (`Stage.gap_scale` times the options'), and takes `weight`
of the weight still to come of the time left before the deadline (a stage that ends
early leaves its time to the later ones; one with no allocation to start from, at
least an equal share). Before solving, a stage whose starting
allocation is already within its gap of the LP relaxation's bound is not solved
(`skipped`). The last stage's answer is the policy's answer, optimal only when every
stage was proven within its gap.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from allocopt.backends import Feature, SolveOptions, get_backend
from allocopt.backends.base import settle
from allocopt.clock import share
from allocopt.errors import BackendError, NoRelaxation, SolverAbandoned
from allocopt.model.program import Program
from allocopt.policies.extend import append_row, padded, with_objective
from allocopt.status import Result, Status, relative_gap

# Rows that carry an earlier stage's value give it this much room (relative, with an
# absolute floor) so that solver tolerances never make the next stage infeasible.
KEEP_SLACK = 1e-7
GRID = 1e6
# A stage's objective may pass its solver's bound by this much (relative, with an
# absolute floor): solver tolerances. Beyond it the answer is nonsense and raises.
BOUND_TOLERANCE = 1e-6

# The LP bound that may spare a stage its solve takes at most this share of its time.
SKIP_LP_SHARE = 0.25

# Column values in, the same with the policy's own columns at their best for the
# allocation they describe (see the module docstring).
Polish = Callable[[np.ndarray], np.ndarray]
# Which backend solves a stage: the stage and the program it is solved on.
Chooser = Callable[["Stage", Program], str]


@dataclass(frozen=True)
class Stage:
    """One objective: `vector` over the program's columns (shorter: zero-padded).
    `gap_scale`: the relative gap it stops at, as a multiple of the options';
    `weight`: its share of the time left against the weights of the stages still to
    come; `floor`: the least value its objective can take (a max-min level: 0), below
    which an answer is an error; `kind`: what shape of problem it is, for `auto`'s
    choice of backend per stage ("value": a weighted value, "level": a max-min level,
    "cost": a cost, "log": the proportional objective)."""

    name: str
    vector: np.ndarray
    maximize: bool = True
    tolerance: float = 0.0
    gap_scale: float = 1.0
    weight: float = 1.0
    floor: float | None = None
    kind: str = "value"


@dataclass(frozen=True)
class StageOutcome:
    name: str
    maximize: bool
    status: Status
    objective: float | None
    bound: float | None
    wall_s: float
    backend: str = ""
    gap_asked: float | None = None
    note: str = ""

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)

    @property
    def as_dict(self) -> dict:
        out = {"name": self.name, "sense": "max" if self.maximize else "min",
               "status": self.status.value, "objective": self.objective,
               "bound": self.bound, "gap": self.gap, "gap_asked": self.gap_asked,
               "backend": self.backend, "wall_s": round(self.wall_s, 3)}
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class StagedResult:
    result: Result
    program: Program
    stages: list[StageOutcome]


def keep_row(stage: Stage, program: Program, value: float, widen: float = 1.0) -> Program:
    """The row that holds a solved stage's objective near `value` (`widen` multiplies
    the room solver tolerances get). The limit is rounded outwards to a multiple of
    1e-6, so that backends that scale rows to integers (CP-SAT: six decimals) take it
    as it is."""
    slack = max(stage.tolerance * abs(value), widen * KEEP_SLACK * max(1.0, abs(value)))
    vector = padded(stage.vector, program)
    if stage.maximize:
        limit = math.floor((value - slack) * GRID) / GRID
        return append_row(program, vector, limit, np.inf, ("keep", stage.name))
    limit = math.ceil((value + slack) * GRID) / GRID
    return append_row(program, vector, -np.inf, limit, ("keep", stage.name))


# A later stage cannot be infeasible: the earlier stage's allocation meets every row
# that keeps it. When a solver says so anyway (HiGHS's presolve has, on a row kept
# within 1e-6 of its optimum), the keep rows get this much more room, in turn.
WIDEN = (10.0, 100.0)


def solve_stages(program: Program, stages: list[Stage], backend: str | Chooser,
                 options: SolveOptions, polish: Polish | None = None) -> StagedResult:
    """Optimise `stages` in order on `program`; stops early at a stage without an
    allocation (its status is the answer's) or when `options.stop` is set. `backend`
    names one backend for every stage, or chooses one per stage."""
    choose = backend if callable(backend) else (lambda _stage, _program: backend)
    outcomes: list[StageOutcome] = []
    result: Result | None = None
    hint = None if options.hint is None else _polished(polish, options.hint)
    base = program
    kept: list[tuple[Stage, float]] = []
    for k, stage in enumerate(stages):
        staged = with_objective(program, padded(stage.vector, program), stage.maximize)
        name = choose(stage, staged)
        solver = get_backend(name)
        # This stage's share of the time left; its retries below stay within it.
        # A stage with no allocation to start from takes at least an equal share: it
        # has nothing to fall back on.
        left = sum(s.weight for s in stages[k:])
        weight = stage.weight if hint is not None else max(stage.weight,
                                                           left / (len(stages) - k))
        stage_options = share(replace(options, gap=options.gap * stage.gap_scale,
                                      hint=hint if Feature.HINTS in solver.features else None),
                              weight, left)
        started = time.perf_counter()
        result = _skip(staged, hint, stage_options, name, started)
        if result is not None:
            result, _ = _measured(result, stage, staged, hint, polish, stage_options)
            note = "not solved: its start is within its gap of the LP bound"
        else:
            result = _solve_one(solver, staged, stage_options, name, started)
            for widen in WIDEN if kept else ():
                if result.status is not Status.INFEASIBLE:
                    break
                program = base
                for earlier, value in kept:
                    program = keep_row(earlier, program, value, widen)
                staged = with_objective(program, padded(stage.vector, program), stage.maximize)
                result = _solve_one(solver, staged, stage_options, name, started)
                result = replace(result, wall_s=time.perf_counter() - started,
                                 message=(f"earlier stages kept within {widen:g} x "
                                          f"{KEEP_SLACK:g} (the solver found the tighter "
                                          "rows infeasible)"))
            result, note = _measured(result, stage, staged, hint, polish, stage_options)
        outcomes.append(StageOutcome(stage.name, stage.maximize, result.status, result.objective,
                                     result.bound, result.wall_s, name, stage_options.gap,
                                     note))
        last = k == len(stages) - 1
        stopped = options.stop is not None and options.stop.is_set()
        if not result.status.has_solution or last or stopped:
            if stopped and not last:
                result = replace(result, interrupted=True,
                                 message=f"stopped after stage {stage.name!r}")
            program = staged
            break
        program = keep_row(stage, program, float(result.objective))
        kept.append((stage, float(result.objective)))
        hint = result.values
    assert result is not None
    result = replace(result, wall_s=sum(o.wall_s for o in outcomes))
    return StagedResult(_honest(result, outcomes), program, outcomes)


def _polished(polish: Polish | None, values: np.ndarray) -> np.ndarray:
    return values if polish is None else polish(np.asarray(values, dtype=float))


def _skip(staged: Program, hint: np.ndarray | None, options: SolveOptions, backend: str,
          started: float) -> Result | None:
    """The stage's answer without a MILP solve, when its starting allocation is already
    within the stage's gap of the LP relaxation's bound (None otherwise)."""
    from allocopt.backends.relaxation import lp_bound

    if hint is None or len(hint) != len(staged.columns):
        return None
    value = float(staged.columns.objective @ hint)
    limit = options.limit_s()
    try:
        bound = lp_bound(staged, None if limit is None else SKIP_LP_SHARE * limit)
    except NoRelaxation:
        return None
    if bound is None:
        return None
    trial = Result(Status.FEASIBLE, value, bound, hint, time.perf_counter() - started, backend)
    if trial.gap is None or trial.gap > options.gap:
        return None
    return trial


def _measured(result: Result, stage: Stage, staged: Program, hint: np.ndarray | None,
              polish: Polish | None, options: SolveOptions) -> tuple[Result, str]:
    """The stage's answer in its own measure: the policy's columns polished, the
    objective that of the allocation, the starting allocation when the solver returned
    none (every keep row holds for it), the status settled again on that objective.
    Raises BackendError when the objective is below the stage's floor or past its bound."""
    note = ""
    if not result.status.has_solution and hint is not None and result.status in (
            Status.NO_SOLUTION_FOUND, Status.ERROR):
        note = f"the solver returned no allocation ({result.status.value}); its start kept"
        result = replace(result, status=Status.FEASIBLE, values=hint, objective=None,
                         interrupted=options.stop is not None and options.stop.is_set())
    if not result.status.has_solution or result.values is None:
        return result, note
    values = _polished(polish, result.values)
    objective = float(staged.columns.objective @ values)
    bound = result.bound
    room = BOUND_TOLERANCE * max(1.0, abs(objective))
    sign = 1.0 if stage.maximize else -1.0
    if bound is not None and sign * (objective - bound) > room:
        raise BackendError(f"stage {stage.name!r}: objective {objective:.9g} is past its "
                           f"proven bound {bound:.9g} ({result.backend})")
    if stage.floor is not None and sign * (objective - stage.floor) < -room:
        raise BackendError(f"stage {stage.name!r}: objective {objective:.9g} is below "
                           f"the least it can be, {stage.floor:g} ({result.backend})")
    if bound is not None and sign * (objective - bound) > 0:
        bound = objective
    # A solver's proven optimum stays proven when the polished objective differs from
    # its own by tolerances only (its columns may lean on a row's feasibility tolerance).
    proven = result.status is Status.OPTIMAL and (
        result.objective is None or sign * (objective - result.objective) >= -room)
    out = settle(replace(result, status=Status.FEASIBLE, values=values, objective=objective,
                         bound=bound), replace(options, abs_gap=None))
    return (replace(out, status=Status.OPTIMAL) if proven else out), note


def _honest(result: Result, outcomes: list[StageOutcome]) -> Result:
    """The last stage is optimal only given the values the earlier ones reached: when
    one of those stopped short of its gap, so is the policy's answer."""
    short = [o for o in outcomes[:-1] if o.status is Status.FEASIBLE]
    if result.status is not Status.OPTIMAL or not short:
        return result
    said = ", ".join(f"{o.name!r} at gap {o.gap:.3g}" if o.gap is not None else repr(o.name)
                     for o in short)
    return replace(result, status=Status.FEASIBLE,
                   message=f"{result.message} (earlier stages stopped short: {said})".strip())


def _solve_one(solver, staged: Program, options: SolveOptions, backend: str,
               started: float) -> Result:
    try:
        return solver.solve(staged, options)
    except SolverAbandoned as exc:
        return Result(Status.NO_SOLUTION_FOUND, None, None, None,
                      time.perf_counter() - started, backend, interrupted=True,
                      message=str(exc))
