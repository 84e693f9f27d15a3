"""A Solution, or a results folder, as pandas DataFrames with the folder's columns.

    >>> from allocopt.frames import allocation_frame, projects_frame
    >>> projects = projects_frame(instance, solution)
    >>> projects[projects.funded].groupby("area").perf_gpus_awarded.sum()

Each frame has exactly the columns of its CSV file (`allocopt.folder`: allocation.csv,
projects.csv with any extra columns a project table carries, purchases.csv), built
from the same rows the folder is written from (`allocopt.results.table_rows`), so a
frame of a solve equals the frame `read_results` reads from the folder written for it.

Types: GPU counts (`gpus`, `gpus_awarded`, `gpus_requested`, `units`) are integers
under whole-GPU or whole-node granularity (`int64`, or the nullable `Int64` where a
cell may be blank: an elastic request has no GPU count of its own), floats under
fractional granularity; other numbers are `float64` (blank: NaN); `mandatory` and
`funded` are `bool`; text is pandas' `string` dtype, a blank cell `<NA>`.

pandas is the `frames` extra (`pip install 'allocopt[frames]'`), imported on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from allocopt.folder import (
    ALLOCATION,
    NUMERIC_COLUMNS,
    PROJECTS,
    PURCHASE_COLUMNS,
    PURCHASES,
    read_summary,
    read_table,
    restore,
)
from allocopt.instance import Instance
from allocopt.instance.schema import Granularity
from allocopt.results import table_rows
from allocopt.solution import Solution

if TYPE_CHECKING:
    import pandas as pd

GPU_COUNTS = frozenset({"gpus", "gpus_awarded", "gpus_requested", "units"})
FLAGS = frozenset({"mandatory", "funded"})


@dataclass(frozen=True)
class Frames:
    """A results folder as frames: `summary` is summary.json as a dict."""

    summary: dict[str, Any]
    allocation: pd.DataFrame
    projects: pd.DataFrame
    purchases: pd.DataFrame


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("allocopt's DataFrames need pandas: "
                          "pip install 'allocopt[frames]'") from None
    return pandas


def _counts(pd, cells: list[str], integer: bool) -> pd.Series:
    if not integer:
        return pd.Series([float(c) if c else float("nan") for c in cells], dtype="float64")
    values = [round(float(c)) if c else None for c in cells]
    return pd.Series(values, dtype="Int64" if None in values else "int64")


def _column(pd, name: str, cells: list[str], integer: bool) -> pd.Series:
    if name in GPU_COUNTS:
        return _counts(pd, cells, integer)
    if name in NUMERIC_COLUMNS:
        return pd.Series([float(c) if c else float("nan") for c in cells], dtype="float64")
    if name in FLAGS:
        return pd.Series([c == "true" for c in cells], dtype="bool")
    return pd.Series([c if c else None for c in cells], dtype="string")


def frame(columns: Sequence[str], rows: Sequence[Sequence[Any]], integer: bool
          ) -> pd.DataFrame:
    """A DataFrame of a results file's `rows` (cells as the file's text), typed by column
    as the module says; `integer`: GPU counts are whole numbers."""
    pd = _pandas()
    cells = {c: ["" if r[k] is None else str(r[k]) for r in rows] for k, c in enumerate(columns)}
    return pd.DataFrame({c: _column(pd, c, cells[c], integer) for c in columns},
                        columns=list(columns))


def _integer(instance: Instance) -> bool:
    return instance.spec.policy.granularity is not Granularity.FRACTIONAL


def allocation_frame(instance: Instance, solution: Solution) -> pd.DataFrame:
    """allocation.csv as a DataFrame: one row per project, GPU type, site and period."""
    columns, rows = table_rows(instance, solution)[ALLOCATION]
    return frame(columns, rows, _integer(instance))


def projects_frame(instance: Instance, solution: Solution) -> pd.DataFrame:
    """projects.csv as a DataFrame: one row per project, funded or not."""
    columns, rows = table_rows(instance, solution)[PROJECTS]
    return frame(columns, rows, _integer(instance))


def purchases_frame(instance: Instance, solution: Solution) -> pd.DataFrame:
    """purchases.csv as a DataFrame: one row per purchase."""
    columns, rows = table_rows(instance, solution)[PURCHASES]
    return frame(columns, rows, _integer(instance))


def _read(path: Path, integer: bool) -> pd.DataFrame:
    header, rows = read_table(path)
    return frame([restore(c) for c in header], [[r.get(c) for c in header] for r in rows],
                 integer)


def read_results(folder: str | Path) -> Frames:
    """A results folder (written by `allocopt solve` or `write_results`) as frames equal
    to those of the solve that wrote it: `read_results(d).projects` equals
    `projects_frame(instance, solution)`. GPU counts are integers unless summary.json
    records fractional granularity. ResultsError when a file is missing or malformed."""
    folder = Path(folder)
    summary = read_summary(folder)
    policy = summary.get("policy") if isinstance(summary, dict) else None
    integer = (policy or {}).get("granularity") != Granularity.FRACTIONAL.value
    purchases = (_read(folder / PURCHASES, integer) if (folder / PURCHASES).exists()
                 else frame(PURCHASE_COLUMNS, [], integer))
    return Frames(summary=summary, allocation=_read(folder / ALLOCATION, integer),
                  projects=_read(folder / PROJECTS, integer), purchases=purchases)
