"""What every check shares: the Violation type, the tolerances and the `reports` mark.

Tolerances: a quantity may exceed its limit by at most ABS_TOL + REL_TOL · |limit|
(REL_TOL is the feasibility tolerance the solvers themselves apply to rows: a 40,000
budget may be exceeded by 0.04); the objective must match the reported one within
OBJ_REL_TOL relative.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

ABS_TOL = 1e-6
REL_TOL = 1e-6
OBJ_REL_TOL = 1e-6


@dataclass(frozen=True)
class Violation:
    """A rule that does not hold, named as in the model (`capacity`, `power`, ...)."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def over(value: float, limit: float) -> bool:
    """value > limit beyond the tolerance."""
    return value > limit + ABS_TOL + REL_TOL * abs(limit)


F = TypeVar("F", bound=Callable)


def reports(*rules: str) -> Callable[[F], F]:
    """Mark a check with the rule names its violations carry (`check.rules`), so that a
    test can tell that every rule family of the model has its check."""

    def mark(check: F) -> F:
        check.rules = rules  # type: ignore[attr-defined]
        return check

    return mark
