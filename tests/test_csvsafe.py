"""CSV injection: text cells that a spreadsheet would run are written with a leading
quote, and every reader of a results folder gives the original text back."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from allocopt.csvsafe import neutralise, restore
from allocopt.instance import load_instance
from allocopt.results import read_solution
from allocopt_cli.main import cli

from conftest import DATA

P1, P2, P3 = '=HYPERLINK("x")', "-P2", "@x"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-P1", "@SUM(A1)", "\tx", "\rx", "'q", "''",
                                  "P1", "", "a=b", "1.5"])
def test_neutralise_is_undone_by_restore(text: str):
    cell = neutralise(text)
    assert restore(cell) == text
    assert cell == (text if text[:1] not in ("=", "+", "-", "@", "\t", "\r", "'") else "'" + text)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, Path]:
    """tiny.yaml with ids, names and a title a spreadsheet would take for formulas,
    solved into a results folder."""
    data = yaml.safe_load((DATA / "tiny.yaml").read_text())
    data["areas"][0]["id"] = "-health"
    p1, p2, p3 = data["projects"]
    p1.update(id=P1, area="-health", title="+1 and more", owner="'quoted")
    p1["request"]["configurations"][0]["id"] = "=big"
    p2.update(id=P2, title="\tindented")
    p3.update(id=P3, area="-health", depends_on=[P1])
    data["sites"][0]["id"] = "@site"
    for row in data["supply"]:
        row["site"] = "@site"
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out = folder / "out"
    result = CliRunner().invoke(cli, ["solve", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return path, out


def raw_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_text_cells_are_neutralised_and_numbers_are_not(hostile):
    _, out = hostile
    projects = {r["project"]: r for r in raw_rows(out / "projects.csv")}
    assert set(projects) == {"'" + P1, "'" + P2, "'" + P3}
    p1 = projects["'" + P1]
    assert p1["area"] == "'-health" and p1["title"] == "'+1 and more"
    assert p1["owner"] == "''quoted" and p1["configuration"] == "'=big"
    assert p1["site"] == "'@site"
    assert projects["'" + P2]["title"] == "'\tindented"
    for row in raw_rows(out / "allocation.csv"):
        assert row["project"].startswith("'") and row["site"] == "'@site"
        assert float(row["gpus"]) > 0  # numbers as they are
    for path in out.glob("*.csv"):
        for row in csv.reader(path.open(newline="", encoding="utf-8")):
            assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_numbers_keep_their_sign():
    from allocopt.results import csv_text

    text = csv_text(["name", "value"], [["-a", "-3.5"]], numeric={"value"})
    assert text == "name,value\n'-a,-3.5\n"


def test_verify_and_read_solution_give_the_original_ids(hostile):
    path, out = hostile
    result = CliRunner().invoke(cli, ["verify", str(path), str(out)])
    assert result.exit_code == 0, result.output
    solution, problems = read_solution(load_instance(path), out)
    assert problems == []
    assert {a.project for a in solution.awards} <= {P1, P2, P3}
    assert {a.site for a in solution.awards} == {"@site"}
    assert any(a.project == P1 and a.configuration == "=big" for a in solution.awards)


def test_report_reads_the_original_text(hostile):
    pytest.importorskip("openpyxl")
    from allocopt.report import read_folder

    _, out = hostile
    folder = read_folder(out)
    assert {r["project"] for r in folder.projects} == {P1, P2, P3}
    assert {r["owner"] for r in folder.projects if r["project"] == P1} == {"'quoted"}
