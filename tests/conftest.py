"""Shared helpers: tiny instances built in code, solved with the default backend."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from allocopt import from_spec, solve
from allocopt.instance.schema import InstanceSpec

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

BASE: dict[str, Any] = {
    "name": "base",
    "periods": ["T1", "T2"],
    "gpu_types": [
        {"id": "H", "perf": 2.0, "power_kw": 1.0, "node_size": 4, "opex_per_period": 1.0},
        {"id": "A", "perf": 1.0, "power_kw": 0.5, "node_size": 4, "opex_per_period": 0.5},
    ],
    "sites": [{"id": "S", "power_mw": 1.0, "pue": 1.0}],
    "supply": [
        {"type": "H", "site": "S", "period": "T1", "units": 10},
        {"type": "A", "site": "S", "period": "T1", "units": 10},
    ],
    "areas": [{"id": "health", "weight": 1.0}, {"id": "justice", "weight": 1.0}],
    "projects": [],
}


def project(pid: str, area: str = "health", gpus: dict | None = None, **extra) -> dict:
    """A one-configuration project using `gpus` (default 10 H) for one period."""
    body = {"id": pid, "area": area,
            "request": {"configurations": [{"id": "c", "gpus": gpus or {"H": 10}}]}}
    body.update(extra)
    return body


def make(projects: list[dict], **changes) -> Any:
    """An Instance from BASE with `projects` and top-level `changes` applied."""
    data = copy.deepcopy(BASE)
    data["projects"] = projects
    data.update(changes)
    return from_spec(InstanceSpec.model_validate(data))


def solved(instance):
    solution = solve(instance)
    assert solution.verify(instance) == []
    return solution


def funded(solution) -> set[str]:
    return {a.project for a in solution.awards}


@pytest.fixture
def tmp_out(tmp_path: Path) -> Path:
    return tmp_path / "out"
