"""Monte Carlo over uncertain supply, demand and budget, with Sobol' indices.

An uncertainty is written `PATH~DIST`, PATH as in `params` (`*` for every entity of a
kind), DIST one of:

- `loss(P)`: each number of the family is lost (set to 0) with probability P, on its
  own — for `supply.H200`, each H200 delivery; for `procurement.<id>.max_units`, the
  whole option;
- `uniform(LO,HI)`: uniform between LO and HI, absolute or relative (`-20%`, `+10%`);
- `normal(SD)`: baseline + SD·z, or baseline·(1 + SD·z) with `SD%`; cut at 0.

`loss` and paths with `*` draw each number of the family independently; other
uncertainties draw the path's value (e.g. all H200 deliveries scaled alike).

Design (Saltelli 2010): a scrambled Sobol' sequence (scipy.stats.qmc, seeded) gives two
independent N × D matrices A and B (D: one dimension per independent number); AB_i is
A with factor i's columns taken from B. The N·(k + 2) rows, k factors, are the
scenarios, indexed A, then B, then AB_1 … AB_k. Each row is a draw from the joint
distribution, so all of them count for the funding probabilities and the quantiles of
total value. Sobol' indices of each output f (total value, number funded), over the N
rows j whose A, B and AB scenarios all have a solution:

    S_i  = mean_j f(B)_j (f(AB_i)_j − f(A)_j) / V          first order (Saltelli 2010)
    ST_i = mean_j (f(A)_j − f(AB_i)_j)² / (2V)             total (Jansen 1999)

V the variance of f over A and B; the same estimators as scipy.stats.sobol_indices,
which only accepts N a power of 2. Confidence intervals: percentile bootstrap over
the rows (seeded). Factors are groups of inputs here (a factor's columns are swapped
together), which the estimators allow unchanged.

Each scenario's solver seed comes from (seed, index), each is warm-started from the
base solution, and results are ordered by index: the same seed gives the same results
on any executor.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from allocopt.errors import Interrupted
from allocopt.instance import Instance
from allocopt.sensitivity.executor import (
    LOCAL,
    Executor,
    Phases,
    interruptible,
    phase,
    run_tasks,
)
from allocopt.sensitivity.params import Change, ParameterError, Target, parse_amount, target
from allocopt.sensitivity.scenario import (
    NOT_RUN,
    Context,
    Outcome,
    Settings,
    scenario_seed,
    solve_changes,
    solve_instance,
)
from allocopt.solution import Solution

BOOTSTRAP_RESAMPLES = 500
QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
_SPEC = re.compile(r"^\s*([^~\s]+)\s*~\s*(loss|uniform|normal)\s*\(([^()]*)\)\s*$")


@dataclass(frozen=True)
class Uncertainty:
    """A factor: `dist` over the numbers of `target` (per number when `per_element`)."""

    label: str
    target: Target
    dist: str
    args: tuple[float, ...]
    relative: bool

    @property
    def per_element(self) -> bool:
        return self.dist == "loss" or "*" in self.target.path

    @property
    def dims(self) -> int:
        return len(self.target.leaves) if self.per_element else 1

    def draw(self, u: np.ndarray) -> Change:
        """The Change for uniform numbers `u` (one per dimension)."""
        if self.per_element:
            values = tuple(float(self._map(x, b or 0.0)) for x, b in zip(
                u, self.target.baseline, strict=True))
            return Change(self.target.path, values)
        return Change(self.target.path, float(self._map(u[0], self.target.total or 0.0)))

    def _map(self, u: float, base: float) -> float:
        if self.dist == "loss":
            return 0.0 if u < self.args[0] else base
        if self.dist == "uniform":
            lo, hi = ((base * (1 + a / 100) for a in self.args) if self.relative
                      else self.args)
            return lo + u * (hi - lo)
        from scipy.stats import norm

        z = float(norm.ppf(min(max(u, 1e-12), 1 - 1e-12)))
        sd = self.args[0]
        return max(0.0, base * (1 + sd / 100 * z) if self.relative else base + sd * z)

    def level(self, change: Change) -> float:
        """The path's value in a scenario (the sum over its family)."""
        if isinstance(change.value, tuple):
            values = change.value
            if self.target.integer:
                values = tuple(float(round(v)) for v in values)
            return float(sum(values))
        return float(round(change.value)) if self.target.integer else float(change.value)


def parse_uncertainty(instance: Instance, text: str) -> Uncertainty:
    """`PATH~loss(P)`, `PATH~uniform(LO,HI)` or `PATH~normal(SD)` (see the module doc)."""
    m = _SPEC.match(text)
    if not m:
        raise ParameterError(f"uncertainty {text!r}: expected PATH~loss(P), "
                             "PATH~uniform(LO,HI) or PATH~normal(SD), e.g. supply.H200~loss(0.4)")
    path, dist, raw = m.groups()
    t = target(instance, path)
    args = [a.strip() for a in raw.split(",")] if raw.strip() else []
    what = f"uncertainty {text!r}"
    wanted = {"loss": 1, "uniform": 2, "normal": 1}[dist]
    if len(args) != wanted:
        raise ParameterError(f"{what}: {dist} takes {wanted} argument(s)")
    relative = any(a.endswith("%") for a in args)
    if relative and not all(a.endswith("%") for a in args):
        raise ParameterError(f"{what}: give every argument absolute or every one relative (%)")
    if dist == "loss":
        if relative:
            raise ParameterError(f"{what}: loss takes a probability, e.g. loss(0.2)")
        p = parse_amount(args[0], None, what)
        if not 0 <= p <= 1:
            raise ParameterError(f"{what}: the probability must be within 0..1")
        values = (p,)
    else:
        values = tuple(float(a.rstrip("%").strip()) if relative
                       else parse_amount(a, None, what) for a in args)
        if dist == "uniform" and values[0] > values[1]:
            raise ParameterError(f"{what}: LO must not exceed HI")
        if dist == "normal" and values[0] < 0:
            raise ParameterError(f"{what}: the standard deviation cannot be negative")
    if any(b is None for b in t.baseline) and (relative or dist != "uniform"):
        raise ParameterError(f"{what}: {path} is not set in this instance; "
                             "only an absolute uniform(LO,HI) can set it")
    return Uncertainty(label=f"{path}~{dist}({raw.strip()})", target=t, dist=dist,
                       args=values, relative=relative)


def default_uncertainties(instance: Instance) -> list[Uncertainty]:
    """Each delivery of an export-controlled type lost with probability 0.2; each
    procurement option with a delivery risk failing with that probability; every
    project's score ±10 % (normal); each budget limit set ±10 % (uniform)."""
    spec = instance.spec
    texts = [f"supply.{g.id}~loss(0.2)" for g in spec.gpu_types
             if g.export_controlled and any(d.type == g.id and d.units > 0
                                            for d in spec.supply)]
    texts += [f"procurement.{o.id}.max_units~loss({o.delivery_risk:g})"
              for o in spec.procurement if o.delivery_risk > 0 and o.id]
    if spec.projects:
        texts.append("projects.*.score~normal(10%)")
    texts += [f"budget.{k}~uniform(-10%,+10%)" for k in ("capex", "opex", "total")
              if getattr(spec.policy.budget, k)]
    return [parse_uncertainty(instance, t) for t in texts]


@dataclass(frozen=True)
class Scenario:
    index: int
    block: str
    changes: tuple[Change, ...]
    seed: int


def sobol_sampler(d: int, seed: int):
    """A scrambled Sobol' sampler of dimension d, seeded (scipy ≥ 1.15 calls it `rng`)."""
    from scipy.stats import qmc

    try:
        return qmc.Sobol(d=d, scramble=True, rng=np.random.default_rng(seed))
    except TypeError:
        return qmc.Sobol(d=d, scramble=True, seed=np.random.default_rng(seed))


def design(factors: Sequence[Uncertainty], samples: int, seed: int) -> list[Scenario]:
    """The Saltelli design: scenarios A (samples rows), B, then AB_i for each factor."""
    dims = [f.dims for f in factors]
    d = sum(dims)
    offsets = np.cumsum([0, *dims])
    sampler = sobol_sampler(2 * d, seed)
    with warnings.catch_warnings():  # N need not be a power of 2 here
        warnings.simplefilter("ignore", UserWarning)
        u = sampler.random(samples)
    a, b = u[:, :d], u[:, d:]
    blocks = [("A", a), ("B", b)]
    for i, f in enumerate(factors):
        ab = a.copy()
        ab[:, offsets[i]:offsets[i + 1]] = b[:, offsets[i]:offsets[i + 1]]
        blocks.append((f"AB:{f.label}", ab))
    scenarios = []
    for name, rows in blocks:
        for row in rows:
            k = len(scenarios)
            changes = tuple(f.draw(row[offsets[i]:offsets[i + 1]])
                            for i, f in enumerate(factors))
            scenarios.append(Scenario(k, name, changes, scenario_seed(seed, k)))
    return scenarios


def _solve_scenario(context: Context, scenario: Scenario) -> Outcome:
    return solve_changes(context, scenario.changes, warm=context.base, seed=scenario.seed)


@dataclass(frozen=True)
class Index:
    """Sobol' indices of one factor for one output, with 95 % bootstrap intervals, from
    `rows` usable rows of the design."""

    output: str
    factor: str
    first_order: float
    first_low: float
    first_high: float
    total_order: float
    total_low: float
    total_high: float
    rows: int


@dataclass
class MonteCarloResult:
    """`outcomes[k]` is scenario k's. `partial`: the run was interrupted, and the
    scenarios it did not finish have status NOT_RUN: the funding probabilities and
    quantiles are over the finished ones, the Sobol' indices over the design rows whose
    scenarios all finished with a solution."""

    factors: list[Uncertainty]
    samples: int
    seed: int
    scenarios: list[Scenario]
    outcomes: list[Outcome]
    base: Outcome
    indices: list[Index]
    partial: bool = False

    @property
    def finished(self) -> int:
        """How many scenarios were solved (all of them unless `partial`)."""
        return sum(o.status != NOT_RUN for o in self.outcomes)

    def funding_probability(self, instance: Instance) -> list[tuple[str, str, bool, float, int,
                                                                   int]]:
        """(project, area, funded in the base solve, probability, times funded, scenarios
        with a solution) per project, in instance order."""
        solved = [o for o in self.outcomes if o.has_solution]
        counts = dict.fromkeys((p.id for p in instance.projects), 0)
        for o in solved:
            for p in o.funded:
                counts[p] += 1
        base = set(self.base.funded)
        n = len(solved)
        return [(p.id, p.area, p.id in base, counts[p.id] / n if n else float("nan"),
                 counts[p.id], n) for p in instance.projects]

    def value_quantiles(self) -> list[tuple[str, float]]:
        values = np.array([o.objective for o in self.outcomes if o.has_solution])
        rows: list[tuple[str, float]] = [("scenarios", float(self.finished)),
                                         ("with_solution", float(len(values)))]
        if self.partial:
            rows.append(("not_run", float(len(self.outcomes) - self.finished)))
        if len(values):
            rows += [("mean", float(values.mean())), ("std", float(values.std()))]
            rows += [(f"q{round(100 * q):02d}", float(np.quantile(values, q)))
                     for q in QUANTILES]
        if self.base.has_solution:
            rows.append(("base", float(self.base.objective)))
        return rows


def _outputs(outcomes: Sequence[Outcome]) -> dict[str, np.ndarray]:
    return {
        "objective": np.array([o.objective if o.has_solution else np.nan for o in outcomes]),
        "funded_projects": np.array([len(o.funded) if o.has_solution else np.nan
                                     for o in outcomes]),
    }


def _estimate(fa: np.ndarray, fb: np.ndarray, fab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = np.mean(np.concatenate([fa, fb]))
    fa, fb, fab = fa - mean, fb - mean, fab - mean
    var = np.var(np.concatenate([fa, fb]))
    if not var > 1e-12 * max(1.0, mean * mean):
        return np.zeros(len(fab)), np.zeros(len(fab))
    first = np.mean(fb * (fab - fa), axis=-1) / var
    total = 0.5 * np.mean((fa - fab) ** 2, axis=-1) / var
    return first, total


def sobol_indices(factors: Sequence[Uncertainty], outcomes: Sequence[Outcome], samples: int,
                  seed: int) -> list[Index]:
    n, k = samples, len(factors)
    out = []
    for name, f in _outputs(outcomes).items():
        fa, fb = f[:n], f[n:2 * n]
        fab = f[2 * n:].reshape(k, n)
        ok = np.isfinite(fa) & np.isfinite(fb) & np.all(np.isfinite(fab), axis=0)
        fa, fb, fab = fa[ok], fb[ok], fab[:, ok]
        rows = int(ok.sum())
        if rows < 2:
            first = total = np.full(k, np.nan)
            lo1 = hi1 = lot = hit = np.full(k, np.nan)
        else:
            first, total = _estimate(fa, fb, fab)
            rng = np.random.default_rng([seed & 0xFFFFFFFF, 1])
            boot = [_estimate(fa[j], fb[j], fab[:, j])
                    for j in rng.integers(0, rows, size=(BOOTSTRAP_RESAMPLES, rows))]
            firsts = np.array([b[0] for b in boot])
            totals = np.array([b[1] for b in boot])
            lo1, hi1 = np.quantile(firsts, [0.025, 0.975], axis=0)
            lot, hit = np.quantile(totals, [0.025, 0.975], axis=0)
        for i, factor in enumerate(factors):
            out.append(Index(name, factor.label, float(first[i]), float(lo1[i]), float(hi1[i]),
                             float(total[i]), float(lot[i]), float(hit[i]), rows))
    return out


def montecarlo(instance: Instance, factors: Sequence[Uncertainty], samples: int, seed: int,
               settings: Settings, executor: Executor = LOCAL,
               progress: Phases | None = None, base: Solution | None = None
               ) -> MonteCarloResult:
    """Solve the base instance, then every scenario of the design (warm-started from it).

    Interrupted (Ctrl-C) while the scenarios are solved, it returns the finished ones,
    with `partial` set; a KeyboardInterrupt during the base solve propagates (nothing to
    return)."""
    factors = list(factors)
    if not factors:
        raise ParameterError("no uncertainties to sample")
    scenarios = design(factors, samples, seed)
    rounds = math.ceil(len(scenarios) / max(1, executor.workers))
    base_outcome = interruptible(solve_instance, instance, settings.share(1 + rounds),
                                 warm=base, keep=True)
    context = Context(instance=instance, settings=settings.share(rounds),
                      base=base_outcome.solution)
    try:
        outcomes = run_tasks(_solve_scenario, context, scenarios, executor,
                             phase(progress, f"{len(scenarios)} scenarios", len(scenarios)))
        partial = False
    except Interrupted as exc:
        outcomes = [exc.done[k] if k in exc.done else Outcome(
            status=NOT_RUN, objective=None, gap=None,
            message="not solved: the run was interrupted") for k in range(len(scenarios))]
        partial = True
    base_outcome.solution = None
    return MonteCarloResult(factors=factors, samples=samples, seed=seed, scenarios=scenarios,
                            outcomes=outcomes, base=base_outcome,
                            indices=sobol_indices(factors, outcomes, samples, seed),
                            partial=partial)
