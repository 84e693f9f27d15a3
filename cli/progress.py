"""The live progress line of `allocopt solve`, on standard error:

      12.3 s   incumbent 1,234.50   bound 1,300.00   gap 5.04 %

at most once a second, and a last line when the solve ends. On a terminal the line is
rewritten in place ('\\r') and ended with a newline; elsewhere (a log file, CI) each
update is a line of its own.
"""

from __future__ import annotations

import contextlib
import sys
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
