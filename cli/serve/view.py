"""What the page shows of an allocation, as JSON-ready data: value, bound and gap, the
funded projects, area shares, GPU use per type and period, spend against each budget
line, and the difference from the baseline. The figures are the results folder's
(`allocopt.results.summarise`), so the page and a downloaded folder agree."""

from __future__ import annotations

from typing import Any

BUDGET_LINES = ("capex", "opex", "total")


def controls(instance) -> dict[str, Any]:
    """The instance's editable values, for the page's controls."""
    spec = instance.spec
    budget = spec.policy.budget
    return {
        "name": instance.name,
        "periods": list(instance.periods),
        "gpu_types": [g.id for g in spec.gpu_types],
        "currency": budget.currency,
        "budget": {line: getattr(budget, line) for line in BUDGET_LINES},
        "areas": [{"id": a.id, "weight": a.weight, "min_share": a.min_share,
                   "max_share": a.max_share} for a in spec.areas],
        "projects": [{"id": p.id, "title": p.title, "area": p.area, "score": p.score,
                      "mandatory": p.mandatory} for p in spec.projects],
    }


def gpu_use(instance, solution) -> dict[str, dict[str, list[float]]]:
    """Per GPU type: GPUs awarded and units delivered (before purchases), per period."""
    index = instance.period_index
    periods = len(instance.periods)
    used = {g.id: [0.0] * periods for g in instance.spec.gpu_types}
    for award in solution.awards:
        for gpu, n in award.gpus.items():
            for t in range(index[award.start], index[award.end] + 1):
                used[gpu][t] += n
    on_hand = instance.supply_cumulative.sum(axis=1)
    for purchase in solution.purchases:
        on_hand[instance.type_index[purchase.gpu_type], index[purchase.period]:] += purchase.units
    return {g.id: {"used": used[g.id], "on_hand": [float(x) for x in on_hand[k]]}
            for k, g in enumerate(instance.spec.gpu_types)}


def allocation(instance, solution, verified: bool) -> dict[str, Any]:
    """One allocation as the page shows it."""
    from allocopt.results import summarise

    summary = summarise(instance, solution)
    spend = summary["spend"]
    budget = instance.spec.policy.budget
    return {
        "status": solution.status.value,
        "objective": solution.objective,
        "bound": solution.bound,
        "gap": solution.gap,
        "verified": verified,
        "funded": sorted(a.project for a in solution.awards),
        "areas": {area: figures["share"] for area, figures in summary["areas"].items()},
        "gpu_use": gpu_use(instance, solution),
        "spend": [{"line": line, "spent": spend[key], "limit": getattr(budget, line)}
                  for line, key in (("capex", "capex"), ("opex", "opex_public"),
                                    ("total", "total"))],
    }


def difference(baseline: dict[str, Any], shown: dict[str, Any]) -> dict[str, Any]:
    """Projects gained and lost, area shares and value, `shown` against `baseline`."""
    before, after = set(baseline["funded"]), set(shown["funded"])
    value = (None if baseline["objective"] is None or shown["objective"] is None
             else shown["objective"] - baseline["objective"])
    return {"gained": sorted(after - before), "lost": sorted(before - after), "value": value,
            "areas": {area: share - baseline["areas"].get(area, 0.0)
                      for area, share in shown["areas"].items()}}
