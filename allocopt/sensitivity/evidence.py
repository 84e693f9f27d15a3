"""What solves of neighbouring scenarios prove about each other.

A solve that stops within a relative gap says only that the optimum lies in
[objective, ceiling] (the ceiling: the solver's bound). Two facts follow that need no
more solving:

- **Carrying an allocation.** An allocation verified at one point that also passes
  every rule at a neighbour (re-checked by `allocopt.verify` on the neighbour's
  instance, its value recomputed there) is an incumbent there too. Where the
  neighbour is looser (more supply, more budget, a higher cap or score), the
  allocation is always feasible there and worth at least as much, so carrying it
  makes incumbents never fall as the parameter loosens.
- **Carrying a bound.** Where the parameter can only raise the optimum (LOOSENING
  below: every number of the path higher is a looser model, or a higher-valued one),
  the optimum of the tighter point is at most the looser point's, so the looser
  point's ceiling caps the tighter point's ceiling.

A change between two points is **proven** when their [objective, ceiling] intervals
do not overlap: the optima differ, so the two points cannot share an optimal
allocation; with the funded sets found at the two ends different, the funded set
moves between them. Where the intervals overlap, both funded sets may be optimal at
both points, and the difference may be the solvers' tolerance alone: it is reported
as "within the gap", never as a breakpoint. Infeasible at one end and solved at the
other is a proven change too.

Both carries assume the weighted objective (the allocation's worth is the weighted
value that `verify` recomputes); other policies keep each point's own solve.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Sequence
from dataclasses import replace

from allocopt.backends.base import SolveOptions, within_gaps
from allocopt.instance import Instance
from allocopt.instance.schema import Objective
from allocopt.sensitivity.params import target
from allocopt.sensitivity.scenario import Outcome, area_totals
from allocopt.solution import Solution
from allocopt.status import Result, Status, relative_gap

LOOSENING = ("supply.*", "budget.*", "sites.*.power_mw", "procurement.*.max_units",
             "areas.*.weight", "areas.*.max_share", "projects.*.score")
"""Paths every number of which, raised, can only raise the weighted optimum."""
TIGHTENING = ("areas.*.min_share",)
"""Paths every number of which, raised, can only lower it."""
INFEASIBLE = Status.INFEASIBLE.value
_REL = 1e-9


def direction(path: str) -> int:
    """+1 when raising `path` can only raise the weighted optimum, -1 when it can only
    lower it, 0 when neither is known."""
    if any(fnmatch.fnmatchcase(path, p) for p in LOOSENING):
        return 1
    if any(fnmatch.fnmatchcase(path, p) for p in TIGHTENING):
        return -1
    return 0


def carries(instance: Instance) -> bool:
    """Whether allocations and bounds may be carried between points of `instance`'s
    sweeps: only under the weighted objective."""
    return instance.spec.policy.objective == Objective.WEIGHTED


def leaves(instance: Instance, paths: Sequence[str]) -> tuple[tuple[float | None, ...], ...]:
    """The numbers each path names in `instance`, to compare points number by number."""
    return tuple(target(instance, p).baseline for p in paths)


def at_least_as_loose(a: tuple, b: tuple, paths: Sequence[str]) -> bool:
    """Whether the point with numbers `b` is at least as loose as the one with `a`:
    every path of known direction, every number of it moved that way or not at all.
    (A family scaled to a higher total can still lower one of its numbers, by rounding
    to whole units: the comparison is number by number.)"""
    for path, xs, ys in zip(paths, a, b, strict=True):
        sign = direction(path)
        if xs == ys:
            continue
        if sign == 0 or any(x is None or y is None or sign * (y - x) < 0
                            for x, y in zip(xs, ys, strict=True)):
            return False
    return True


def proven_change(a: Outcome, b: Outcome) -> bool:
    """The optima of the two points provably differ (see the module docstring)."""
    if a.status == INFEASIBLE or b.status == INFEASIBLE:
        return (a.status == INFEASIBLE) != (b.status == INFEASIBLE) and (
            a.has_solution or b.has_solution)
    if not (a.has_solution and b.has_solution):
        return False
    low, high = sorted((a, b), key=lambda o: o.objective)
    slack = _REL * max(1.0, abs(high.objective))
    return low.ceiling < high.objective - slack


def worth(instance: Instance, allocation: Solution) -> Solution | None:
    """`allocation` as a solution of `instance`, its objective the weighted value there,
    when every rule holds; None when one does not."""
    from allocopt.verify import verify
    from allocopt.verify.context import build_context

    value = sum(build_context(instance, allocation).project_value.values())
    candidate = replace(allocation, objective=value, bound=None, gap=None, policy={},
                        figures={}, scenarios=[], lp_bound=None, message="")
    return None if verify(instance, candidate) else candidate


def settle(outcome: Outcome, gap: float) -> Outcome:
    """`outcome` with its gap recomputed from its objective and ceiling, and `optimal`
    once that gap is within the one asked for."""
    if not outcome.has_solution:
        return outcome
    ceiling = outcome.ceiling
    new_gap = relative_gap(outcome.objective, ceiling)
    status = outcome.status
    if within_gaps(Result(Status.FEASIBLE, outcome.objective, ceiling, None, 0.0, ""),
                   SolveOptions(gap=gap)):
        status = Status.OPTIMAL.value
    return replace(outcome, gap=new_gap, status=status,
                   bound=ceiling if outcome.bound is not None else outcome.bound)


def carry_allocation(instance: Instance, outcome: Outcome, donor: Solution | None,
                     gap: float) -> Outcome | None:
    """`outcome` with `donor`'s allocation as its incumbent, when the donor passes every
    rule of `instance` and is worth more there; None otherwise."""
    if donor is None or outcome.status == INFEASIBLE:
        return None
    candidate = worth(instance, donor)
    if candidate is None:
        return None
    if outcome.has_solution and candidate.objective <= outcome.objective + _REL * max(
            1.0, abs(outcome.objective)):
        return None
    ceiling = outcome.ceiling if outcome.has_solution else None
    bound = None if ceiling is None else max(ceiling, candidate.objective)
    status = outcome.status if outcome.has_solution else Status.FEASIBLE.value
    carried = replace(outcome, status=status, objective=float(candidate.objective),
                      bound=bound,
                      gap=relative_gap(candidate.objective, bound) if bound is not None
                      else None,
                      funded=tuple(a.project for a in candidate.awards),
                      area_gp=area_totals(instance, candidate),
                      solution=replace(candidate, bound=bound, gap=None,
                                       status=Status.FEASIBLE))
    return settle(carried, gap)


def carry_bound(outcome: Outcome, looser: Outcome, gap: float) -> Outcome | None:
    """`outcome` with its ceiling cut to `looser`'s, when that is lower; None otherwise."""
    if not (outcome.has_solution and looser.has_solution) or not math.isfinite(
            looser.ceiling):
        return None
    cap = max(looser.ceiling, outcome.objective)
    if cap >= outcome.ceiling - _REL * max(1.0, abs(cap)):
        return None
    return settle(replace(outcome, bound=cap), gap)


def combine(a: Outcome, b: Outcome, gap: float) -> Outcome:
    """Two solves of the same point as one: the better incumbent, the lower ceiling."""
    if not b.has_solution:
        return a if a.has_solution or b.status != INFEASIBLE else b
    if not a.has_solution:
        return b
    best = b if b.objective > a.objective else a
    ceiling = min(a.ceiling, b.ceiling)
    bound = max(ceiling, best.objective)
    return settle(replace(best, bound=bound, status=Status.FEASIBLE.value
                          if best.status == Status.OPTIMAL.value else best.status), gap)
