"""Dependencies and exclusions: a funded project's dependencies are funded and end
before it starts; two projects that exclude each other are never both funded.

One check for both, project by project, so that the messages keep that order."""

from __future__ import annotations

from collections.abc import Iterator

from allocopt.verify.base import Violation, reports
from allocopt.verify.context import Context


@reports("dependency", "exclusion")
def check_dependencies(ctx: Context) -> Iterator[Violation]:
    awards, run = ctx.awards, ctx.run
    for p in ctx.instance.spec.projects:
        if p.id not in awards:
            continue
        for q in p.depends_on:
            if q not in awards:
                yield Violation("dependency", f"project {p.id} is funded but {q}, which it "
                                              f"depends on, is not")
            elif q in run and p.id in run and run[q][1] >= run[p.id][0]:
                yield Violation("dependency", f"project {p.id} starts in "
                                              f"{ctx.periods[run[p.id][0]]} before {q} ends "
                                              f"in {ctx.periods[run[q][1]]}")
        for q in p.excludes:
            if q in awards:
                yield Violation("exclusion", f"projects {p.id} and {q} exclude each other but "
                                             f"both are funded")
