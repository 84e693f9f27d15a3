"""Every installed backend on programs that carry their answer, derived by hand.

Parametrised over the registry, so a new backend is tested by adding it there.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import allocopt
from allocopt.backends import REGISTRY, Feature, SolveOptions, Status, get_backend
from allocopt.errors import BackendError
from allocopt.model.program import Columns, Program, RowBlock, Rule, VarKind

from conftest import DATA

INF = math.inf
INSTALLED = [name for name, backend in REGISTRY.items() if backend.version() is not None]
WITH_DUALS = [n for n in INSTALLED if Feature.DUALS in REGISTRY[n].features]
WITH_HINTS = [n for n in INSTALLED if Feature.HINTS in REGISTRY[n].features]
WITH_LP = [n for n in INSTALLED if n != "cpsat"]  # CP-SAT has no LP relaxation
needs_cpsat = pytest.mark.skipif("cpsat" not in INSTALLED, reason="cpsat not installed")


def dense_program(objective, a, row_lower, row_upper, lower, upper, integer,
                  kind=VarKind.ASSIGN, rule=Rule.CAPACITY, maximize=True) -> Program:
    """A Program from dense arrays: one row block of family `rule`, keys (i,)."""
    objective = np.asarray(objective, float)
    n = len(objective)
    a = np.atleast_2d(np.asarray(a, float))

    def per_column(v, dtype=float):
        return np.broadcast_to(np.asarray(v, dtype), (n,)).copy()

    none = np.full(n, -1, np.int64)
    zero = np.zeros(n)
    columns = Columns(kind=per_column(int(kind), np.int64), project=none, config=none, site=none,
                      start=none, duration=none, gpu_type=none, option=none, unit=np.ones(n),
                      lower=per_column(lower), upper=per_column(upper),
                      integer=per_column(integer, bool), objective=objective, start_column=none,
                      usage_column=np.zeros(0, np.int64), usage_type=np.zeros(0, np.int64),
                      usage_amount=np.zeros(0), perf_periods=zero, public_opex=zero, capex=zero)
    rows, cols = np.nonzero(a)
    block = RowBlock(rule, rows.astype(np.int64), cols.astype(np.int64), a[rows, cols],
                     np.asarray(row_lower, float), np.asarray(row_upper, float),
                     [(i,) for i in range(a.shape[0])])
    return Program(columns=columns, blocks=[block], maximize=maximize)


def knapsack() -> Program:
    """max 10.5 x0 + 13 x1 + 7 x2 + 8.25 x3 + 2 y
    s.t. 3 x0 + 4 x1 + 2 x2 + 3 x3 + 1.5 y ≤ 7.5, x0 + x1 + x2 + x3 ≥ 1,
         x binary, y ∈ {0, …, 5}.

    By enumeration of the pairs that fit (no three x fit): {x0, x1} = 23.5 beats
    {x1, x2} + y = 22, {x1, x3} = 21.25, {x0, x3} + y = 20.75, {x0, x2} + y = 19.5; any
    single x with y is worse still. Optimum 23.5 at x = (1, 1, 0, 0), y = 0.
    """
    return dense_program([10.5, 13, 7, 8.25, 2], [[3, 4, 2, 3, 1.5], [1, 1, 1, 1, 0]],
                         [-INF, 1], [7.5, INF], 0, [1, 1, 1, 1, 5], True)


KNAPSACK_OPTIMUM = 23.5
KNAPSACK_X = [1, 1, 0, 0, 0]


def wyndor() -> Program:
    """max 5 x + 4 y s.t. 6 x + 4 y ≤ 24, −x − 2 y ≥ −6, 0 ≤ x − y ≤ 10, x, y ∈ [0, 10]
    integer (the bounds never bind).

    LP optimum at the vertex of the first two rows: x = 3, y = 1.5, value 21. Duals
    u = ∂value/∂rhs solve 6 u1 − u2 = 5, 4 u1 − 2 u2 = 4: u1 = 0.75, u2 = −0.5 (raising
    the ≥ row's rhs tightens it); the third row is slack, u3 = 0. Strong duality:
    0.75 · 24 + (−0.5) · (−6) = 21. The integer optimum is 20 (x = 4, y = 0).
    """
    return wyndor_with([-INF, -6, 0], [24, INF, 10])


def wyndor_with(row_lower, row_upper) -> Program:
    return dense_program([5, 4], [[6, 4], [-1, -2], [1, -1]], row_lower, row_upper, 0, 10, True)


def feasible(program: Program, x: np.ndarray, tol: float = 1e-6) -> bool:
    a, lower, upper = program.matrix()
    ax = a @ x
    cols = program.columns
    integral = np.abs(x[cols.integer] - np.round(x[cols.integer])) <= tol
    return bool(np.all(ax >= lower - tol) and np.all(ax <= upper + tol)
                and np.all(x >= cols.lower - tol) and np.all(x <= cols.upper + tol)
                and np.all(integral))


@pytest.mark.parametrize("name", INSTALLED)
def test_knapsack_optimum(name):
    program = knapsack()
    result = get_backend(name).solve(program, SolveOptions(gap=0.0))
    assert result.status is Status.OPTIMAL, result.message
    assert result.backend == name
    assert math.isclose(result.objective, KNAPSACK_OPTIMUM, rel_tol=1e-9)
    assert math.isclose(result.bound, KNAPSACK_OPTIMUM, rel_tol=1e-6)
    assert np.allclose(result.values, KNAPSACK_X, atol=1e-6)
    assert feasible(program, result.values)
    assert result.wall_s >= 0


@pytest.mark.parametrize("name", WITH_HINTS)
def test_hint_of_the_optimum_is_kept(name):
    result = get_backend(name).solve(knapsack(), SolveOptions(hint=np.array(KNAPSACK_X, float)))
    assert result.status is Status.OPTIMAL
    assert math.isclose(result.objective, KNAPSACK_OPTIMUM, rel_tol=1e-9)


@pytest.mark.parametrize("name", WITH_DUALS)
def test_lp_duals_by_hand(name):
    program = wyndor()
    result = get_backend(name).solve(program, SolveOptions(relax=True))
    assert result.status is Status.OPTIMAL, result.message
    assert math.isclose(result.objective, 21.0, rel_tol=1e-9)
    assert math.isclose(result.bound, 21.0, rel_tol=1e-9)
    assert np.allclose(result.values, [3.0, 1.5], atol=1e-7)
    assert np.allclose(result.row_duals, [0.75, -0.5, 0.0], atol=1e-7)
    _, lower, upper = program.matrix()
    rhs = np.where(result.row_duals >= 0, upper, lower)
    assert math.isclose(float(result.row_duals @ np.where(np.isfinite(rhs), rhs, 0.0)), 21.0)


@pytest.mark.parametrize("name", WITH_DUALS)
def test_lp_duals_match_finite_differences(name):
    """Raising each binding bound by h changes the value by dual · h (non-degenerate LP)."""
    backend = get_backend(name)
    base = backend.solve(wyndor(), SolveOptions(relax=True))
    h = 1e-3
    for i, (lo, hi) in enumerate([(-INF, 24 + h), (-6 + h, INF)]):
        row_lower, row_upper = [-INF, -6, 0], [24, INF, 10]
        row_lower[i], row_upper[i] = lo, hi
        moved = backend.solve(wyndor_with(row_lower, row_upper), SolveOptions(relax=True))
        assert math.isclose((moved.objective - base.objective) / h, base.row_duals[i], abs_tol=1e-6)


@pytest.mark.parametrize("name", INSTALLED)
def test_integer_optimum_differs_from_the_relaxation(name):
    result = get_backend(name).solve(wyndor(), SolveOptions(gap=0.0))
    assert result.status is Status.OPTIMAL
    assert math.isclose(result.objective, 20.0, rel_tol=1e-9)
    assert result.row_duals is None


@pytest.mark.parametrize("relax", [False, True])
@pytest.mark.parametrize("name", INSTALLED)
def test_infeasible(name, relax):
    if relax and name not in WITH_LP:
        pytest.skip(f"{name} has no LP relaxation")
    # x0 + x1 ≥ 3 with 0 ≤ x ≤ 1: infeasible even when relaxed.
    program = dense_program([1, 1], [[1, 1]], [3], [INF], 0, 1, True)
    result = get_backend(name).solve(program, SolveOptions(relax=relax))
    assert result.status is Status.INFEASIBLE, result.message
    assert result.values is None and result.objective is None


@pytest.mark.parametrize("name", INSTALLED)
def test_time_limit_keeps_the_incumbent(name):
    """A random 30-row, 300-binary knapsack no solver closes in half a second."""
    rng = np.random.default_rng(1)
    w = rng.integers(1, 1000, (30, 300))
    program = dense_program(rng.integers(1, 1000, 300), w, np.full(30, -INF),
                            np.floor(w.sum(axis=1) / 2), 0, 1, True)
    result = get_backend(name).solve(program, SolveOptions(time_limit_s=0.5, gap=0.0))
    assert result.status in (Status.FEASIBLE, Status.OPTIMAL), result.message
    assert result.wall_s < 4.0
    assert feasible(program, result.values)
    assert math.isclose(result.objective, float(program.columns.objective @ result.values))
    if result.status is Status.OPTIMAL:
        assert math.isclose(result.bound, result.objective, rel_tol=1e-9)
    elif result.bound is not None:
        assert result.bound >= result.objective - 1e-6


BACKEND_SMALL = DATA / "backend_small.yaml"


@pytest.fixture(scope="module")
def small_instance():
    return allocopt.load_instance(BACKEND_SMALL)


@pytest.fixture(scope="module")
def reference_objective(small_instance):
    reference = "scip" if "scip" in INSTALLED else INSTALLED[0]
    return allocopt.solve(small_instance, backend=reference, lp_bound=False).objective


@pytest.mark.parametrize("name", INSTALLED)
def test_same_optimum_on_a_small_instance(name, small_instance, reference_objective):
    solution = allocopt.solve(small_instance, backend=name, lp_bound=False)  # verifies
    assert solution.status is Status.OPTIMAL
    assert solution.backend == name
    assert math.isclose(solution.objective, reference_objective, rel_tol=1e-6)
    assert solution.verify(small_instance) == []


@needs_cpsat
def test_cpsat_scales_decimal_rows():
    from allocopt.backends.cpsat import decimal_exponents

    values = np.array([3, 0.5, 1.25, 0.1 * 3, 1 / 3, 2.0])
    groups = np.array([0, 0, 1, 2, 3, 3])
    assert decimal_exponents(values, groups, 5).tolist() == [1, 2, 1, -1, 0]


@needs_cpsat
def test_cpsat_rejects_what_it_cannot_express():
    thirds = dense_program([1, 1], [[1 / 3, 1]], [-INF], [2], 0, 3, True, rule=Rule.POWER)
    with pytest.raises(BackendError, match="power"):
        get_backend("cpsat").solve(thirds, SolveOptions())
    sizes = dense_program([1, 1], [[1, 1]], [-INF], [2], 0, 3, False, kind=VarKind.SIZE)
    with pytest.raises(BackendError, match=r"continuous columns \(2 SIZE\)"):
        get_backend("cpsat").solve(sizes, SolveOptions())
    with pytest.raises(BackendError, match="relaxation"):
        get_backend("cpsat").solve(knapsack(), SolveOptions(relax=True))


@needs_cpsat
def test_cpsat_rounds_a_non_decimal_objective_and_keeps_the_bound_proven():
    # max x0/3 + 2 x1/3 s.t. x0 + x1 ≤ 1, binary: optimum 2/3 at x = (0, 1).
    program = dense_program([1 / 3, 2 / 3], [[1, 1]], [-INF], [1], 0, 1, True)
    result = get_backend("cpsat").solve(program, SolveOptions())
    assert result.status is Status.OPTIMAL
    assert result.values.tolist() == [0.0, 1.0]
    assert result.objective == 2 / 3
    assert 2 / 3 <= result.bound <= 2 / 3 + 1e-6
    assert "rounded" in result.message


def test_auto_picks_by_model_size():
    from allocopt.backends import AUTO_HIGHS_MAX_COLUMNS, choose_backend

    small = "highs" if REGISTRY["highs"].version() else "scip"
    assert choose_backend("auto", AUTO_HIGHS_MAX_COLUMNS) == small
    assert choose_backend("auto", AUTO_HIGHS_MAX_COLUMNS + 1) == "cpsat"
    assert choose_backend("auto", AUTO_HIGHS_MAX_COLUMNS + 1, all_integer=False) == "scip"
    assert choose_backend("cbc", 10) == "cbc"


def test_auto_backend_solves_and_says_which_it_used(tmp_path):
    from click.testing import CliRunner

    from allocopt_cli.main import cli

    out = tmp_path / "r"
    result = CliRunner().invoke(cli, ["solve", str(DATA / "backend_small.yaml"), "--out",
                                      str(out), "--backend", "auto"])
    assert result.exit_code == 0, result.output
    import json

    assert json.loads((out / "summary.json").read_text())["backend"] in ("highs", "scip")


@needs_cpsat
def test_cpsat_keeps_an_lp_that_sees_the_whole_model():
    from ortools.sat.python import cp_model

    from allocopt.backends.cpsat import PORTFOLIO, search_parameters

    one = cp_model.CpSolver().parameters
    search_parameters(one, 1)
    assert (one.num_workers, one.linearization_level) == (1, 2)
    assert list(one.extra_subsolvers) == []
    two = cp_model.CpSolver().parameters
    search_parameters(two, 2)
    assert (two.num_workers, two.linearization_level, two.num_full_subsolvers) == (2, 2, 2)
    assert list(two.extra_subsolvers) == list(PORTFOLIO) == ["max_lp", "lb_tree_search"]
    four = cp_model.CpSolver().parameters
    search_parameters(four, 4)
    assert list(four.extra_subsolvers) == list(PORTFOLIO)
    assert four.num_full_subsolvers == 0  # CP-SAT's own split between full and LNS workers


@needs_cpsat
@pytest.mark.parametrize("threads", [1, 2])
def test_cpsat_bound_beats_the_lp_relaxation_on_korea(threads):
    """At CP-SAT's default linearization level its LP leaves out the constraints its
    presolve writes with enforcement literals, and on korea-2025 the bound stayed at
    5,647,798 after 600 s, above the LP relaxation's 5,621,090. With the whole model in
    the LP the bound is below the LP relaxation within about a second (0.5 s measured)."""
    from allocopt.backends.glop import lp_relaxation_bound
    from allocopt.model import build_program

    from conftest import ROOT

    program = build_program(allocopt.load_instance(ROOT / "instances/korea-2025.yaml"))
    lp = lp_relaxation_bound(program)
    result = get_backend("cpsat").solve(program, SolveOptions(time_limit_s=5, gap=1e-3,
                                                              threads=threads))
    assert result.status.has_solution, result.message
    assert result.objective <= result.bound < lp


def test_auto_falls_back_to_scip_when_cpsat_cannot_scale(monkeypatch):
    """Above the HiGHS size `auto` takes CP-SAT, which refuses rows it cannot scale to
    integers exactly (here an operating cost with seven decimals in the budget row):
    the solve goes to SCIP instead of failing."""
    import yaml

    import allocopt.backends as backends
    from allocopt import from_spec
    from allocopt.instance.schema import InstanceSpec
    from allocopt.solving.pipeline import solve

    doc = yaml.safe_load((DATA / "backend_small.yaml").read_text())
    doc["gpu_types"][0]["opex_per_period"] = 0.1234567
    doc.setdefault("policy", {}).setdefault("budget", {})["opex"] = 1000.0
    instance = from_spec(InstanceSpec.model_validate(doc))
    monkeypatch.setattr(backends, "AUTO_HIGHS_MAX_COLUMNS", 0)
    with pytest.raises(BackendError):
        solve(instance, backend="cpsat")
    solution = solve(instance, backend="auto")
    assert solution.backend == "scip" and solution.status is Status.OPTIMAL
    assert solution.objective == pytest.approx(solve(instance, backend="scip").objective)


def test_glop_relaxation_by_hand():
    """GLOP's dual simplex, behind `lp_bound`, reaches wyndor's LP vertex (3, 1.5) = 21
    and says INFEASIBLE, with no values, when even the relaxation has no point."""
    from allocopt.backends.glop import lp_relaxation_bound, solve_relaxation

    relaxation = solve_relaxation(wyndor())
    assert relaxation.status == "OPTIMAL"
    assert math.isclose(relaxation.objective, 21.0, rel_tol=1e-9)
    assert np.allclose(relaxation.values, [3.0, 1.5], atol=1e-7)
    empty = dense_program([1, 1], [[1, 1]], [3], [INF], 0, 1, True)
    assert solve_relaxation(empty).status == "INFEASIBLE"
    assert lp_relaxation_bound(empty) is None


@pytest.mark.skipif("highs" not in INSTALLED, reason="highs not installed")
@pytest.mark.parametrize("name", ["tutorial", "korea-2025", "korea-2025-export-shock"])
def test_glop_lp_bound_equals_the_highs_relaxation(name):
    """The reported LP bound is the relaxation's optimum, whichever simplex finds it."""
    from allocopt.backends.glop import lp_relaxation_bound
    from allocopt.model import build_program

    from conftest import ROOT

    program = build_program(allocopt.load_instance(ROOT / f"instances/{name}.yaml"))
    highs = get_backend("highs").solve(program, SolveOptions(relax=True))
    assert highs.status is Status.OPTIMAL
    assert math.isclose(lp_relaxation_bound(program), highs.objective, rel_tol=1e-9)


@pytest.mark.skipif("highs" not in INSTALLED, reason="highs not installed")
def test_lp_rounding_after_a_two_thread_highs_solve():
    """HiGHS runs one process-wide scheduler and refuses a model whose `threads` differs
    from it; the rounding's one-thread LP after a two-thread solve must still run."""
    from allocopt.model import build_program
    from allocopt.solving.starts.rounding import round_lp

    from conftest import ROOT

    instance = allocopt.load_instance(ROOT / "instances/tutorial.yaml")
    solved = allocopt.solve(instance, backend="highs", options=SolveOptions(threads=2),
                            lp_bound=False)
    rounded = round_lp(instance, build_program(instance))
    assert rounded.violations == []
    assert 0 < rounded.objective <= solved.objective + 1e-9


def test_auto_seeds_national_models_with_the_core_and_larger_ones_by_lp_rounding():
    """All-integer weighted models: no start up to the HiGHS size, the LP-core start up
    to AUTO_CORE_MAX_COLUMNS, LP rounding above (benchmarks/README.md, "Defaults")."""
    from allocopt.backends import AUTO_CORE_MAX_COLUMNS, AUTO_HIGHS_MAX_COLUMNS, Choice, choose

    if REGISTRY["highs"].version() is None:
        pytest.skip("the seeded starts need HiGHS")
    assert choose("auto", "auto", AUTO_HIGHS_MAX_COLUMNS, True, True) == Choice("scip", None)
    assert choose("auto", "auto", AUTO_HIGHS_MAX_COLUMNS + 1, True, True) == Choice("scip",
                                                                                  "core")
    assert choose("auto", "auto", AUTO_CORE_MAX_COLUMNS, True, True).start == "core"
    assert choose("auto", "auto", AUTO_CORE_MAX_COLUMNS + 1, True, True) == Choice("scip", "lp")
    assert choose("auto", None, AUTO_CORE_MAX_COLUMNS + 1, True, True).start is None
    assert choose("cpsat", "auto", AUTO_CORE_MAX_COLUMNS + 1, True, True).start is None
