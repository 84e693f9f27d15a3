"""Granularity: no negative GPUs; whole GPUs by default, whole nodes under node
granularity, any fraction under fractional granularity."""

from __future__ import annotations

from collections.abc import Iterator

from allocopt.instance.schema import Granularity
from allocopt.verify.base import ABS_TOL, Violation, reports
from allocopt.verify.context import AwardFacts, Context, Stage


@reports("granularity")
def check_granularity(ctx: Context, f: AwardFacts) -> Iterator[Violation]:
    if f.stage < Stage.TYPED:
        return
    pid = f.project.id
    for g, n in f.award.gpus.items():
        if n < -ABS_TOL:
            yield Violation("granularity", f"project {pid}: negative GPUs of {g}")
        if ctx.gran is Granularity.GPU and abs(n - round(n)) > ABS_TOL:
            yield Violation("granularity", f"project {pid}: {n} GPUs of {g} is not a whole "
                                           f"number")
        if ctx.gran is Granularity.NODE:
            node = ctx.types[g].node_size
            if abs(n / node - round(n / node)) > ABS_TOL:
                yield Violation("granularity", f"project {pid}: {n} GPUs of {g} is not whole "
                                               f"nodes of {node}")
