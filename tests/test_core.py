"""The LP-core start (`--start core`): a smaller MILP that keeps what the LP funds.

Checked: the core only tightens the model (every core allocation is an allocation of
the whole model), keeps funded exactly the projects the LP funds whole and drops only
columns the LP prices out; its allocation passes `verify`; a solve seeded with it still
reaches the tutorial's hand-derived optimum, 1136; and without HiGHS it says so (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import allocopt
from allocopt import from_spec
from allocopt.backends import REGISTRY, SolveOptions, get_backend
from allocopt.backends.base import Status
from allocopt.errors import BackendError
from allocopt.instance.generator import generate
from allocopt.model import build_program
from allocopt.model.program import Rule, VarKind
from allocopt.solving.starts.core import WHOLE, core_program, core_start
from allocopt_cli.main import cli

from conftest import ROOT

pytestmark = pytest.mark.skipif(REGISTRY["highs"].version() is None,
                                reason="highs not installed (the 'solvers' extra)")
TUTORIAL_OPTIMUM = 1136.0


@pytest.fixture(scope="module")
def generated():
    instance = from_spec(generate(projects=300, gpus=3000, types=6, sites=2, periods=12,
                                  seed=0))
    return instance, build_program(instance)


def test_the_core_keeps_what_the_lp_funds_and_drops_what_it_prices_out(generated):
    _, program = generated
    lp = get_backend("highs").solve(program, SolveOptions(relax=True))
    core, forced = core_program(program, lp.values, lp.row_duals, lp.objective)
    cols, kept = program.columns, core.columns
    assert np.all(kept.lower == cols.lower) and np.all(kept.upper <= cols.upper)
    assert np.all(lp.values <= kept.upper + 1e-9)  # the LP optimum stays in the core
    decision = (cols.kind == VarKind.ASSIGN) | (cols.kind == VarKind.START)
    funded = np.bincount(cols.project[decision], weights=lp.values[decision],
                         minlength=len(program.blocks[0].lower))
    row = {b.rule: b for b in core.blocks}[Rule.ASSIGNMENT]
    whole = funded >= WHOLE
    assert forced == whole.sum() > 0
    assert np.all(row.lower[whole] == 1.0)
    original = {b.rule: b for b in program.blocks}[Rule.ASSIGNMENT]
    assert np.array_equal(row.lower[~whole], original.lower[~whole])
    dropped = kept.upper < cols.upper
    assert dropped.any()
    assert np.all(lp.values[dropped] <= 1e-9)
    assert not np.any(whole[cols.project[dropped]])
    a, _, _ = program.matrix()
    priced = cols.objective - a.T @ lp.row_duals
    assert np.all(priced[dropped] < -1e-5 * abs(lp.objective))
    assert [b.rule for b in core.blocks] == [b.rule for b in program.blocks]
    for mine, theirs in zip(core.blocks, program.blocks, strict=True):
        if mine.rule is not Rule.ASSIGNMENT:
            assert mine is theirs


def test_the_core_allocation_is_verified_and_below_the_lp(generated):
    instance, program = generated
    start = core_start(instance, program, time_limit_s=20, gap=1e-4)
    assert start.usable and start.violations == []
    assert start.status.has_solution
    assert 0 < start.objective <= start.lp_objective * (1 + 1e-9)
    assert start.free_columns < len(program.columns)


def test_a_core_seeded_solve_reaches_the_hand_derived_optimum():
    instance = allocopt.load_instance(ROOT / "instances/tutorial.yaml")
    for backend in ("highs", "scip"):
        solution = allocopt.solve(instance, backend=backend, start="core",
                                  options=SolveOptions(gap=0.0))
        start = solution.figures["start"]
        assert start["method"] == "lp-core" and start["used"] is True
        assert start["objective"] <= TUTORIAL_OPTIMUM + 1e-9
        assert solution.status is Status.OPTIMAL
        assert solution.objective == pytest.approx(TUTORIAL_OPTIMUM, abs=1e-6)
        assert solution.verify(instance) == []


def test_cli_start_core_records_the_start(tmp_path: Path):
    out = tmp_path / "r"
    result = CliRunner().invoke(cli, ["solve", str(ROOT / "instances/tutorial.yaml"),
                                      "--out", str(out), "--start", "core"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["start"]["method"] == "lp-core"
    assert summary["options"]["start"] == "core"
    assert summary["objective"] == pytest.approx(TUTORIAL_OPTIMUM, abs=1e-3)


def test_without_highs_the_core_start_says_what_it_needs(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(REGISTRY["highs"], "version", classmethod(lambda cls: None))
    instance = allocopt.load_instance(ROOT / "instances/tutorial.yaml")
    with pytest.raises(BackendError, match="needs HiGHS"):
        core_start(instance, build_program(instance))
    result = CliRunner().invoke(cli, ["solve", str(ROOT / "instances/tutorial.yaml"),
                                      "--out", str(tmp_path / "r"), "--start", "core"])
    assert result.exit_code == 2, result.output
    assert "needs HiGHS" in result.output
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("start", ["lp", "core"])
def test_a_start_on_an_infeasible_instance_leaves_the_diagnosis(start, tmp_path: Path):
    """No LP optimum means no start, not an error: the solve runs, exits 3 and names the
    conflicting rules, as it does without a start."""
    instance = ROOT / "tests/data/infeasible/area_max_share.yaml"
    result = CliRunner().invoke(cli, ["solve", str(instance), "--out", str(tmp_path / "r"),
                                      "--start", start])
    assert result.exit_code == 3, result.output
    assert "area 'health' max_share 0.5" in result.output
    assert not (tmp_path / "r").exists()
