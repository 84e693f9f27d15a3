"""Area shares of awarded performance-equivalent GPU-periods A = Σ_p perf_gp[p]:
min_share_k · A ≤ A_k ≤ max_share_k · A, where A_k counts the projects of area k and of
its descendants."""

from __future__ import annotations

from collections.abc import Iterator

from allocopt.verify.base import ABS_TOL, Violation, over, reports
from allocopt.verify.context import Context


@reports("area_min_share", "area_max_share")
def check_area_shares(ctx: Context) -> Iterator[Violation]:
    total = sum(ctx.perf_gp.values())
    in_area: dict[str, float] = {}
    for pid, gp in ctx.perf_gp.items():
        area = ctx.projects[pid].area
        while area is not None:
            in_area[area] = in_area.get(area, 0.0) + gp
            area = ctx.areas[area].parent
    for a in ctx.instance.spec.areas:
        got = in_area.get(a.id, 0.0)
        if got < a.min_share * total - ABS_TOL * max(1.0, total):
            yield Violation("area_min_share", f"area {a.id}: {got:g} of {total:g} "
                                              f"performance-equivalent GPU-periods, below "
                                              f"min_share {a.min_share:g}")
        if over(got, a.max_share * total):
            yield Violation("area_max_share", f"area {a.id}: {got:g} of {total:g} "
                                              f"performance-equivalent GPU-periods, above "
                                              f"max_share {a.max_share:g}")
