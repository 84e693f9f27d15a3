"""A brute-force oracle for tiny instances, independent of `allocopt.model`.

Every combination of per-project choices (unfunded; or a configuration, site and start;
or, for an elastic request, a site, a start and an integer GPU vector of its usable
types) and of purchases (whole units per option, site and arrival period, at most the
option's quota in total) is a candidate allocation. A candidate is feasible when
`allocopt.verify.verify` finds no violated rule; its value is computed here from the
definition, not from the model:

    area weight x ancestors' weights x score x value x start factor,

where a configuration is worth its `value` or else Σ count x type perf x duration; an
elastic award Σ efficiency (default: type perf) x GPUs x duration; and the start
factor is max(0, 1 − penalty x (start − earliest start)).

The search is exhaustive, with two kinds of pruning that can never discard a feasible
candidate that is better than the best one found:

* a partial allocation (some projects decided, purchases fixed) is dropped when verify
  reports a violation of a rule that adding awards cannot repair (`PERMANENT`: more
  awards only hold more GPUs, draw more power and spend more);
* branch and bound: a branch whose value plus the best value of every undecided
  project cannot beat the incumbent is not explored.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from allocopt.backends.base import Status
from allocopt.instance import Instance
from allocopt.instance.schema import Granularity, Project
from allocopt.solution import Award, Purchase, Solution
from allocopt.verify import verify

# Rules whose violation by a partial allocation survives any further award (purchases
# fixed): GPUs held, power drawn and money spent only grow, and the rest are local to
# one award or one purchase.
PERMANENT = frozenset({
    "window", "site_hosts", "granularity", "elastic", "elastic_min", "elastic_max", "elastic_units",
    "capacity", "power", "exclusion", "budget_capex", "budget_opex", "budget_total",
    "procurement", "procurement_lead_time", "procurement_quota"})
# An award alone: capacity may still be repaired by purchases.
PERMANENT_ALONE = PERMANENT - {"capacity"}
# Purchases alone: rules about purchases and the capital they cost.
PERMANENT_PURCHASES = frozenset({"procurement", "procurement_lead_time", "procurement_quota",
                                 "budget_capex", "budget_total"})


@dataclass
class Choice:
    """One way to fund one project, with its value computed from the definition."""

    value: float
    award: Award


@dataclass
class BruteForce:
    """The maximum value (None: nothing feasible), a best allocation, and how much was
    searched."""

    value: float | None
    solution: Solution | None
    choices: list[int] = field(default_factory=list)
    purchase_plans: int = 0
    leaves: int = 0
    nodes: int = 0


def _solution(awards: list[Award], purchases: list[Purchase]) -> Solution:
    return Solution(status=Status.OPTIMAL, objective=None, bound=None, gap=None,
                    backend="bruteforce", wall_s=0.0, awards=list(awards),
                    purchases=list(purchases))


def _rules(instance: Instance, awards: list[Award], purchases: list[Purchase]) -> set[str]:
    return {v.rule for v in verify(instance, _solution(awards, purchases))}


def area_weight(instance: Instance, area_id: str) -> float:
    areas = {a.id: a for a in instance.spec.areas}
    weight = 1.0
    while area_id is not None:
        weight *= areas[area_id].weight
        area_id = areas[area_id].parent
    return weight


def start_factor(instance: Instance, project: Project, start: int) -> float:
    periods = list(instance.spec.periods)
    earliest = periods.index(project.window.earliest_start) if project.window.earliest_start \
        else 0
    penalty = (project.late_start_penalty if project.late_start_penalty is not None
               else instance.spec.policy.late_start_penalty)
    return max(0.0, 1.0 - penalty * (start - earliest))


def _whole(count: int, node_size: int, granularity: Granularity) -> int:
    if granularity is Granularity.NODE:
        return -(-count // node_size) * node_size
    return count


def project_choices(instance: Instance, project: Project) -> list[Choice]:
    """Every way to fund `project`, at every site and start in the horizon; verify
    later rejects those outside the window or at a site that cannot host them."""
    spec = instance.spec
    periods = list(spec.periods)
    types = {g.id: g for g in spec.gpu_types}
    gran = spec.policy.granularity
    weight = area_weight(instance, project.area) * project.score
    out: list[Choice] = []
    request = project.request
    if request.configurations is not None:
        for config in request.configurations:
            d = config.duration or project.window.duration
            worth = (config.value if config.value is not None
                     else sum(n * types[g].perf for g, n in config.gpus.items()) * d)
            gpus = {g: float(_whole(n, types[g].node_size, gran))
                    for g, n in sorted(config.gpus.items())}
            for site in spec.sites:
                for start in range(len(periods) - d + 1):
                    out.append(Choice(
                        weight * worth * start_factor(instance, project, start),
                        Award(project.id, config.id, site.id, periods[start],
                              periods[start + d - 1], gpus)))
    else:
        e = request.elastic
        if gran is Granularity.FRACTIONAL:
            raise ValueError("the oracle enumerates whole GPUs: no elastic with fractional")
        d = project.window.duration
        eff = {g: e.efficiency.get(g, types[g].perf) for g in e.types}
        ranges = []
        for g in e.types:
            step = types[g].node_size if gran is Granularity.NODE else 1
            most = math.floor(e.max_gpus / eff[g] + 1e-9)
            ranges.append(range(0, most + 1, step))
        for counts in itertools.product(*ranges):
            gpus = {g: float(n) for g, n in zip(e.types, counts, strict=True) if n > 0}
            size = sum(eff[g] * n for g, n in gpus.items())
            for site in spec.sites:
                for start in range(len(periods) - d + 1):
                    out.append(Choice(
                        weight * size * d * start_factor(instance, project, start),
                        Award(project.id, None, site.id, periods[start],
                              periods[start + d - 1], dict(sorted(gpus.items())))))
    return out


def purchase_plans(instance: Instance) -> list[list[Purchase]]:
    """Every way to buy whole units: per option, any split of at most `max_units` units
    over (site, arrival period); verify rejects what the option does not allow."""
    spec = instance.spec
    per_option = []
    for k, option in enumerate(spec.procurement):
        label = option.id or f"{option.type}#{k}"
        slots = [(s.id, t) for s in spec.sites for t in spec.periods]
        plans = []
        for units in itertools.product(range(option.max_units + 1), repeat=len(slots)):
            if sum(units) <= option.max_units:
                plans.append([Purchase(label, option.type, s, t, float(n))
                              for (s, t), n in zip(slots, units, strict=True) if n > 0])
        per_option.append(plans)
    return [[b for plan in combo for b in plan] for combo in itertools.product(*per_option)]


def brute_force(instance: Instance) -> BruteForce:
    """The best value over every feasible allocation of `instance`, or None."""
    projects = list(instance.spec.projects)
    options: list[list[Choice | None]] = []
    for project in projects:
        kept = [c for c in project_choices(instance, project)
                if not _rules(instance, [c.award], []) & PERMANENT_ALONE]
        kept.sort(key=lambda c: -c.value)
        options.append([*kept, None])  # None: unfunded
    best_rest = [0.0] * (len(projects) + 1)
    for i in range(len(projects) - 1, -1, -1):
        top = max((c.value for c in options[i] if c is not None), default=0.0)
        best_rest[i] = best_rest[i + 1] + max(top, 0.0)

    plans = [p for p in purchase_plans(instance)
             if not _rules(instance, [], p) & PERMANENT_PURCHASES]
    plans.sort(key=lambda p: -sum(b.units for b in p))
    result = BruteForce(value=None, solution=None,
                        choices=[len(o) - 1 for o in options], purchase_plans=len(plans))

    def search(i: int, awards: list[Award], value: float, plan: list[Purchase]) -> None:
        result.nodes += 1
        if result.value is not None and value + best_rest[i] <= result.value:
            return
        if i == len(projects):
            result.leaves += 1
            if not verify(instance, _solution(awards, plan)):
                result.value, result.solution = value, _solution(awards, plan)
            return
        for choice in options[i]:
            if choice is None:
                if not projects[i].mandatory:  # verify rejects an unfunded mandatory one
                    search(i + 1, awards, value, plan)
                continue
            trial = [*awards, choice.award]
            if _rules(instance, trial, plan) & PERMANENT:
                continue
            search(i + 1, trial, value + choice.value, plan)

    for plan in plans:
        search(0, [], 0.0, plan)
    if result.solution is not None:
        # The definition of value used here must agree with verify's recomputation.
        result.solution.objective = result.value
        mismatch = verify(instance, result.solution)
        result.solution.objective = None
        if mismatch:
            raise AssertionError(f"oracle value disagrees with verify: {mismatch}")
    return result


def feasible_allocations(instance: Instance) -> list[Solution]:
    """Every feasible allocation of `instance`, each a Solution whose objective is None,
    so that any objective can be evaluated on them: no value-based pruning.

    Feasible means every rule holds (`verify` finds nothing); the policy's own promises
    (least-cost's must-serve projects and value floor) are not rules and are left to
    the caller, so the instance is enumerated as if its objective were `weighted`. A
    partial allocation is dropped only when verify reports a PERMANENT violation, which
    no further award can repair. The same awards appear once per purchase plan that
    makes them feasible (plans differ in cost).
    """
    if instance.spec.policy.objective.value != "weighted":
        instance = instance.with_objective("weighted")
    projects = list(instance.spec.projects)
    options = [[c.award for c in project_choices(instance, project)
                if not _rules(instance, [c.award], []) & PERMANENT_ALONE]
               for project in projects]
    plans = [p for p in purchase_plans(instance)
             if not _rules(instance, [], p) & PERMANENT_PURCHASES]
    found: list[Solution] = []

    def search(i: int, awards: list[Award], plan: list[Purchase]) -> None:
        if i == len(projects):
            if not verify(instance, _solution(awards, plan)):
                found.append(_solution(awards, plan))
            return
        if not projects[i].mandatory:  # verify rejects an unfunded mandatory one
            search(i + 1, awards, plan)
        for award in options[i]:
            trial = [*awards, award]
            if not _rules(instance, trial, plan) & PERMANENT:
                search(i + 1, trial, plan)

    for plan in plans:
        search(0, [], plan)
    return found
