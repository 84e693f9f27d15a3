"""allocopt against the model a user would otherwise write, on the same instances, in one run.

    python benchmarks/peers.py            # 2,000 projects, 10,000 GPUs, 8 types, 3 sites, 12 months
    python benchmarks/peers.py --quick    # 100 projects, 1,000 GPUs, 4 types, 2 sites, 6 months
    python benchmarks/peers.py --large    # 20,000 projects, 100,000 GPUs, 10 types, 5 sites
    python benchmarks/peers.py --tiny     # 20 projects: a smoke test (tests/test_benchmarks.py)

Every contender runs in a fresh child process on the same seeded instance
(`allocopt.instance.generator.generate`), one after the other, and the table gives for
each: model size, build time, solve time, status, objective, best bound, gap, peak
memory, and the ratios of build time, solve time, gap and objective to allocopt's
default (SCIP).

Contenders
----------
- `allocopt-default`: what `allocopt solve FILE --time-limit L --gap G --threads N`
  runs once the file is loaded: `run_policy` with `backend="auto"` and `start="auto"`
  and the command's deadline, so auto's choice, its seeded start (the LP-core start for
  national all-integer weighted models), the LP bound and verification are all in it.
  build_s is the build, solve_s everything else of that call: build_s + solve_s is the
  whole call's wall time (the file's loading and the folder's writing excluded).
- `allocopt-scip`, `allocopt-highs`, `allocopt-cpsat`: `allocopt.solve(instance, backend)` —
  build_s is the library's `build_program`, solve_s the backend's wall time (model
  hand-over included; a seeded start's own time excluded);
  every allocation is verified by the library before it is counted.
- `pulp-cbc`: the naive model below, written term by term in PuLP and solved by the CBC
  that PuLP bundles. Its status is CBC's own (the first line of CBC's solution file),
  not PuLP's, which says "Optimal" when CBC stopped on its time limit (SOLVER-NOTES.md);
  the bound is CBC's, read from its log. solve_s includes PuLP writing the model file
  and reading CBC's answer, as a PuLP user waits for both.
- `pywraplp-scip`: the same naive model written term by term with OR-Tools' pywraplp
  (linear expressions, `solver.Add`) and solved by its SCIP.
- `lp-limit`: one LP relaxation of allocopt's own model (GLOP, through
  `allocopt.backends.glop.lp_relaxation_bound`): the time a solve cannot beat and the
  bound no allocation can beat. It has no objective or gap.

The naive ("peer") model
------------------------
What a modeller writes straight from the rules, per project × type × site × period:
- `x[p,g,s,t]` integer GPUs of type g at site s in period t, for every type p can use,
  every site hosting it and every period of p's window (continuous under
  `granularity: fractional`); bounds: the largest bundle's count, or
  floor(max_gpus / efficiency) and max_units for elastic requests.
- `start[p,τ]` binary per feasible start; Σ_τ start ≤ 1 (= 1 if mandatory) is the
  funding decision; "p runs in t" is on[p,t] = Σ_{τ ≤ t < τ+d} start[p,τ] (a contiguous
  run of the project's duration inside its window).
- Configurations: `sel[p,c]` binary with Σ_c sel[p,c] = Σ_τ start[p,τ]; `y[p,c,t]`
  binary per configuration and period with Σ_c y[p,c,t] = on[p,t] and y ≤ sel; and
  per type, Σ_s x[p,g,s,t] = Σ_c n[c,g] · y[p,c,t] — each month's usage equals the
  chosen bundle.
- Elastic: min_gpus · on[p,t] ≤ Σ_{g,s} eff[p,g] · x[p,g,s,t] ≤ max_gpus · on[p,t] and
  Σ_{g,s} x ≤ max_units · on[p,t], every month.
- Capacity per type, site and month (deliveries to date plus units bought to date);
  power per site and month; procurement: integer units bought per option, site and
  arrival month from the earliest one, within the quota; budget (capex, public opex,
  total, as set); dependencies in the aggregated precedence form; exclusions
  (Σ start[p] + Σ start[q] ≤ 1); area minimum and maximum shares of performance-
  equivalent GPU-periods (perf for bundles, efficiency for elastic requests) over the
  horizon, as the instance defines them (`--peer-shares monthly` writes one row per
  month instead, the "monthly shares" of SOLVER-NOTES' naive model, a different rule).
- Objective: the same weighted value as allocopt — Σ_p area weight × score × value ×
  max(0, 1 − late_start_penalty × periods late), with value = the chosen configuration's
  value, or Σ_t Σ_g eff · x (performance-equivalent GPU-periods) for elastic requests.
  The late-start factor multiplies a variable value by the start choice; the peer
  linearises it the usual way: u[p,τ] ≥ 0, u[p,τ] ≤ M_p · start[p,τ], Σ_τ u[p,τ] ≤ value_p,
  objective Σ weight · factor(τ) · u[p,τ] (M_p: the largest value p can reach). Projects
  whose every start keeps the full value get weight · value directly.

What the peer admits that allocopt forbids (so the peer's optimum is ≥ allocopt's and
its bound is also a bound on allocopt's optimum): an elastic project's GPUs may change
from month to month (size and types), a project's GPUs may be split across sites and
move between them, and a bundle may be split across sites. allocopt awards one site and
one steady allocation for the whole run (DESIGN.md §2). Every allocation allocopt may
return is feasible in the peer with the same objective value (`--check` embeds
allocopt's answer in the peer to confirm it; tests/test_benchmarks.py runs it). The
`unsteady` count in the notes says how many of the peer's funded projects use that
freedom. The peer supports `gpu` and `fractional` granularity and configurations whose
duration is the project's; anything else raises (the generator makes neither).

Peer builds are abandoned when they take longer than `--build-limit` (default: the time
limit) and reported as such, with how many projects were written by then.

Memory
------
peak_MiB is the peak resident set of the contender's process tree: the worker's own
peak (getrusage RUSAGE_SELF in the worker) plus the peak of its solver subprocess if it
has one (CBC; RUSAGE_CHILDREN in the worker), a sum of peaks and so an upper bound on
their concurrent peak. In-process solvers (SCIP, HiGHS, GLOP) have no subprocess.
base_MiB is the worker's peak after generating the instance, before any contender
work: the floor every row shares. Each worker is a fresh process reaped with wait4,
so no contender's peak leaks into another's (RUSAGE_CHILDREN in this parent would
report the largest child so far, not the latest).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from machine import describe  # benchmarks/machine.py, next to this script

SIZES: dict[str, dict[str, Any]] = {
    "tiny": {"projects": 20, "gpus": 200, "types": 3, "sites": 2, "periods": 4,
             "time_limit": 10.0},
    "quick": {"projects": 100, "gpus": 1000, "types": 4, "sites": 2, "periods": 6,
              "time_limit": 20.0},
    "default": {"projects": 2000, "gpus": 10_000, "types": 8, "sites": 3, "periods": 12,
                "time_limit": 120.0},
    "large": {"projects": 20_000, "gpus": 100_000, "types": 10, "sites": 5, "periods": 12,
              "time_limit": 120.0},
}
ALLOCOPT = ("allocopt-default", "allocopt-scip", "allocopt-highs", "allocopt-cpsat")
PEERS = ("pulp-cbc", "pywraplp-scip")
CONTENDERS = (*ALLOCOPT, *PEERS, "lp-limit")
BASELINE = "allocopt-scip"
# `--seeds`: the default command against the naive peer, seed by seed.
SEEDS_CONTENDERS = ("allocopt-default", "pulp-cbc")


# ---------------------------------------------------------------------------------------
# The naive model, written through a small adapter so PuLP and pywraplp get the same
# terms; each adapter builds its library's own expression objects term by term.


class BuildTimeout(RuntimeError):
    """The peer build ran past its limit."""

    def __init__(self, done: int, total: int, elapsed: float):
        super().__init__(f"build abandoned after {elapsed:.0f} s: {done} of {total} projects")
        self.done, self.total, self.elapsed = done, total, elapsed


class PulpApi:
    """Term-by-term PuLP: one LpVariable per variable, lpSum of coefficient × variable."""

    def __init__(self) -> None:
        import pulp

        self.pulp = pulp
        self.prob = pulp.LpProblem("naive", pulp.LpMaximize)
        self._new = getattr(self.prob, "add_variable", pulp.LpVariable)
        self._cat = {"bin": pulp.LpBinary, "int": pulp.LpInteger, "cont": pulp.LpContinuous}
        self.n_vars = self.n_rows = 0

    def var(self, name: str, lb: float, ub: float, kind: str):
        self.n_vars += 1
        if kind == "bin":
            return self._new(name, 0, 1, self._cat["bin"])
        return self._new(name, lb, ub, self._cat[kind])

    def expr(self, terms):
        return self.pulp.lpSum(c * v for c, v in terms)

    def add(self, terms, sense: str, rhs: float) -> None:
        e = self.expr(terms)
        self.n_rows += 1
        if sense == "<=":
            self.prob += e <= rhs
        elif sense == ">=":
            self.prob += e >= rhs
        else:
            self.prob += e == rhs

    def maximize(self, terms) -> None:
        self.prob += self.expr(terms)

    @staticmethod
    def value(v) -> float:
        return v.varValue or 0.0


class PywraplpApi:
    """Term-by-term OR-Tools pywraplp (SCIP): solver.Sum of coefficient × variable."""

    def __init__(self) -> None:
        from ortools.linear_solver import pywraplp

        self.solver = pywraplp.Solver.CreateSolver("SCIP")
        self.n_vars = self.n_rows = 0

    def var(self, name: str, lb: float, ub: float, kind: str):
        self.n_vars += 1
        if kind == "bin":
            return self.solver.BoolVar(name)
        if kind == "int":
            return self.solver.IntVar(lb, ub, name)
        return self.solver.NumVar(lb, ub, name)

    def expr(self, terms):
        return self.solver.Sum([c * v for c, v in terms])

    def add(self, terms, sense: str, rhs: float) -> None:
        e = self.expr(terms)
        self.n_rows += 1
        if sense == "<=":
            self.solver.Add(e <= rhs)
        elif sense == ">=":
            self.solver.Add(e >= rhs)
        else:
            self.solver.Add(e == rhs)

    def maximize(self, terms) -> None:
        self.solver.Maximize(self.expr(terms))

    @staticmethod
    def value(v) -> float:
        return v.solution_value()


@dataclass
class NaiveModel:
    """Handles the checks need: GPUs, starts, the value terms and weights per project."""

    api: Any
    x: dict[tuple[int, int, int, int], Any] = field(default_factory=dict)
    starts: dict[int, dict[int, Any]] = field(default_factory=dict)
    value_terms: dict[int, list] = field(default_factory=dict)
    weight: dict[int, float] = field(default_factory=dict)
    factor: dict[int, dict[int, float]] = field(default_factory=dict)
    duration: dict[int, int] = field(default_factory=dict)


def build_naive(instance, api, deadline: float | None = None,
                shares: str = "horizon") -> NaiveModel:
    """Write the naive per-project × type × site × period model of `instance` into `api`."""
    from allocopt.instance.schema import Granularity

    spec = instance.spec
    gran = spec.policy.granularity
    if gran is Granularity.NODE:
        raise NotImplementedError("the peer model writes gpu and fractional granularity only")
    size_kind = "cont" if gran is Granularity.FRACTIONAL else "int"
    types, sites = spec.gpu_types, spec.sites
    perf = [g.perf for g in types]
    opex = [g.opex_per_period for g in types]
    kw = [[g.power_kw * s.pue for s in sites] for g in types]
    hosting = [[s for s in range(len(sites)) if instance.hosts[s, g]] for g in range(len(types))]
    cofund = instance.partner_cofunding
    n_t = len(instance.periods)
    model = NaiveModel(api=api)
    capacity: dict[tuple[int, int, int], list] = defaultdict(list)
    power: dict[tuple[int, int], list] = defaultdict(list)
    measured: list[tuple[int, int, float, Any]] = []  # project, period, perf-eq coef, x
    opex_terms: list = []
    objective: list = []
    began = time.perf_counter()

    def gpus(p: int, g: int, s: int, t: int, ub: float, share_coef: float, public: float):
        v = api.var(f"x_{p}_{g}_{s}_{t}", 0, ub, size_kind)
        model.x[p, g, s, t] = v
        capacity[g, s, t].append((1.0, v))
        if kw[g][s] > 0:
            power[s, t].append((kw[g][s], v))
        measured.append((p, t, share_coef, v))
        if opex[g] * public > 0:
            opex_terms.append((opex[g] * public, v))
        return v

    def in_time(done: int) -> None:
        if deadline is not None and time.perf_counter() > deadline:
            raise BuildTimeout(done, len(spec.projects), time.perf_counter() - began)

    for p, project in enumerate(spec.projects):
        in_time(p)
        first, last = instance.window(project)
        d = project.window.duration
        request = project.request
        if request.configurations is not None and any(
                instance.duration(project, c) != d for c in request.configurations):
            raise NotImplementedError("configurations with their own duration")
        public = 1.0 - cofund.get(project.partner, 0.0) if project.partner else 1.0
        taus = list(range(first, last - d + 2))
        start = {tau: api.var(f"start_{p}_{tau}", 0, 1, "bin") for tau in taus}
        model.starts[p], model.duration[p] = start, d
        api.add([(1.0, v) for v in start.values()], "==" if project.mandatory else "<=", 1.0)
        on = {t: [v for tau, v in start.items() if tau <= t < tau + d]
              for t in range(first, last + 1)}
        if request.configurations is not None:
            configs = request.configurations
            sel = [api.var(f"sel_{p}_{c}", 0, 1, "bin") for c in range(len(configs))]
            api.add([(1.0, v) for v in sel] + [(-1.0, v) for v in start.values()], "==", 0.0)
            counts = [{instance.type_index[g]: n for g, n in c.gpus.items()} for c in configs]
            need = sorted({g for bundle in counts for g in bundle})
            for t, running in on.items():
                if not running:
                    continue
                y = [api.var(f"y_{p}_{c}_{t}", 0, 1, "bin") for c in range(len(configs))]
                api.add([(1.0, v) for v in y] + [(-1.0, v) for v in running], "==", 0.0)
                for yc, sc in zip(y, sel, strict=True):
                    api.add([(1.0, yc), (-1.0, sc)], "<=", 0.0)
                for g in need:
                    most = max(bundle.get(g, 0) for bundle in counts)
                    held = [(1.0, gpus(p, g, s, t, most, perf[g], public)) for s in hosting[g]]
                    api.add(held + [(-float(bundle[g]), yc)
                                    for bundle, yc in zip(counts, y, strict=True) if g in bundle],
                            "==", 0.0)
            values = []
            for c in configs:
                perf_gp = sum(n * perf[instance.type_index[g]] for g, n in c.gpus.items()) * d
                values.append(c.value if c.value is not None else perf_gp)
            model.value_terms[p] = [(float(val), v) for val, v in zip(values, sel, strict=True)]
            most_value = max(values)
        else:
            e = request.elastic
            usable = [instance.type_index[g] for g in e.types]
            eff = {g: e.efficiency.get(types[g].id, perf[g]) for g in usable}
            upper = {}
            for g in usable:
                ub = e.max_gpus / eff[g]
                if e.max_units is not None:
                    ub = min(ub, e.max_units)
                upper[g] = ub if size_kind == "cont" else math.floor(ub + 1e-9)
            terms = []
            for t, running in on.items():
                if not running:
                    continue
                held = [(eff[g], gpus(p, g, s, t, upper[g], eff[g], public))
                        for g in usable if upper[g] > 0 for s in hosting[g]]
                api.add(held + [(-e.min_gpus, v) for v in running], ">=", 0.0)
                api.add(held + [(-e.max_gpus, v) for v in running], "<=", 0.0)
                if e.max_units is not None:
                    api.add([(1.0, v) for _, v in held] + [(-e.max_units, v) for v in running],
                            "<=", 0.0)
                terms += held
            model.value_terms[p] = terms
            most_value = e.max_gpus * d
        weight = instance.area_weight[project.area] * project.score
        factor = {tau: instance.start_factor(project, tau) for tau in taus}
        model.weight[p], model.factor[p] = weight, factor
        if all(f == 1.0 for f in factor.values()):
            objective += [(weight * c, v) for c, v in model.value_terms[p]]
        elif taus:
            kept = []
            for tau, f in factor.items():
                if f <= 0:
                    continue
                u = api.var(f"u_{p}_{tau}", 0, most_value, "cont")
                api.add([(1.0, u), (-most_value, start[tau])], "<=", 0.0)
                kept.append((1.0, u))
                objective.append((weight * f, u))
            api.add(kept + [(-c, v) for c, v in model.value_terms[p]], "<=", 0.0)

    in_time(len(spec.projects))
    capex_terms: list = []
    bought: dict[tuple[int, int], list] = defaultdict(list)
    for o, option in enumerate(spec.procurement):
        g = instance.type_index[option.type]
        where = [instance.site_index[s] for s in option.sites] if option.sites else hosting[g]
        quota = []
        for t in range(instance.period_index[option.earliest_period], n_t):
            for s in where:
                b = api.var(f"buy_{o}_{s}_{t}", 0, option.max_units, "int")
                bought[g, s].append((t, b))
                quota.append((1.0, b))
                if option.price > 0:
                    capex_terms.append((option.price, b))
        if quota:
            api.add(quota, "<=", float(option.max_units))
    in_time(len(spec.projects))
    supply = instance.supply_cumulative
    for (g, s, t), terms in capacity.items():
        arrived = [(-1.0, b) for tb, b in bought.get((g, s), []) if tb <= t]
        api.add(terms + arrived, "<=", float(supply[g, s, t]))
    for (s, _), terms in power.items():
        api.add(terms, "<=", 1000.0 * sites[s].power_mw)

    in_time(len(spec.projects))
    index = instance.project_index
    for project in spec.projects:
        p = index[project.id]
        for other in project.depends_on:
            q = index[other]
            for t in model.starts[p]:
                mine = [(1.0, v) for tau, v in model.starts[p].items() if tau <= t]
                done = [(-1.0, v) for tau, v in model.starts[q].items()
                        if tau + model.duration[q] <= t]
                api.add(mine + done, "<=", 0.0)
    pairs = sorted({tuple(sorted((p.id, q))) for p in spec.projects for q in p.excludes})
    for a, b in pairs:
        both = list(model.starts[index[a]].values()) + list(model.starts[index[b]].values())
        api.add([(1.0, v) for v in both], "<=", 1.0)

    in_time(len(spec.projects))
    lineage = instance.area_lineage
    project_areas = [set(lineage[p.area]) for p in spec.projects]
    periods = [None] if shares == "horizon" else list(range(n_t))
    for area in spec.areas:
        for share, sense in ((area.min_share, ">="), (area.max_share, "<=")):
            if (sense == ">=" and share <= 0) or (sense == "<=" and share >= 1):
                continue
            for month in periods:
                terms = [((float(area.id in project_areas[p]) - share) * coef, v)
                         for p, t, coef, v in measured if month is None or t == month]
                if terms:
                    api.add(terms, sense, 0.0)

    in_time(len(spec.projects))
    budget = spec.policy.budget
    if budget.capex is not None and capex_terms:
        api.add(capex_terms, "<=", budget.capex)
    if budget.opex is not None and opex_terms:
        api.add(opex_terms, "<=", budget.opex)
    if budget.total is not None and (capex_terms or opex_terms):
        api.add(capex_terms + opex_terms, "<=", budget.total)
    api.maximize(objective)
    return model


def naive_objective(model: NaiveModel) -> float:
    """The weighted value of the peer's solution, recomputed from its variables."""
    value = model.api.value
    total = 0.0
    for p, start in model.starts.items():
        chosen = [tau for tau, v in start.items() if value(v) > 0.5]
        if chosen:
            worth = sum(c * value(v) for c, v in model.value_terms[p])
            total += model.weight[p] * model.factor[p][chosen[0]] * worth
    return total


def unsteady(model: NaiveModel) -> tuple[int, int]:
    """(funded projects whose GPUs change across months or sit at several sites, funded)."""
    value = model.api.value
    held: dict[int, dict[tuple[int, int], dict[int, float]]] = defaultdict(dict)
    for (p, g, s, t), v in model.x.items():
        amount = value(v)
        if abs(amount) > 1e-6:
            held[p].setdefault((g, s), {})[t] = amount
    funded = moving = 0
    for p, start in model.starts.items():
        chosen = [tau for tau, v in start.items() if value(v) > 0.5]
        if not chosen:
            continue
        funded += 1
        run = range(chosen[0], chosen[0] + model.duration[p])
        use = held.get(p, {})
        steady = len({s for _, s in use}) <= 1 and all(
            all(abs(by_t.get(t, 0.0) - by_t.get(run[0], 0.0)) <= 1e-6 for t in run)
            for by_t in use.values())
        moving += not steady
    return moving, funded


def embed(instance, solution, model: NaiveModel) -> None:
    """Fix a (pywraplp) peer model to an allocopt solution: its starts and GPUs per type,
    site and period; the rest (configuration choice, purchases, linearisation) stays free."""
    awards = {a.project: a for a in solution.awards}
    pi, ti, si = instance.period_index, instance.type_index, instance.site_index
    fixed: dict[tuple[int, int, int, int], float] = {}
    for p, project in enumerate(instance.projects):
        award = awards.get(project.id)
        for tau, v in model.starts[p].items():
            on = award is not None and pi[award.start] == tau
            v.SetBounds(float(on), float(on))
        if award is not None:
            for g, n in award.gpus.items():
                for t in range(pi[award.start], pi[award.end] + 1):
                    fixed[p, ti[g], si[award.site], t] = n
    for key, v in model.x.items():
        amount = fixed.pop(key, 0.0)
        v.SetBounds(amount, amount)
    if fixed:
        raise AssertionError(f"allocopt holds GPUs the peer has no variable for: {fixed}")


# ---------------------------------------------------------------------------------------
# Workers: one contender per fresh process.


def _maxrss_mib(who: int) -> float:
    import resource

    return resource.getrusage(who).ru_maxrss / 1024.0  # KiB on Linux


def _instance(cfg: dict):
    import allocopt
    from allocopt.instance.generator import generate

    spec = generate(projects=cfg["projects"], gpus=cfg["gpus"], types=cfg["types"],
                    sites=cfg["sites"], periods=cfg["periods"], seed=cfg["seed"])
    return allocopt.from_spec(spec)


def _run_allocopt(cfg: dict, instance, backend: str) -> dict:
    import allocopt
    from allocopt.backends import SolveOptions
    from allocopt.model import build_program

    options = SolveOptions(time_limit_s=cfg["time_limit"], gap=cfg["gap"],
                           threads=cfg["threads"])
    solution = allocopt.solve(instance, backend=backend, options=options, lp_bound=False)
    program = build_program(instance)  # sizes only, untimed
    note = f"verified; {len(solution.awards)} funded"
    if not solution.status.has_solution:
        note = f"no allocation ({solution.message})" if solution.message else "no allocation"
    elif not solution.awards:
        note = "verified; incumbent is the empty allocation (nothing funded)"
    return {"status": solution.status.value, "objective": solution.objective,
            "bound": solution.bound, "gap": solution.gap, "build_s": solution.build_s,
            "solve_s": solution.wall_s, "vars": len(program.columns),
            "rows": program.num_rows, "note": note}


def _run_default(cfg: dict, instance) -> dict:
    """The default command's solve (module docstring): auto backend and start, the
    command's deadline, the LP bound and verification, timed as one call."""
    from allocopt.backends import SolveOptions
    from allocopt.model import build_program
    from allocopt.solving.pipeline import run_policy

    started = time.monotonic()
    options = SolveOptions(time_limit_s=cfg["time_limit"], gap=cfg["gap"],
                           threads=cfg["threads"], deadline=started + cfg["time_limit"])
    solution = run_policy(instance, options=options)
    whole_s = time.monotonic() - started
    program = build_program(instance)  # sizes only, untimed
    stages = {s["stage"]: s["s"] for s in solution.figures["time"]["stages"]}
    start = solution.figures.get("start")
    note = (f"verified; {len(solution.awards)} funded; auto: {solution.backend}"
            + (f" + {start['method']} start {start['seconds']:.1f} s" if start else "")
            + f", its solve {stages.get('solve', 0.0):.1f} s")
    if not solution.status.has_solution:
        note = f"no allocation ({solution.message})" if solution.message else "no allocation"
    lp_gap = solution.root_gap
    if lp_gap is not None:
        note += f"; {100 * lp_gap:.3f} % below the LP bound"
    return {"status": solution.status.value, "objective": solution.objective,
            "bound": solution.bound, "gap": solution.gap, "build_s": solution.build_s,
            "solve_s": whole_s - solution.build_s, "vars": len(program.columns),
            "rows": program.num_rows, "lp_bound": solution.lp_bound, "note": note}


def _run_lp(cfg: dict, instance) -> dict:
    from allocopt.backends.glop import lp_relaxation_bound
    from allocopt.model import build_program

    started = time.perf_counter()
    program = build_program(instance)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    bound = lp_relaxation_bound(program)
    return {"status": "lp-optimal" if bound is not None else "lp-failed", "objective": None,
            "bound": bound, "gap": None, "build_s": build_s,
            "solve_s": time.perf_counter() - started, "vars": len(program.columns),
            "rows": program.num_rows,
            "note": "LP relaxation of allocopt's model (GLOP dual simplex, no time limit)"}


def _build_peer(cfg: dict, instance, api) -> tuple[NaiveModel | None, float, dict | None]:
    started = time.perf_counter()
    try:
        model = build_naive(instance, api, deadline=started + cfg["build_limit"],
                            shares=cfg["peer_shares"])
    except BuildTimeout as exc:
        return None, time.perf_counter() - started, {
            "status": "build>limit", "objective": None, "bound": None, "gap": None,
            "build_s": exc.elapsed, "solve_s": None, "vars": api.n_vars, "rows": api.n_rows,
            "note": f"build abandoned at {cfg['build_limit']:g} s: " + (
                f"{exc.done:,} of {exc.total:,} projects written" if exc.done < exc.total
                else "every project written, shared rows unfinished")}
    build_s = time.perf_counter() - started
    if cfg.get("progress"):  # what a killed worker still reports
        Path(cfg["progress"]).write_text(json.dumps(
            {"build_s": build_s, "vars": api.n_vars, "rows": api.n_rows}))
    return model, build_s, None


def _peer_note(model: NaiveModel, objective: float | None) -> str:
    if objective is None:
        return "relaxation of allocopt's rules (non-steady allowed)"
    if abs(objective) <= 1e-9:
        return "incumbent is the empty allocation (nothing funded)"
    moving, funded = unsteady(model)
    recomputed = naive_objective(model)
    note = f"relaxation; {moving} of {funded} funded unsteady"
    if abs(recomputed - objective) > 1e-6 * max(1.0, abs(objective)):
        note += f"; OBJECTIVE MISMATCH: recomputed {recomputed:.6f}"
    return note


def _run_pulp(cfg: dict, instance) -> dict:
    import pulp

    from allocopt.backends.base import Status, relative_gap
    from allocopt.backends.cbc import _bundled_cbc, _cbc_solver_class, _proven_bound, _status

    api = PulpApi()
    model, build_s, abandoned = _build_peer(cfg, instance, api)
    if abandoned:
        return abandoned
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="peers-cbc-") as tmp:
        log_path = Path(tmp) / "cbc.log"
        solver = _cbc_solver_class()(
            path=_bundled_cbc(), mip=True, msg=False, timeLimit=cfg["time_limit"],
            gapRel=cfg["gap"], threads=cfg["threads"] if cfg["threads"] > 1 else None,
            logPath=str(log_path))
        solver.tmpDir = tmp
        api.prob.solve(solver)
        log = log_path.read_text() if log_path.exists() else ""
    solve_s = time.perf_counter() - started
    status = _status(solver.status_line, True)
    objective = bound = None
    if status.has_solution:
        objective = float(pulp.value(api.prob.objective))
        bound = _proven_bound(log, True, objective, status, True, cfg["gap"])
    note = _peer_note(model, objective)
    if status is Status.NO_SOLUTION_FOUND:
        note = f"CBC: {solver.status_line}; PuLP said {pulp.LpStatus[api.prob.status]}"
    return {"status": status.value, "objective": objective, "bound": bound,
            "gap": relative_gap(objective, bound), "build_s": build_s, "solve_s": solve_s,
            "vars": api.n_vars, "rows": api.n_rows, "note": note}


def _run_pywraplp(cfg: dict, instance) -> dict:
    from ortools.linear_solver import pywraplp

    from allocopt.backends.base import relative_gap

    api = PywraplpApi()
    model, build_s, abandoned = _build_peer(cfg, instance, api)
    if abandoned:
        return abandoned
    solver = api.solver
    started = time.perf_counter()
    solver.SetTimeLimit(int(cfg["time_limit"] * 1000))
    solver.SetSolverSpecificParametersAsString(f"limits/gap = {cfg['gap']}\n")
    code = solver.Solve()
    solve_s = time.perf_counter() - started
    names = {pywraplp.Solver.OPTIMAL: "optimal", pywraplp.Solver.FEASIBLE: "feasible",
             pywraplp.Solver.INFEASIBLE: "infeasible", pywraplp.Solver.NOT_SOLVED:
             "no_solution_found"}
    status = names.get(code, "error")
    objective = bound = None
    if status in ("optimal", "feasible"):
        objective = float(solver.Objective().Value())
        bound = float(solver.Objective().BestBound())
    return {"status": status, "objective": objective, "bound": bound,
            "gap": relative_gap(objective, bound), "build_s": build_s, "solve_s": solve_s,
            "vars": solver.NumVariables(), "rows": solver.NumConstraints(),
            "note": _peer_note(model, objective)}


def worker(name: str, cfg: dict, result_path: str) -> None:
    import resource

    instance = _instance(cfg)
    base = _maxrss_mib(resource.RUSAGE_SELF)
    runners = {"allocopt-default": lambda: _run_default(cfg, instance),
               "allocopt-scip": lambda: _run_allocopt(cfg, instance, "scip"),
               "allocopt-highs": lambda: _run_allocopt(cfg, instance, "highs"),
               "allocopt-cpsat": lambda: _run_allocopt(cfg, instance, "cpsat"),
               "pulp-cbc": lambda: _run_pulp(cfg, instance),
               "pywraplp-scip": lambda: _run_pywraplp(cfg, instance),
               "lp-limit": lambda: _run_lp(cfg, instance)}
    out = runners[name]()
    out["base_mib"] = base
    out["self_mib"] = _maxrss_mib(resource.RUSAGE_SELF)
    out["sub_mib"] = _maxrss_mib(resource.RUSAGE_CHILDREN)
    Path(result_path).write_text(json.dumps(out))


# ---------------------------------------------------------------------------------------
# The parent: run the workers one by one, then print the table.


def run_contender(name: str, cfg: dict, kill_after: float, log_dir: Path) -> dict:
    result = log_dir / f"{name}.json"
    progress = log_dir / f"{name}.progress.json"
    cfg = {**cfg, "progress": str(progress)}
    log = (log_dir / f"{name}.log").open("w")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--worker", name,
         "--worker-config", json.dumps(cfg), "--worker-result", str(result)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    killed = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if not killed and time.perf_counter() - started > kill_after:
            os.killpg(proc.pid, signal.SIGKILL)  # the worker's own group: it and its CBC
            killed = True
        time.sleep(0.1)
    proc.returncode = os.waitstatus_to_exitcode(status)
    log.close()
    wall = time.perf_counter() - started
    if result.exists():
        out = json.loads(result.read_text())
    elif killed:
        out = {"status": "killed", "note": f"killed after {kill_after:g} s of wall time "
                                           f"(time limit {cfg['time_limit']:g} s)"}
        if progress.exists():
            out.update(json.loads(progress.read_text()))
            out["note"] += f", while solving; the model was built in {out['build_s']:.0f} s"
    else:
        tail = (log_dir / f"{name}.log").read_text().strip().splitlines()[-3:]
        out = {"status": "error", "note": f"exit {proc.returncode}: {' | '.join(tail)}"}
    # wait4: the largest single process of the worker's tree (KiB on Linux).
    out["tree_mib"] = usage.ru_maxrss / 1024.0
    out["wall_s"] = wall
    result.write_text(json.dumps(out))
    return out


def _fmt(value, spec: str, blank: str = "–") -> str:
    return blank if value is None else format(value, spec)


def _ratio(a, b) -> str:
    if a is None or b is None:
        return "–"
    if math.isinf(a) or math.isinf(b):
        return "1.00" if a == b else ("inf" if math.isinf(a) else "0.00")
    if b == 0:
        return "1.00" if a == 0 else "inf"
    return f"{a / b:.2f}"


def _gap(r: dict) -> float | None:
    """The relative gap, infinite when the incumbent is worth 0 and the bound is not."""
    if r.get("gap") is None:
        return None
    if abs(r.get("objective") or 0.0) <= 1e-9 and r["gap"] > 0:
        return math.inf
    return r["gap"]


def print_table(results: dict[str, dict]) -> None:
    base = results.get(BASELINE, {})
    header = (f"{'contender':<15} {'vars':>9} {'rows':>8} {'build_s':>8} {'solve_s':>8} "
              f"{'status':<17} {'objective':>14} {'bound':>14} {'gap_%':>8} {'peak_MiB':>8} "
              f"{'base_MiB':>8} {'build_x':>7} {'solve_x':>7} {'gap_x':>7} {'obj_x':>7} "
              f"{'mem_x':>6}  notes")
    print(header)
    for name, r in results.items():
        if r.get("bound") is not None and abs(r["bound"]) >= 1e20:
            # SCIP's "infinity": it stopped before a finite dual bound (root LP unfinished).
            r.update(bound=None, gap=None)
            r["note"] = r.get("note", "") + "; no finite bound (solver reported 1e+20)"
        peak = r.get("tree_mib")  # killed or failed workers: wait4's figure
        if "self_mib" in r:
            peak = r["self_mib"] + r["sub_mib"]
        r["peak_mib"] = peak
        gap = None if _gap(r) is None else 100 * _gap(r)
        print(f"{name:<15} {_fmt(r.get('vars'), ',d'):>9} {_fmt(r.get('rows'), ',d'):>8} "
              f"{_fmt(r.get('build_s'), '.2f'):>8} {_fmt(r.get('solve_s'), '.2f'):>8} "
              f"{r.get('status', '?'):<17} {_fmt(r.get('objective'), ',.2f'):>14} "
              f"{_fmt(r.get('bound'), ',.2f'):>14} {_fmt(gap, '.4f'):>8} "
              f"{_fmt(peak, ',.0f'):>8} {_fmt(r.get('base_mib'), ',.0f'):>8} "
              f"{_ratio(r.get('build_s'), base.get('build_s')):>7} "
              f"{_ratio(r.get('solve_s'), base.get('solve_s')):>7} "
              f"{_ratio(_gap(r), _gap(base)):>7} "
              f"{_ratio(r.get('objective'), base.get('objective')):>7} "
              f"{_ratio(peak, base.get('peak_mib')):>6}  {r.get('note', '')}", flush=True)


def machine() -> str:
    return describe(("ortools", "highspy", "pulp"))


def check_embedding(cfg: dict) -> str:
    """Solve with allocopt, fix the pywraplp peer to its allocation and re-solve: the peer
    must accept it with the same objective (the relaxation claim)."""
    import allocopt
    from allocopt.backends import SolveOptions

    instance = _instance(cfg)
    solution = allocopt.solve(instance, options=SolveOptions(
        time_limit_s=cfg["time_limit"], gap=cfg["gap"]), lp_bound=False)
    api = PywraplpApi()
    model = build_naive(instance, api, shares=cfg["peer_shares"])
    embed(instance, solution, model)
    from ortools.linear_solver import pywraplp

    code = api.solver.Solve()
    solved = code in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE)
    value = api.solver.Objective().Value() if solved else None
    if value is None or abs(value - solution.objective) > 1e-6 * max(1, abs(value)):
        raise SystemExit(f"EMBEDDING FAILED: allocopt {solution.objective}, peer {value} "
                         f"(pywraplp status {code})")
    return (f"EMBEDDING OK: allocopt's allocation is feasible in the peer model, objective "
            f"{solution.objective:,.6f} in both")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    for name in ("tiny", "quick", "large"):
        size.add_argument(f"--{name}", action="store_true", help=f"sizes: {SIZES[name]}")
    for key in ("projects", "gpus", "types", "sites", "periods"):
        parser.add_argument(f"--{key}", type=int, help="override the size's value")
    parser.add_argument("--time-limit", type=float, help="per solve, seconds")
    parser.add_argument("--build-limit", type=float,
                        help="peer builds are abandoned past this (default: the time limit)")
    parser.add_argument("--kill-after", type=float,
                        help="kill a worker after this wall time (default: 3 x limit + 300 s)")
    parser.add_argument("--gap", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=2)
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=0)
    seeds.add_argument("--seeds", type=int, nargs="+",
                       help="run every contender on each of these generator seeds, then "
                            "print allocopt-default's time over pulp-cbc's per seed and "
                            f"their median (contenders by default: {', '.join(SEEDS_CONTENDERS)})")
    parser.add_argument("--contenders", nargs="*", choices=CONTENDERS)
    parser.add_argument("--peer-shares", choices=("horizon", "monthly"), default="horizon")
    parser.add_argument("--check", action="store_true",
                        help="also embed allocopt's allocation in the peer model")
    parser.add_argument("--logs", help="keep worker logs and results in this folder")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-config", help=argparse.SUPPRESS)
    parser.add_argument("--worker-result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, json.loads(args.worker_config), args.worker_result)
        return

    label = next((n for n in ("tiny", "quick", "large") if getattr(args, n)), "default")
    cfg = dict(SIZES[label])
    for key in ("projects", "gpus", "types", "sites", "periods"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    if args.time_limit is not None:
        cfg["time_limit"] = args.time_limit
    cfg.update(gap=args.gap, threads=args.threads,
               build_limit=args.build_limit or cfg["time_limit"],
               peer_shares=args.peer_shares)
    kill_after = args.kill_after or 3 * cfg["time_limit"] + 300
    default_contenders = SEEDS_CONTENDERS if args.seeds else CONTENDERS
    contenders = args.contenders or list(default_contenders)
    log_dir = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="peers-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    by_seed = {}
    for seed in args.seeds or [args.seed]:
        seed_dir = log_dir / f"seed-{seed}" if args.seeds else log_dir
        seed_dir.mkdir(parents=True, exist_ok=True)
        by_seed[seed] = run_seed(label, {**cfg, "seed": seed}, contenders, kill_after,
                                 seed_dir)
    if args.check:
        print(check_embedding({**cfg, "seed": args.seed}))
    if args.seeds:
        print_seed_ratios(by_seed, cfg["gap"])
    if not args.logs:
        shutil.rmtree(log_dir)


def run_seed(label: str, cfg: dict, contenders: list[str], kill_after: float,
             log_dir: Path) -> dict[str, dict]:
    """Every contender on the instance of `cfg["seed"]`, one after the other; prints the
    header (the machine's load average at its start) and the table."""
    print(f"# peers.py --{label}: {cfg['projects']:,} projects, {cfg['gpus']:,} GPUs, "
          f"{cfg['types']} types, {cfg['sites']} sites, {cfg['periods']} periods, seed "
          f"{cfg['seed']}; limit {cfg['time_limit']:g} s, gap {cfg['gap']:g}, threads "
          f"{cfg['threads']} (SCIP: 1); peer shares: {cfg['peer_shares']}")
    print(f"# {machine()}; {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC", flush=True)
    results = {name: run_contender(name, cfg, kill_after, log_dir) for name in contenders}
    print_table(results)
    print("# _x columns: this row / allocopt-scip (build time, solve time, gap, objective, "
          "peak memory).")
    print("# peers solve a relaxation of allocopt's model (monthly sizes, site splits): their "
          "optimum is >= allocopt's; a peer bound also bounds allocopt's optimum.")
    print("# peak_MiB: worker + solver subprocess peaks (sum; a killed worker: its largest "
          "process, from wait4); base_MiB: the worker after generating the instance.")
    print(f"# after: load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}",
          flush=True)
    return results


def _proved(r: dict, gap: float) -> bool:
    return (r.get("status") == "optimal" and r.get("gap") is not None
            and r["gap"] <= gap * (1 + 1e-9))


def print_seed_ratios(by_seed: dict[int, dict[str, dict]], gap: float) -> None:
    """Per seed: allocopt-default's whole call against pulp-cbc's solve (its build
    excluded) and build + solve against build + solve; then the medians. A time that
    did not prove the gap is marked '>' (a lower bound on the time to it)."""
    print(f"# --seeds: time to a proven {100 * gap:g} %: allocopt-default (the whole call, "
          "build included) against pulp-cbc (its solve; with builds: both build + solve)")
    print(f"{'seed':>4} {'default_s':>10} {'cbc_s':>9} {'default/cbc':>11} {'cbc/default':>11} "
          f"{'with builds':>11}  proven")
    ratios, speedups, with_builds = [], [], []
    for seed, results in by_seed.items():
        ours, cbc = results.get("allocopt-default", {}), results.get("pulp-cbc", {})
        if ours.get("solve_s") is None or cbc.get("solve_s") is None:
            print(f"{seed:>4}  (a contender has no time: {ours.get('status')}, "
                  f"{cbc.get('status')})")
            continue
        ours_s = ours["build_s"] + ours["solve_s"]
        cbc_s = cbc["solve_s"]
        ratios.append(ours_s / cbc_s)
        speedups.append(cbc_s / ours_s)
        with_builds.append((cbc["build_s"] + cbc_s) / ours_s)
        mark = {True: "", False: ">"}
        print(f"{seed:>4} {mark[_proved(ours, gap)]:>1}{ours_s:>9.2f} "
              f"{mark[_proved(cbc, gap)]:>1}{cbc_s:>8.2f} {ratios[-1]:>11.3f} "
              f"{speedups[-1]:>11.2f} {with_builds[-1]:>11.2f}  "
              f"default {_proved(ours, gap)}, cbc {_proved(cbc, gap)}")
    if ratios:
        print(f"median {'':>20} {statistics.median(ratios):>11.3f} "
              f"{statistics.median(speedups):>11.2f} {statistics.median(with_builds):>11.2f}"
              f"  ({len(ratios)} seeds; worst cbc/default {min(speedups):.2f})")


if __name__ == "__main__":
    main()
