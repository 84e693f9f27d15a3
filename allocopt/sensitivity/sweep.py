"""Parametric sweeps: re-solve over a grid of parameter values and find where the funded
set changes.

The grid is the product of each parameter's values, in row-major order (the last
parameter varies fastest). Points are solved in fixed chunks of CHUNK consecutive
points, each chunk warm-started from the base solution and then from its previous
point; chunks run in parallel. Between two neighbouring points (one parameter apart)
whose funded sets differ, bisection on that parameter narrows each change to an
interval [lower, upper] no wider than the tolerance, with the funded set of `lower`
on one side and of `upper` on the other. An interval whose two ends have the same
funded set is assumed to hold no change (two changes that undo each other inside one
step go unseen: use more steps).

Chunks and bisections are fixed by the grid alone, not by the number of workers, so
the results are the same on any executor.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from allocopt.instance import Instance
from allocopt.sensitivity.executor import LOCAL, Executor, Phases, Session, phase
from allocopt.sensitivity.params import Change
from allocopt.sensitivity.scenario import Context, Outcome, Settings, solve_changes, solve_instance
from allocopt.solution import Solution

CHUNK = 2
STEPS_PER_INTERVAL = 64  # default tolerance: 1/64 of a grid step


@dataclass(frozen=True)
class Axis:
    """One swept parameter: its path, values in order, and whether it takes whole numbers;
    `tol` is the breakpoint tolerance in the parameter's units."""

    path: str
    values: tuple[float, ...]
    integer: bool
    tol: float


@dataclass
class Point:
    index: int
    values: tuple[float, ...]
    outcome: Outcome


@dataclass
class Breakpoint:
    """The funded set changes between `lower` and `upper` of parameter `axis`, the other
    parameters held at `at` (the swept one's entry is its `lower`). `resolved` is False
    when the solve budget ran out before the interval was narrower than the tolerance."""

    axis: int
    at: tuple[float, ...]
    lower: float
    upper: float
    below: Outcome
    above: Outcome
    resolved: bool

    @property
    def gained(self) -> list[str]:
        before = set(self.below.funded)
        return [p for p in self.above.funded if p not in before]

    @property
    def lost(self) -> list[str]:
        after = set(self.above.funded)
        return [p for p in self.below.funded if p not in after]


@dataclass
class SweepResult:
    axes: list[Axis]
    points: list[Point]
    breakpoints: list[Breakpoint]
    base: Outcome


def _changes(axes: Sequence[Axis], values: Sequence[float]) -> list[Change]:
    return [Change(a.path, v) for a, v in zip(axes, values, strict=True)]


def _signature(outcome: Outcome) -> tuple:
    return (outcome.has_solution, outcome.funded)


def _solve_chunk(context: Context, chunk: list[list[Change]]) -> list[Outcome]:
    warm = context.base
    out = []
    for changes in chunk:
        outcome = solve_changes(context, changes, warm=warm, keep=True)
        warm = outcome.solution or warm
        out.append(outcome)
    return out


@dataclass(frozen=True)
class _Interval:
    axis: Axis
    others: tuple[Change, ...]
    lower: float
    upper: float
    below: Outcome
    above: Outcome


def _max_solves(axis: Axis, width: float) -> int:
    depth = math.ceil(math.log2(max(width / max(axis.tol, 1e-12), 1.0))) + 1
    return 4 * depth


def _bisect(context: Context, task: _Interval) -> list[tuple[float, float, Outcome, Outcome,
                                                              bool]]:
    """Every change of funded set inside the interval, narrowed to the tolerance."""
    axis = task.axis
    budget = [_max_solves(axis, task.upper - task.lower)]
    found: list[tuple[float, float, Outcome, Outcome, bool]] = []

    def narrow(lo: float, below: Outcome, hi: float, above: Outcome) -> None:
        if _signature(below) == _signature(above):
            return
        narrow_enough = hi - lo <= axis.tol or (axis.integer and hi - lo <= 1)
        if narrow_enough or budget[0] <= 0:
            found.append((lo, hi, below, above, narrow_enough))
            return
        mid = math.floor((lo + hi) / 2) if axis.integer else (lo + hi) / 2
        budget[0] -= 1
        middle = solve_changes(context, [*task.others, Change(axis.path, mid)],
                               warm=below.solution or context.base, keep=True)
        narrow(lo, below, mid, middle)
        narrow(mid, middle, hi, above)

    narrow(task.lower, task.below, task.upper, task.above)
    return [(lo, hi, replace(below, solution=None), replace(above, solution=None), ok)
            for lo, hi, below, above, ok in found]


def sweep(instance: Instance, axes: Sequence[Axis], settings: Settings,
          executor: Executor = LOCAL, progress: Phases | None = None,
          base: Solution | None = None, breakpoints: bool = True) -> SweepResult:
    """Solve every grid point (warm-started) and locate the breakpoints of the funded set.

    `base` is a solution of `instance` to warm-start from (solved here when None).
    """
    axes = list(axes)
    base_outcome = solve_instance(instance, settings, warm=base, keep=True)
    context = Context(instance=instance, settings=settings, base=base_outcome.solution)
    grid = list(itertools.product(*(a.values for a in axes)))
    chunks = [[_changes(axes, v) for v in grid[k:k + CHUNK]] for k in range(0, len(grid), CHUNK)]
    with Session(executor, context) as session:
        return _sweep(session, instance, axes, grid, chunks, base_outcome, progress,
                      breakpoints)


def _sweep(session: Session, instance: Instance, axes: list[Axis], grid: list[tuple],
           chunks: list, base_outcome: Outcome, progress: Phases | None,
           breakpoints: bool) -> SweepResult:
    solved = session.map(_solve_chunk, chunks,
                         phase(progress, f"{len(grid)} points", len(chunks)))
    outcomes = [o for chunk in solved for o in chunk]
    points = [Point(i, tuple(v), o) for i, (v, o) in enumerate(zip(grid, outcomes, strict=True))]

    intervals: list[tuple[int, tuple[float, ...], _Interval]] = []
    if breakpoints:
        sizes = [len(a.values) for a in axes]
        strides = [math.prod(sizes[k + 1:]) for k in range(len(axes))]
        for p in points:
            for k, axis in enumerate(axes):
                pos = (p.index // strides[k]) % sizes[k]
                if pos + 1 >= sizes[k]:
                    continue
                q = points[p.index + strides[k]]
                if _signature(p.outcome) == _signature(q.outcome):
                    continue
                others = tuple(Change(a.path, v) for j, (a, v) in enumerate(zip(
                    axes, p.values, strict=True)) if j != k)
                intervals.append((k, p.values, _Interval(axis, others, p.values[k],
                                                         q.values[k], p.outcome, q.outcome)))
    found = session.map(_bisect, [i for _, _, i in intervals],
                        phase(progress, f"{len(intervals)} breakpoint intervals",
                              len(intervals)))
    result = []
    for (k, at, _), pieces in zip(intervals, found, strict=True):
        for lo, hi, below, above, resolved in pieces:
            result.append(Breakpoint(axis=k, at=tuple(lo if j == k else v
                                                      for j, v in enumerate(at)),
                                     lower=lo, upper=hi, below=below, above=above,
                                     resolved=resolved))
    for p in points:
        p.outcome.solution = None
    base_outcome.solution = None
    return SweepResult(axes=axes, points=points, breakpoints=result, base=base_outcome)
