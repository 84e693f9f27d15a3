"""The robust policy (`allocopt.policies.robust`) against its definition.

A scenario's world, rebuilt here without `allocopt.policies`: each delivery keeps
floor(units x Π(1 − blocked share)) units (per whole node under node granularity)
and arrives `delay` periods late (never, past the horizon); a purchase plan's units
do the same and their price comes off the capex and total budgets. Given a plan,
scenarios re-allocate independently, so by brute force over every plan:

    expected  = max_plan Σ_k p_k best_k(plan)
    worst     = max_plan min_k best_k(plan)   (then the best expected among those)
    with floor: max_plan Σ_k p_k best_k(plan) over plans with best_k(plan) ≥ floor
    wait-and-see = Σ_k p_k max_plan best_k(plan)
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import yaml

from allocopt import from_spec, load_instance
from allocopt.backends import REGISTRY, SolveOptions, Status
from allocopt.instance import Instance
from allocopt.instance.schema import InstanceSpec, Objective
from allocopt.policies.robust import PLAN_RULES, verify_folder
from allocopt.policies.scenarios import fixed_purchase_instance, scenario_instance
from allocopt.solution import Purchase, Solution
from allocopt.solving.pipeline import solve

from bruteforce import brute_force, purchase_plans
from conftest import ROOT

INSTALLED = [n for n, b in REGISTRY.items() if b.version() is not None]
MILP = [b for b in ("scip", "highs", "cbc") if b in INSTALLED]
EXACT = SolveOptions(gap=0.0)


# --- the scenario world, by hand --------------------------------------------------------

def kept(units: float, shares: list[float], step: int) -> int:
    retained = math.prod(1.0 - s for s in shares)
    return math.floor(units / step * retained + 1e-9) * step


def world(data: dict, scenario: dict, plan: list[Purchase]) -> dict:
    """The instance document of `scenario` with `plan` made (independent of allocopt)."""
    periods = data["periods"]
    node = data.get("policy", {}).get("granularity") == "node"
    size = {g["id"]: g.get("node_size", 8) for g in data["gpu_types"]}

    def arrive(gpu_type: str, site: str, period: str, units: float, step: int) -> dict | None:
        shares = [b["share"] for b in scenario.get("blocked", [])
                  if b["type"] == gpu_type and site in b.get("sites", [site])
                  and periods.index(period) >= periods.index(b["from_period"])]
        late = sum(d["periods"] for d in scenario.get("delays", []) if d["site"] == site)
        n, t = kept(units, shares, step), periods.index(period) + late
        if n <= 0 or t >= len(periods):
            return None
        return {"type": gpu_type, "site": site, "period": periods[t], "units": n}

    supply = [arrive(d["type"], d["site"], d["period"], d["units"], 1) for d in data["supply"]]
    price = {o["id"]: o["price"] for o in data.get("procurement", [])}
    spent = sum(b.units * price[b.option] for b in plan)
    supply += [arrive(b.gpu_type, b.site, b.period, b.units, size[b.gpu_type] if node else 1)
               for b in plan]
    out = {k: v for k, v in data.items() if k not in ("scenarios", "procurement")}
    out["supply"] = [d for d in supply if d is not None]
    policy = dict(data.get("policy", {}))
    budget = dict(policy.get("budget", {}))
    for key in ("capex", "total"):
        if budget.get(key) is not None:
            budget[key] = max(0.0, budget[key] - spent)
    policy.update(budget=budget, objective="weighted")
    policy.pop("robust", None)
    out["policy"] = policy
    return out


def instance_of(data: dict) -> Instance:
    return from_spec(InstanceSpec.model_validate(data))


def plans(data: dict) -> list[list[Purchase]]:
    """Every purchase plan that the purchase rules (quota, lead time, sites, capex) allow."""
    base = instance_of({**data, "scenarios": [], "policy": {
        **data.get("policy", {}), "objective": "weighted"}})
    ok = []
    for plan in purchase_plans(base):
        only = Solution(Status.OPTIMAL, None, None, None, "", 0.0, purchases=plan)
        if not any(v.rule in PLAN_RULES for v in only.verify(base)):
            ok.append(plan)
    return ok


def best(data: dict, scenario: dict, plan: list[Purchase]) -> float | None:
    return brute_force(instance_of(world(data, scenario, plan))).value


def oracle(data: dict) -> dict:
    """Per plan, each scenario's best value (None: infeasible)."""
    return {i: [best(data, s, plan) for s in data["scenarios"]]
            for i, plan in enumerate(plans(data))}


# --- tiny instances -----------------------------------------------------------------------

def tiny(seed: int) -> dict:
    """2-3 projects, one or two GPU types, 2-3 periods, a purchase option of 1-3 units,
    2-3 scenarios with blockages and delays."""
    rng = np.random.default_rng(seed)
    periods = ["T1", "T2", "T3"][: int(rng.integers(2, 4))]
    types = [{"id": "H", "perf": 1.0}, {"id": "B", "perf": 2.0}][: int(rng.integers(1, 3))]
    supply = [{"type": g["id"], "site": "S", "period": "T1", "units": int(rng.integers(1, 4))}
              for g in types]
    projects = []
    for i in range(int(rng.integers(2, 4))):
        g = types[int(rng.integers(len(types)))]["id"]
        projects.append({"id": f"P{i}", "area": "a" if i % 2 else "b",
                         "score": float(rng.integers(1, 4)),
                         "window": {"duration": int(rng.integers(1, len(periods) + 1))},
                         "request": {"configurations": [
                             {"id": "c", "gpus": {g: int(rng.integers(1, 4))}}]}})
    buy = types[-1]["id"]
    scenarios = [{"id": "calm", "probability": 0.5},
                 {"id": "blocked", "probability": 0.3, "blocked": [
                     {"type": buy, "from_period": periods[int(rng.integers(len(periods)))],
                      "share": float(rng.choice([0.34, 0.5, 1.0]))}]},
                 {"id": "late", "probability": 0.2, "delays": [{"site": "S", "periods": 1}]}]
    if rng.random() < 0.5:
        scenarios = [scenarios[0], {**scenarios[1], "probability": 0.5}]
    return {
        "name": f"robust-{seed}", "periods": periods, "gpu_types": types,
        "sites": [{"id": "S", "power_mw": 1.0}], "supply": supply,
        "procurement": [{"id": "buy", "type": buy, "price": 1.0, "earliest_period": "T1",
                         "max_units": int(rng.integers(1, 4))}],
        "areas": [{"id": "a"}, {"id": "b", "weight": 2.0}], "projects": projects,
        "policy": {"objective": "robust", "budget": {"capex": float(rng.integers(1, 4))}},
        "scenarios": scenarios}


def robust(data: dict, backend: str, **settings) -> Solution:
    doc = {**data, "policy": {**data["policy"], "robust": settings or {"criterion": "expected"}}}
    return solve(instance_of(doc), backend=backend, options=EXACT)


def expected_of(data: dict, values: list[float]) -> float:
    return sum(s["probability"] * v for s, v in zip(data["scenarios"], values, strict=True))


@pytest.mark.parametrize("backend", MILP)
@pytest.mark.parametrize("seed", range(8))
def test_robust_matches_brute_force(seed: int, backend: str) -> None:
    data = tiny(seed)
    table = {i: v for i, v in oracle(data).items() if None not in v}
    if not table:
        assert robust(data, backend).status is Status.INFEASIBLE
        return
    solution = robust(data, backend)
    assert solution.status is Status.OPTIMAL
    expected = max(expected_of(data, v) for v in table.values())
    assert solution.objective == pytest.approx(expected, abs=1e-6)
    figures = solution.figures
    assert figures["expected_value"] == pytest.approx(expected, abs=1e-6)
    # The reported per-scenario values are one plan's row of the table, and the best.
    values = [s["value"] for s in figures["scenarios"]]
    assert any(v == pytest.approx(values, abs=1e-6) for v in table.values())
    assert figures["worst_case_value"] == pytest.approx(min(values), abs=1e-6)
    wait_and_see = expected_of(data, [max(v[k] for v in table.values())
                                      for k in range(len(data["scenarios"]))])
    assert figures["wait_and_see"] == pytest.approx(wait_and_see, abs=1e-6)
    assert figures["evpi"] == pytest.approx(wait_and_see - expected, abs=1e-6)
    assert figures["evpi"] >= -1e-6
    assert figures["vss"] == pytest.approx(expected - figures["eev"], abs=1e-6)
    assert figures["vss"] >= -1e-6  # the average scenario's plan is never better

    worst = max(min(v) for v in table.values())
    at_worst = max(expected_of(data, v) for v in table.values() if min(v) >= worst - 1e-9)
    w = robust(data, backend, criterion="worst-case")
    assert w.objective == pytest.approx(worst, abs=1e-6)
    assert w.figures["expected_value"] == pytest.approx(at_worst, abs=1e-6)

    floor = sorted({min(v) for v in table.values()})[0] + 0.5
    allowed = [v for v in table.values() if min(v) >= floor]
    f_data = robust(data, backend, criterion="expected-with-floor", floor=floor)
    if allowed:
        assert f_data.objective == pytest.approx(max(expected_of(data, v) for v in allowed),
                                                 abs=1e-6)
    else:
        assert f_data.status is Status.INFEASIBLE


def test_scenario_world_matches_the_library() -> None:
    """scenario_instance and fixed_purchase_instance build the documented world."""
    data = {
        "name": "w", "periods": ["T1", "T2", "T3"],
        "gpu_types": [{"id": "H"}, {"id": "B", "node_size": 4}],
        "sites": [{"id": "S", "power_mw": 1.0}, {"id": "R", "power_mw": 1.0}],
        "supply": [{"type": "B", "site": "S", "period": "T1", "units": 7},
                   {"type": "B", "site": "S", "period": "T2", "units": 10},
                   {"type": "H", "site": "R", "period": "T2", "units": 5},
                   {"type": "H", "site": "R", "period": "T3", "units": 5}],
        "procurement": [{"id": "buy", "type": "B", "price": 2.0, "earliest_period": "T1",
                         "max_units": 20}],
        "areas": [{"id": "a"}],
        "policy": {"granularity": "node", "budget": {"capex": 50.0, "total": 60.0}},
        "scenarios": [{"id": "x", "probability": 1.0,
                       "blocked": [{"type": "B", "from_period": "T2", "share": 0.5}],
                       "delays": [{"site": "R", "periods": 1}]}]}
    instance = instance_of(data)
    scenario = instance.spec.scenarios[0]
    got = scenario_instance(instance, scenario).spec.supply
    # B at S: 7 (before the block), 10 -> 5; H at R: one period late, T3 -> gone.
    assert [(d.type, d.site, d.period, d.units) for d in got] == [
        ("B", "S", "T1", 7), ("B", "S", "T2", 5), ("H", "R", "T3", 5)]
    plan = [Purchase("buy", "B", "S", "T2", 12.0)]  # 3 nodes, half blocked -> 1 node
    fixed = fixed_purchase_instance(instance, scenario, plan)
    assert fixed.spec.supply[-1].units == 4
    assert fixed.spec.procurement == ()
    assert fixed.spec.policy.budget.capex == 26.0 and fixed.spec.policy.budget.total == 36.0
    assert fixed.spec.policy.objective is Objective.WEIGHTED
    hand = instance_of(world(data, data["scenarios"][0], plan))
    assert fixed.spec.supply == hand.spec.supply


# --- the CLI on the tutorial with three scenarios ---------------------------------------

TUTORIAL_SCENARIOS = [
    {"id": "calm", "probability": 0.5},
    {"id": "h200-block", "probability": 0.3,
     "blocked": [{"type": "H200", "from_period": "2026-Q1", "share": 0.5}]},
    {"id": "north-late", "probability": 0.2, "delays": [{"site": "north", "periods": 1}]}]


def tutorial_with(tmp_path, scenarios: list[dict]):
    doc = yaml.safe_load((ROOT / "instances" / "tutorial.yaml").read_text())
    doc["scenarios"] = scenarios
    path = tmp_path / "tutorial-scenarios.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def cli(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from allocopt_cli.main import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=300)


def test_cli_robust_writes_verifiable_scenarios(tmp_path) -> None:
    path = tutorial_with(tmp_path, TUTORIAL_SCENARIOS)
    out = tmp_path / "out"
    done = cli("solve", str(path), "--policy", "robust", "--out", str(out))
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["policy"]["name"] == "robust"
    assert summary["policy"]["parameters"]["scenarios"] == ["calm", "h200-block", "north-late"]
    for key in ("expected_value", "worst_case_value", "vss", "evpi"):
        assert isinstance(summary[key], float)
    rows = list(csv.DictReader((out / "scenarios.csv").open()))
    assert [r["id"] for r in rows] == ["calm", "h200-block", "north-late"]
    assert summary["expected_value"] == pytest.approx(
        sum(float(r["probability"]) * float(r["value"]) for r in rows))
    assert (out / "scenario-3-allocation.csv").exists()
    assert cli("verify", str(path), str(out)).returncode == 0
    # The first scenario's allocation doubles as allocation.csv.
    assert (out / "allocation.csv").read_text() == (out / "scenario-1-allocation.csv").read_text()
    # The report says which policy produced it, with the robust figures.
    assert cli("report", str(out)).returncode == 0
    report = (out / "report.md").read_text()
    assert "**Policy: robust**" in report and "Expected value" in report
    assert 'id="policy"' in (out / "report.html").read_text()

    # One more GPU in a scenario's allocation breaks capacity there: verify says which.
    alloc = out / "scenario-2-allocation.csv"
    lines = alloc.read_text().splitlines()
    header, first = lines[0], lines[1].split(",")
    first[-1] = str(float(first[-1]) + 64)
    alloc.write_text("\n".join([header, ",".join(first), *lines[2:]]) + "\n")
    bad = cli("verify", str(path), str(out))
    assert bad.returncode == 1
    assert "scenario h200-block" in bad.stderr
    assert verify_folder(load_instance(path), out)


def test_cli_robust_names_the_infeasible_scenario(tmp_path) -> None:
    # South's mandatory weather model cannot run if south's GPUs arrive a quarter late.
    path = tutorial_with(tmp_path, [*TUTORIAL_SCENARIOS[:2], {
        "id": "south-late", "probability": 0.2, "delays": [{"site": "south", "periods": 1}]}])
    done = cli("solve", str(path), "--policy", "robust", "--out", str(tmp_path / "out"))
    assert done.returncode == 3, done.stderr
    assert "infeasible on their own: south-late" in done.stderr
    assert "scenario south-late: conflicting rules" in done.stderr
    assert not (tmp_path / "out").exists()


def test_cli_robust_without_scenarios_is_bad_input() -> None:
    done = cli("solve", str(ROOT / "instances" / "tutorial.yaml"), "--policy", "robust")
    assert done.returncode == 2
    assert "--policy robust: " in done.stderr and "scenario" in done.stderr


# --- every reported figure, reproduced by solving the scenarios separately ---------------

def reproduce(instance: Instance, solution: Solution, backend: str,
              options: SolveOptions) -> None:
    """Re-solve each scenario on its own and check every figure of `solution` against
    what those solves find, within the proven bounds the solution reports."""
    from allocopt.model import build_program
    from allocopt.policies.robust import _solve_extensive

    f = solution.figures
    scenarios = instance.spec.scenarios
    p = [s.probability for s in scenarios]
    rel = options.gap + 1e-6

    # The plan, scenario by scenario: re-allocating can only match or improve each
    # scenario's value (it starts from the reported allocation), and the sum can never
    # beat the robust optimum's bound.
    again = []
    for (scenario, _, answer), row in zip(solution.scenarios, f["scenarios"], strict=True):
        assert row["id"] == scenario.id
        alone = solve(fixed_purchase_instance(instance, scenario, solution.purchases),
                      backend=backend, options=options, warm_start=answer, lp_bound=False)
        assert alone.objective >= row["value"] - 1e-6 * abs(row["value"])
        again.append(alone.objective)
    expected = float(np.dot(p, again))
    assert f["expected_value"] <= expected + 1e-6 * abs(expected)
    assert expected <= f["expected_value_bound"] * (1 + 1e-6)
    assert f["worst_case_value"] == pytest.approx(min(s["value"] for s in f["scenarios"]))
    assert min(again) >= f["worst_case_value"] - 1e-6 * abs(f["worst_case_value"])
    assert f["expected_value"] == pytest.approx(
        float(np.dot(p, [s["value"] for s in f["scenarios"]])), rel=1e-9)

    # EEV: the average scenario's plan, each scenario re-allocating: the same solves.
    ev_plan = [Purchase(**b) for b in f["ev_plan"]]
    eev = [solve(fixed_purchase_instance(instance, s, ev_plan), backend=backend,
                 options=options, lp_bound=False).objective for s in scenarios]
    assert [s["eev_value"] for s in f["scenarios"]] == pytest.approx(eev, rel=1e-6)
    assert f["vss"] == pytest.approx(f["expected_value"] - float(np.dot(p, eev)), rel=1e-6,
                                     abs=1e-6)
    assert f["vss"] >= -1e-6  # the robust solve starts from the average plan

    # Wait-and-see: each scenario alone, buying for itself, solved from scratch; its value
    # and the reported one lie within each other's proven bounds.
    base = build_program(instance)
    ws, ws_bound = [], []
    for scenario, row in zip(scenarios, f["scenarios"], strict=True):
        staged, _ = _solve_extensive(instance, base, [scenario], [1.0],
                                     instance.spec.policy.robust.criterion.EXPECTED, None,
                                     backend, options)
        ws.append(staged.stages[0].objective)
        ws_bound.append(staged.stages[0].bound)
        assert row["wait_and_see_value"] <= ws_bound[-1] * (1 + 1e-6)
        assert ws[-1] == pytest.approx(row["wait_and_see_value"], rel=rel)
    assert f["wait_and_see"] == pytest.approx(float(np.dot(p, ws)), rel=rel)
    assert f["evpi"] == pytest.approx(f["wait_and_see"] - f["expected_value"], abs=1e-6)
    # EVPI >= 0 up to the gaps: wait-and-see's bound is at least the robust value.
    assert f["wait_and_see_bound"] >= f["expected_value"] * (1 - 1e-9)


@pytest.mark.parametrize("backend", MILP)
def test_tutorial_scenarios_reproduced(tmp_path, backend: str) -> None:
    instance = load_instance(tutorial_with(tmp_path, TUTORIAL_SCENARIOS)).with_objective(
        "robust")
    solution = solve(instance, backend=backend, options=EXACT)
    assert solution.status is Status.OPTIMAL
    reproduce(instance, solution, backend, EXACT)


@pytest.mark.korea
def test_korea_export_shock_reproduced(request) -> None:
    """The bundled scenario set: `python -m pytest -m korea tests/test_robust.py`
    (a few minutes on two cores)."""
    if "korea" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the Korea robust reproduction: select it with -m korea")
    instance = load_instance(ROOT / "instances" / "korea-2025-export-shock.yaml")
    instance = instance.with_objective("robust")
    options = SolveOptions(gap=0.002, time_limit_s=120)
    solution = solve(instance, backend="highs", options=options)
    assert solution.status.has_solution
    assert [s["id"] for s in solution.figures["scenarios"]] == [
        "as-announced", "b200-tightened", "chuncheon-late"]
    for mandatory in (p for p in instance.projects if p.mandatory):
        for _, _, answer in solution.scenarios:
            assert answer.award_of(mandatory.id) is not None
    reproduce(instance, solution, "highs", options)
