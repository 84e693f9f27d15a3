"""Lexicographic optimisation: solve objectives one after another, each later one
kept from worsening the earlier ones by more than their tolerance.

Stage k optimises its objective; its value v_k then becomes a row (objective_k · x
≥ v_k − tolerance_k · |v_k|, or ≤ when minimising) for every later stage, and the
stage's allocation seeds the next solve as a hint. Each stage gets the gap of the
options and an equal share of the time left before their deadline (a stage that ends
early leaves its time to the later ones); the last stage's answer is the policy's
answer, optimal only when every stage was.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from allocopt.backends import Feature, SolveOptions, get_backend
from allocopt.clock import share
from allocopt.errors import SolverAbandoned
from allocopt.model.program import Program
from allocopt.policies.extend import append_row, padded, with_objective
from allocopt.status import Result, Status, relative_gap

# Rows that carry an earlier stage's value give it this much room (relative, with an
# absolute floor) so that solver tolerances never make the next stage infeasible.
KEEP_SLACK = 1e-7
GRID = 1e6


@dataclass(frozen=True)
class Stage:
    """One objective: `vector` over the program's columns (shorter: zero-padded)."""

    name: str
    vector: np.ndarray
    maximize: bool = True
    tolerance: float = 0.0


@dataclass(frozen=True)
class StageOutcome:
    name: str
    maximize: bool
    status: Status
    objective: float | None
    bound: float | None
    wall_s: float

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)

    @property
    def as_dict(self) -> dict:
        return {"name": self.name, "sense": "max" if self.maximize else "min",
                "status": self.status.value, "objective": self.objective,
                "bound": self.bound, "gap": self.gap, "wall_s": round(self.wall_s, 3)}


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


def solve_stages(program: Program, stages: list[Stage], backend: str,
                 options: SolveOptions) -> StagedResult:
    """Optimise `stages` in order on `program`; stops early at a stage without an
    allocation (its status is the answer's) or when `options.stop` is set."""
    solver = get_backend(backend)
    outcomes: list[StageOutcome] = []
    result: Result | None = None
    hint = options.hint
    base = program
    kept: list[tuple[Stage, float]] = []
    for k, stage in enumerate(stages):
        staged = with_objective(program, padded(stage.vector, program), stage.maximize)
        # This stage's share of the time left; its retries below stay within it.
        stage_options = share(replace(options, hint=hint if Feature.HINTS in solver.features
                                      else None), 1, len(stages) - k)
        started = time.perf_counter()
        result = _solve_one(solver, staged, stage_options, backend, started)
        for widen in WIDEN if kept else ():
            if result.status is not Status.INFEASIBLE:
                break
            program = base
            for earlier, value in kept:
                program = keep_row(earlier, program, value, widen)
            staged = with_objective(program, padded(stage.vector, program), stage.maximize)
            result = _solve_one(solver, staged, stage_options, backend, started)
            result = replace(result, wall_s=time.perf_counter() - started,
                             message=(f"earlier stages kept within {widen:g} x "
                                      f"{KEEP_SLACK:g} (the solver found the tighter "
                                      "rows infeasible)"))
        outcomes.append(StageOutcome(stage.name, stage.maximize, result.status, result.objective,
                                     result.bound, result.wall_s))
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
