"""The vocabulary of a solve's outcome, shared by every layer: how it ended (`Status`),
a backend's normalised answer (`Result`) and how far it is from proven (`relative_gap`).
It imports nothing from allocopt, so results, reports and policies read an outcome
without knowing any solver."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the command line imports this module
    import numpy as np


class Status(StrEnum):
    """OPTIMAL: proven within the gap asked for. FEASIBLE: a solution, not proven
    (time limit). INFEASIBLE: no allocation satisfies every rule. UNBOUNDED: the model
    is broken. NO_SOLUTION_FOUND: stopped before any solution. ERROR: the solver failed."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION_FOUND = "no_solution_found"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass
class Result:
    """A backend's answer, normalised. `bound` is the best proven bound on the
    objective (an upper bound when maximising). `row_duals[i]` (LPs only) is
    ∂objective/∂(active bound of row i): when maximising, ≥ 0 on a binding ≤ row."""

    status: Status
    objective: float | None
    bound: float | None
    values: np.ndarray | None
    wall_s: float
    backend: str
    row_duals: np.ndarray | None = None
    interrupted: bool = False
    message: str = ""

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)

    @property
    def abs_gap(self) -> float | None:
        if self.objective is None or not known(self.bound):
            return None
        return abs(self.bound - self.objective)


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|bound − objective| / max(|objective|, 1e-9); 0 when both are 0; None without a
    finite bound (a solver's 1e20 or 1e29 for "none yet" included)."""
    if objective is None or not known(bound):
        return None
    diff = abs(bound - objective)
    if diff <= 1e-9:
        return 0.0
    return diff / max(abs(objective), 1e-9)


def known(value: float | None) -> bool:
    """A value, not a solver's way of saying "none yet": ±inf, or SCIP's 1e20 and CBC's
    1e50 (their infinities)."""
    return value is not None and abs(value) < 1e20
