"""Re-solving an edited instance warm: the earlier allocation repaired to the new rules,
a verified answer at least as good as that repaired allocation, improvements streamed."""

from __future__ import annotations

import pytest

import allocopt
from allocopt.backends import REGISTRY
from allocopt.solution import Solution
from allocopt.solving.resolve import Improvement, _from_hint
from allocopt.solving.starts.warmstart import repair
from allocopt.status import Status

from conftest import ROOT

TUTORIAL = ROOT / "instances" / "tutorial.yaml"
KOREA = ROOT / "instances" / "korea-2025.yaml"
BACKENDS = [name for name, cls in REGISTRY.items() if cls.version() is not None]


@pytest.fixture(scope="module")
def tutorial():
    instance = allocopt.load_instance(TUTORIAL)
    return instance, allocopt.solve(instance)


def test_repair_keeps_an_allocation_that_still_holds(tutorial):
    instance, solution = tutorial
    repaired = repair(instance, solution)
    assert repaired.feasible and repaired.dropped == {}
    assert repaired.solution.objective == pytest.approx(solution.objective)


def test_repair_drops_the_awards_an_edit_breaks_and_what_depends_on_them(tutorial):
    instance, solution = tutorial
    tighter = instance.with_budget(opex=1280)  # one 320-block less for the south
    repaired = repair(tighter, solution)
    assert repaired.feasible
    assert repaired.solution.verify(tighter) == []
    assert repaired.dropped == {"triage-train": "budget_opex", "triage-deploy": "dependency"}
    # Without the H200 llm needs, llm goes; and then industry (fraud) is over its share.
    fewer = instance.with_supply("H200", share=0.5)
    repaired = repair(fewer, solution)
    assert repaired.feasible and repaired.solution.verify(fewer) == []
    assert repaired.dropped["llm"] == "capacity"
    assert repaired.solution.award_of("llm") is None
    # A withdrawn project's award goes with it.
    repaired = repair(instance.without_projects("fraud"), solution)
    assert repaired.dropped == {"fraud": "unknown project"}


def test_repair_reports_what_dropping_cannot_mend(tutorial):
    instance, solution = tutorial
    edited = instance.with_project("tax", mandatory=True)  # tax was not funded
    repaired = repair(edited, solution)
    assert not repaired.feasible
    assert any("tax" in v.message for v in repaired.violations)


@pytest.mark.parametrize("backend", BACKENDS)
def test_resolve_is_verified_and_at_least_as_good_as_its_repaired_hint(tutorial, backend):
    instance, solution = tutorial
    edited = instance.with_budget(opex=1280).with_area("health", weight=1.5)
    hint = repair(edited, solution)
    events: list[Improvement] = []
    answer = allocopt.resolve(solution, edited, time_limit=30, backend=backend,
                              on_improvement=events.append)
    assert answer.verify(edited) == []
    assert answer.objective >= hint.solution.objective - 1e-6
    assert answer.figures["resolve"]["hint_objective"] == pytest.approx(hint.solution.objective)
    # First the repaired allocation, last the answer; values in between only improve.
    assert events[0].solution is not None and not events[0].final
    assert events[0].objective == pytest.approx(hint.solution.objective)
    assert events[-1].final and events[-1].solution is answer
    values = [e.objective for e in events[:-1]]
    assert values == sorted(values)
    # The same optimum as a cold solve.
    cold = allocopt.solve(edited, backend=backend)
    assert answer.objective == pytest.approx(cold.objective, rel=1e-6)


def test_resolve_under_a_short_limit_on_korea_keeps_the_repaired_allocation_or_better():
    korea = allocopt.load_instance(KOREA)
    first = allocopt.solve(korea, options=allocopt.SolveOptions(time_limit_s=20))
    shocked = korea.with_supply("H200", share=0.3, from_period="2026-01").with_budget(
        opex=0.8 * korea.spec.policy.budget.opex)
    hint = repair(shocked, first)
    assert hint.feasible and hint.dropped  # the edit costs some awards
    answer = allocopt.resolve(first, shocked, time_limit=0.5)
    assert answer.status.has_solution
    assert answer.verify(shocked) == []
    assert answer.objective >= hint.solution.objective - 1e-6


def test_the_repaired_allocation_stands_when_the_solver_finds_nothing(tutorial):
    instance, solution = tutorial
    edited = instance.with_budget(opex=1280)
    hint = repair(edited, solution).solution
    nothing = Solution(status=Status.NO_SOLUTION_FOUND, objective=None, bound=1200.0,
                       gap=None, backend="highs", wall_s=1.0,
                       policy={"name": "weighted"})
    answer = _from_hint(hint, nothing)
    assert answer.status is Status.FEASIBLE
    assert answer.objective == hint.objective and answer.bound == 1200.0
    assert answer.gap == pytest.approx((1200.0 - hint.objective) / hint.objective)
    assert answer.verify(edited) == []


def test_resolve_is_a_library_name():
    from allocopt.solving.resolve import resolve

    assert allocopt.resolve is resolve
