"""Public money: each budget line's limit, use and slack, and where the money goes.

Recomputed from the instance and the allocation alone, in the units of the budget rule
(`model/rules/budget.py`, re-checked by `verify`):

    capex        Σ_b units_b · price_b                      over purchases, in their arrival period
    public opex  Σ_p Σ_g n[p,g] · opex[g] · (1 − cofund[p]) over each funded project's periods
    co-funding   Σ_p Σ_g n[p,g] · opex[g] · cofund[p]        paid by the project's partner
    total        capex + public opex

Partners' GPUs (deliveries with a `partner`) are contributions in kind: counted in
GPU-periods on hand, never in money. The instance has no user fees, so user revenue is
reported as not modelled rather than as zero.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from allocopt.instance import Instance
from allocopt.report.ledger import public_share
from allocopt.solution import Solution


@dataclass(frozen=True)
class BudgetLine:
    """One budget limit: `limit` None when the instance sets none."""

    key: str  # "capex", "opex", "total"
    used: float
    limit: float | None

    @property
    def slack(self) -> float | None:
        return None if self.limit is None else self.limit - self.used

    @property
    def share_used(self) -> float | None:
        return self.used / self.limit if self.limit else None


@dataclass(frozen=True)
class PeriodSpend:
    period: str
    capex: float
    opex_public: float
    cofunding: float

    @property
    def public(self) -> float:
        return self.capex + self.opex_public


@dataclass(frozen=True)
class AreaSpend:
    """Operating spend of a top-level area's funded projects (sub-areas included)."""

    area: str
    name: str
    opex_public: float
    cofunding: float


@dataclass(frozen=True)
class PartnerShare:
    """What a partner brings: operating cost it co-funds, and GPUs in kind (GPU-periods
    of its deliveries on hand over the horizon)."""

    partner: str
    name: str
    share: float
    cofunding: float
    projects: int
    gpu_periods_in_kind: float


@dataclass(frozen=True)
class Budget:
    currency: str
    lines: list[BudgetLine]
    periods: list[PeriodSpend]
    areas: list[AreaSpend]
    partners: list[PartnerShare]

    @property
    def capex(self) -> float:
        return sum(p.capex for p in self.periods)

    @property
    def opex_public(self) -> float:
        return sum(p.opex_public for p in self.periods)

    @property
    def cofunding(self) -> float:
        return sum(p.cofunding for p in self.periods)


def build_budget(instance: Instance, solution: Solution) -> Budget:
    spec = instance.spec
    t_of = instance.period_index
    n_t = len(instance.periods)
    opex_cost = {g.id: g.opex_per_period for g in spec.gpu_types}
    price = {(o.id or f"{o.type}#{k}"): o.price for k, o in enumerate(spec.procurement)}
    capex, opex, cofund = [0.0] * n_t, [0.0] * n_t, [0.0] * n_t
    for b in solution.purchases:
        capex[t_of[b.period]] += b.units * price.get(b.option, 0.0)
    top = {a: chain[-1] for a, chain in instance.area_lineage.items()}
    area_opex: dict[str, float] = defaultdict(float)
    area_cofund: dict[str, float] = defaultdict(float)
    partner_cofund: dict[str, float] = defaultdict(float)
    partner_projects: dict[str, int] = defaultdict(int)
    for a in solution.awards:
        p = instance.projects[instance.project_index[a.project]]
        share = public_share(instance, p.partner)
        per_period = sum(n * opex_cost[g] for g, n in a.gpus.items())
        periods = range(t_of[a.start], t_of[a.end] + 1)
        for t in periods:
            opex[t] += per_period * share
            cofund[t] += per_period * (1.0 - share)
        area_opex[top[p.area]] += per_period * share * len(periods)
        area_cofund[top[p.area]] += per_period * (1.0 - share) * len(periods)
        if p.partner:
            partner_cofund[p.partner] += per_period * (1.0 - share) * len(periods)
            partner_projects[p.partner] += 1
    in_kind: dict[str, float] = defaultdict(float)
    for d in spec.supply:
        if d.partner:
            in_kind[d.partner] += d.units * (n_t - t_of[d.period])
    limits = spec.policy.budget
    lines = [BudgetLine("capex", sum(capex), limits.capex),
             BudgetLine("opex", sum(opex), limits.opex),
             BudgetLine("total", sum(capex) + sum(opex), limits.total)]
    return Budget(
        currency=limits.currency, lines=lines,
        periods=[PeriodSpend(t, capex[k], opex[k], cofund[k])
                 for k, t in enumerate(instance.periods)],
        areas=[AreaSpend(a.id, a.name or a.id, area_opex[a.id], area_cofund[a.id])
               for a in spec.areas if a.parent is None],
        partners=[PartnerShare(q.id, q.name or q.id, q.cofunding_share, partner_cofund[q.id],
                               partner_projects[q.id], in_kind[q.id]) for q in spec.partners])
