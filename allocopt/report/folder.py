"""Reading a results folder back for reporting.

A report reads only what `allocopt solve` wrote (summary.json, projects.csv,
allocation.csv, purchases.csv) and, when present, what the sensitivity module adds
(shadow_prices.csv); text cells come back as they were before CSV-injection
neutralisation. File names, columns, readers and the atomic file writer are the
results-folder format's (`allocopt.folder`). The instance is optional: without it the
report leaves out what only the instance knows (capacity per period, site power, why a
project was left out).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allocopt.errors import ResultsError
from allocopt.folder import (
    ALLOCATION,
    INSTANCE_NAMES,
    PROJECTS,
    PURCHASES,
    REQUIRED_COLUMNS,
    SHADOW_PRICES,
    SUMMARY,
    number,
    read_optional_rows,
    read_rows,
    read_summary,
    write_atomic,
)

__all__ = ["INSTANCE_NAMES", "SHADOW_PRICES", "ResultsFolder", "number", "read_folder",
           "write_atomic"]


@dataclass(frozen=True)
class ResultsFolder:
    """The rows of one results folder, as written (strings), plus summary.json."""

    path: Path
    summary: dict[str, Any]
    projects: list[dict[str, str]]
    allocation: list[dict[str, str]]
    purchases: list[dict[str, str]]
    shadow_prices: list[dict[str, str]] | None

    @property
    def funded_ids(self) -> set[str]:
        return {r["project"] for r in self.projects if r.get("funded") == "true"}

    def bundled_instance(self) -> Path | None:
        """An instance file kept inside the folder, if any."""
        return next((self.path / n for n in INSTANCE_NAMES if (self.path / n).is_file()), None)


def _table(path: Path, name: str) -> list[dict[str, str]] | None:
    return read_optional_rows(path / name, REQUIRED_COLUMNS[name])


def read_folder(folder: str | Path) -> ResultsFolder:
    """Read a results folder; raise ResultsError naming the file that is missing or bad."""
    path = Path(folder)
    if not path.is_dir():
        raise ResultsError(f"{path}: not a results folder")
    summary = read_summary(path)
    if not isinstance(summary, dict):
        raise ResultsError(f"{path / SUMMARY}: not a JSON object")
    purchases = _table(path, PURCHASES) or []
    shadow = _table(path, SHADOW_PRICES)
    return ResultsFolder(path=path, summary=summary,
                         projects=read_rows(path / PROJECTS, REQUIRED_COLUMNS[PROJECTS]),
                         allocation=read_rows(path / ALLOCATION, REQUIRED_COLUMNS[ALLOCATION]),
                         purchases=purchases, shadow_prices=shadow)
