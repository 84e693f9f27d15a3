"""Decomposition for the largest instances: parts solved in parallel, then repaired.

Resource-directive decomposition, as POP (Narayanan et al., SOSP 2021) does for cluster
schedulers: the projects are partitioned into K parts; every shared resource (GPUs per
type, site and period, site power, the budget lines, procurement quotas) is split among
the parts in proportion to what the full model's LP relaxation gives each part's
projects; each part is solved as an ordinary instance, in parallel. No part's share of
anything exceeds the whole, so the union of the parts' allocations keeps every rule:

    capacity  Σ_k held_k[g,s,t] ≤ Σ_k (C_k[g,s,t] + bought_k[g,s,≤t]) ≤ supply + bought
    power     Σ_k draw_k[s,t] ≤ Σ_k P_k[s] ≤ P[s];  budgets and quotas likewise
    shares    A_area,k ≥ min_share · A_k in every part  ⇒  the same for Σ_k (max alike)
    links     depends_on and excludes never cross parts (connected components stay together)

The shares are computed in `allocopt.solving.decompose.split`. The union is verified on the full
instance, then handed as a starting solution to one short solve of the full model (the
repair), and the better verified allocation is kept. Its gap is reported against the
full model's LP relaxation bound, which bounds the optimum of the full model.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import replace
from typing import Any

import numpy as np

from allocopt.backends import SolveOptions, choose_backend, get_backend
from allocopt.clock import share
from allocopt.errors import DecompositionError, SolverAbandoned, VerificationError
from allocopt.instance import Instance
from allocopt.instance.schema import Objective
from allocopt.model import Program, build_program
from allocopt.model.decode import decode, trim_purchases
from allocopt.solution import Purchase, Solution
from allocopt.solving.decompose.split import Part, split_instance
from allocopt.status import Status, relative_gap


def partition(instance: Instance, parts: int) -> list[tuple[int, ...]]:
    """Project indices in `parts` groups (fewer when there are fewer linked groups).

    Projects linked by depends_on or excludes, directly or not, stay together; these
    connected components are sorted by their first member's (area, −score, id) and dealt
    round-robin, so every part gets a similar mix of areas and of merit."""
    projects = instance.projects
    parent = list(range(len(projects)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index = instance.project_index
    for i, p in enumerate(projects):
        for other in (*p.depends_on, *p.excludes):
            a, b = root(i), root(index[other])
            parent[max(a, b)] = min(a, b)
    components: dict[int, list[int]] = defaultdict(list)
    for i in range(len(projects)):
        components[root(i)].append(i)

    def key(i: int) -> tuple:
        return projects[i].area, -projects[i].score, projects[i].id

    ordered = sorted(components.values(), key=lambda c: min(key(i) for i in c))
    groups: list[list[int]] = [[] for _ in range(max(1, min(parts, len(ordered))))]
    for r, component in enumerate(ordered):
        groups[r % len(groups)].extend(component)
    return [tuple(sorted(g)) for g in groups]


def lp_relaxation(program: Program) -> tuple[Status, float | None, np.ndarray | None, str]:
    """(status, bound, column values, solver) of the program's LP relaxation: HiGHS when
    installed, else GLOP's dual simplex (benchmarks/README.md has both timed)."""
    from allocopt.backends.relaxation import relax

    result = relax(program, prefer="highs")
    return result.status, result.objective, result.values, result.backend


_cancel: Any = None  # in a worker process: the pool's shared stop event


def _init_worker(cancel: Any) -> None:
    """Workers leave Ctrl-C to the parent, which stops them through `cancel`."""
    global _cancel
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _cancel = cancel


def _solve_part(part: Part, backend: str, options: SolveOptions) -> Solution:
    from allocopt.solving.pipeline import solve

    if _cancel is None:
        return solve(part.instance, backend=backend, options=options, lp_bound=False)
    solution = solve(part.instance, backend=backend, options=replace(options, stop=_cancel),
                     lp_bound=False)
    solution.figures["peak_mib"] = _peak_mib()
    return solution


def _peak_mib() -> float | None:
    """This process's peak resident memory since it started its program (VmHWM; not
    getrusage, whose peak of a spawned worker includes its parent's size at the fork)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def solve_parts(parts: list[Part], backend: str, options: SolveOptions,
                workers: int) -> list[Solution]:
    """Every part's verified solution, in part order. `workers` > 1: that many `spawn`ed
    processes (a forked child would inherit HiGHS's thread pool unusable); a set
    `options.stop` stops them all. Only the stop event crosses to the workers: progress
    callbacks stay here."""
    local = replace(options, progress=None, hint=None)
    if workers <= 1 or len(parts) == 1:
        return [_solve_part(p, backend, local) for p in parts]
    ctx = multiprocessing.get_context("spawn")
    cancel = ctx.Event()
    remote = replace(local, stop=None)
    with ProcessPoolExecutor(max_workers=min(workers, len(parts)), mp_context=ctx,
                             initializer=_init_worker, initargs=(cancel,)) as pool:
        futures = [pool.submit(_solve_part, p, backend, remote) for p in parts]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            if options.stop is not None and options.stop.is_set():
                cancel.set()
        return [f.result() for f in futures]


def combine(instance: Instance, parts: list[Part], answers: list[Solution]) -> Solution:
    """The union of the parts' awards and purchases as one allocation of `instance` (its
    objective still to be set). A part with no allocation contributes nothing when that
    is allowed (no mandatory project); otherwise DecompositionError names it."""
    awards, bought = [], defaultdict(float)
    types = {}
    for part, answer in zip(parts, answers, strict=True):
        if not answer.status.has_solution:
            mandatory = [instance.projects[i].id for i in part.projects
                         if instance.projects[i].mandatory]
            if answer.status is Status.INFEASIBLE or mandatory:
                why = ("is infeasible" if answer.status is Status.INFEASIBLE
                       else f"found no allocation ({answer.status.value}) and holds "
                            f"mandatory project {mandatory[0]}")
                raise DecompositionError(
                    f"part {part.index + 1} of {len(parts)} ({len(part.projects)} projects) "
                    f"{why} with its share of the resources; solve the instance whole or "
                    "with fewer parts")
            continue
        awards.extend(answer.awards)
        for b in answer.purchases:
            bought[(b.option, b.site, b.period)] += b.units
            types[b.option] = b.gpu_type
    order = instance.project_index
    awards.sort(key=lambda a: order[a.project])
    purchases = [Purchase(o, types[o], s, t, units) for (o, s, t), units in bought.items()]
    return Solution(status=Status.FEASIBLE, objective=None, bound=None, gap=None, backend="",
                    wall_s=0.0, awards=awards,
                    purchases=trim_purchases(instance, awards, purchases))


def solve_decomposed(instance: Instance, parts: int, backend: str = "scip",
                     options: SolveOptions | None = None, workers: int = 2,
                     polish_time_s: float | None = None,
                     budget_s: float | None = None) -> Solution:
    """Solve `instance` (weighted value) as `parts` sub-problems, then repair.

    Every part is solved with `options` (its time limit is per part; with a deadline,
    the parts share half of the time left and the repair the rest) on `workers`
    processes (1: in this process). The union of their allocations, verified, seeds one
    solve of the full model limited to `polish_time_s` (default: options.time_limit_s;
    0: no repair), or to what is left of `budget_s` seconds since the call began when
    that is less. `bound` and `lp_bound` are the full model's LP relaxation bound and
    `gap` is measured against it; the status is OPTIMAL only when that gap is within
    options.gap. `figures["decomposition"]` holds the parts, their answers and times.
    Raises DecompositionError when a part has no allocation (see `combine`)."""
    from allocopt.numerics import coefficient_warnings
    from allocopt.solving.pipeline import solve
    from allocopt.solving.starts.warmstart import hint_from_solution
    from allocopt.verify import verify

    options = options or SolveOptions()
    if instance.spec.policy.objective is not Objective.WEIGHTED:
        raise DecompositionError("decomposition serves the weighted policy only, not "
                                 f"{instance.spec.policy.objective.value}")
    if parts < 1:
        raise ValueError("parts must be at least 1")
    started = time.perf_counter()
    program = build_program(instance)
    build_s = time.perf_counter() - started
    if len(program.columns) == 0:
        return solve(instance, backend=backend, options=options)
    lp_status, lp_bound, lp_values, lp_solver = lp_relaxation(program)
    lp_s = time.perf_counter() - started - build_s
    backend = choose_backend(backend, len(program.columns),
                             bool(program.columns.integer.all()), weighted=True)
    if lp_status is Status.INFEASIBLE:  # no relaxed allocation: no allocation at all
        return Solution(Status.INFEASIBLE, None, None, None, backend,
                        time.perf_counter() - started, build_s=build_s,
                        message="the LP relaxation is infeasible",
                        policy={"name": Objective.WEIGHTED.value, "parameters": {}})
    if lp_values is None:
        raise DecompositionError(f"the LP relaxation failed ({lp_solver}: {lp_status.value})")
    mark = time.perf_counter()
    groups = partition(instance, parts)
    pieces, handed = split_instance(instance, groups, program, lp_values)
    split_s = time.perf_counter() - mark
    answers = solve_parts(pieces, backend, _parts_share(options, len(pieces), workers),
                          workers)
    parts_s = time.perf_counter() - mark - split_s

    combined = combine(instance, pieces, answers)
    hint = hint_from_solution(instance, program, combined)
    combined.objective = float(program.columns.objective @ hint)
    violations = verify(instance, combined)
    if violations:
        raise VerificationError("the parts' combined allocation breaks rules:\n"
                                + "\n".join(str(v) for v in violations))
    best, polish = combined, _polish(instance, program, backend, options, hint, polish_time_s,
                                     budget_s, started, combined.objective)
    if polish.get("solution") is not None:
        best = polish.pop("solution")
    polish.pop("solution", None)

    objective = best.objective
    gap = relative_gap(objective, lp_bound)
    stopped = options.stop is not None and options.stop.is_set()
    status = Status.OPTIMAL if gap is not None and gap <= options.gap else Status.FEASIBLE
    wall_s = time.perf_counter() - started
    figures = {
        "parts": len(pieces), "requested_parts": parts,
        "workers": 1 if workers <= 1 else min(workers, len(pieces)),
        "backend": backend, "build_s": round(build_s, 3),
        "lp": {"solver": lp_solver, "wall_s": round(lp_s, 3), "bound": lp_bound},
        "split_s": round(split_s, 3), "handed_out": handed,
        "parts_wall_s": round(parts_s, 3),
        "part_results": [
            {"part": p.index + 1, "projects": len(p.projects), "status": a.status.value,
             "objective": a.objective, "bound": a.bound, "gap": a.gap,
             "funded": len(a.awards), "wall_s": round(a.wall_s, 3),
             "peak_mib": a.figures.get("peak_mib")}
            for p, a in zip(pieces, answers, strict=True)],
        "combined_objective": combined.objective,
        "combined_gap": relative_gap(combined.objective, lp_bound),
        "polish": polish, "wall_s": round(wall_s, 3)}
    return Solution(status=status, objective=objective, bound=lp_bound, gap=gap,
                    backend=backend, wall_s=wall_s, awards=best.awards,
                    purchases=best.purchases, build_s=build_s, lp_bound=lp_bound,
                    message=f"decomposed into {len(pieces)} parts", interrupted=stopped,
                    warnings=coefficient_warnings(program),
                    policy={"name": Objective.WEIGHTED.value, "parameters": {}},
                    figures={"decomposition": figures})


def _parts_share(options: SolveOptions, parts: int, workers: int) -> SolveOptions:
    """With a deadline (a whole command's time limit), the parts take half of the time
    left, split between the rounds in which `workers` processes solve them, and the
    repair the other half; without one, every part has the whole time limit."""
    phase = share(options, 1, 2)
    left = phase.remaining_s()
    if left is None:
        return options
    rounds = -(-parts // max(1, min(workers, parts)))
    limit = left / rounds
    if options.time_limit_s is not None:
        limit = min(limit, options.time_limit_s)
    return replace(phase, time_limit_s=limit)


def _polish(instance: Instance, program: Program, backend: str, options: SolveOptions,
            hint: np.ndarray, polish_time_s: float | None, budget_s: float | None,
            started: float, combined: float) -> dict[str, Any]:
    """One solve of the full model from `hint`; its figures, with "solution" set to its
    verified allocation when that is worth more than `combined`."""
    from allocopt.verify import verify

    limit = options.time_limit_s if polish_time_s is None else polish_time_s
    if budget_s is not None and limit != 0:
        left = budget_s - (time.perf_counter() - started)
        limit = max(1.0, left if limit is None else min(limit, left))
    out: dict[str, Any] = {"time_limit_s": limit, "used": False}
    if limit == 0 or (options.stop is not None and options.stop.is_set()):
        out["skipped"] = True
        return out
    mark = time.perf_counter()
    try:
        result = get_backend(backend).solve(program, replace(options, time_limit_s=limit,
                                                             hint=hint))
    except SolverAbandoned as exc:
        out.update(skipped=True, message=str(exc))
        return out
    polished = decode(instance, program, result)
    out.update(wall_s=round(time.perf_counter() - mark, 3), status=result.status.value,
               objective=result.objective, bound=result.bound)
    if not polished.status.has_solution:
        return out
    violations = verify(instance, polished)
    if violations:
        out["rejected"] = f"{len(violations)} rule(s) broken, e.g. {violations[0]}"
        return out
    gain = polished.objective - combined
    out["gain"] = gain
    out["gain_share"] = gain / combined if combined else None
    if gain > 1e-9 * max(1.0, abs(combined)):
        out["used"] = True
        out["solution"] = polished
    return out
