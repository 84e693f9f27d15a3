"""Reduced-cost fixing: integer columns that no allocation as good as a known one moves.

The program, written as a maximisation (a minimisation is negated first):

    max c·x  s.t.  L ≤ A x ≤ U,  l ≤ x ≤ u,  x_j integer for j in J.

Take any row prices y with y_i > 0 only where U_i is finite and y_i < 0 only where L_i
is finite (the LP's optimal duals, with any sign a missing bound forbids set to 0), and
the reduced costs d = c − Aᵀy. For every x that meets the rows and the bounds,

    c·x = y·Ax + d·x ≤ D(y) − Σ_{d_j<0} |d_j| (x_j − l_j) − Σ_{d_j>0} d_j (u_j − x_j),

    D(y) = Σ_{y_i>0} y_i U_i + Σ_{y_i<0} y_i L_i + Σ_{d_j>0} d_j u_j + Σ_{d_j<0} d_j l_j,

because y_i·(Ax)_i ≤ y_i U_i (or y_i L_i) row by row and d_j x_j = d_j u_j − d_j (u_j − x_j)
(or d_j l_j − |d_j| (x_j − l_j)) column by column. D(y) is the LP dual's objective: the
LP optimum at the optimal duals, and a bound on it (weak duality) at any others, so the
argument needs neither optimality nor exact duals, only that D(y) is computed from the
same y and d. Every subtracted term is ≥ 0. Let z be the value of an allocation known to
meet every rule (the incumbent) and Δ = D(y) − z. An allocation worth at least z keeps
each term ≤ Δ, so for an integer column

    d_j < 0:  x_j ≤ l_j + ⌊Δ / |d_j|⌋,        d_j > 0:  x_j ≥ u_j − ⌊Δ / d_j⌋,

which fixes a binary column at its LP-side bound as soon as |d_j| > Δ.

Why this is exact. Let F be the program with those bounds. F only tightens bounds, so
every allocation of F is one of the whole program; and every allocation of the whole
program worth at least z is one of F. Hence the incumbent lies in F (F is feasible), the
whole program's optimum, worth at least z, lies in F, and OPT(F) = OPT. A bound B proven
on F bounds the whole program too: an allocation outside F is worth less than z ≤ OPT(F)
≤ B. So max(z, B) is a proven bound of the whole program (equal to B for a correct B,
since the incumbent is in F; the max only guards against a solver's tolerances).

Numerics: Δ is widened by `MARGIN` × max(1, |z|) and reduced costs under `TINY` fix
nothing, so rounding in the LP's duals can only fix fewer columns, never a wrong one.
Continuous columns are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from allocopt.model.program import Program

#: Δ is widened by this share of the incumbent's value before any bound is tightened.
MARGIN = 1e-7
#: Reduced costs smaller than this (in objective units) tighten nothing.
TINY = 1e-9


@dataclass(frozen=True)
class Fixing:
    """The tightened program, D(y) (the bound the fixing reasoned from), the incumbent's
    value z, how many integer columns are now fixed that were free, and how many had a
    bound tightened (fixed ones included)."""

    program: Program
    dual_bound: float
    incumbent: float
    fixed: int
    tightened: int

    def bounds_for(self, program: Program) -> Program:
        """`program` (the same columns, maybe fewer rows) with these column bounds."""
        cols = self.program.columns
        return replace(program, columns=replace(program.columns, lower=cols.lower,
                                                upper=cols.upper))


def dual_bound(program: Program, row_duals: np.ndarray) -> tuple[float, np.ndarray]:
    """D(y) in the program's own sense (a bound on every allocation, and on the LP
    optimum, for any row prices: module docstring) and the reduced costs d = c − Aᵀy of
    the maximisation form, from `row_duals` (∂objective/∂rhs in the program's sense, as
    `allocopt.backends.relaxation.relax(duals=True)` gives them). D(y) is infinite when
    a column's reduced cost points at an infinite bound."""
    cols = program.columns
    a, row_lower, row_upper = program.matrix()
    sign = 1.0 if program.maximize else -1.0
    # ∂(sign·objective)/∂rhs, with the signs a missing row bound forbids set to 0.
    y = sign * np.asarray(row_duals, dtype=float)
    y = np.where((y > 0) & ~np.isfinite(row_upper), 0.0, y)
    y = np.where((y < 0) & ~np.isfinite(row_lower), 0.0, y)
    d = sign * cols.objective.astype(float) - a.T @ y
    d = np.where(np.abs(d) < TINY, 0.0, d)
    lower, upper = cols.lower.astype(float), cols.upper.astype(float)
    if np.any((d > 0) & ~np.isfinite(upper)) or np.any((d < 0) & ~np.isfinite(lower)):
        return sign * np.inf, d
    rows = (np.where(y > 0, y * np.where(np.isfinite(row_upper), row_upper, 0.0), 0.0)
            + np.where(y < 0, y * np.where(np.isfinite(row_lower), row_lower, 0.0), 0.0))
    return sign * float(rows.sum() + np.where(d > 0, d * upper, d * lower).sum()), d


def reduced_cost_fixing(program: Program, row_duals: np.ndarray, incumbent: float
                        ) -> Fixing:
    """`program` with every integer column's bounds tightened by reduced costs against an
    allocation worth `incumbent` (module docstring). `row_duals` are ∂objective/∂rhs in
    the program's own sense; `incumbent` must be the value of an allocation that meets
    every rule. `program` may carry more rows than the model solved (valid rows that cut
    off no allocation, `allocopt.model.strengthen`): its columns' new bounds then hold
    for the model too, the argument needing only that every allocation meets its rows."""
    cols = program.columns
    sign = 1.0 if program.maximize else -1.0
    bound, d = dual_bound(program, row_duals)
    z = sign * float(incumbent)
    delta = sign * bound - z + MARGIN * max(1.0, abs(z))
    if not np.isfinite(delta) or delta < 0:
        # An infinite D(y) fixes nothing; a negative Δ says no allocation is worth z by
        # these prices: the incumbent's value or the duals are wrong, so reason from
        # neither.
        return Fixing(program, bound, float(incumbent), 0, 0)
    lower, upper = cols.lower.astype(float), cols.upper.astype(float)
    integer = cols.integer.astype(bool)
    with np.errstate(divide="ignore"):
        reach = np.floor(delta / np.abs(d))  # inf where d = 0
    new_upper = np.where(integer & (d < 0), np.minimum(upper, lower + reach), upper)
    new_lower = np.where(integer & (d > 0), np.maximum(lower, upper - reach), lower)
    tightened = (new_upper < upper) | (new_lower > lower)
    fixed = (new_upper <= new_lower) & (upper > lower)
    out = replace(program, columns=replace(cols, lower=new_lower.astype(cols.lower.dtype),
                                           upper=new_upper.astype(cols.upper.dtype)))
    return Fixing(out, bound, float(incumbent), int(fixed.sum()), int(tightened.sum()))
