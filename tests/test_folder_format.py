"""The results-folder format is defined once, in allocopt.folder: every writer and
reader uses its names, columns, CSV text and readers, and no other module spells them."""

from __future__ import annotations

import ast
from pathlib import Path

import allocopt.csvsafe
import allocopt.folder as fmt
import allocopt.instance.tables
import allocopt.report.folder
import allocopt.results
import allocopt.sensitivity.output

ROOT = Path(__file__).resolve().parents[1]
FORMAT = ROOT / "allocopt" / "folder.py"
# Planners' input tables (instance/tables.py) are CSV too, but not a results folder.
OTHER_CSV = {ROOT / "allocopt" / "instance" / "tables.py"}
FILE_NAMES = {fmt.SUMMARY, fmt.ALLOCATION, fmt.PROJECTS, fmt.PURCHASES, fmt.SCENARIOS,
              fmt.SHADOW_PRICES, fmt.REDUCED_COSTS, *fmt.INSTANCE_NAMES}


def sources():
    for folder in ("allocopt", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_other_modules_use_the_format_objects():
    for name in ("ALLOCATION_COLUMNS", "PROJECT_COLUMNS", "PURCHASE_COLUMNS",
                 "SCENARIO_COLUMNS", "NUMERIC_COLUMNS", "csv_text", "write_folder",
                 "write_text_atomic"):
        assert getattr(allocopt.results, name) is getattr(fmt, name), name
    for name in ("neutralise", "restore", "restore_row", "QUOTE", "TRIGGERS"):
        assert getattr(allocopt.csvsafe, name) is getattr(fmt, name), name
    for name in ("number", "write_atomic", "SHADOW_PRICES", "INSTANCE_NAMES"):
        assert getattr(allocopt.report.folder, name) is getattr(fmt, name), name
    assert allocopt.sensitivity.output.SHADOW_COLUMNS is fmt.SHADOW_COLUMNS
    assert allocopt.instance.tables.OUTPUT_COLUMNS is fmt.PROJECT_COLUMNS


def test_report_requires_a_subset_of_the_written_columns():
    written = {fmt.PROJECTS: fmt.PROJECT_COLUMNS, fmt.ALLOCATION: fmt.ALLOCATION_COLUMNS,
               fmt.PURCHASES: fmt.PURCHASE_COLUMNS, fmt.SHADOW_PRICES: fmt.SHADOW_COLUMNS}
    for name, required in fmt.REQUIRED_COLUMNS.items():
        assert [c for c in written[name] if c in required] == list(required)
    assert fmt.REQUIRED_COLUMNS[fmt.ALLOCATION] == fmt.ALLOCATION_COLUMNS


def test_file_names_are_spelled_only_in_the_format_module():
    found = []
    for path, tree in sources():
        if path == FORMAT:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    node.value in FILE_NAMES or node.value.startswith("scenario-")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert found == []


def test_csv_is_read_and_written_only_in_the_format_module():
    found = []
    for path, tree in sources():
        if path == FORMAT or path in OTHER_CSV:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "csv"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: csv.{node.attr}")
            if (isinstance(node, ast.Import | ast.ImportFrom) and any(
                    a.name == "csv" for a in node.names)) or (
                    isinstance(node, ast.ImportFrom) and node.module == "csv"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports csv")
    assert found == []


def test_write_then_read_gives_the_text_back(tmp_path):
    text = fmt.csv_text(("project", "gpus"), [("=cmd", "-3"), ("'q", "2")])
    out = fmt.write_folder(tmp_path / "out", {fmt.ALLOCATION: text})
    rows = fmt.read_rows(out / fmt.ALLOCATION, ("project", "gpus"))
    assert rows == [{"project": "=cmd", "gpus": "-3"}, {"project": "'q", "gpus": "2"}]
