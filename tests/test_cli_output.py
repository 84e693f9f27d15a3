"""What `allocopt solve` prints: figures without float noise, sub-areas under their
parent and counted once in the total, and the next command to run."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from allocopt_cli.figures import figure, figures_apart, percent
from allocopt_cli.main import cli

from conftest import BASE, DATA, project


def solve(*args) -> str:
    result = CliRunner().invoke(cli, ["solve", *(str(a) for a in args)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("x,text", [(5077.799999999999, "5,077.8"), (5078.0, "5,078"),
                                    (0.1 + 0.2, "0.3"), (-0.0, "0"), (1e-5, "0.00001"),
                                    (1234567.891, "1,234,567.891"), (None, "n/a"),
                                    (1e29, "n/a"), (float("inf"), "n/a"),
                                    (float("nan"), "n/a")])
def test_figures_have_no_float_noise(x, text):
    assert figure(x) == text


def test_gaps_are_honest():
    assert percent(2.2429693242260385e-05) == "0.00224 %"
    assert percent(0.0) == "0 %" and percent(None) == "n/a" and percent(1e29) == "n/a"
    # An objective and a bound that differ are never printed alike.
    a, b = figures_apart(5077.8, 5077.8000001)
    assert a != b and b.startswith("5,077.8000001")
    assert figures_apart(2.0, 2.0) == ("2", "2")


def test_sub_areas_are_indented_and_counted_once(tmp_path: Path):
    data = copy.deepcopy(BASE)
    data["areas"] = [{"id": "health", "weight": 1.0},
                     {"id": "mental", "weight": 1.0, "parent": "health"},
                     {"id": "justice", "weight": 1.0}]
    data["projects"] = [project("P1", area="mental"), project("P2", area="health", score=0.5),
                        project("P3", area="justice", gpus={"A": 10})]
    path = tmp_path / "areas.yaml"
    path.write_text(yaml.safe_dump(data))
    lines = solve(path, "--out", tmp_path / "r").splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("by area"))
    health, mental, justice, total = lines[start + 1:start + 5]
    assert re.match(r"^  health\s+\d+/2 ", health), health
    assert re.match(r"^    mental\s+\d+/1 ", mental), mental
    assert re.match(r"^  justice\s+\d+/1 ", justice), justice
    # The total adds up the top-level areas only: 3 projects, 100 %, not 4 and more.
    funded = int(health.split()[1].split("/")[0]) + int(justice.split()[1].split("/")[0])
    assert total.split()[:2] == ["total", f"{funded}/3"] and total.endswith("100.00 %")


def test_no_float_noise_anywhere_in_the_summary(tmp_path: Path):
    output = solve(DATA / "tiny.yaml", "--out", tmp_path / "r")
    assert "objective 692.72, bound 692.72, gap 0 %" in output
    assert not re.search(r"\d\.\d{11,}", output), output
    assert not re.search(r"\bnan\b|\de[+-]\d", output), output


def test_verify_prints_the_objective_without_float_noise(tmp_path: Path):
    out = tmp_path / "r"
    solve(DATA / "tiny.yaml", "--out", out)
    result = CliRunner().invoke(cli, ["verify", str(DATA / "tiny.yaml"), str(out)])
    assert result.exit_code == 0, result.output
    assert "objective 692.72)" in result.output


def test_solve_says_how_to_verify_and_report(tmp_path: Path):
    out = tmp_path / "r"
    last = solve(DATA / "tiny.yaml", "--out", out).splitlines()[-1]
    assert last == (f"next: allocopt verify {DATA / 'tiny.yaml'} {out}   then   "
                    f"allocopt report {out} --instance {DATA / 'tiny.yaml'}")


def test_solve_with_report_says_where_the_report_is(tmp_path: Path):
    pytest.importorskip("openpyxl")
    pytest.importorskip("matplotlib")
    out = tmp_path / "r"
    last = solve(DATA / "tiny.yaml", "--out", out, "--report").splitlines()[-1]
    assert last == f"next: open {out / 'report.html'} in a browser"
    assert (out / "report.html").exists()
