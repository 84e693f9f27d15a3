"""Multi-stage policies within their time limit: whole `allocopt solve` commands.

    python benchmarks/policies.py --quick           # small generated + korea-2025, short limits
    python benchmarks/policies.py                   # korea-2025 60 s, export shock, national 300 s
    python benchmarks/policies.py --stage-backends  # max-min stages on every backend

Each policy runs as a user runs it (`python -m allocopt solve FILE --policy NAME
--time-limit S --out DIR`, in a subprocess: load, build, every stage, LP bound,
verification and writing included). Printed per run: the command's wall time against
its limit, the answer's status and gap, and from summary.json each stage's backend,
status, time and gap (the robust policy: its `time` stages). With `--repeat N` the wall
time is the median of N runs and the other columns are the last run's.

`--stage-backends` times, in this process, three max-min stages of korea-2025 and a
national instance on each backend asked for, at `--time-limit` (default 60 s) and the
default gap: level 1 from nothing, level 2 and the final weighted-value stage each from
the allocation before it, every earlier level kept: the measurement behind `auto`'s
choice per stage (allocopt/backends/__init__.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe

ROOT = Path(__file__).resolve().parent.parent
KOREA = ROOT / "instances" / "korea-2025.yaml"
SHOCK = ROOT / "instances" / "korea-2025-export-shock.yaml"
STAGED = ("weighted", "maxmin", "proportional", "lexicographic", "least-cost")
NATIONAL = ("--projects", "2000", "--gpus", "10000", "--types", "8", "--sites", "3",
            "--periods", "12", "--seed", "0")
SMALL = ("--projects", "120", "--gpus", "1500", "--types", "4", "--sites", "2",
         "--periods", "6", "--seed", "0")


def allocopt(*args: str) -> list[str]:
    return [sys.executable, "-m", "allocopt", *args]


def generate(folder: Path, name: str, shape: tuple[str, ...]) -> Path:
    path = folder / f"{name}.json"
    subprocess.run(allocopt("generate", *shape, "--out", str(path)), check=True,
                   capture_output=True)
    return path


def run(path: Path, policy: str, limit_s: float, out: Path) -> dict:
    """One whole command: its wall time, exit code and summary.json (when written)."""
    started = time.monotonic()
    done = subprocess.run(allocopt("solve", str(path), "--policy", policy, "--out", str(out),
                                   "--time-limit", f"{limit_s:g}"),
                          capture_output=True, text=True)
    wall = time.monotonic() - started
    summary = out / "summary.json"
    info = json.loads(summary.read_text()) if done.returncode == 0 and summary.exists() else {}
    return {"wall_s": wall, "code": done.returncode, "summary": info,
            "error": done.stderr.strip().splitlines()[-1:] if done.returncode else []}


def percent(gap: float | None) -> str:
    return "" if gap is None else f"{100 * gap:.4f}"


HEADER = (f"{'instance':<24} {'policy':<14} {'limit_s':>7} {'wall_s':>7} {'ratio':>6} "
          f"{'status':<9} {'gap_%':>8}")


def print_row(label: str, policy: str, limit_s: float, rows: list[dict]) -> None:
    """The command's line, then one indented line per stage."""
    walls = [r["wall_s"] for r in rows]
    wall = statistics.median(walls)
    last = rows[-1]
    summary = last["summary"]
    status = summary.get("status", f"exit {last['code']}")
    runs = "" if len(rows) == 1 else "  runs " + " ".join(f"{w:.1f}" for w in walls)
    print(f"{label:<24} {policy:<14} {limit_s:>7.0f} {wall:>7.1f} {wall / limit_s:>6.2f} "
          f"{status:<9} {percent(summary.get('gap')):>8}{runs}"
          f"{'  ' + ' '.join(last['error']) if last['error'] else ''}", flush=True)
    stages = summary.get("policy", {}).get("stages")
    if stages:
        for s in stages:
            print(f"    stage {s['name']:<22} {s.get('backend', ''):<6} {s['status']:<9} "
                  f"{s['wall_s']:>7.1f} s  gap_% {percent(s.get('gap')):>8}", flush=True)
    elif summary:
        said = ", ".join(f"{s['stage']} {s['s']:.1f}" for s in summary.get("time", {})
                         .get("stages", []))
        print(f"    time {said}", flush=True)


def time_policies(plan: list[tuple[str, Path, tuple[str, ...], float]], repeat: int,
                  folder: Path) -> None:
    print(HEADER)
    for label, path, policies, limit_s in plan:
        for policy in policies:
            rows = [run(path, policy, limit_s, folder / f"{label}-{policy}-{k}")
                    for k in range(repeat)]
            print_row(label, policy, limit_s, rows)


def stage_backends(backends: list[str], limit_s: float, folder: Path,
                   only: list[str] | None = None) -> None:
    """Three stages of the max-min policy, per backend: level 1 from nothing, level 2
    and the final weighted-value stage from the allocation before them (every earlier
    level kept at what HiGHS reached, as `allocopt solve` keeps them)."""
    from dataclasses import replace

    from allocopt import load_instance
    from allocopt.backends import REGISTRY, SolveOptions, get_backend
    from allocopt.clock import with_deadline
    from allocopt.model import build_program
    from allocopt.policies.fairness import maxmin_levels
    from allocopt.policies.stages import Stage, keep_row, solve_stages

    print(f"{'instance':<12} {'stage':<16} {'backend':<7} {'columns':>7} {'solve_s':>8} "
          f"{'status':<9} {'objective':>16} {'bound':>16} {'gap_%':>8}")
    for label in only or ("korea-2025", "national"):
        path = KOREA if label == "korea-2025" else generate(folder, "national-s0", NATIONAL)
        instance = load_instance(path).with_objective("maxmin")
        base = build_program(instance)
        program, levels, _, polish = maxmin_levels(instance, base,
                                                   instance.spec.policy.fairness)
        final = Stage("weighted value", base.columns.objective.copy())
        options = SolveOptions(time_limit_s=limit_s)
        first = solve_stages(program, levels[:1], "highs", options, polish)
        second = program_with(keep_row(levels[0], program, first.stages[0].objective),
                              levels[1])
        # Every level within one deadline, shared as `allocopt solve` shares it.
        every = solve_stages(program, levels, "highs", with_deadline(
            replace(options, time_limit_s=limit_s * len(levels)), time.monotonic()), polish)
        kept = keep_row(levels[-1], every.program, every.stages[-1].objective)
        cases = (("level 1", program_with(program, levels[0]), None),
                 ("level 2", second, first.result.values),
                 ("weighted value", program_with(kept, final), every.result.values))
        for name, prog, hint in cases:
            for backend in backends:
                if REGISTRY[backend].version() is None:
                    continue
                started = time.perf_counter()
                try:
                    r = get_backend(backend).solve(prog, replace(options, hint=hint))
                except Exception as exc:  # a backend that refuses the shape says why
                    print(f"{label:<12} {name:<16} {backend:<7} refused: {exc}"[:100])
                    continue
                wall = time.perf_counter() - started
                print(f"{label:<12} {name:<16} {backend:<7} {len(prog.columns):>7} "
                      f"{wall:>8.1f} {r.status.value:<9} {fmt(r.objective):>16} "
                      f"{fmt(r.bound):>16} {percent(r.gap):>8}", flush=True)


def fmt(value: float | None) -> str:
    return "" if value is None else f"{value:,.4f}"


def program_with(program, stage):
    from allocopt.policies.extend import padded, with_objective

    return with_objective(program, padded(stage.vector, program), stage.maximize)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--stage-backends", action="store_true")
    parser.add_argument("--backends", nargs="*", default=["scip", "highs", "cpsat", "cbc"])
    parser.add_argument("--policy-list", nargs="*",
                        help="Only these policies (default: every one the run covers).")
    parser.add_argument("--time-limit", type=float,
                        help="One limit for every run (default: 60 s korea-2025, 300 s "
                             "national; --quick: 10 s and 20 s).")
    parser.add_argument("--national-limit", type=float, default=300.0)
    parser.add_argument("--only", nargs="*", choices=("korea-2025", "national"),
                        help="--stage-backends on these instances only.")
    parser.add_argument("--no-national", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(describe(("ortools", "highspy", "pulp")) + "; "
          + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), flush=True)

    def chosen(policies: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(p for p in policies if args.policy_list is None or p in args.policy_list)

    with tempfile.TemporaryDirectory(prefix="allocopt-policies-") as tmp:
        folder = Path(tmp)
        if args.stage_backends:
            stage_backends(args.backends, args.time_limit or 60.0, folder, args.only)
            return
        if args.quick:
            small = generate(folder, "small-s0", SMALL)
            plan = [("small-s0", small, chosen(STAGED), args.time_limit or 10.0),
                    ("korea-2025", KOREA, chosen(("maxmin", "proportional", "lexicographic")),
                     args.time_limit or 20.0)]
        else:
            plan = [("korea-2025", KOREA, chosen(STAGED), args.time_limit or 60.0),
                    ("korea-2025-export-shock", SHOCK, chosen(("robust",)),
                     args.time_limit or 60.0)]
            if not args.no_national:
                national = generate(folder, "national-s0", NATIONAL)
                plan.append(("national-s0", national, chosen(("maxmin", "lexicographic")),
                             args.time_limit or args.national_limit))
        time_policies(plan, args.repeat, folder)


if __name__ == "__main__":
    main()
