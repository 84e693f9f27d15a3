"""Capacity: Σ_p gpus[p,g,s,t] − Σ_o bought[o,g,s,≤t] ≤ supply[g,s,t] for every GPU type,
site and period in which some project could hold that type."""

from __future__ import annotations

import numpy as np

from allocopt.instance import Instance
from allocopt.model.program import Columns, RowBlock, Rule, empty_block
from allocopt.model.rules.usage import period_arrivals, period_usage


def define_capacity(instance: Instance, columns: Columns) -> RowBlock:
    use = period_usage(columns)
    if len(use.column) == 0:
        return empty_block(Rule.CAPACITY)
    n_s, n_t = len(instance.spec.sites), len(instance.periods)
    key = (use.gpu_type * n_s + use.site) * n_t + use.period
    row_keys, rows = np.unique(key, return_inverse=True)
    buy = period_arrivals(columns)
    buy_key = (buy.gpu_type * n_s + buy.site) * n_t + buy.period
    pos = np.searchsorted(row_keys, buy_key)
    hit = (pos < len(row_keys)) & (row_keys[np.minimum(pos, len(row_keys) - 1)] == buy_key)
    g, rest = np.divmod(row_keys, n_s * n_t)
    s, t = np.divmod(rest, n_t)
    upper = instance.supply_cumulative[g, s, t]
    types = [x.id for x in instance.spec.gpu_types]
    sites = [x.id for x in instance.spec.sites]
    keys = [(types[a], sites[b], instance.periods[c]) for a, b, c in zip(g, s, t, strict=True)]
    return RowBlock(
        Rule.CAPACITY,
        rows=np.concatenate([rows, pos[hit]]),
        cols=np.concatenate([use.column, buy.column[hit]]),
        vals=np.concatenate([use.amount, -buy.amount[hit]]),
        lower=np.full(len(row_keys), -np.inf), upper=upper, keys=keys)
