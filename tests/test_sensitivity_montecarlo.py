"""Monte Carlo: the design, the Sobol' estimators, and identical results on every executor
(in this process, local processes, a real Dask cluster)."""

from __future__ import annotations

import numpy as np
import pytest

import allocopt
from allocopt.sensitivity import Executor, ParameterError, Settings
from allocopt.sensitivity.montecarlo import (
    _estimate,
    default_uncertainties,
    design,
    montecarlo,
    parse_uncertainty,
    sobol_sampler,
)
from allocopt.sensitivity.output import montecarlo_files

from conftest import ROOT, make, project


def tutorial():
    return allocopt.load_instance(ROOT / "instances/tutorial.yaml")


def small():
    """Three projects on 10 H and 10 A, two deliveries of H: fast to solve, and every
    uncertainty below moves the answer."""
    return make([project("p1", gpus={"H": 4}, score=1.13),
                 project("p2", gpus={"H": 6}, score=0.71),
                 project("p3", "justice", gpus={"A": 8}, score=0.93)],
                supply=[{"type": "H", "site": "S", "period": "T1", "units": 6},
                        {"type": "H", "site": "S", "period": "T1", "units": 4},
                        {"type": "A", "site": "S", "period": "T1", "units": 10}],
                policy={"budget": {"opex": 14.0}})


FACTORS = ("supply.H~loss(0.3)", "projects.*.score~normal(20%)", "budget.opex~uniform(-30%,+0%)")


def test_uncertainty_forms():
    instance = tutorial()
    loss = parse_uncertainty(instance, "supply.H200~loss(0.4)")
    assert loss.per_element and loss.dims == 1 and loss.args == (0.4,)
    noise = parse_uncertainty(instance, "projects.*.score~normal(10%)")
    assert noise.dims == len(instance.projects) and noise.relative
    budget = parse_uncertainty(instance, "budget.opex~uniform(-20%,+10%)")
    assert budget.dims == 1
    assert budget.draw(np.array([0.0])).value == pytest.approx(0.8 * 1920)
    assert budget.draw(np.array([1.0])).value == pytest.approx(1.1 * 1920)
    assert loss.draw(np.array([0.1])).value == (0.0,)
    assert loss.draw(np.array([0.9])).value == (32.0,)
    labels = [f.label for f in default_uncertainties(instance)]
    assert labels == ["supply.H200~loss(0.2)", "supply.H100~loss(0.2)",
                      "projects.*.score~normal(10%)", "budget.capex~uniform(-10%,+10%)",
                      "budget.opex~uniform(-10%,+10%)"]


@pytest.mark.parametrize(("text", "message"), [
    ("supply.H200~loss(1.5)", "within 0..1"),
    ("supply.H200~beta(1,2)", "expected PATH~loss"),
    ("supply.H200~uniform(1)", "takes 2 argument"),
    ("budget.total~normal(10%)", "not set"),
    ("budget.opex~uniform(-10%,5)", "every argument absolute or every one relative"),
    ("nothing.here~loss(0.1)", "unknown parameter"),
])
def test_bad_uncertainties_are_clear_errors(text, message):
    with pytest.raises(ParameterError, match=message):
        parse_uncertainty(tutorial(), text)


def test_saltelli_design_swaps_one_factor_at_a_time():
    instance = small()
    factors = [parse_uncertainty(instance, t) for t in FACTORS]
    scenarios = design(factors, 10, seed=7)
    assert len(scenarios) == 10 * (3 + 2)
    assert [s.index for s in scenarios] == list(range(50))
    assert [s.block for s in scenarios[::10]] == ["A", "B", *(f"AB:{f.label}" for f in factors)]
    a, b, ab0 = scenarios[0], scenarios[10], scenarios[20]
    assert ab0.changes[0] == b.changes[0] and ab0.changes[1:] == a.changes[1:]
    assert design(factors, 10, seed=7) == scenarios
    assert design(factors, 10, seed=8) != scenarios
    assert len({s.seed for s in scenarios}) == 50


def test_estimators_recover_the_indices_of_a_linear_function():
    """f = 2 u1 + u2 with independent uniforms: S1 = 4/5, S2 = 1/5, no interaction."""
    u = sobol_sampler(4, seed=0).random(4096)
    a, b = u[:, :2], u[:, 2:]

    def f(x):
        return 2 * x[:, 0] + x[:, 1]

    ab = []
    for i in range(2):
        mixed = a.copy()
        mixed[:, i] = b[:, i]
        ab.append(f(mixed))
    first, total = _estimate(f(a), f(b), np.array(ab))
    assert first == pytest.approx([0.8, 0.2], abs=0.03)
    assert total == pytest.approx([0.8, 0.2], abs=0.03)


def run(executor: Executor):
    instance = small()
    factors = [parse_uncertainty(instance, t) for t in FACTORS]
    result = montecarlo(instance, factors, samples=10, seed=11, settings=Settings(gap=0.0),
                        executor=executor)
    return result, montecarlo_files(result, instance)


@pytest.fixture(scope="module")
def serial():
    return run(Executor(workers=0))


def test_montecarlo_results(serial):
    result, files = serial
    assert len(result.outcomes) == 50
    assert all(o.has_solution for o in result.outcomes)
    values = {o.objective for o in result.outcomes}
    assert len(values) > 10  # the uncertainties move the answer
    probability = {row[0]: row[3] for row in result.funding_probability(small())}
    assert 0 < probability["p1"] <= 1 and 0 <= probability["p2"] < 1
    assert files["montecarlo.csv"].count("\n") == 51
    header = files["sobol.csv"].splitlines()[0]
    assert header.startswith("output,factor,first_order")
    loss = [i for i in result.indices if i.output == "objective" and i.factor == FACTORS[0]]
    assert loss[0].rows == 10 and loss[0].total_order > 0


def test_local_processes_give_identical_results(serial):
    _, files = run(Executor(workers=2))
    assert files == serial[1]


def test_dask_cluster_gives_identical_results(serial):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        _, files = run(Executor(dask=cluster.scheduler_address))
    assert files == serial[1]
