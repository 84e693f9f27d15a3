"""Area shares of awarded performance-equivalent GPU-periods A = Σ_p perf_gp[p]:
    A_k ≥ min_share_k · A   and   A_k ≤ max_share_k · A,
where A_k counts the projects of area k and of its descendants. Written as
Σ_p (1[p ∈ k] − share) · perf_gp[p] ≷ 0 so the rows stay linear."""

from __future__ import annotations

import numpy as np

from allocopt.instance import Instance
from allocopt.model.program import Columns, RowBlock, Rule, empty_block


def _block(instance: Instance, columns: Columns, rule: Rule) -> RowBlock:
    is_min = rule is Rule.AREA_MIN_SHARE
    areas = [a for a in instance.spec.areas
             if (a.min_share > 0 if is_min else a.max_share < 1)]
    cols = np.flatnonzero(columns.perf_periods > 0)
    if not areas or len(cols) == 0:
        return empty_block(rule)
    area_index = instance.area_index
    within = np.zeros((len(area_index), len(area_index)), dtype=bool)
    for a, chain in instance.area_lineage.items():
        within[area_index[a], [area_index[k] for k in chain]] = True
    project_area = np.array([area_index[p.area] for p in instance.projects])
    col_area = project_area[columns.project[cols]]
    rows, all_cols, vals = [], [], []
    for n, area in enumerate(areas):
        share = area.min_share if is_min else area.max_share
        inside = within[col_area, area_index[area.id]]
        rows.append(np.full(len(cols), n))
        all_cols.append(cols)
        vals.append((inside.astype(float) - share) * columns.perf_periods[cols])
    k = len(areas)
    lower, upper = ((np.zeros(k), np.full(k, np.inf)) if is_min
                    else (np.full(k, -np.inf), np.zeros(k)))
    return RowBlock(rule, rows=np.concatenate(rows), cols=np.concatenate(all_cols),
                    vals=np.concatenate(vals), lower=lower, upper=upper,
                    keys=[(a.id,) for a in areas])


def define_area_min_share(instance: Instance, columns: Columns) -> RowBlock:
    return _block(instance, columns, Rule.AREA_MIN_SHARE)


def define_area_max_share(instance: Instance, columns: Columns) -> RowBlock:
    return _block(instance, columns, Rule.AREA_MAX_SHARE)
