"""Live progress: every backend reports incumbents and bounds while it solves, in
allocopt's units and the program's sense, never claims a bound that cuts off its own
answer, and ends on the answer it returns; `solve --progress` prints it."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocopt import from_spec
from allocopt.backends import REGISTRY, SolveOptions, get_backend
from allocopt.backends.base import Progress, ProgressReporter
from allocopt.backends.cbc import _CbcLog
from allocopt.instance.generator import generate
from allocopt.model import Program, build_program
from allocopt_cli.main import cli
from allocopt_cli.progress import ProgressLine, format_progress

from conftest import DATA

INSTALLED = [name for name, backend in REGISTRY.items() if backend.version() is not None]
# 2-3 s on 2 cores for every backend, none of which proves optimality by then.
INSTANCE = {"projects": 100, "gpus": 500, "seed": 3}
TIME_LIMIT_S = 2.0


@pytest.fixture(scope="module")
def program() -> Program:
    return build_program(from_spec(generate(**INSTANCE)))


def minimised(program: Program) -> Program:
    """The same program as `min −objective`: what a backend reports must flip sign."""
    columns = replace(program.columns, objective=-program.columns.objective)
    return replace(program, columns=columns, maximize=False)


def solve_with_progress(program: Program, backend: str, time_limit_s: float):
    calls: list[Progress] = []
    result = get_backend(backend).solve(program, SolveOptions(
        time_limit_s=time_limit_s, gap=1e-4, threads=1, progress=calls.append))
    assert result.status.has_solution, result.message
    return result, calls


@pytest.mark.parametrize("backend", INSTALLED)
def test_progress_while_maximising(program: Program, backend: str):
    assert program.maximize
    result, calls = solve_with_progress(program, backend, TIME_LIMIT_S)
    incumbents = [p.incumbent for p in calls if p.incumbent is not None]
    # One before the final answer at least: found mid-solve, not only at the end.
    assert len(incumbents) >= 2, calls
    elapsed = [p.elapsed_s for p in calls]
    assert elapsed == sorted(elapsed)
    assert len(calls) <= 10 * result.wall_s + 2  # throttled to ~10 a second
    # SCIP's log prints 7 significant digits, so an incumbent read there may exceed the
    # exact final one by that rounding.
    tol = 1e-6 * abs(result.objective)
    assert all(later >= earlier - tol for earlier, later in pairwise(incumbents))
    assert all(p.bound >= result.objective - tol for p in calls if p.bound is not None)
    assert calls[-1].incumbent == pytest.approx(result.objective, rel=1e-6)
    assert calls[-1].bound == pytest.approx(result.bound, rel=1e-6)


@pytest.mark.parametrize("backend", INSTALLED)
def test_progress_while_minimising(program: Program, backend: str):
    result, calls = solve_with_progress(minimised(program), backend, 1.5)
    assert result.objective <= 0  # 0: the empty allocation, all HiGHS may find by then
    tol = 1e-6 * abs(result.objective)
    incumbents = [p.incumbent for p in calls if p.incumbent is not None]
    assert all(later <= earlier + tol for earlier, later in pairwise(incumbents))
    assert all(p.bound <= result.objective + tol for p in calls if p.bound is not None)
    assert calls[-1].incumbent == pytest.approx(result.objective, rel=1e-6)


def test_cbc_log_is_read_in_the_problems_sense():
    """CBC prints the objective it minimises, negated when maximising, except for a warm
    start's own line (CBC 2.10), which is skipped rather than misread."""
    calls: list[Progress] = []
    # A long interval: after the first call everything is held until finish, however
    # slowly this loop runs on a loaded machine.
    reporter = ProgressReporter(calls.append, time.perf_counter(), interval_s=3600)
    log = _CbcLog(reporter, maximize=True, lines=[])
    for line in [
        "Cbc0045I MIPStart provided solution with cost 1027.21",
        "Cbc0012I Integer solution of 1027.2105 found by Reduced search after 0 iterations "
        "and 0 nodes (0.11 seconds)",
        "Cbc0012I Integer solution of -1027.2105 found by RINS after 0 iterations and 0 nodes "
        "(0.14 seconds)",
        "Cbc0013I At root node, 103 cuts changed objective from -1130.5397 to -1079.8557 "
        "in 38 passes",
        "Cbc0010I After 100 nodes, 12 on tree, -1030.5 best solution, best possible -1070.25 "
        "(3.58 seconds)",
    ]:
        log.feed(line)
    reporter.finish(None, None)  # the rest was held: only the latest is sent
    assert [(p.incumbent, p.bound) for p in calls] == [(1027.2105, None), (1030.5, 1070.25)]
    assert len(log.lines) == 5


def test_solve_prints_progress_lines(tmp_path: Path):
    instance = tmp_path / "national.yaml"
    runner = CliRunner()
    made = runner.invoke(cli, ["generate", *(f"--{k}={v}" for k, v in INSTANCE.items()),
                               "--out", str(instance)])
    assert made.exit_code == 0, made.output
    result = runner.invoke(cli, ["solve", str(instance), "--out", str(tmp_path / "out"),
                                 "--time-limit", "1", "--progress"])
    assert result.exit_code == 0, result.output
    lines = [x for x in result.stderr.splitlines() if "incumbent" in x and "gap" in x]
    assert lines, result.stderr
    assert "\r" not in result.stderr  # not a terminal: one line per update


def test_no_progress_unless_asked_off_a_terminal(tmp_path: Path):
    result = CliRunner().invoke(cli, ["solve", str(DATA / "tiny.yaml"),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "incumbent" not in result.stderr


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_rewrites_itself_on_a_terminal():
    screen = Terminal()
    line = ProgressLine(screen, interval_s=60)
    line(Progress(0.5, None, 1300.0))
    line(Progress(0.7, 1234.5, 1300.0))  # within the interval: held back
    assert screen.getvalue() == "\r" + format_progress(Progress(0.5, None, 1300.0))
    line.close()  # prints what was held, then ends the line
    last = format_progress(Progress(0.7, 1234.5, 1300.0))
    assert screen.getvalue().endswith("\r" + last + "\n")
    assert last == "   0.7 s   incumbent 1,234.50   bound 1,300.00   gap 5.31 %"
    assert format_progress(Progress(12.3, None, None)) == (
        "  12.3 s   incumbent --   bound --   gap --")
