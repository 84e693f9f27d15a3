"""Static consistency checks of `allocopt validate`: certain contradictions found before
any solve, each naming the ids involved (exit 2); `allocopt solve` keeps its own
diagnosis of the same files (exit 3, tests/test_infeasible.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from allocopt_cli.main import cli

from conftest import DATA, ROOT

TINY = (DATA / "tiny.yaml").read_text(encoding="utf-8")
INFEASIBLE = DATA / "infeasible"


def validate(path: Path) -> str:
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inst.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "message"), [
    ("area_min_shares", "areas: the minimum shares of the top-level areas energy (0.6), "
                        "climate (0.6) sum to 1.2, above 1"),
    ("capacity_per_site", "projects[0]: mandatory project P1 cannot be funded: no site can "
                          "ever hold any of its configurations by Q2 (c needs 150 H (at most "
                          "100) at S1"),
    ("elastic_minimum", "mandatory project E needs at least 200 performance-equivalent GPUs "
                        "of H at one site, but the most any site can ever hold by Q2 is 100"),
    ("lead_time", "c needs 100 H (at most 40) at S"),
    ("procurement_quota", "c needs 100 H (at most 90) at S"),
    ("mutual_exclusion", "mandatory projects A and B exclude each other"),
    ("opex_budget", "policy.budget.opex: budget opex 40.00 EUR cannot pay for the mandatory "
                    "projects' least operating cost, 50.00 (P1 50.00)"),
])
def test_infeasible_files_are_caught_before_solving(name: str, message: str):
    path = INFEASIBLE / f"{name}.yaml"
    output = validate(path)
    assert message in output and output.startswith(f"{path}: "), output
    assert "valid (" not in output


def test_min_shares_under_one_parent(tmp_path: Path):
    text = TINY.replace("  - {id: finance, weight: 1, max_share: 0.5}\n",
                        "  - {id: finance, weight: 1, max_share: 0.5}\n"
                        "  - {id: kids, parent: health, min_share: 0.5}\n"
                        "  - {id: elders, parent: health, min_share: 0.6}\n")
    path = write(tmp_path, text)
    output = validate(path)
    assert (f"{path}: areas[0]: the minimum shares of the areas under health — kids (0.5), "
            "elders (0.6) — sum to 1.1, above health's max_share 1") in output
    assert "(area health, line " in output


def test_dependency_on_an_excluded_project(tmp_path: Path):
    text = TINY.replace("depends_on: [P1]", "depends_on: [P1]\n    excludes: [P1]")
    output = validate(write(tmp_path, text))
    assert ("projects[2]: project P3 depends on P1 but the two exclude each other: P3 can "
            "never be funded (project P3, line ") in output


def test_dependency_cycle_is_named(tmp_path: Path):
    text = TINY.replace("    depends_on: []\n", "    depends_on: [P3]\n").replace(
        "depends_on: [P1]", "depends_on: [P2]")
    output = validate(write(tmp_path, text))
    assert "projects: dependency cycle: P2 -> P3 -> P2" in output


def test_window_shorter_than_duration_names_the_project(tmp_path: Path):
    text = TINY.replace("window: {duration: 1, earliest_start: Q2}",
                        "window: {duration: 4, earliest_start: Q2}")
    output = validate(write(tmp_path, text))
    assert ("projects[2].window.duration: runs 4 periods but the window holds only 3 "
            "(project P3, line ") in output


def test_total_budget_and_cofunding(tmp_path: Path):
    text = TINY.replace("    score: 1\n    window: {duration: 2}",
                        "    score: 1\n    mandatory: true\n    window: {duration: 2}")
    text = text.replace("budget: {capex: 1000}", "budget: {capex: 1000, total: 100}")
    output = validate(write(tmp_path, text))
    # P1's cheapest configuration: 128 A100 x 0.5 x 2 periods = 128.
    assert ("policy.budget.total: budget total 100.00 units cannot pay for the mandatory "
            "projects' least operating cost, 128.00 (P1 128.00)") in output


def test_mandatory_projects_that_fit_pass(tmp_path: Path):
    text = TINY.replace("    score: 1\n    window: {duration: 2}",
                        "    score: 1\n    mandatory: true\n    window: {duration: 2}")
    result = CliRunner().invoke(cli, ["validate", str(write(tmp_path, text))])
    assert result.exit_code == 0, result.output


def test_table_project_is_named_with_its_row(tmp_path: Path):
    (tmp_path / "t.csv").write_text("id,area,configurations,mandatory\nT1,health,H200:500,true\n")
    output = validate(write(tmp_path, TINY + "project_tables: [{csv: t.csv}]\n"))
    assert (f"{tmp_path / 't.csv'}: row 2: mandatory project T1 cannot be funded: no site can "
            "ever hold any of its configurations by Q4 (c1 needs 500 H200 (at most 96) at S1"
            ) in output
    assert output.rstrip().endswith("(project T1)")


def test_solve_still_diagnoses_them(tmp_path: Path):
    path = INFEASIBLE / "area_min_shares.yaml"
    result = CliRunner().invoke(cli, ["solve", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 3, result.output


@pytest.mark.parametrize("path", sorted((ROOT / "instances").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_bundled_instances_have_no_contradiction(path: Path):
    from allocopt import load_instance
    from allocopt.instance.feasibility import consistency_problems

    assert consistency_problems(load_instance(path)) == []
