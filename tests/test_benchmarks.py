"""The benchmark scripts run end to end at small sizes and print what they claim."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import ROOT

CONTENDERS = ("allocopt-scip", "allocopt-highs", "pulp-cbc", "pywraplp-scip", "lp-limit")


def run(script: str, *args: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_gavel_quick_reproduces_cvxpy_optimum():
    pytest.importorskip("cvxpy", reason="cvxpy is not installed (pip install 'cvxpy>=1.9')")
    done = run("gavel.py", "--quick", "--repeat", "1", "--jobs", "16", "100", timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    for policy in ("max-sum-throughput", "max-min-fairness"):
        for jobs in (16, 100):
            assert (f"EQUAL: {policy}, {jobs} jobs: allocopt optimum == CVXPY optimum "
                    "within 1e-06 relative") in done.stdout, done.stdout
    assert "NOT EQUAL" not in done.stdout
    assert "allocopt-scip" in done.stdout and "cvxpy-CLARABEL" in done.stdout


def test_peers_tiny_has_a_row_per_contender_and_embeds_allocopt():
    pytest.importorskip("pulp", reason="PuLP is not installed (the 'solvers' extra)")
    pytest.importorskip("highspy", reason="highspy is not installed (the 'solvers' extra)")
    done = run("peers.py", "--tiny", "--time-limit", "10", "--check", timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()
            if line.split() and line.split()[0] in CONTENDERS}
    assert set(rows) == set(CONTENDERS), done.stdout
    header = next(line.split() for line in done.stdout.splitlines()
                  if line.startswith("contender"))
    status = header.index("status")
    for name in CONTENDERS[:-1]:
        assert rows[name][status] in ("optimal", "feasible"), done.stdout
    assert rows["lp-limit"][status] == "lp-optimal", done.stdout
    assert "OBJECTIVE MISMATCH" not in done.stdout
    assert "EMBEDDING OK" in done.stdout, done.stdout


def test_incumbent_quick_times_cold_and_oracle_starts():
    """incumbent.py prints the oracle, the LP relaxation, the rounding start and a cold,
    a core-started and an oracle-started row per backend; the oracle start is an allocation at least
    as good as the oracle's, within the gap, and every status is a solved one."""
    pytest.importorskip("highspy", reason="highspy is not installed (the 'solvers' extra)")
    done = run("incumbent.py", "--quick", "--backends", "scip", "--oracle-gap", "0.001",
               timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {}
    for line in done.stdout.splitlines():
        for name in ("oracle (highs)", "lp-relaxation (glop)", "lp-rounding start",
                     "scip cold", "scip core start", "scip oracle start"):
            if line.startswith(name):
                rows[name] = line[len(name):].split()
    assert len(rows) == 6, done.stdout
    assert rows["oracle (highs)"][1] == "optimal"
    assert rows["lp-relaxation (glop)"][1] == "lp-optimal"
    assert rows["lp-rounding start"][1] == "verified"
    assert (rows["scip cold"][1] == rows["scip core start"][1]
            == rows["scip oracle start"][1] == "optimal"), done.stdout

    def value(row: list[str]) -> float:
        return float(row[2].replace(",", ""))

    oracle, warm = value(rows["oracle (highs)"]), value(rows["scip oracle start"])
    assert warm >= oracle * (1 - 1e-3), done.stdout
    assert value(rows["lp-rounding start"]) <= float(rows["lp-relaxation (glop)"][3]
                                                     .replace(",", ""))


def test_policies_quick_prints_each_policy_and_its_stages():
    """policies.py --quick prints a line per instance and policy (the command's wall
    time, status and gap) and under it one line per stage, as summary.json gives them."""
    done = run("policies.py", "--quick", "--policy-list", "maxmin", "lexicographic",
               "--time-limit", "5", timeout=150)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("2 cores") or "load average" in lines[0], lines[0]
    header = next(line.split() for line in lines if line.startswith("instance"))
    assert header == ["instance", "policy", "limit_s", "wall_s", "ratio", "status", "gap_%"]
    stage_line = re.compile(r"^    stage (?P<name>.+?) +(?P<backend>scip|highs|cpsat|cbc) +"
                            r"(?P<status>optimal|feasible) +(?P<wall>[0-9.]+) s  gap_% +"
                            r"(?P<gap>[0-9.]*)$")
    rows: dict[tuple[str, str], list[re.Match]] = {}
    current = None
    for line in lines:
        cells = line.split()
        if line.startswith("    stage ") and current is not None:
            match = stage_line.match(line)
            assert match, line
            rows[current].append(match)
        elif len(cells) >= 7 and cells[1] in ("maxmin", "lexicographic"):
            current = (cells[0], cells[1])
            assert float(cells[2]) == 5 and float(cells[3]) > 0, line
            if cells[5] == "exit":  # nothing found within the limit: no summary, no stages
                assert "nothing was written" in line, line
                current = None
                continue
            assert cells[5] in ("optimal", "feasible"), line
            assert float(cells[6]) >= 0, line
            rows[current] = []
    printed = [tuple(line.split()[:2]) for line in lines
               if line.split()[:1] in (["small-s0"], ["korea-2025"])]
    assert set(printed) == {(i, p) for i in ("small-s0", "korea-2025")
                            for p in ("maxmin", "lexicographic")}, done.stdout
    assert rows, done.stdout
    for (instance, policy), stages in rows.items():
        assert stages, f"{instance} {policy}: no stage lines\n{done.stdout}"
        names = [m["name"] for m in stages]
        if policy == "maxmin":
            assert names[0] == "maxmin level 1" and names[-1] == "weighted value", names
        else:
            assert names == ["untiered"], names


def test_serve_times_changes_through_a_real_server():
    """serve.py starts `allocopt serve` on Korea, makes changes through its API and
    prints a row per change: a verified allocation's time, the re-solve's, its gap."""
    done = run("serve.py", "--changes", "2", "--time-limit", "10", timeout=200)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if " deliveries x" in line]
    assert len(rows) == 2, done.stdout
    for row in rows:
        first, whole, status, gap = row.split()[-4:]
        assert 0 <= float(first) <= float(whole)
        assert status in ("optimal", "feasible") and float(gap) >= 0
    assert "server peak RSS" in done.stdout.splitlines()[-1]
