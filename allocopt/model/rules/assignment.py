"""One configuration and start per project: Σ_{c,s,τ} y[p,c,s,τ] + Σ_{s,τ} z[p,s,τ] ≤ 1,
and = 1 when the project is mandatory."""

from __future__ import annotations

import numpy as np

from allocopt.instance import Instance
from allocopt.model.program import Columns, RowBlock, Rule, VarKind, empty_block


def define_assignment(instance: Instance, columns: Columns) -> RowBlock:
    cols = np.flatnonzero((columns.kind == VarKind.ASSIGN) | (columns.kind == VarKind.START))
    projects = instance.projects
    if not projects:
        return empty_block(Rule.ASSIGNMENT)
    mandatory = np.array([p.mandatory for p in projects])
    return RowBlock(Rule.ASSIGNMENT, rows=columns.project[cols], cols=cols,
                    vals=np.ones(len(cols)), lower=np.where(mandatory, 1.0, -np.inf),
                    upper=np.ones(len(projects)), keys=[(p.id,) for p in projects])
