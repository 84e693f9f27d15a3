"""The command line contract: files written, exit codes, verify from files alone."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocopt_cli.main import cli

from conftest import DATA


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def tamper_out(tmp_path: Path) -> Path:
    out = tmp_path / "r"
    result = run("solve", DATA / "tamper.yaml", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_rows(path: Path, data: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(data[0]) if data else ["project"])
        writer.writeheader()
        writer.writerows(data)


def test_solve_writes_the_contract_files(tamper_out: Path):
    summary = json.loads((tamper_out / "summary.json").read_text())
    for key in ("status", "objective", "bound", "gap", "backend", "wall_s", "instance_sha256",
                "allocopt_version"):
        assert key in summary
    assert summary["status"] == "optimal" and summary["objective"] == 80.0
    allocation = rows(tamper_out / "allocation.csv")
    assert [(r["project"], r["period"], r["gpus"]) for r in allocation] == [
        ("P1", "Q1", "40"), ("P2", "Q2", "40")]
    projects = {r["project"]: r for r in rows(tamper_out / "projects.csv")}
    assert projects["P2"]["funded"] == "true" and projects["P2"]["start"] == "Q2"
    assert run("verify", DATA / "tamper.yaml", tamper_out).exit_code == 0


def test_results_are_deterministic(tmp_path: Path):
    for name in ("a", "b"):
        assert run("solve", DATA / "tiny.yaml", "--out", tmp_path / name).exit_code == 0
    for f in ("allocation.csv", "projects.csv", "purchases.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def tamper(out: Path, project: str, **changes: str) -> None:
    allocation = rows(out / "allocation.csv")
    for r in allocation:
        if r["project"] == project:
            r.update(changes)
    write_rows(out / "allocation.csv", allocation)


def test_verify_catches_over_capacity(tamper_out: Path):
    tamper(tamper_out, "P1", gpus="210")
    result = run("verify", DATA / "tamper.yaml", tamper_out)
    assert result.exit_code == 1 and "capacity: H at S in Q1: 210 allocated, 200" in result.output


def test_verify_catches_over_power(tamper_out: Path):
    tamper(tamper_out, "P1", gpus="110")
    result = run("verify", DATA / "tamper.yaml", tamper_out)
    assert result.exit_code == 1 and "power: site S in Q1: 110 kW drawn" in result.output
    assert "capacity" not in result.output


def test_verify_catches_broken_dependency(tamper_out: Path):
    tamper(tamper_out, "P2", period="Q1")
    result = run("verify", DATA / "tamper.yaml", tamper_out)
    assert result.exit_code == 1 and "dependency: project P2 starts in Q1" in result.output


def test_verify_catches_missed_area_share(tamper_out: Path):
    write_rows(tamper_out / "allocation.csv",
               [r for r in rows(tamper_out / "allocation.csv") if r["project"] != "P2"])
    projects = rows(tamper_out / "projects.csv")
    for r in projects:
        if r["project"] == "P2":
            r.update(funded="false", configuration="", site="", start="", end="")
    write_rows(tamper_out / "projects.csv", projects)
    result = run("verify", DATA / "tamper.yaml", tamper_out)
    assert result.exit_code == 1 and "area_min_share: area justice" in result.output


def test_verify_catches_an_unsteady_allocation(tmp_path: Path):
    out = tmp_path / "r"
    assert run("solve", DATA / "tiny.yaml", "--out", out).exit_code == 0
    allocation = rows(out / "allocation.csv")
    p2 = [r for r in allocation if r["project"] == "P2"]
    p2[-1]["gpus"] = "1"
    write_rows(out / "allocation.csv", allocation)
    result = run("verify", DATA / "tiny.yaml", out)
    assert result.exit_code == 1 and "steady: project P2" in result.output


def test_infeasible_exits_3_and_names_the_conflict(tmp_path: Path):
    bad = tmp_path / "inf.yaml"
    text = (DATA / "tamper.yaml").read_text().replace(
        "{id: P1, area: health,", "{id: P1, area: health, mandatory: true,").replace(
        "{H: 40}}]}}\n  - {id: P2", "{H: 400}}]}}\n  - {id: P2")
    bad.write_text(text)
    out = tmp_path / "r"
    result = run("solve", bad, "--out", out)
    assert result.exit_code == 3, result.output
    assert "mandatory project P1" in result.output
    assert "capacity of H" in result.output or "power of site S" in result.output
    assert not out.exists()


def test_failed_solve_leaves_the_previous_results(tamper_out: Path, tmp_path: Path):
    before = (tamper_out / "allocation.csv").read_bytes()
    bad = tmp_path / "bad.yaml"
    bad.write_text("periods: []\n")
    assert run("solve", bad, "--out", tamper_out).exit_code == 2
    assert (tamper_out / "allocation.csv").read_bytes() == before
    assert sorted(p.name for p in tamper_out.parent.iterdir()) == ["bad.yaml", "r"]


def test_unknown_backend_is_bad_input():
    result = run("solve", DATA / "tiny.yaml", "--backend", "gurobi")
    assert result.exit_code == 2 and "--backend" in result.output


def test_export_lp_names_rules_and_columns(tmp_path: Path):
    out = tmp_path / "m.lp"
    assert run("export", DATA / "tamper.yaml", "--format", "lp", "--out", out).exit_code == 0
    text = out.read_text()
    assert "assign_P1_c_S_Q1" in text and "capacity_H_S_Q1" in text


def test_help_is_fast_and_imports_nothing_heavy():
    import subprocess
    import sys

    code = ("import sys; from allocopt_cli.main import cli; "
            "print(any(m in sys.modules for m in ('numpy', 'ortools', 'pydantic')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def test_memory_limit_needs_a_backend_that_can_honour_it():
    result = run("solve", DATA / "tiny.yaml", "--backend", "highs", "--memory-limit", "100")
    assert result.exit_code == 2 and "highs cannot limit its memory" in result.output


def test_memory_limit_stops_scip_with_its_best_allocation(tmp_path: Path):
    path = tmp_path / "hard.yaml"
    assert run("generate", "--projects", "400", "--gpus", "2000", "--seed", "3",
               "--out", path).exit_code == 0
    out = tmp_path / "r"
    result = run("solve", path, "--out", out, "--memory-limit", "40", "--time-limit", "300")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "feasible" and summary["options"]["memory_limit_mb"] == 40
    assert summary["wall_s"] < 200
    assert run("verify", path, out).exit_code == 0


def test_numerical_hazards_are_warned_about(tmp_path: Path):
    text = (DATA / "tamper.yaml").read_text().replace(
        "areas:", "policy: {budget: {opex: 5.0e+10}}\nareas:")
    path = tmp_path / "units.yaml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["solve", str(path), "--out",
                                      str(tmp_path / "r")])
    assert result.exit_code == 0
    assert "warning: huge right-hand side 5e+10" in result.stderr
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["warnings"] == ["huge right-hand side 5e+10 (a budget in base units?)"]


def test_warm_start_hint_reproduces_the_previous_allocation(tmp_path: Path):
    import allocopt
    from allocopt.model import build_program
    from allocopt.results import read_solution
    from allocopt.solving.starts.warmstart import hint_from_solution

    first = tmp_path / "a"
    assert run("solve", DATA / "tiny.yaml", "--out", first).exit_code == 0
    instance = allocopt.load_instance(DATA / "tiny.yaml")
    previous, problems = read_solution(instance, first)
    assert problems == []
    program = build_program(instance)
    hint = hint_from_solution(instance, program, previous)
    assert abs(float(program.columns.objective @ hint) - previous.objective) < 1e-6
    for backend in ("scip", "highs", "cbc"):
        again = tmp_path / backend
        result = run("solve", DATA / "tiny.yaml", "--out", again, "--warm-start", first,
                     "--backend", backend)
        assert result.exit_code == 0, result.output
        summary = json.loads((again / "summary.json").read_text())
        assert abs(summary["objective"] - previous.objective) < 1e-6
        assert summary["options"]["warm_start"] == str(first)
