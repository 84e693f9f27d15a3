"""One writer per results folder: a second command on a folder that another one is
writing is refused at once (exit 2); a killed command never leaves it locked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_interrupt import allocopt, hard_instance  # noqa: F401  (a fixture)

from allocopt_cli.lock import folder_lock, lock_path
from allocopt_cli.main import cli

from conftest import DATA


def run(*args) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


def wait_for_lock(path: Path, timeout_s: float = 120) -> str:
    """The pid written into the lock file, once there."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


@pytest.mark.parametrize("command", [
    ["solve", DATA / "tiny.yaml", "--out", "{out}"],
    ["report", "{out}"],
    ["compare", "{out}", "{out}", "--out", "{out}"],
    ["sensitivity", "shadow-prices", DATA / "tiny.yaml", "--out", "{out}"],
    ["sensitivity", "sweep", DATA / "tiny.yaml", "--param", "budget.capex", "--range", "0..10",
     "--out", "{out}"],
])
def test_a_locked_folder_is_refused_at_once(tmp_path: Path, command: list):
    out = tmp_path / "r"
    assert run("solve", DATA / "tiny.yaml", "--out", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with folder_lock(out):
        result = run(*(str(a).replace("{out}", str(out)) for a in command))
    assert result.exit_code == 2, result.output
    assert (f"{out} is being written by another allocopt command (pid {os.getpid()}); "
            in result.output)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_the_lock_file_goes_with_a_clean_exit(tmp_path: Path):
    out = tmp_path / "r"
    assert run("solve", DATA / "tiny.yaml", "--out", out).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]
    assert not lock_path(out).exists()


def test_two_processes_on_one_folder(hard_instance: Path, tmp_path: Path):  # noqa: F811
    out = tmp_path / "out"
    first = allocopt("solve", str(hard_instance), "--out", str(out), "--backend", "highs",
                     "--time-limit", "120", "--gap", "0")
    try:
        pid = wait_for_lock(lock_path(out))
        assert pid == str(first.pid)
        second = subprocess.run([sys.executable, "-m", "allocopt", "solve",
                                 str(DATA / "tiny.yaml"), "--out", str(out)],
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 2, second.stderr
        assert (f"{out} is being written by another allocopt command (pid {first.pid}); "
                "wait for it or choose another --out") in second.stderr
        assert first.poll() is None  # the first one still runs: the refusal did not wait
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=120)
    assert first.returncode == 130


def test_a_killed_command_leaves_no_lock(hard_instance: Path, tmp_path: Path):  # noqa: F811
    out = tmp_path / "out"
    first = allocopt("solve", str(hard_instance), "--out", str(out), "--time-limit", "120")
    wait_for_lock(lock_path(out))
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    assert lock_path(out).exists()  # left behind, but nobody holds it
    result = run("solve", DATA / "tiny.yaml", "--out", out)
    assert result.exit_code == 0, result.output
    assert not lock_path(out).exists()
