"""Project tables as planners keep them: XLSX workbooks (the first sheet or a named one),
blank rows, unknown columns (refused with the nearest known name, or kept and carried
through to projects.csv), and cells written the way a spreadsheet shows numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocopt import load_instance
from allocopt.instance.tables import OUTPUT_COLUMNS
from allocopt.results import PROJECT_COLUMNS
from allocopt_cli.main import cli

from conftest import DATA

TINY = (DATA / "tiny.yaml").read_text(encoding="utf-8")
HEADER = ["id", "area", "configurations", "score"]


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)


def instance(folder: Path, tables: str, extra: str = "") -> Path:
    path = folder / "inst.yaml"
    path.write_text(f"{TINY}{extra}project_tables: {tables}\n", encoding="utf-8")
    return path


def validate(path: Path):
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_xlsx_first_sheet_and_plain_path(tmp_path: Path):
    write_xlsx(tmp_path / "p.xlsx", {"Proposals": [HEADER, ["X1", "health", "H200:8", 0.5],
                                                   [None, None, None, None],
                                                   ["X2", "finance", "A100:16", 2]]})
    result = validate(instance(tmp_path, "[p.xlsx]"))
    assert result.exit_code == 0, result.output
    loaded = load_instance(tmp_path / "inst.yaml")
    x1, x2 = loaded.projects[3:]
    assert (x1.id, x1.score, x2.id, x2.area) == ("X1", 0.5, "X2", "finance")
    assert x2.request.configurations[0].gpus == {"A100": 16}


def test_xlsx_named_sheet_and_unknown_sheet(tmp_path: Path):
    write_xlsx(tmp_path / "p.xlsx", {"Notes": [["nothing here"]],
                                     "Proposals": [HEADER, ["X1", "health", "H200:8", 1]]})
    ok = validate(instance(tmp_path, "[{file: p.xlsx, sheet: Proposals}]"))
    assert ok.exit_code == 0 and "(4 projects" in ok.output, ok.output
    bad = validate(instance(tmp_path, "[{file: p.xlsx, sheet: Proposal}]"))
    assert bad.exit_code == 2
    assert ("project_tables[0].file: no sheet 'Proposal'; did you mean 'Proposals'? "
            "(sheets: Notes, Proposals)") in bad.output


def test_xlsx_rows_are_numbered_as_in_the_sheet(tmp_path: Path):
    write_xlsx(tmp_path / "p.xlsx", {"S": [[None], HEADER, ["X1", "health", "H200:8", 1],
                                           [], ["X2", "health", "H200:eight", 1]]})
    result = validate(instance(tmp_path, "[{file: p.xlsx}]"))
    assert result.exit_code == 2
    assert (f"{tmp_path / 'p.xlsx'}: row 5: configurations: 'eight' for H200 is not a whole "
            "number (project X2)") in result.output


def test_damaged_workbook_is_bad_input(tmp_path: Path):
    (tmp_path / "p.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    result = validate(instance(tmp_path, "[p.xlsx]"))
    assert result.exit_code == 2
    assert "project_tables[0].file: not a readable XLSX workbook" in result.output


def test_sheet_is_for_workbooks_only(tmp_path: Path):
    (tmp_path / "t.csv").write_text("id,area,configurations\nX1,health,H200:8\n")
    result = validate(instance(tmp_path, "[{csv: t.csv, sheet: S}]"))
    assert result.exit_code == 2 and "'sheet' applies to .xlsx tables only" in result.output


def test_blank_rows_are_skipped_in_csv(tmp_path: Path):
    (tmp_path / "t.csv").write_text("id,area,configurations\n\nX1,health,H200:8\n,,\n"
                                    "  ,\t,\nX2,health,H200:8\n\n")
    result = validate(instance(tmp_path, "[{csv: t.csv}]"))
    assert result.exit_code == 0 and "(5 projects" in result.output, result.output


def test_unknown_column_suggests_the_nearest_and_lists_the_known(tmp_path: Path):
    (tmp_path / "t.csv").write_text("id,area,configurations,scroe\nX1,health,H200:8,1\n")
    result = validate(instance(tmp_path, "[{csv: t.csv}]"))
    assert result.exit_code == 2
    line = f"{tmp_path / 't.csv'}: header: unknown column 'scroe'; did you mean 'score'? (known: "
    assert line in result.output
    assert "late_start_penalty" in result.output and "extra_columns: keep" in result.output


@pytest.mark.parametrize("where", ["instance", "table"])
def test_extra_columns_kept_reach_projects_csv(tmp_path: Path, where: str):
    (tmp_path / "t.csv").write_text("id,area,configurations,budget_line,reviewer\n"
                                    "X1,health,A100:8,B-7,\"Kim, J.\"\n")
    if where == "instance":
        path = instance(tmp_path, "[{csv: t.csv}]", extra="extra_columns: keep\n")
    else:
        path = instance(tmp_path, "[{csv: t.csv, extra_columns: keep}]")
    assert validate(path).exit_code == 0
    loaded = load_instance(path)
    assert loaded.projects[-1].extra == {"budget_line": "B-7", "reviewer": "Kim, J."}
    assert loaded.projects[0].extra == {}
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["solve", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out / "projects.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[-2:] == ["budget_line", "reviewer"]
    assert list(rows[0])[: len(PROJECT_COLUMNS)] == list(PROJECT_COLUMNS)
    x1 = next(r for r in rows if r["project"] == "X1")
    assert (x1["budget_line"], x1["reviewer"]) == ("B-7", "Kim, J.")
    assert next(r for r in rows if r["project"] == "P1")["reviewer"] == ""
    assert CliRunner().invoke(cli, ["verify", str(path), str(out)]).exit_code == 0


def test_extra_column_may_not_shadow_an_output_column(tmp_path: Path):
    assert OUTPUT_COLUMNS == PROJECT_COLUMNS
    (tmp_path / "t.csv").write_text("id,area,configurations,funded\nX1,health,H200:8,yes\n")
    result = validate(instance(tmp_path, "[{csv: t.csv, extra_columns: keep}]"))
    assert result.exit_code == 2
    assert "extra column 'funded' has the name of a projects.csv column" in result.output


def test_instance_without_extras_keeps_its_fingerprint():
    # tiny.yaml's fingerprint from before tables could carry extra columns.
    assert load_instance(DATA / "tiny.yaml").sha256 == (
        "a8d8d921e56c562841c53f7aef8639adc6d9b206dfbb78114e74566cb7fc6a18")
    spec = load_instance(DATA / "tiny.yaml").spec
    assert "extra" not in spec.model_dump()["projects"][0]
    assert "extra_columns" not in spec.model_dump()


@pytest.mark.parametrize(("cell", "hint"), [
    ("score,1,024", "score: '1,024' is not a number; write 1024 (project X1)"),
    ("score,30%", "score: '30%' is not a number; write 0.3 (a fraction, not a percentage)"),
    ("score,\"0,5\"", "score: '0,5' is not a number; write 0.5"),
    ("max_units,\"1,024\"", "max_units: '1,024' is not a number; write 1024"),
])
def test_spreadsheet_numbers_get_a_hint(tmp_path: Path, cell: str, hint: str):
    column, value = cell.split(",", 1)
    if column == "score" and value == "1,024":
        value = '"1,024"'
    (tmp_path / "t.csv").write_text(f"id,area,min_gpus,max_gpus,types,{column}\n"
                                    f"X1,health,1,8,H200,{value}\n")
    result = validate(instance(tmp_path, "[{csv: t.csv}]"))
    assert result.exit_code == 2
    assert f"{tmp_path / 't.csv'}: row 2: {hint}" in result.output


def test_xlsx_text_cells_get_the_same_hints(tmp_path: Path):
    write_xlsx(tmp_path / "p.xlsx", {"S": [HEADER, ["X1", "health", "H200:1,024", "30%"]]})
    result = validate(instance(tmp_path, "[p.xlsx]"))
    assert result.exit_code == 2
    assert "row 2: score: '30%' is not a number; write 0.3" in result.output
