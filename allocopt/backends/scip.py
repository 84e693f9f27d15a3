"""OR-Tools' SCIP, fed from the sparse arrays.

The model is filled into OR-Tools' model builder in one vectorised call, handed over
as an MPModelProto to pywraplp's SCIP, whose solve (unlike the model builder's) can
be interrupted: Ctrl-C returns the best allocation found so far.

SCIP has no callback here: progress is read from its own log, which C code writes to
standard output (file descriptor 1).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator

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
from allocopt.model.program import Program


def to_model_builder(program: Program, relax: bool = False):
    """The program as an OR-Tools ModelBuilderHelper, filled from the sparse matrix in
    one call; integrality is then flagged per integer column."""
    from ortools.linear_solver.python import model_builder_helper as mbh

    cols = program.columns
    helper = mbh.ModelBuilderHelper()
    a, lower, upper = program.matrix()
    helper.fill_model_from_sparse_data(cols.lower.astype(float), cols.upper.astype(float),
                                       cols.objective.astype(float), lower, upper, a)
    if not relax:
        for j in np.flatnonzero(cols.integer).tolist():
            helper.set_var_integrality(j, True)
    helper.set_maximize(program.maximize)
    return helper


def _status(code: int, has_solution: bool) -> Status:
    from ortools.linear_solver import pywraplp

    if code == pywraplp.Solver.OPTIMAL:
        return Status.OPTIMAL
    if code == pywraplp.Solver.FEASIBLE:
        return Status.FEASIBLE if has_solution else Status.NO_SOLUTION_FOUND
    if code == pywraplp.Solver.INFEASIBLE:
        return Status.INFEASIBLE
    if code == pywraplp.Solver.UNBOUNDED:
        return Status.UNBOUNDED
    if code == pywraplp.Solver.NOT_SOLVED:
        return Status.NO_SOLUTION_FOUND
    return Status.ERROR


class ScipBackend(Backend):
    name = "scip"
    features = frozenset({Feature.INTEGER, Feature.HINTS, Feature.FRACTIONAL_COEFFICIENTS,
                          Feature.LP_RELAXATION, Feature.MEMORY_LIMIT})

    @classmethod
    def version(cls) -> str | None:
        return installed_version("ortools", "ortools")

    def _solve(self, program: Program, options: SolveOptions) -> Result:
        from ortools.linear_solver import linear_solver_pb2, pywraplp
        from ortools.linear_solver.python import model_builder_helper as mbh

        started = time.perf_counter()
        reporter = progress_reporter(options, started)
        solver = pywraplp.Solver.CreateSolver("SCIP")
        if solver is None:
            return Result(Status.ERROR, None, None, None, time.perf_counter() - started,
                          self.name, message="this OR-Tools build has no SCIP")
        error = solver.LoadModelFromProto(
            mbh.to_mpmodel_proto(to_model_builder(program, relax=options.relax)))
        if error:
            return Result(Status.ERROR, None, None, None, time.perf_counter() - started,
                          self.name, message=error)
        if options.time_limit_s is not None:
            solver.SetTimeLimit(int(max(1.0, options.time_limit_s * 1000)))
        solver.SetSolverSpecificParametersAsString(
            f"limits/gap = {options.solver_gap()}\n"
            f"limits/absgap = {options.abs_gap or 0.0}\n"
            f"randomization/randomseedshift = {options.seed}\n"
            # Ctrl-C is ours: it stops the solve through InterruptSolve.
            "misc/catchctrlc = FALSE\n"
            + (f"limits/memory = {options.memory_limit_mb}\n"
               if options.memory_limit_mb is not None else ""))
        if options.hint is not None:
            variables = solver.variables()
            solver.SetHint(variables, [float(v) for v in options.hint])
        if options.verbose or reporter is not None:
            solver.EnableOutput()
        code: list[int] = []
        log = (contextlib.nullcontext() if reporter is None else
               _stdout_lines(_ScipLog(reporter).feed, echo=options.verbose))
        with log:
            interrupted = run_interruptible(lambda: code.append(solver.Solve()),
                                            solver.InterruptSolve, options.stop,
                                            options.stop_by())
        response = linear_solver_pb2.MPSolutionResponse()
        solver.FillSolutionResponseProto(response)
        has_solution = len(response.variable_value) == len(program.columns)
        status = _status(code[0], has_solution)
        values = objective = bound = None
        if status.has_solution:
            values = np.asarray(response.variable_value, dtype=float)
            objective = float(response.objective_value)
            bound = objective if options.relax else float(response.best_objective_bound)
        if reporter is not None:
            reporter.finish(objective, bound)
        return Result(status=status, objective=objective, bound=bound, values=values,
                      wall_s=time.perf_counter() - started, backend=self.name,
                      interrupted=interrupted, message=pywraplp_status_name(code[0]))


def pywraplp_status_name(code: int) -> str:
    from ortools.linear_solver import pywraplp

    names = {getattr(pywraplp.Solver, n): n for n in (
        "OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNBOUNDED", "ABNORMAL", "MODEL_INVALID",
        "NOT_SOLVED")}
    return names.get(code, str(code))


class _ScipLog:
    """Reads SCIP's node table from its log: a header row names the columns
    (`time | node | … | dualbound | primalbound | gap | compl.`), each row under it
    gives the bounds in the problem's own sense ("--" while there is none)."""

    def __init__(self, reporter: ProgressReporter) -> None:
        self._reporter = reporter
        self._columns: tuple[int, int, int] | None = None  # width, dualbound, primalbound

    def feed(self, line: str) -> None:
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 3:
            return
        if "dualbound" in cells and "primalbound" in cells:
            self._columns = (len(cells), cells.index("dualbound"), cells.index("primalbound"))
        elif self._columns is not None and len(cells) == self._columns[0]:
            _, dual, primal = self._columns
            self._reporter.update(incumbent=_number(cells[primal]), bound=_number(cells[dual]))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@contextlib.contextmanager
def _stdout_lines(on_line: Callable[[str], None], echo: bool) -> Iterator[None]:
    """While the block runs, what C code writes to standard output goes through a pipe
    to `on_line`, line by line, and on to the real standard output only when `echo`.

    The redirection is process-wide (file descriptor 1): Python's own prints meanwhile
    take the same way. The pipe is drained by a thread, which needs SCIP to release the
    GIL while it solves (it does: that is also how Ctrl-C reaches it).
    """
    sys.stdout.flush()
    saved = os.dup(1)
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 1)
    os.close(write_fd)

    def pump() -> None:
        feeding = True
        with open(read_fd, "rb") as pipe, open(saved, "wb", closefd=False) as real:
            for raw in pipe:
                if echo:
                    real.write(raw)
                    real.flush()
                if feeding:
                    try:
                        on_line(raw.decode(errors="replace").rstrip("\r\n"))
                    except Exception:  # keep draining: a full pipe would block SCIP
                        feeding = False

    reader = threading.Thread(target=pump, name="allocopt-scip-log", daemon=True)
    reader.start()
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)  # closes the pipe's last writer: the reader sees its end
        reader.join(5.0)
        if not reader.is_alive():  # else something else (a child process) holds the pipe
            os.close(saved)
