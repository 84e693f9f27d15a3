"""CBC through PuLP: an independent modelling path, built term by term in PuLP.

PuLP's own status is not trusted (SOLVER-NOTES.md): it reports "Optimal" when CBC
stopped on its time limit, with or without an integer solution. The status here is
read from CBC's solution file, and the proven bound from CBC's log. Progress is read
from the same log as CBC prints it.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from allocopt.backends.base import (
    Backend,
    Feature,
    ProgressReporter,
    Result,
    SolveOptions,
    Status,
    progress_reporter,
)
from allocopt.model.program import Program

# CBC's closing summary prints the best possible objective in the problem's own sense:
# "Upper bound:" when maximising, "Lower bound:" when minimising.
_BOUND_LINE = re.compile(r"^(Upper|Lower) bound:\s*(\S+)", re.MULTILINE)
# While it runs, CBC's messages give the objective it minimises (the negated one when
# maximising; unlike its "Continuous objective value is …" line):
# "Cbc0012I Integer solution of -18061.798 found by feasibility pump after …",
# "Cbc0013I At root node, 26 cuts changed objective from -19854.3 to -19800.5 in …",
# "Cbc0010I After 100 nodes, 12 on tree, -18061.798 best solution, best possible
# -19800.466 (3.58 seconds)" (1e+50 best solution: none yet). The exception, skipped:
# a warm start's "… found by Reduced search" is printed in the problem's own sense.
_NUMBER = r"([-+]?\d[\d.]*(?:e[-+]?\d+)?)"
_INCUMBENT = re.compile(rf"^Cbc\d+I Integer solution of {_NUMBER} found(?! by Reduced search)")
_ROOT_BOUND = re.compile(rf"^Cbc0013I At root node, .* changed objective from \S+ to {_NUMBER}")
_NODE = re.compile(rf"^Cbc0010I .* {_NUMBER} best solution, best possible {_NUMBER}")


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
                  mip: bool, gap: float, abs_gap: float = 0.0) -> float | None:
    """CBC's best possible objective, when it printed one consistent with the incumbent.

    CBC prints no bound when it reports optimality. It stops a MIP as optimal once
    |bound − objective| < max(1e-10, gap · max(|objective|, |bound|)) (CbcModel's
    allowable gap and fraction gap), so the bound is then at most
    max(1e-10, gap · |objective| / (1 − gap)) away, or `abs_gap` when it stopped on the
    absolute gap; an LP's optimum is its own bound.
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
    slack = max(1e-10, gap * abs(objective) / (1.0 - gap), abs_gap)
    return objective + slack if maximize else objective - slack


class CbcBackend(Backend):
    """COIN-OR CBC through PuLP; LP duals (`.pi`) when relaxed."""

    name = "cbc"
    features = frozenset({Feature.INTEGER, Feature.DUALS, Feature.HINTS, Feature.LP_RELAXATION,
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

    def _solve(self, program: Program, options: SolveOptions) -> Result:
        import pulp

        started = time.perf_counter()
        reporter = progress_reporter(options, started)
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
        parts = _add_rows(prob, x, program)
        if options.hint is not None and mip:
            for var, v in zip(x, np.asarray(options.hint, float).tolist(), strict=True):
                var.setInitialValue(v, check=False)

        cbc_options = [f"randomCbcSeed {options.seed + 1}"]  # CBC's seed 0 means "clock"
        # With progress asked for (and a pseudo-terminal to be had), CBC's output is
        # read as it is printed, and echoed as it comes when verbose.
        terminal = _open_terminal() if reporter is not None else None
        streamed = terminal is not None
        with tempfile.TemporaryDirectory(prefix="allocopt-cbc-") as tmp:
            log_path = Path(tmp) / "cbc.log"
            solver = _cbc_solver_class()(
                path=_bundled_cbc(), mip=mip, msg=False, timeLimit=options.time_limit_s,
                gapRel=options.solver_gap() if mip else None,
                gapAbs=options.abs_gap if mip else None,
                threads=options.threads if options.threads > 1 else None,
                options=cbc_options, warmStart=options.hint is not None and mip,
                logPath=None if streamed else str(log_path))
            solver.tmpDir = tmp
            lines: list[str] = []
            output = contextlib.nullcontext()
            if terminal is not None and reporter is not None:  # (the one implies the other)
                output = _terminal_lines(terminal, solver,
                                         _CbcLog(reporter, program.maximize, lines).feed,
                                         echo=options.verbose)
            try:
                with output:
                    prob.solve(solver)
            except pulp.PulpSolverError as exc:
                return Result(status=Status.ERROR, objective=None, bound=None, values=None,
                              wall_s=time.perf_counter() - started, backend=self.name,
                              message=str(exc))
            finally:
                if streamed:
                    log = "".join(f"{line}\n" for line in lines)
                else:
                    log = log_path.read_text() if log_path.exists() else ""
        if options.verbose and not streamed:
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
            bound = _proven_bound(log, program.maximize, objective, status, mip,
                                  options.solver_gap(), options.abs_gap or 0.0)
            if not mip and status is Status.OPTIMAL:
                # CBC's row price is ∂objective/∂rhs in the problem's own sense (≥ 0 on a
                # binding ≤ row when maximising), like HiGHS's; checked in the tests.
                duals = np.array([sum((c.pi or 0.0) for c in row) for row in parts])
        if reporter is not None:
            reporter.finish(objective, bound)
        return Result(status=status, objective=objective, bound=bound, values=values,
                      wall_s=wall, backend=self.name, row_duals=duals,
                      message=line or "CBC wrote no solution file status")


class _CbcLog:
    """Keeps CBC's log lines and reports the incumbents and bounds they announce, in
    the problem's own sense."""

    def __init__(self, reporter: ProgressReporter, maximize: bool, lines: list[str]) -> None:
        self._reporter = reporter
        self._sign = -1.0 if maximize else 1.0
        self.lines = lines

    def feed(self, line: str) -> None:
        self.lines.append(line)
        if found := _INCUMBENT.match(line):
            self._reporter.update(incumbent=self._sign * float(found[1]))
        elif root := _ROOT_BOUND.match(line):
            self._reporter.update(bound=self._sign * float(root[1]))
        elif node := _NODE.match(line):
            self._reporter.update(incumbent=self._sign * float(node[1]),
                                  bound=self._sign * float(node[2]))


def _open_terminal() -> tuple[int, int] | None:
    """A pseudo-terminal (its two ends) for CBC's output; None where there is none."""
    try:
        import pty
        import termios
        import tty

        master, slave = pty.openpty()
    except (ImportError, OSError):  # Windows; no /dev/pts
        return None
    with contextlib.suppress(termios.error):  # else lines end "\r\n": stripped anyway
        tty.setraw(slave)
    return master, slave


@contextlib.contextmanager
def _terminal_lines(ends: tuple[int, int], solver, on_line: Callable[[str], None],
                    echo: bool) -> Iterator[None]:
    """CBC's output, line by line as it is printed, to `on_line` (and standard output
    when `echo`). CBC's C stdio holds back output to a pipe or file in 4 KB blocks, but
    writes each line to a terminal: CBC gets a pseudo-terminal, which PuLP takes from
    `get_pipe` when no log file is set, and closes when CBC ends."""
    master, slave = ends
    terminal = os.fdopen(slave, "w")
    solver.get_pipe = lambda: terminal

    def pump() -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: CBC and PuLP have both closed the terminal
                chunk = b""
            if not chunk:
                break
            *complete, pending = (pending + chunk).split(b"\n")
            for raw in complete:
                line = raw.decode(errors="replace").rstrip("\r")
                on_line(line)
                if echo:
                    sys.stdout.write(line + "\n")
        if pending:
            on_line(pending.decode(errors="replace"))

    reader = threading.Thread(target=pump, name="allocopt-cbc-log", daemon=True)
    reader.start()
    try:
        yield
    finally:
        terminal.close()  # also when PuLP failed before starting CBC
        reader.join(5.0)
        os.close(master)


def _add_rows(prob, x: list, program: Program) -> list[list]:
    """Add the program's rows to `prob`: row i becomes one equality, or up to two
    inequalities (PuLP has no ranges); its dual is the sum of theirs. The constraints
    of each row, in row order."""
    import pulp

    a, lower, upper = program.matrix()
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
    return parts
