"""Live progress on standard error. `allocopt solve`'s line:

      12.3 s   incumbent 1,234.50   bound 1,300.00   gap 5.04 %

at most once a second, and a last line when the solve ends. The sensitivity commands'
bar, one per phase of a run (TaskBar):

    solving 12 scenarios  [########----------------]  4/12  elapsed 0:21  left ~0:42

On a terminal a line is rewritten in place ('\\r') and ended with a newline; elsewhere
(a pipe, a log file, CI) each update is a line of its own.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import TextIO

from allocopt.backends.base import Progress, Throttle

INTERVAL_S = 1.0
UNKNOWN = "--"


def format_progress(progress: Progress) -> str:
    def value(v: float | None) -> str:
        return UNKNOWN if v is None else f"{v:,.2f}"

    gap = progress.gap
    # An incumbent of 0 (the empty allocation) makes any gap astronomic.
    percent = (UNKNOWN if gap is None else "> 999 %" if gap > 9.99 else f"{100 * gap:.2f} %")
    return (f"{progress.elapsed_s:6.1f} s   incumbent {value(progress.incumbent)}   "
            f"bound {value(progress.bound)}   gap {percent}")


class ProgressLine:
    """Prints Progress to `stream` (standard error) at most once per `interval_s`; the
    last one held back is printed by `close()`. Called from the solver's thread."""

    def __init__(self, stream: TextIO | None = None, interval_s: float = INTERVAL_S) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._width = 0  # of the line on screen, to blank out a longer earlier one
        self._throttle = Throttle(self._print, interval_s)

    def __call__(self, progress: Progress) -> None:
        self._throttle(progress)

    def close(self) -> None:
        self._throttle.close()
        if self._tty and self._width:
            self._stream.write("\n")
            self._stream.flush()
            self._width = 0

    def _print(self, progress: Progress) -> None:
        line = format_progress(progress)
        if self._tty:
            self._stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
        else:
            self._stream.write(line + "\n")
        self._stream.flush()


@contextlib.contextmanager
def progress_line(enabled: bool | None) -> Iterator[ProgressLine | None]:
    """A ProgressLine on standard error while the block runs, closed at its end, or None
    when disabled; `enabled=None` means: when standard error is a terminal."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield None
        return
    line = ProgressLine()
    try:
        yield line
    finally:
        line.close()


BAR_WIDTH = 24


def clock(seconds: float) -> str:
    """M:SS, or H:MM:SS from an hour on."""
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_tasks(label: str, done: int, total: int, elapsed_s: float) -> str:
    """The bar, done/total, time elapsed and time left at the pace so far (UNKNOWN
    before the first task finishes)."""
    filled = round(BAR_WIDTH * done / total) if total else BAR_WIDTH
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    left = f"~{clock(elapsed_s / done * (total - done))}" if done else UNKNOWN
    return f"{label}  [{bar}]  {done}/{total}  elapsed {clock(elapsed_s)}  left {left}"


class TaskBar:
    """Tasks finished of `total`, on `stream` (standard error). On a terminal the line is
    redrawn as each task finishes and every `interval_s` (so the time runs while a long
    solve does); elsewhere it is printed when the phase starts, at most once per
    `interval_s` as tasks finish, and at `close()` if the last count was held back.

    click.progressbar would show the count and ETA on a terminal only: elsewhere it
    prints its label once, and a log would never say how far a run got."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None,
                 interval_s: float = INTERVAL_S) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._interval_s = interval_s
        self._started = time.monotonic()
        self._printed_at = self._started
        self._printed = -1  # the count last printed
        self._width = 0
        self._lock = threading.Lock()  # the ticker thread draws too
        self._closed = threading.Event()
        self._print()
        if self._tty:
            threading.Thread(target=self._tick, name="allocopt-bar", daemon=True).start()

    def update(self, k: int) -> None:
        """k more tasks finished."""
        with self._lock:
            self.done = min(self.total, self.done + k)
            if (self._tty or self.done == self.total
                    or time.monotonic() - self._printed_at >= self._interval_s):
                self._print()

    def close(self) -> None:
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            if not self._tty and self._printed != self.done:
                self._print()
            if self._tty:
                self._stream.write("\n")
                self._stream.flush()

    def _tick(self) -> None:
        while not self._closed.wait(self._interval_s):
            with self._lock:
                if not self._closed.is_set():
                    self._print()

    def _print(self) -> None:
        now = time.monotonic()
        line = format_tasks(self.label, self.done, self.total, now - self._started)
        if self._tty:
            self._stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
        else:
            self._stream.write(line + "\n")
        self._stream.flush()
        self._printed_at = now
        self._printed = self.done
