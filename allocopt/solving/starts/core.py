"""A starting allocation from the LP's core: the projects the LP funds stay funded.

At national size every backend spends most of its time looking for an allocation close
enough to the bound to prove the gap; handed one, HiGHS and SCIP prove 0.1 % in under
two seconds (benchmarks/README.md, `incumbent.py`). The LP relaxation already says most
of what such an allocation looks like, so this start solves a smaller MILP around it:

1. Solve the LP relaxation with HiGHS and price every column at its duals:
   d_j = c_j − Σ_i y_i a_ij (≤ 0 for a column the LP leaves at 0, when maximising).
2. The *core* problem is the whole model with two kinds of decisions taken away:
   every project the LP funds whole stays funded (its assignment row becomes = 1, though
   it may move to any of its configurations, sites and starts), and every column the LP
   leaves at 0 with d_j < −`reduced_cost` · |LP optimum| is dropped, unless it belongs
   to such a project. Fractional projects, near-ties and purchases stay free.
3. HiGHS solves the core within `time_limit_s` to `gap`; its allocation meets every
   row of the whole model (the core only tightens bounds), and is decoded and
   re-checked by `allocopt.verify` before it is handed to the solver as
   `SolveOptions.hint`.
4. With `prove_gap`, the LP relaxation of `allocopt.model.strengthen.strengthened`
   (the same allocations, one size-link row per size column) is solved first: its
   dual objective B (`allocopt.solving.fixing.dual_bound`, D(y) at its duals) bounds
   every allocation of the whole model. The core's solve then stops at
   its first allocation worth B / (1 + prove_gap) (`SolveOptions.target`), which B
   alone proves within that gap of the whole model's optimum: `CoreStart.proven`, and
   the solve that asked for the start need not run its solver at all.

It is a heuristic: the core may miss the optimum (a funded project the optimum drops,
a column priced out), and the whole model's solve still decides and proves the answer.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np

from allocopt.backends import REGISTRY, SolveOptions, get_backend
from allocopt.backends.relaxation import relax
from allocopt.defaults import DEFAULT_GAP
from allocopt.errors import BackendError
from allocopt.instance import Instance
from allocopt.model.program import Program, Rule, VarKind
from allocopt.model.strengthen import strengthened
from allocopt.solving.fixing import dual_bound
from allocopt.status import Status

#: A project counts as funded whole by the LP when its options add up to this.
WHOLE = 1.0 - 1e-6
#: Columns at 0 priced out by more than this share of the LP optimum leave the core.
REDUCED_COST = 1e-5


@dataclass
class CoreStart:
    """The core's allocation: column `values` (None when the core found none), their
    objective, the LP optimum (None when the LP has none), the core's size,
    `violations` found by `allocopt.verify` ([] when every rule holds), the status of
    the core's solve (the LP's when it has no optimum) and timings."""

    values: np.ndarray | None
    objective: float | None
    lp_objective: float | None
    forced_projects: int
    free_columns: int
    status: Status
    violations: list = field(default_factory=list)
    lp_s: float = 0.0
    core_s: float = 0.0
    bound: float | None = None
    bound_duals: np.ndarray | None = None
    bound_program: Program | None = None

    @property
    def usable(self) -> bool:
        return self.values is not None and not self.violations

    def proven(self, gap: float, abs_gap: float | None = None) -> bool:
        """True when the strengthened LP's bound (`bound`, step 4) proves this verified
        allocation within `gap` (and `abs_gap`) of the whole model's optimum."""
        if not self.usable or self.bound is None or self.objective is None:
            return False
        room = self.bound - self.objective
        return (room <= gap * abs(self.objective) * (1 + 1e-9) + 1e-9
                and (abs_gap is None or room <= abs_gap + 1e-9))


def core_program(program: Program, lp_values: np.ndarray, row_duals: np.ndarray,
                 lp_objective: float, reduced_cost: float = REDUCED_COST
                 ) -> tuple[Program, int]:
    """The core problem of `program` around an LP solution, and how many projects it
    keeps funded (see the module docstring)."""
    cols = program.columns
    a, _, _ = program.matrix()
    # The LP's own reduced costs, over every row (sensitivity.duals.column_prices leaves
    # out the elastic rows on purpose: it prices whole projects, this prices columns).
    priced = cols.objective - a.T @ row_duals
    sign = 1.0 if program.maximize else -1.0
    decision = (cols.kind == VarKind.ASSIGN) | (cols.kind == VarKind.START)
    # The assignment block has one row per project, in project order.
    n_projects = sum(b.size for b in program.blocks if b.rule is Rule.ASSIGNMENT)
    funded = np.bincount(cols.project[decision], weights=lp_values[decision],
                         minlength=n_projects)
    whole = funded >= WHOLE
    blocks = [replace(b, lower=np.where(whole, 1.0, b.lower)) if b.rule is Rule.ASSIGNMENT
              else b for b in program.blocks]
    of_project = cols.project >= 0
    kept = np.zeros(len(cols), dtype=bool)
    kept[of_project] = whole[cols.project[of_project]]
    out = (of_project & ~kept & (lp_values <= 1e-9)
           & (sign * priced < -reduced_cost * max(1.0, abs(lp_objective))))
    upper = np.where(out, 0.0, cols.upper.astype(float))
    core = replace(program, columns=replace(cols, upper=upper), blocks=blocks)
    return core, int(whole.sum())


def core_start(instance: Instance, program: Program, time_limit_s: float = 10.0,
               gap: float = DEFAULT_GAP / 2, threads: int = 1, seed: int = 0,
               reduced_cost: float = REDUCED_COST,
               stop: threading.Event | None = None,
               prove_gap: float | None = None) -> CoreStart:
    """A verified starting allocation from the LP's core (module docstring); HiGHS
    solves both the LP (for its duals) and the core, the core to `gap` of its own bound.
    `solve` asks for half its own gap, leaving the other half for the distance between
    the core's bound and the whole model's (default: half the default gap). `stop`
    (Ctrl-C) ends the core's solve with what it has. With `prove_gap` (step 4) the
    strengthened LP is solved too, its bound, duals and program kept in the answer,
    and the core stops at the first allocation that bound proves within `prove_gap`."""
    from allocopt.model.decode import decode

    if REGISTRY["highs"].version() is None:
        raise BackendError("--start core needs HiGHS for the LP's duals and the core "
                           "(pip install 'allocopt[solvers]')")
    highs = get_backend("highs")
    started = time.perf_counter()
    lp = relax(program, duals=True, prefer="highs", threads=threads, seed=seed)
    lp_s = time.perf_counter() - started
    if lp.status is not Status.OPTIMAL or lp.values is None or lp.row_duals is None:
        # No LP optimum (an infeasible instance): no start; the solve itself says why.
        return CoreStart(None, None, None, 0, 0, lp.status, lp_s=lp_s)
    bound = target = duals = tight = None
    if prove_gap is not None:
        tight = strengthened(program)
        strong = relax(tight, duals=True, prefer="highs", threads=threads, seed=seed)
        if strong.status is Status.OPTIMAL and strong.row_duals is not None:
            # The bound from the duals, D(y), holds whatever the LP's tolerances were.
            bound, duals = dual_bound(tight, strong.row_duals)[0], strong.row_duals
            # Allocopt's gap is over the allocation's value: B − z ≤ gap · z.
            target = (bound / (1.0 + prove_gap) * (1.0 + 1e-12)
                      if program.maximize and np.isfinite(bound) else None)
        lp_s = time.perf_counter() - started
    core, forced = core_program(program, lp.values, lp.row_duals, float(lp.objective),
                                reduced_cost)
    free = int(np.count_nonzero(core.columns.upper > core.columns.lower))
    answer = highs.solve(core, SolveOptions(time_limit_s=time_limit_s, gap=gap,
                                            threads=threads, seed=seed, stop=stop,
                                            target=target))
    core_s = time.perf_counter() - started - lp_s
    kept = {"bound": bound, "bound_duals": duals, "bound_program": tight}
    if not answer.status.has_solution:
        return CoreStart(None, None, float(lp.objective), forced, free, answer.status,
                         lp_s=lp_s, core_s=core_s, **kept)
    values = answer.values.copy()
    integer = program.columns.integer
    values[integer] = np.round(values[integer])
    objective = float(program.columns.objective @ values)
    solution = decode(instance, program, replace(answer, objective=objective, values=values))
    return CoreStart(values, objective, float(lp.objective), forced, free, answer.status,
                     violations=solution.verify(instance), lp_s=lp_s, core_s=core_s, **kept)
