"""Ranging: how far a project's score must move before its funding flips.

For an unfunded project: the score at which it would be funded. For a funded one: the
score below which it is dropped. Funding is monotone in a project's own score (raising
it raises the value of exactly the allocations that fund it), so bisection on re-solves
finds the threshold: each project ends with a bracket [score_low, score_high], not
funded at score_low and funded at score_high, with

    score_high − score_low ≤ tol · max(score, score_low).

Bisection is geometric above the project's score (an unfunded project's threshold may
be orders of magnitude away) and arithmetic below it. The upper end of the search is
a score at which the project's cheapest option alone outweighs twice the base
instance's bound: any feasible allocation that funds it then beats every allocation
that does not, so a project still unfunded there cannot be funded at any score.

Thresholds are only as precise as the solves: a solve may stop within the relative
gap of the optimum (the gap asked for, or the larger one a time limit leaves), so a
project whose value is small next to gap × objective can stay in (or out) for reasons
of tolerance alone; the note says when that slack exceeds the tolerance asked for.

Each project is one task, warm-started from the base solution. On instances with more
than DEFAULT_LIMIT optional projects only those nearest the margin are ranged unless
asked otherwise: the DEFAULT_LIMIT / 2 funded ones with the lowest value per
performance-equivalent GPU-period and the DEFAULT_LIMIT / 2 unfunded with the highest.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from allocopt.errors import Interrupted
from allocopt.instance import Instance
from allocopt.sensitivity.executor import (
    LOCAL,
    Executor,
    Phases,
    interruptible,
    phase,
    run_tasks,
)
from allocopt.sensitivity.params import Change
from allocopt.sensitivity.scenario import Context, Outcome, Settings, solve_changes, solve_instance
from allocopt.solution import Solution

DEFAULT_LIMIT = 20
SCORE_MAX = 1e6  # the schema's largest score
MAX_SOLVES = 40
EXPECTED_SOLVES = 10
"""With a deadline, each solve of a project's bisection takes the time of one of this
many (the typical count; a project needing more finds less time left)."""


@dataclass(frozen=True)
class Range:
    """A project's funding threshold: not funded at `score_low`, funded at `score_high`
    (None where not found; `note` says why)."""

    project: str
    area: str
    funded: bool
    score: float
    score_low: float | None
    score_high: float | None
    solves: int
    note: str = ""
    gap_slack: float = 0.0
    within_gap: bool = False
    """`gap_slack`: how far in score the threshold can be off because the solves stop
    within their gap; `within_gap`: that slack is wider than the tolerance asked, so the
    bracket is within the solvers' noise."""

    @property
    def change(self) -> float | None:
        """How far the score must move to flip funding: up to score_high for an unfunded
        project (> 0), down to score_low for a funded one (< 0)."""
        end = self.score_low if self.funded else self.score_high
        return None if end is None else end - self.score

    @property
    def relative_change(self) -> float | None:
        change = self.change
        if change is None or self.score == 0:
            return None
        return change / self.score


@dataclass(frozen=True)
class _Task:
    project: str
    funded: bool
    score: float
    ceiling: float | None
    tol: float


def unit_value(instance: Instance, project_id: str) -> float:
    """The smallest positive value, per unit of score, of any option of the project:
    area weight × option value (or min_gpus × duration for an elastic request) × start
    factor, over every start its window allows."""
    project = instance.projects[instance.project_index[project_id]]
    weight = instance.area_weight[project.area]
    first, last = instance.window(project)
    if project.request.configurations is not None:
        perf = {g.id: g.perf for g in instance.spec.gpu_types}
        options = []
        for config in project.request.configurations:
            d = instance.duration(project, config)
            value = (config.value if config.value is not None
                     else sum(n * perf[g] for g, n in config.gpus.items()) * d)
            options.append((value, d))
    else:
        d = project.window.duration
        options = [(project.request.elastic.min_gpus * d, d)]
    values = [weight * value * instance.start_factor(project, tau)
              for value, d in options for tau in range(first, last - d + 2)]
    positive = [v for v in values if v > 0]
    return min(positive) if positive else 0.0


def gap_slack(context: Context, project_id: str, gap: float) -> float:
    """How far a threshold score can be off because solves stop within a relative `gap`
    of the optimum: gap × objective / (value per unit of score of the project's cheapest
    option)."""
    unit = unit_value(context.instance, project_id)
    base = context.base
    if unit <= 0 or base is None or base.objective is None:
        return 0.0
    return gap * abs(base.objective) / unit


def _range_one(context: Context, task: _Task) -> Range:
    instance = context.instance
    area = instance.projects[instance.project_index[task.project]].area
    solves = 0

    status = [""]
    gaps: list[float] = []

    def funded_at(score: float) -> bool | None:
        nonlocal solves
        solves += 1
        outcome = solve_changes(context, [Change(f"projects.{task.project}.score", score)],
                                warm=context.base)
        status[0] = outcome.status
        if outcome.has_solution:
            gaps.append(outcome.gap if outcome.gap is not None else float("inf"))
        return task.project in outcome.funded if outcome.has_solution else None

    def result(low: float | None, high: float | None, note: str = "") -> Range:
        slack = gap_slack(context, task.project, max([context.settings.gap, *gaps]))
        noisy = slack > task.tol * max(task.score, low or 0.0)
        if noisy:
            warning = (f"within the gap: the solvers' gap allows ±{slack:.3g} in score; "
                       "use a smaller --gap or a longer --time-limit")
            note = f"{note}; {warning}" if note else warning
        return Range(task.project, area, task.funded, task.score, low, high, solves, note,
                     slack, noisy)

    s0 = task.score
    if task.funded:
        low, high = 0.0, s0
        at_zero = funded_at(0.0)
        if at_zero is None:
            return result(None, None, f"no solution at score 0 ({status[0]})")
        if at_zero:
            return result(None, 0.0, "still funded at score 0: it displaces no one")
    else:
        if task.ceiling is None:
            return result(None, None, "its area's weight is 0: no score can fund it")
        low, high = s0, task.ceiling
        at_ceiling = funded_at(high)
        if at_ceiling is None:
            return result(None, None, f"no solution at score {high:g} ({status[0]})")
        if not at_ceiling:
            return result(high, None, "cannot be funded at any score (rules or resources)"
                          if high < SCORE_MAX else f"not funded even at score {SCORE_MAX:g}")
    while high - low > task.tol * max(s0, low) and solves < MAX_SOLVES:
        mid = math.sqrt(low * high) if low > 0 and not task.funded else (low + high) / 2
        answer = funded_at(mid)
        if answer is None:
            return result(low, high, f"no solution at score {mid:g} ({status[0]})")
        if answer:
            high = mid
        else:
            low = mid
    note = "" if high - low <= task.tol * max(s0, low) else "solve budget reached"
    return result(low, high, note)


def select_projects(instance: Instance, funded: set[str], limit: int = DEFAULT_LIMIT
                    ) -> list[str]:
    """Optional projects nearest the margin (all of them when there are at most `limit`):
    funded ones with the lowest, unfunded ones with the highest value per
    performance-equivalent GPU-period, `limit` // 2 of each (the other side fills in)."""
    from allocopt.model import build_program

    optional = [p.id for p in instance.projects if not p.mandatory]
    if len(optional) <= limit:
        return optional
    cols = build_program(instance).columns
    density = np.full(len(instance.projects), -np.inf)
    has_perf = cols.perf_periods > 0
    np.maximum.at(density, cols.project[has_perf],
                  cols.objective[has_perf] / cols.perf_periods[has_perf])
    index = instance.project_index
    ins = sorted((p for p in optional if p in funded), key=lambda p: (density[index[p]],
                                                                      index[p]))
    outs = sorted((p for p in optional if p not in funded),
                  key=lambda p: (-density[index[p]], index[p]))
    half = limit // 2
    take_in = min(len(ins), max(half, limit - len(outs)))
    take_out = min(len(outs), limit - take_in)
    chosen = set(ins[:take_in]) | set(outs[:take_out])
    return [p for p in optional if p in chosen]


@dataclass
class RangingResult:
    """The base solve and one Range per project ranged, in the order asked. `partial`:
    the run was interrupted, and `ranges` holds only the projects finished by then, of
    the `asked` ones. Unpacks as `base, ranges = ranging(...)`."""

    base: Outcome
    ranges: list[Range]
    partial: bool = False
    asked: int = 0

    def __iter__(self) -> Iterator:
        return iter((self.base, self.ranges))


def ranging(instance: Instance, settings: Settings, projects: Sequence[str] | None = None,
            tol: float = 0.01, executor: Executor = LOCAL,
            progress: Phases | None = None, base: Solution | None = None
            ) -> RangingResult:
    """The base solve and a Range for each of `projects` (default: select_projects).
    Mandatory projects get a Range with a note and no bracket.

    Interrupted (Ctrl-C) while the projects are ranged, it returns those finished, with
    `partial` set; a KeyboardInterrupt during the base solve propagates (nothing to
    return)."""
    chosen_count = len(projects) if projects is not None else DEFAULT_LIMIT
    rounds = math.ceil(chosen_count / max(1, executor.workers)) * EXPECTED_SOLVES
    base_outcome = interruptible(solve_instance, instance, settings.share(1 + rounds),
                                 warm=base, keep=True)
    if not base_outcome.has_solution:
        return RangingResult(base_outcome, [])
    funded = set(base_outcome.funded)
    chosen = list(projects) if projects is not None else select_projects(instance, funded)
    bound = max(base_outcome.objective, base_outcome.solution.bound or 0.0)
    tasks, fixed = [], {}
    for pid in chosen:
        project = instance.projects[instance.project_index[pid]]
        if project.mandatory:
            fixed[pid] = Range(pid, project.area, True, project.score, None, None, 0,
                               "mandatory: funded at any score")
            continue
        unit = unit_value(instance, pid)
        ceiling = min(SCORE_MAX, max(2.0 * (bound + 1.0) / unit, 2.0 * project.score)) \
            if unit > 0 else None
        tasks.append(_Task(pid, pid in funded, project.score, ceiling, tol))
    rounds = math.ceil(len(tasks) / max(1, executor.workers)) * EXPECTED_SOLVES
    context = Context(instance=instance, settings=settings.share(rounds),
                      base=base_outcome.solution)
    try:
        done = dict(enumerate(run_tasks(_range_one, context, tasks, executor,
                                        phase(progress, f"{len(tasks)} projects",
                                              len(tasks)))))
        partial = False
    except Interrupted as exc:
        done, partial = exc.done, True
    by_id = {tasks[k].project: r for k, r in done.items()} | fixed
    base_outcome.solution = None
    return RangingResult(base_outcome, [by_id[p] for p in chosen if p in by_id], partial,
                         len(chosen))
