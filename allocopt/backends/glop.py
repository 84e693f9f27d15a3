"""The LP relaxation bound, from OR-Tools' GLOP whatever backend solves the MILP.

One fixed LP solver keeps `lp_bound` and the root gap comparable across backends.
"""

from __future__ import annotations

from allocopt.model.program import Program


def lp_relaxation_bound(program: Program, time_limit_s: float | None = None) -> float | None:
    """Optimal value of the program with integrality dropped, or None if GLOP fails."""
    from ortools.linear_solver.python import model_builder_helper as mbh

    from allocopt.backends.scip import to_model_builder

    solver = mbh.ModelSolverHelper("glop")
    if time_limit_s is not None:
        solver.set_time_limit_in_seconds(float(time_limit_s))
    solver.solve(to_model_builder(program, relax=True))
    if solver.status().name != "OPTIMAL":
        return None
    return float(solver.objective_value())
