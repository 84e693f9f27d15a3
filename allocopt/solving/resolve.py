"""Re-solving an edited instance from an earlier answer: the researcher's loop of
edit, re-solve, compare.

    >>> first = allocopt.solve(instance)
    >>> shocked = instance.with_supply("H200", share=0.6, from_period="2026-03")
    >>> second = allocopt.resolve(first, shocked, time_limit=30, on_improvement=print)

The model is built again for each call rather than kept and changed in place: on the
Korea instance (instances/korea-2025.yaml, 344 projects, 1,369 columns) the build takes
about 10 ms against seconds of solving, so a cache of models would save nothing one
could notice while adding a second way for a model to go stale.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from allocopt.backends import DEFAULT_BACKEND, SolveOptions
from allocopt.backends.base import Progress
from allocopt.instance import Instance
from allocopt.instance.schema import Objective
from allocopt.solution import Solution
from allocopt.solving.pipeline import solve
from allocopt.solving.starts.warmstart import Repaired, repair
from allocopt.status import Status, relative_gap

# An objective this much better than the best seen so far counts as an improvement.
IMPROVEMENT_TOL = 1e-9


@dataclass(frozen=True, repr=False)
class Improvement:
    """One event of a re-solve, in the objective's units (weighted value for the
    weighted policy, maximised).

    - First, when the repaired earlier allocation is feasible: `solution` is it (a
      verified allocation), `objective` its value.
    - Then, each time the solver reports a better incumbent: `objective` and `bound`
      only, `solution` None. The backends report an incumbent's value and the proven
      bound while they run, not the allocation itself.
    - Last, with `final` set: `solution` is the verified answer `resolve` returns.

    Events come from the solver's thread, at most about ten a second."""

    elapsed_s: float
    objective: float | None
    bound: float | None
    solution: Solution | None = None
    final: bool = False

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)

    def __repr__(self) -> str:
        held = ("None" if self.solution is None
                else f"<{self.solution.status.value}: {len(self.solution.awards)} awards>")
        return (f"Improvement(elapsed_s={self.elapsed_s:.3f}, objective={self.objective!r}, "
                f"bound={self.bound!r}, solution={held}, final={self.final})")


OnImprovement = Callable[[Improvement], object]


def resolve(previous: Solution, instance: Instance, *, time_limit: float | None = None,
            gap: float | None = None, on_improvement: OnImprovement | None = None,
            backend: str = DEFAULT_BACKEND, options: SolveOptions | None = None) -> Solution:
    """Solve the edited `instance` warm, from `previous` (a Solution of an earlier
    version of it).

    The earlier allocation is first repaired to the new rules
    (`allocopt.solving.starts.warmstart.repair`: awards that break a rule of `instance`
    are dropped, e.g. those that no longer fit a smaller supply or budget) and handed to
    the solver as its starting point. `time_limit` (seconds, the whole call) and `gap`
    (relative) override those of `options`; `on_improvement` receives `Improvement`
    events: the repaired allocation, each better incumbent's value, the final answer.

    The answer is verified (VerificationError otherwise). Under the weighted policy,
    when the repaired allocation is feasible, the answer is worth at least as much: if
    the solver stops (a time limit) with a worse allocation or none, the repaired one
    is returned, status FEASIBLE, with the solver's bound. `figures["resolve"]` records
    the repaired allocation's value and what was dropped from it, with the rule each
    dropped award broke."""
    started = time.perf_counter()
    repaired = repair(instance, previous)
    hint = repaired.solution
    weighted = instance.spec.policy.objective is Objective.WEIGHTED
    options = options or SolveOptions()
    if time_limit is not None:
        options = replace(options, time_limit_s=time_limit)
    if gap is not None:
        options = replace(options, gap=gap)
    notify = _Notifier(on_improvement, started, weighted, options.progress)
    if repaired.feasible:
        notify.allocation(hint)
    options = replace(options, progress=notify.progress)
    solution = solve(instance, backend=backend, options=options, warm_start=hint)
    if weighted and repaired.feasible and _worse(solution, hint):
        solution = _from_hint(hint, solution)
    solution.figures["resolve"] = _figures(repaired)
    notify.final(solution)
    return solution


class _Notifier:
    """Turns the backend's Progress into Improvement events for the caller (and passes
    Progress on to a callback the caller's options already had)."""

    def __init__(self, send: OnImprovement | None, started: float, weighted: bool,
                 then: Callable[[Progress], None] | None) -> None:
        self._send = send
        self._started = started
        self._weighted = weighted
        self._then = then
        self._best: float | None = None

    def _elapsed(self) -> float:
        return time.perf_counter() - self._started

    def allocation(self, solution: Solution) -> None:
        self._best = solution.objective
        if self._send is not None:
            self._send(Improvement(self._elapsed(), solution.objective, None, solution))

    def progress(self, progress: Progress) -> None:
        if self._then is not None:
            self._then(progress)
        value = progress.incumbent
        if self._send is None or value is None:
            return
        if self._best is not None and (value <= self._best + IMPROVEMENT_TOL * max(
                1.0, abs(self._best)) if self._weighted else value == self._best):
            return
        self._best = value
        self._send(Improvement(self._elapsed(), value, progress.bound))

    def final(self, solution: Solution) -> None:
        if self._send is not None:
            self._send(Improvement(self._elapsed(), solution.objective, solution.bound,
                                   solution, final=True))


def _worse(solution: Solution, hint: Solution) -> bool:
    if not solution.status.has_solution or solution.objective is None:
        return True
    assert hint.objective is not None
    return solution.objective < hint.objective - IMPROVEMENT_TOL * max(1.0, abs(hint.objective))


def _from_hint(hint: Solution, solved: Solution) -> Solution:
    """The repaired allocation as the answer, with what the solver proved."""
    bound = solved.bound if solved.bound is not None and math.isfinite(solved.bound) else None
    return replace(hint, status=Status.FEASIBLE, bound=bound,
                   gap=relative_gap(hint.objective, bound), backend=solved.backend,
                   wall_s=solved.wall_s, build_s=solved.build_s, lp_bound=solved.lp_bound,
                   interrupted=solved.interrupted, warnings=list(solved.warnings),
                   policy=dict(solved.policy),
                   figures=dict(solved.figures),
                   message="the solver found nothing better than the repaired earlier "
                           "allocation within its limits")


def _figures(repaired: Repaired) -> dict:
    return {"hint_objective": repaired.solution.objective, "hint_feasible": repaired.feasible,
            "kept_awards": len(repaired.solution.awards),
            "dropped": dict(sorted(repaired.dropped.items()))}
