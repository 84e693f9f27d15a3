"""Input caps on the running total: --max-projects counts across every table (reading
stops at the first project past it), a table named twice is refused, and a small file
that names one table a thousand times is refused quickly, in bounded memory, having
read the table once."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocopt.instance import loaders, tables
from allocopt_cli.main import cli

from conftest import DATA

TINY = (DATA / "tiny.yaml").read_text(encoding="utf-8")
NAME = "national-call-2026-proposals.csv"


def run(*args: object):
    result = CliRunner().invoke(cli, ["validate", *map(str, args)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def rows(prefix: str, n: int) -> str:
    return "id,area,configurations\n" + "".join(f"{prefix}{k},health,H200:8\n" for k in range(n))


def test_max_projects_counts_across_tables(tmp_path: Path):
    (tmp_path / "a.csv").write_text(rows("A", 4))
    (tmp_path / "b.csv").write_text(rows("B", 40))
    path = tmp_path / "inst.yaml"
    path.write_text(TINY + "project_tables: [a.csv, b.csv, missing.csv]\n")
    result = run(path, "--max-projects", 6)
    assert result.exit_code == 2
    assert (f"{tmp_path / 'b.csv'}: row 4: more than 6 projects (raise it with --max-projects); "
            "counted across all tables, 4 in earlier ones; the instance file adds 3"
            ) in result.output
    assert "missing.csv" not in result.output  # reading stopped: the next table is not opened
    assert len(result.output.splitlines()) == 1, result.output
    assert run(path.parent / "inst.yaml", "--max-projects", 100).exit_code == 2  # missing.csv
    path.write_text(TINY + "project_tables: [a.csv, b.csv]\n")
    assert run(path, "--max-projects", 47).exit_code == 0


def test_table_named_twice_is_refused(tmp_path: Path):
    (tmp_path / "t.csv").write_text(rows("T", 2))
    path = tmp_path / "inst.yaml"
    path.write_text(TINY + "project_tables:\n  - {csv: t.csv}\n  - {file: ./t.csv}\n")
    result = run(path)
    assert result.exit_code == 2
    assert (f"{path}: project_tables[1].file: table './t.csv' is named 2 times "
            "(project_tables[0], [1]); name each table once") in result.output


def test_same_workbook_two_sheets_is_not_twice(tmp_path: Path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "A"
    book.active.append(["id", "area", "configurations"])
    book.active.append(["X1", "health", "H200:8"])
    other = book.create_sheet("B")
    other.append(["id", "area", "configurations"])
    other.append(["X2", "health", "H200:8"])
    book.save(tmp_path / "p.xlsx")
    path = tmp_path / "inst.yaml"
    path.write_text(TINY + "project_tables: [{file: p.xlsx, sheet: A}, {file: p.xlsx, "
                           "sheet: B}]\n")
    result = run(path)
    assert result.exit_code == 0 and "(5 projects" in result.output, result.output


def test_one_table_named_a_thousand_times_is_refused_quickly(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch):
    (tmp_path / NAME).write_text(rows("T", 2_000))
    path = tmp_path / "inst.yaml"
    path.write_text(TINY + "project_tables:\n" + f"  - {{csv: {NAME}}}\n" * 1_000)
    assert 40_000 <= path.stat().st_size <= 50_000
    run(DATA / "tiny.yaml")  # imports out of the timing
    reads = []
    original = tables.read_project_table

    def counted(*args, **kwargs):
        reads.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(loaders, "read_project_table", counted)
    tracemalloc.start()
    started = time.perf_counter()
    result = run(path)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines == [f"{path}: project_tables[1].csv: table {NAME!r} is named 1000 times "
                     "(project_tables[0], [1], [2], [3], [4], [5], [6], [7], [8], [9], [10], "
                     "[11], …); name each table once, or its projects would count more than "
                     f"once (line {len(TINY.splitlines()) + 3})"], result.output
    assert len(reads) == 1
    assert seconds < 10, f"took {seconds:.1f} s"
    assert peak < 200 * 1024**2, f"peak {peak / 1024**2:.0f} MiB"


def test_xlsx_that_expands_past_the_cap_is_refused(tmp_path: Path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "area", "configurations", "title"])
    for k in range(2_000):
        sheet.append([f"X{k}", "health", "H200:8", "x" * 200])
    book.save(tmp_path / "p.xlsx")
    path = tmp_path / "inst.yaml"
    path.write_text(TINY + "project_tables: [p.xlsx]\n")
    size = (tmp_path / "p.xlsx").stat().st_size
    result = run(path, "--max-file-bytes", size * 2)
    assert result.exit_code == 2
    assert f"{path}: project_tables[0].file: workbook expands to " in result.output
    assert f"over the limit of {size * 2} (raise it with --max-file-bytes)" in result.output


def test_blank_rows_past_the_cap_are_refused(tmp_path: Path):
    (tmp_path / "t.csv").write_text(rows("T", 1) + ",,\n" * (tables.MAX_BLANK_ROWS + 1))
    path = tmp_path / "inst.yaml"
    path.write_text(TINY + "project_tables: [t.csv]\n")
    result = run(path)
    assert result.exit_code == 2
    assert f"more than {tables.MAX_BLANK_ROWS} blank rows; delete them" in result.output


def test_a_yaml_file_past_the_yaml_cap_is_refused_before_parsing(tmp_path: Path):
    """YAML parses slowly (about 0.5 MiB/s), so it has its own, smaller cap; JSON of the
    same size is read."""
    padding = "# " + "x" * 1000 + "\n"
    path = tmp_path / "big.yaml"
    path.write_text(TINY + padding * 120, encoding="utf-8")  # ~120 KB
    result = run(path, "--max-yaml-bytes", 100_000)
    assert result.exit_code == 2
    assert "over the YAML limit of 100000" in result.output
    assert "write the instance as JSON" in result.output and "--max-yaml-bytes" in result.output
    assert run(path, "--max-yaml-bytes", 200_000).exit_code == 0


def test_too_many_inline_projects_are_refused_before_validation(tmp_path: Path):
    import json

    import yaml

    data = yaml.safe_load(TINY)
    data["projects"] = [dict(data["projects"][0], id=f"P{k}") for k in range(50)]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run(path, "--max-projects", 10)
    assert result.exit_code == 2
    assert "projects: 50 projects, over the limit of 10 (raise it with --max-projects)" in \
        result.output
