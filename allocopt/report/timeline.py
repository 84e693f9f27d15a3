"""What arrives when, and who runs when: the report's timeline.

Arrivals are the instance's deliveries (a partner's marked as such) and the
allocation's purchases, per GPU type, site and period. A purchase's lead time is the
number of periods from the horizon's start to its option's earliest arrival
(`earliest_period`): what the option could not deliver sooner.

The schedule is one row per funded project: its run (first and last period), site,
configuration and GPUs per type, in the order of projects.csv.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from allocopt.instance import Instance
from allocopt.solution import Solution


@dataclass(frozen=True)
class Arrival:
    """GPUs of `gpu_type` arriving at `site` in `period`. `source` is "delivery",
    "partner" (a partner's delivery, `partner` set) or "purchase" (`option` set)."""

    gpu_type: str
    site: str
    period: str
    units: float
    source: str
    partner: str = ""
    option: str = ""
    lead_periods: int | None = None


@dataclass(frozen=True)
class ScheduleRow:
    project: str
    title: str
    area: str
    site: str
    configuration: str
    start: str
    end: str
    first: int  # period index of start
    last: int   # period index of end
    gpus: dict[str, float]

    @property
    def gpu_text(self) -> str:
        return " + ".join(f"{n:,.0f} {g}" if float(n).is_integer() else f"{n:,.2f} {g}"
                          for g, n in self.gpus.items() if n)


@dataclass(frozen=True)
class Timeline:
    periods: list[str]
    arrivals: list[Arrival]
    schedule: list[ScheduleRow]

    def arrivals_by(self) -> dict[tuple[str, str], dict[int, list[Arrival]]]:
        """(type, site) → period index → arrivals there, in instance order of types."""
        index = {p: k for k, p in enumerate(self.periods)}
        out: dict[tuple[str, str], dict[int, list[Arrival]]] = defaultdict(
            lambda: defaultdict(list))
        for a in self.arrivals:
            out[(a.gpu_type, a.site)][index[a.period]].append(a)
        return out


def build_timeline(instance: Instance, solution: Solution,
                   order: list[str] | None = None, lang: str = "en") -> Timeline:
    """`order`: project ids in the order to list them (default: the instance's); `lang`:
    the language of project titles."""
    from allocopt.report.exposure import project_title

    spec = instance.spec
    t_of = instance.period_index
    earliest = {(o.id or f"{o.type}#{k}"): t_of[o.earliest_period]
                for k, o in enumerate(spec.procurement)}
    type_rank = instance.type_index
    arrivals = [Arrival(d.type, d.site, d.period, float(d.units),
                        "partner" if d.partner else "delivery", partner=d.partner or "")
                for d in spec.supply]
    arrivals += [Arrival(b.gpu_type, b.site, b.period, float(b.units), "purchase",
                         option=b.option, lead_periods=earliest.get(b.option))
                 for b in solution.purchases]
    arrivals.sort(key=lambda a: (type_rank[a.gpu_type], instance.site_index[a.site],
                                 t_of[a.period], a.source))
    awards = {a.project: a for a in solution.awards}
    ids = [p for p in (order or [p.id for p in instance.projects]) if p in awards]
    rows = []
    for pid in ids:
        a = awards[pid]
        p = instance.projects[instance.project_index[pid]]
        gpus = {g.id: a.gpus[g.id] for g in spec.gpu_types if a.gpus.get(g.id)}
        rows.append(ScheduleRow(pid, project_title(p, lang), p.area, a.site,
                                a.configuration or "elastic", a.start, a.end,
                                t_of[a.start], t_of[a.end], gpus))
    return Timeline(list(instance.periods), arrivals, rows)
