"""Budget on public money. capex = Σ price · bought; public opex = Σ_p (1 − cofunding
share of p's partner) · opex_per_period · GPUs · periods. Rows, each only when set:
capex ≤ budget.capex, opex ≤ budget.opex, capex + opex ≤ budget.total."""

from __future__ import annotations

import numpy as np

from allocopt.instance import Instance
from allocopt.model.program import Columns, RowBlock, Rule, empty_block


def _single_row(rule: Rule, coef: np.ndarray, limit: float | None) -> RowBlock:
    cols = np.flatnonzero(coef)
    if limit is None:
        return empty_block(rule)
    return RowBlock(rule, rows=np.zeros(len(cols), np.int64), cols=cols, vals=coef[cols],
                    lower=np.array([-np.inf]), upper=np.array([limit]), keys=[()])


def define_budget_capex(instance: Instance, columns: Columns) -> RowBlock:
    return _single_row(Rule.BUDGET_CAPEX, columns.capex, instance.spec.policy.budget.capex)


def define_budget_opex(instance: Instance, columns: Columns) -> RowBlock:
    return _single_row(Rule.BUDGET_OPEX, columns.public_opex, instance.spec.policy.budget.opex)


def define_budget_total(instance: Instance, columns: Columns) -> RowBlock:
    return _single_row(Rule.BUDGET_TOTAL, columns.capex + columns.public_opex,
                       instance.spec.policy.budget.total)
