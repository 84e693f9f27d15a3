"""Supply scenarios as plain instances: what arrives where, when, under a shock.

A scenario blocks shares of some deliveries and delays sites. Deliveries round down
to whole GPUs after blocking; what a delay pushes past the horizon never arrives.
Purchases obey the same scenario: of the units bought to arrive at a site in a
period, `retained` share arrives (whole units, or whole nodes under node
granularity), `delay` periods later.

`fixed_purchase_instance` turns a scenario and a purchase plan into an ordinary
instance (the plan's arrivals become deliveries, its cost comes off the budget): the
allocation of that scenario can then be re-solved or verified on its own, by the
same code as any instance.
"""

from __future__ import annotations

import math

from allocopt.instance import Instance, from_spec
from allocopt.instance.schema import Delivery, Granularity, Objective, Scenario
from allocopt.solution import Purchase


def retained(scenario: Scenario, gpu_type: str, site: str, period: str,
             period_index: dict[str, int]) -> float:
    """The share of units of `gpu_type` scheduled at `site` in `period` that arrives."""
    share = 1.0
    for b in scenario.blocked:
        if (b.type == gpu_type and (not b.sites or site in b.sites)
                and period_index[period] >= period_index[b.from_period]):
            share *= 1.0 - b.share
    return share


def delay(scenario: Scenario, site: str) -> int:
    """Periods by which everything arriving at `site` is late."""
    return sum(d.periods for d in scenario.delays if d.site == site)


def _arrivals(instance: Instance, scenario: Scenario, gpu_type: str, site: str, period: str,
              units: float, step: int) -> Delivery | None:
    periods = instance.periods
    kept = math.floor(units / step * retained(scenario, gpu_type, site, period,
                                              instance.period_index) + 1e-9) * step
    t = instance.period_index[period] + delay(scenario, site)
    if kept <= 0 or t >= len(periods):
        return None
    return Delivery(type=gpu_type, site=site, period=periods[t], units=int(kept))


def scenario_supply(instance: Instance, scenario: Scenario) -> tuple[Delivery, ...]:
    out = []
    for d in instance.spec.supply:
        arrived = _arrivals(instance, scenario, d.type, d.site, d.period, d.units, 1)
        if arrived is not None:
            out.append(arrived.model_copy(update={"partner": d.partner}))
    return tuple(out)


def scenario_instance(instance: Instance, scenario: Scenario) -> Instance:
    """`instance` under `scenario`'s deliveries, weighted-value policy, purchases
    still open (at face value: use the robust policy to see them blocked)."""
    policy = instance.spec.policy.model_copy(update={"objective": Objective.WEIGHTED})
    spec = instance.spec.model_copy(update={
        "name": f"{instance.name}/{scenario.id}", "supply": scenario_supply(instance, scenario),
        "policy": policy, "scenarios": ()})
    return from_spec(spec, instance.source, list(instance.origins))


def node_step(instance: Instance, gpu_type: str) -> int:
    if instance.spec.policy.granularity is Granularity.NODE:
        return instance.spec.gpu_types[instance.type_index[gpu_type]].node_size
    return 1


def fixed_purchase_instance(instance: Instance, scenario: Scenario,
                            purchases: list[Purchase]) -> Instance:
    """`instance` under `scenario` with `purchases` already made: their arrivals are
    deliveries, nothing more can be bought, and their cost is spent."""
    supply = list(scenario_supply(instance, scenario))
    spent = 0.0
    prices = {(o.id or f"{o.type}#{k}"): o.price for k, o in enumerate(instance.spec.procurement)}
    for b in purchases:
        spent += b.units * prices[b.option]
        arrived = _arrivals(instance, scenario, b.gpu_type, b.site, b.period, b.units,
                            node_step(instance, b.gpu_type))
        if arrived is not None:
            supply.append(arrived)
    budget = instance.spec.policy.budget
    remaining = {k: (None if getattr(budget, k) is None else max(0.0, getattr(budget, k) - spent))
                 for k in ("capex", "total")}
    policy = instance.spec.policy.model_copy(update={
        "objective": Objective.WEIGHTED, "budget": budget.model_copy(update=remaining)})
    spec = instance.spec.model_copy(update={
        "name": f"{instance.name}/{scenario.id}", "supply": tuple(supply), "procurement": (),
        "policy": policy, "scenarios": ()})
    return from_spec(spec, instance.source, list(instance.origins))
