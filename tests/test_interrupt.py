"""Ctrl-C or SIGTERM during a solve keeps the best allocation found, verified, or
writes nothing; never a half-written folder."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def allocopt(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "allocopt", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture(scope="module")
def hard_instance(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hard") / "hard.yaml"
    # National size: no backend proves gap 0 on it within the 6 s before the signal.
    done = allocopt("generate", "--projects", "2000", "--gpus", "10000", "--seed", "3",
                    "--out", str(path))
    assert done.wait(60) == 0
    return path


@pytest.mark.parametrize("backend,sig", [("scip", signal.SIGINT), ("scip", signal.SIGTERM),
                                         ("highs", signal.SIGINT)])
def test_signal_keeps_the_best_allocation(hard_instance: Path, tmp_path: Path, backend: str,
                                          sig: signal.Signals):
    out = tmp_path / "out"
    run = allocopt("solve", str(hard_instance), "--out", str(out), "--backend", backend,
                   "--time-limit", "120", "--gap", "0")
    time.sleep(6)
    run.send_signal(sig)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 128 + sig, stderr
    assert "Traceback" not in stderr
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "out"]
    assert leftovers == []
    if out.exists():
        summary = json.loads((out / "summary.json").read_text())
        assert summary["interrupted"] is True and summary["status"] == "feasible"
        assert summary["gap"] is not None
        check = subprocess.run([sys.executable, "-m", "allocopt", "verify", str(hard_instance),
                                str(out)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    else:
        assert "nothing was written" in stderr
