"""Warnings about coefficients that strain floating-point solvers.

Solvers scale rows and columns themselves, but a matrix whose nonzeros span many
orders of magnitude, or holds values near the tolerances, can still give answers that
are off by more than the tolerances `verify` uses. Such an instance is solved anyway;
the warnings say where to look (usually a unit: won instead of million won).
"""

from __future__ import annotations

import numpy as np

from allocopt.model import Program

TINY = 1e-7
HUGE = 1e9
SPREAD = 1e9


def coefficient_warnings(program: Program) -> list[str]:
    """One line per numerical hazard in the model's matrix, bounds and objective."""
    a, lower, upper = program.matrix()
    out = []
    labels = program.row_labels()
    values = np.abs(a.data[a.data != 0])
    if len(values):
        if values.min() < TINY:
            row = int(np.searchsorted(a.indptr, np.flatnonzero(np.abs(a.data) == values.min())[0],
                                      side="right") - 1)
            out.append(f"tiny coefficient {values.min():.3g} in a {labels[row][0].value} row "
                       f"{labels[row][1]}")
        if values.max() > HUGE:
            out.append(f"huge coefficient {values.max():.3g} in the matrix")
        if values.max() / values.min() > SPREAD:
            out.append(f"matrix coefficients span {values.max() / values.min():.2g}: "
                       "consider other units")
    bounds = np.abs(np.concatenate([lower[np.isfinite(lower)], upper[np.isfinite(upper)]]))
    if len(bounds) and bounds.max() > HUGE:
        out.append(f"huge right-hand side {bounds.max():.3g} (a budget in base units?)")
    objective = np.abs(program.columns.objective[program.columns.objective != 0])
    if len(objective) and objective.max() / objective.min() > SPREAD:
        out.append(f"objective coefficients span {objective.max() / objective.min():.2g}")
    return out
