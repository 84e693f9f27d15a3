"""Dependencies and exclusions between projects.

Dependency (p needs q finished first), for every period t in which p could start:
    Σ_{τ ≤ t} start[p, τ] ≤ Σ_{τ' + d_q ≤ t} start[q, τ']
i.e. if p has started by t, q has finished by t. This aggregated precedence form
needs no big-M, and at the last period it also says "p funded ⇒ q funded".

Exclusion (p and q never both): Σ start[p, ·] + Σ start[q, ·] ≤ 1.
"""

from __future__ import annotations

import numpy as np

from allocopt.instance import Instance
from allocopt.model.program import Columns, RowBlock, Rule, VarKind, empty_block


def _decision_columns(columns: Columns, n_projects: int) -> list[np.ndarray]:
    cols = np.flatnonzero((columns.kind == VarKind.ASSIGN) | (columns.kind == VarKind.START))
    order = np.argsort(columns.project[cols], kind="stable")
    cols = cols[order]
    bounds = np.searchsorted(columns.project[cols], np.arange(n_projects + 1))
    return [cols[bounds[i]:bounds[i + 1]] for i in range(n_projects)]


def define_dependency(instance: Instance, columns: Columns) -> RowBlock:
    index = instance.project_index
    by_project = _decision_columns(columns, len(instance.projects))
    rows, cols, vals, keys = [], [], [], []
    n = 0
    for project in instance.projects:
        p_cols = by_project[index[project.id]]
        for other in project.depends_on:
            q_cols = by_project[index[other]]
            q_end = columns.start[q_cols] + columns.duration[q_cols]
            for t in np.unique(columns.start[p_cols]):
                mine = p_cols[columns.start[p_cols] <= t]
                done = q_cols[q_end <= t]
                rows.append(np.full(len(mine) + len(done), n))
                cols.append(np.concatenate([mine, done]))
                vals.append(np.concatenate([np.ones(len(mine)), -np.ones(len(done))]))
                keys.append((project.id, other, instance.periods[t]))
                n += 1
    if n == 0:
        return empty_block(Rule.DEPENDENCY)
    return RowBlock(Rule.DEPENDENCY, rows=np.concatenate(rows), cols=np.concatenate(cols),
                    vals=np.concatenate(vals), lower=np.full(n, -np.inf), upper=np.zeros(n),
                    keys=keys)


def define_exclusion(instance: Instance, columns: Columns) -> RowBlock:
    index = instance.project_index
    pairs = sorted({tuple(sorted((p.id, q))) for p in instance.projects for q in p.excludes})
    if not pairs:
        return empty_block(Rule.EXCLUSION)
    by_project = _decision_columns(columns, len(instance.projects))
    rows, cols = [], []
    for n, (a, b) in enumerate(pairs):
        both = np.concatenate([by_project[index[a]], by_project[index[b]]])
        rows.append(np.full(len(both), n))
        cols.append(both)
    c = np.concatenate(cols)
    return RowBlock(Rule.EXCLUSION, rows=np.concatenate(rows), cols=c, vals=np.ones(len(c)),
                    lower=np.full(len(pairs), -np.inf), upper=np.ones(len(pairs)),
                    keys=[tuple(p) for p in pairs])
