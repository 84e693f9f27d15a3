"""Seeding a solve with an earlier allocation (re-solving after a small change): its
column values (`hint_from_solution`), and the allocation first fitted to an edited
instance's rules (`repair`), checked by `allocopt.verify`'s own checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allocopt.instance import Instance
from allocopt.model.decode import option_label
from allocopt.model.program import Program, VarKind
from allocopt.solution import Award, Purchase, Solution
from allocopt.status import Status
from allocopt.verify import AWARD_CHECKS, Violation, verify
from allocopt.verify.budget import check_budget
from allocopt.verify.capacity import check_capacity
from allocopt.verify.context import build_context
from allocopt.verify.dependencies import check_dependencies
from allocopt.verify.power import check_power
from allocopt.verify.procurement import check_procurement_quota, check_purchases
from allocopt.verify.shares import check_area_shares


def hint_from_solution(instance: Instance, program: Program, previous: Solution) -> np.ndarray:
    """Column values that reproduce `previous` where its awards still exist as columns.

    Awards whose project, configuration, site or start no longer exists are left out
    (the solver completes or repairs the hint); every other column is hinted 0.
    """
    cols = program.columns
    spec = instance.spec
    hint = np.zeros(len(cols))
    index: dict[tuple, int] = {}
    for j in range(len(cols)):
        kind = VarKind(cols.kind[j])
        if kind is VarKind.AUX:
            continue
        if kind is VarKind.BUY:
            key = ("buy", option_label(instance, int(cols.option[j])),
                   spec.sites[cols.site[j]].id, instance.periods[cols.start[j]])
        else:
            project = spec.projects[cols.project[j]]
            site, start = spec.sites[cols.site[j]].id, instance.periods[cols.start[j]]
            if kind is VarKind.ASSIGN:
                config = project.request.configurations[cols.config[j]].id
                key = ("assign", project.id, config, site, start)
            elif kind is VarKind.START:
                key = ("start", project.id, site, start)
            else:
                key = ("size", project.id, site, start, spec.gpu_types[cols.gpu_type[j]].id)
        index[key] = j
    for a in previous.awards:
        if a.configuration is not None:
            j = index.get(("assign", a.project, a.configuration, a.site, a.start))
            if j is not None:
                hint[j] = 1.0
            continue
        j = index.get(("start", a.project, a.site, a.start))
        if j is None:
            continue
        hint[j] = 1.0
        for g, n in a.gpus.items():
            k = index.get(("size", a.project, a.site, a.start, g))
            if k is not None:
                hint[k] = n / cols.unit[k]
    for b in previous.purchases:
        j = index.get(("buy", b.option, b.site, b.period))
        if j is not None:
            hint[j] = b.units / cols.unit[j]
    return hint


@dataclass(frozen=True)
class Repaired:
    """An earlier allocation fitted to an edited instance. `solution` holds the awards
    and purchases kept, its objective their weighted value; `dropped` names each award
    left out with the rule it broke; `violations` is what verify still finds (rules
    that dropping awards cannot mend: a mandatory project or an area minimum unmet).
    `feasible` when there is none: `solution` is then a verified allocation."""

    solution: Solution
    dropped: dict[str, str]
    violations: list[Violation]

    @property
    def feasible(self) -> bool:
        return not self.violations


# Rules that an added award can break but never mend (a dependency, once the projects
# it depends on are decided): checked as awards are kept.
_ADDITIVE_CHECKS = (check_capacity, check_power, check_dependencies, check_budget)


def repair(instance: Instance, previous: Solution) -> Repaired:
    """`previous` with every award that breaks a rule of `instance` dropped.

    1. Purchases are kept where their option, site and period still exist, within the
       option's quota; awards of unknown projects, and awards that break a rule on their
       own (window, GPU types, configuration, elastic size, granularity, duration), go.
    2. The rest are kept one by one, mandatory projects first, then by weighted value,
       each a project's dependencies after them, while capacity, power, budget,
       dependencies and exclusions hold (rules that a further award can only break).
    3. While an area is over its maximum share, its least valuable award goes.

    The result is verified; what still fails (a mandatory project or an area minimum
    that the earlier allocation does not serve) is `violations`."""
    dropped: dict[str, str] = {}
    known = [a for a in previous.awards if a.project in instance.project_index]
    dropped.update({a.project: "unknown project" for a in previous.awards
                    if a.project not in instance.project_index})
    purchases = _kept_purchases(instance, previous.purchases)
    ctx = build_context(instance, _partial(known, purchases))
    for facts in ctx.facts:
        broken = next((v for check in AWARD_CHECKS for v in check(ctx, facts)), None)
        if broken is not None:
            dropped.setdefault(facts.award.project, broken.rule)
    candidates = {a.project: a for a in known if a.project not in dropped}
    value = {pid: v for pid, v in ctx.project_value.items()}
    kept = _greedy(instance, candidates, value, purchases, dropped)
    kept = _within_max_shares(instance, kept, value, purchases, dropped)
    solution = _partial(kept, purchases)
    solution.objective = sum(value.get(a.project, 0.0) for a in kept)
    solution.backend = "repaired"
    solution.policy = {"name": instance.spec.policy.objective.value}
    return Repaired(solution, dropped, verify(instance, solution))


def _partial(awards: list[Award], purchases: list[Purchase]) -> Solution:
    return Solution(status=Status.FEASIBLE, objective=None, bound=None, gap=None,
                    backend="", wall_s=0.0, awards=list(awards), purchases=list(purchases))


def _kept_purchases(instance: Instance, purchases: list[Purchase]) -> list[Purchase]:
    """Purchases that match an option, site and period of `instance`, within quotas."""
    kept = []
    for b in purchases:
        ctx = build_context(instance, _partial([], [*kept, b]))
        if not any(True for check in (check_purchases, check_procurement_quota)
                   for _ in check(ctx)):
            kept.append(b)
    return kept


def _greedy(instance: Instance, candidates: dict[str, Award], value: dict[str, float],
            purchases: list[Purchase], dropped: dict[str, str]) -> list[Award]:
    projects = {p.id: p for p in instance.projects}
    order = sorted(candidates, key=lambda pid: (not projects[pid].mandatory,
                                                -value.get(pid, 0.0), instance.project_index[pid]))
    kept: list[Award] = []
    seen: set[str] = set()

    def consider(pid: str) -> None:
        if pid in seen:
            return
        seen.add(pid)
        for q in projects[pid].depends_on:  # a dependency is decided before its dependent
            if q in candidates:
                consider(q)
        ctx = build_context(instance, _partial([*kept, candidates[pid]], purchases))
        broken = next((v for check in _ADDITIVE_CHECKS for v in check(ctx)), None)
        if broken is None:
            kept.append(candidates[pid])
        else:
            dropped[pid] = broken.rule

    for pid in order:
        consider(pid)
    return kept


def _within_max_shares(instance: Instance, kept: list[Award], value: dict[str, float],
                       purchases: list[Purchase], dropped: dict[str, str]) -> list[Award]:
    kept = list(kept)
    while True:
        ctx = build_context(instance, _partial(kept, purchases))
        over = {a for v in check_area_shares(ctx) if v.rule == "area_max_share"
                for a in _area_of(v)}
        lineage = instance.area_lineage
        inside = [a for a in kept if over & set(lineage[ctx.projects[a.project].area])
                  and not ctx.projects[a.project].mandatory]
        if not over or not inside:
            return kept
        least = min(inside, key=lambda a: value.get(a.project, 0.0))
        dropped[least.project] = "area_max_share"
        kept.remove(least)
        # Dropping it may break a dependent's rule: the dependents go too.
        kept = [a for a in kept if least.project not in ctx.projects[a.project].depends_on]


def _area_of(violation: Violation) -> tuple[str, ...]:
    """The area an `area_max_share` violation names ("area <id>: …")."""
    head = violation.message.split(":", 1)[0]
    return (head.removeprefix("area "),) if head.startswith("area ") else ()
