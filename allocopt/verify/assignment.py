"""Assignment: every award names a known project (once), site, periods, GPU types and
configuration, its GPUs are the configuration's, and every mandatory project is
funded. Site hosting: an award's site can host each of its GPU types."""

from __future__ import annotations

from collections.abc import Iterator

from allocopt.verify.base import Violation, reports
from allocopt.verify.context import AwardFacts, Context, Stage, occupied


@reports("assignment")
def check_award(ctx: Context, f: AwardFacts) -> Iterator[Violation]:
    """The award names a known project not awarded before, a known site and periods."""
    a = f.award
    if f.stage is Stage.UNKNOWN_PROJECT:
        yield Violation("assignment", f"award for unknown project {a.project!r}")
    elif f.stage is Stage.DUPLICATE:
        yield Violation("assignment", f"project {a.project} is awarded more than once")
    elif f.stage is Stage.UNPLACED:
        yield Violation("assignment", f"project {f.project.id}: unknown site or period in its "
                                      f"award")


@reports("assignment", "site_hosts")
def check_gpu_types(ctx: Context, f: AwardFacts) -> Iterator[Violation]:
    """Each GPU type of the award is known and hosted by the award's site."""
    if f.stage < Stage.PLACED:
        return
    a = f.award
    for g in a.gpus:
        if g not in ctx.types:
            yield Violation("assignment", f"project {f.project.id}: unknown GPU type {g!r}")
        elif not ctx.hosts(a.site, g):
            yield Violation("site_hosts", f"project {f.project.id}: site {a.site} cannot "
                                          f"host {g}")


@reports("assignment")
def check_configuration(ctx: Context, f: AwardFacts) -> Iterator[Violation]:
    """A configuration request's award names one of its configurations and holds exactly
    its GPUs (rounded up to whole nodes under node granularity)."""
    if f.stage < Stage.TYPED or f.project.request.configurations is None:
        return
    a, pid = f.award, f.project.id
    if f.config is None:
        yield Violation("assignment", f"project {pid}: unknown configuration "
                                      f"{a.configuration!r}")
        return
    expected = {g: float(occupied(n, ctx.types[g].node_size, ctx.gran))
                for g, n in f.config.gpus.items()}
    if expected != {g: float(n) for g, n in a.gpus.items() if n != 0}:
        yield Violation("assignment", f"project {pid}: GPUs {a.gpus} differ from "
                                      f"configuration {f.config.id} {dict(f.config.gpus)}")


@reports("assignment")
def check_mandatory(ctx: Context) -> Iterator[Violation]:
    """Every mandatory project is funded."""
    for p in ctx.instance.spec.projects:
        if p.mandatory and p.id not in ctx.awards:
            yield Violation("assignment", f"mandatory project {p.id} is not funded")
