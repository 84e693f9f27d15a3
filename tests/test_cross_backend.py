"""Every backend reaches the same verified optimum on 100 seeded random instances that
use every rule family between them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import allocopt
from allocopt.backends import REGISTRY, SolveOptions, Status
from allocopt.instance.schema import InstanceSpec

BACKENDS = [name for name, backend in REGISTRY.items() if backend.version() is not None]
EXACT = SolveOptions(gap=0.0)


def random_instance(seed: int) -> allocopt.Instance:
    """A tiny instance: 2-3 types, 1-2 sites, 2-3 periods, 4-6 projects, with elastic
    requests, mandatory projects, dependencies, exclusions, shares, power, budget,
    co-funding, procurement and late-start penalties appearing across seeds."""
    rng = np.random.default_rng(seed)
    n_types, n_sites, n_periods = rng.integers(2, 4), rng.integers(1, 3), rng.integers(2, 4)
    periods = [f"T{t}" for t in range(n_periods)]
    types = [{"id": f"G{g}", "perf": float(rng.choice([0.5, 1.0, 1.5, 2.0])),
              "power_kw": float(rng.choice([0.5, 1.0])), "node_size": 4,
              "opex_per_period": float(rng.choice([0.0, 0.5, 1.0]))} for g in range(n_types)]
    sites = [{"id": f"S{s}", "power_mw": float(rng.choice([0.01, 0.02, 1.0])),
              "pue": float(rng.choice([1.0, 1.25])),
              "hosts": [] if s == 0 else [f"G{g}" for g in range(n_types) if rng.random() < .7]}
             for s in range(n_sites)]
    supply = [{"type": f"G{g}", "site": f"S{s}", "period": str(rng.choice(periods[:2])),
               "units": int(rng.integers(2, 12))}
              for g in range(n_types) for s in range(n_sites)
              if not sites[s]["hosts"] or f"G{g}" in sites[s]["hosts"]]
    areas = [{"id": "a", "weight": 1.0}, {"id": "b", "weight": float(rng.choice([0.5, 2.0])),
                                          "min_share": float(rng.choice([0.0, 0.2])),
                                          "max_share": float(rng.choice([0.6, 1.0]))},
             {"id": "c", "parent": "a", "weight": 1.5}]
    projects: list[dict[str, Any]] = []
    n_projects = int(rng.integers(4, 7))
    for i in range(n_projects):
        duration = int(rng.integers(1, n_periods + 1))
        body: dict[str, Any] = {
            "id": f"P{i}", "area": str(rng.choice(["a", "b", "c"])),
            "score": float(rng.choice([0.5, 1.0, 2.0])),
            "window": {"duration": duration},
            "partner": "X" if rng.random() < 0.2 else None,
            "mandatory": bool(rng.random() < 0.1)}
        if rng.random() < 0.3:
            usable = sorted({f"G{g}" for g in rng.integers(0, n_types, size=2)})
            low = float(rng.integers(1, 4))
            body["request"] = {"elastic": {"min_gpus": low, "max_gpus": low + 6,
                                           "types": usable}}
        else:
            body["request"] = {"configurations": [
                {"id": f"c{k}", "gpus": {f"G{int(rng.integers(0, n_types))}":
                                         int(rng.integers(1, 9))}}
                for k in range(int(rng.integers(1, 3)))]}
        projects.append(body)
    if rng.random() < 0.5:
        projects[1]["depends_on"] = ["P0"]
    if rng.random() < 0.5:
        projects[2]["excludes"] = ["P3"]
    procurement = ([{"id": "buy", "type": "G0", "price": 10.0,
                     "earliest_period": str(rng.choice(periods)), "max_units": 6}]
                   if rng.random() < 0.5 else [])
    budget = {"capex": float(rng.choice([20.0, 100.0]))} if procurement else {}
    if rng.random() < 0.3:
        budget["opex"] = 8.0
    spec = InstanceSpec.model_validate({
        "name": f"random-{seed}", "periods": periods, "gpu_types": types, "sites": sites,
        "supply": supply, "areas": areas, "partners": [{"id": "X", "cofunding_share": 0.5}],
        "projects": projects, "procurement": procurement,
        "policy": {"late_start_penalty": float(rng.choice([0.0, 0.1])),
                   "granularity": "node" if rng.random() < 0.2 else "gpu",
                   "budget": budget}})
    return allocopt.from_spec(spec)


@pytest.mark.parametrize("seed", range(100))
def test_every_backend_reaches_the_same_optimum(seed: int):
    instance = random_instance(seed)
    answers = {name: allocopt.solve(instance, backend=name, options=EXACT, lp_bound=False)
               for name in BACKENDS}
    statuses = {name: s.status for name, s in answers.items()}
    if statuses["scip"] is Status.INFEASIBLE:
        assert set(statuses.values()) == {Status.INFEASIBLE}, statuses
        return
    assert set(statuses.values()) == {Status.OPTIMAL}, statuses
    reference = answers["scip"].objective
    for name, solution in answers.items():
        assert math.isclose(solution.objective, reference, rel_tol=1e-6, abs_tol=1e-9), (
            name, solution.objective, reference)
        assert solution.verify(instance) == []


def test_the_random_instances_use_every_rule_family():
    from allocopt.model import Rule, build_program

    seen: set[Rule] = set()
    for seed in range(100):
        seen |= {b.rule for b in build_program(random_instance(seed)).blocks}
    missing = set(Rule) - seen - {Rule.POLICY}  # policy rows: tests/test_policies.py
    assert missing <= {Rule.BUDGET_TOTAL, Rule.ELASTIC_UNITS}, missing
