"""Project tables: CSV files and XLSX sheets of projects, one row each, as planners
keep them.

A table is read as a header and rows of text cells, whatever its format; blank rows
are skipped; unknown columns are an error (with the nearest known name) unless the
table keeps them as `Project.extra`. Every problem names the table, the row and the
project's id.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from allocopt.errors import InstanceError, Problem
from allocopt.folder import PROJECT_COLUMNS
from allocopt.instance.hints import did_you_mean, known_list, number_hint, printable
from allocopt.instance.schema import Project

CSV_COLUMNS = (
    "id", "title", "owner", "partner", "area", "score", "earliest_start", "latest_end",
    "duration", "mandatory", "depends_on", "excludes", "late_start_penalty",
    "configurations", "min_gpus", "max_gpus", "types", "efficiency", "max_units", "tier",
)
NUMERIC_COLUMNS = ("score", "duration", "late_start_penalty", "min_gpus", "max_gpus",
                   "max_units", "tier")
# projects.csv's own columns: an extra column of the same name would make the written
# file ambiguous.
OUTPUT_COLUMNS = PROJECT_COLUMNS
# A sheet formatted down to row 1,048,576 reads as a million blank rows: past this many
# the table is refused rather than walked.
MAX_BLANK_ROWS = 100_000
XLSX_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Origin:
    """Where a project was written, so that problems found later can point at it:
    `file`, `path` (a field path or 'row N'), the project's id and the YAML line."""

    file: str
    path: str
    project: str = ""
    line: int | None = None

    def label(self) -> str:
        """'(project P017, line 15)', '(project P017)' or ''."""
        parts = [f"project {printable(self.project)[:128]}"] if self.project else []
        if self.line is not None:
            parts.append(f"line {self.line}")
        return f" ({', '.join(parts)})" if parts else ""


# --- cells to a project mapping --------------------------------------------------------

def _split_ids(cell: str) -> list[str]:
    return [part for part in cell.replace(";", " ").replace(",", " ").split() if part]


def _not_a_number(text: str, kind: str) -> str:
    hint = number_hint(text)
    return f"{printable(repr(text))[:80]} is not {kind}" + (f"; {hint}" if hint else "")


def _parse_bundle(text: str, number: type) -> dict[str, Any]:
    """'H200:64+A100:8' -> {'H200': 64, 'A100': 8}."""
    bundle: dict[str, Any] = {}
    kind = "a whole number" if number is int else "a number"
    for item in text.split("+"):
        type_id, sep, count = item.strip().partition(":")
        if not sep or not type_id.strip():
            raise ValueError(f"expected TYPE:NUMBER, got {item.strip()!r}")
        try:
            bundle[type_id.strip()] = number(count.strip())
        except ValueError:
            hint = number_hint(count.strip())
            raise ValueError(f"{printable(repr(count.strip()))[:80]} for {type_id.strip()} is "
                             f"not {kind}" + (f"; {hint}" if hint else "")) from None
    return bundle


def _parse_configurations(cell: str) -> list[dict[str, Any]]:
    """'h200=H200:64 | A100:160' -> two configurations; ids default to c1, c2, ..."""
    configs = []
    for k, alternative in enumerate(cell.split("|"), start=1):
        config_id, sep, bundle = alternative.strip().partition("=")
        if not sep:
            config_id, bundle = f"c{k}", alternative
        configs.append({"id": config_id.strip(), "gpus": _parse_bundle(bundle, int)})
    return configs


_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n", ""}


def csv_row_to_project(row: dict[str, str], extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Turn one table row into the mapping a `Project` is validated from; the columns
    in `extra` are carried as `Project.extra`.

    Raises ValueError naming the column for cells that cannot be parsed.
    """
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    for name in NUMERIC_COLUMNS:
        text = cell(name)
        if text and number_hint(text):
            raise ValueError(f"{name}: {_not_a_number(text, 'a number')}")
    project: dict[str, Any] = {"id": cell("id"), "area": cell("area")}
    for name in ("title", "owner", "partner", "score", "late_start_penalty", "tier"):
        if cell(name):
            project[name] = cell(name)
    window = {k: cell(k) for k in ("earliest_start", "latest_end", "duration") if cell(k)}
    if window:
        project["window"] = window
    mandatory = cell("mandatory").lower()
    if mandatory not in _TRUE | _FALSE:
        raise ValueError(f"mandatory: expected true or false, got {cell('mandatory')!r}")
    project["mandatory"] = mandatory in _TRUE
    project["depends_on"] = _split_ids(cell("depends_on"))
    project["excludes"] = _split_ids(cell("excludes"))
    if cell("configurations"):
        try:
            project["request"] = {"configurations": _parse_configurations(cell("configurations"))}
        except ValueError as exc:
            raise ValueError(f"configurations: {exc}") from None
    elif cell("max_gpus") or cell("min_gpus"):
        elastic: dict[str, Any] = {"min_gpus": cell("min_gpus"), "max_gpus": cell("max_gpus")}
        try:
            efficiency = _parse_bundle(cell("efficiency"), float) if cell("efficiency") else {}
        except ValueError as exc:
            raise ValueError(f"efficiency: {exc}") from None
        types = [t for t in cell("types").replace("+", " ").split() if t] or list(efficiency)
        elastic["types"] = types
        elastic["efficiency"] = efficiency
        if cell("max_units"):
            elastic["max_units"] = cell("max_units")
        project["request"] = {"elastic": elastic}
    if extra:
        project["extra"] = {name: row.get(name) or "" for name in extra}
    return project


# --- reading a table's header and rows, whatever its format ----------------------------

Rows = Iterator[tuple[int, list[str]]]  # (row number as the planner sees it, cells)


def _csv_rows(data: bytes, shown: str) -> Rows:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InstanceError([Problem(shown, "", f"not UTF-8 text (byte {exc.start})")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _Unreadable(reader.line_num, str(exc)) from None
        yield reader.line_num, cells


def _text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _xlsx_rows(path: Path, shown: str, sheet: str | None, max_bytes: int) -> Rows:
    """Rows of one sheet (the first unless named), read streaming with openpyxl.

    An XLSX file is a zip of XML: its uncompressed size counts against `max_bytes`,
    so that a small file cannot expand into gigabytes while it is read.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InstanceError([Problem(shown, "", f"not a readable XLSX workbook ({exc})")]) \
            from None
    if expanded > max_bytes:
        raise InstanceError([Problem(shown, "", (
            f"workbook expands to {expanded} bytes, over the limit of {max_bytes} "
            "(raise it with --max-file-bytes)"))])
    import openpyxl  # only when a workbook is read: `allocopt --help` stays instant

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises assorted errors on damaged workbooks
        raise InstanceError([Problem(shown, "", f"not a readable XLSX workbook "
                                                f"({type(exc).__name__}: "
                                                f"{printable(str(exc))[:200]})")]) from None
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            raise InstanceError([Problem(shown, "", (
                f"no sheet {printable(repr(sheet))[:80]}{did_you_mean(sheet, names)} "
                f"(sheets: {known_list(names)})"))])
        if not names:
            return
        ws = book[sheet] if sheet is not None else book[names[0]]
        number = 0
        try:
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                yield number, [_text(v) for v in values]
        except InstanceError:
            raise
        except Exception as exc:
            raise _Unreadable(number + 1, f"{type(exc).__name__}: {printable(str(exc))[:200]}"
                              ) from None
    finally:
        book.close()


class _Unreadable(Exception):
    def __init__(self, row: int, reason: str) -> None:
        super().__init__(reason)
        self.row = row
        self.reason = reason


def _header_problems(header: list[str], shown: str, keep: bool) -> tuple[list[Problem],
                                                                        tuple[str, ...]]:
    """Problems with a table's header, and the extra columns it keeps."""
    problems: list[Problem] = []

    def add(message: str) -> None:
        problems.append(Problem(shown, "header", message))

    named = [c for c in header if c]
    for name in sorted({c for c in named if named.count(c) > 1}):
        add(f"column {printable(repr(name))[:80]} appears more than once")
    if "id" not in named or "area" not in named:
        add("needs at least the columns 'id' and 'area'")
    unknown = [c for c in dict.fromkeys(named) if c not in CSV_COLUMNS]
    if keep:
        for name in unknown:
            if name in OUTPUT_COLUMNS:
                add(f"extra column {name!r} has the name of a projects.csv column; rename it")
        return problems, tuple(unknown)
    for name in unknown:
        add(f"unknown column {printable(repr(name))[:80]}{did_you_mean(name, CSV_COLUMNS)} "
            f"(known: {', '.join(CSV_COLUMNS)}; or keep it as an extra column of "
            "projects.csv with extra_columns: keep)")
    return problems, ()


@dataclass(frozen=True)
class TableRead:
    """The projects of one table, where each was written, and whether the table
    stopped early because the running total passed --max-projects."""

    projects: list[Project]
    origins: list[Origin]
    full: bool = False


def read_project_table(path: Path, shown: str, data: bytes | None, *, sheet: str | None = None,
                       keep_extra: bool = False, room: int, limit: int, before: str = "",
                       max_bytes: int) -> TableRead:
    """Read one table: `data` for a CSV (already read within the caps), or the XLSX at
    `path`. At most `room` projects are taken; the next one is a problem that names
    `limit` and ends with `before` (what was counted ahead of this table).

    Raises InstanceError listing every problem of the table.
    """
    rows = _xlsx_rows(path, shown, sheet, max_bytes) if data is None else _csv_rows(data, shown)
    problems: list[Problem] = []
    projects: list[Project] = []
    origins: list[Origin] = []
    full = False
    header: list[str] | None = None
    extra: tuple[str, ...] = ()
    blank = 0
    try:
        for number, cells in rows:
            if not any(c.strip() for c in cells):
                blank += 1
                if blank > MAX_BLANK_ROWS:
                    problems.append(Problem(shown, f"row {number}", (
                        f"more than {MAX_BLANK_ROWS} blank rows; delete them")))
                    break
                continue
            if header is None:
                header = [c.strip() for c in cells]
                header_problems, extra = _header_problems(header, shown, keep_extra)
                if header_problems:
                    raise InstanceError(header_problems)
                continue
            where = f"row {number}"
            if len(projects) >= room:
                problems.append(Problem(shown, where, (
                    f"more than {limit} projects (raise it with --max-projects){before}")))
                full = True
                break
            project = _row_project(header, cells, extra, shown, where, problems)
            if project is not None:
                projects.append(project)
                origins.append(Origin(shown, where, project.id))
    except _Unreadable as exc:
        problems.append(Problem(shown, f"row {exc.row}", f"unreadable: {exc.reason}"))
    if header is None and not problems:
        problems.append(Problem(shown, "header", "the table is empty: it needs a header row "
                                                 "with at least the columns 'id' and 'area'"))
    if problems:
        raise InstanceError(problems)
    return TableRead(projects, origins, full)


def _row_project(header: list[str], cells: list[str], extra: tuple[str, ...], shown: str,
                 where: str, problems: list[Problem]) -> Project | None:
    """One row as a validated Project, or None with its problems appended."""
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        problems.append(Problem(shown, where, "more cells than header columns"))
        return None
    row = {name: value for name, value in zip(header, cells, strict=False) if name}
    unnamed = [k for k, (name, value) in enumerate(zip(header, cells, strict=False), start=1)
               if not name and value.strip()]
    label = f" (project {printable(row['id'].strip())[:128]})" if row.get("id", "").strip() \
        else ""
    if unnamed:
        problems.append(Problem(shown, where, f"a value in column {unnamed[0]}, which has no "
                                              f"name in the header{label}"))
        return None
    try:
        mapping = csv_row_to_project(row, extra)
    except ValueError as exc:
        problems.append(Problem(shown, where, f"{exc}{label}"))
        return None
    try:
        return Project.model_validate(mapping)
    except ValidationError as exc:
        from allocopt.instance.locate import validation_problems

        problems.extend(Problem(p.file, p.path, f"{p.message}{label}")
                        for p in validation_problems(exc, shown, where))
        return None


def is_workbook(name: str) -> bool:
    return name.lower().endswith(XLSX_SUFFIXES)
