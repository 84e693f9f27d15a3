"""Site power: Σ_g gpus[g,s,t] · power_kw[g] · pue[s] ≤ 1000 · power_mw[s] for every site
and period."""

from __future__ import annotations

from collections.abc import Iterator

from allocopt.verify.base import Violation, over, reports
from allocopt.verify.context import Context


@reports("power")
def check_power(ctx: Context) -> Iterator[Violation]:
    draw: dict[tuple[str, int], float] = {}
    for (g, s, t), n in ctx.held.items():
        draw[(s, t)] = draw.get((s, t), 0.0) + n * ctx.types[g].power_kw * ctx.sites[s].pue
    for (s, t), kw in sorted(draw.items()):
        limit_kw = ctx.sites[s].power_mw * 1000.0
        if over(kw, limit_kw):
            yield Violation("power", f"site {s} in {ctx.periods[t]}: {kw:g} kW drawn, "
                                     f"limit {limit_kw:g} kW")
