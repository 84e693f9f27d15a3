"""The tutorial instance solves to the optimum derived by hand at the top of its file.

instances/tutorial.yaml explains, step by step, why the optimum is 1136 and why it is
unique; these tests hold the solver (default backend) to that derivation.
"""

from __future__ import annotations

import math

import pytest

import allocopt

from conftest import ROOT

TUTORIAL = ROOT / "instances" / "tutorial.yaml"

OPTIMUM = 1136.0

# Every placement is forced (see the file's derivation): project ->
# (configuration, site, first period, last period, GPUs). open-science is the elastic
# request, so it has no configuration.
FUNDED = {
    "llm": ("h200", "north", "2026-Q1", "2026-Q4", {"H200": 32}),
    "imaging": ("a100", "north", "2026-Q1", "2026-Q2", {"A100": 48}),
    "genomics": ("half", "north", "2026-Q3", "2026-Q4", {"H200": 4}),
    "open-science": (None, "north", "2026-Q3", "2026-Q4", {"A100": 48}),
    "triage-train": ("h100", "south", "2026-Q1", "2026-Q2", {"H100": 16}),
    "triage-deploy": ("h100", "south", "2026-Q3", "2026-Q4", {"H100": 16}),
    "weather": ("h100", "south", "2026-Q1", "2026-Q4", {"H100": 16}),
    "fraud": ("h100", "south", "2026-Q1", "2026-Q4", {"H100": 16}),
    "court-transcribe": ("h100", "south", "2026-Q1", "2026-Q2", {"H100": 16}),
}
NOT_FUNDED = {"robotics", "court-search", "tax"}


@pytest.fixture(scope="module")
def instance():
    return allocopt.load_instance(TUTORIAL)


@pytest.fixture(scope="module")
def solution(instance):
    return allocopt.solve(instance)


def test_tutorial_loads_and_validates(instance):
    assert instance.name == "tutorial"
    assert len(instance.periods) == 4
    assert len(instance.spec.gpu_types) == 3
    assert len(instance.spec.sites) == 2
    assert len(instance.projects) == 12
    assert set(FUNDED) | NOT_FUNDED == {p.id for p in instance.projects}


def test_tutorial_objective_is_the_hand_derived_optimum(solution):
    assert solution.status.value == "optimal"
    assert math.isclose(solution.objective, OPTIMUM, rel_tol=1e-9)


def test_tutorial_funded_set_and_placements(solution):
    awarded = {a.project: a for a in solution.awards}
    assert set(awarded) == set(FUNDED)
    assert not NOT_FUNDED & set(awarded)
    for pid, (config, site, start, end, gpus) in FUNDED.items():
        a = awarded[pid]
        assert (a.configuration, a.site, a.start, a.end) == (config, site, start, end), pid
        assert {g: n for g, n in a.gpus.items() if n} == gpus, pid


def test_tutorial_buys_the_whole_export_quota_for_north(solution):
    bought = [(b.option, b.gpu_type, b.site, b.period, b.units) for b in solution.purchases]
    assert bought == [("h200-quota", "H200", "north", "2026-Q3", 4.0)]


def test_tutorial_solution_verifies(instance, solution):
    assert solution.verify(instance) == []
