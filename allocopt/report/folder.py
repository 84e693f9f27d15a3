"""Reading a results folder back for reporting, and writing report files atomically.

A report reads only what `allocopt solve` wrote (summary.json, projects.csv,
allocation.csv, purchases.csv) and, when present, what the sensitivity module adds
(shadow_prices.csv); text cells come back as they were before CSV-injection
neutralisation (allocopt.csvsafe). The instance is optional: without it the report
leaves out what only the instance knows (capacity per period, site power, why a project
was left out).
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allocopt.csvsafe import restore_row
from allocopt.errors import ResultsError

SHADOW_PRICES = "shadow_prices.csv"
# The columns a report reads; folders may carry more (newer allocopt versions add some).
PROJECT_COLUMNS = ("project", "title", "owner", "area", "funded", "configuration", "site",
                   "start", "end", "gpus_awarded", "gpus_requested", "value")
ALLOCATION_COLUMNS = ("project", "gpu_type", "site", "period", "gpus")
PURCHASE_COLUMNS = ("option", "gpu_type", "site", "period", "units")
# An instance copied into the results folder is used when --instance is not given.
INSTANCE_NAMES = ("instance.yaml", "instance.yml", "instance.json")


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


def _rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            rows = [restore_row(r) for r in reader]
            missing = [c for c in required if c not in (reader.fieldnames or ())]
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read ({exc.strerror})") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: not a readable CSV file ({exc})") from None
    if missing:
        raise ResultsError(f"{path}: missing column(s) {', '.join(missing)}")
    return rows


def read_folder(folder: str | Path) -> ResultsFolder:
    """Read a results folder; raise ResultsError naming the file that is missing or bad."""
    path = Path(folder)
    if not path.is_dir():
        raise ResultsError(f"{path}: not a results folder")
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsError(f"{path / 'summary.json'}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path / 'summary.json'}: invalid JSON ({exc.msg})") from None
    if not isinstance(summary, dict):
        raise ResultsError(f"{path / 'summary.json'}: not a JSON object")
    purchases = (_rows(path / "purchases.csv", PURCHASE_COLUMNS)
                 if (path / "purchases.csv").exists() else [])
    shadow = (_rows(path / SHADOW_PRICES, ("rule", "key", "dual"))
              if (path / SHADOW_PRICES).exists() else None)
    return ResultsFolder(path=path, summary=summary,
                         projects=_rows(path / "projects.csv", PROJECT_COLUMNS),
                         allocation=_rows(path / "allocation.csv", ALLOCATION_COLUMNS),
                         purchases=purchases, shadow_prices=shadow)


def number(text: str | None, default: float = 0.0) -> float:
    """A CSV cell as a float; blank or malformed cells count as `default`."""
    try:
        return float(text) if text not in (None, "") else default
    except ValueError:
        return default


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write via a temporary file in the same folder, then os.replace: a reader sees the
    old file or the new one, never half of one."""
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
