"""The table of checks in allocopt.verify: each check_* catches its own rule's
violation on a hand-made broken allocation, reports only the rules it declares, and
the table covers every rule family the model builds."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import allocopt.verify
from allocopt.backends.base import Status
from allocopt.model.build import RULES
from allocopt.model.columns import build_columns
from allocopt.solution import Award, Purchase, Solution
from allocopt.verify import (
    AWARD_CHECKS,
    CHECKS,
    assignment,
    budget,
    capacity,
    dependencies,
    elastic,
    granularity,
    policy,
    power,
    procurement,
    rules_checked,
    shares,
    verify,
    window,
)
from allocopt.verify.context import build_context

from conftest import make, project


def award(pid: str = "P1", gpus: dict | None = None, start: str = "T1", end: str = "T1",
          config: str | None = "c", site: str = "S") -> Award:
    return Award(pid, config, site, start, end, gpus or {"H": 10.0})


def allocation(*awards: Award, purchases: tuple[Purchase, ...] = (),
               objective: float | None = None, recorded: dict | None = None) -> Solution:
    return Solution(Status.OPTIMAL, objective, None, None, "hand", 0.0, awards=list(awards),
                    purchases=list(purchases), policy=recorded or {})


ELASTIC = {"elastic": {"min_gpus": 4, "max_gpus": 8, "types": ["H"], "max_units": 3}}
BUY = [{"id": "buy", "type": "H", "price": 10, "earliest_period": "T2", "max_units": 4}]


@dataclass
class Case:
    """A check, an instance and a broken allocation, and the rules it must report."""

    check: Callable
    instance: Callable
    solution: Solution
    rules: set[str]
    ids: str = ""


CASES = [
    Case(assignment.check_award, lambda: make([project("P1")]),
         allocation(award("ZZ")), {"assignment"}, "unknown project"),
    Case(assignment.check_award, lambda: make([project("P1")]),
         allocation(award(), award()), {"assignment"}, "awarded twice"),
    Case(assignment.check_award, lambda: make([project("P1")]),
         allocation(award(site="nowhere")), {"assignment"}, "unknown site"),
    Case(window.check_window,
         lambda: make([project("P1", window={"duration": 1, "earliest_start": "T2"})]),
         allocation(award()), {"window"}, "before its window"),
    Case(assignment.check_gpu_types,
         lambda: make([project("P1", gpus={"A": 4})],
                      sites=[{"id": "S", "power_mw": 1.0, "pue": 1.0, "hosts": ["A"]}],
                      supply=[{"type": "A", "site": "S", "period": "T1", "units": 10}]),
         allocation(award(gpus={"H": 4.0, "Z": 1.0})), {"site_hosts", "assignment"},
         "type not hosted and unknown"),
    Case(granularity.check_granularity, lambda: make([project("P1")]),
         allocation(award(gpus={"H": 9.5})), {"granularity"}, "half a GPU"),
    Case(granularity.check_granularity,
         lambda: make([project("P1", gpus={"H": 8})], policy={"granularity": "node"}),
         allocation(award(gpus={"H": 6.0})), {"granularity"}, "part of a node"),
    Case(assignment.check_configuration, lambda: make([project("P1")]),
         allocation(award(gpus={"H": 5.0})), {"assignment"}, "not the configuration's GPUs"),
    Case(assignment.check_configuration, lambda: make([project("P1")]),
         allocation(award(config="other")), {"assignment"}, "unknown configuration"),
    Case(elastic.check_elastic, lambda: make([project("P1", request=ELASTIC)]),
         allocation(award(gpus={"H": 1.0}, config=None)), {"elastic_min"}, "below min"),
    Case(elastic.check_elastic, lambda: make([project("P1", request=ELASTIC)]),
         allocation(award(gpus={"H": 5.0}, config=None)), {"elastic_max", "elastic_units"},
         "above max and max_units"),
    Case(elastic.check_elastic, lambda: make([project("P1", request=ELASTIC)]),
         allocation(award(gpus={"H": 2.0, "A": 1.0}, config="c")), {"elastic", "assignment"},
         "unusable type and a configuration"),
    Case(window.check_duration, lambda: make([project("P1")]),
         allocation(award(end="T2")), {"window"}, "two periods instead of one"),
    Case(assignment.check_mandatory, lambda: make([project("P1", mandatory=True)]),
         allocation(), {"assignment"}, "mandatory not funded"),
    Case(procurement.check_purchases, lambda: make([], procurement=BUY),
         allocation(purchases=(Purchase("buy", "H", "S", "T1", 4.0),)),
         {"procurement_lead_time"}, "before the earliest period"),
    Case(procurement.check_purchases, lambda: make([], procurement=BUY),
         allocation(purchases=(Purchase("nope", "H", "S", "T2", 4.0),
                               Purchase("buy", "H", "S", "T2", 1.5))),
         {"procurement"}, "unknown option and a fraction"),
    Case(procurement.check_procurement_quota, lambda: make([], procurement=BUY),
         allocation(purchases=(Purchase("buy", "H", "S", "T2", 3.0),
                               Purchase("buy", "H", "S", "T2", 2.0))),
         {"procurement_quota"}, "over the quota"),
    Case(capacity.check_capacity, lambda: make([project("P1"), project("P2")]),
         allocation(award("P1"), award("P2")), {"capacity"}, "20 H of 10"),
    Case(power.check_power,
         lambda: make([project("P1")], sites=[{"id": "S", "power_mw": 0.005, "pue": 1.0}]),
         allocation(award()), {"power"}, "10 kW of 5"),
    Case(dependencies.check_dependencies,
         lambda: make([project("P1"), project("P2", depends_on=["P1"])]),
         allocation(award("P2", gpus={"H": 10.0})), {"dependency"}, "dependency unfunded"),
    Case(dependencies.check_dependencies,
         lambda: make([project("P1", window={"duration": 1}),
                       project("P2", depends_on=["P1"], window={"duration": 1})]),
         allocation(award("P1", gpus={"H": 5.0}), award("P2", gpus={"H": 5.0})),
         {"dependency"}, "dependency not finished first"),
    Case(dependencies.check_dependencies,
         lambda: make([project("P1", gpus={"H": 5}), project("P2", gpus={"H": 5},
                                                             excludes=["P1"])]),
         allocation(award("P1", gpus={"H": 5.0}), award("P2", gpus={"H": 5.0})),
         {"exclusion"}, "both of an excluding pair"),
    Case(shares.check_area_shares,
         lambda: make([project("P1")], areas=[
             {"id": "health", "weight": 1.0, "max_share": 0.5},
             {"id": "justice", "weight": 1.0, "min_share": 0.5}]),
         allocation(award()), {"area_min_share", "area_max_share"}, "all to one area"),
    Case(budget.check_budget,
         lambda: make([project("P1")], procurement=BUY,
                      policy={"budget": {"capex": 10, "opex": 5, "total": 30}}),
         allocation(award(), purchases=(Purchase("buy", "H", "S", "T2", 2.0),)),
         {"budget_capex", "budget_opex"}, "capex 20 of 10, opex 10 of 5"),
    Case(budget.check_budget,
         lambda: make([project("P1")], procurement=BUY,
                      policy={"budget": {"total": 25}}),
         allocation(award(), purchases=(Purchase("buy", "H", "S", "T2", 2.0),)),
         {"budget_total"}, "capex and opex 30 of 25"),
    Case(policy.check_policy, lambda: make([project("P1")]),
         allocation(award(), objective=1.0), {"objective"}, "objective misreported"),
    Case(policy.check_policy,
         lambda: make([project("P1"), project("P2", gpus={"H": 5})],
                      policy={"objective": "least-cost", "least_cost": {"serve": ["P2"]}}),
         allocation(award(), recorded={"name": "least-cost"}), {"policy"},
         "least-cost does not serve"),
]


def run(check: Callable, instance, solution: Solution) -> list:
    ctx = build_context(instance, solution)
    if check in AWARD_CHECKS:
        return [v for facts in ctx.facts for v in check(ctx, facts)]
    return list(check(ctx))


@pytest.mark.parametrize("case", CASES, ids=[f"{c.check.__name__}: {c.ids}" for c in CASES])
def test_check_catches_its_rule(case: Case):
    instance = case.instance()
    found = run(case.check, instance, case.solution)
    assert {v.rule for v in found} == case.rules, found
    assert {v.rule for v in found} <= set(case.check.rules)
    # verify reports the same violations, in the same order, among the others.
    everything = verify(instance, case.solution)
    assert [v for v in everything if v in found] == found


def test_every_check_has_a_case():
    tested = {c.check for c in CASES}
    missing = [c.__name__ for c in (*AWARD_CHECKS, *CHECKS) if c not in tested]
    assert not missing, f"checks without a broken allocation here: {missing}"


def test_checks_pass_a_sound_allocation():
    instance = make([project("P1", gpus={"H": 5}), project("P2", gpus={"A": 8})])
    sound = allocation(award("P1", gpus={"H": 5.0}), award("P2", gpus={"A": 8.0}))
    for check in (*AWARD_CHECKS, *CHECKS):
        assert run(check, instance, sound) == [], check.__name__


def test_table_covers_every_rule_family_the_model_builds():
    """A rule family added to model/build.py's RULES needs its check in allocopt.verify."""
    instance = make([project("P1")])
    columns = build_columns(instance)
    built = {define(instance, columns).rule.value for define in RULES}
    missing = built - rules_checked()
    assert not missing, f"rule families of the model that verify does not check: {missing}"


def test_verify_imports_nothing_of_the_model():
    """verify recomputes every rule from the allocation alone: no allocopt.model import."""
    package = Path(allocopt.verify.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith("allocopt.model") for n in names), path.name
