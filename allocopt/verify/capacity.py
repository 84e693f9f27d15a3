"""Capacity: Σ_p gpus[p,g,s,t] ≤ on hand[g,s,t] (deliveries and purchases so far) for
every GPU type, site and period in which some project holds GPUs."""

from __future__ import annotations

from collections.abc import Iterator

from allocopt.verify.base import Violation, over, reports
from allocopt.verify.context import Context


@reports("capacity")
def check_capacity(ctx: Context) -> Iterator[Violation]:
    for (g, s, t), n in sorted(ctx.held.items(), key=lambda kv: kv[0]):
        available = ctx.on_hand.get((g, s, t), 0.0)
        if over(n, available):
            yield Violation("capacity", f"{g} at {s} in {ctx.periods[t]}: {n:g} allocated, "
                                        f"{available:g} available")
