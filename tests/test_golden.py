"""Golden model files per rule family (oracle 2): the LP that `allocopt export` writes
for a tiny instance per module of allocopt/model/rules/, compared as text. A change
in the formulation shows up here as a diff, without solving anything.

The text is OR-Tools' LP writer's (MPModelProtoExporter), so an OR-Tools upgrade that
changes its formatting shows up here too. When a change is intended, rewrite the files
and review their diff in the commit:

    ALLOCOPT_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from allocopt import load_instance
from allocopt.export import export_model
from allocopt.model import build_program
from allocopt.model.build import RULES

GOLDEN = Path(__file__).resolve().parent / "golden"
INSTANCES = sorted((GOLDEN / "instances").glob("*.yaml"))
UPDATE = os.environ.get("ALLOCOPT_UPDATE_GOLDEN") == "1"
RULES_PACKAGE = "allocopt.model.rules."


def family_rules() -> dict[str, set[str]]:
    """Module of allocopt/model/rules/ -> the rule names its define_* functions build."""
    probe = load_instance(INSTANCES[0])
    columns = build_program(probe, pruned=False).columns
    out: dict[str, set[str]] = {}
    for define in RULES:
        family = define.__module__.removeprefix(RULES_PACKAGE)
        out.setdefault(family, set()).add(define(probe, columns).rule.value)
    return out


def lp_of(path: Path) -> str:
    return export_model(load_instance(path), "lp")


@pytest.mark.parametrize("path", INSTANCES, ids=[p.stem for p in INSTANCES])
def test_exported_lp_matches_golden(path: Path):
    golden = GOLDEN / f"{path.stem}.lp"
    text = lp_of(path)
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), (f"no golden file {golden.name}; write it with "
                             f"ALLOCOPT_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py")
    expected = golden.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), text.splitlines(keepends=True),
            fromfile=f"tests/golden/{golden.name} (committed)",
            tofile=f"export of tests/golden/instances/{path.name} (now)"))
        pytest.fail(f"the model of {path.name} changed:\n{diff}\nIf the change is intended, "
                    f"rewrite the golden files and review their diff:\n"
                    f"    ALLOCOPT_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py",
                    pytrace=False)


def test_export_is_stable_across_runs():
    """Row and column order and number formatting do not depend on the run: two exports
    in one process and one in a fresh process with another hash seed agree."""
    for path in INSTANCES:
        assert lp_of(path) == lp_of(path), path.name
    path = GOLDEN / "instances" / "dependencies.yaml"
    fresh = subprocess.run([sys.executable, "-m", "allocopt", "export", str(path),
                            "--format", "lp"], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert fresh.stdout.rstrip("\n") == lp_of(path).rstrip("\n")


def test_every_rule_family_has_a_golden_instance_exercising_all_its_rules():
    """One golden instance per module of allocopt/model/rules/ that builds rows (named
    after the module), and its model holds rows of every rule that module defines."""
    families = family_rules()
    assert sorted(families) == sorted(p.stem for p in INSTANCES)
    for family, rules in families.items():
        program = build_program(load_instance(GOLDEN / "instances" / f"{family}.yaml"))
        built = {b.rule.value for b in program.blocks if b.size > 0}
        assert rules <= built, f"{family}.yaml builds no rows of {sorted(rules - built)}"
