"""The formulation as a table of contents: columns, then one call per rule family."""

from __future__ import annotations

from collections.abc import Callable

from allocopt.instance import Instance
from allocopt.model.columns import build_columns, prune
from allocopt.model.program import Columns, Program, RowBlock
from allocopt.model.rules.assignment import define_assignment
from allocopt.model.rules.budget import (
    define_budget_capex,
    define_budget_opex,
    define_budget_total,
)
from allocopt.model.rules.capacity import define_capacity
from allocopt.model.rules.dependencies import define_dependency, define_exclusion
from allocopt.model.rules.elastic import (
    define_elastic_max,
    define_elastic_min,
    define_elastic_units,
)
from allocopt.model.rules.power import define_power
from allocopt.model.rules.procurement import define_procurement_quota
from allocopt.model.rules.shares import define_area_max_share, define_area_min_share

RULES: tuple[Callable[[Instance, Columns], RowBlock], ...] = (
    define_assignment,
    define_elastic_min,
    define_elastic_max,
    define_elastic_units,
    define_capacity,
    define_power,
    define_dependency,
    define_exclusion,
    define_area_min_share,
    define_area_max_share,
    define_budget_capex,
    define_budget_opex,
    define_budget_total,
    define_procurement_quota,
)


def build_program(instance: Instance, pruned: bool = True) -> Program:
    """The weighted-value MILP of `instance`: maximise Σ weight · score · value · start
    factor over the columns, subject to every rule family.

    `pruned=False` keeps columns that capacity or power rule out on their own, so that
    a diagnosis can name those rules."""
    columns = build_columns(instance)
    if pruned:
        columns = prune(instance, columns)
    blocks = [define(instance, columns) for define in RULES]
    return Program(columns=columns, blocks=[b for b in blocks if b.size > 0])
