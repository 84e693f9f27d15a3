"""Shadow prices: what one more unit of a resource is worth, with the funding fixed.

The MILP has no duals. With every funding decision fixed at its optimal value
(ASSIGN and START binaries: lower = upper = 0 or 1) and the remaining integers
(elastic sizes, purchases) relaxed, what is left is an LP whose duals are exact
derivatives of *that* LP's value:

    dual_i = ∂ z_fixed / ∂ (active bound of row i)

(≥ 0 on a binding ≤ row when maximising, ≤ 0 on a binding ≥ row such as an area's
minimum share). They are local (valid while the LP's basis stays optimal) and
conditional on the fixed decisions: a row that only fixed decisions touch is worth 0
here, because one more unit cannot change a decision that is held fixed. At a
degenerate vertex the derivative differs to the left and right of the bound; the dual
HiGHS reports then lies between them (the LP value is concave in each bound, so every
dual is a supergradient: z(b + δ) ≤ z(b) + dual · δ for every δ).

Reduced costs price the unfunded projects at these shadow prices: the value of a
project's column minus Σ_rows dual × what the column needs of the row. Elastic
requests are priced at their best single type, at max_gpus when that pays and at
min_gpus otherwise.

Duals come from highspy (row_dual), never from OR-Tools' bundled HiGHS, which
returns row activities instead (SOLVER-NOTES.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from allocopt.backends.relaxation import relax
from allocopt.errors import DualsError
from allocopt.instance import Instance
from allocopt.model import build_program
from allocopt.model.program import Program, Rule, VarKind
from allocopt.solution import Solution
from allocopt.solving.starts.warmstart import hint_from_solution
from allocopt.status import Result, Status

RESOURCE_RULES = frozenset({Rule.CAPACITY, Rule.POWER, Rule.BUDGET_CAPEX, Rule.BUDGET_OPEX,
                            Rule.BUDGET_TOTAL, Rule.AREA_MIN_SHARE, Rule.AREA_MAX_SHARE,
                            Rule.PROCUREMENT_QUOTA})
BINDING_TOL = 1e-6


@dataclass(frozen=True)
class RowPrice:
    """One row of the fixed LP: its dual, activity A·x, active bound and whether it binds."""

    rule: str
    key: tuple
    dual: float
    activity: float
    limit: float
    binding: bool


@dataclass(frozen=True)
class ReducedCost:
    """An unfunded project's best column at the shadow prices (configuration `elastic`
    for an elastic request)."""

    project: str
    configuration: str
    site: str
    start: str
    reduced_cost: float


@dataclass
class ShadowPrices:
    """`objective`: the MILP allocation's value; `lp_objective`: the fixed LP's (≥ it,
    sizes and purchases being continuous there)."""

    objective: float
    lp_objective: float
    rows: list[RowPrice]
    reduced_costs: list[ReducedCost]
    solution: Solution


def fixed_program(instance: Instance, program: Program, solution: Solution) -> Program:
    """`program` with every ASSIGN and START column fixed at its value in `solution`
    and no integer columns left."""
    x = hint_from_solution(instance, program, solution)
    cols = program.columns
    decision = (cols.kind == VarKind.ASSIGN) | (cols.kind == VarKind.START)
    lower = cols.lower.astype(float).copy()
    upper = cols.upper.astype(float).copy()
    lower[decision] = upper[decision] = np.round(x[decision])
    columns = replace(cols, lower=lower, upper=upper, integer=np.zeros(len(cols), bool))
    return Program(columns=columns, blocks=list(program.blocks), maximize=program.maximize)


def solve_lp(program: Program) -> Result:
    """The LP with highspy (duals included)."""
    return relax(program, duals=True, prefer="highs", threads=1)


def active_upper(lower: np.ndarray, upper: np.ndarray, activity: np.ndarray) -> np.ndarray:
    """True where a row's active bound is its upper one (the nearer finite bound)."""
    up_ok = np.isfinite(upper)
    lo_ok = np.isfinite(lower)
    nearer_up = np.abs(activity - np.where(up_ok, upper, 0)) <= np.abs(
        activity - np.where(lo_ok, lower, 0))
    return up_ok & (~lo_ok | nearer_up)


def shift_bound(program: Program, row: int, delta: float, upper_side: bool) -> Program:
    """`program` with the upper (or lower) bound of row `row` moved by `delta`."""
    blocks = list(program.blocks)
    start = 0
    for b, block in enumerate(blocks):
        if row < start + block.size:
            lo, hi = block.lower.astype(float).copy(), block.upper.astype(float).copy()
            (hi if upper_side else lo)[row - start] += delta
            blocks[b] = replace(block, lower=lo, upper=hi)
            return Program(columns=program.columns, blocks=blocks, maximize=program.maximize)
        start += block.size
    raise IndexError(f"row {row} out of range")


def shadow_prices(instance: Instance, solution: Solution,
                  rules: frozenset[Rule] | None = RESOURCE_RULES) -> ShadowPrices:
    """Duals of the rows in `rules` (None: every row) and reduced costs of the unfunded
    projects, from the LP with `solution`'s funding decisions fixed."""
    program = build_program(instance)
    fixed = fixed_program(instance, program, solution)
    result = solve_lp(fixed)
    if result.status is not Status.OPTIMAL or result.row_duals is None:
        raise DualsError(f"the LP with the funding fixed was not solved to optimality "
                         f"({result.status.value}: {result.message})")
    a, lower, upper = fixed.matrix()
    activity = a @ result.values
    duals = result.row_duals
    on_upper = active_upper(lower, upper, activity)
    limit = np.where(on_upper, upper, lower)
    rows = []
    for i, (rule, key) in enumerate(program.row_labels()):
        if rules is not None and rule not in rules:
            continue
        binding = bool(np.isfinite(limit[i]) and abs(activity[i] - limit[i])
                       <= BINDING_TOL * max(1.0, abs(limit[i])))
        rows.append(RowPrice(rule=rule.value, key=tuple(key), dual=float(duals[i]) + 0.0,
                             activity=float(activity[i]), limit=float(limit[i]),
                             binding=binding))
    return ShadowPrices(objective=float(solution.objective), lp_objective=float(result.objective),
                        rows=rows, reduced_costs=reduced_costs(instance, program, a, duals,
                                                               solution),
                        solution=solution)


def column_prices(program: Program, a, duals: np.ndarray) -> np.ndarray:
    """c_j − Σ_i dual_i · A_ij over the rows that are not a project's own elastic size
    rows (those only tie a project's sizes to its start, and are priced by choosing
    the size)."""
    own = np.array([rule.value.startswith("elastic") for rule, _ in program.row_labels()],
                   dtype=bool)
    y = np.where(own, 0.0, duals) if len(own) else duals
    return program.columns.objective - a.T @ y


def reduced_costs(instance: Instance, program: Program, a, duals: np.ndarray,
                  solution: Solution) -> list[ReducedCost]:
    cols = program.columns
    rc = column_prices(program, a, duals)
    funded = {award.project for award in solution.awards}
    best: dict[int, tuple[float, int]] = {}
    for j in np.flatnonzero(cols.kind == VarKind.ASSIGN):
        p = int(cols.project[j])
        if instance.projects[p].id not in funded and (p not in best or rc[j] > best[p][0]):
            best[p] = (float(rc[j]), int(j))
    sizes_of: dict[int, list[int]] = {}
    for k in np.flatnonzero(cols.kind == VarKind.SIZE):
        sizes_of.setdefault(int(cols.start_column[k]), []).append(int(k))
    for z in np.flatnonzero(cols.kind == VarKind.START):
        p = int(cols.project[z])
        project = instance.projects[p]
        if project.id in funded or not sizes_of.get(int(z)):
            continue
        e = project.request.elastic
        ks = np.array(sizes_of[int(z)])
        per_unit = cols.perf_periods[ks] / cols.duration[ks]
        rate = rc[ks] / per_unit
        k = int(np.argmax(rate))
        most = min(e.max_gpus, float(cols.upper[ks[k]] * per_unit[k]))
        size = most if rate[k] > 0 else e.min_gpus
        value = float(rc[z] + rate[k] * size)
        if p not in best or value > best[p][0]:
            best[p] = (value, int(z))
    out = []
    spec = instance.spec
    for p in sorted(best):
        value, j = best[p]
        project = instance.projects[p]
        config = ("elastic" if cols.kind[j] == VarKind.START
                  else project.request.configurations[cols.config[j]].id)
        out.append(ReducedCost(project=project.id, configuration=config,
                               site=spec.sites[cols.site[j]].id,
                               start=instance.periods[cols.start[j]],
                               reduced_cost=value + 0.0))
    return out
