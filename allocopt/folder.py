"""The results-folder format, in one place: file names, columns, CSV text that a
spreadsheet cannot run, the readers that undo it, and the atomic writers.

A results folder holds summary.json, allocation.csv, projects.csv and purchases.csv;
a robust solve adds scenarios.csv and, for the k-th scenario (from 1, in file order),
scenario-k-allocation.csv and scenario-k-projects.csv; `allocopt sensitivity
shadow-prices` adds shadow_prices.csv. What goes into the rows is the business of
`allocopt.results` (a Solution rendered into rows and read back) and of
`allocopt.report.folder` (a folder read for reports); both go through this module.

CSV injection. A spreadsheet opening a CSV file treats a cell starting with `=`, `+`,
`-` or `@` (and, in some, a tab or carriage return before them) as a formula, so a
project titled `=HYPERLINK(…)` would run when a planner opens projects.csv. Following
OWASP's CSV-injection guidance, such a text cell is written with a single quote in
front. A text cell that already starts with a quote gets one more, so that `restore`,
which strips exactly one leading quote, gives back every text exactly. Numbers are
written as they are ("-3.5" in a number column is a number, not a formula); they never
start with a quote, so `restore` leaves them alone too.

Writes are atomic: a folder goes to a hidden sibling first, which then takes the place
of the target, so a crash never leaves a half-written folder and an earlier result is
replaced only when the new one is complete; a single file goes through a temporary
sibling and `os.replace`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from allocopt.errors import ResultsError

# --- file names -------------------------------------------------------------------

SUMMARY = "summary.json"
ALLOCATION = "allocation.csv"
PROJECTS = "projects.csv"
PURCHASES = "purchases.csv"
SCENARIOS = "scenarios.csv"
SHADOW_PRICES = "shadow_prices.csv"
REDUCED_COSTS = "reduced_costs.csv"
# An instance copied into the results folder (a report uses it when --instance is not given).
INSTANCE_NAMES = ("instance.yaml", "instance.yml", "instance.json")


def scenario_files(k: int) -> tuple[str, str]:
    """(allocation, projects) file names of the k-th scenario (from 1) of a robust solve."""
    return f"scenario-{k}-allocation.csv", f"scenario-{k}-projects.csv"


# --- columns ----------------------------------------------------------------------

ALLOCATION_COLUMNS = ("project", "gpu_type", "site", "period", "gpus")
PROJECT_COLUMNS = ("project", "title", "owner", "area", "partner", "mandatory", "funded",
                   "configuration", "site", "start", "end", "gpus_awarded", "gpus_requested",
                   "perf_gpus_awarded", "perf_gpus_requested", "value")
PURCHASE_COLUMNS = ("option", "gpu_type", "site", "period", "units", "cost")
SCENARIO_COLUMNS = ("scenario", "id", "probability", "value", "funded_projects", "eev_value",
                    "wait_and_see_value")
SHADOW_COLUMNS = ("rule", "key", "dual", "activity", "limit", "binding")
REDUCED_COLUMNS = ("project", "configuration", "site", "start", "reduced_cost")
# Columns whose cells are numbers; every other cell is text and neutralised.
NUMERIC_COLUMNS = frozenset({"gpus", "gpus_awarded", "gpus_requested", "perf_gpus_awarded",
                             "perf_gpus_requested", "value", "units", "cost", "scenario",
                             "probability", "funded_projects", "eev_value",
                             "wait_and_see_value"})

# Columns a reader does without (folders written by earlier versions lack some of them);
# a file missing any other column of its table is refused.
_OPTIONAL = frozenset({"partner", "mandatory", "perf_gpus_awarded", "perf_gpus_requested",
                          "cost", "activity", "limit", "binding"})
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(c for c in columns if c not in _OPTIONAL)
    for name, columns in ((PROJECTS, PROJECT_COLUMNS), (ALLOCATION, ALLOCATION_COLUMNS),
                          (PURCHASES, PURCHASE_COLUMNS), (SHADOW_PRICES, SHADOW_COLUMNS))}


# --- CSV-injection neutralisation -------------------------------------------------

QUOTE = "'"
# Characters that make a spreadsheet read a cell as a formula, and the quote itself.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", QUOTE)


def neutralise(text: str) -> str:
    """`text` with a leading quote when a spreadsheet could take it for a formula."""
    return QUOTE + text if text.startswith(TRIGGERS) else text


def restore(cell: str) -> str:
    """The text `neutralise` was given: one leading quote removed, if any."""
    return cell[1:] if cell.startswith(QUOTE) else cell


def restore_row(row: Mapping[str, str | None]) -> dict[str, str | None]:
    """A CSV row (as a dict) with every cell restored (number cells are unchanged)."""
    return {k: restore(v) if isinstance(v, str) else v for k, v in row.items()}


# --- writing ----------------------------------------------------------------------

def num(x: float) -> str:
    """Numbers as written in results CSV: integers without a decimal point, others with
    repr."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def csv_text(columns: Iterable[str], rows: Iterable[Iterable[Any]], *,
             numeric: Collection[str] = NUMERIC_COLUMNS) -> str:
    """CSV text with a header row and '\\n' line ends (the same bytes on every OS).

    Cells of the `numeric` columns are written as given; every other cell (and every
    header) is text, neutralised so that no spreadsheet takes it for a formula."""
    columns = list(columns)
    text = [c not in numeric for c in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise(str(c)) for c in columns])
    writer.writerows([neutralise("" if cell is None else str(cell)) if is_text else cell
                      for cell, is_text in zip(row, text, strict=True)] for row in rows)
    return buffer.getvalue()


def write_folder(out_dir: str | Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` (text as UTF-8, or bytes) into `out_dir` atomically, replacing an
    earlier folder only once the new one is complete."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    old: Path | None = None
    try:
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            with open(staging / name, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        staging.chmod(0o755)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            old.rmdir()
            out.rename(old)
        staging.rename(out)
    except BaseException:
        # Interrupted between the two renames (Ctrl-C): put the earlier folder back.
        if old is not None and old.exists() and not out.exists():
            old.rename(out)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write via a temporary file in the same folder, then os.replace: a reader sees the
    old file or the new one, never half of one. The file is readable by all (0644)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a file via a temporary sibling and a rename, creating its folder; the file
    keeps mkstemp's owner-only mode (models and instance files written on request)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- reading ----------------------------------------------------------------------

def read_summary(folder: Path) -> Any:
    """summary.json of `folder`, parsed; ResultsError when missing or not JSON."""
    path = folder / SUMMARY
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}: invalid JSON ({exc.msg})") from None


def read_table(path: Path, required: Iterable[str] = ()
               ) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows (dicts of restored text, keyed by the header as written) of a
    CSV file (`restore` gives a column's name);
    ResultsError naming the file when it is missing, unreadable or lacks a `required`
    column."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            rows = [restore_row(r) for r in reader]
            header = list(reader.fieldnames or ())
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read ({exc.strerror})") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: not a readable CSV file ({exc})") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise ResultsError(f"{path}: missing column(s) {', '.join(missing)}")
    return header, rows


def read_rows(path: Path, required: Iterable[str] = ()) -> list[dict[str, str]]:
    """The rows of a CSV file as dicts of restored text; ResultsError naming the file
    when it is missing, unreadable or lacks a `required` column."""
    return read_table(path, required)[1]


def read_optional_rows(path: Path, required: Iterable[str] = ()) -> list[dict[str, str]] | None:
    """`read_rows`, or None when the file is not there."""
    return read_rows(path, required) if path.exists() else None


def read_scenario_values(folder: Path) -> tuple[dict[str, float], Any]:
    """The value of each scenario (by id) in scenarios.csv, and summary.json, of a
    robust results folder."""
    try:
        with open(folder / SCENARIOS, newline="", encoding="utf-8") as f:
            listed = {row.get("id"): row for row in map(restore_row, csv.DictReader(f))}
        values = {k: float(row["value"]) for k, row in listed.items()}
        summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise ResultsError(f"{folder}: {SCENARIOS} or {SUMMARY} unreadable ({exc})") from None
    return values, summary


def number(text: str | None, default: float = 0.0) -> float:
    """A CSV cell as a float; blank or malformed cells count as `default`."""
    try:
        return float(text) if text not in (None, "") else default
    except ValueError:
        return default
