"""OR-Tools CP-SAT through `cp_model`, with every row scaled to integer coefficients.

CP-SAT works on integers only. Each row (and the objective) is multiplied by the
smallest power of ten up to 10^6 that makes all its coefficients and finite bounds
integral, so the scaled model has exactly the same feasible set; a row that no such
power makes integral, or a continuous column, raises BackendError before solving.

An objective that no such power makes integral (weights × scores × start factors
usually are not) is rounded at 10^-6 instead: the feasible set is unchanged, the
objective reported is the true one of the returned allocation, and the bound is widened
by the most the rounding can change any allocation's value, so it stays proven.

The search keeps an LP that sees the whole model (see `search_parameters`): at CP-SAT's
default linearization level its presolve turns big-M rows into enforced constraints
and implications that the LP then leaves out, and the bound stalls above the model's
own LP relaxation.
"""

from __future__ import annotations

import time
from collections import Counter

import numpy as np

from allocopt.backends.base import (
    Backend,
    Feature,
    ProgressReporter,
    Result,
    SolveOptions,
    Status,
    installed_version,
    progress_reporter,
    run_interruptible,
)
from allocopt.errors import BackendError, Unsupported
from allocopt.model.program import Program, VarKind

MAX_EXPONENT = 6
_POWERS = 10.0 ** np.arange(MAX_EXPONENT + 1)
_REL_TOL = 1e-9
# Beyond 2^53 a float no longer holds every integer, so "integral" means nothing.
_MAX_SCALED = 2.0**53

_STATUS = {
    "OPTIMAL": Status.OPTIMAL,
    "FEASIBLE": Status.FEASIBLE,
    "INFEASIBLE": Status.INFEASIBLE,
    "UNKNOWN": Status.NO_SOLUTION_FOUND,
    "MODEL_INVALID": Status.ERROR,
}


def decimal_exponents(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, the smallest k ≤ MAX_EXPONENT with values · 10^k integral within 1e-9
    relative, for every value of the group; -1 where there is none."""
    exponents = np.full(n_groups, -1)
    pending = np.ones(n_groups, dtype=bool)
    for k, power in enumerate(_POWERS):
        take = pending[groups]
        scaled = values[take] * power
        off = np.abs(scaled - np.round(scaled)) > _REL_TOL * np.maximum(1.0, np.abs(scaled))
        off |= np.abs(scaled) > _MAX_SCALED
        clean = pending & (np.bincount(groups[take], weights=off, minlength=n_groups) == 0)
        exponents[clean] = k
        pending &= ~clean
        if not pending.any():
            break
    return exponents


def _describe_rows(program: Program, rows: np.ndarray) -> str:
    labels = program.row_labels()
    count = Counter(labels[i][0] for i in rows)
    example = {}
    for i in rows:
        example.setdefault(labels[i][0], labels[i][1])
    return "; ".join(f"{n} {rule.value} row(s), e.g. {example[rule]}"
                     for rule, n in count.items())


def _integer_bounds(program: Program) -> tuple[np.ndarray, np.ndarray]:
    """Column bounds as integers; every column must be integer and bounded."""
    cols = program.columns
    problems = []
    continuous = np.flatnonzero(~cols.integer)
    if continuous.size:
        kinds = Counter(VarKind(cols.kind[j]).name for j in continuous)
        problems.append("continuous columns (" + ", ".join(f"{n} {k}" for k, n in kinds.items())
                        + "); CP-SAT needs every column integer (use highs, scip or cbc)")
    unbounded = np.flatnonzero(~(np.isfinite(cols.lower) & np.isfinite(cols.upper)))
    if unbounded.size:
        kinds = Counter(VarKind(cols.kind[j]).name for j in unbounded)
        problems.append("columns without finite bounds ("
                        + ", ".join(f"{n} {k}" for k, n in kinds.items()) + ")")
    if problems:
        raise Unsupported(Feature.FRACTIONAL_COEFFICIENTS,
                          "cpsat cannot express this model: " + "; ".join(problems))
    lower = np.ceil(cols.lower - _REL_TOL * np.maximum(1.0, np.abs(cols.lower)))
    upper = np.floor(cols.upper + _REL_TOL * np.maximum(1.0, np.abs(cols.upper)))
    return lower.astype(np.int64), upper.astype(np.int64)


def _scaled_rows(program: Program):
    """The constraint matrix with every row scaled to integers: CSR arrays as int64 and
    integer row bounds, None where a bound is infinite; rows free on both sides are
    dropped."""
    a, lower, upper = program.matrix()
    m = a.shape[0]
    row_of_nz = np.repeat(np.arange(m), np.diff(a.indptr))
    has_lo, has_hi = np.isfinite(lower), np.isfinite(upper)
    values = np.concatenate([a.data, lower[has_lo], upper[has_hi]])
    groups = np.concatenate([row_of_nz, np.flatnonzero(has_lo), np.flatnonzero(has_hi)])
    exponents = decimal_exponents(values, groups, m)
    active = has_lo | has_hi
    failed = np.flatnonzero(active & (exponents < 0))
    if failed.size:
        raise Unsupported(
            Feature.FRACTIONAL_COEFFICIENTS,
            "cpsat cannot express this model: rows whose coefficients and bounds no power "
            f"of ten up to 1e{MAX_EXPONENT} makes integral: {_describe_rows(program, failed)}")
    scale = _POWERS[np.maximum(exponents, 0)]
    data = np.round(a.data * scale[row_of_nz]).astype(np.int64)
    lo = np.where(has_lo, np.round(np.where(has_lo, lower, 0.0) * scale), 0.0).astype(np.int64)
    hi = np.where(has_hi, np.round(np.where(has_hi, upper, 0.0) * scale), 0.0).astype(np.int64)
    return a.indptr, a.indices, data, lo, hi, has_lo, has_hi, active


def _scaled_objective(coeffs: np.ndarray, lower: np.ndarray,
                      upper: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Integer objective coefficients, their scale, and the slack: the most
    |Σ c_j x_j − Σ (scaled_j / scale) x_j| can be over the column bounds (0 when exact)."""
    exponent = decimal_exponents(coeffs, np.zeros(len(coeffs), np.int64), 1)[0]
    scale = _POWERS[exponent if exponent >= 0 else MAX_EXPONENT]
    scaled = np.round(coeffs * scale)
    if np.any(np.abs(scaled) > _MAX_SCALED):
        raise Unsupported(Feature.FRACTIONAL_COEFFICIENTS,
                          "cpsat cannot express this model: objective coefficients too large "
                          "to scale to integers")
    if exponent >= 0:
        return scaled.astype(np.int64), float(scale), 0.0
    reach = np.maximum(np.abs(lower), np.abs(upper)).astype(float)
    slack = float(np.abs(coeffs - scaled / scale) @ reach)
    return scaled.astype(np.int64), float(scale), slack


# Full-problem workers for two or more threads, in this order: "max_lp" (the whole model
# in the LP, finds the allocations) and "lb_tree_search" (LP-driven tree search that
# moves the bound). Measured on korea-2025 in benchmarks/README.md.
PORTFOLIO = ("max_lp", "lb_tree_search")


def search_parameters(params, threads: int) -> None:
    """Workers and LP strength for `threads` threads.

    At linearization level 1 (CP-SAT's default, and its "default_lp" worker) the LP
    omits every constraint with an enforcement literal and every Boolean implication;
    CP-SAT's presolve writes big-M rows (minimum sizes, dependencies) as exactly those,
    so the bound stalls above the model's LP relaxation (korea-2025: 1.2 % after 600 s
    against 0.1 % in seconds at level 2). One thread: the single worker at level 2.
    Two or more: the PORTFOLIO first; with exactly two, CP-SAT would keep only one
    full-problem worker and give the other thread to neighbourhood search, so both are
    kept as full workers.
    """
    params.num_workers = int(threads)
    params.linearization_level = 2
    if threads >= 2:
        params.extra_subsolvers.extend(PORTFOLIO)
    if threads == 2:
        params.num_full_subsolvers = 2


class CpSatBackend(Backend):
    """CP-SAT: integer columns only, coefficients with at most six decimals."""

    name = "cpsat"
    features = frozenset({Feature.INTEGER, Feature.HINTS, Feature.MEMORY_LIMIT})

    @classmethod
    def version(cls) -> str | None:
        return installed_version("ortools", "ortools")

    def _solve(self, program: Program, options: SolveOptions) -> Result:
        from ortools.sat.python import cp_model

        started = time.perf_counter()
        reporter = progress_reporter(options, started)
        col_lower, col_upper = _integer_bounds(program)
        indptr, indices, data, lo, hi, has_lo, has_hi, active = _scaled_rows(program)
        objective = program.columns.objective.astype(float)
        obj_nz = np.flatnonzero(objective)
        obj_coeffs, obj_scale, obj_slack = _scaled_objective(objective[obj_nz],
                                                             col_lower[obj_nz], col_upper[obj_nz])

        model = cp_model.CpModel()
        x = [model.new_int_var(lb, ub, f"x{j}")
             for j, (lb, ub) in enumerate(zip(col_lower.tolist(), col_upper.tolist(),
                                              strict=True))]
        # Rows go straight into the proto, one extend per row, with column j as variable
        # j: no Python object per term.
        proto = model.proto
        domain_lo = np.where(has_lo, lo, cp_model.INT_MIN).tolist()
        domain_hi = np.where(has_hi, hi, cp_model.INT_MAX).tolist()
        starts = indptr.tolist()
        for i in np.flatnonzero(active).tolist():
            s, e = starts[i], starts[i + 1]
            linear = proto.constraints.add().linear
            linear.vars.extend(indices[s:e].tolist())
            linear.coeffs.extend(data[s:e].tolist())
            linear.domain.extend([domain_lo[i], domain_hi[i]])
        expr = cp_model.LinearExpr.weighted_sum([x[j] for j in obj_nz.tolist()],
                                                obj_coeffs.tolist())
        if program.maximize:
            model.maximize(expr)
        else:
            model.minimize(expr)
        if options.hint is not None:
            hint = np.clip(np.round(np.asarray(options.hint, float)), col_lower, col_upper)
            proto.solution_hint.vars.extend(range(len(x)))
            proto.solution_hint.values.extend(hint.astype(np.int64).tolist())
        invalid = model.validate()
        if invalid:
            raise BackendError(f"cpsat rejected the scaled model: {invalid}")

        solver = cp_model.CpSolver()
        params = solver.parameters
        if options.time_limit_s is not None:
            params.max_time_in_seconds = float(options.time_limit_s)
        params.relative_gap_limit = float(options.solver_gap())
        if options.abs_gap is not None:  # in the scaled objective's units
            params.absolute_gap_limit = float(options.abs_gap) * obj_scale
        search_parameters(params, int(options.threads))
        params.random_seed = int(options.seed)
        params.log_search_progress = bool(options.verbose)
        params.catch_sigint_signal = False  # Ctrl-C is ours: it calls stop_search
        if options.memory_limit_mb is not None:
            params.max_memory_in_mb = int(options.memory_limit_mb)
        callback = None
        if reporter is not None:
            callback = _progress_callback(reporter, objective, obj_scale, obj_slack,
                                          program.maximize)
            solver.best_bound_callback = callback.on_bound
        codes: list = []
        interrupted = run_interruptible(lambda: codes.append(solver.solve(model, callback)),
                                        solver.stop_search, options.stop,
                                        options.stop_by())
        code = codes[0]
        wall = time.perf_counter() - started
        raw = solver.status_name(code)
        status = _STATUS.get(raw, Status.ERROR)
        values = value = bound = None
        message = raw
        if status.has_solution:
            values = np.asarray(solver.response_proto.solution, dtype=float)
            value = float(objective @ values) + 0.0  # no -0.0
            bound = float(solver.best_objective_bound) / obj_scale
            bound = bound + obj_slack if program.maximize else bound - obj_slack
            if obj_slack > 0:
                message += f" (objective rounded at 1e-{MAX_EXPONENT}; bound widened by "
                message += f"{obj_slack:.3g})"  # settle() then judges the widened gap
        if reporter is not None:
            reporter.finish(value, bound)
        return Result(status=status, objective=value, bound=bound, values=values,
                      wall_s=wall, backend=self.name, interrupted=interrupted,
                      message=message)


def _progress_callback(reporter: ProgressReporter, objective: np.ndarray, scale: float,
                       slack: float, maximize: bool):
    """CP-SAT's solution and bound callbacks, reporting in allocopt's units: a solution's
    true objective (recomputed from its values when the scaled one was rounded) and the
    bound unscaled and widened by the rounding slack, as in the final answer."""
    from ortools.sat.python import cp_model

    class Callback(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            if slack > 0:
                value = float(objective @ np.asarray(self.response_proto.solution, float))
            else:
                value = self.objective_value / scale
            reporter.update(incumbent=value)

        def on_bound(self, scaled_bound: float) -> None:
            bound = scaled_bound / scale
            reporter.update(bound=bound + slack if maximize else bound - slack)

    return Callback()
