"""Re-check every rule from the allocation alone, as a table of checks.

This package deliberately shares nothing with `allocopt.model`: `context` reads the
instance's plain fields and the awards once, and each `check_*` recomputes one rule
family from those facts, so that a formulation bug cannot hide itself. AWARD_CHECKS
run award by award, then CHECKS run on the whole allocation, each in table order, so
the violations come out in that order. Tolerances are in `allocopt.verify.base`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from allocopt.instance import Instance
from allocopt.verify.assignment import (
    check_award,
    check_configuration,
    check_gpu_types,
    check_mandatory,
)
from allocopt.verify.base import ABS_TOL, OBJ_REL_TOL, REL_TOL, Violation
from allocopt.verify.budget import check_budget
from allocopt.verify.capacity import check_capacity
from allocopt.verify.context import AwardFacts, Context, build_context
from allocopt.verify.dependencies import check_dependencies
from allocopt.verify.elastic import check_elastic
from allocopt.verify.granularity import check_granularity
from allocopt.verify.policy import check_policy
from allocopt.verify.power import check_power
from allocopt.verify.procurement import check_procurement_quota, check_purchases
from allocopt.verify.shares import check_area_shares
from allocopt.verify.window import check_duration, check_window

__all__ = ["ABS_TOL", "AWARD_CHECKS", "CHECKS", "OBJ_REL_TOL", "REL_TOL", "Violation",
           "rules_checked", "verify"]

AWARD_CHECKS: tuple[Callable[[Context, AwardFacts], Iterator[Violation]], ...] = (
    check_award,
    check_window,
    check_gpu_types,
    check_granularity,
    check_configuration,
    check_elastic,
    check_duration,
)

CHECKS: tuple[Callable[[Context], Iterator[Violation]], ...] = (
    check_mandatory,
    check_purchases,
    check_procurement_quota,
    check_capacity,
    check_power,
    check_dependencies,
    check_area_shares,
    check_budget,
    check_policy,
)


def rules_checked() -> frozenset[str]:
    """Every rule name a check of the table reports."""
    return frozenset(rule for check in (*AWARD_CHECKS, *CHECKS) for rule in check.rules)


def verify(instance: Instance, solution) -> list[Violation]:
    """All violated rules of `solution` (an allocopt Solution) on `instance`."""
    ctx = build_context(instance, solution)
    out = [v for facts in ctx.facts for check in AWARD_CHECKS for v in check(ctx, facts)]
    for check in CHECKS:
        out.extend(check(ctx))
    return out
