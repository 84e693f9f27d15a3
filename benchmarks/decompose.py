"""The full model against the decomposition, on the same generated instance and budget.

    python benchmarks/decompose.py --quick   # 300 projects, 3,000 GPUs, 20 s: about a minute
    python benchmarks/decompose.py           # 2,000 projects, 10,000 GPUs, 8 types, 120 s
    python benchmarks/decompose.py --large   # 20,000 projects, 100,000 GPUs, 10 types, 300 s

In this one process, one after the other: the LP relaxation of allocopt's model (HiGHS,
which the decomposition uses, and GLOP, which `solve` reports as `lp_bound`); the full
model (`allocopt.solve`, SCIP, time limit T); and `solve_decomposed` with K parts on W
worker processes, given the full model's measured wall time as its budget: each part a
`--part-share` of what is left after building and the LP (divided by the ceil(K/W)
rounds of parts), the repair the rest. Every allocation is verified. The decomposition's
union of parts before the repair is shown on its own row.

Columns: model size, build, LP and solve time, total wall time, status, objective, the
LP relaxation bound and the gap to it, peak resident memory of this process during the
row (`resource.getrusage`, after resetting the high-water mark through
/proc/self/clear_refs where Linux allows) and of the largest worker process (its own
VmHWM: getrusage's peak of a spawned child counts its parent's size at the fork), and
ratios to the full model.
"""

from __future__ import annotations

import argparse
import math
import resource
import time

from machine import describe  # benchmarks/machine.py, next to this script

SIZES = {
    "quick": dict(projects=300, gpus=3000, types=4, sites=2, periods=12),
    "default": dict(projects=2000, gpus=10_000, types=8, sites=3, periods=12),
    "large": dict(projects=20_000, gpus=100_000, types=10, sites=8, periods=12),
}
LIMITS = {"quick": 20.0, "default": 120.0, "large": 300.0}
PARTS = {"quick": 4, "default": 4, "large": 4}


def reset_peak() -> bool:
    """Lower the process's peak-memory mark to its current size (Linux ≥ 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def machine() -> str:
    return describe(("ortools", "highspy"))


def lp_rows(program, build_s: float) -> tuple[list[dict], float, float]:
    """One row per LP solver; (rows, HiGHS LP bound, HiGHS LP time)."""
    from allocopt.backends.glop import lp_relaxation_bound
    from allocopt.solving.decompose.decompose import lp_relaxation

    rows = []
    reset_peak()
    started = time.perf_counter()
    status, bound, _, solver = lp_relaxation(program)
    lp_s = time.perf_counter() - started
    rows.append(dict(name=f"lp-{solver}", build_s=build_s, lp_s=lp_s, total_s=build_s + lp_s,
                     status=f"lp-{status.value}", lp_bound=bound, peak=peak_mib(),
                     note="the LP the decomposition splits resources by"))
    reset_peak()
    started = time.perf_counter()
    glop = lp_relaxation_bound(program)
    glop_s = time.perf_counter() - started
    rows.append(dict(name="lp-glop", build_s=build_s, lp_s=glop_s, total_s=build_s + glop_s,
                     status="lp-optimal" if glop is not None else "lp-failed", lp_bound=glop,
                     peak=peak_mib(), note="what `solve` reports as lp_bound"))
    return rows, bound, lp_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true")
    size.add_argument("--large", action="store_true")
    parser.add_argument("--time-limit", type=float, help="T: the full model's limit")
    parser.add_argument("--parts", type=int, help="K")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--part-share", type=float, default=0.5,
                        help="share of the budget left after build and LP for the parts")
    parser.add_argument("--gap", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    kind = "quick" if args.quick else "large" if args.large else "default"
    limit = args.time_limit or LIMITS[kind]
    parts = args.parts or PARTS[kind]
    cfg = SIZES[kind]

    import allocopt
    from allocopt.backends import SolveOptions
    from allocopt.instance.generator import generate
    from allocopt.model import build_program
    from allocopt.solving.decompose.decompose import solve_decomposed

    print(f"# decompose.py --{kind}: {cfg['projects']:,} projects, {cfg['gpus']:,} GPUs, "
          f"{cfg['types']} types, {cfg['sites']} sites, {cfg['periods']} periods, seed "
          f"{args.seed}; full model: SCIP, limit {limit:g} s, gap {args.gap:g}; decomposition: "
          f"{parts} parts on {args.workers} workers, part share {args.part_share:g}")
    print(f"# {machine()}; {time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    started = time.perf_counter()
    instance = allocopt.from_spec(generate(seed=args.seed, **cfg))
    generate_s = time.perf_counter() - started
    started = time.perf_counter()
    program = build_program(instance)
    build_s = time.perf_counter() - started
    size_note = f"{len(program.columns):,} x {program.num_rows:,}"
    rows, lp_bound, lp_s = lp_rows(program, build_s)
    del program

    reset_peak()
    started = time.perf_counter()
    full = allocopt.solve(instance, options=SolveOptions(time_limit_s=limit, gap=args.gap),
                          lp_bound=False)
    full_total = time.perf_counter() - started
    assert full.verify(instance) == []
    rows.append(dict(name="full-scip", build_s=full.build_s, solve_s=full.wall_s,
                     total_s=full_total, status=full.status.value, objective=full.objective,
                     lp_bound=lp_bound, peak=peak_mib(),
                     note=f"own bound {full.bound:,.2f}" if full.bound is not None else ""))

    rounds = math.ceil(parts / max(1, args.workers))
    spawn_s = 3.0 if args.workers > 1 else 0.0  # start the workers, import, pickle parts
    part_limit = max(1.0, args.part_share * (full_total - build_s - lp_s - spawn_s) / rounds)
    reset_peak()
    started = time.perf_counter()
    dec = solve_decomposed(instance, parts, options=SolveOptions(time_limit_s=part_limit,
                                                                 gap=args.gap),
                           workers=args.workers, polish_time_s=full_total, budget_s=full_total)
    dec_total = time.perf_counter() - started
    assert dec.verify(instance) == []
    fig = dec.figures["decomposition"]
    polish = fig["polish"]
    worker_peaks = [p["peak_mib"] for p in fig["part_results"] if p.get("peak_mib")]
    workers_peak = max(worker_peaks) if worker_peaks else None
    rows.append(dict(name=f"parts-only-{parts}", build_s=fig["build_s"], lp_s=fig["lp"]["wall_s"],
                     solve_s=fig["parts_wall_s"],
                     total_s=fig["build_s"] + fig["lp"]["wall_s"] + fig["split_s"]
                     + fig["parts_wall_s"], status="feasible",
                     objective=fig["combined_objective"], lp_bound=lp_bound,
                     note=f"union of the parts, before the repair (part limit {part_limit:.1f} s)"))
    rows.append(dict(name=f"decomposed-{parts}", build_s=fig["build_s"],
                     lp_s=fig["lp"]["wall_s"],
                     solve_s=fig["parts_wall_s"] + polish.get("wall_s", 0.0), total_s=dec_total,
                     status=dec.status.value, objective=dec.objective, lp_bound=dec.bound,
                     peak=peak_mib(), workers_peak=workers_peak,
                     note=f"repair {polish.get('wall_s', 0):.1f} s: +{polish.get('gain') or 0:,.2f}"
                          f"{'' if polish.get('used') else ' (not used)'}"))

    print(f"# instance generated in {generate_s:.1f} s; model {size_note} (columns x rows)")
    header = (f"{'contender':<15} {'build_s':>7} {'lp_s':>7} {'solve_s':>8} {'total_s':>8} "
              f"{'status':<11} {'objective':>15} {'lp_bound':>15} {'gap_lp_%':>8} "
              f"{'peak_MiB':>8} {'wrk_MiB':>7} {'obj_x':>6} {'gap_x':>6} {'time_x':>6} "
              f"{'mem_x':>6}  note")
    print(header)
    base = rows[2]
    for r in rows:
        gap = (None if r.get("objective") is None or not r.get("lp_bound")
               else (r["lp_bound"] - r["objective"]) / r["objective"] if r["objective"] else
               math.inf)
        r["gap"] = gap
        print(f"{r['name']:<15} {_f(r.get('build_s'), 2):>7} {_f(r.get('lp_s'), 2):>7} "
              f"{_f(r.get('solve_s'), 2):>8} {_f(r.get('total_s'), 2):>8} {r['status']:<11} "
              f"{_f(r.get('objective'), 2, ','):>15} {_f(r.get('lp_bound'), 2, ','):>15} "
              f"{_f(None if gap is None else 100 * gap, 4):>8} {_f(r.get('peak'), 0):>8} "
              f"{_f(r.get('workers_peak'), 0):>7} "
              f"{_ratio(r.get('objective'), base.get('objective')):>6} "
              f"{_ratio(gap, base.get('gap')):>6} {_ratio(r.get('total_s'), base['total_s']):>6} "
              f"{_ratio(r.get('peak'), base.get('peak')):>6}  {r.get('note', '')}")
    print("# gap_lp: (LP bound - objective) / objective; _x: this row / full-scip; "
          "wrk_MiB: the largest worker's peak (W workers run at once)")
    results = fig["part_results"]
    gaps = [None if p["gap"] is None else round(100 * p["gap"], 3) for p in results]
    print(f"# parts: {[p['projects'] for p in results]} projects; their own gaps {gaps} %; "
          f"times {[p['wall_s'] for p in results]} s")
    print(f"# handed out: {', '.join(f'{k} {v:.4f}' for k, v in fig['handed_out'].items())}")
    print(f"# repair: limit {polish.get('time_limit_s')}, status {polish.get('status')}, "
          f"own bound {polish.get('bound')}, gain {polish.get('gain')}, used {polish.get('used')}")


def _f(x: float | None, digits: int, sep: str = "") -> str:
    if x is None:
        return "–"
    if math.isinf(x):
        return "inf"
    return f"{x:{sep}.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or not b or math.isinf(a) or math.isinf(b):
        return "–"
    return f"{a / b:.2f}"


if __name__ == "__main__":
    main()
