"""What an allocation uses and what it leaves: the books a report and `why` read.

Everything is recomputed from the instance and the awards alone, in the same units as
`allocopt.verify`: GPUs per (type, site, period), kW per (site, period), public money,
and performance-equivalent GPU-periods per area.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from allocopt.instance import Instance
from allocopt.results import award_value
from allocopt.solution import Award, Solution


@dataclass(frozen=True)
class Ledger:
    """Arrays are indexed [type, site, period] or [site, period] in instance order.

    available = supply on hand + units bought (both accumulate);
    spare = available − held; drawn_kw = Σ_g held · power_kw[g] · pue[s].
    """

    held: np.ndarray
    available: np.ndarray
    drawn_kw: np.ndarray
    limit_kw: np.ndarray
    bought: dict[str, float]
    capex: float
    opex_public: float
    area_perf_gp: dict[str, float]
    total_perf_gp: float
    awards: dict[str, Award]
    runs: dict[str, tuple[int, int]]
    perf_gp: dict[str, float]
    value: dict[str, float]

    @property
    def spare(self) -> np.ndarray:
        return self.available - self.held

    def density(self, project_id: str) -> float | None:
        """Value per performance-equivalent GPU-period of a funded project."""
        gp = self.perf_gp.get(project_id, 0.0)
        return self.value[project_id] / gp if gp > 0 else None


def public_share(instance: Instance, partner: str | None) -> float:
    """Share of a project's operating cost paid from the public budget."""
    return 1.0 - instance.partner_cofunding.get(partner, 0.0) if partner else 1.0


def build_ledger(instance: Instance, solution: Solution) -> Ledger:
    spec = instance.spec
    n_g, n_s, n_t = len(spec.gpu_types), len(spec.sites), len(instance.periods)
    g_of, s_of, t_of = instance.type_index, instance.site_index, instance.period_index
    types = spec.gpu_types
    held = np.zeros((n_g, n_s, n_t))
    arrivals = np.zeros((n_g, n_s, n_t))
    bought: dict[str, float] = defaultdict(float)
    capex = 0.0
    price = {(o.id or f"{o.type}#{k}"): o.price for k, o in enumerate(spec.procurement)}
    for b in solution.purchases:
        arrivals[g_of[b.gpu_type], s_of[b.site], t_of[b.period]] += b.units
        bought[b.option] += b.units
        capex += b.units * price.get(b.option, 0.0)
    opex = 0.0
    area_gp: dict[str, float] = defaultdict(float)
    runs, perf_gp, value, awards = {}, {}, {}, {}
    for a in solution.awards:
        p = instance.projects[instance.project_index[a.project]]
        first, last = t_of[a.start], t_of[a.end]
        size, v = award_value(instance, a)
        awards[a.project] = a
        runs[a.project] = (first, last)
        perf_gp[a.project] = size * (last - first + 1)
        value[a.project] = v
        for area in instance.area_lineage[p.area]:
            area_gp[area] += perf_gp[a.project]
        share = public_share(instance, p.partner)
        for g, n in a.gpus.items():
            held[g_of[g], s_of[a.site], first:last + 1] += n
            opex += n * types[g_of[g]].opex_per_period * (last - first + 1) * share
    power_kw = np.array([g.power_kw for g in types])
    pue = np.array([s.pue for s in spec.sites])
    drawn = np.einsum("gst,g->st", held, power_kw) * pue[:, None]
    total = sum(area_gp[a.id] for a in spec.areas if a.parent is None)
    return Ledger(held=held, available=instance.supply_cumulative + np.cumsum(arrivals, axis=2),
                  drawn_kw=drawn, limit_kw=np.array([s.power_mw * 1000.0 for s in spec.sites]),
                  bought=dict(bought), capex=capex, opex_public=opex,
                  area_perf_gp=dict(area_gp), total_perf_gp=total, awards=awards, runs=runs,
                  perf_gp=perf_gp, value=value)
