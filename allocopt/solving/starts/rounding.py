"""A fast starting allocation from the LP relaxation: rounding plus a greedy repair.

1. Solve the LP relaxation (HiGHS, with duals; SCIP's LP when highspy is missing).
2. Purchases: the LP's, rounded down, then up where the quota and budget allow.
3. Rounding (a dive): project options (a configuration at a site from a start, or an
   elastic start with its sizes) are taken in order of their LP value, then of their
   profit at the LP's prices (value minus the dual-priced capacity, power and money they
   take): every option the LP funds whole and a quarter of the fractional ones, each
   only when no row of the model would be broken; the LP is solved again with what was
   placed fixed and what did not fit ruled out, until it offers nothing more. Elastic
   sizes are the LP's, scaled to a whole start and trimmed to what the rows leave.
4. Repair: area shares (minimum and maximum) are the only rows that funding one project
   can break for the others, so they are set aside while rounding; then, while a share
   is off, a project that moves it the right way is funded, else the project that
   costs the least value per unit of correction is dropped. A last greedy pass by
   profit with every row enforced, elastic sizes grown into what is left, and purchases
   trimmed to what is used.

Every rule is checked on the model's own rows as the allocation grows; the result is
then decoded and re-checked by `allocopt.verify` (independent of the model), and its
column values can be handed to a solver as `SolveOptions.hint`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from allocopt.backends.relaxation import RepeatedRelaxation
from allocopt.errors import NoRelaxation
from allocopt.instance import Instance
from allocopt.model.program import Columns, Program, Rule, VarKind
from allocopt.status import Result, Status

#: Rows are kept within their bounds to this (absolute + relative) tolerance, a hundred
#: times tighter than `verify`'s, so that the hint survives any solver's presolve.
TOL = 1e-8


@dataclass
class Rounded:
    """The rounded allocation: column `values`, their objective, the LP it came from,
    `violations` found by `allocopt.verify` ([] when every rule holds) and timings."""

    values: np.ndarray
    objective: float
    lp_objective: float | None
    violations: list = field(default_factory=list)
    lp_s: float = 0.0
    rounding_s: float = 0.0
    funded: int = 0
    lp_solves: int = 0


class _State:
    """Row activities of the allocation being built, and the checks on moves."""

    def __init__(self, program: Program) -> None:
        a, self.lo, self.up = program.matrix()
        self.csc = sp.csc_matrix(a)
        self.m, self.n = a.shape
        self.act = np.zeros(self.m)
        self.x = np.zeros(self.n)
        rule_of_row = np.concatenate(
            [np.full(b.size, i) for i, b in enumerate(program.blocks)] or [np.zeros(0, int)])
        rules = [b.rule for b in program.blocks]
        self.soft = np.zeros(self.m, dtype=bool)
        for i, rule in enumerate(rules):
            if rule in (Rule.AREA_MIN_SHARE, Rule.AREA_MAX_SHARE):
                self.soft[rule_of_row == i] = True
        self.enforce_soft = False
        self.move = None  # option -> (columns, values), set by _start_dive
        self.tol_up = TOL * (1.0 + np.abs(np.where(np.isfinite(self.up), self.up, 0.0)))
        self.tol_lo = TOL * (1.0 + np.abs(np.where(np.isfinite(self.lo), self.lo, 0.0)))

    def column(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.csc.indptr[j], self.csc.indptr[j + 1]
        return self.csc.indices[start:end], self.csc.data[start:end]

    def delta(self, cols: list[int], vals: list[float]) -> tuple[np.ndarray, np.ndarray]:
        """Rows touched by setting `cols` up by `vals`, and the change of each."""
        parts = [self.column(j) for j in cols]
        rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, int)
        change = (np.concatenate([p[1] * v for p, v in zip(parts, vals, strict=True)])
                  if parts else np.zeros(0))
        rows, inverse = np.unique(rows, return_inverse=True)
        return rows, np.bincount(inverse, weights=change, minlength=len(rows))

    def fits(self, rows: np.ndarray, change: np.ndarray) -> bool:
        """No row is pushed over its upper bound, and no row below its lower bound is
        made worse (soft rows are not checked unless `enforce_soft`)."""
        old = self.act[rows]
        new = old + change
        hard = ~self.soft[rows] if not self.enforce_soft else np.ones(len(rows), bool)
        over = new > self.up[rows] + self.tol_up[rows]
        under = (new < self.lo[rows] - self.tol_lo[rows]) & (new < old - self.tol_lo[rows])
        return not np.any((over | under) & hard)

    def soft_change(self, rows: np.ndarray, change: np.ndarray) -> float:
        """How much a change moves the total violation of the soft rows."""
        soft = self.soft[rows]
        r, d = rows[soft], change[soft]

        def violation(a: np.ndarray) -> float:
            return float(np.sum(np.maximum(self.lo[r] - a, 0) + np.maximum(a - self.up[r], 0)))

        return violation(self.act[r] + d) - violation(self.act[r])

    def apply(self, cols: list[int], vals: list[float], rows: np.ndarray,
              change: np.ndarray) -> None:
        self.act[rows] += change
        for j, v in zip(cols, vals, strict=True):
            self.x[j] += v

    def room(self, j: int, extra_rows: np.ndarray, extra_change: np.ndarray) -> float:
        """Most units column j can rise by (on top of a pending change) within upper
        bounds of the rows it uses (soft rows ignored)."""
        rows, coef = self.column(j)
        pending = np.zeros(len(rows))
        if len(extra_rows):
            pos = np.searchsorted(extra_rows, rows)
            pos = np.minimum(pos, len(extra_rows) - 1)
            hit = extra_rows[pos] == rows
            pending[hit] = extra_change[pos[hit]]
        limit = np.inf
        use = coef > 0
        if not self.enforce_soft:
            use &= ~self.soft[rows]
        if np.any(use):
            slack = (self.up[rows[use]] + self.tol_up[rows[use]]
                     - self.act[rows[use]] - pending[use])
            limit = float(np.min(slack / coef[use]))
        return max(0.0, limit)


@dataclass
class _Dive:
    """What the steps of the rounding share: the rows' state, the project options with
    their profit at the LP's prices, the LP's current values, what is placed (project
    -> its move) and which options failed to fit."""

    cols: Columns
    state: _State
    options: np.ndarray
    profit: np.ndarray
    sizes_of: dict[int, list[int]]
    is_mandatory: np.ndarray
    x_lp: np.ndarray
    failed: np.ndarray
    n_projects: int
    placed: dict[int, tuple[list[int], list[float]]] = field(default_factory=dict)

    def try_option(self, j: int) -> bool:
        """Fund option j when its move breaks no row; whether it was funded."""
        move = self.state.move(j)
        if move is None:
            return False
        rows, change = self.state.delta(*move)
        if not self.state.fits(rows, change):
            return False
        self.state.apply(*move, rows, change)
        self.placed[int(self.cols.project[j])] = move
        return True


def round_lp(instance: Instance, program: Program, lp: Result | None = None,
             dive: bool = True, max_rounds: int = 60) -> Rounded:
    """A feasible allocation near the LP optimum (see the module docstring).

    With `dive`, the LP is solved again after each round of rounding with what was
    placed fixed, and the next round follows the new LP (a few dozen LP solves)."""
    from allocopt.model.decode import decode

    cols = program.columns
    started = time.perf_counter()
    # HiGHS gives duals (the prices below); without it, SCIP's LP and value-only profits
    relaxation = RepeatedRelaxation(program)
    if lp is None:
        lp = relaxation.solve()
    lp_s = time.perf_counter() - started
    if lp.values is None:
        raise NoRelaxation(f"the LP relaxation has no solution ({lp.status})")
    d = _start_dive(instance, program, lp)
    _round_purchases(d)
    lp_solves = _dive(d, relaxation, dive, max_rounds)
    _complete(d, instance)

    x = d.state.x
    x[cols.integer] = np.round(x[cols.integer])
    objective = float(cols.objective @ x)
    result = Result(Status.FEASIBLE, objective, None, x, 0.0, "rounding")
    solution = decode(instance, program, result)
    return Rounded(values=x, objective=objective, lp_objective=lp.objective,
                   violations=solution.verify(instance), lp_s=lp_s,
                   rounding_s=time.perf_counter() - started - lp_s, funded=len(d.placed),
                   lp_solves=lp_solves)


def _start_dive(instance: Instance, program: Program, lp: Result) -> _Dive:
    """Nothing placed yet; options priced by the LP's duals on shared rows."""
    cols = program.columns
    state = _State(program)
    shared = _shared_rows(program)
    duals = lp.row_duals if lp.row_duals is not None else np.zeros(state.m)
    priced = cols.objective - state.csc.T @ np.where(shared, duals, 0.0)
    sizes_of, options, profit = _option_profits(cols, priced)
    x_lp = lp.values.copy()
    state.move = lambda j: _move(state, cols, int(j), sizes_of, x_lp, priced)
    return _Dive(cols=cols, state=state, options=options, profit=profit, sizes_of=sizes_of,
                 is_mandatory=np.array([p.mandatory for p in instance.projects] or [False]),
                 x_lp=x_lp, failed=np.zeros(len(cols), dtype=bool),
                 n_projects=len(instance.projects))


def _option_profits(cols: Columns, priced: np.ndarray
                    ) -> tuple[dict[int, list[int]], np.ndarray, np.ndarray]:
    """The SIZE columns of each START, the options (ASSIGN and START columns) and each
    option's profit: its priced value, or for a start its best size at full size."""
    sizes_of: dict[int, list[int]] = {}
    for k in np.flatnonzero(cols.kind == VarKind.SIZE):
        sizes_of.setdefault(int(cols.start_column[k]), []).append(int(k))
    options = np.flatnonzero((cols.kind == VarKind.ASSIGN) | (cols.kind == VarKind.START))
    profit = np.zeros(len(cols))
    for j in options:
        if cols.kind[j] == VarKind.ASSIGN:
            profit[j] = priced[j]
        else:
            profit[j] = max((priced[k] * cols.upper[k] for k in sizes_of.get(int(j), [])),
                            default=0.0)
    return sizes_of, options, profit


def _round_purchases(d: _Dive) -> None:
    """Purchases: the LP's rounded down (jointly within quota and budget, as the LP's
    are), then up where the rows still allow it."""
    state, x_lp = d.state, d.x_lp
    buys = np.flatnonzero(d.cols.kind == VarKind.BUY)
    for up in (False, True):
        for j in buys[x_lp[buys] > 1e-6]:
            v = float((np.ceil(x_lp[j] - 1e-6) if up else np.floor(x_lp[j] + 1e-6))
                      - state.x[j])
            if v > 0:
                rows, change = state.delta([int(j)], [v])
                if state.fits(rows, change):
                    state.apply([int(j)], [v], rows, change)


def _dive(d: _Dive, relaxation: RepeatedRelaxation, dive: bool, max_rounds: int) -> int:
    """Rounds of rounding, each following the LP re-solved with what is placed fixed,
    until the LP offers nothing more or three rounds place nothing (one round without
    `dive`). Returns the number of LP solves, the first included."""
    lp_solves, idle = 1, 0
    for _ in range(max_rounds if dive else 1):
        candidates = _unfunded_options(d)
        if len(candidates) == 0:
            break
        idle = 0 if _place_round(d, candidates, dive) else idle + 1
        if not dive or idle >= 3:
            break
        lp_solves += 1
        if not _follow_lp_again(d, relaxation):
            break
    return lp_solves


def _unfunded_options(d: _Dive) -> np.ndarray:
    """Options the LP uses, of projects not yet funded, that have not failed."""
    cols, options = d.cols, d.options
    funded = np.zeros(d.n_projects + 1, dtype=bool)
    funded[list(d.placed)] = True
    return options[~funded[cols.project[options]] & ~d.failed[options]
                   & (d.x_lp[options] > 1e-6)]


def _place_round(d: _Dive, candidates: np.ndarray, dive: bool) -> bool:
    """Try options mandatory first, then by LP value, then by profit: every one the LP
    funds whole and a quarter of the fractional ones (all without `dive`). Whether
    any project was placed."""
    cols = d.cols
    value = np.round(d.x_lp[candidates], 6)
    candidates = candidates[np.lexsort((-d.profit[candidates], -value,
                                        ~d.is_mandatory[cols.project[candidates]]))]
    whole = int(np.sum(value >= 0.999))
    take = (candidates if not dive
            else candidates[:whole + max(1, (len(candidates) - whole + 3) // 4)])
    before = len(d.placed)
    for j in take:
        if int(cols.project[j]) not in d.placed and not d.try_option(j):
            d.failed[j] = True
    return len(d.placed) != before


def _follow_lp_again(d: _Dive, relaxation: RepeatedRelaxation) -> bool:
    """Solve the LP again with what is placed fixed and what failed ruled out; follow
    it (update `x_lp`) only when it still offers more than the allocation has."""
    cols = d.cols
    lower, upper = cols.lower.astype(float).copy(), cols.upper.astype(float).copy()
    upper[d.failed] = 0.0
    fixed = np.isin(cols.project, list(d.placed)) & (cols.kind != VarKind.BUY)
    fixed |= cols.kind == VarKind.BUY
    lower[fixed] = upper[fixed] = d.state.x[fixed]
    again = relaxation.solve(lower, upper)
    if again.values is None or again.objective <= (cols.objective @ d.state.x
                                                    + 1e-4 * abs(again.objective)):
        return False
    d.x_lp[:] = again.values
    return True


def _complete(d: _Dive, instance: Instance) -> None:
    """After the dive: a greedy pass with shares set aside, the share repair, a greedy
    pass with every row enforced, elastic sizes grown, purchases trimmed."""
    cols, options = d.cols, d.options
    mandatory = d.is_mandatory[cols.project[options]]
    order = options[np.lexsort((-d.profit[options], ~mandatory))]
    waits = np.array([bool(p.depends_on) for p in instance.projects] or [False])
    fill = _filler(cols, d.placed, d.try_option, waits)
    fill(order)
    _repair_shares(d.state, cols, d.placed, options, d.profit)
    d.state.enforce_soft = True
    fill(order)
    _grow_elastic(d.state, cols, d.placed, d.sizes_of)
    _trim_purchases(d.state, cols)


def _filler(cols, placed: dict, try_option, waits: np.ndarray):
    """Greedy pass over options in the given order; options of projects that wait on
    another (`waits[p]`: p depends on some project) are tried again while any is placed."""
    def fill(candidates: np.ndarray) -> None:
        for j in candidates:
            if int(cols.project[j]) not in placed:
                try_option(j)
        candidates = candidates[waits[cols.project[candidates]]]
        progress = True
        while progress and len(candidates):
            progress = False
            for j in candidates:
                if int(cols.project[j]) not in placed and try_option(j):
                    progress = True
    return fill


def _shared_rows(program: Program) -> np.ndarray:
    """Rows for resources projects compete for (not a project's own assignment or
    elastic rows): their duals price an option."""
    own = {Rule.ASSIGNMENT, Rule.ELASTIC_MIN, Rule.ELASTIC_MAX, Rule.ELASTIC_UNITS}
    return np.concatenate([np.full(b.size, b.rule not in own) for b in program.blocks]
                          or [np.zeros(0, bool)])


def _move(state: _State, cols, j: int, sizes_of: dict[int, list[int]], x_lp: np.ndarray,
          priced: np.ndarray) -> tuple[list[int], list[float]] | None:
    """Columns and values that fund option j: the configuration column, or the elastic
    start with the sizes the rows leave room for (None when below min_gpus)."""
    if cols.kind[j] == VarKind.ASSIGN:
        return [j], [1.0]
    sizes = sizes_of.get(j, [])
    if not sizes:
        return None
    move_cols, move_vals = [j], [1.0]
    rows, change = state.delta(move_cols, move_vals)
    z = x_lp[j]
    # the LP's sizes for this start first (scaled to a whole start), then by profit
    target = {k: (x_lp[k] / z if z > 1e-6 else 0.0) for k in sizes}
    ranked = sorted(sizes, key=lambda k: (-target[k], -priced[k] / max(cols.perf_periods[k],
                                                                         1e-12)))
    for k in ranked:
        room = min(state.room(k, rows, change), float(cols.upper[k]))
        if cols.integer[k]:
            room = np.floor(room + 1e-9)
        if z > 1e-6:  # the LP's size for this start
            want = min(room, np.ceil(target[k] - 1e-6) if cols.integer[k] else target[k])
        elif priced[k] > 0:  # worth more than it costs at the LP's prices: all that fits
            want = room
        else:
            want = 0.0
        if want <= 0:
            continue
        move_cols.append(k)
        move_vals.append(float(want))
        rows, change = state.delta(move_cols, move_vals)
    if len(move_cols) == 1:
        return None
    if not state.fits(rows, change):
        # below min_gpus with what is left: top up from any size, profitable or not
        for k in ranked:
            if k in move_cols:
                continue
            room = min(state.room(k, rows, change), float(cols.upper[k]))
            if cols.integer[k]:
                room = np.floor(room + 1e-9)
            if room > 0:
                move_cols.append(k)
                move_vals.append(float(room))
                rows, change = state.delta(move_cols, move_vals)
                if state.fits(rows, change):
                    break
    return move_cols, move_vals


def _repair_shares(state: _State, cols, placed: dict, options: np.ndarray,
                   profit: np.ndarray) -> None:
    """Until every area share holds (or nothing more can be done) take the worst row:
    fund a project that moves it the right way, else drop the project that costs the
    least value per unit of correction. A change is made only when it breaks no other
    rule and lowers the total share violation."""
    soft_rows = np.flatnonzero(state.soft)
    if len(soft_rows) == 0:
        return
    csr = sp.csr_matrix(state.csc)
    for _ in range(10 * len(options) + 10):
        act, lo, up = state.act[soft_rows], state.lo[soft_rows], state.up[soft_rows]
        short = np.maximum(lo - act - state.tol_lo[soft_rows], 0.0)
        excess = np.maximum(act - up - state.tol_up[soft_rows], 0.0)
        worst = int(np.argmax(short + excess))
        if short[worst] + excess[worst] <= 0:
            return
        r = int(soft_rows[worst])
        sign = 1.0 if short[worst] > 0 else -1.0  # the way row r must move
        start, end = csr.indptr[r], csr.indptr[r + 1]
        coef = dict(zip(csr.indices[start:end].tolist(), csr.data[start:end].tolist(),
                        strict=True))
        helps = [int(j) for j in options if sign * coef.get(int(j), 0.0) > 0
                 and int(cols.project[j]) not in placed]
        helps.sort(key=lambda j: -profit[j])
        done = False
        for j in helps:
            move = state.move(j)
            if move is None:
                continue
            rows, change = state.delta(*move)
            if state.fits(rows, change) and state.soft_change(rows, change) < 0:
                state.apply(*move, rows, change)
                placed[int(cols.project[j])] = move
                done = True
                break
        if done:
            continue
        best, best_ratio = None, np.inf
        for p, (mcols, mvals) in placed.items():
            gain = -sign * sum(coef.get(c, 0.0) * v for c, v in zip(mcols, mvals, strict=True))
            if gain <= 0:
                continue
            ratio = sum(cols.objective[c] * v for c, v in zip(mcols, mvals, strict=True)) / gain
            if ratio < best_ratio:
                rows, change = state.delta(mcols, [-v for v in mvals])
                if state.fits(rows, change) and state.soft_change(rows, change) < 0:
                    best, best_ratio = p, ratio
        if best is None:
            return
        mcols, mvals = placed.pop(best)
        neg = [-v for v in mvals]
        rows, change = state.delta(mcols, neg)
        state.apply(mcols, neg, rows, change)


def _grow_elastic(state: _State, cols, placed: dict, sizes_of: dict[int, list[int]]) -> None:
    """Funded elastic projects take what the rows still leave them, most valuable per
    performance-equivalent GPU first."""
    grow = []
    for mcols, _ in placed.values():
        if cols.kind[mcols[0]] == VarKind.START:
            grow.extend(sizes_of.get(mcols[0], []))
    grow.sort(key=lambda k: -cols.objective[k] / max(cols.perf_periods[k], 1e-12))
    for k in grow:
        room = min(state.room(k, np.zeros(0, int), np.zeros(0)),
                   float(cols.upper[k]) - state.x[k])
        if cols.integer[k]:
            room = np.floor(room + 1e-9)
        if room <= 0 or cols.objective[k] <= 0:
            continue
        rows, change = state.delta([k], [room])
        if state.fits(rows, change):
            state.apply([k], [room], rows, change)
            p = int(cols.project[k])
            mcols, mvals = placed[p]
            if k in mcols:
                mvals[mcols.index(k)] += room
            else:
                mcols.append(k)
                mvals.append(room)


def _trim_purchases(state: _State, cols) -> None:
    """Buy no more than the allocation uses: lower each purchase while rows hold."""
    for j in np.flatnonzero((cols.kind == VarKind.BUY) & (state.x > 0.5)):
        j = int(j)
        low, high = -1.0, float(state.x[j])  # the least value that still fits
        while high - low > 1:
            mid = float(np.floor((low + high) / 2))
            rows, change = state.delta([j], [mid - state.x[j]])
            if state.fits(rows, change):
                high = mid
            else:
                low = mid
        if high < state.x[j]:
            d = high - state.x[j]
            rows, change = state.delta([j], [d])
            state.apply([j], [d], rows, change)
