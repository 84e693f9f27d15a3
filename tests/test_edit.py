"""The edit API: every named edit returns a new, validated Instance, leaves the original
alone, and refuses an impossible edit with the field-path error a file would get."""

from __future__ import annotations

import pytest

import allocopt
from allocopt.errors import InstanceError, ParameterError
from allocopt.instance import edit
from allocopt.sensitivity.params import Change, apply_changes

from conftest import ROOT, make, project

TUTORIAL = ROOT / "instances" / "tutorial.yaml"
KOREA = ROOT / "instances" / "korea-2025.yaml"


@pytest.fixture(scope="module")
def tutorial() -> allocopt.Instance:
    return allocopt.load_instance(TUTORIAL)


def messages(exc: pytest.ExceptionInfo) -> list[str]:
    return [f"{p.path}: {p.message}" for p in exc.value.problems]


def test_an_edit_is_a_new_checked_instance_and_the_original_is_unchanged(tutorial):
    before = tutorial.spec.model_dump_json()
    cheaper = tutorial.with_budget(opex=1500)
    assert cheaper.spec.policy.budget.opex == 1500
    assert tutorial.spec.model_dump_json() == before
    assert cheaper.sha256 != tutorial.sha256
    assert cheaper.source == tutorial.source
    # None removes a limit; arguments left out keep theirs.
    unlimited = tutorial.with_budget(capex=None)
    assert unlimited.spec.policy.budget.capex is None
    assert unlimited.spec.policy.budget.opex == tutorial.spec.policy.budget.opex


def test_with_supply_share_blocks_deliveries_from_a_period_rounding_losses_down():
    instance = make([project("p")], periods=["T1", "T2", "T3"], supply=[
        {"type": "H", "site": "S", "period": "T1", "units": 10},
        {"type": "H", "site": "S", "period": "T2", "units": 7},
        {"type": "H", "site": "S", "period": "T3", "units": 5},
        {"type": "A", "site": "S", "period": "T2", "units": 10}])
    shocked = instance.with_supply("H", share=0.6, from_period="T2")
    assert [d.units for d in shocked.spec.supply] == [10, 5, 3, 10]  # 7 - ⌊2.8⌋, 5 - ⌊2⌋
    assert shocked.supply_cumulative[0, 0].tolist() == [10, 15, 18]
    assert [d.units for d in instance.with_supply("A", share=0).spec.supply] == [10, 7, 5, 0]


def test_with_supply_units_sets_the_total_or_adds_a_delivery(tutorial):
    halved = tutorial.with_supply("H200", units=16)
    assert [d.units for d in halved.spec.supply if d.type == "H200"] == [16]
    added = tutorial.with_supply("H200", units=8, from_period="2026-Q3", site="north")
    new = added.spec.supply[-1]
    assert (new.type, new.site, new.period, new.units) == ("H200", "north", "2026-Q3", 8)
    korea = allocopt.load_instance(KOREA)
    kind = korea.spec.supply[0].type
    total = sum(d.units for d in korea.spec.supply if d.type == kind)
    scaled = korea.with_supply(kind, units=total // 2)
    assert sum(d.units for d in scaled.spec.supply if d.type == kind) == total // 2
    assert len(scaled.projects) == len(korea.projects)  # projects from its CSV table kept


def test_with_supply_refuses_negative_units_unknown_names_and_bad_calls(tutorial):
    with pytest.raises(InstanceError) as exc:
        tutorial.with_supply("H200", units=-3)
    assert messages(exc) == ["supply[0].units: Input should be greater than or equal to 0"]
    with pytest.raises(InstanceError) as exc:
        tutorial.with_supply("H20", share=0.5)
    assert "unknown GPU type 'H20'; did you mean 'H200'?" in messages(exc)[0]
    with pytest.raises(InstanceError, match="unknown site 'nort'; did you mean 'north'"):
        tutorial.with_supply("H200", share=0.5, site="nort")
    with pytest.raises(InstanceError, match="outside the horizon"):
        tutorial.with_supply("H200", share=0.5, from_period="2027-Q1")
    with pytest.raises(InstanceError, match="no deliveries of H200 from 2026-Q2"):
        tutorial.with_supply("H200", share=0.5, from_period="2026-Q2")
    with pytest.raises(ParameterError, match="exactly one of share= or units="):
        tutorial.with_supply("H200")
    with pytest.raises(ParameterError, match="share must be"):
        tutorial.with_supply("H200", share=-0.1)


def test_with_area_and_its_share_rule(tutorial):
    heavier = tutorial.with_area("health", weight=3.0, max_share=0.9)
    area = heavier.spec.areas[heavier.area_index["health"]]
    assert (area.weight, area.max_share) == (3.0, 0.9)
    assert heavier.area_weight["health"] == 3.0
    with pytest.raises(InstanceError) as exc:
        tutorial.with_area("industry", min_share=0.5)  # its max_share is 0.15
    assert messages(exc) == ["areas[3]: min_share must be <= max_share (area industry)"]
    with pytest.raises(InstanceError) as exc:
        tutorial.with_area("helth", weight=2.0)
    assert messages(exc)[0].startswith("areas: unknown area 'helth'; did you mean 'health'?")
    with pytest.raises(InstanceError, match=r"areas\[0\].weight: Input should be greater"):
        tutorial.with_area("health", weight=-1.0)


def test_with_project_and_without_projects(tutorial):
    edited = tutorial.with_project("tax", score=5.0, mandatory=True)
    tax = edited.projects[edited.project_index["tax"]]
    assert (tax.score, tax.mandatory) == (5.0, True)
    with pytest.raises(InstanceError, match="unknown project 'lm'; did you mean 'llm'"):
        tutorial.with_project("lm", score=2.0)
    with pytest.raises(InstanceError, match=r"projects\[\d+\].score: Input should be"):
        tutorial.with_project("tax", score=-1.0)

    fewer = tutorial.without_projects("court-search", "tax")
    assert [p.id for p in fewer.projects] == [p.id for p in tutorial.projects
                                              if p.id not in ("court-search", "tax")]
    # court-transcribe excluded court-search: the exclusion went with it.
    transcribe = fewer.projects[fewer.project_index["court-transcribe"]]
    assert "court-search" not in transcribe.excludes
    assert len(fewer.origins) == len(fewer.projects)
    with pytest.raises(InstanceError, match="triage-deploy depends on withdrawn project "
                                            "triage-train"):
        tutorial.without_projects("triage-train")
    with pytest.raises(InstanceError, match="unknown project 'taxx'; did you mean 'tax'"):
        tutorial.without_projects("taxx")


def test_with_changes_takes_the_sensitivity_paths_and_agrees_with_apply_changes(tutorial):
    changes = {"budget.opex": 1600.0, "projects.tax.score": 3.0, "supply.H200": 16}
    edited = tutorial.with_changes(changes)
    assert edited.spec.policy.budget.opex == 1600.0
    assert edited.projects[edited.project_index["tax"]].score == 3.0
    assert sum(d.units for d in edited.spec.supply if d.type == "H200") == 16
    same = apply_changes(tutorial, [Change(p, v) for p, v in changes.items()])
    assert same.spec == edited.spec
    assert edit.with_changes(tutorial, [Change("budget.opex", 1600.0)]).spec.policy.budget.opex \
        == 1600.0
    with pytest.raises(ParameterError, match="no project 'taxx'; did you mean 'tax'"):
        tutorial.with_changes({"projects.taxx.score": 1.0})
    with pytest.raises(InstanceError, match=r"areas\[3\]: min_share must be <= max_share"):
        tutorial.with_changes({"areas.industry.min_share": 0.5})
    # The sensitivity module keeps its own error type for the same problem.
    with pytest.raises(ParameterError, match="min_share must be <= max_share"):
        apply_changes(tutorial, [Change("areas.industry.min_share", 0.5)])


def test_an_edited_instance_solves_and_verifies(tutorial):
    edited = tutorial.with_supply("H200", share=0.5).with_budget(opex=1280)
    solution = allocopt.solve(edited)
    assert solution.verify(edited) == []
    # llm needed all 32 H200: with 16 it cannot run.
    assert solution.award_of("llm") is None
