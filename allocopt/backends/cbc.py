"""CBC through PuLP: an independent modelling path, built term by term in PuLP.

PuLP's own status is not trusted (SOLVER-NOTES.md): it reports "Optimal" when CBC
stopped on its time limit, with or without an integer solution. The status here is
read from CBC's solution file, and the proven bound from CBC's log.
"""

from __future__ import annotations

import math
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from allocopt.backends.base import Backend, Feature, Result, SolveOptions, Status
from allocopt.model.program import Program

# CBC's closing summary prints the best possible objective in the problem's own sense:
# "Upper bound:" when maximising, "Lower bound:" when minimising.
_BOUND_LINE = re.compile(r"^(Upper|Lower) bound:\s*(\S+)", re.MULTILINE)


def _cbc_solver_class():
    """A PuLP COIN_CMD that records the first line of CBC's solution file: CBC's own
    status ("Optimal - …", "Stopped on time - …", "Stopped on time (no integer
    solution - continuous used) - …", "Infeasible - …", "Integer infeasible - …")."""
    import pulp

    class RecordingCbc(pulp.COIN_CMD):
        status_line: str | None = None

        def get_status(self, filename):
            with open(filename) as f:
                self.status_line = f.readline().strip()
            return super().get_status(filename)

    return RecordingCbc


def _bundled_cbc() -> str | None:
    """The CBC binary bundled with PuLP (through COIN_CMD, so PULP_CBC_CMD's deprecation
    warning is not raised), or None to let COIN_CMD find a `cbc` on the PATH."""
    import pulp

    path = getattr(pulp.PULP_CBC_CMD, "pulp_cbc_path", None)
    return path if path and Path(path).is_file() else None


def _status(line: str | None, mip: bool) -> Status:
    if not line:
        return Status.ERROR
    if line.startswith("Optimal"):
        return Status.OPTIMAL
    if line.startswith(("Infeasible", "Integer infeasible")):
        return Status.INFEASIBLE
    if line.startswith("Unbounded"):
        return Status.UNBOUNDED
    if line.startswith("Stopped"):
        # An LP stopped early has no certified feasible point; a MIP has one only when
        # CBC did not fall back to the continuous solution.
        if mip and "no integer solution" not in line and "objective value" in line:
            return Status.FEASIBLE
        return Status.NO_SOLUTION_FOUND
    return Status.ERROR


def _proven_bound(log: str, maximize: bool, objective: float, status: Status,
                  mip: bool, gap: float) -> float | None:
    """CBC's best possible objective, when it printed one consistent with the incumbent.

    CBC prints no bound when it reports optimality. It stops a MIP as optimal once
    |bound − objective| < max(1e-10, gap · max(|objective|, |bound|)) (CbcModel's
    allowable gap and fraction gap), so the bound is then at most
    max(1e-10, gap · |objective| / (1 − gap)) away; an LP's optimum is its own bound.
    """
    tol = 1e-6 * max(1.0, abs(objective))
    for label, text in _BOUND_LINE.findall(log):
        try:
            value = float(text)
        except ValueError:
            continue
        consistent = value >= objective - tol if maximize else value <= objective + tol
        if (label == "Upper") == maximize and math.isfinite(value) and consistent:
            return value
    if status is not Status.OPTIMAL:
        return None
    if not mip:
        return objective
    slack = max(1e-10, gap * abs(objective) / (1.0 - gap))
    return objective + slack if maximize else objective - slack


class CbcBackend(Backend):
    """COIN-OR CBC through PuLP; LP duals (`.pi`) when relaxed."""

    name = "cbc"
    features = frozenset({Feature.INTEGER, Feature.DUALS, Feature.HINTS,
                          Feature.FRACTIONAL_COEFFICIENTS})

    @classmethod
    def version(cls) -> str | None:
        try:
            import pulp
        except ImportError:
            return None
        solver = pulp.COIN_CMD(path=_bundled_cbc(), msg=False)
        if not solver.available():
            return None
        return f"pulp {pulp.__version__} (CBC)"

    def solve(self, program: Program, options: SolveOptions) -> Result:
        import pulp

        started = time.perf_counter()
        cols = program.columns
        n = len(cols)
        mip = not options.relax and bool(np.any(cols.integer))
        prob = pulp.LpProblem("allocopt", pulp.LpMaximize if program.maximize
                              else pulp.LpMinimize)
        # PuLP 3 deprecates constructing LpVariable directly in favour of add_variable.
        new_variable = getattr(prob, "add_variable", pulp.LpVariable)
        x = []
        for j in range(n):
            lb, ub = float(cols.lower[j]), float(cols.upper[j])
            x.append(new_variable(f"x{j}", lb if math.isfinite(lb) else None,
                                  ub if math.isfinite(ub) else None,
                                  pulp.LpInteger if mip and cols.integer[j]
                                  else pulp.LpContinuous))
        prob += pulp.LpAffineExpression([(x[j], float(cols.objective[j]))
                                         for j in np.flatnonzero(cols.objective)])
        a, lower, upper = program.matrix()
        # Row i becomes one equality, or up to two inequalities (PuLP has no ranges);
        # its dual is the sum of theirs.
        parts: list[list[pulp.LpConstraint]] = []
        for i in range(a.shape[0]):
            s, e = a.indptr[i], a.indptr[i + 1]
            terms = [(x[j], v) for j, v in zip(a.indices[s:e].tolist(), a.data[s:e].tolist(),
                                              strict=True)]
            lo, hi = float(lower[i]), float(upper[i])
            row = []
            if lo == hi:
                row.append(pulp.LpConstraint(pulp.LpAffineExpression(terms),
                                             pulp.LpConstraintEQ, f"r{i}", hi))
            else:
                if math.isfinite(hi):
                    row.append(pulp.LpConstraint(pulp.LpAffineExpression(terms),
                                                 pulp.LpConstraintLE, f"r{i}_hi", hi))
                if math.isfinite(lo):
                    row.append(pulp.LpConstraint(pulp.LpAffineExpression(terms),
                                                 pulp.LpConstraintGE, f"r{i}_lo", lo))
            for c in row:
                prob += c
            parts.append(row)
        if options.hint is not None and mip:
            for var, v in zip(x, np.asarray(options.hint, float).tolist(), strict=True):
                var.setInitialValue(v, check=False)

        cbc_options = [f"randomCbcSeed {options.seed + 1}"]  # CBC's seed 0 means "clock"
        with tempfile.TemporaryDirectory(prefix="allocopt-cbc-") as tmp:
            log_path = Path(tmp) / "cbc.log"
            solver = _cbc_solver_class()(
                path=_bundled_cbc(), mip=mip, msg=False, timeLimit=options.time_limit_s,
                gapRel=options.gap if mip else None,
                threads=options.threads if options.threads > 1 else None,
                options=cbc_options, warmStart=options.hint is not None and mip,
                logPath=str(log_path))
            solver.tmpDir = tmp
            try:
                prob.solve(solver)
            except pulp.PulpSolverError as exc:
                return Result(status=Status.ERROR, objective=None, bound=None, values=None,
                              wall_s=time.perf_counter() - started, backend=self.name,
                              message=str(exc))
            finally:
                log = log_path.read_text() if log_path.exists() else ""
        if options.verbose:
            sys.stdout.write(log)
        wall = time.perf_counter() - started

        line = solver.status_line
        status = _status(line, mip)
        values = objective = bound = duals = None
        if status.has_solution:
            # PuLP leaves a column that is in no row and not in the objective unvalued;
            # any value within its bounds will do.
            values = np.array([np.nan if v.varValue is None else v.varValue for v in x])
            unset = np.isnan(values)
            values[unset] = np.clip(0.0, cols.lower[unset], cols.upper[unset])
            objective = float(cols.objective @ values)
            bound = _proven_bound(log, program.maximize, objective, status, mip, options.gap)
            if not mip and status is Status.OPTIMAL:
                # CBC's row price is ∂objective/∂rhs in the problem's own sense (≥ 0 on a
                # binding ≤ row when maximising), like HiGHS's; checked in the tests.
                duals = np.array([sum((c.pi or 0.0) for c in row) for row in parts])
        return Result(status=status, objective=objective, bound=bound, values=values,
                      wall_s=wall, backend=self.name, row_duals=duals,
                      message=line or "CBC wrote no solution file status")
