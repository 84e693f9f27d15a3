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


@pytest.fixture(scope="module")
def national_json(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("national") / "national.json"
    done = allocopt("generate", "--projects", "2000", "--gpus", "10000", "--types", "8",
                    "--sites", "3", "--periods", "12", "--out", str(path))
    assert done.wait(60) == 0
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_an_early_interrupt_keeps_the_earlier_folder(national_json: Path, tmp_path: Path):
    """SIGINT as soon as the second solve has started (it holds the folder's lock before
    it loads the instance) leaves the first solve's folder byte for byte. Should a very
    fast machine reach an allocation with a proven bound first, that one may replace
    the folder, verified; nothing else may."""
    from allocopt_cli.lock import lock_path

    from conftest import DATA

    out = tmp_path / "out"
    first = allocopt("solve", str(DATA / "tiny.yaml"), "--out", str(out))
    assert first.wait(120) == 0
    before = snapshot(out)
    run = allocopt("solve", str(national_json), "--out", str(out), "--gap", "0")
    deadline = time.monotonic() + 120
    while not lock_path(out).exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging, no lock
    if snapshot(out) != before:
        summary = json.loads((out / "summary.json").read_text())
        assert summary["interrupted"] is True and summary["gap"] is not None
        assert summary["bound"] is not None and abs(summary["bound"]) < 1e20
        check = subprocess.run([sys.executable, "-m", "allocopt", "verify", str(national_json),
                                str(out)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_an_interrupted_swap_puts_the_earlier_folder_back(tmp_path: Path, monkeypatch):
    from allocopt.results import write_folder

    out = write_folder(tmp_path / "out", {"a.txt": "old\n"})
    real = Path.rename

    def rename(self, target):
        if self.name.endswith(".tmp"):  # the new folder taking the old one's place
            raise KeyboardInterrupt
        return real(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        write_folder(out, {"a.txt": "new\n"})
    assert (out / "a.txt").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
