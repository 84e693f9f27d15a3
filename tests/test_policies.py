"""Policies (`allocopt.policies`) against their definitions, by brute force.

Every feasible allocation of a tiny seeded instance is enumerated
(`bruteforce.feasible_allocations`, no value-based pruning); each policy's optimum is
then computed here from the docstrings of measures.py, fairness.py and objectives.py,
sharing no code with `allocopt.policies` or `allocopt.model`:

* an area's amount received: the performance-equivalent GPU-periods (`gpus`) or
  score x value x start factor (`value`) of its projects and its sub-areas' projects;
  its fair share: weight / Σ weights x total, total = GPU-periods delivered over the
  horizon (`gpus`) or every request fully granted (`value`); satisfaction = received /
  fair share, over top-level areas of positive weight;
* max–min: the sorted satisfaction vector, lexicographically largest; then the best
  weighted value among the allocations that reach it;
* proportional: Σ w log s with log replaced by its chords on `pieces` geometric pieces
  from the smallest positive satisfaction one award can bring to the most the area
  could receive (below: a segment falling by M to 0); the true Σ w log s of the answer within
  the reported approximation error of the best;
* lexicographic: tier values (own tier, else the nearest area's; untiered last), each
  the best among allocations keeping every earlier tier within the tolerance;
* least cost: capex + public opex, least among allocations that fund the `serve`
  projects and reach the value floor and share.

"The most an area could receive" and "one award" consider each award alone, with
every unit procurement could bring to its site: window, hosting, capacity, power,
granularity and elastic limits hold, budgets and links to other projects are ignored.
Elastic requests here use one GPU type, with min_gpus one unit's performance, so that
the smallest award is one unit.

Regression tests pin four bugs this file once found: cpsat refused the rows that keep
an earlier stage; the proportional policy left an area empty when every area could be
served; an elastic request with two types counted beyond its max_gpus; HiGHS's presolve
called a stage infeasible that its previous stage's allocation met (seed 0, proportional
across projects: the stages now widen the keep rows and solve again).
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from allocopt import from_spec, load_instance
from allocopt.backends import REGISTRY, Feature, Result, SolveOptions, Status
from allocopt.errors import BackendError
from allocopt.instance import Instance
from allocopt.instance.schema import InstanceSpec
from allocopt.model.program import VarKind
from allocopt.report.tables import policy_text
from allocopt.solution import Solution
from allocopt.solving.pipeline import solve
from allocopt.verify import verify

from bruteforce import area_weight, feasible_allocations, project_choices, purchase_plans
from bruteforce import start_factor as factor_of_start
from conftest import ROOT

INSTALLED = [n for n, b in REGISTRY.items() if b.version() is not None]
MILP = [b for b in ("scip", "highs") if b in INSTALLED]
EXACT = SolveOptions(gap=0.0)
SEEDS = range(20)
TOL = 1e-6

needs = {b: pytest.mark.skipif(b not in INSTALLED, reason=f"{b} is not installed")
         for b in ("scip", "highs", "cbc", "cpsat")}



# --- tiny seeded instances -------------------------------------------------------------

def tiny_spec(seed: int) -> dict[str, Any]:
    """2-3 top-level areas (sometimes a sub-area), 3-5 projects, 1-2 GPU types, 1-2
    periods, sometimes a second site, a purchase option, an elastic request, a budget,
    a partner, a mandatory project, a dependency or an exclusion, and tiers."""
    rng = np.random.default_rng(seed)

    def pick(values: list) -> Any:
        return values[int(rng.integers(len(values)))]

    periods = [f"T{i + 1}" for i in range(pick([1, 2, 2]))]
    type_ids = ["H", "A"][:pick([1, 2])]
    granularity = pick(["gpu", "gpu", "gpu", "node"])
    gpu_types = [{"id": g, "perf": pick([1.0, 2.0, 0.5]), "power_kw": pick([1.0, 0.5]),
                  "node_size": 2, "opex_per_period": pick([1.0, 0.5, 2.0])} for g in type_ids]
    sites = [{"id": "S1", "power_mw": pick([1.0, 1.0, 0.005]), "pue": 1.0}]
    supply = [{"type": g, "site": "S1", "period": "T1", "units": pick([4, 6, 8])}
              for g in type_ids]
    if len(periods) == 2 and rng.random() < 0.4:
        supply.append({"type": type_ids[0], "site": "S1", "period": "T2", "units": 2})
    if len(type_ids) == 2 and rng.random() < 0.3:
        sites.append({"id": "S2", "power_mw": 1.0, "pue": 1.2, "hosts": ["A"]})
        supply.append({"type": "A", "site": "S2", "period": "T1", "units": 2})
    procurement = []
    if rng.random() < 0.4:
        procurement.append({"id": "buy", "type": pick(type_ids), "price": pick([1.0, 2.0]),
                            "earliest_period": pick(periods), "max_units": 2,
                            "sites": ["S1"]})

    areas = [{"id": a, "weight": pick([1.0, 1.0, 2.0, 0.5]), "tier": pick([None, None, 1, 2])}
             for a in ["a", "b", "c"][:pick([2, 3])]]
    if rng.random() < 0.3:
        areas.append({"id": "a1", "parent": "a", "weight": pick([0.5, 2.0]),
                      "tier": pick([None, 1, 3])})
    if rng.random() < 0.15:
        areas[1]["min_share"] = 0.2
    partners = [{"id": "Q", "cofunding_share": 0.5}] if rng.random() < 0.3 else []

    n_projects = pick([3, 4, 5])
    if len(periods) == 2 and (len(sites) == 2 or procurement):
        n_projects = min(n_projects, 4)
    elastic_at = int(rng.integers(n_projects)) if rng.random() < 0.3 else -1
    perf = {g["id"]: g["perf"] for g in gpu_types}
    projects = []
    for i in range(n_projects):
        duration = 2 if len(periods) == 2 and rng.random() < 0.25 else 1
        body: dict[str, Any] = {
            "id": f"P{i}", "area": pick([a["id"] for a in areas]),
            "score": pick([1.0, 2.0, 1.0]), "window": {"duration": duration},
            "mandatory": bool(rng.random() < 0.05), "tier": pick([None] * 4 + [1, 2, 3])}
        if duration == 1 and len(periods) == 2 and rng.random() < 0.2:
            body["window"]["earliest_start"] = "T2"
        if partners and rng.random() < 0.3:
            body["partner"] = "Q"
        if i and rng.random() < 0.15:
            body["depends_on"] = [f"P{int(rng.integers(i))}"]
        elif i and rng.random() < 0.1:
            body["excludes"] = [f"P{int(rng.integers(i))}"]
        if i == elastic_at:
            g = pick(type_ids)
            eff = pick([perf[g], perf[g], 1.5])
            unit = 2 if granularity == "node" else 1
            body["request"] = {"elastic": {
                "min_gpus": eff * unit, "max_gpus": eff * unit * pick([2, 3]), "types": [g],
                "efficiency": {g: eff}}}
        else:
            body["request"] = {"configurations": [
                {"id": f"c{c}", "gpus": {pick(type_ids): pick([1, 2, 3])},
                 "value": pick([None, None, None, 6.0])}
                for c in range(pick([1, 1, 2]))]}
        projects.append(body)

    budget = pick([{}, {}, {"opex": 4.0}, {"total": 6.0}])
    return {"name": f"tiny-{seed}", "periods": periods, "gpu_types": gpu_types,
            "sites": sites, "supply": supply, "procurement": procurement, "areas": areas,
            "partners": partners, "projects": projects,
            "policy": {"granularity": granularity, "late_start_penalty": pick([0.0, 0.5]),
                       "budget": budget,
                       "fairness": {"measure": pick(["gpus", "gpus", "value"]),
                                    "pieces": pick([24, 24, 4, 1])}}}


def build(data: dict[str, Any]) -> Instance:
    return from_spec(InstanceSpec.model_validate(data))


def with_policy(data: dict[str, Any], objective: str, **settings: Any) -> Instance:
    """`data` under `objective`, with policy sections (fairness, tiers, least_cost)
    updated by `settings`."""
    data = copy.deepcopy(data)
    data.setdefault("policy", {})["objective"] = objective
    for section, values in settings.items():
        data["policy"][section] = {**data["policy"].get(section, {}), **values}
    return build(data)


# --- the definitions -------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    """What an allocation is worth under every policy's quantities."""

    solution: Solution
    funded: frozenset[str]
    value: float  # Σ area weights x score x value x start factor
    cost: float  # capex + public opex
    gpus: dict[str, float]  # top-level area -> performance-equivalent GPU-periods
    worth: dict[str, float]  # top-level area -> score x value x start factor
    tiers: dict[int | None, float]  # tier -> weighted value of its projects


def top_area(instance: Instance, area_id: str) -> str:
    parent = {a.id: a.parent for a in instance.spec.areas}
    while parent[area_id] is not None:
        area_id = parent[area_id]
    return area_id


def tier_of(instance: Instance, project_id: str) -> int | None:
    project = next(p for p in instance.spec.projects if p.id == project_id)
    if project.tier is not None:
        return project.tier
    areas = {a.id: a for a in instance.spec.areas}
    area: str | None = project.area
    while area is not None:
        if areas[area].tier is not None:
            return areas[area].tier
        area = areas[area].parent
    return None


def award_amounts(instance: Instance, award) -> tuple[float, float, float]:
    """(performance-equivalent GPU-periods, score x value x start factor, public opex)."""
    spec = instance.spec
    project = next(p for p in spec.projects if p.id == award.project)
    perf = {g.id: g.perf for g in spec.gpu_types}
    opex = {g.id: g.opex_per_period for g in spec.gpu_types}
    cofund = {q.id: q.cofunding_share for q in spec.partners}
    if award.configuration is not None:
        config = next(c for c in project.request.configurations if c.id == award.configuration)
        duration = config.duration or project.window.duration
        gp = sum(n * perf[g] for g, n in config.gpus.items()) * duration
        value = config.value if config.value is not None else gp
    else:
        e = project.request.elastic
        duration = project.window.duration
        gp = sum(e.efficiency.get(g, perf[g]) * n for g, n in award.gpus.items()) * duration
        value = gp
    factor = factor_of_start(instance, project, list(spec.periods).index(award.start))
    public = 1.0 - cofund.get(project.partner, 0.0) if project.partner else 1.0
    public_opex = sum(n * opex[g] for g, n in award.gpus.items()) * duration * public
    return gp, project.score * value * factor, public_opex


def figures(instance: Instance, solution: Solution) -> Figures:
    spec = instance.spec
    price = {(o.id or f"{o.type}#{k}"): o.price for k, o in enumerate(spec.procurement)}
    projects = {p.id: p for p in spec.projects}
    tops = [a.id for a in spec.areas if a.parent is None]
    gpus, worth = dict.fromkeys(tops, 0.0), dict.fromkeys(tops, 0.0)
    tiers: dict[int | None, float] = {}
    value = cost = 0.0
    for award in solution.awards:
        gp, w, opex = award_amounts(instance, award)
        area = projects[award.project].area
        gpus[top_area(instance, area)] += gp
        worth[top_area(instance, area)] += w
        weighted = area_weight(instance, area) * w
        value += weighted
        cost += opex
        tier = tier_of(instance, award.project)
        tiers[tier] = tiers.get(tier, 0.0) + weighted
    cost += sum(b.units * price[b.option] for b in solution.purchases)
    return Figures(solution, frozenset(a.project for a in solution.awards), value, cost,
                   gpus, worth, tiers)


# Rules that bind one award alone (with every unit procurement could bring).
ONE_AWARD_RULES = frozenset({
    "window", "site_hosts", "granularity", "capacity", "power", "elastic", "elastic_min",
    "elastic_max", "elastic_units", "procurement", "procurement_lead_time",
    "procurement_quota"})


def possible_awards(instance: Instance) -> dict[str, list]:
    """Each project's awards that could be made on their own (some purchase plan lets
    them hold every rule of ONE_AWARD_RULES)."""
    plans = purchase_plans(instance)

    def alone(award, plan) -> bool:
        trial = Solution(status=Status.OPTIMAL, objective=None, bound=None, gap=None,
                         backend="oracle", wall_s=0.0, awards=[award], purchases=plan)
        return not {v.rule for v in verify(instance, trial)} & ONE_AWARD_RULES

    return {p.id: [c.award for c in project_choices(instance, p)
                   if any(alone(c.award, plan) for plan in plans)]
            for p in instance.spec.projects}


@dataclass(frozen=True)
class Fairness:
    """Fair shares, and the proportional policy's breakpoints, from the definitions."""

    areas: tuple[str, ...]
    weights: dict[str, float]
    fair_share: dict[str, float]
    lowest: dict[str, float]  # smallest positive satisfaction one award brings (inf: none)
    highest: dict[str, float]  # the most the area could receive, as a satisfaction

    def satisfaction(self, fig: Figures, measure: str) -> dict[str, float]:
        received = fig.gpus if measure == "gpus" else fig.worth
        return {a: received[a] / self.fair_share[a] for a in self.areas}


def fairness(instance: Instance, possible: dict[str, list], measure: str) -> Fairness:
    spec = instance.spec
    areas = tuple(a.id for a in spec.areas if a.parent is None and a.weight > 0)
    weights = {a.id: a.weight for a in spec.areas if a.id in areas}
    amount = {}  # (project, award index) -> what the award brings its area
    for p in spec.projects:
        for k, award in enumerate(possible[p.id]):
            gp, w, _ = award_amounts(instance, award)
            amount[p.id, k] = (gp if measure == "gpus"
                               else w * (area_weight(instance, p.area) > 0))
    best = {p.id: max((amount[p.id, k] for k in range(len(possible[p.id]))), default=0.0)
            for p in spec.projects}
    if measure == "gpus":
        perf = {g.id: g.perf for g in spec.gpu_types}
        n = len(spec.periods)
        total = sum(d.units * perf[d.type] * (n - spec.periods.index(d.period))
                    for d in spec.supply)
    else:
        total = sum(best.values())
    total = total if total > 0 else 1.0
    share = {a: weights[a] / sum(weights.values()) * total for a in areas}
    lowest, highest = dict.fromkeys(areas, math.inf), dict.fromkeys(areas, 0.0)
    for p in spec.projects:
        a = top_area(instance, p.area)
        if a not in areas:
            continue
        highest[a] += best[p.id] / share[a]
        for k in range(len(possible[p.id])):
            if amount[p.id, k] > 0:
                lowest[a] = min(lowest[a], amount[p.id, k] / share[a])
    return Fairness(areas, weights, share, lowest, highest)


def breakpoints(lo: float, hi: float, pieces: int) -> list[float]:
    if hi > lo:
        return [lo * (hi / lo) ** (i / pieces) for i in range(pieces + 1)]
    return [lo, lo * math.e]


def chord_log(points: list[float], s: float, steep: float) -> float:
    """The piecewise-linear interpolant of log on `points`; on [0, points[0]] the
    segment falling by `steep` to 0."""
    lo = points[0]
    return min(math.log(lo) - steep + steep / lo * s,
               *(math.log(a) + (math.log(b) - math.log(a)) / (b - a) * (s - a)
                 for a, b in itertools.pairwise(points)))


def chord_error(ratio: float) -> float:
    """max over [b, ratio b] of log − its chord (at x = b (ratio − 1) / ln ratio)."""
    x = (ratio - 1.0) / math.log(ratio)
    return math.log(x) - math.log(ratio) / (ratio - 1.0) * (x - 1.0)


def lex_greater(a: list[float], b: list[float], tol: float = TOL) -> bool:
    for x, y in zip(a, b, strict=True):
        if x > y + tol:
            return True
        if x < y - tol:
            return False
    return False


def lex_max(vectors: list[list[float]]) -> list[float]:
    best = vectors[0]
    for v in vectors[1:]:
        if lex_greater(v, best):
            best = v
    return best


def same(a: list[float], b: list[float], tol: float = TOL) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


# --- the oracle, cached per seed -------------------------------------------------------

@dataclass(frozen=True)
class Oracle:
    data: dict[str, Any]
    instance: Instance
    allocations: list[Figures]
    possible: dict[str, list]

    def describe(self, solution: Solution) -> str:
        return (f"\ninstance: {self.data}\nsolver: {solution.status} {solution.objective} "
                f"{solution.awards} {solution.purchases}\npolicy: {solution.policy}")


@functools.cache
def oracle(seed: int) -> Oracle:
    data = tiny_spec(seed)
    instance = build(data)
    allocations = [figures(instance, s) for s in feasible_allocations(instance)]
    return Oracle(data, instance, allocations, possible_awards(instance))


def solved(instance: Instance, backend: str) -> Solution:
    solution = solve(instance, backend=backend, options=EXACT, lp_bound=False)
    if solution.status.has_solution:
        assert solution.verify(instance) == []
    return solution


def solved_against(o: Oracle, instance: Instance, backend: str) -> tuple[Solution | None, str]:
    """The solver's answer and how to describe it on failure: None (after checking the
    solver says infeasible) when the oracle found no feasible allocation, else a solution
    checked optimal and verified."""
    solution = solved(instance, backend)
    why = o.describe(solution)
    if not o.allocations:
        assert solution.status is Status.INFEASIBLE, why
        return None, why
    assert solution.status is Status.OPTIMAL, why
    return solution, why


# --- 1. the solver equals the brute force, per policy ----------------------------------

@pytest.mark.parametrize("backend", MILP)
@pytest.mark.parametrize("seed", SEEDS)
def test_maxmin_matches_brute_force(seed: int, backend: str) -> None:
    o = oracle(seed)
    measure = o.data["policy"]["fairness"]["measure"]
    instance = with_policy(o.data, "maxmin")
    solution, why = solved_against(o, instance, backend)
    if solution is None:
        return
    fair = fairness(instance, o.possible, measure)
    vectors = [sorted(fair.satisfaction(f, measure).values()) for f in o.allocations]
    best = lex_max(vectors)
    mine = fair.satisfaction(figures(instance, solution), measure)
    assert same(sorted(mine.values()), best), why
    reached = [f.value for f, v in zip(o.allocations, vectors, strict=True) if same(v, best)]
    assert math.isclose(solution.objective, max(reached), rel_tol=TOL, abs_tol=TOL), why
    # What solution.policy reports: the same fair shares and satisfactions, and each
    # level the sum of the m smallest.
    assert solution.policy["fair_share"] == pytest.approx(fair.fair_share, rel=TOL), why
    assert solution.policy["satisfaction"] == pytest.approx(mine, rel=TOL, abs=TOL), why
    levels = [s["objective"] for s in solution.policy["stages"][:-1]]
    assert levels == pytest.approx(list(itertools.accumulate(best)), rel=TOL, abs=TOL), why
    assert solution.policy["stages"][-1]["name"] == "weighted value"


def project_satisfaction(instance: Instance, solution: Solution,
                         measure: str) -> dict[str, float]:
    """Across projects: what each project received over its whole request's worth (its
    best configuration; an elastic request at max_gpus, on the average GPU on hand when
    max_units caps it), times its weight (area weight x score) over the mean weight."""
    spec = instance.spec
    perf = {g.id: g.perf for g in spec.gpu_types}
    n = len(spec.periods)
    on_hand = {g.id: 0.0 for g in spec.gpu_types}
    for d in spec.supply:
        on_hand[d.type] += d.units * (n - spec.periods.index(d.period))
    received = dict.fromkeys((p.id for p in spec.projects), 0.0)
    for award in solution.awards:
        gp, w, _ = award_amounts(instance, award)
        received[award.project] += gp if measure == "gpus" else w
    entries = []
    for p in spec.projects:
        if p.request.configurations is not None:
            gps = [sum(k * perf[g] for g, k in c.gpus.items())
                   * (c.duration or p.window.duration) for c in p.request.configurations]
            values = [c.value if c.value is not None else gp
                      for c, gp in zip(p.request.configurations, gps, strict=True)]
            full = max(gps) if measure == "gpus" else p.score * max(values)
        else:
            e = p.request.elastic
            size = e.max_gpus
            if e.max_units is not None:
                average = sum(on_hand[g] * e.efficiency.get(g, perf[g]) for g in e.types)
                size = min(size, e.max_units * average / sum(on_hand.values()))
            full = size * p.window.duration * (1.0 if measure == "gpus" else p.score)
        weight = area_weight(instance, p.area) * p.score
        if weight > 0 and full > 0:
            entries.append((p.id, weight, full))
    mean = sum(w for _, w, _ in entries) / len(entries)
    return {pid: received[pid] / (full * w / mean) for pid, w, full in entries}


@pytest.mark.parametrize("backend", MILP)
@pytest.mark.parametrize("seed", SEEDS)
def test_maxmin_across_projects_matches_brute_force(seed: int, backend: str) -> None:
    o = oracle(seed)
    measure = o.data["policy"]["fairness"]["measure"]
    instance = with_policy(o.data, "maxmin", fairness={"across": "projects"})
    solution, why = solved_against(o, instance, backend)
    if solution is None:
        return
    vectors = [sorted(project_satisfaction(instance, f.solution, measure).values())
               for f in o.allocations]
    best = lex_max(vectors)
    mine = project_satisfaction(instance, solution, measure)
    assert same(sorted(mine.values()), best), why
    reached = [f.value for f, v in zip(o.allocations, vectors, strict=True) if same(v, best)]
    assert math.isclose(solution.objective, max(reached), rel_tol=TOL, abs_tol=TOL), why
    assert solution.policy["satisfaction"] == pytest.approx(mine, rel=TOL, abs=TOL), why
    levels = [s["objective"] for s in solution.policy["stages"][:-1]]
    assert levels == pytest.approx(list(itertools.accumulate(best)), rel=TOL, abs=TOL), why


@pytest.mark.parametrize("backend", MILP)
def test_maxmin_across_projects_normalises_by_the_average_gpu(backend: str) -> None:
    # One A and one B; X runs 1 on A and 3 on B, Y 1 on either; one time-shared GPU
    # each (max_units 1). The average GPU on hand is half A, half B: X's whole request
    # is worth 0.5 + 1.5 = 2, Y's 1. Y can never pass 1, so level 1 is 1 (Y gets a whole
    # GPU); level 2 then gives X all of B: 3 / 2 = 1.5, and Y takes A.
    def job(name: str, b: float) -> dict[str, Any]:
        return {"id": name, "area": "jobs", "request": {"elastic": {
            "min_gpus": 1e-6, "max_gpus": 10.0, "types": ["A", "B"], "max_units": 1,
            "efficiency": {"A": 1.0, "B": b}}}}
    instance = build({
        "name": "two-jobs", "periods": ["T1"],
        "gpu_types": [{"id": "A"}, {"id": "B"}], "sites": [{"id": "S", "power_mw": 0.0}],
        "supply": [{"type": g, "site": "S", "period": "T1", "units": 1} for g in "AB"],
        "areas": [{"id": "jobs", "weight": 1.0}], "projects": [job("X", 3.0), job("Y", 1.0)],
        "policy": {"granularity": "fractional", "objective": "maxmin",
                   "fairness": {"across": "projects", "then_value": False}}})
    solution = solved(instance, backend)
    assert solution.policy["fair_share"] == pytest.approx({"X": 2.0, "Y": 1.0})
    assert solution.policy["satisfaction"] == pytest.approx({"X": 1.5, "Y": 1.0})
    assert [s["objective"] for s in solution.policy["stages"]] == pytest.approx([1.0, 2.5])
    gpus = {a.project: a.gpus for a in solution.awards}
    assert gpus["X"].get("B", 0.0) == pytest.approx(1.0)
    assert gpus["Y"].get("A", 0.0) == pytest.approx(1.0)
    text = policy_text({"policy": solution.policy})
    assert "max–min fairness across projects" in text
    assert "Least satisfied projects" in text and "Y 1.00, X 1.50" in text
    # verify recomputes every level from the allocation: a level claimed higher than the
    # allocation reaches, or a final objective it is not worth, is caught.
    claimed = copy.deepcopy(solution)
    claimed.policy["stages"][0]["objective"] = 1.2
    assert {v.rule for v in verify(instance, claimed)} == {"policy"}
    claimed = copy.deepcopy(solution)
    claimed.objective = 2.4
    assert {v.rule for v in verify(instance, claimed)} == {"objective"}


@pytest.mark.parametrize("backend", MILP)
@pytest.mark.parametrize("seed", SEEDS)
def test_proportional_matches_brute_force(seed: int, backend: str) -> None:
    o = oracle(seed)
    fair_settings = o.data["policy"]["fairness"]
    measure, pieces = fair_settings["measure"], fair_settings["pieces"]
    instance = with_policy(o.data, "proportional")
    solution, why = solved_against(o, instance, backend)
    if solution is None:
        return
    fair = fairness(instance, o.possible, measure)
    reachable = [a for a in fair.areas if math.isfinite(fair.lowest[a])]
    points = {a: breakpoints(fair.lowest[a], fair.highest[a], pieces) for a in reachable}

    # M_k = G / w_k + 1, G = Σ_j w_j (log hi_j - log lo_j + 1): an empty area costs more
    # than every other area could gain.
    gain = sum(fair.weights[a] * (math.log(fair.highest[a]) - math.log(fair.lowest[a]) + 1)
               for a in reachable)
    steep = {a: gain / fair.weights[a] + 1 for a in reachable}

    def pwl(sat: dict[str, float]) -> float:
        return sum(fair.weights[a] * chord_log(points[a], sat[a], steep[a]) for a in reachable)

    def true_log(sat: dict[str, float]) -> float:
        if any(sat[a] <= 0 for a in fair.areas):
            return -math.inf
        return sum(fair.weights[a] * math.log(sat[a]) for a in fair.areas)

    sats = [fair.satisfaction(f, measure) for f in o.allocations]
    best_pwl = max(pwl(s) for s in sats)
    mine = fair.satisfaction(figures(instance, solution), measure)
    stage = solution.policy["stages"][0]
    assert stage["name"] == "proportional"
    assert stage["objective"] == pytest.approx(best_pwl, rel=TOL, abs=TOL), why
    assert pwl(mine) == pytest.approx(best_pwl, rel=TOL, abs=TOL), why
    error = sum(fair.weights[a] * chord_error(points[a][1] / points[a][0]) for a in reachable)
    assert solution.policy["approximation_error"] == pytest.approx(error, rel=TOL), why
    assert solution.policy["unreachable_areas"] == [a for a in fair.areas
                                                    if a not in reachable], why
    # then_value: the best weighted value among the allocations at the PWL optimum.
    at_best = [f.value for f, s in zip(o.allocations, sats, strict=True)
               if pwl(s) >= best_pwl - 1e-6]
    assert solution.objective == pytest.approx(max(at_best), rel=TOL, abs=TOL), why
    best_true = max(true_log(s) for s in sats)
    if math.isfinite(best_true):
        assert true_log(mine) >= best_true - error - TOL, why
        assert solution.policy["log_objective"] == pytest.approx(true_log(mine), rel=TOL)


@pytest.mark.parametrize("backend", MILP)
@pytest.mark.parametrize("seed", SEEDS)
def test_proportional_across_projects_within_its_stated_error(seed: int, backend: str) -> None:
    # The promise, without the breakpoints: when some allocation serves every project,
    # the answer serves every project and its true Σ w log s is within the reported
    # approximation error of the best over every allocation.
    o = oracle(seed)
    measure = o.data["policy"]["fairness"]["measure"]
    instance = with_policy(o.data, "proportional", fairness={"across": "projects"})
    solution, why = solved_against(o, instance, backend)
    if solution is None:
        return
    weight = {p.id: area_weight(instance, p.area) * p.score for p in instance.spec.projects}

    def true_log(sat: dict[str, float]) -> float:
        if any(v <= 0 for v in sat.values()):
            return -math.inf
        return sum(weight[p] * math.log(v) for p, v in sat.items())

    best = max(true_log(project_satisfaction(instance, f.solution, measure))
               for f in o.allocations)
    mine = project_satisfaction(instance, solution, measure)
    assert solution.policy["satisfaction"] == pytest.approx(mine, rel=TOL, abs=TOL), why
    if math.isfinite(best):
        assert true_log(mine) >= best - solution.policy["approximation_error"] - TOL, why
        assert solution.policy["log_objective"] == pytest.approx(true_log(mine), rel=TOL)


def tier_optima(allocations: list[Figures], tiers: list[int | None],
                tolerance: float) -> list[float]:
    """Each tier's best weighted value among allocations keeping every earlier tier
    within `tolerance` of its optimum (1e-9 absolute room for rounding)."""
    kept, optima = allocations, []
    for t in tiers:
        best = max(f.tiers.get(t, 0.0) for f in kept)
        optima.append(best)
        floor = best - tolerance * abs(best) - 1e-9 * max(1.0, abs(best))
        kept = [f for f in kept if f.tiers.get(t, 0.0) >= floor]
    return optima


def tier_order(instance: Instance) -> list[int | None]:
    tiers = {tier_of(instance, p.id) for p in instance.spec.projects}
    return [*sorted(t for t in tiers if t is not None), *([None] if None in tiers else [])]


@pytest.mark.parametrize("backend", [*MILP, "cpsat"])
@pytest.mark.parametrize("seed", SEEDS)
def test_lexicographic_matches_brute_force(seed: int, backend: str) -> None:
    if backend not in INSTALLED:
        pytest.skip(f"{backend} is not installed")
    o = oracle(seed)
    instance = with_policy(o.data, "lexicographic", tiers={"tolerance": 0.0})
    solution, why = solved_against(o, instance, backend)
    if solution is None:
        return
    order = tier_order(instance)
    optima = tier_optima(o.allocations, order, 0.0)
    got = figures(instance, solution).tiers
    assert [got.get(t, 0.0) for t in order] == pytest.approx(optima, rel=TOL, abs=TOL), why
    best = max(o.allocations, key=lambda f: [f.tiers.get(t, 0.0) for t in order])
    assert optima == pytest.approx([best.tiers.get(t, 0.0) for t in order], rel=TOL, abs=TOL)
    names = [f"tier {t}" if t is not None else "untiered" for t in order]
    assert [s["name"] for s in solution.policy["stages"]] == names, why
    assert [s["objective"] for s in solution.policy["stages"]] == pytest.approx(
        optima, rel=TOL, abs=TOL), why


def least_cost_settings(o: Oracle, seed: int) -> dict[str, Any]:
    """A served project (some seeds), a value floor (half the weighted optimum, some
    seeds), a value share (0.7, some seeds)."""
    rng = np.random.default_rng(1000 + seed)
    best = max((f.value for f in o.allocations), default=0.0)
    optional = [p["id"] for p in o.data["projects"] if not p["mandatory"]]
    return {"serve": [str(rng.choice(optional))] if optional and rng.random() < 0.5 else [],
            "value_floor": round(0.5 * best, 3) if rng.random() < 0.4 else 0.0,
            "value_share": 0.7 if rng.random() < 0.4 else 0.0}


def least_cost_optimum(allocations: list[Figures], settings: dict[str, Any]) -> float | None:
    serving = [f for f in allocations if set(settings["serve"]) <= f.funded
               and f.value >= settings["value_floor"] - 1e-9]
    if not serving:
        return None
    if settings["value_share"] > 0:
        # The weighted-value optimum is found first, under the serve and floor rows.
        best = max(f.value for f in serving)
        serving = [f for f in serving if f.value >= settings["value_share"] * best - 1e-9]
    return min(f.cost for f in serving)


@pytest.mark.parametrize("backend", [*MILP, "cpsat"])
@pytest.mark.parametrize("seed", SEEDS)
def test_least_cost_matches_brute_force(seed: int, backend: str) -> None:
    if backend not in INSTALLED:
        pytest.skip(f"{backend} is not installed")
    o = oracle(seed)
    settings = least_cost_settings(o, seed)
    instance = with_policy(o.data, "least-cost", least_cost=settings)
    solution = solved(instance, backend)
    why = o.describe(solution) + f"\nleast_cost: {settings}"
    cheapest = least_cost_optimum(o.allocations, settings)
    if cheapest is None:
        assert solution.status is Status.INFEASIBLE, why
        return
    assert solution.status is Status.OPTIMAL, why
    mine = figures(instance, solution)
    assert mine.cost == pytest.approx(cheapest, rel=TOL, abs=TOL), why
    assert solution.objective == pytest.approx(cheapest, rel=TOL, abs=TOL), why
    assert set(settings["serve"]) <= mine.funded, why
    assert mine.value >= settings["value_floor"] - TOL, why
    assert solution.policy["stages"][-1]["name"] == "cost"


@pytest.mark.parametrize("seed", [s for s in SEEDS if s % 5 == 0])
@needs["cbc"]
def test_policies_on_cbc_match_brute_force(seed: int) -> None:
    """CBC (a subprocess per stage: slower) on a fifth of the seeds."""
    test_maxmin_matches_brute_force(seed, "cbc")
    test_proportional_matches_brute_force(seed, "cbc")
    test_lexicographic_matches_brute_force(seed, "cbc")
    test_least_cost_matches_brute_force(seed, "cbc")


# A hand-made instance whose tiers conflict: tier 1 (area a) and tier 2 (area b) share
# 4 H, one period. Tier 1: P1 (4 H, worth 4) or P2 (3 H, worth 3.4, i.e. 0.85 of 4).
# Tier 2: Q1 (1 H, worth 1), Q2 (4 H, worth 4). Untiered: R (1 H, worth 0.5).
TIERED = {
    "name": "tiered", "periods": ["T1"],
    "gpu_types": [{"id": "H", "perf": 1.0, "power_kw": 0.0}],
    "sites": [{"id": "S", "power_mw": 1.0}],
    "supply": [{"type": "H", "site": "S", "period": "T1", "units": 4}],
    "areas": [{"id": "a", "tier": 1}, {"id": "b", "tier": 2}, {"id": "c", "weight": 0.5}],
    "projects": [
        {"id": "P1", "area": "a", "request": {"configurations": [{"id": "c", "gpus": {"H": 4}}]}},
        {"id": "P2", "area": "a", "request": {"configurations": [
            {"id": "c", "gpus": {"H": 3}, "value": 3.4}]}},
        {"id": "Q1", "area": "b", "request": {"configurations": [{"id": "c", "gpus": {"H": 1}}]}},
        {"id": "Q2", "area": "b", "request": {"configurations": [{"id": "c", "gpus": {"H": 4}}]}},
        {"id": "R", "area": "c", "request": {"configurations": [{"id": "c", "gpus": {"H": 1}}]}}],
}


@pytest.mark.parametrize("backend", [*MILP, "cpsat"])
def test_lexicographic_tolerance_against_definition(backend: str) -> None:
    base = build(TIERED)
    allocations = [figures(base, s) for s in feasible_allocations(base)]
    order = [1, 2, None]
    strict = tier_optima(allocations, order, 0.0)
    loose = tier_optima(allocations, order, 0.2)
    assert strict == pytest.approx([4.0, 0.0, 0.0])  # P1 takes every GPU
    assert loose == pytest.approx([4.0, 1.0, 0.0])  # P2 (>= 0.8 x 4) leaves 1 H for Q1
    for tolerance, optima, reached, funded in (
            (0.0, strict, [4.0, 0.0, 0.0], {"P1"}),
            (0.2, loose, [3.4, 1.0, 0.0], {"P2", "Q1"})):
        instance = with_policy(TIERED, "lexicographic", tiers={"tolerance": tolerance})
        solution = solved(instance, backend)
        got = figures(instance, solution)
        assert got.funded == funded
        assert [got.tiers.get(t, 0.0) for t in order] == pytest.approx(reached, abs=TOL)
        assert got.tiers[1] >= (1 - tolerance) * optima[0] - TOL
        # Each stage reports its own optimum, given the earlier tiers kept.
        assert [s["objective"] for s in solution.policy["stages"]] == pytest.approx(
            optima, abs=TOL)
        assert solution.policy["parameters"] == {"tolerance": tolerance}


@pytest.mark.parametrize("backend", [*MILP, pytest.param("cpsat", marks=needs["cpsat"])])
def test_least_cost_value_share_against_definition(backend: str) -> None:
    # (value, cost) of each set: {} (0, 0), big (8, 4), cheap (8, 1), more (4, 0.5),
    # big+cheap (16, 5), big+more (12, 4.5), cheap+more (12, 7.5: 2 A bought), all three
    # (20, 11.5).
    data = {
        "name": "share", "periods": ["T1"],
        "gpu_types": [{"id": "H", "perf": 2.0, "opex_per_period": 1.0},
                      {"id": "A", "perf": 1.0, "opex_per_period": 0.25}],
        "sites": [{"id": "S", "power_mw": 1.0}],
        "supply": [{"type": "H", "site": "S", "period": "T1", "units": 4},
                   {"type": "A", "site": "S", "period": "T1", "units": 4}],
        "procurement": [{"id": "buy", "type": "A", "price": 3.0, "earliest_period": "T1",
                         "max_units": 2}],
        "areas": [{"id": "a"}, {"id": "b", "weight": 2.0}],
        "projects": [
            {"id": "big", "area": "a", "request": {"configurations": [
                {"id": "c", "gpus": {"H": 4}}]}},  # worth 8, costs 4
            {"id": "cheap", "area": "b", "request": {"configurations": [
                {"id": "c", "gpus": {"A": 4}}]}},  # worth 2 x 4 = 8, costs 1
            {"id": "more", "area": "b", "request": {"configurations": [
                {"id": "c", "gpus": {"A": 2}}]}},  # worth 4, costs 0.5 (+6 to buy 2 A)
        ],
    }
    base = build(data)
    allocations = [figures(base, s) for s in feasible_allocations(base)]
    assert max(f.value for f in allocations) == pytest.approx(20.0)
    for settings, cheapest, funded in (
            ({"value_share": 0.0}, 0.0, set()),
            ({"value_share": 0.5}, 4.5, {"big", "more"}),  # >= 10
            ({"value_share": 0.8}, 5.0, {"big", "cheap"}),  # >= 16
            ({"value_share": 1.0}, 11.5, {"big", "cheap", "more"}),  # 20
            ({"serve": ["more"]}, 0.5, {"more"}),
            ({"value_floor": 13.0}, 5.0, {"big", "cheap"}),
            ({"serve": ["more"], "value_share": 0.8}, 11.5, {"big", "cheap", "more"})):
        full = {"serve": [], "value_floor": 0.0, "value_share": 0.0, **settings}
        assert least_cost_optimum(allocations, full) == pytest.approx(cheapest)
        instance = with_policy(data, "least-cost", least_cost=settings)
        solution = solved(instance, backend)
        got = figures(instance, solution)
        assert got.cost == pytest.approx(cheapest, abs=TOL), settings
        assert got.funded == funded, settings
        assert solution.policy["parameters"] == full


# --- the proportional approximation never empties a servable area -------------------------------

EMPTIED = {
    "name": "emptied", "periods": ["T1"],
    "gpu_types": [{"id": "H", "perf": 1.0}],
    "sites": [{"id": "S", "power_mw": 10.0}],
    "supply": [{"type": "H", "site": "S", "period": "T1", "units": 10}],
    "areas": [{"id": "A"}, {"id": "B"}],
    "projects": [
        {"id": "a1", "area": "A", "request": {"configurations": [{"id": "c", "gpus": {"H": 5}}]}},
        {"id": "b1", "area": "B", "request": {"configurations": [{"id": "c", "gpus": {"H": 10}}]}},
        {"id": "b2", "area": "B", "request": {"configurations": [{"id": "c", "gpus": {"H": 5}}]}}],
}


@pytest.mark.parametrize("backend", MILP)
def test_proportional_never_empties_an_area(backend: str) -> None:
    instance = with_policy(EMPTIED, "proportional")
    solution = solved(instance, backend)
    # Fair shares 5 and 5: {a1, b2} -> (1, 1), log 0; {b1} -> (0, 2), log -inf.
    assert solution.policy["fair_share"] == {"A": 5.0, "B": 5.0}
    assert all(s > 0 for s in solution.policy["satisfaction"].values()), solution.policy
    assert solution.policy["log_objective"] >= -solution.policy["approximation_error"]


def test_value_fair_share_of_a_two_type_elastic_request() -> None:
    # Elastic, 4 performance-equivalent GPUs exactly, from H (perf 2) or A (perf 1):
    # fully granted it is worth 4, whatever the mix, so the only area's fair share is 4
    # and its one possible satisfaction is 1 (ρ = e with a single point: error 0.1233).
    data = {"name": "elastic", "periods": ["T1"],
            "gpu_types": [{"id": "H", "perf": 2.0}, {"id": "A", "perf": 1.0}],
            "sites": [{"id": "S", "power_mw": 1.0}],
            "supply": [{"type": "H", "site": "S", "period": "T1", "units": 8},
                       {"type": "A", "site": "S", "period": "T1", "units": 8}],
            "areas": [{"id": "a"}],
            "projects": [{"id": "E", "area": "a", "request": {"elastic": {
                "min_gpus": 4, "max_gpus": 4, "types": ["H", "A"]}}}],
            "policy": {"fairness": {"measure": "value", "pieces": 1}}}
    instance = with_policy(data, "proportional")
    solution = solved(instance, "scip")
    assert solution.policy["satisfaction"] == pytest.approx({"a": 1.0})
    assert solution.policy["fair_share"] == pytest.approx({"a": 4.0})  # reported: 8


# --- 2. max–min on symmetric instances -------------------------------------------------

def symmetric(weights: dict[str, float], elastic: bool) -> dict[str, Any]:
    """Identical areas of the given weights, identical projects, 12 H in one period."""
    projects = []
    for area in weights:
        for i in range(3):
            request = ({"elastic": {"min_gpus": 1, "max_gpus": 12, "types": ["H"]}} if elastic
                       else {"configurations": [{"id": "c", "gpus": {"H": 2}}]})
            projects.append({"id": f"{area}{i}", "area": area, "request": request})
    return {"name": "symmetric", "periods": ["T1"],
            "gpu_types": [{"id": "H", "perf": 1.0, "power_kw": 0.0}],
            "sites": [{"id": "S", "power_mw": 1.0}],
            "supply": [{"type": "H", "site": "S", "period": "T1", "units": 12}],
            "areas": [{"id": a, "weight": w} for a, w in weights.items()],
            "projects": projects, "policy": {"objective": "maxmin"}}


@pytest.mark.parametrize("backend", MILP)
def test_maxmin_equal_weights_equal_satisfactions(backend: str) -> None:
    # 3 areas x 3 projects of 2 H, 12 H: each area gets two projects (4 H).
    instance = build(symmetric({"a": 1.0, "b": 1.0, "c": 1.0}, elastic=False))
    solution = solved(instance, backend)
    sat = solution.policy["satisfaction"]
    assert sat == pytest.approx({"a": 1.0, "b": 1.0, "c": 1.0})
    assert figures(instance, solution).gpus == pytest.approx({"a": 4.0, "b": 4.0, "c": 4.0})
    assert solution.policy["fair_share"] == pytest.approx({"a": 4.0, "b": 4.0, "c": 4.0})


@pytest.mark.parametrize("then_value", [True, False])
@pytest.mark.parametrize("backend", MILP)
def test_maxmin_double_weight_receives_double(backend: str, then_value: bool) -> None:
    # Elastic requests (up to 12 H each, far above the 12 H there are): a (weight 2)
    # gets 6 H, b and c 3 H each, every satisfaction 1.
    data = symmetric({"a": 2.0, "b": 1.0, "c": 1.0}, elastic=True)
    data["policy"]["fairness"] = {"then_value": then_value}
    instance = build(data)
    solution = solved(instance, backend)
    got = figures(instance, solution).gpus
    assert got == pytest.approx({"a": 6.0, "b": 3.0, "c": 3.0})
    assert got["a"] == 2 * got["b"] == 2 * got["c"]
    share = solution.policy["fair_share"]
    assert share["a"] == pytest.approx(2 * share["b"]) and share["b"] == pytest.approx(share["c"])
    assert solution.policy["satisfaction"] == pytest.approx({"a": 1.0, "b": 1.0, "c": 1.0})


# --- 3. every policy verified and named ------------------------------------------------

POLICIES = ["weighted", "maxmin", "proportional", "lexicographic", "least-cost"]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("backend", MILP)
def test_every_policy_verified_and_named(policy: str, backend: str) -> None:
    tutorial = load_instance(ROOT / "instances" / "tutorial.yaml")
    instance = tutorial.with_objective(policy)
    solution = solve(instance, backend=backend, options=EXACT, lp_bound=False)
    assert solution.status is Status.OPTIMAL
    assert solution.verify(instance) == []
    assert solution.policy["name"] == policy
    settings = instance.spec.policy
    expected = {
        "weighted": {},
        "maxmin": {"across": "areas", "measure": "gpus", "levels": None, "then_value": True},
        "proportional": {"across": "areas", "measure": "gpus", "pieces": 24,
                         "then_value": True},
        "lexicographic": {"tolerance": settings.tiers.tolerance},
        "least-cost": {"serve": [], "value_floor": 0.0, "value_share": 0.0},
    }[policy]
    assert solution.policy["parameters"] == expected
    if policy == "weighted":
        assert solution.objective == pytest.approx(1136.0)
    else:
        stages = solution.policy["stages"]
        assert stages and all(s["status"] == "optimal" for s in stages)
    if policy == "least-cost":  # weather, mandatory: 16 H100 x 4 quarters x 10
        assert solution.objective == pytest.approx(640.0)
        assert {a.project for a in solution.awards} == {"weather"}


def test_parameters_follow_the_settings() -> None:
    data = copy.deepcopy(TIERED)
    data["policy"] = {"fairness": {"measure": "value", "pieces": 8, "levels": 2,
                                   "then_value": False},
                      "least_cost": {"serve": ["Q1"], "value_floor": 1.5}}
    instance = build(data)
    maxmin = solved(instance.with_objective("maxmin"), "scip")
    assert maxmin.policy["parameters"] == {"across": "areas", "measure": "value", "levels": 2,
                                           "then_value": False}
    assert [s["name"] for s in maxmin.policy["stages"]] == ["maxmin level 1", "maxmin level 2"]
    prop = solved(instance.with_objective("proportional"), "scip")
    assert prop.policy["parameters"] == {"across": "areas", "measure": "value", "pieces": 8,
                                         "then_value": False}
    assert prop.policy["pieces"] == 8
    cheap = solved(instance.with_objective("least-cost"), "scip")
    assert cheap.policy["parameters"] == {"serve": ["Q1"], "value_floor": 1.5,
                                          "value_share": 0.0}
    assert {a.project for a in cheap.awards} >= {"Q1"}


# --- 4. CP-SAT ---------------------------------------------------------------------------

@needs["cpsat"]
@pytest.mark.parametrize("policy", ["maxmin", "proportional"])
def test_cpsat_refuses_continuous_policies(policy: str) -> None:
    instance = load_instance(ROOT / "instances" / "tutorial.yaml").with_objective(policy)
    with pytest.raises(BackendError, match=rf"{policy}.*continuous.*cpsat.*integer"):
        solve(instance, backend="cpsat", options=EXACT)


TWO_STAGES = {
    "name": "two-stages", "periods": ["T1"], "gpu_types": [{"id": "H", "perf": 1.0}],
    "sites": [{"id": "S", "power_mw": 1.0}],
    "supply": [{"type": "H", "site": "S", "period": "T1", "units": 2}],
    "areas": [{"id": "A"}],
    "projects": [
        {"id": "P", "area": "A", "tier": 1,
         "request": {"configurations": [{"id": "c", "gpus": {"H": 1}}]}},
        {"id": "Q", "area": "A", "request": {"configurations": [{"id": "c", "gpus": {"H": 1}}]}}],
}


@needs["cpsat"]
@pytest.mark.parametrize("policy, settings", [
    ("lexicographic", {}), ("least-cost", {"least_cost": {"value_share": 1.0}})],
    ids=["lexicographic", "least-cost-share-1"])
def test_cpsat_keeps_earlier_stages(policy: str, settings: dict) -> None:
    # The smallest failing case: tier 1 (P) is worth 1, so its keep row reads
    # value(P) >= 0.9999999; least-cost keeps the weighted optimum 2 as >= 1.9999998.
    instance = with_policy(TWO_STAGES, policy, **settings)
    scip = solved(instance, "scip")
    cpsat = solved(instance, "cpsat")
    assert cpsat.objective == pytest.approx(scip.objective, abs=TOL)
    assert [s["objective"] for s in cpsat.policy["stages"]] == pytest.approx(
        [s["objective"] for s in scip.policy["stages"]], abs=TOL)


@needs["cpsat"]
@pytest.mark.parametrize("policy", ["lexicographic", "least-cost"])
def test_cpsat_agrees_with_scip(policy: str) -> None:
    """On the tutorial (no tiers: lexicographic is one stage, least-cost one)."""
    instance = load_instance(ROOT / "instances" / "tutorial.yaml").with_objective(policy)
    answers = [solve(instance, backend=b, options=EXACT, lp_bound=False)
               for b in ("cpsat", "scip")]
    for solution in answers:
        assert solution.status is Status.OPTIMAL
        assert solution.verify(instance) == []
        assert solution.policy["name"] == policy
    cpsat, scip = answers
    assert cpsat.objective == pytest.approx(scip.objective, rel=TOL)
    assert [s["objective"] for s in cpsat.policy["stages"]] == pytest.approx(
        [s["objective"] for s in scip.policy["stages"]], rel=TOL)


# --- least cost on the national scenario ----------------------------------------------

@pytest.mark.slow
def test_korea_least_cost_serves_the_mandatory_at_a_proven_least_cost() -> None:
    """No plan is cheaper than the LP relaxation's bound, and a second backend, solving
    the same policy on its own, finds none cheaper by more than the reported gap."""
    from allocopt.instance import load_instance as load

    instance = load(ROOT / "instances" / "korea-2025.yaml").with_objective("least-cost")
    options = SolveOptions(gap=1e-4)
    first = solve(instance, backend="highs", options=options)
    assert first.status is Status.OPTIMAL and first.gap <= 1e-4
    assert solution_funds_mandatory(instance, first)
    assert first.verify(instance) == []
    cost = first.objective
    assert first.lp_bound <= cost * (1 + 1e-9)
    assert (cost - first.lp_bound) / cost <= 1e-3  # LP bound within 0.1 %
    second = solve(instance, backend="scip", options=options)
    assert second.status is Status.OPTIMAL
    assert second.objective >= cost * (1 - first.gap) - 1e-6
    assert cost >= second.objective * (1 - second.gap) - 1e-6


def solution_funds_mandatory(instance, solution: Solution) -> bool:
    return all(solution.award_of(p.id) is not None for p in instance.projects if p.mandatory)


def test_maxmin_across_many_projects_needs_few_levels(tmp_path) -> None:
    # One solve per level, one more column per project each: across 150 projects with
    # levels unset is refused as bad input (exit 2, naming the field), from the file
    # and through --policy; with levels: 1 it solves and verifies.
    from click.testing import CliRunner

    from allocopt.instance.generator import generate
    from allocopt_cli.main import cli

    data = generate(projects=150, gpus=1000, types=3, sites=1, periods=2,
                    seed=1).model_dump(mode="json", exclude_none=True)
    data["policy"]["fairness"] = {"across": "projects"}
    path = tmp_path / "many.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    run = CliRunner().invoke(cli, ["solve", str(path), "--policy", "maxmin",
                                   "--out", str(tmp_path / "out")])
    assert run.exit_code == 2, run.output
    assert "policy.fairness.levels" in run.output and "Traceback" not in run.output
    assert not (tmp_path / "out").exists()
    data["policy"]["fairness"]["levels"] = 1
    data["policy"]["objective"] = "maxmin"
    instance = build(data)
    solution = solve(instance, backend="highs", options=SolveOptions(gap=1e-6),
                     lp_bound=False)
    assert solution.status is Status.OPTIMAL
    assert solution.verify(instance) == []
    assert [s["name"] for s in solution.policy["stages"]] == ["maxmin level 1",
                                                               "weighted value"]


# --- 5. a stage's objective is its measure of the allocation -----------------------------

class _Echo:
    """A stand-in solver: returns the column values it is handed (the hint, else zeros),
    with the objective those raw values give and a bound of `bound` (None: far above),
    its policy columns first pushed up by `garbage`."""

    features = frozenset({Feature.HINTS, Feature.INTEGER})

    def __init__(self, bound: float | None = None, garbage: float = 0.0) -> None:
        self.bound, self.garbage = bound, garbage

    def solve(self, program, options):
        values = (np.zeros(len(program.columns)) if options.hint is None
                  else np.array(options.hint, dtype=float))
        aux = program.columns.kind == VarKind.AUX
        values[aux] = np.minimum(program.columns.upper[aux], values[aux] + self.garbage)
        objective = float(program.columns.objective @ values)
        bound = abs(objective) + 1e3 if self.bound is None else self.bound
        return Result(Status.FEASIBLE, objective, bound, values, 0.0, "echo")


def _maxmin_program(instance: Instance):
    from allocopt.model import build_program
    from allocopt.policies.fairness import maxmin_levels

    base = build_program(instance)
    program, stages, measure, polish = maxmin_levels(instance, base,
                                                     instance.spec.policy.fairness)
    return base, program, stages, measure, polish


@pytest.mark.parametrize("backend", MILP)
def test_maxmin_levels_are_sums_of_the_smallest_satisfactions(backend: str) -> None:
    """On every seed: each level stage reports 0 <= objective <= bound, and its objective
    is the sum of the m smallest satisfactions of the allocation the policy returns at
    that stage (for the last level: of the answer)."""
    for seed in range(6):
        instance = with_policy(tiny_spec(seed), "maxmin", fairness={"then_value": False})
        solution = solve(instance, backend=backend, options=EXACT, lp_bound=False)
        stages = solution.policy["stages"]
        for stage in stages:
            assert stage["objective"] >= 0.0
            assert stage["objective"] <= stage["bound"] + 1e-6 * max(1.0, stage["bound"])
        smallest = sorted(solution.policy["satisfaction"].values())
        assert stages[-1]["objective"] == pytest.approx(sum(smallest[:len(stages)]),
                                                        abs=1e-6)


def test_a_garbage_start_never_gives_a_negative_level(monkeypatch) -> None:
    """A solver that hands back its start with the level columns pushed to nonsense (d
    at its upper bound, so that m·r − Σ d is negative) still gives each stage the level
    its allocation reaches: the sum of the smallest satisfactions, never below 0."""
    from allocopt.policies import stages as staging
    from allocopt.solving.starts.warmstart import hint_from_solution

    instance = with_policy(tiny_spec(1), "maxmin")
    base, program, stages, measure, polish = _maxmin_program(instance)
    weighted = solve(instance.with_objective("weighted"), backend="scip", options=EXACT)
    start = np.zeros(len(program.columns))
    start[:len(base.columns)] = hint_from_solution(instance, base, weighted)
    solver = _Echo(garbage=1e3)
    monkeypatch.setattr(staging, "get_backend", lambda name: solver)
    raw = solver.solve(with_objective_of(program, stages[0]), SolveOptions(hint=start))
    assert raw.objective < 0  # what the solver itself says of the first level
    answer = staging.solve_stages(program, stages, "echo", SolveOptions(hint=start), polish)
    smallest = np.sort(measure.satisfaction @ start[:len(base.columns)])
    assert smallest[-1] > 0
    for m, outcome in enumerate(answer.stages, start=1):
        assert outcome.objective == pytest.approx(float(np.sum(smallest[:m])), abs=1e-9)
        assert 0.0 <= outcome.objective <= outcome.bound


def with_objective_of(program, stage):
    from allocopt.policies.extend import padded, with_objective

    return with_objective(program, padded(stage.vector, program), stage.maximize)


def test_a_stage_objective_past_its_bound_raises(monkeypatch) -> None:
    from allocopt.policies import stages as staging

    instance = with_policy(tiny_spec(1), "maxmin")
    _, program, stages, _, polish = _maxmin_program(instance)
    monkeypatch.setattr(staging, "get_backend", lambda name: _Echo(bound=-1.0))
    with pytest.raises(BackendError, match="past its proven bound"):
        staging.solve_stages(program, stages, "echo", SolveOptions(), polish)


def test_a_level_below_its_floor_raises(monkeypatch) -> None:
    """A polish that got a level wrong (here: level 1's d columns at 1, r at 0, so
    that θ_1 = r − Σ d < 0) is caught, not reported."""
    from allocopt.policies import stages as staging

    instance = with_policy(tiny_spec(1), "maxmin")
    _, program, stages, _, _ = _maxmin_program(instance)

    def broken(values):
        out = np.array(values, dtype=float)
        out[program.columns.kind == VarKind.AUX] = 0.0
        out[np.flatnonzero(stages[0].vector < 0)] = 1.0
        return out

    monkeypatch.setattr(staging, "get_backend", lambda name: _Echo(bound=10.0))
    with pytest.raises(BackendError, match="below the least it can be"):
        staging.solve_stages(program, stages[:1], "echo", SolveOptions(), broken)


def test_a_stage_without_an_answer_keeps_its_start(monkeypatch) -> None:
    """A later stage whose solver returns nothing (stopped, abandoned) answers with the
    allocation it started from, which meets every row that keeps the earlier ones."""
    from allocopt.policies import stages as staging

    instance = with_policy(tiny_spec(2), "maxmin")
    _, program, stages, _, polish = _maxmin_program(instance)
    real = staging.get_backend

    class Silent:
        features = frozenset({Feature.HINTS, Feature.INTEGER})

        def solve(self, program, options):
            return Result(Status.NO_SOLUTION_FOUND, None, None, None, 0.0, "silent")

    calls = []

    def backend(name):
        calls.append(name)
        return real("scip") if len(calls) == 1 else Silent()

    monkeypatch.setattr(staging, "get_backend", backend)
    monkeypatch.setattr(staging, "_skip", lambda *args: None)
    answer = staging.solve_stages(program, stages[:2], "scip", EXACT, polish)
    first, second = answer.stages
    assert first.status is Status.OPTIMAL
    assert second.status is Status.FEASIBLE and "start kept" in second.note
    assert second.objective >= first.objective
    assert answer.result.values is not None


def test_auto_chooses_a_backend_per_stage() -> None:
    """Max-min levels go to HiGHS at every size (the stage benchmark); every other stage
    as `choose_backend` chooses for a model of its shape."""
    from allocopt.backends import choose_backend, choose_stage_backend

    if "highs" in INSTALLED:
        assert choose_stage_backend("level", 50_000, False) == "highs"
    for kind in ("value", "cost", "log"):
        for columns, integer in ((100, True), (50_000, True), (50_000, False)):
            assert choose_stage_backend(kind, columns, integer) == choose_backend(
                "auto", columns, integer)


@pytest.mark.skipif("highs" not in INSTALLED, reason="highs is not installed")
def test_auto_names_each_stages_backend() -> None:
    instance = load_instance(ROOT / "instances" / "tutorial.yaml").with_objective("maxmin")
    solution = solve(instance, backend="auto", options=EXACT, lp_bound=False)
    stages = solution.policy["stages"]
    assert all(s["backend"] == "highs" for s in stages if s["name"].startswith("maxmin"))
    assert all(s["gap_asked"] == 0.0 for s in stages)
