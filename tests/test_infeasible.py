"""Infeasible instances: `allocopt solve` exits 3, writes nothing, and names exactly the
conflicting rules. Each file in tests/data/infeasible/ has one cause and starts with one
`# conflict: <line>` comment per rule that `allocopt.diagnose.diagnose` must print."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from allocopt import load_instance
from allocopt.diagnose import _feasible, _group, _with_free_groups, conflict_groups, describe
from allocopt.model import build_program
from allocopt_cli.main import cli

from conftest import DATA

INFEASIBLE = sorted((DATA / "infeasible").glob("*.yaml"))
HEADER = "infeasible: no allocation satisfies every rule. Conflicting rules:"


def expected_conflict(path: Path) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    conflict = []
    for line in lines:
        if not line.startswith("# conflict: "):
            break
        conflict.append(line.removeprefix("# conflict: "))
    assert conflict, f"{path.name} starts with no '# conflict: ' line"
    assert len(set(conflict)) == len(conflict), f"{path.name} repeats a conflict line"
    return set(conflict)


def test_ten_causes():
    assert len(INFEASIBLE) >= 10
    assert len({frozenset(expected_conflict(p)) for p in INFEASIBLE}) == len(INFEASIBLE)


@pytest.mark.parametrize("path", INFEASIBLE, ids=[p.stem for p in INFEASIBLE])
def test_solve_exits_3_and_names_the_conflict(path: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["solve", str(path), "--out", str(out)])
    assert result.exit_code == 3, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()
    lines = result.output.rstrip("\n").split("\n")
    assert lines[0] == f"{path}: {HEADER}", result.output
    assert all(line.startswith("  ") for line in lines[1:]), result.output
    printed = [line.removeprefix("  ") for line in lines[1:]]
    assert len(printed) == len(set(printed)), result.output
    assert set(printed) == expected_conflict(path), result.output


@pytest.mark.parametrize("path", INFEASIBLE, ids=[p.stem for p in INFEASIBLE])
def test_the_conflict_is_the_only_one(path: Path):
    """Freeing any one rule of the conflict makes the instance feasible, so every
    conflict contains all of them: the diagnosis cannot depend on the filter's order."""
    instance = load_instance(path)
    program = build_program(instance, pruned=False)  # as conflict_groups builds it
    lowers = np.concatenate([b.lower for b in program.blocks])
    rows = [_group(rule, key, lo) for (rule, key), lo in zip(program.row_labels(), lowers,
                                                             strict=True)]
    conflict = conflict_groups(instance)
    assert {describe(instance, g) for g in conflict} == expected_conflict(path)
    for group in conflict:
        freed = _with_free_groups(program, rows, {group})
        assert _feasible(freed, "scip", 20.0) is True, describe(instance, group)


def test_diagnose_command_names_the_conflict_or_says_feasible(tmp_path: Path):
    path = INFEASIBLE[0]
    result = CliRunner().invoke(cli, ["diagnose", str(path)])
    assert result.exit_code == 3, result.output
    assert {line.strip() for line in result.output.splitlines()[1:]} == expected_conflict(path)
    feasible = CliRunner().invoke(cli, ["diagnose", str(DATA / "tiny.yaml")])
    assert feasible.exit_code == 0 and "feasible" in feasible.output
