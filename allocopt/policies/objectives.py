"""Lexicographic tiers and least-cost procurement: objectives over the same columns.

Tiers. A project's tier is its own `tier`, else the nearest tier among its area and
the area's ancestors; projects with none form a last tier. Stage t maximises the
weighted value of tier t's projects, keeping every earlier tier within
`policy.tiers.tolerance` of its optimum.

Least cost. Minimise public spending — purchases (capex) plus the public share of
operating cost — while serving every mandatory project (the assignment rule already
forces them), every project in `policy.least_cost.serve`, a weighted value of at
least `value_floor`, and, when `value_share` > 0, at least that share of the
weighted-value optimum (found first, as a stage of its own).
"""

from __future__ import annotations

import numpy as np

from allocopt.instance import Instance
from allocopt.model.program import Program, VarKind
from allocopt.policies.extend import append_row
from allocopt.policies.stages import Stage


def project_tier(instance: Instance) -> list[int | None]:
    """Each project's tier (None: untiered)."""
    area_tier = {a.id: a.tier for a in instance.spec.areas}
    out = []
    for p in instance.projects:
        tier = p.tier
        for area in instance.area_lineage[p.area]:
            if tier is not None:
                break
            tier = area_tier[area]
        out.append(tier)
    return out


def tier_stages(instance: Instance, program: Program) -> tuple[list[Stage], list[str]]:
    """One stage per tier, in order, then the untiered projects; and the tier names."""
    tolerance = instance.spec.policy.tiers.tolerance
    tiers = project_tier(instance)
    cols = program.columns
    tier_of_col = np.array([tiers[p] if p >= 0 and tiers[p] is not None else 0
                            for p in range(len(tiers))] or [0])[np.maximum(cols.project, 0)]
    tier_of_col = np.where(cols.project >= 0, tier_of_col, -1)
    stages, names = [], []
    ordered = sorted({t for t in tiers if t is not None})
    if any(t is None for t in tiers):
        ordered.append(0)  # untiered, last
    for t in ordered:
        name = f"tier {t}" if t else "untiered"
        vector = np.where(tier_of_col == t, cols.objective, 0.0)
        stages.append(Stage(name, vector, tolerance=tolerance))
        names.append(name)
    return stages, names


def least_cost_stages(instance: Instance, program: Program) -> tuple[Program, list[Stage]]:
    """The program with the must-serve and value-floor rows, and its stages."""
    settings = instance.spec.policy.least_cost
    cols = program.columns
    awards = (cols.kind == VarKind.ASSIGN) | (cols.kind == VarKind.START)
    for project_id in settings.serve:
        p = instance.project_index[project_id]
        program = append_row(program, (awards & (cols.project == p)).astype(float), 1.0, np.inf,
                             ("serve", project_id))
    value = cols.objective.copy()
    if settings.value_floor > 0:
        program = append_row(program, value, settings.value_floor, np.inf, ("value_floor",))
    cost = cols.capex + cols.public_opex
    stages = []
    if settings.value_share > 0:
        stages.append(Stage("weighted value", value, tolerance=1.0 - settings.value_share))
    stages.append(Stage("cost", cost, maximize=False, kind="cost"))
    return program, stages
