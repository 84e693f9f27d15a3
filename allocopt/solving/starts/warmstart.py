"""Seeding a solve with an earlier allocation (re-solving after a small change)."""

from __future__ import annotations

import numpy as np

from allocopt.instance import Instance
from allocopt.model.decode import option_label
from allocopt.model.program import Program, VarKind
from allocopt.solution import Solution


def hint_from_solution(instance: Instance, program: Program, previous: Solution) -> np.ndarray:
    """Column values that reproduce `previous` where its awards still exist as columns.

    Awards whose project, configuration, site or start no longer exists are left out
    (the solver completes or repairs the hint); every other column is hinted 0.
    """
    cols = program.columns
    spec = instance.spec
    hint = np.zeros(len(cols))
    index: dict[tuple, int] = {}
    for j in range(len(cols)):
        kind = VarKind(cols.kind[j])
        if kind is VarKind.AUX:
            continue
        if kind is VarKind.BUY:
            key = ("buy", option_label(instance, int(cols.option[j])),
                   spec.sites[cols.site[j]].id, instance.periods[cols.start[j]])
        else:
            project = spec.projects[cols.project[j]]
            site, start = spec.sites[cols.site[j]].id, instance.periods[cols.start[j]]
            if kind is VarKind.ASSIGN:
                config = project.request.configurations[cols.config[j]].id
                key = ("assign", project.id, config, site, start)
            elif kind is VarKind.START:
                key = ("start", project.id, site, start)
            else:
                key = ("size", project.id, site, start, spec.gpu_types[cols.gpu_type[j]].id)
        index[key] = j
    for a in previous.awards:
        if a.configuration is not None:
            j = index.get(("assign", a.project, a.configuration, a.site, a.start))
            if j is not None:
                hint[j] = 1.0
            continue
        j = index.get(("start", a.project, a.site, a.start))
        if j is None:
            continue
        hint[j] = 1.0
        for g, n in a.gpus.items():
            k = index.get(("size", a.project, a.site, a.start, g))
            if k is not None:
                hint[k] = n / cols.unit[k]
    for b in previous.purchases:
        j = index.get(("buy", b.option, b.site, b.period))
        if j is not None:
            hint[j] = b.units / cols.unit[j]
    return hint
