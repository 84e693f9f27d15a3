"""What the time to a proven gap is made of: finding the allocation, or proving the bound.

    python benchmarks/incumbent.py            # 2,000 projects, 10,000 GPUs, 8 types, 3 sites
    python benchmarks/incumbent.py --quick    # 300 projects, 3,000 GPUs, 6 types, 2 sites

On one seeded generated instance, each backend solves to `--gap` three times in the same
run: cold, as `allocopt solve` does; seeded with the LP-core start (`solve --start core`,
its own time counted); and warm-started with an *oracle* allocation, the best one a
longer solve found beforehand (`--oracle-gap`, `--oracle-limit`). The oracle row is
the floor that a perfect starting heuristic could bring that backend to: all the solver
has left to do is prove the bound. Between the cold row and the oracle row is the time
spent searching for an allocation good enough to prove the gap with. The LP-rounding
start (`solve --start lp`) is timed as well, with its value against the oracle's, and so
is the LP relaxation (GLOP), the least any solve takes.

Every allocation is verified by the library before it is counted.
"""

from __future__ import annotations

import argparse
import statistics
import time

from machine import describe  # benchmarks/machine.py, next to this script

import allocopt
from allocopt.backends import REGISTRY, SolveOptions
from allocopt.backends.glop import lp_relaxation_bound
from allocopt.instance.generator import generate
from allocopt.model import build_program
from allocopt.solving.starts.rounding import round_lp

SIZES = {"default": dict(projects=2000, gpus=10_000, types=8, sites=3, periods=12),
         "quick": dict(projects=300, gpus=3_000, types=6, sites=2, periods=12)}


def _row(name: str, seconds: float, status: str, objective: float | None,
         bound: float | None, oracle: float, note: str = "") -> str:
    def money(v: float | None) -> str:
        return "–" if v is None else f"{v:,.2f}"

    gap = ("–" if objective is None or bound is None
           else f"{100 * (bound - objective) / objective:.4f}")
    below = "–" if objective is None else f"{100 * (oracle - objective) / oracle:.4f}"
    return (f"{name:<22} {seconds:>8.2f} {status:<11} {money(objective):>14} {money(bound):>14} "
            f"{gap:>7} {below:>9}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backends", nargs="*", default=["cpsat", "highs", "scip"])
    parser.add_argument("--gap", type=float, default=1e-3)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--oracle-backend", default="highs")
    parser.add_argument("--oracle-gap", type=float, default=5e-4)
    parser.add_argument("--oracle-limit", type=float, default=300.0)
    args = parser.parse_args()
    size = SIZES["quick" if args.quick else "default"]
    if args.quick:
        args.time_limit = min(args.time_limit, 20.0)
        args.oracle_limit = min(args.oracle_limit, 30.0)
    backends = [b for b in args.backends if REGISTRY[b].version() is not None]
    oracle_backend = (args.oracle_backend if REGISTRY[args.oracle_backend].version()
                      else "scip")
    instance = allocopt.from_spec(generate(**size, seed=args.seed))
    print(f"# incumbent.py {'--quick' if args.quick else '--default'}: "
          + ", ".join(f"{v:,} {k}" for k, v in size.items())
          + f", seed {args.seed}; gap {args.gap}, limit {args.time_limit:g} s, "
          f"threads {args.threads}, repeat {args.repeat}")
    print("# " + describe(("ortools", "highspy")))

    started = time.perf_counter()
    oracle = allocopt.solve(instance, backend=oracle_backend, lp_bound=False,
                            options=SolveOptions(time_limit_s=args.oracle_limit,
                                                 gap=args.oracle_gap, threads=args.threads))
    if not oracle.status.has_solution:
        raise SystemExit(f"the oracle solve ({oracle_backend}) found no allocation")
    best = oracle.objective
    header = (f"{'contender':<22} {'time_s':>8} {'status':<11} {'objective':>14} "
              f"{'bound':>14} {'gap_%':>7} {'below_%':>9}  note")
    print(header)
    print(_row(f"oracle ({oracle_backend})", time.perf_counter() - started, oracle.status.value,
               best, oracle.bound, best, f"gap asked {args.oracle_gap}; its allocation "
               "is the warm start below"))
    program = build_program(instance)
    started = time.perf_counter()
    lp = lp_relaxation_bound(program)
    print(_row("lp-relaxation (glop)", time.perf_counter() - started, "lp-optimal", None, lp,
               best, f"root gap to the oracle {100 * (lp - best) / best:.4f} %"))
    rounded = round_lp(instance, program)
    print(_row("lp-rounding start", rounded.lp_s + rounded.rounding_s,
               "verified" if not rounded.violations else "violates", rounded.objective, lp,
               best, f"{rounded.lp_solves} LP solves (solve --start lp)"))

    options = SolveOptions(time_limit_s=args.time_limit, gap=args.gap, threads=args.threads)
    for backend in backends:
        for label, warm, start in (("cold", None, None), ("core start", None, "core"),
                                   ("oracle start", oracle, None)):
            runs = [allocopt.solve(instance, backend=backend, options=options, warm_start=warm,
                                   start=start, lp_bound=False) for _ in range(args.repeat)]
            runs.sort(key=_seconds)
            middle = runs[len(runs) // 2]
            notes = []
            if args.repeat > 1:
                notes.append(f"runs: {', '.join(f'{_seconds(s):.1f}' for s in runs)} s")
            seeded = middle.figures.get("start")
            if seeded is not None:
                worth = "nothing" if seeded["objective"] is None else f"{seeded['objective']:,.2f}"
                notes.append(f"start {seeded['seconds']:.1f} s + solve {middle.wall_s:.1f} s, "
                             f"start worth {worth}")
            note = "; ".join(notes)
            print(_row(f"{backend} {label}", statistics.median(_seconds(s) for s in runs),
                       middle.status.value, middle.objective, middle.bound, best, note),
                  flush=True)
    print("# time_s: the backend's wall time, with the core start's own time where there is "
          "one (build excluded; the oracle row: its whole solve); below_%: how far the "
          "allocation is below the oracle's.")


def _seconds(solution: allocopt.Solution) -> float:
    """The backend's wall time plus, for a seeded start, the start's own."""
    start = solution.figures.get("start")
    return solution.wall_s + (start["seconds"] if start else 0.0)


if __name__ == "__main__":
    main()
