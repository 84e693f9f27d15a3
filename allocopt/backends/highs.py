"""HiGHS through `highspy`, fed the sparse arrays in one `passModel` call.

Not OR-Tools' bundled HiGHS: through the model builder that one loses its incumbent
at a time limit and returns row activities as duals (see SOLVER-NOTES.md).
"""

from __future__ import annotations

import time
from dataclasses import replace

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

# HiGHS keeps one process-wide thread scheduler and refuses to run (kError, "Not Set")
# when the `threads` option differs from the count it was started with; we restart it
# when the count we ask for changes. None: not started by us yet.
_scheduler_threads: int | None = None


def use_threads(threads: int) -> None:
    """Make HiGHS's process-wide scheduler run `threads` threads before a Highs object
    with that `threads` option runs; every HiGHS model allocopt builds goes through it."""
    import highspy

    global _scheduler_threads
    if _scheduler_threads != threads:
        highspy.Highs.resetGlobalScheduler(True)
        _scheduler_threads = threads


# HiGHS enum values as plain ints, so the model goes in through the array overload.
_ROWWISE = 2
_MINIMIZE, _MAXIMIZE = 1, -1
_INTEGER = 1


def _status(model_status: str, has_solution: bool, bounded: bool) -> Status:
    """Map HiGHS's model status (its enum member name) onto ours.

    A solution counts only when HiGHS says its primal values are feasible; "unbounded
    or infeasible" (a presolve verdict) is infeasible when every column is bounded.
    """
    if model_status == "kOptimal":
        return Status.OPTIMAL if has_solution else Status.ERROR
    if model_status == "kInfeasible":
        return Status.INFEASIBLE
    if model_status == "kUnbounded":
        return Status.UNBOUNDED
    if model_status == "kUnboundedOrInfeasible":
        return Status.INFEASIBLE if bounded else Status.ERROR
    if model_status in ("kTimeLimit", "kIterationLimit", "kSolutionLimit", "kInterrupt",
                        "kHighsInterrupt", "kMemoryLimit", "kObjectiveBound",
                        "kObjectiveTarget", "kUnknown"):
        return Status.FEASIBLE if has_solution else Status.NO_SOLUTION_FOUND
    return Status.ERROR


class HighsBackend(Backend):
    """HiGHS MILP and LP; the only backend here whose LP duals come with a MILP solver."""

    name = "highs"
    features = frozenset({Feature.INTEGER, Feature.DUALS, Feature.HINTS, Feature.LP_RELAXATION,
                          Feature.FRACTIONAL_COEFFICIENTS})

    @classmethod
    def version(cls) -> str | None:
        return installed_version("highspy", "highspy")

    def _solve(self, program: Program, options: SolveOptions) -> Result:
        reporter = progress_reporter(options, time.perf_counter())
        result = self._run(program, options, reporter)
        if reporter is not None:
            reporter.finish(result.objective, result.bound)
        return result

    def _run(self, program: Program, options: SolveOptions,
             reporter: ProgressReporter | None) -> Result:
        import highspy

        started = time.perf_counter()
        cols = program.columns
        n = len(cols)
        a, row_lower, row_upper = program.matrix()
        mip = not options.relax and bool(np.any(cols.integer))
        # The array overload of passModel reads n integrality entries even for an LP.
        integrality = cols.integer.astype(np.int32) * _INTEGER if mip else np.zeros(n, np.int32)

        # highspy prints its banner once per process, when the first Highs is created,
        # before any option can silence it.
        h = highspy.Highs()
        h.setOptionValue("output_flag", bool(options.verbose))
        h.setOptionValue("threads", int(options.threads))
        h.setOptionValue("random_seed", int(options.seed))
        h.setOptionValue("mip_rel_gap", float(options.solver_gap()))
        if options.abs_gap is not None:
            h.setOptionValue("mip_abs_gap", float(options.abs_gap))
        if options.time_limit_s is not None:
            h.setOptionValue("time_limit", float(options.time_limit_s))
        if options.target is not None and mip:
            h.setOptionValue("objective_target", float(options.target))
        passed = h.passModel(
            n, a.shape[0], a.nnz, _ROWWISE, _MAXIMIZE if program.maximize else _MINIMIZE, 0.0,
            cols.objective.astype(np.float64), cols.lower.astype(np.float64),
            cols.upper.astype(np.float64), row_lower.astype(np.float64),
            row_upper.astype(np.float64), a.indptr.astype(np.int32), a.indices.astype(np.int32),
            a.data.astype(np.float64), integrality)
        if passed == highspy.HighsStatus.kError:
            return Result(status=Status.ERROR, objective=None, bound=None, values=None,
                          wall_s=time.perf_counter() - started, backend=self.name,
                          message="HiGHS rejected the model (rerun with verbose for why)")
        if options.hint is not None and mip:
            start = highspy.HighsSolution()
            start.col_value = np.asarray(options.hint, dtype=np.float64).tolist()
            start.value_valid = True
            h.setSolution(start)
        if options.stop is not None or options.stop_by() is not None:
            # highspy's cancelSolve only raises a flag, which its interrupt callbacks
            # (simplex, IPM, MIP) read only once this subscribes them.
            h.HandleUserInterrupt = True
        if reporter is not None and mip:
            # Bounds in the problem's own sense; ±inf while there is none.
            h.cbMipImprovingSolution.subscribe(
                lambda e: reporter.update(incumbent=e.data_out.objective_function_value))
            h.cbMipInterrupt.subscribe(
                lambda e: reporter.update(incumbent=e.data_out.mip_primal_bound,
                                          bound=e.data_out.mip_dual_bound))
        use_threads(int(options.threads))
        ran: list = []
        interrupted = run_interruptible(lambda: ran.append(h.run()), h.cancelSolve,
                                        options.stop, options.stop_by())
        if ran[0] == highspy.HighsStatus.kError and h.getModelStatus().name == "kNotset":
            # Someone else in this process restarted the scheduler with other threads.
            highspy.Highs.resetGlobalScheduler(True)
            h.run()
        wall = time.perf_counter() - started

        raw = h.getModelStatus()
        info = h.getInfo()
        has_solution = int(info.primal_solution_status) == int(highspy.kSolutionStatusFeasible)
        bounded = bool(np.all(np.isfinite(cols.lower)) and np.all(np.isfinite(cols.upper)))
        status = _status(raw.name, has_solution, bounded)
        values = objective = bound = duals = None
        if status.has_solution:
            solution = h.getSolution()
            values = np.asarray(solution.col_value, dtype=float)
            objective = float(info.objective_function_value)
            if options.hint is not None and not np.isclose(
                    float(cols.objective @ values), objective, rtol=1e-7, atol=1e-6):
                # highspy 1.16 with presolve can return the hint's values with the
                # optimum's objective; such an answer is not used: solve again, cold.
                return self._run(program, replace(options, hint=None), reporter)
            if mip:
                dual_bound = float(info.mip_dual_bound)
                bound = dual_bound if np.isfinite(dual_bound) else None
            elif status is Status.OPTIMAL:
                bound = objective
                if solution.dual_valid:
                    # HiGHS's row_dual is already ∂objective/∂rhs (≥ 0 on a binding ≤ row
                    # when maximising), checked against hand-derived duals in the tests.
                    duals = np.asarray(solution.row_dual, dtype=float)
        return Result(status=status, objective=objective, bound=bound, values=values,
                      wall_s=wall, backend=self.name, row_duals=duals,
                      interrupted=interrupted, message=h.modelStatusToString(raw))
