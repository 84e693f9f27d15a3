"""Gavel's max-sum-throughput and max-min-fairness LPs in CVXPY, and as allocopt instances.

    python benchmarks/gavel.py             # 2,000 jobs x 8 GPU types, both policies
    python benchmarks/gavel.py --quick     # 100 jobs x 4 GPU types
    python benchmarks/gavel.py --jobs 500 --types 6 --repeat 5 --solvers CLARABEL HIGHS
    python benchmarks/gavel.py --policies max-min-fairness --jobs 16 128 2048

Gavel (Narayanan et al., OSDI 2020; stanford-futuredata/gavel, scheduler/policies/)
allocates time shares X[j,g] ≥ 0 of GPU type g to job j, with Σ_g X[j,g] ≤ 1 per job
(scale factor 1) and Σ_j X[j,g] ≤ N_g per type, for a throughput matrix T:

- max-sum-throughput (`max_sum_throughput.py`, `ThroughputNormalizedByCostSumWithPerfSLOs`
  without costs or SLOs): maximise Σ_j Σ_g T[j,g] · X[j,g];
- max-min-fairness (`max_min_fairness.py`, `MaxMinFairnessPolicyWithPerf`): maximise
  min_j Σ_g T[j,g] · X[j,g] / (w_j · P_j), each job's throughput against P_j, its
  throughput under Gavel's `ProportionalPolicy` (each job 1/m of every type, scaled so
  a job's shares sum to 1: X = N_g / N), with priority weights w_j = 1. Gavel's newest
  `MaxMinFairnessPolicyWithPerf` normalises by an "isolated" allocation that is itself
  the optimum of a degenerate LP (max-min with every throughput 1), so its P_j depends
  on which optimal vertex a solver returns; the proportional normalisation, which
  Gavel's water-filling max-min policy uses, is unique, and is the one here.

This script writes each LP in CVXPY the way Gavel writes it and solves it with the
solvers named (default CLARABEL and HIGHS; Gavel's own default, ECOS, no longer ships
with CVXPY), and writes the same problem as an allocopt instance: one period, one site
hosting every type, supply N_g per type, each job an elastic project with `types` =
all, `efficiency` = {g: T[j,g]}, `max_units: 1` (raw GPUs: the time share), `max_gpus`
large, `min_gpus` 1e-6 (it must be > 0), score 1, one area of weight 1,
`granularity: fractional`. Max-sum-throughput is allocopt's `weighted` policy; max-min
fairness is its `maxmin` policy across projects (`fairness: {across: projects, levels:
1, then_value: false}`): a project's satisfaction is its performance-equivalent GPUs
(Σ_g T[j,g] X[j,g]) over its whole request on the supply's average GPU (max_units 1 ×
Σ_g N_g/N · T[j,g] = P_j). Both are solved with allocopt's SCIP (default) and HiGHS
backends at gap 1e-9 (the default 1e-4 could not meet the check below).

It asserts that every optimum equals the first CVXPY solver's within 1e-6 relative, and
prints one line per policy starting "EQUAL:" when they do (exit 1 and "NOT EQUAL:"
otherwise), with median times over `--repeat` runs and their ratio.

What the times hold. CVXPY: build_s is writing the Variable, objective, constraints and
Problem; solve_s is `Problem.solve` (CVXPY's compilation plus the solver), solver_s the
solver's own time. allocopt: build_s is the validated instance (InstanceSpec and
from_spec) plus `build_program`; solve_s is the backend's wall time (every stage);
total_s is build_s plus the whole `allocopt.solve` call (decoding and the independent
verification too). allocopt's model is not Gavel's LP: `min_gpus > 0` gives each job a
binary "funded" column (a funded elastic project must hold GPUs), so allocopt solves a
MILP with one binary per job; its LP relaxation is Gavel's LP.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

MIN_GPUS = 1e-6
TOLERANCE = 1e-6


def throughputs(jobs: int, types: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded lognormal throughput matrix T[j,g] (a job factor × a type speed × noise,
    all > 0) and a cluster N_g of about one GPU per two jobs, so GPUs are contended."""
    rng = np.random.default_rng(seed)
    speed = np.sort(rng.lognormal(0.0, 0.6, size=types))
    job = rng.lognormal(0.0, 1.0, size=jobs)
    t = job[:, None] * speed[None, :] * rng.lognormal(0.0, 0.3, size=(jobs, types))
    share = rng.dirichlet(np.full(types, 4.0))
    workers = np.maximum(1, np.round(share * max(types, jobs // 2))).astype(int)
    return t, workers


POLICIES = ("max-sum-throughput", "max-min-fairness")


def proportional_throughputs(t: np.ndarray, workers: np.ndarray) -> np.ndarray:
    """Gavel's ProportionalPolicy.get_throughputs with every scale factor 1: each job
    1/m of every type, divided by the largest row sum, then T · X row by row."""
    m, _ = t.shape
    x = np.tile(workers / m, (m, 1))
    x = x / x.sum(axis=1).max()
    return np.sum(t * x, axis=1)


def gavel_cvxpy(t: np.ndarray, workers: np.ndarray, solver: str, policy: str) -> dict:
    """Gavel's policy LP without costs, SLOs or packing: the same variables, objective and
    base constraints, written the same way."""
    import cvxpy as cp

    started = time.perf_counter()
    m, n = t.shape
    scale_factors_array = np.ones((m, n))
    x = cp.Variable(t.shape)
    if policy == "max-sum-throughput":
        instance_costs_array = np.ones((1, n))
        objective = cp.Maximize(cp.sum(cp.sum(cp.multiply(t / instance_costs_array, x),
                                              axis=1)))
    else:
        priority_weights = np.ones(m)  # 1 / w_j, w_j = 1
        priority_weights = priority_weights.reshape((m, 1)) / proportional_throughputs(
            t, workers).reshape((m, 1))
        objective = cp.Maximize(cp.min(cp.sum(cp.multiply(
            np.multiply(t * priority_weights, scale_factors_array), x), axis=1)))
    constraints = [
        x >= 0,
        cp.sum(cp.multiply(scale_factors_array, x), axis=0) <= workers,
        cp.sum(x, axis=1) <= 1,
    ]
    problem = cp.Problem(objective, constraints)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    problem.solve(solver=solver)
    solve_s = time.perf_counter() - started
    if problem.status != "optimal":
        raise SystemExit(f"CVXPY {solver} ({policy}): status {problem.status}")
    return {"objective": float(problem.value), "build_s": build_s, "solve_s": solve_s,
            "solver_s": problem.solver_stats.solve_time, "status": problem.status,
            "size": f"{m * n:,} vars, {m + n:,} rows"}


def allocopt_instance(t: np.ndarray, workers: np.ndarray, policy: str):
    """The same cluster and jobs as an allocopt instance (see the module docstring)."""
    import allocopt
    from allocopt.instance.schema import InstanceSpec

    m, n = t.shape
    types = [f"G{g}" for g in range(n)]
    settings: dict = {"granularity": "fractional"}
    if policy == "max-min-fairness":
        settings |= {"objective": "maxmin", "fairness": {
            "across": "projects", "levels": 1, "then_value": False}}
    spec = InstanceSpec.model_validate({
        "name": f"gavel-{m}x{n}",
        "periods": ["round"],
        "gpu_types": [{"id": g} for g in types],
        "sites": [{"id": "cluster", "power_mw": 0.0}],
        "supply": [{"type": g, "site": "cluster", "period": "round", "units": int(k)}
                   for g, k in zip(types, workers, strict=True)],
        "areas": [{"id": "jobs", "weight": 1.0}],
        "projects": [{"id": f"job{j}", "area": "jobs", "score": 1.0, "request": {"elastic": {
            "min_gpus": MIN_GPUS, "max_gpus": 1e9, "types": types, "max_units": 1,
            "efficiency": {g: float(t[j, k]) for k, g in enumerate(types)}}}}
            for j in range(m)],
        "policy": settings,
    })
    return allocopt.from_spec(spec)


def gavel_allocopt(t: np.ndarray, workers: np.ndarray, backend: str, threads: int,
                   policy: str) -> dict:
    import allocopt
    from allocopt.backends import SolveOptions
    from allocopt.model import build_program

    started = time.perf_counter()
    instance = allocopt_instance(t, workers, policy)
    instance_s = time.perf_counter() - started
    started = time.perf_counter()
    solution = allocopt.solve(instance, backend=backend, lp_bound=False,
                              options=SolveOptions(gap=1e-9, threads=threads))
    total_s = instance_s + time.perf_counter() - started
    if solution.status.value != "optimal":
        raise SystemExit(f"allocopt {backend} ({policy}): status {solution.status.value}")
    program = build_program(instance)
    binaries = int(program.columns.integer.sum())
    extra = " + the policy's columns and rows" if policy == "max-min-fairness" else ""
    return {"objective": solution.objective, "build_s": instance_s + solution.build_s,
            "solve_s": solution.wall_s, "total_s": total_s, "status": solution.status.value,
            "size": f"{len(program.columns):,} vars ({binaries:,} binary), "
                    f"{program.num_rows:,} rows{extra}"}


def median_run(runs: list[dict]) -> dict:
    out = dict(runs[0])
    for key in ("build_s", "solve_s", "solver_s", "total_s"):
        if key in out:
            out[key] = statistics.median(r[key] for r in runs)
    out["objective"] = runs[0]["objective"]
    if len({r["objective"] for r in runs}) > 1:
        out["spread"] = max(r["objective"] for r in runs) - min(r["objective"] for r in runs)
    return out


def compare(t: np.ndarray, workers: np.ndarray, policy: str, solvers: list[str],
            args: argparse.Namespace) -> float:
    """Print one policy's table; the largest relative difference from the reference."""
    rows: dict[str, dict] = {}
    for solver in solvers:
        rows[f"cvxpy-{solver}"] = median_run([gavel_cvxpy(t, workers, solver, policy)
                                              for _ in range(args.repeat)])
    for backend in args.backends:
        rows[f"allocopt-{backend}"] = median_run([gavel_allocopt(t, workers, backend,
                                                                 args.threads, policy)
                                                  for _ in range(args.repeat)])
    reference_name = f"cvxpy-{solvers[0]}"
    reference = rows[reference_name]
    ref_total = reference["build_s"] + reference["solve_s"]
    m, n = t.shape
    print(f"## {policy}: {m:,} jobs x {n} GPU types, {int(workers.sum()):,} GPUs")
    print(f"{'contender':<16} {'objective':>20} {'rel_diff':>9} {'build_s':>8} {'solve_s':>8} "
          f"{'solver_s':>8} {'total_s':>8} {'total_x':>8} {'solve_x':>8}  model")
    worst = 0.0
    for name, r in rows.items():
        rel = abs(r["objective"] - reference["objective"]) / max(1e-9, abs(reference["objective"]))
        worst = max(worst, rel)
        total = r.get("total_s", r["build_s"] + r["solve_s"])
        solver_s = f"{r['solver_s']:.3f}" if "solver_s" in r else "–"
        print(f"{name:<16} {r['objective']:>20.9f} {rel:>9.1e} {r['build_s']:>8.3f} "
              f"{r['solve_s']:>8.3f} {solver_s:>8} {total:>8.3f} {total / ref_total:>8.2f} "
              f"{r['solve_s'] / reference['solve_s']:>8.2f}  {r['size']}", flush=True)
    allocopt_rows = [k for k in rows if k.startswith("allocopt-")]
    cvxpy_rows = [k for k in rows if k.startswith("cvxpy-")]
    if worst > TOLERANCE:
        print(f"NOT EQUAL: {policy}, max relative difference {worst:.3e} > {TOLERANCE:g} "
              f"({m} jobs x {n} types, seed {args.seed}); objectives: "
              + ", ".join(f"{k} {r['objective']!r}" for k, r in rows.items()))
    else:
        print(f"EQUAL: {policy}, {m} jobs: allocopt optimum == CVXPY optimum within "
              f"{TOLERANCE:g} relative (max relative difference {worst:.1e}; "
              f"{', '.join(allocopt_rows)} vs {', '.join(cvxpy_rows)})")
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 jobs x 4 types")
    parser.add_argument("--jobs", type=int, nargs="*", help="one or more job counts")
    parser.add_argument("--types", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--policies", nargs="*", choices=POLICIES, default=list(POLICIES))
    parser.add_argument("--solvers", nargs="*", default=["CLARABEL", "HIGHS"],
                        help="CVXPY solvers; the first is the reference")
    parser.add_argument("--backends", nargs="*", default=["scip", "highs"])
    args = parser.parse_args()
    try:
        import cvxpy
    except ImportError:
        raise SystemExit("cvxpy is not installed: pip install 'cvxpy>=1.9'") from None
    job_counts = args.jobs or [100 if args.quick else 2000]
    types = args.types or (4 if args.quick else 8)
    solvers = [s for s in args.solvers if s in cvxpy.installed_solvers()]
    if not solvers:
        raise SystemExit(f"none of {args.solvers} is installed; CVXPY has "
                         f"{cvxpy.installed_solvers()}")
    print(f"# gavel.py: {', '.join(f'{j:,}' for j in job_counts)} jobs x {types} GPU types, "
          f"seed {args.seed}, median of {args.repeat} runs; policies {', '.join(args.policies)}")
    print(f"# python {sys.version.split()[0]}, cvxpy {cvxpy.__version__}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    worst = 0.0
    for jobs in job_counts:
        t, workers = throughputs(jobs, types, args.seed)
        print(f"# {jobs:,} jobs: N_g = {workers.tolist()}")
        for policy in args.policies:
            worst = max(worst, compare(t, workers, policy, solvers, args))
    print("# _x: this row / the first CVXPY row (total: build + solve, allocopt's total also "
          "decodes and verifies; solve: Problem.solve vs the backend's wall time).")
    if worst > TOLERANCE:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
