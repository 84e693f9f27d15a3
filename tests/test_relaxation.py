"""One relaxation service (`allocopt.backends.relaxation`): the LP relaxation as the
common Result, its solver chosen by what is asked (duals: a backend with
Feature.DUALS; the bound alone: GLOP), and a backend's missing capability refused
before any solving as a typed error that names the Feature."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from test_backends import knapsack, wyndor, wyndor_with

from allocopt.backends import REGISTRY, Feature, SolveOptions, Status, get_backend
from allocopt.backends.glop import lp_relaxation_bound
from allocopt.backends.relaxation import lp_bound, relax, solver_for
from allocopt.errors import BackendError, Unsupported

HIGHS = REGISTRY["highs"].version() is not None


def test_the_bound_alone_comes_from_glop_with_the_vertex():
    result = relax(wyndor())
    assert result.backend == "glop" and result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(21.0) and result.bound == result.objective
    assert np.allclose(result.values, [3.0, 1.5])
    assert lp_bound(wyndor()) == lp_relaxation_bound(wyndor())


@pytest.mark.skipif(not HIGHS, reason="highspy is not installed")
def test_duals_come_from_a_backend_that_has_them():
    assert solver_for(duals=True) == "highs"
    result = relax(wyndor(), duals=True)
    assert result.backend == "highs" and result.objective == pytest.approx(21.0)
    assert np.allclose(result.row_duals, [0.75, -0.5, 0.0])  # derived in wyndor()


def test_prefer_names_a_backend_and_is_honoured_only_when_it_can_answer():
    assert solver_for(duals=False, prefer="scip") == "scip"
    assert relax(wyndor(), prefer="scip").objective == pytest.approx(21.0)
    assert solver_for(duals=True, prefer="scip") != "scip"  # SCIP gives no duals here


def test_an_infeasible_relaxation_says_so():
    program = wyndor_with([70, -6, 0], [80, np.inf, 10])  # 6x + 4y <= 36 when x + 2y <= 6
    assert relax(program).status is Status.INFEASIBLE


def test_cpsat_refuses_an_lp_relaxation_before_solving():
    with pytest.raises(Unsupported) as refusal:
        get_backend("cpsat").solve(knapsack(), SolveOptions(relax=True))
    assert refusal.value.feature == Feature.LP_RELAXATION
    assert isinstance(refusal.value, BackendError)
    assert "cpsat solves integer programs only" in str(refusal.value)


@pytest.mark.skipif(not HIGHS, reason="highspy is not installed")
def test_a_memory_limit_is_refused_by_a_backend_without_one():
    with pytest.raises(Unsupported) as refusal:
        get_backend("highs").solve(knapsack(), SolveOptions(memory_limit_mb=100))
    assert refusal.value.feature == Feature.MEMORY_LIMIT
    assert str(refusal.value).startswith("highs cannot limit its memory; use ")


def test_cpsat_refuses_coefficients_it_cannot_scale_with_the_feature_named():
    thirds = wyndor_with([-np.inf, -6, 0], [24 + 1 / 3, np.inf, 10])
    with pytest.raises(Unsupported) as refusal:
        get_backend("cpsat").solve(thirds, SolveOptions())
    assert refusal.value.feature == Feature.FRACTIONAL_COEFFICIENTS


def test_a_refusal_crosses_processes_whole():
    sent = Unsupported(Feature.DUALS, "no duals here")
    got = pickle.loads(pickle.dumps(sent))
    assert type(got) is Unsupported and got.feature == "duals" and str(got) == "no duals here"
