"""Elastic size: min_gpus · z[p,s,τ] ≤ Σ_g eff[p,g] · x[p,g,s,τ] ≤ max_gpus · z[p,s,τ],
in performance-equivalent GPUs. The upper row also ties x to its start: no start, no GPUs.
Where a request sets max_units: Σ_g x[p,g,s,τ] ≤ max_units · z[p,s,τ] in GPUs."""

from __future__ import annotations

import numpy as np

from allocopt.instance import Instance
from allocopt.model.program import Columns, RowBlock, Rule, VarKind, empty_block


def _limits(instance: Instance, columns: Columns, starts: np.ndarray) -> tuple[np.ndarray, ...]:
    """min_gpus and max_gpus of each start column's project."""
    requests = [p.request.elastic for p in instance.projects]
    lo = np.array([e.min_gpus if e else 0.0 for e in requests])
    hi = np.array([e.max_gpus if e else 0.0 for e in requests])
    return lo[columns.project[starts]], hi[columns.project[starts]]


def _block(instance: Instance, columns: Columns, rule: Rule) -> RowBlock:
    starts = np.flatnonzero(columns.kind == VarKind.START)
    if len(starts) == 0:
        return empty_block(rule)
    sizes = np.flatnonzero(columns.kind == VarKind.SIZE)
    row_of_start = np.full(len(columns), -1)
    row_of_start[starts] = np.arange(len(starts))
    min_gpus, max_gpus = _limits(instance, columns, starts)
    perf_per_unit = columns.perf_periods[sizes] / columns.duration[sizes]
    bound = min_gpus if rule is Rule.ELASTIC_MIN else max_gpus
    rows = np.concatenate([row_of_start[columns.start_column[sizes]], np.arange(len(starts))])
    cols = np.concatenate([sizes, starts])
    vals = np.concatenate([perf_per_unit, -bound])
    n = len(starts)
    lower, upper = ((np.zeros(n), np.full(n, np.inf)) if rule is Rule.ELASTIC_MIN
                    else (np.full(n, -np.inf), np.zeros(n)))
    keys = [(instance.projects[p].id, instance.spec.sites[s].id, instance.periods[t])
            for p, s, t in zip(columns.project[starts], columns.site[starts],
                               columns.start[starts], strict=True)]
    return RowBlock(rule, rows=rows, cols=cols, vals=vals, lower=lower, upper=upper, keys=keys)


def define_elastic_min(instance: Instance, columns: Columns) -> RowBlock:
    return _block(instance, columns, Rule.ELASTIC_MIN)


def define_elastic_max(instance: Instance, columns: Columns) -> RowBlock:
    return _block(instance, columns, Rule.ELASTIC_MAX)


def define_elastic_units(instance: Instance, columns: Columns) -> RowBlock:
    starts = np.flatnonzero(columns.kind == VarKind.START)
    caps = np.array([p.request.elastic.max_units or 0.0 if p.request.elastic else 0.0
                     for p in instance.projects])
    starts = starts[caps[columns.project[starts]] > 0]
    if len(starts) == 0:
        return empty_block(Rule.ELASTIC_UNITS)
    row_of_start = np.full(len(columns), -1)
    row_of_start[starts] = np.arange(len(starts))
    sizes = np.flatnonzero(columns.kind == VarKind.SIZE)
    sizes = sizes[row_of_start[columns.start_column[sizes]] >= 0]
    n = len(starts)
    keys = [(instance.projects[p].id, instance.spec.sites[s].id, instance.periods[t])
            for p, s, t in zip(columns.project[starts], columns.site[starts],
                               columns.start[starts], strict=True)]
    return RowBlock(Rule.ELASTIC_UNITS,
                    rows=np.concatenate([row_of_start[columns.start_column[sizes]],
                                         np.arange(n)]),
                    cols=np.concatenate([sizes, starts]),
                    vals=np.concatenate([columns.unit[sizes].astype(float),
                                         -caps[columns.project[starts]]]),
                    lower=np.full(n, -np.inf), upper=np.zeros(n), keys=keys)
