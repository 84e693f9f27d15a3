"""`allocopt export`: the written model, solved by another solver alone, gives the same
optimum."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocopt_cli.main import cli

from conftest import ROOT

TUTORIAL_OPTIMUM = 1136.0  # derived by hand in instances/tutorial.yaml


@pytest.mark.parametrize("fmt", ["mps", "lp"])
def test_exported_tutorial_solved_by_highspy_alone(tmp_path: Path, fmt: str):
    highspy = pytest.importorskip("highspy")
    out = tmp_path / f"tutorial.{fmt}"
    result = CliRunner().invoke(cli, ["export", str(ROOT / "instances/tutorial.yaml"),
                                      "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(out)) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert math.isclose(h.getInfo().objective_function_value, TUTORIAL_OPTIMUM, rel_tol=1e-9)
