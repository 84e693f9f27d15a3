"""A time limit is a wall-clock promise for the whole call: every policy stage, start,
LP bound and verification share it, and summary.json says what each stage spent.

A solver may overrun its own limit by a little (and a loaded machine adds to it), so
the promise is checked with room: within the limit plus PROMISE_SLACK_S. What is
asserted exactly is what does not depend on the clock: verified allocations, stage
gaps that agree with their objective and bound, an honest final status."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace

import pytest

import allocopt
from allocopt.backends import SolveOptions, Status
from allocopt.backends.base import Result, relative_gap, settle
from allocopt.clock import share, with_deadline
from allocopt.instance.generator import generate

from conftest import ROOT

SHOCK = ROOT / "instances/korea-2025-export-shock.yaml"
POLICIES = ("weighted", "maxmin", "proportional", "lexicographic", "least-cost", "robust")
LIMIT_S = 3.0
PROMISE_SLACK_S = 3.0


@pytest.fixture(scope="module")
def shock() -> allocopt.Instance:
    return allocopt.load_instance(SHOCK)


@pytest.mark.parametrize("policy", POLICIES)
def test_every_policy_keeps_a_tiny_time_limit(shock, policy: str) -> None:
    instance = shock.with_objective(policy)
    started = time.monotonic()
    solution = allocopt.solve(instance, options=SolveOptions(time_limit_s=LIMIT_S, gap=1e-6))
    elapsed = time.monotonic() - started
    assert elapsed <= LIMIT_S + PROMISE_SLACK_S, f"{policy}: {elapsed:.1f} s"
    timing = solution.figures["time"]
    assert timing["limit_s"] == LIMIT_S
    assert sum(s["s"] for s in timing["stages"]) <= elapsed + 0.1
    if solution.status.has_solution:
        assert solution.verify(instance) == []
    for stage in solution.policy.get("stages", []):
        assert stage["gap"] == relative_gap(stage["objective"], stage["bound"])
    # Optimal only when proven within the gap asked, and every stage was.
    if solution.status is Status.OPTIMAL:
        assert solution.gap is not None and solution.gap <= 1e-6 + 1e-9
        assert all(s["status"] == "optimal" for s in solution.policy.get("stages", []))


def test_the_cli_records_each_stage_of_the_command(tmp_path) -> None:
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "allocopt", "solve", str(SHOCK), "--policy",
                           "maxmin", "--time-limit", "60", "--gap", "0.01", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    timing = json.loads((out / "summary.json").read_text())["time"]
    names = [s["stage"] for s in timing["stages"]]
    assert names[:2] == ["load", "build"] and "verify" in names
    assert any(n.startswith("solve: ") for n in names)
    assert timing["before_writing_s"] >= sum(s["s"] for s in timing["stages"]) - 0.1


def test_a_decomposed_solve_keeps_the_commands_time_limit(tmp_path) -> None:
    """The parts and the repair share the command's limit (the parts half of it)."""
    instance = generate(projects=800, gpus=6000, types=6, sites=3, periods=12, seed=3)
    path = tmp_path / "national.json"
    path.write_text(instance.model_dump_json())
    out = tmp_path / "out"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "allocopt", "solve", str(path), "--decompose",
                           "3", "--time-limit", str(2 * LIMIT_S), "--gap", "0", "--out",
                           str(out)], capture_output=True, text=True, timeout=300)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert elapsed <= 2 * LIMIT_S + PROMISE_SLACK_S + 2.0  # + a Python start per worker
    subprocess.run([sys.executable, "-m", "allocopt", "verify", str(path), str(out)],
                   check=True, capture_output=True)


def test_a_deadline_is_shared_and_never_extended() -> None:
    now = time.monotonic()
    options = with_deadline(SolveOptions(time_limit_s=100.0), now)
    assert options.time_limit_s is None
    assert now + 90.0 <= options.deadline <= now + 95.0 + 1e-6  # the 5 % reserve
    # A later, shorter limit only brings the deadline nearer.
    nearer = with_deadline(replace(options, time_limit_s=10.0), now)
    assert nearer.deadline <= now + 10.0
    half = share(options, 1, 2)
    assert half.remaining_s() == pytest.approx(options.remaining_s() / 2, abs=0.05)
    assert share(SolveOptions(), 1, 2) == SolveOptions(threads=SolveOptions().threads)


def _result(status: Status, objective: float, bound: float) -> Result:
    return Result(status, objective, bound, None, 0.0, "test")


def test_optimal_means_within_both_gaps() -> None:
    options = SolveOptions(gap=1e-3, abs_gap=5.0)
    # Within 0.1 % (8 of 10,000) but not within 5 units: only feasible.
    settled = settle(_result(Status.OPTIMAL, 10_000.0, 10_008.0), options)
    assert settled.status is Status.FEASIBLE and "asked" in settled.message
    # Within both.
    assert settle(_result(Status.OPTIMAL, 10_000.0, 10_004.0), options).status is Status.OPTIMAL
    # A time limit reached after both were proven is an optimal answer.
    assert settle(_result(Status.FEASIBLE, 10_000.0, 10_004.0), options).status is (
        Status.OPTIMAL)
    # Without --abs-gap the relative gap alone decides.
    assert settle(_result(Status.OPTIMAL, 10_000.0, 10_008.0),
                  SolveOptions(gap=1e-3)).status is Status.OPTIMAL
    assert settle(_result(Status.OPTIMAL, 10_000.0, 10_020.0),
                  SolveOptions(gap=1e-3)).status is Status.FEASIBLE


def test_a_solvers_infinity_is_no_bound() -> None:
    settled = settle(_result(Status.FEASIBLE, 10.0, 1e29), SolveOptions())
    assert settled.bound is None and settled.gap is None and settled.status is Status.FEASIBLE


@pytest.fixture(scope="module")
def small() -> allocopt.Instance:
    return allocopt.from_spec(generate(projects=40, gpus=800, types=3, sites=2, periods=4,
                                       seed=3))


@pytest.mark.parametrize("backend", ["scip", "highs", "cpsat", "cbc"])
def test_every_backend_proves_both_gaps(small, backend: str) -> None:
    exact = allocopt.solve(small, backend=backend, options=SolveOptions(gap=1e-7),
                           lp_bound=False)
    assert exact.status is Status.OPTIMAL
    # A loose relative gap and a tight absolute one: the absolute gap must hold too.
    tight = 1e-4 * exact.objective
    both = allocopt.solve(small, backend=backend,
                          options=SolveOptions(gap=0.05, abs_gap=tight), lp_bound=False)
    assert both.status is Status.OPTIMAL
    assert both.bound - both.objective <= tight + 1e-6
    assert both.objective >= exact.objective - tight - 1e-6
    # A loose absolute gap does not loosen the relative one.
    rel = allocopt.solve(small, backend=backend,
                         options=SolveOptions(gap=1e-4, abs_gap=0.5 * exact.objective),
                         lp_bound=False)
    assert rel.status is Status.OPTIMAL and rel.gap <= 1e-4 + 1e-9


def test_a_solver_that_overruns_its_deadline_is_stopped() -> None:
    """A solver call still running past its deadline (plus OVERRUN_GRACE_S) is asked to
    stop, as on Ctrl-C; that is a time limit, not a user's interrupt."""
    import threading

    from allocopt.backends.base import OVERRUN_GRACE_S, run_interruptible

    released = threading.Event()
    started = time.monotonic()
    interrupted = run_interruptible(lambda: released.wait(30), released.set, None,
                                    deadline=started + 0.2)
    assert released.is_set() and not interrupted
    assert time.monotonic() - started < 0.2 + OVERRUN_GRACE_S + 5.0
