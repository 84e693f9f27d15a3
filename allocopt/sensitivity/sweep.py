"""Parametric sweeps: re-solve over a grid of parameter values and find, with proof,
where the funded set changes.

The grid is the product of each parameter's values, in row-major order (the last
parameter varies fastest). Then, in phases:

1. **Points.** Solved in fixed chunks of CHUNK consecutive points, each chunk
   warm-started from the base solution and then from its previous point; chunks run
   in parallel. Every row keeps its objective, its bound and its gap.
2. **Carrying** (allocopt.sensitivity.evidence): each point's verified allocation is
   tried at its neighbours, and a looser point's bound caps a tighter one's, until
   nothing changes: incumbents never fall as a parameter loosens.
3. **Proof.** Two neighbouring points (one parameter apart) whose funded sets differ
   show a breakpoint only when their [objective, bound] intervals do not overlap.
   Where they overlap, both points are re-solved with a ten times smaller gap and
   carried again; a pair still overlapping is reported as "within the gap", not as a
   breakpoint.
4. **Narrowing.** Bisection on the parameter narrows each proven change to an
   interval [lower, upper] no wider than the tolerance, solving the midpoints with
   the smaller gap, as long as the narrower interval is still proven; where it is
   not (or the time is up) the interval stays wider and is marked unresolved. An
   interval whose two ends have the same funded set is assumed to hold no change
   (two changes that undo each other inside one step go unseen: use more steps).

With a deadline (Settings.deadline), each phase takes its share of the time left and
a solve never outlives it; a point left with no time has status `not_run`.

Chunks and bisections are fixed by the grid alone, not by the number of workers, so
the results are the same on any executor (when every solve ends within its limit).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from allocopt.errors import Interrupted, ParameterError
from allocopt.instance import Instance
from allocopt.sensitivity import evidence
from allocopt.sensitivity.executor import (
    LOCAL,
    Executor,
    Phases,
    Session,
    interruptible,
    phase,
)
from allocopt.sensitivity.params import Change, apply_changes
from allocopt.sensitivity.scenario import (
    INVALID,
    Context,
    Outcome,
    Settings,
    solve_changes,
    solve_instance,
)
from allocopt.solution import Solution

CHUNK = 2
STEPS_PER_INTERVAL = 64  # default tolerance: 1/64 of a grid step
BASE_SHARE = 0.2
POINTS_SHARE = 0.5
"""With a deadline and breakpoints asked for: the base solve takes BASE_SHARE of the
time, the points POINTS_SHARE of what is left after it, and proving and narrowing
the rest (without breakpoints: the points take all the time after the base)."""
TIGHTENING = (10.0, 100.0)
"""Unproven pairs are re-solved with the asked gap divided by these, in turn, while
some stay unproven and time is left."""
BISECTION_ROUNDS = 6


@dataclass(frozen=True)
class Axis:
    """One swept parameter: its path, values in order, and whether it takes whole numbers;
    `tol` is the breakpoint tolerance in the parameter's units."""

    path: str
    values: tuple[float, ...]
    integer: bool
    tol: float


BASE = -1
"""`Point.carried_from` of an incumbent that is the base instance's allocation."""


@dataclass
class Point:
    """One grid point; `carried_from` is the point whose allocation is this point's
    incumbent (None: its own solve's; BASE: the base instance's)."""

    index: int
    values: tuple[float, ...]
    outcome: Outcome
    carried_from: int | None = None


@dataclass
class Breakpoint:
    """The funded set changes between `lower` and `upper` of parameter `axis`, the other
    parameters held at `at` (the swept one's entry is its `lower`). `proven`: the two
    ends' [objective, bound] intervals do not overlap (else the difference is within
    the solvers' gap and this is no breakpoint). `resolved` is False when the interval
    could not be narrowed to the tolerance with proof (gap, time or solve budget)."""

    axis: int
    at: tuple[float, ...]
    lower: float
    upper: float
    below: Outcome
    above: Outcome
    resolved: bool
    proven: bool = True

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
    """Every point and every change of funded set found; `breakpoints` holds the proven
    ones and those within the gap (`proven` False). `partial`: the run was stopped
    before it finished (the points and changes found so far)."""

    axes: list[Axis]
    points: list[Point]
    breakpoints: list[Breakpoint]
    base: Outcome
    partial: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def proven(self) -> list[Breakpoint]:
        return [b for b in self.breakpoints if b.proven]

    @property
    def within_gap(self) -> list[Breakpoint]:
        return [b for b in self.breakpoints if not b.proven]



def _changes(axes: Sequence[Axis], values: Sequence[float]) -> list[Change]:
    return [Change(a.path, v) for a, v in zip(axes, values, strict=True)]


def _signature(outcome: Outcome) -> tuple:
    return (outcome.has_solution, outcome.funded)


def _solve_chunk(context: Context, task: tuple[Settings, list[list[Change]]]) -> list[Outcome]:
    settings, chunk = task
    context = replace(context, settings=settings)
    warm = context.base
    out = []
    for changes in chunk:
        outcome = solve_changes(context, changes, warm=warm, keep=True)
        warm = outcome.solution or warm
        out.append(outcome)
    return out


def _resolve(context: Context, task: tuple[Settings, list[Change], Solution | None]
             ) -> Outcome:
    settings, changes, warm = task
    return solve_changes(replace(context, settings=settings), changes,
                         warm=warm or context.base, keep=True)


class _Grid:
    """The points' instances and numbers, and their neighbours along each axis."""

    def __init__(self, instance: Instance, axes: list[Axis], points: list[Point]) -> None:
        self.axes, self.points = axes, points
        self.paths = [a.path for a in axes]
        sizes = [len(a.values) for a in axes]
        self.sizes = sizes
        self.strides = [math.prod(sizes[k + 1:]) for k in range(len(axes))]
        self.instances: list[Instance | None] = []
        for p in points:
            try:
                self.instances.append(apply_changes(instance, _changes(axes, p.values)))
            except ParameterError:
                self.instances.append(None)
        self.numbers = [None if i is None else evidence.leaves(i, self.paths)
                        for i in self.instances]

    def next_along(self, index: int, k: int) -> int | None:
        pos = (index // self.strides[k]) % self.sizes[k]
        return index + self.strides[k] if pos + 1 < self.sizes[k] else None

    def pairs(self) -> list[tuple[int, int, int]]:
        """(axis, lower point, upper point) for every two neighbours."""
        out = []
        for p in self.points:
            for k in range(len(self.axes)):
                q = self.next_along(p.index, k)
                if q is not None:
                    out.append((k, p.index, q))
        return out

    def carry(self, gap: float, base: Solution | None = None) -> None:
        """Carry `base`'s allocation to every point, then allocations and bounds between
        neighbours until nothing changes (each pass can only raise an objective or lower
        a bound, so this ends)."""
        for i, (inst, here) in enumerate(zip(self.instances, self.points, strict=True)):
            carried = None if inst is None else evidence.carry_allocation(
                inst, here.outcome, base, gap)
            if carried is not None:
                self.points[i].outcome = carried
                self.points[i].carried_from = BASE
        for _ in range(2 * max(self.sizes) + 2):
            changed = False
            for _, i, j in self.pairs():
                changed |= self._carry_one(i, j, gap)
                changed |= self._carry_one(j, i, gap)
            if not changed:
                return

    def _carry_one(self, i: int, donor: int, gap: float) -> bool:
        """Point i given point `donor`'s allocation and, if `donor` is looser, its bound."""
        inst, here, there = self.instances[i], self.points[i], self.points[donor]
        if inst is None or self.numbers[donor] is None:
            return False
        changed = False
        carried = evidence.carry_allocation(inst, here.outcome, there.outcome.solution, gap)
        if carried is not None:
            here.outcome = carried
            here.carried_from = donor if there.carried_from is None else there.carried_from
            changed = True
        if evidence.at_least_as_loose(self.numbers[i], self.numbers[donor], self.paths):
            capped = evidence.carry_bound(here.outcome, there.outcome, gap)
            if capped is not None:
                here.outcome = capped
                changed = True
        return changed


@dataclass(frozen=True)
class _Interval:
    axis: Axis
    others: tuple[Change, ...]
    lower: float
    upper: float
    below: Outcome
    above: Outcome
    settings: Settings
    gap: float


def _max_solves(axis: Axis, width: float) -> int:
    depth = math.ceil(math.log2(max(width / max(axis.tol, 1e-12), 1.0))) + 1
    return 4 * depth


_Found = tuple[float, float, Outcome, Outcome, bool, bool]  # lo, hi, below, above, resolved,
#                                                             proven


class _Bisection:
    """Every change of funded set inside one proven interval, narrowed with proof."""

    def __init__(self, context: Context, task: _Interval) -> None:
        self.context, self.task = context, task
        self.axis = task.axis
        self.budget = _max_solves(task.axis, task.upper - task.lower)
        self.found: list[_Found] = []
        self.paths = [c.path for c in task.others] + [task.axis.path]
        self.carries = evidence.carries(context.instance)
        self._points: dict[float, tuple[Instance | None, tuple | None]] = {}

    def _point(self, value: float) -> tuple[Instance | None, tuple | None]:
        """The instance at `value` and its numbers, built once per value (an end and a
        midpoint of a later step are the same point)."""
        if value not in self._points:
            try:
                inst = apply_changes(self.context.instance,
                                     [*self.task.others, Change(self.axis.path, value)])
            except ParameterError:
                inst = None
            self._points[value] = (inst, None if inst is None
                                   else evidence.leaves(inst, self.paths))
        return self._points[value]

    def solve(self, value: float, ends: tuple[tuple[float, Outcome], ...]) -> Outcome:
        """The point at `value`, carried from both `ends` (value, outcome) where the
        weighted objective allows."""
        self.budget -= 1
        inst, here = self._point(value)
        if inst is None:  # the changes make the instance invalid: say so as a file would
            return solve_changes(self.context, [*self.task.others,
                                                Change(self.axis.path, value)])
        below = ends[0][1]
        middle = solve_instance(inst, self.task.settings,
                                warm=below.solution or self.context.base, keep=True)
        if not self.carries:
            return middle
        for at, end in ends:
            middle = evidence.carry_allocation(inst, middle, end.solution,
                                               self.task.gap) or middle
            there = self._point(at)[1]
            if here is not None and there is not None and evidence.at_least_as_loose(
                    here, there, self.paths):
                middle = evidence.carry_bound(middle, end, self.task.gap) or middle
        return middle

    def run(self) -> list[_Found]:
        self.narrow(self.task.lower, self.task.below, self.task.upper, self.task.above)
        return [(lo, hi, replace(b, solution=None), replace(a, solution=None), ok, proven)
                for lo, hi, b, a, ok, proven in self.found]

    def narrow(self, lo: float, below: Outcome, hi: float, above: Outcome) -> None:
        axis = self.axis
        narrow_enough = hi - lo <= axis.tol or (axis.integer and hi - lo <= 1)
        if narrow_enough or self.budget <= 0 or self.task.settings.out_of_time:
            self.found.append((lo, hi, below, above, narrow_enough, True))
            return
        mid = math.floor((lo + hi) / 2) if axis.integer else (lo + hi) / 2
        middle = self.solve(mid, ((lo, below), (hi, above)))
        sides = [(lo, below, mid, middle), (mid, middle, hi, above)]
        differ = [_signature(b) != _signature(a) for _, b, _, a in sides]
        proven = [d and evidence.proven_change(b, a)
                  for d, (_, b, _, a) in zip(differ, sides, strict=True)]
        if not any(proven):
            self.found.append((lo, hi, below, above, False, True))
            return
        for (start, b, end, a), d, ok in zip(sides, differ, proven, strict=True):
            if ok:
                self.narrow(start, b, end, a)
            elif d:
                self.found.append((start, end, b, a, False, False))


def _bisect(context: Context, task: _Interval) -> list[_Found]:
    return _Bisection(context, task).run()


def _workers(executor: Executor) -> int:
    return max(1, executor.workers)


def sweep(instance: Instance, axes: Sequence[Axis], settings: Settings,
          executor: Executor = LOCAL, progress: Phases | None = None,
          base: Solution | None = None, breakpoints: bool = True) -> SweepResult:
    """Solve every grid point (warm-started), carry allocations and bounds between
    neighbours, and locate the proven breakpoints of the funded set.

    `base` is a solution of `instance` to warm-start from (solved here when None).
    """
    axes = list(axes)
    grid = list(itertools.product(*(a.values for a in axes)))
    chunks = [[_changes(axes, v) for v in grid[k:k + CHUNK]] for k in range(0, len(grid), CHUNK)]
    rounds = math.ceil(len(chunks) / _workers(executor)) * CHUNK
    base_settings = settings.share(1 / BASE_SHARE if breakpoints else 1 + rounds)
    base_outcome = interruptible(solve_instance, instance, base_settings, warm=base,
                                 keep=True)
    context = Context(instance=instance, settings=settings, base=base_outcome.solution)
    run = _Run(instance, axes, settings, executor, progress)
    run.base = base_outcome.solution
    try:
        with Session(executor, context) as session:
            run.session = session
            points = run.points(grid, chunks, rounds / POINTS_SHARE if breakpoints
                                else rounds)
            found = run.breakpoints(points) if breakpoints else []
    except Interrupted as exc:
        exc.partial = run.partial(exc, grid, base_outcome)
        raise
    for p in points:
        p.outcome.solution = None
    base_outcome.solution = None
    return SweepResult(axes=axes, points=points, breakpoints=found, base=base_outcome,
                       notes=run.notes)


class _Run:
    """The phases of one sweep, sharing its workers."""

    def __init__(self, instance: Instance, axes: list[Axis], settings: Settings,
                 executor: Executor, progress: Phases | None) -> None:
        self.instance, self.axes, self.settings = instance, axes, settings
        self.workers = _workers(executor)
        self.progress = progress
        self.session: Session | None = None
        self.grid: _Grid | None = None
        self.notes: list[str] = []
        self.base: Solution | None = None
        self.bisecting = False
        self.proven: list[tuple[int, int, int]] | None = None
        self.unproven: list[tuple[int, int, int]] = []

    def _map(self, fn, tasks: list, label: str) -> list:
        assert self.session is not None
        return self.session.map(fn, tasks, phase(self.progress, label, len(tasks)))

    def points(self, grid: list[tuple], chunks: list, rounds: float) -> list[Point]:
        share = self.settings.share(rounds)
        assert self.session is not None
        bar = phase(self.progress, "points", len(grid))
        left = [len(grid)]

        def chunk_done(k: int) -> None:  # the bar counts points, the tasks are chunks
            step = min(left[0], k * CHUNK)
            left[0] -= step
            if bar:
                bar(step)

        solved = self.session.map(_solve_chunk, [(share, c) for c in chunks], chunk_done)
        outcomes = [o for chunk in solved for o in chunk]
        points = [Point(i, tuple(v), o) for i, (v, o) in enumerate(zip(grid, outcomes,
                                                                      strict=True))]
        self.grid = _Grid(self.instance, self.axes, points)
        if evidence.carries(self.instance):
            self.grid.carry(self.settings.gap, self.base)
        else:
            self.notes.append("The policy is not the weighted one: each point keeps its "
                              "own solve (no allocation or bound is carried between "
                              "points), so incumbents may fall within the gap.")
        return points

    def _differing(self) -> tuple[list, list]:
        """Neighbour pairs whose funded sets differ: (proven, not proven)."""
        assert self.grid is not None
        pts = self.grid.points
        proven, unproven = [], []
        for k, i, j in self.grid.pairs():
            if _signature(pts[i].outcome) == _signature(pts[j].outcome):
                continue
            ok = evidence.proven_change(pts[i].outcome, pts[j].outcome)
            (proven if ok else unproven).append((k, i, j))
        return proven, unproven

    def _tighten(self, unproven: list, factor: float) -> None:
        """Re-solve the ends of unproven pairs with a `factor` times smaller gap, then
        carry again."""
        assert self.grid is not None
        pts = self.grid.points
        tight = self.settings.tighter(factor)
        ends = sorted({i for _, a, b in unproven for i in (a, b)
                       if pts[i].outcome.status != INVALID and (
                           pts[i].outcome.gap is None or pts[i].outcome.gap > tight.gap)})
        if not ends:
            return
        share = tight.share(2 * math.ceil(len(ends) / self.workers))
        tasks = [(share, _changes(self.axes, pts[i].values), pts[i].outcome.solution)
                 for i in ends]
        for i, again in zip(ends, self._map(_resolve, tasks, f"{len(ends)} points to prove"),
                            strict=True):
            pts[i].outcome = evidence.combine(pts[i].outcome, again, self.settings.gap)
        if evidence.carries(self.instance):
            self.grid.carry(self.settings.gap)

    def breakpoints(self, points: list[Point]) -> list[Breakpoint]:
        self.proven, self.unproven = self._differing()
        for factor in TIGHTENING:
            if not self.unproven or self.settings.out_of_time:
                break
            self._tighten(self.unproven, factor)
            self.proven, self.unproven = self._differing()
        tight = self.settings.tighter()
        share = tight.share(math.ceil(len(self.proven) / self.workers) * BISECTION_ROUNDS)
        tasks = []
        for k, i, j in self.proven:
            p, q = points[i], points[j]
            others = tuple(Change(a.path, v) for m, (a, v) in enumerate(zip(
                self.axes, p.values, strict=True)) if m != k)
            tasks.append(_Interval(self.axes[k], others, p.values[k], q.values[k], p.outcome,
                                   q.outcome, share, self.settings.gap))
        self.bisecting = True
        found = self._map(_bisect, tasks, f"{len(tasks)} breakpoint intervals")
        return self.assemble(dict(enumerate(found)))

    def assemble(self, narrowed: dict[int, list[_Found]]) -> list[Breakpoint]:
        """The breakpoints: each proven pair as narrowed (by its index in `narrowed`), or
        at its grid interval, unresolved, where it was not; and the pairs within the gap."""
        assert self.grid is not None
        points = self.grid.points
        result = []
        for n, (k, i, j) in enumerate(self.proven):
            p, q = points[i], points[j]
            pieces = narrowed.get(n, [(p.values[k], q.values[k], p.outcome, q.outcome, False,
                                       True)])
            for lo, hi, below, above, resolved, ok in pieces:
                result.append(_breakpoint(k, p.values, lo, hi, replace(below, solution=None),
                                          replace(above, solution=None), resolved, ok))
        for k, i, j in self.unproven:
            p, q = points[i], points[j]
            result.append(_breakpoint(k, p.values, p.values[k], q.values[k],
                                      replace(p.outcome, solution=None),
                                      replace(q.outcome, solution=None), False, False))
        result.sort(key=lambda b: (b.axis, b.at[:b.axis] + b.at[b.axis + 1:], b.lower))
        return result

    def partial(self, exc: Interrupted, grid: list[tuple], base: Outcome) -> SweepResult:
        """What was finished when `exc` stopped the run: the points solved (each its own
        solve when the points phase was stopped), and the changes found so far (proven
        ones not yet narrowed at their grid interval, unresolved)."""
        if self.grid is None:
            points = [Point(n * CHUNK + m, tuple(grid[n * CHUNK + m]), o)
                      for n in sorted(exc.done) for m, o in enumerate(exc.done[n])]
            found: list[Breakpoint] = []
        else:
            points = self.grid.points
            if self.proven is None:  # stopped before the pairs were classified
                self.proven, self.unproven = self._differing()
            found = self.assemble(exc.done if self.bisecting else {})
        for p in points:
            p.outcome.solution = None
        return SweepResult(axes=self.axes, points=points, breakpoints=found,
                           base=replace(base, solution=None), partial=True, notes=self.notes)


def partial_result(exc: Interrupted) -> SweepResult:
    """The partial SweepResult an interrupted `sweep` attached to its Interrupted."""
    return exc.partial


def _breakpoint(k: int, at: tuple[float, ...], lo: float, hi: float, below: Outcome,
                above: Outcome, resolved: bool, proven: bool) -> Breakpoint:
    return Breakpoint(axis=k, at=tuple(lo if m == k else v for m, v in enumerate(at)),
                      lower=lo, upper=hi, below=below, above=above, resolved=resolved,
                      proven=proven)
