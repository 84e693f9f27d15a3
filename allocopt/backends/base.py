"""The one interface every solver sits behind, and the normalised answer it returns."""

from __future__ import annotations

import math
import threading
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import ClassVar, Generic, TypeVar

import numpy as np

from allocopt.defaults import DEFAULT_GAP, default_threads

# SolverAbandoned (allocopt.errors), Status, Result and relative_gap (allocopt.status)
# live in the neutral modules and are re-exported here, where callers have found them.
from allocopt.errors import SolverAbandoned, Unsupported
from allocopt.model.program import Program
from allocopt.status import Result, Status, known, relative_gap


class Feature(StrEnum):
    INTEGER = "integer"
    DUALS = "duals"
    HINTS = "hints"
    FRACTIONAL_COEFFICIENTS = "fractional_coefficients"
    MEMORY_LIMIT = "memory_limit"
    LP_RELAXATION = "lp_relaxation"


@dataclass(frozen=True)
class Progress:
    """What a solver knows mid-solve, in the program's objective units and sense:
    seconds since the backend started, the best allocation's value and the best proven
    bound (an upper bound when maximising); None while the solver has none."""

    elapsed_s: float
    incumbent: float | None
    bound: float | None

    @property
    def gap(self) -> float | None:
        return relative_gap(self.incumbent, self.bound)


@dataclass(frozen=True)
class SolveOptions:
    """Limits and knobs. `gap` is relative (0.001 = 0.1 %), `abs_gap` absolute in the
    objective's units: a solver stops as soon as either holds, and an answer is called
    optimal only when both do. `time_limit_s` bounds one solver call; `deadline` (a
    `time.monotonic()` instant) is the whole command's, and every call made under these
    options ends by it. `progress`, when set, is called (from the solver's thread, at
    most about 10 times a second) whenever the solver learns a new incumbent or bound,
    and once more with the final answer. `target`, when set, lets a solver stop at its
    first allocation worth at least that much (a maximisation), proven or not: HiGHS's
    `objective_target`; the other backends ignore it."""

    time_limit_s: float | None = None
    gap: float = DEFAULT_GAP
    abs_gap: float | None = None
    threads: int = field(default_factory=default_threads)
    seed: int = 0
    relax: bool = False
    hint: np.ndarray | None = None
    verbose: bool = False
    stop: threading.Event | None = None
    memory_limit_mb: float | None = None
    progress: Callable[[Progress], None] | None = None
    deadline: float | None = None
    target: float | None = None

    def remaining_s(self) -> float | None:
        """Seconds left before the deadline (never negative), None without one."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def limit_s(self) -> float | None:
        """The time one solver call may take now: its own limit, cut to the deadline."""
        left = self.remaining_s()
        if left is None:
            return self.time_limit_s
        return left if self.time_limit_s is None else min(self.time_limit_s, left)

    def stop_by(self) -> float | None:
        """The `time.monotonic()` instant by which a solver call started now must have
        stopped: the deadline, or else the end of its own time limit."""
        if self.deadline is not None:
            return self.deadline
        return None if self.time_limit_s is None else time.monotonic() + self.time_limit_s

    def solver_gap(self) -> float:
        """The relative gap to hand a solver. Solvers measure it against the larger of
        objective and bound (HiGHS) or the smaller (SCIP); allocopt against the
        objective. g / (1 + g) makes either definition imply ours."""
        return self.gap / (1.0 + self.gap)


# A gap this much over what was asked still counts as within it (float noise).
GAP_TOLERANCE = 1e-9


def within_gaps(result: Result, options: SolveOptions) -> bool:
    """True when the answer is proven within both the relative and the absolute gap."""
    gap, abs_gap = result.gap, result.abs_gap
    if gap is None or abs_gap is None:
        return False
    if abs_gap <= GAP_TOLERANCE * max(1.0, abs(result.objective or 0.0)):
        return True
    relative_ok = gap <= options.gap * (1 + GAP_TOLERANCE) + GAP_TOLERANCE
    absolute_ok = options.abs_gap is None or abs_gap <= options.abs_gap + GAP_TOLERANCE
    return relative_ok and absolute_ok


def settle(result: Result, options: SolveOptions) -> Result:
    """The answer as allocopt states it: a bound a solver gives as its infinity is no
    bound, and "optimal" means proven within both gaps asked (a solver that stopped on
    one gap, or on its own default tolerances, is only "feasible"); a solve stopped by a
    limit that had already proven the gaps is optimal."""
    if result.bound is not None and not known(result.bound):
        result = replace(result, bound=None)
    if options.relax or not result.status.has_solution:
        return result
    proven = within_gaps(result, options)
    if result.status is Status.OPTIMAL and not proven:
        gap = "none" if result.gap is None else f"{result.gap:.3g}"
        asked = f"{options.gap:g}" + ("" if options.abs_gap is None
                                      else f" and absolute {options.abs_gap:g}")
        return replace(result, status=Status.FEASIBLE,
                       message=f"{result.message} (the solver stopped at relative gap "
                               f"{gap}, absolute {result.abs_gap}; asked: {asked})".strip())
    if result.status is Status.FEASIBLE and proven:
        return replace(result, status=Status.OPTIMAL)
    return result


T = TypeVar("T")


class Throttle(Generic[T]):
    """Passes values on to `send`, from any thread, at most once per `interval_s`: a
    value that comes sooner is held and sent when the interval is over (unless a newer
    one replaces it first). `close()` sends what is held at once; nothing is sent after.
    A `send` that raises is turned off with a warning: it must not stop a solve."""

    def __init__(self, send: Callable[[T], object], interval_s: float) -> None:
        self._send = send
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._held: T | None = None  # the newest value not sent yet
        self._holding = False
        self._last_sent = -math.inf
        self._timer: threading.Timer | None = None
        self._closed = False

    def __call__(self, value: T) -> None:
        with self._lock:
            if self._closed:
                return
            self._held, self._holding = value, True
            wait = self._last_sent + self._interval_s - time.monotonic()
            if wait <= 0:
                self._deliver()
            elif self._timer is None:
                self._timer = threading.Timer(wait, self._on_timer)
                self._timer.daemon = True
                self._timer.start()

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not self._closed:
                self._deliver()
            self._closed = True

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
            if not self._closed:
                self._deliver()

    def _deliver(self) -> None:
        """Send the held value; the caller holds the lock, so sends never overlap."""
        if not self._holding:
            return
        value, self._held, self._holding = self._held, None, False
        self._last_sent = time.monotonic()
        try:
            self._send(value)
        except Exception as exc:  # a broken progress display must not stop the solve
            self._closed = True
            warnings.warn(f"progress callback failed and was turned off: {exc!r}",
                          RuntimeWarning, stacklevel=2)


PROGRESS_INTERVAL_S = 0.1


class ProgressReporter:
    """How a backend feeds `SolveOptions.progress`: `update` whenever the solver learns
    an incumbent or a bound (repeats are dropped, at most one call per
    PROGRESS_INTERVAL_S), then `finish` with the answer, which is always sent. Solvers
    may report from their own threads."""

    def __init__(self, progress: Callable[[Progress], None], started: float,
                 interval_s: float = PROGRESS_INTERVAL_S) -> None:
        self._started = started  # time.perf_counter() when the backend started
        self._lock = threading.Lock()
        self._incumbent: float | None = None
        self._bound: float | None = None
        self._throttle = Throttle(progress, interval_s)

    def update(self, incumbent: float | None = None, bound: float | None = None) -> None:
        """Record what the solver now knows; None or an infinite value (no incumbent
        yet, no bound yet) leaves that side as it was."""
        with self._lock:
            if self._merge(incumbent, bound):
                self._throttle(self._now())

    def finish(self, objective: float | None, bound: float | None) -> None:
        """The solve's answer, sent at once with the final time; nothing after it."""
        with self._lock:
            self._merge(objective, bound)
            if self._incumbent is not None or self._bound is not None:
                self._throttle(self._now())
        self.close()

    def close(self) -> None:
        """Send what is held and stop."""
        self._throttle.close()

    def _merge(self, incumbent: float | None, bound: float | None) -> bool:
        changed = False
        if known(incumbent) and incumbent != self._incumbent:
            self._incumbent, changed = float(incumbent) + 0.0, True  # + 0.0: no -0.0
        if known(bound) and bound != self._bound:
            self._bound, changed = float(bound) + 0.0, True
        return changed

    def _now(self) -> Progress:
        return Progress(time.perf_counter() - self._started, self._incumbent, self._bound)


def progress_reporter(options: SolveOptions, started: float) -> ProgressReporter | None:
    """A reporter when progress is asked for, else None: backends then set up nothing."""
    return None if options.progress is None else ProgressReporter(options.progress, started)


def _registry() -> dict[str, type[Backend]]:
    from allocopt.backends import REGISTRY  # the registry lists the subclasses of Backend

    return REGISTRY


def installed_version(module: str, distribution: str) -> str | None:
    """'distribution version' when `module` imports here, else None (never raises)."""
    import importlib.util
    from importlib.metadata import PackageNotFoundError, version

    if importlib.util.find_spec(module) is None:
        return None
    try:
        return f"{distribution} {version(distribution)}"
    except PackageNotFoundError:
        return distribution


class Backend(ABC):
    """A solver. Subclasses set `name` and `features` and implement `_solve`, importing
    their solver lazily inside it, so that `import allocopt` stays fast. `solve` is the
    same for all: the time limit cut to the deadline, the answer settled (`settle`)."""

    name: ClassVar[str]
    features: ClassVar[frozenset[Feature]]

    @classmethod
    @abstractmethod
    def version(cls) -> str | None:
        """The solver's version, or None when it is not installed here."""

    def solve(self, program: Program, options: SolveOptions) -> Result:
        """Solve `program` within `options` and return a normalised Result.

        A solver stops on whichever gap it meets first; when that leaves the other gap
        open, the solve goes on from its allocation with the open gap alone, so that
        the answer is proven within both (or stops at the limit, "feasible")."""
        self.require(program, options)
        result = self._solve(program, self._limited(options))
        if (result.status is Status.OPTIMAL and options.abs_gap is not None
                and not options.relax and result.values is not None
                and result.abs_gap is not None and not within_gaps(result, options)
                and Feature.HINTS in self.features
                and (options.remaining_s() is None or options.remaining_s() > 0)):
            open_gap = (replace(options, gap=0.0) if result.abs_gap > options.abs_gap
                        else replace(options, abs_gap=0.0))
            more = self._solve(program, self._limited(replace(open_gap, hint=result.values)))
            result = replace(more, wall_s=result.wall_s + more.wall_s)
        return settle(result, options)

    def require(self, program: Program, options: SolveOptions) -> None:
        """Raise Unsupported, before any solving, when the solve asks for a Feature this
        backend lacks: integer columns, an LP relaxation, a memory limit, a starting
        allocation. (Duals are asked of the relaxation service, which picks a backend that
        has them: backends/relaxation.py. Coefficients
        a backend cannot take, FRACTIONAL_COEFFICIENTS, are found by the backend itself
        from the model's numbers, also before solving.)"""
        needs = []
        if options.relax:
            needs.append(Feature.LP_RELAXATION)
        elif bool(program.columns.integer.any()):
            needs.append(Feature.INTEGER)
        if options.memory_limit_mb is not None:
            needs.append(Feature.MEMORY_LIMIT)
        if options.hint is not None and not options.relax:
            needs.append(Feature.HINTS)
        for feature in needs:
            if feature not in self.features:
                raise Unsupported(feature, self._refusal(feature))

    def _refusal(self, feature: Feature) -> str:
        able = [n for n, b in _registry().items() if feature in b.features]
        what = {Feature.LP_RELAXATION: "solves integer programs only: no LP relaxation, no "
                                       "duals",
                Feature.INTEGER: "solves LPs only, not integer columns",
                Feature.MEMORY_LIMIT: "cannot limit its memory",
                Feature.HINTS: "takes no starting allocation"}[feature]
        return f"{self.name} {what}; use {' or '.join(able)}"

    @staticmethod
    def _limited(options: SolveOptions) -> SolveOptions:
        if options.deadline is None:
            return options
        # At least a moment, so that a late call still returns what it can.
        return replace(options, time_limit_s=max(0.05, options.limit_s() or 0.0))

    @abstractmethod
    def _solve(self, program: Program, options: SolveOptions) -> Result:
        """The solver's own answer, with `options.time_limit_s` as its limit."""


INTERRUPT_GRACE_S = 10.0
INTERRUPT_REPEAT_S = 0.5
# A solver still running this long after its deadline is asked to stop, as on Ctrl-C:
# some phases of some solvers (HiGHS on a model with continuous columns) read their
# own time limit too rarely to keep a command's promise.
OVERRUN_GRACE_S = 0.5


def run_interruptible(solve: Callable[[], object], interrupt: Callable[[], object],
                      stop: threading.Event | None, deadline: float | None = None) -> bool:
    """Run a blocking solver call in a worker thread; when `stop` is set (e.g. by a
    SIGINT handler, which Python runs only on the main thread between waits), or the
    `deadline` (a `time.monotonic()` instant) has passed, ask the solver to stop and
    wait for it. Returns True if the solve was interrupted by `stop`; raises
    SolverAbandoned if the solver ignores the request (e.g. HiGHS in presolve) for
    INTERRUPT_GRACE_S."""
    if stop is None and deadline is None:
        solve()
        return False
    failure: list[BaseException] = []

    def work() -> None:
        try:
            solve()
        except BaseException as exc:  # re-raised on the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=work, name="allocopt-solve", daemon=True)
    worker.start()
    interrupted_at = asked_at = None
    while worker.is_alive():
        worker.join(0.1)
        stopped = stop is not None and stop.is_set()
        late = deadline is not None and time.monotonic() > deadline + OVERRUN_GRACE_S
        now = time.monotonic()
        if (stopped or late) and (asked_at is None or now - asked_at >= INTERRUPT_REPEAT_S):
            # Asked again until it stops: a request that reaches the solver before its
            # solve has begun (a Ctrl-C during loading) is otherwise lost.
            interrupted_at = interrupted_at or now
            asked_at = now
            interrupt()
        if interrupted_at is not None and time.monotonic() - interrupted_at > INTERRUPT_GRACE_S:
            raise SolverAbandoned(f"the solver did not stop within {INTERRUPT_GRACE_S:g} s")
    if failure:
        raise failure[0]
    return stop is not None and stop.is_set()


__all__ = ["GAP_TOLERANCE", "INTERRUPT_GRACE_S", "OVERRUN_GRACE_S", "PROGRESS_INTERVAL_S",
           "Backend", "Feature", "Progress", "ProgressReporter", "Result", "SolveOptions",
           "SolverAbandoned", "Status", "Throttle", "installed_version", "progress_reporter",
           "relative_gap", "run_interruptible", "settle", "within_gaps"]
