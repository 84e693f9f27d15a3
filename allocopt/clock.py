"""A command's time limit as one wall-clock budget: the deadline every stage shares, the
time each stage spent (summary.json's `time`), and how solves still to come split what
is left."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from allocopt.backends.base import SolveOptions

# Of a time limit, this share (at most RESERVE_MAX_S) is kept back from the solvers for
# what follows them: decoding, verification and writing the results.
RESERVE_SHARE = 0.05
RESERVE_MAX_S = 10.0


def with_deadline(options: SolveOptions, started: float) -> SolveOptions:
    """`options` with its time limit turned into a deadline, measured from `started`
    (a `time.monotonic()` instant) and kept earlier than any deadline it already has,
    less the reserve for the work after the solves. Without a limit: unchanged."""
    if options.time_limit_s is None and options.deadline is None:
        return options
    deadline = options.deadline if options.deadline is not None else float("inf")
    if options.time_limit_s is not None:
        deadline = min(deadline, started + options.time_limit_s)
    reserve = min(RESERVE_MAX_S, RESERVE_SHARE * max(0.0, deadline - started))
    return replace(options, deadline=deadline - reserve, time_limit_s=None)


def share(options: SolveOptions, weight: float, weight_left: float) -> SolveOptions:
    """Options for one part of several still to come: `weight` of the `weight_left`
    that remain takes that part of the time left, as a nearer deadline (so a part can
    share its own time in turn; one that ends early leaves its time to those after
    it). Without a deadline: unchanged."""
    left = options.remaining_s()
    if left is None or weight_left <= 0:
        return options
    part = left * min(1.0, weight / weight_left)
    return replace(options, deadline=time.monotonic() + part)


@dataclass
class Stopwatch:
    """What each stage of a command took, in order, for summary.json."""

    stages: list[tuple[str, float]] = field(default_factory=list)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stages.append((name, time.perf_counter() - started))

    def add(self, name: str, seconds: float) -> None:
        self.stages.append((name, seconds))

    def as_list(self) -> list[dict]:
        return [{"stage": name, "s": round(s, 3)} for name, s in self.stages]
