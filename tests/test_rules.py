"""Each rule family binds on a tiny instance and changes the optimum, by hand.

BASE (conftest): types H (perf 2, 1 kW, opex 1) and A (perf 1, 0.5 kW, opex 0.5),
10 of each at site S from T1, periods T1..T2. A configuration is worth its
performance-equivalent GPU-periods (count x perf x duration) x area weight x score.
"""

from __future__ import annotations

import math

from conftest import funded, make, project, solved

LONG = {"window": {"duration": 2}}


def value(instance) -> float:
    return solved(instance).objective


def test_capacity_binds():
    two = [project("P1", gpus={"H": 10}, **LONG), project("P2", gpus={"H": 6}, **LONG)]
    assert math.isclose(value(make(two)), 40.0)  # 10 H for 2 periods: only P1 fits
    more = {"type": "H", "site": "S", "period": "T1", "units": 6}
    base_supply = make(two).spec.supply
    assert math.isclose(value(make(two, supply=[*map(dict, base_supply), more])), 64.0)


def test_power_binds():
    two = [project("P1", gpus={"H": 10}, **LONG), project("P2", gpus={"H": 6}, **LONG)]
    sites = [{"id": "S", "power_mw": 0.008, "pue": 1.0}]  # 8 kW: 10 H draw 10 kW
    solution = solved(make(two, sites=sites))
    assert funded(solution) == {"P2"} and math.isclose(solution.objective, 24.0)
    sites = [{"id": "S", "power_mw": 0.008, "pue": 1.25}]  # 6 H x 1.25 = 7.5 kW still fits
    assert math.isclose(value(make(two, sites=sites)), 24.0)
    sites = [{"id": "S", "power_mw": 0.007, "pue": 1.25}]
    assert value(make(two, sites=sites)) == 0.0


def test_mandatory_forces_a_worse_choice():
    two = [project("P1", gpus={"H": 10}, **LONG),
           project("P2", gpus={"H": 6}, mandatory=True, **LONG)]
    solution = solved(make(two))
    assert funded(solution) == {"P2"} and math.isclose(solution.objective, 24.0)


def test_elastic_max_and_min():
    elastic = {"elastic": {"min_gpus": 4, "max_gpus": 12, "types": ["H", "A"]}}
    window = {"window": {"latest_end": "T1"}}
    e = [{"id": "E", "area": "health", "request": elastic, **window}]
    assert math.isclose(value(make(e)), 12.0)  # capped by max_gpus
    elastic = {"elastic": {"min_gpus": 30, "max_gpus": 40, "types": ["H", "A"]}}
    e = [{"id": "E", "area": "health", "request": elastic, **window}]
    assert math.isclose(value(make(e)), 30.0)  # 10 H x 2 + 10 A x 1: exactly the minimum
    short = [{"type": "H", "site": "S", "period": "T1", "units": 10},
             {"type": "A", "site": "S", "period": "T1", "units": 5}]
    assert value(make(e, supply=short)) == 0.0  # 25 < min_gpus 30: not viable


def test_elastic_efficiency_overrides_perf():
    elastic = {"elastic": {"min_gpus": 1, "max_gpus": 100, "types": ["A"],
                           "efficiency": {"A": 0.5}}}
    e = [{"id": "E", "area": "health", "request": elastic, "window": {"latest_end": "T1"}}]
    solution = solved(make(e))
    assert math.isclose(solution.objective, 5.0)  # 10 A x 0.5
    assert solution.awards[0].gpus == {"A": 10.0}


def test_dependency_orders_and_requires():
    p1 = project("P1", gpus={"H": 10})
    p2 = project("P2", gpus={"A": 10}, window={"latest_end": "T1"})
    assert math.isclose(value(make([p1, p2])), 30.0)
    p2["depends_on"] = ["P1"]  # P2 must start after P1 ends, but may only run in T1
    solution = solved(make([p1, p2]))
    assert funded(solution) == {"P1"} and math.isclose(solution.objective, 20.0)
    p2["window"] = {"latest_end": "T2"}
    solution = solved(make([p1, p2]))
    by = {a.project: a for a in solution.awards}
    assert by["P1"].end == "T1" and by["P2"].start == "T2"


def test_exclusion():
    p1 = project("P1", gpus={"H": 10}, excludes=["P2"])
    p2 = project("P2", gpus={"A": 10})
    solution = solved(make([p1, p2]))
    assert funded(solution) == {"P1"} and math.isclose(solution.objective, 20.0)


def test_area_min_share():
    p1 = project("P1", gpus={"H": 10})
    p2 = project("P2", area="justice", gpus={"A": 10})
    areas = [{"id": "health"}, {"id": "justice", "min_share": 0.5}]
    solution = solved(make([p1, p2], areas=areas))  # both: justice 10/30 < 0.5
    assert funded(solution) == {"P2"} and math.isclose(solution.objective, 10.0)
    p3 = project("P3", area="justice", gpus={"A": 10}, window={"earliest_start": "T2"})
    assert math.isclose(value(make([p1, p2, p3], areas=areas)), 40.0)  # 20/40 = 0.5


def test_area_max_share_counts_children():
    p1 = project("P1", area="pediatric", gpus={"H": 10})
    p2 = project("P2", area="justice", gpus={"A": 10})
    areas = [{"id": "health", "max_share": 0.5}, {"id": "justice"},
             {"id": "pediatric", "parent": "health", "weight": 3.0}]
    solution = solved(make([p1, p2], areas=areas))  # health 20/30 > 0.5
    assert funded(solution) == {"P2"}
    areas[0] = {"id": "health", "max_share": 0.7, "weight": 0.5}
    solution = solved(make([p1, p2], areas=areas))  # weight 0.5 x 3 on P1's 20
    assert funded(solution) == {"P1", "P2"} and math.isclose(solution.objective, 40.0)


def test_budget_opex_and_cofunding():
    p1 = project("P1", gpus={"H": 10}, partner="X")
    p2 = project("P2", gpus={"A": 10})
    policy = {"budget": {"opex": 12.0}}  # opex: P1 10, P2 5
    solution = solved(make([p1, p2], policy=policy, partners=[{"id": "X"}]))
    assert funded(solution) == {"P1"}
    partners = [{"id": "X", "cofunding_share": 0.5}]  # P1 now costs the public 5
    solution = solved(make([p1, p2], policy=policy, partners=partners))
    assert funded(solution) == {"P1", "P2"} and math.isclose(solution.objective, 30.0)
    policy = {"budget": {"total": 9.0}}
    solution = solved(make([p1, p2], policy=policy, partners=partners))
    assert funded(solution) == {"P1"}


def test_procurement_budget_quota_and_lead_time():
    two = [project("P1", gpus={"H": 10}, **LONG), project("P2", gpus={"H": 6}, **LONG)]
    option = {"id": "buyH", "type": "H", "price": 10.0, "earliest_period": "T1",
              "max_units": 6}
    solution = solved(make(two, procurement=[option], policy={"budget": {"capex": 60}}))
    assert math.isclose(solution.objective, 64.0)
    assert [(b.option, b.units, b.period) for b in solution.purchases] == [("buyH", 6.0, "T1")]
    assert math.isclose(value(make(two, procurement=[option],
                                   policy={"budget": {"capex": 50}})), 40.0)
    assert math.isclose(value(make(two, procurement=[{**option, "max_units": 5}])), 40.0)
    late = {**option, "earliest_period": "T2"}
    assert math.isclose(value(make(two, procurement=[late])), 40.0)


def test_late_start_penalty():
    p1 = project("P1", gpus={"H": 10}, score=2.0)
    p2 = project("P2", gpus={"H": 10})
    solution = solved(make([p1, p2], policy={"late_start_penalty": 0.25}))
    by = {a.project: a for a in solution.awards}
    assert by["P1"].start == "T1" and by["P2"].start == "T2"
    assert math.isclose(solution.objective, 40.0 + 20.0 * 0.75)


def test_node_granularity_rounds_up_to_nodes():
    two = [project("P1", gpus={"H": 6}, **LONG), project("P2", gpus={"H": 4}, **LONG)]
    assert math.isclose(value(make(two)), 40.0)  # 6 + 4 = 10 GPUs fit
    solution = solved(make(two, policy={"granularity": "node"}))  # 8 + 4 nodes' GPUs > 10
    assert math.isclose(solution.objective, 24.0)
    assert solution.awards[0].gpus == {"H": 8.0}


def test_fractional_granularity_allows_time_shares():
    elastic = {"elastic": {"min_gpus": 1, "max_gpus": 12.5, "types": ["A"]}}
    e = [{"id": "E", "area": "health", "request": elastic, "window": {"latest_end": "T1"}}]
    supply = [{"type": "A", "site": "S", "period": "T1", "units": 20}]
    assert math.isclose(value(make(e, supply=supply)), 12.0)
    assert math.isclose(value(make(e, supply=supply, policy={"granularity": "fractional"})), 12.5)


def test_configuration_alternative_and_site_hosting():
    p1 = {"id": "P1", "area": "health", "window": {"duration": 2},
          "request": {"configurations": [{"id": "h", "gpus": {"H": 10}},
                                         {"id": "a", "gpus": {"A": 10}, "value": 30.0}]}}
    solution = solved(make([p1]))
    assert solution.awards[0].configuration == "h"  # 10 x 2 x 2 = 40 > 30
    sites = [{"id": "S", "power_mw": 1.0, "hosts": ["A"]}]
    supply = [{"type": "A", "site": "S", "period": "T1", "units": 10}]
    solution = solved(make([p1], sites=sites, supply=supply))
    assert solution.awards[0].configuration == "a" and math.isclose(solution.objective, 30.0)


def test_elastic_max_units_caps_gpus_whatever_their_speed():
    elastic = {"elastic": {"min_gpus": 1, "max_gpus": 100, "types": ["H", "A"],
                           "max_units": 12}}
    e = [{"id": "E", "area": "health", "request": elastic, "window": {"latest_end": "T1"}}]
    solution = solved(make(e))  # 10 H (perf 2) then 2 A (perf 1): 22
    assert math.isclose(solution.objective, 22.0)
    assert solution.awards[0].gpus == {"A": 2.0, "H": 10.0}
    fractional = solved(make(e, policy={"granularity": "fractional"}))
    assert math.isclose(fractional.objective, 22.0)
