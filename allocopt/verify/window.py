"""Windows and durations: an award runs inside its project's window, for exactly the
duration of its configuration (or of its project)."""

from __future__ import annotations

from collections.abc import Iterator

from allocopt.verify.base import Violation, reports
from allocopt.verify.context import AwardFacts, Context, Stage


@reports("window")
def check_window(ctx: Context, f: AwardFacts) -> Iterator[Violation]:
    """earliest_start ≤ start and end ≤ latest_end."""
    if f.stage < Stage.PLACED:
        return
    if f.first < f.win_first or f.last > f.win_last:
        a = f.award
        yield Violation("window", f"project {f.project.id} runs {a.start}..{a.end}, outside "
                                  f"its window {ctx.periods[f.win_first]}.."
                                  f"{ctx.periods[f.win_last]}")


@reports("window")
def check_duration(ctx: Context, f: AwardFacts) -> Iterator[Violation]:
    """end − start + 1 = duration."""
    if f.stage is not Stage.COMPLETE:
        return
    if f.last - f.first + 1 != f.duration:
        yield Violation("window", f"project {f.project.id} runs {f.last - f.first + 1} "
                                  f"periods, not {f.duration}")
