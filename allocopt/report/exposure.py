"""Export-control exposure: how much of the awarded capacity sits on controlled GPU types.

Capacity is counted as the area shares count it, in performance-equivalent
GPU-periods: a funded project holding n[g] GPUs of type g over d periods holds
Σ_g n[g] · perf[g] · d (an elastic request counts its efficiency per type). The
controlled share is the part on types the instance marks `export_controlled`.

A project *depends* on controlled types when every configuration it may run uses at
least one controlled type (an elastic request: when every type it accepts is
controlled), so that no uncontrolled (e.g. domestic) alternative exists.

Scenarios (the instance's supply futures) are read, never solved. Two sources:
  * the capacity each scenario would take from this allocation, from the instance
    alone: the awarded GPU-periods beyond what would be on hand under the scenario's
    blockages and delays (before any re-planning);
  * the value in each scenario, when the folder comes from a robust solve
    (scenarios.csv and summary.json's `scenarios`): its value at risk is the best
    scenario's value less its own.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from allocopt.instance import Instance
from allocopt.solution import Award, Solution


@dataclass(frozen=True)
class ExposureRow:
    """Awarded capacity of an area or a project, and the part on controlled types."""

    id: str
    name: str
    perf_gp: float
    controlled_gp: float
    depends: bool = False  # projects: no uncontrolled alternative

    @property
    def share(self) -> float | None:
        return self.controlled_gp / self.perf_gp if self.perf_gp else None


@dataclass(frozen=True)
class ScenarioRisk:
    id: str
    name: str
    probability: float
    exposed_gp: float
    value: float | None = None
    at_risk: float | None = None


@dataclass(frozen=True)
class Exposure:
    controlled_types: list[str]
    total: ExposureRow
    areas: list[ExposureRow]
    projects: list[ExposureRow]
    dependent_unfunded: list[str]
    scenarios: list[ScenarioRisk]
    value_source: str  # "robust" (the folder's scenario values) or "none"


def _award_gp(instance: Instance, award: Award) -> dict[str, float]:
    """Performance-equivalent GPU-periods of one award, per GPU type."""
    p = instance.projects[instance.project_index[award.project]]
    types = instance.spec.gpu_types
    perf = {g.id: g.perf for g in types}
    eff = p.request.elastic.efficiency if p.request.elastic is not None else {}
    d = instance.period_index[award.end] - instance.period_index[award.start] + 1
    return {g: n * eff.get(g, perf[g]) * d for g, n in award.gpus.items() if n}


def project_title(project, lang: str) -> str:
    """An instance project's title in `lang` (Korean: its `title_ko` column, if any)."""
    if lang == "ko" and project.extra.get("title_ko"):
        return project.extra["title_ko"]
    return project.title


def depends_on_controlled(instance: Instance, project) -> bool:
    controlled = {g.id for g in instance.spec.gpu_types if g.export_controlled}
    if project.request.elastic is not None:
        return all(g in controlled for g in project.request.elastic.types)
    return all(any(g in controlled for g in c.gpus) for c in project.request.configurations)


def _retained(scenario, gpu_type: str, site: str, t: int, t_of: dict[str, int]) -> float:
    """Share of what is scheduled to arrive that arrives (the robust policy's rule)."""
    share = 1.0
    for b in scenario.blocked:
        if b.type == gpu_type and (not b.sites or site in b.sites) and t >= t_of[b.from_period]:
            share *= 1.0 - b.share
    return share


def _uncovered(instance: Instance, solution: Solution, scenario) -> float:
    """Performance-equivalent GPU-periods the allocation holds beyond what would be on
    hand under `scenario`: Σ_{g,s,t} perf[g] · max(0, held − available_scenario).
    Blocked arrivals round down to whole GPUs; delayed ones past the horizon never come."""
    spec = instance.spec
    g_of, s_of, t_of = instance.type_index, instance.site_index, instance.period_index
    n_t = len(instance.periods)
    held = np.zeros((len(spec.gpu_types), len(spec.sites), n_t))
    for a in solution.awards:
        for g, n in a.gpus.items():
            held[g_of[g], s_of[a.site], t_of[a.start]:t_of[a.end] + 1] += n
    arrivals = np.zeros_like(held)
    scheduled = [(d.type, d.site, d.period, d.units) for d in spec.supply]
    scheduled += [(b.gpu_type, b.site, b.period, b.units) for b in solution.purchases]
    for g, site, period, units in scheduled:
        t = t_of[period] + sum(d.periods for d in scenario.delays if d.site == site)
        if t < n_t:
            kept = math.floor(units * _retained(scenario, g, site, t_of[period], t_of) + 1e-9)
            arrivals[g_of[g], s_of[site], t] += kept
    short = np.maximum(held - np.cumsum(arrivals, axis=2), 0.0)
    perf = np.array([g.perf for g in spec.gpu_types])
    return float(np.einsum("gst,g->", short, perf))


def _scenario_rows(instance: Instance, solution: Solution,
                   values: dict[str, float] | None) -> list[ScenarioRisk]:
    out = []
    best = max(values.values()) if values else None
    for sc in instance.spec.scenarios:
        value = values.get(sc.id) if values else None
        out.append(ScenarioRisk(sc.id, sc.name or sc.id, sc.probability,
                                _uncovered(instance, solution, sc), value,
                                best - value if value is not None and best is not None
                                else None))
    return out


def build_exposure(instance: Instance, solution: Solution,
                   scenario_values: dict[str, float] | None = None,
                   lang: str = "en") -> Exposure:
    """`scenario_values`: scenario id → value, from a robust folder's scenarios.csv;
    `lang`: the language of project titles (a project's `title_ko`, when it has one)."""
    spec = instance.spec
    controlled = {g.id for g in spec.gpu_types if g.export_controlled}
    area_gp: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    projects = []
    for a in solution.awards:
        p = instance.projects[instance.project_index[a.project]]
        gp = _award_gp(instance, a)
        total, ctrl = sum(gp.values()), sum(v for g, v in gp.items() if g in controlled)
        for area in instance.area_lineage[p.area]:
            area_gp[area][0] += total
            area_gp[area][1] += ctrl
        projects.append(ExposureRow(p.id, project_title(p, lang) or p.id, total, ctrl,
                                    depends_on_controlled(instance, p)))
    tops = [a.id for a in spec.areas if a.parent is None]
    grand = ExposureRow("total", "total", sum(area_gp[a][0] for a in tops),
                        sum(area_gp[a][1] for a in tops))
    funded = {a.project for a in solution.awards}
    values = scenario_values or None
    return Exposure(
        controlled_types=[g.id for g in spec.gpu_types if g.export_controlled],
        total=grand,
        areas=[ExposureRow(a.id, a.name or a.id, *area_gp[a.id]) for a in spec.areas],
        projects=projects,
        dependent_unfunded=[p.id for p in instance.projects
                            if p.id not in funded and depends_on_controlled(instance, p)],
        scenarios=_scenario_rows(instance, solution, values),
        value_source="robust" if values else "none")
