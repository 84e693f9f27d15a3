"""What the CLI composes comes from the library: re-checking a written results folder,
explaining infeasibility, running a policy whole or decomposed."""

from __future__ import annotations

from pathlib import Path

import allocopt
from allocopt.backends import Status
from allocopt.diagnose import diagnose
from allocopt.folder import ALLOCATION, PROJECTS, csv_text, read_rows
from allocopt.results import write_results
from allocopt.solving.pipeline import run_policy, solve

from conftest import DATA


def test_verify_folder_holds_for_a_written_solve_and_names_tampering(tmp_path: Path):
    instance = allocopt.load_instance(DATA / "tiny.yaml")
    solution = solve(instance, backend="highs")
    out = write_results(tmp_path / "r", instance, solution, {})
    checked = allocopt.verify_folder(instance, out)
    assert checked.ok and checked.problems == []
    assert len(checked.solution.awards) == len(solution.awards)
    # A funded project dropped from projects.csv: allocation.csv disagrees with it.
    rows = read_rows(out / PROJECTS)
    funded = next(r for r in rows if r["funded"] == "true")
    funded["funded"] = "false"
    (out / PROJECTS).write_text(csv_text(rows[0].keys(), [r.values() for r in rows]))
    checked = allocopt.verify_folder(instance, out)
    assert not checked.ok
    assert any(funded["project"] in p for p in checked.problems)
    assert read_rows(out / ALLOCATION)


def test_explain_infeasible_gives_the_conflicting_rules():
    instance = allocopt.load_instance(DATA / "infeasible" / "site_power.yaml")
    solution = solve(instance, backend="highs")
    assert solution.status is Status.INFEASIBLE
    why = allocopt.explain_infeasible(instance, solution)
    assert not why.robust and why.scenarios == {}
    assert why.conflicts == diagnose(instance) != []


def test_run_policy_applies_the_policy_and_solves():
    instance = allocopt.load_instance(DATA / "tiny.yaml")
    ran = run_policy(instance, "maxmin", backend="highs")
    direct = solve(instance.with_objective("maxmin"), backend="highs")
    assert ran.policy.get("name") == direct.policy.get("name")
    assert abs(ran.objective - direct.objective) < 1e-6
    assert run_policy(instance, backend="highs").objective == solve(
        instance, backend="highs").objective


def test_explain_infeasible_names_the_robust_scenarios_that_fail_alone(tmp_path: Path):
    import yaml

    doc = yaml.safe_load((DATA.parent.parent / "instances" / "tutorial.yaml").read_text())
    # South's mandatory weather model cannot run if south's GPUs arrive a quarter late.
    doc["scenarios"] = [{"id": "calm", "probability": 0.8},
                        {"id": "south-late", "probability": 0.2,
                         "delays": [{"site": "south", "periods": 1}]}]
    doc.setdefault("policy", {})["objective"] = "robust"
    path = tmp_path / "robust.yaml"
    path.write_text(yaml.safe_dump(doc))
    instance = allocopt.load_instance(path)
    solution = solve(instance, backend="highs")
    assert solution.status is Status.INFEASIBLE
    assert solution.infeasible_scenarios == ["south-late"]
    why = allocopt.explain_infeasible(instance, solution)
    assert why.robust and why.conflicts == [] and list(why.scenarios) == ["south-late"]
    assert why.scenarios["south-late"]
