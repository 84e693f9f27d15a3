"""The same instance, options and seed give byte-identical allocation.csv and
projects.csv: across runs, and across --threads 1 and 2 where the backend allows
(SCIP in the OR-Tools wheel is single-threaded, so it always allows)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from allocopt.backends import REGISTRY
from allocopt_cli.main import cli

from conftest import ROOT

FILES = ("allocation.csv", "projects.csv", "purchases.csv")


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("det") / "national.yaml"
    result = CliRunner().invoke(cli, ["generate", "--projects", "25", "--gpus", "1500",
                                      "--types", "4", "--sites", "2", "--periods", "6",
                                      "--seed", "11", "--out", str(path)])
    assert result.exit_code == 0, result.output
    return path


def solve(path: Path, out: Path, *options: str) -> dict[str, bytes]:
    result = CliRunner().invoke(cli, ["solve", str(path), "--out", str(out), "--gap", "0",
                                      *options])
    assert result.exit_code == 0, result.output
    return {name: (out / name).read_bytes() for name in FILES}


@pytest.mark.parametrize("path", [ROOT / "instances/tutorial.yaml", None],
                         ids=["tutorial", "generated"])
def test_scip_is_identical_across_runs_and_threads(path, instance: Path, tmp_path: Path):
    path = path or instance
    scip = ("--backend", "scip")
    first = solve(path, tmp_path / "a", *scip, "--threads", "1")
    assert solve(path, tmp_path / "b", *scip, "--threads", "1") == first
    assert solve(path, tmp_path / "c", *scip, "--threads", "2") == first


@pytest.mark.skipif(REGISTRY["highs"].version() is None, reason="highspy is not installed")
def test_highs_is_identical_across_runs(instance: Path, tmp_path: Path):
    first = solve(instance, tmp_path / "a", "--backend", "highs", "--threads", "1")
    assert solve(instance, tmp_path / "b", "--backend", "highs", "--threads", "1") == first
