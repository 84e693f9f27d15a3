"""Elastic requests: no configuration, only usable types, and
min_gpus ≤ Σ_g eff[g] · gpus[g] ≤ max_gpus (performance-equivalent GPUs), Σ_g gpus[g] ≤
max_units where set."""

from __future__ import annotations

from collections.abc import Iterator

from allocopt.verify.base import ABS_TOL, Violation, over, reports
from allocopt.verify.context import AwardFacts, Context, Stage


@reports("assignment", "elastic", "elastic_min", "elastic_max", "elastic_units")
def check_elastic(ctx: Context, f: AwardFacts) -> Iterator[Violation]:
    if f.stage < Stage.TYPED or f.project.request.configurations is not None:
        return
    a, pid, e, size = f.award, f.project.id, f.project.request.elastic, f.size
    if a.configuration is not None:
        yield Violation("assignment", f"project {pid}: elastic request given a configuration")
    for g in a.gpus:
        if g not in e.types and a.gpus[g] > ABS_TOL:
            yield Violation("elastic", f"project {pid}: type {g} is not among its usable types")
    if size < e.min_gpus - ABS_TOL * max(1.0, e.min_gpus):
        yield Violation("elastic_min", f"project {pid}: {size:g} performance-equivalent GPUs, "
                                       f"below min_gpus {e.min_gpus:g}")
    if over(size, e.max_gpus):
        yield Violation("elastic_max", f"project {pid}: {size:g} performance-equivalent GPUs, "
                                       f"above max_gpus {e.max_gpus:g}")
    units = sum(a.gpus.values())
    if e.max_units is not None and over(units, e.max_units):
        yield Violation("elastic_units", f"project {pid}: {units:g} GPUs, above "
                                         f"max_units {e.max_units:g}")
