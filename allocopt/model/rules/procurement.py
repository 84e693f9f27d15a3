"""Procurement quota (export quota): Σ_{s,t} bought[o,s,t] ≤ max_units[o] per option.
Lead times are in the columns: nothing of option o arrives before its earliest period."""

from __future__ import annotations

import numpy as np

from allocopt.instance import Instance
from allocopt.model.program import Columns, RowBlock, Rule, VarKind, empty_block


def define_procurement_quota(instance: Instance, columns: Columns) -> RowBlock:
    cols = np.flatnonzero(columns.kind == VarKind.BUY)
    if len(cols) == 0:
        return empty_block(Rule.PROCUREMENT_QUOTA)
    options, rows = np.unique(columns.option[cols], return_inverse=True)
    spec = instance.spec.procurement
    upper = np.array([spec[o].max_units for o in options], dtype=float)
    keys = [(spec[o].id or f"{spec[o].type}#{o}",) for o in options]
    return RowBlock(Rule.PROCUREMENT_QUOTA, rows=rows, cols=cols,
                    vals=columns.unit[cols].astype(float),
                    lower=np.full(len(options), -np.inf), upper=upper, keys=keys)
