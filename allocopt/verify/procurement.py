"""Procurement: each purchase matches an option, a site it may deliver to and a period
no earlier than the option's earliest, in whole units (or nodes); the quota (export
quota) of each option: Σ bought[o] ≤ max_units[o]."""

from __future__ import annotations

from collections.abc import Iterator

from allocopt.instance.schema import Granularity
from allocopt.verify.base import ABS_TOL, Violation, over, reports
from allocopt.verify.context import Context


@reports("procurement", "procurement_lead_time")
def check_purchases(ctx: Context) -> Iterator[Violation]:
    for facts in ctx.purchases:
        b, o = facts.purchase, facts.option
        if o is None:
            yield Violation("procurement", f"purchase {b} does not match an option, site "
                                           f"and period")
            continue
        if ctx.pidx[b.period] < ctx.pidx[o.earliest_period]:
            yield Violation("procurement_lead_time", f"{b.units:g} {o.type} arrive in "
                                                     f"{b.period}, before the earliest period "
                                                     f"{o.earliest_period}")
        if not ctx.hosts(b.site, o.type) or (o.sites and b.site not in o.sites):
            yield Violation("procurement", f"option {b.option} cannot deliver to site {b.site}")
        step = ctx.types[o.type].node_size if ctx.gran is Granularity.NODE else 1
        if b.units < -ABS_TOL or abs(b.units / step - round(b.units / step)) > ABS_TOL:
            what = f"whole nodes of {step}" if step > 1 else "a whole number of units"
            yield Violation("procurement", f"option {b.option}: {b.units:g} is not {what}")


@reports("procurement_quota")
def check_procurement_quota(ctx: Context) -> Iterator[Violation]:
    for option_id, units in ctx.bought.items():
        quota = ctx.options[option_id].max_units
        if over(units, quota):
            yield Violation("procurement_quota", f"option {option_id}: {units:g} bought, "
                                                 f"quota {quota}")
