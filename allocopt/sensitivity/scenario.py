"""One scenario: the base instance with some numbers changed, solved and summarised.

Everything here runs in worker processes (local or on a Dask cluster), so inputs and
outputs are small picklable values and the functions are module-level. A scenario's
answer depends only on its inputs (instance, changes, solver settings, seed, warm
start), which is what makes a sweep's results the same on any executor.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from allocopt.backends import SolveOptions
from allocopt.clock import RESERVE_MAX_S, RESERVE_SHARE
from allocopt.defaults import DEFAULT_BACKEND, DEFAULT_GAP
from allocopt.errors import VerificationError
from allocopt.instance import Instance
from allocopt.sensitivity.params import Change, ParameterError, apply_changes
from allocopt.solution import Solution
from allocopt.status import known


@dataclass(frozen=True)
class Settings:
    """How every scenario is solved. `time_limit_s` bounds one solve; `deadline` (a
    `time.time()` instant, so that it means the same in every worker process and on
    every machine of a cluster) ends the whole run: a solve gets at most the time left
    before it, and a scenario not started by then is not solved (status NOT_RUN).
    Either makes results depend on machine speed and load: scenarios are reproducible
    only when each solve finishes within its limit."""

    backend: str = DEFAULT_BACKEND
    time_limit_s: float | None = None
    gap: float = DEFAULT_GAP
    threads: int = 1
    seed: int = 0
    deadline: float | None = None

    def options(self, seed: int | None = None) -> SolveOptions:
        deadline = (None if self.deadline is None
                    else time.monotonic() + (self.deadline - time.time()))
        return SolveOptions(time_limit_s=self.time_limit_s, gap=self.gap, threads=self.threads,
                            seed=self.seed if seed is None else seed, deadline=deadline)

    def seconds_left(self) -> float | None:
        """Seconds before the run's deadline (never negative); None without one."""
        return None if self.deadline is None else max(0.0, self.deadline - time.time())

    @property
    def out_of_time(self) -> bool:
        left = self.seconds_left()
        return left is not None and left < MIN_SOLVE_S

    def share(self, solves: float) -> Settings:
        """These settings for one of `solves` solves still to come one after the other
        (per worker): each may take that share of the time left before the deadline."""
        left = self.seconds_left()
        if left is None:
            return self
        part = left / max(solves, 1.0)
        limit = part if self.time_limit_s is None else min(self.time_limit_s, part)
        return replace(self, time_limit_s=max(MIN_SOLVE_S, limit))

    def within(self, time_limit_s: float | None, started: float | None = None) -> Settings:
        """These settings with `time_limit_s` as the limit of the whole run, from
        `started` (a `time.time()` instant; default now), less the share kept for
        writing the results (allocopt.clock's reserve)."""
        if time_limit_s is None:
            return self
        start = time.time() if started is None else started
        reserve = min(RESERVE_MAX_S, RESERVE_SHARE * time_limit_s)
        return replace(self, deadline=start + time_limit_s - reserve)

    def tighter(self, factor: float = 10.0) -> Settings:
        """The same with a gap `factor` times smaller (at least TIGHTEST_GAP)."""
        return replace(self, gap=max(TIGHTEST_GAP, self.gap / factor))


MIN_SOLVE_S = 0.2
"""A solve is not started with less time than this left before the run's deadline."""
TIGHTEST_GAP = 1e-6


@dataclass(frozen=True)
class Context:
    """What every task of a run shares: sent once to each worker."""

    instance: Instance
    settings: Settings
    base: Solution | None = None


@dataclass
class Outcome:
    """A solved scenario. `funded` lists funded project ids in instance order;
    `area_gp` the performance-equivalent GPU-periods awarded per area (children count
    towards parents). `objective` is None without a solution (infeasible, invalid or out
    of time)."""

    status: str
    objective: float | None
    gap: float | None
    funded: tuple[str, ...] = ()
    area_gp: dict[str, float] = field(default_factory=dict)
    message: str = ""
    solution: Solution | None = None
    bound: float | None = None

    @property
    def has_solution(self) -> bool:
        return self.objective is not None

    @property
    def ceiling(self) -> float | None:
        """The proven upper end of the optimum: the bound, or else objective + gap ×
        |objective| (None without a solution)."""
        if self.objective is None:
            return None
        if known(self.bound):
            return max(self.bound, self.objective)
        gap = self.gap if self.gap is not None else math.inf
        return self.objective + gap * max(abs(self.objective), 1e-9)


INVALID = "invalid"
"""Status of a scenario whose changed instance fails validation (e.g. a share above 1)."""
NOT_RUN = "not_run"
"""Status of a scenario the run's time limit left no time to solve."""
UNVERIFIED = "verification_failed"
"""Status of a scenario whose solver allocation broke a rule when re-checked: never
reported as an answer; the message names the rule."""


def scenario_seed(seed: int, index: int) -> int:
    """The solver seed of scenario `index` of a run seeded with `seed`."""
    return int(np.random.SeedSequence([seed & 0xFFFFFFFF, index]).generate_state(1)[0]
               % (2**31 - 1))


def area_totals(instance: Instance, solution: Solution) -> dict[str, float]:
    from allocopt.results import award_value

    totals = {a.id: 0.0 for a in instance.spec.areas}
    idx = instance.period_index
    for a in solution.awards:
        project = instance.projects[instance.project_index[a.project]]
        size, _ = award_value(instance, a)
        periods = idx[a.end] - idx[a.start] + 1
        for area in instance.area_lineage[project.area]:
            totals[area] += size * periods
    return {k: round(v, 9) for k, v in totals.items()}


def solve_instance(instance: Instance, settings: Settings, warm: Solution | None = None,
                   seed: int | None = None, keep: bool = False) -> Outcome:
    """Solve and verify `instance`; `keep` returns the Solution too (for warm starts).
    An allocation that fails verification gives an Outcome with status UNVERIFIED."""
    from allocopt.solving.pipeline import solve

    if settings.out_of_time:
        return Outcome(status=NOT_RUN, objective=None, gap=None,
                       message="not solved: the time limit was reached first")
    try:
        try:
            solution = solve(instance, backend=settings.backend,
                             options=settings.options(seed), warm_start=warm, lp_bound=False)
        except VerificationError:
            if warm is None:
                raise
            # highspy 1.16 with presolve can return the hint's values with the optimum's
            # objective when the hint is feasible but not optimal; a cold solve is right.
            solution = solve(instance, backend=settings.backend,
                             options=settings.options(seed), lp_bound=False)
    except VerificationError as exc:
        return Outcome(status=UNVERIFIED, objective=None, gap=None,
                       message=str(exc).splitlines()[0])
    if not solution.status.has_solution:
        return Outcome(status=solution.status.value, objective=None, gap=None,
                       message=solution.message)
    return outcome_of(instance, solution, keep)


def outcome_of(instance: Instance, solution: Solution, keep: bool = False) -> Outcome:
    """The summary of a solved scenario (`keep`: with its Solution)."""
    bound = solution.bound if known(solution.bound) else None
    return Outcome(status=solution.status.value, objective=float(solution.objective),
                   gap=solution.gap, funded=tuple(a.project for a in solution.awards),
                   area_gp=area_totals(instance, solution), bound=bound,
                   solution=replace(solution, wall_s=0.0, build_s=0.0) if keep else None)


def solve_changes(context: Context, changes: Sequence[Change], warm: Solution | None = None,
                  seed: int | None = None, keep: bool = False) -> Outcome:
    """The base instance with `changes`, solved; an invalid combination is an Outcome
    with status `invalid`, not an error (a sampled value may leave a field's range)."""
    try:
        instance = apply_changes(context.instance, changes)
    except ParameterError as exc:
        return Outcome(status=INVALID, objective=None, gap=None, message=str(exc))
    return solve_instance(instance, context.settings, warm, seed, keep)
