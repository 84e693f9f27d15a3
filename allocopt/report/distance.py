"""How far an unfunded project was from funding.

Against the weakest funded project that could make room on the same resource (same
GPU type at the same site for capacity, same site for power, same area for an area
cap, public money for the budget), comparing value per performance-equivalent
GPU-period (per unit of public money for the budget); or, when shadow prices are
given, comparing the project's value with the value of the resources it would use,
priced at those duals: Σ |dual| · coefficient over capacity, power, budget and
area-cap rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from allocopt.instance.schema import Project
from allocopt.report.ledger import public_share
from allocopt.report.reasons import TOL, Explanation, Placement, Reason, short

if TYPE_CHECKING:
    from allocopt.report.why import Books


def parse_shadow_prices(rows: Iterable[dict[str, str]]) -> dict[tuple[str, tuple[str, ...]], float]:
    """(rule, key parts) → dual. Keys name rows as the model does, parts joined by '|'
    (capacity `type|site|period`, power `site|period`, area `area`, budget empty)."""
    out = {}
    for row in rows:
        try:
            dual = float(row.get("dual") or "nan")
        except ValueError:
            continue
        if math.isfinite(dual):
            key = (row.get("key") or "").strip()
            parts = tuple(x.strip() for x in re.split(r"\|", key)) if key else ()
            out[(str(row.get("rule", "")).strip(), parts)] = dual
    return out



def _displaceable(books: Books) -> set[str]:
    """Funded projects the allocation could drop: not mandatory, no funded project
    depends on them, and dropping them keeps every area at or above its floor."""
    inst, led = books.instance, books.ledger
    needed = {q for p in inst.projects if p.id in led.awards for q in p.depends_on}
    out = set()
    for q in led.awards:
        p = inst.projects[inst.project_index[q]]
        if p.mandatory or q in needed:
            continue
        gp, total = led.perf_gp[q], led.total_perf_gp - led.perf_gp[q]
        lineage = inst.area_lineage[p.area]
        if all(led.area_perf_gp.get(a.id, 0.0) - (gp if a.id in lineage else 0.0)
               >= a.min_share * total - TOL * max(1.0, total) for a in inst.spec.areas):
            out.add(q)
    return out


def _weakest(books: Books, members: Iterable[str], per_cost: dict[str, float] | None = None
             ) -> tuple[str, float] | None:
    """The displaceable member with the least value per unit of the resource."""
    led = books.ledger
    if books.displaceable is None:
        books.displaceable = _displaceable(books)
    best = None
    for q in members:
        if q not in books.displaceable:
            continue
        if per_cost is not None:
            cost = per_cost.get(q, 0.0)
            d = led.value[q] / cost if cost > 0 else None
        else:
            d = led.density(q)
        if d is not None and (best is None or d < best[1]):
            best = (q, d)
    return best


def _public_cost(books: Books) -> dict[str, float]:
    inst, led = books.instance, books.ledger
    out = {}
    for q, a in led.awards.items():
        p = inst.projects[inst.project_index[q]]
        first, last = led.runs[q]
        out[q] = sum(n * books.types[inst.type_index[g]].opex_per_period
                     for g, n in a.gpus.items()) * (last - first + 1) * public_share(inst,
                                                                                     p.partner)
    return out


def _shadow_cost(books: Books, p: Project, best: Placement, prices: dict) -> float:
    """Σ |dual| · coefficient over the rows best would use (capacity, power, budget,
    area caps): what its resources are worth to the funded portfolio."""
    inst = books.instance
    site = books.sites[inst.site_index[best.site]]
    run = inst.periods[best.start:best.start + best.duration]
    cost = 0.0
    for g, n in best.gpus.items():
        kw = n * books.types[inst.type_index[g]].power_kw * site.pue
        for t in run:
            cost += abs(prices.get(("capacity", (g, best.site, t)), 0.0)) * n
            cost += abs(prices.get(("power", (best.site, t)), 0.0)) * kw
    for rule in ("budget_opex", "budget_total"):
        cost += abs(prices.get((rule, ()), prices.get((rule, ("",)), 0.0))) * best.public_cost
    for a in inst.spec.areas:
        if a.id in inst.area_lineage[p.area]:
            dual = abs(prices.get(("area_max_share", (a.id,)), 0.0))
            cost += dual * (1.0 - a.max_share) * best.perf_gp
    return cost


def how_far(books: Books, p: Project, base: Explanation, best: Placement | None,
              prices: dict | None, gap: float | None) -> Explanation:
    """Fill in how far p was from funding; see the module docstring."""
    led = books.ledger
    w = books.w
    if best is None or best.perf_gp <= 0:
        return replace(base, distance="—")
    if base.rule is Reason.NOT_CHOSEN:
        return replace(base, distance=w("Adding it would raise the total value by {value}.",
                                        value=short(best.value)))
    if prices is not None:
        cost = _shadow_cost(books, p, best, prices)
        if cost > TOL:
            ratio = best.value / cost
            verb = w("short of") if ratio < 1 else w("above")
            return replace(base, benchmark=cost / best.perf_gp, compared_with="shadow prices",
                           ratio=ratio,
                           distance=w("Value {value} against {cost} for the resources it "
                                      "needs at shadow prices ({pct} %, {verb} break-even).",
                                      value=short(best.value), cost=short(cost),
                                      pct=f"{100 * ratio:.0f}", verb=verb))
    resource = next((b.resource for b in (best.blocks or ()) if b.rule is base.rule), ())
    per_cost = None
    run0, run1 = best.start, best.start + best.duration - 1
    overlap = [q for q, (a, b) in led.runs.items() if a <= run1 and b >= run0]
    if base.rule is Reason.CAPACITY:
        types, site = set(resource[1:-1]), resource[-1]
        members = [q for q in overlap if led.awards[q].site == site
                   and types & set(led.awards[q].gpus)]
        what = w("using {types} at {site}", types="/".join(sorted(types)), site=site)
    elif base.rule is Reason.POWER:
        members = [q for q in overlap if led.awards[q].site == resource[1]]
        what = w("drawing power at {site}", site=resource[1])
    elif base.rule is Reason.AREA_MAX_SHARE:
        inst = books.instance
        members = [q for q in led.awards
                   if resource[1] in inst.area_lineage[inst.projects[inst.project_index[q]].area]]
        what = w("in area {area}", area=resource[1])
    elif base.rule is Reason.BUDGET:
        members, per_cost, what = list(led.awards), _public_cost(books), w("on the public budget")
    elif base.rule is Reason.EXCLUSION:
        q = next(q for q in sorted(books.excluded_by[p.id]) if q in led.awards)
        ratio = best.value / led.value[q] if led.value[q] > 0 else None
        return replace(base, compared_with=q, ratio=ratio,
                       distance=w("Worth {value} against {other} for {q}.",
                                  value=short(best.value), other=short(led.value[q]), q=q))
    else:
        return replace(base, distance="—")
    weakest = _weakest(books, members, per_cost)
    if weakest is None:
        return replace(base, distance="—")
    q, bench = weakest
    mine = best.value / best.public_cost if per_cost is not None and best.public_cost > 0 \
        else density_of(best)
    currency = books.instance.spec.policy.budget.currency
    unit = w("per {currency} of public money", currency=currency) if per_cost is not None \
        else w("per performance-equivalent GPU-period")
    ratio = mine / bench if bench > 0 else None
    if ratio is None:
        return replace(base, distance="—")
    fields = {"mine": f"{mine:,.3g}", "unit": unit, "what": what, "q": q,
              "bench": f"{bench:,.3g}"}
    if ratio < 1:
        text = w("Worth {mine} {unit}, {below} % below the weakest funded project that could "
                 "make room {what} ({q}: {bench}); it would need about {more} % more merit to "
                 "compete.", below=f"{100 * (1 - ratio):.0f}",
                 more=f"{100 * (1 / ratio - 1):.0f}", **fields)
    elif gap and gap > 1e-3:
        text = w("Worth {mine} {unit}, {ratio}× the weakest funded project that could make "
                 "room {what} ({q}: {bench}): it is held out by fit, not value; the run "
                 "stopped at a {gap} % gap, so a longer run may fund it.",
                 ratio=f"{ratio:.2g}", gap=f"{100 * gap:.1f}", **fields)
    else:
        text = w("Worth {mine} {unit}, {ratio}× the weakest funded project that could make "
                 "room {what} ({q}: {bench}): it is held out by fit, not value (its size and "
                 "window against what is left).", ratio=f"{ratio:.2g}", **fields)
    return replace(base, benchmark=bench, compared_with=q, ratio=ratio, distance=text)


def density_of(placement: Placement) -> float:
    return placement.value / placement.perf_gp if placement.perf_gp > 0 else 0.0
