"""`allocopt solve FILE` with no options against every backend named, in one run.

    python benchmarks/defaults.py                 # three national instances, 3 runs each
    python benchmarks/defaults.py --quick         # two small instances, one run, seconds
    python benchmarks/defaults.py --instances instances/korea-2025.yaml   # given files
    python benchmarks/defaults.py --policies instances/korea-2025.yaml --time-limit 60

The first form generates national instances (2,000 projects, 10,000 GPUs, 8 types,
3 sites, 12 months; seeds 1-3) and times whole `allocopt solve` commands, as a user
runs them: the default (no flags) and `--backend NAME` for each backend, each to the
default gap, every allocation verified by the command itself. It prints each run's
median wall time, status and gap, and the default's time over the best backend's
(the goal: at most 1.5). `--instances FILE...` does the same on the files given.

`--policies FILE` instead runs every policy on FILE with `--time-limit`, and prints
each command's wall time against the limit (the promise: within 1.1 times it), with
the time each stage took from summary.json.
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
BACKENDS = ("scip", "highs", "cpsat", "cbc")
POLICIES = ("weighted", "maxmin", "proportional", "lexicographic", "least-cost", "robust")
NATIONAL = ("--projects", "2000", "--gpus", "10000", "--types", "8", "--sites", "3",
            "--periods", "12")
QUICK = ("--projects", "150", "--gpus", "2000", "--types", "4", "--sites", "2",
         "--periods", "6")


def allocopt(*args: str) -> list[str]:
    return [sys.executable, "-m", "allocopt", *args]


def run(args: list[str], out: Path) -> dict:
    """One whole command: its wall time, exit code and summary.json (when written)."""
    started = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True)
    wall = time.monotonic() - started
    summary = out / "summary.json"
    info = json.loads(summary.read_text()) if done.returncode == 0 else {}
    return {"wall_s": wall, "code": done.returncode, "summary": info,
            "error": done.stderr.strip().splitlines()[-1:] if done.returncode else []}


def generated(folder: Path, seeds: list[int], shape: tuple[str, ...]) -> list[Path]:
    paths = []
    for seed in seeds:
        path = folder / f"national-s{seed}.json"
        subprocess.run(allocopt("generate", *shape, "--seed", str(seed), "--out", str(path)),
                       check=True, capture_output=True)
        paths.append(path)
    return paths


def compare_defaults(args: argparse.Namespace, folder: Path) -> None:
    shape = QUICK if args.quick else NATIONAL
    files = ([Path(f) for f in args.instances] if args.instances
             else generated(folder, args.seeds, shape))
    contenders = [("default", [])] + [(b, ["--backend", b]) for b in args.backends]
    limit = ["--time-limit", str(args.time_limit)]
    print(f"{'instance':<24} {'run':<8} {'median_s':>9} {'runs_s':<26} {'status':<9} "
          f"{'gap_%':>7} {'chosen':<7}")
    ratios = []
    for path in files:
        medians: dict[str, float] = {}
        for name, extra in contenders:
            rows = []
            for k in range(args.repeat):
                out = folder / f"{path.stem}-{name}-{k}"
                rows.append(run(allocopt("solve", str(path), "--out", str(out), *limit,
                                         *extra), out))
            walls = [r["wall_s"] for r in rows]
            last = rows[-1]["summary"]
            proven = all(r["summary"].get("status") == "optimal" for r in rows)
            median = statistics.median(walls)
            if proven:
                medians[name] = median
            gap = last.get("gap")
            print(f"{path.stem:<24} {name:<8} {median:>9.1f} "
                  f"{' '.join(f'{w:.1f}' for w in walls):<26} "
                  f"{last.get('status', 'exit ' + str(rows[-1]['code'])):<9} "
                  f"{'' if gap is None else f'{100 * gap:.4f}':>7} "
                  f"{last.get('backend', ''):<7}", flush=True)
        best = min((v for k, v in medians.items() if k != "default"), default=None)
        if "default" in medians and best:
            ratios.append(medians["default"] / best)
            print(f"{path.stem:<24} default / best backend: {medians['default'] / best:.2f}")
    if ratios:
        print(f"default / best backend, per instance: {', '.join(f'{r:.2f}' for r in ratios)}"
              f" (goal: <= 1.5)")


def time_policies(args: argparse.Namespace, folder: Path) -> None:
    print(f"{'policy':<14} {'limit_s':>7} {'wall_s':>7} {'ratio':>6} {'status':<9} "
          f"{'gap_%':>8}  stages (s)")
    for policy in args.policy_list:
        out = folder / f"policy-{policy}"
        row = run(allocopt("solve", args.policies, "--policy", policy, "--out", str(out),
                           "--time-limit", str(args.time_limit)), out)
        summary = row["summary"]
        gap = summary.get("gap")
        stages = summary.get("time", {}).get("stages", [])
        said = ", ".join(f"{s['stage']} {s['s']:.1f}" for s in stages)
        print(f"{policy:<14} {args.time_limit:>7.0f} {row['wall_s']:>7.1f} "
              f"{row['wall_s'] / args.time_limit:>6.2f} "
              f"{summary.get('status', 'exit ' + str(row['code'])):<9} "
              f"{'' if gap is None else f'{100 * gap:.4f}':>8}  {said or row['error']}",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="*", default=list(BACKENDS))
    parser.add_argument("--seeds", nargs="*", type=int, default=[1, 2, 3])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--instances", nargs="*", metavar="FILE",
                        help="Compare on these instance files instead of generated ones.")
    parser.add_argument("--policies", metavar="FILE",
                        help="Time every policy on FILE under --time-limit instead.")
    parser.add_argument("--policy-list", nargs="*", default=list(POLICIES))
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.seeds, args.time_limit = 1, args.seeds[:2], min(args.time_limit, 60)
    print(describe(("ortools", "highspy", "pulp")))
    with tempfile.TemporaryDirectory(prefix="allocopt-defaults-") as tmp:
        if args.policies:
            time_policies(args, Path(tmp))
        else:
            compare_defaults(args, Path(tmp))


if __name__ == "__main__":
    main()
