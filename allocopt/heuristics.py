"""A fast feasible starting allocation, handed to the solver as a hint.

Greedy by value density: options (a project's configuration, site and start) are
taken in order of value per performance-equivalent GPU-period, mandatory projects
first, while capacity, power, the opex budget, exclusions, dependencies and area
maximum shares still hold. Elastic projects take the largest size that fits, from
their most efficient type down. Nothing is bought. The result may still miss a
minimum share; the solver repairs or discards the hint then.
"""

from __future__ import annotations

import numpy as np

from allocopt.instance import Instance
from allocopt.model.program import Program, VarKind


def greedy_hint(instance: Instance, program: Program) -> np.ndarray:
    cols = program.columns
    spec = instance.spec
    n_t = len(instance.periods)
    room = instance.supply_cumulative.copy()  # [g, s, t]
    power_kw = np.array([g.power_kw for g in spec.gpu_types])
    pue = np.array([s.pue for s in spec.sites])
    power_left = np.array([[s.power_mw * 1000.0] * n_t for s in spec.sites])
    opex_left = spec.policy.budget.opex
    total_left = spec.policy.budget.total
    hint = np.zeros(len(cols))

    usage_of: dict[int, list[tuple[int, float]]] = {}
    for j, g, n in zip(cols.usage_column, cols.usage_type, cols.usage_amount, strict=True):
        usage_of.setdefault(int(j), []).append((int(g), float(n)))
    sizes_of: dict[int, list[int]] = {}
    for k in np.flatnonzero(cols.kind == VarKind.SIZE):
        sizes_of.setdefault(int(cols.start_column[k]), []).append(int(k))

    candidates = np.flatnonzero((cols.kind == VarKind.ASSIGN) | (cols.kind == VarKind.START))
    density = np.zeros(len(cols))
    for j in candidates:
        if cols.kind[j] == VarKind.ASSIGN:
            density[j] = cols.objective[j] / max(cols.perf_periods[j], 1e-9)
        else:
            sizes = sizes_of.get(int(j), [])
            density[j] = max((cols.objective[k] / cols.perf_periods[k] for k in sizes),
                             default=0.0)
    mandatory = np.array([spec.projects[p].mandatory for p in cols.project[candidates]])
    order = candidates[np.lexsort((-density[candidates], ~mandatory))]

    placed: dict[int, tuple[int, int]] = {}  # project -> (start, end exclusive)
    index = instance.project_index
    excluded: dict[int, set[int]] = {}
    for q, other in enumerate(spec.projects):
        for r in other.excludes:
            excluded.setdefault(q, set()).add(index[r])
            excluded.setdefault(index[r], set()).add(q)
    max_share = {a.id: a.max_share for a in spec.areas if a.max_share < 1}
    area_gp: dict[str, float] = {}
    total_gp = 0.0

    for j in order:
        p = int(cols.project[j])
        if p in placed:
            continue
        project = spec.projects[p]
        s, t0, d = int(cols.site[j]), int(cols.start[j]), int(cols.duration[j])
        if any(q in placed for q in excluded.get(p, ())):
            continue
        if any(index[q] not in placed or placed[index[q]][1] > t0 for q in project.depends_on):
            continue
        if cols.kind[j] == VarKind.ASSIGN:
            take = [(j, 1.0, usage_of.get(int(j), []))]
        else:
            take = _elastic_take(instance, cols, int(j), sizes_of.get(int(j), []), room,
                                 power_left, power_kw, pue)
            if take is None:
                continue
        need = {}
        for _, amount, usage in take:
            for g, n in usage:
                need[g] = need.get(g, 0.0) + amount * n
        window = slice(t0, t0 + d)
        if any(room[g, s, window].min() < n - 1e-9 for g, n in need.items()):
            continue
        draw = sum(n * power_kw[g] for g, n in need.items()) * pue[s]
        if draw > 0 and power_left[s, window].min() < draw - 1e-9:
            continue
        opex = sum(amount * cols.public_opex[k] for k, amount, _ in take)
        if (opex_left is not None and opex > opex_left + 1e-9) or (
                total_left is not None and opex > total_left + 1e-9):
            continue
        gp = sum(amount * cols.perf_periods[k] for k, amount, _ in take)
        if not _shares_hold(instance, project.area, gp, area_gp, total_gp, max_share):
            continue
        for g, n in need.items():
            room[g, s, window] -= n
        power_left[s, window] -= draw
        opex_left = None if opex_left is None else opex_left - opex
        total_left = None if total_left is None else total_left - opex
        for k, amount, _ in take:
            hint[k] = amount
        if cols.kind[j] == VarKind.START:
            hint[j] = 1.0
        placed[p] = (t0, t0 + d)
        for area in instance.area_lineage[project.area]:
            area_gp[area] = area_gp.get(area, 0.0) + gp
        total_gp += gp
    return hint


def _shares_hold(instance: Instance, area: str, gp: float, area_gp: dict[str, float],
                 total_gp: float, max_share: dict[str, float]) -> bool:
    """Would adding `gp` to `area` keep every maximum share?"""
    new_total = total_gp + gp
    lineage = set(instance.area_lineage[area])
    for a, share in max_share.items():
        got = area_gp.get(a, 0.0) + (gp if a in lineage else 0.0)
        if got > share * new_total + 1e-9:
            return False
    return True


def _elastic_take(instance: Instance, cols, start: int, sizes: list[int], room: np.ndarray,
                  power_left: np.ndarray, power_kw: np.ndarray,
                  pue: np.ndarray) -> list[tuple[int, float, list]] | None:
    """The largest elastic size that fits at this start, most efficient types first."""
    project = instance.projects[cols.project[start]]
    e = project.request.elastic
    s, t0, d = int(cols.site[start]), int(cols.start[start]), int(cols.duration[start])
    window = slice(t0, t0 + d)
    want = e.max_gpus
    units_left = e.max_units if e.max_units is not None else np.inf
    power = float(power_left[s, window].min())
    take = []
    got = 0.0
    for k in sorted(sizes, key=lambda k: -cols.perf_periods[k]):
        g, unit = int(cols.gpu_type[k]), float(cols.unit[k])
        per_unit = cols.perf_periods[k] / d
        fit = min(float(room[g, s, window].min()) / unit, cols.upper[k],
                  (want - got) / per_unit, units_left / unit)
        if power_kw[g] > 0:
            fit = min(fit, power / (unit * power_kw[g] * pue[s]))
        if cols.integer[k]:
            fit = np.floor(fit + 1e-9)
        if fit <= 0:
            continue
        take.append((k, float(fit), [(g, unit)]))
        got += fit * per_unit
        units_left -= fit * unit
        power -= fit * unit * power_kw[g] * pue[s]
        if got >= want - 1e-9:
            break
    if got < e.min_gpus - 1e-9 or got <= 0:
        return None
    return take
