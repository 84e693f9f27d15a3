"""Budget on public money, each only when set: capex ≤ budget.capex, public opex ≤
budget.opex, capex + public opex ≤ budget.total. Public opex counts each project's
opex less its partner's co-funding share."""

from __future__ import annotations

from collections.abc import Iterator

from allocopt.verify.base import Violation, over, reports
from allocopt.verify.context import Context


@reports("budget_capex", "budget_opex", "budget_total")
def check_budget(ctx: Context) -> Iterator[Violation]:
    budget = ctx.instance.spec.policy.budget
    for rule, spent, limit in (("budget_capex", ctx.capex, budget.capex),
                               ("budget_opex", ctx.public_opex, budget.opex),
                               ("budget_total", ctx.capex + ctx.public_opex, budget.total)):
        if limit is not None and over(spent, limit):
            yield Violation(rule, f"{spent:,.2f} {budget.currency} spent, limit {limit:,.2f}")
