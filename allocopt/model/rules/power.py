"""Site power: Σ_g gpus[g,s,t] · power_kw[g] · pue[s] ≤ 1000 · power_mw[s] for every site
and period; GPUs draw power while allocated to a project."""

from __future__ import annotations

import numpy as np

from allocopt.instance import Instance
from allocopt.model.program import Columns, RowBlock, Rule, empty_block
from allocopt.model.rules.usage import period_usage


def define_power(instance: Instance, columns: Columns) -> RowBlock:
    spec = instance.spec
    power_kw = np.array([g.power_kw for g in spec.gpu_types])
    pue = np.array([s.pue for s in spec.sites])
    use = period_usage(columns)
    coef = use.amount * power_kw[use.gpu_type] * pue[use.site]
    keep = coef > 0
    if not keep.any():
        return empty_block(Rule.POWER)
    n_t = len(instance.periods)
    key = use.site[keep] * n_t + use.period[keep]
    row_keys, rows = np.unique(key, return_inverse=True)
    s, t = np.divmod(row_keys, n_t)
    limit_kw = np.array([site.power_mw * 1000.0 for site in spec.sites])[s]
    keys = [(spec.sites[a].id, instance.periods[b]) for a, b in zip(s, t, strict=True)]
    return RowBlock(Rule.POWER, rows=rows, cols=use.column[keep], vals=coef[keep],
                    lower=np.full(len(row_keys), -np.inf), upper=limit_kw, keys=keys)
