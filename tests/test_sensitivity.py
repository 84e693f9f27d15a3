"""Shadow prices: duals of the LP with the funding fixed match finite differences.

The LP value z(b) is concave in each row bound b, so every dual y is a supergradient:
z(b + 1) − z(b) ≤ y ≤ z(b) − z(b − 1). Where both one-unit differences agree (no
degeneracy within one unit), the dual must equal them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import allocopt
from allocopt.instance.schema import InstanceSpec
from allocopt.model import build_program
from allocopt.sensitivity.duals import (
    RESOURCE_RULES,
    active_upper,
    column_prices,
    fixed_program,
    shadow_prices,
    shift_bound,
    solve_lp,
)
from allocopt_cli.sensitivity import sensitivity

from conftest import ROOT

TOL = 1e-6


def tutorial():
    return allocopt.load_instance(ROOT / "instances/tutorial.yaml")


def random_instance(seed: int):
    """A small instance with elastic projects (integer sizes) and purchases, so that
    continuous columns remain once the funding is fixed."""
    rng = np.random.default_rng(seed)
    periods = ["T1", "T2", "T3"]
    projects = []
    for k in range(4):
        start = int(rng.integers(0, 2))
        projects.append({
            "id": f"c{k}", "area": ["a", "b"][k % 2], "score": float(rng.uniform(0.5, 2)),
            "window": {"earliest_start": periods[start], "duration": int(rng.integers(1, 3))},
            "request": {"configurations": [
                {"id": "x", "gpus": {"G": int(rng.integers(2, 9))}},
                {"id": "y", "gpus": {"F": int(rng.integers(4, 17))}}]}})
    for k in range(3):
        lo = float(rng.integers(1, 4))
        projects.append({
            "id": f"e{k}", "area": ["a", "b"][k % 2], "score": float(rng.uniform(0.5, 2)),
            "window": {"earliest_start": periods[k % 3], "duration": 1},
            "request": {"elastic": {"min_gpus": lo, "max_gpus": lo + float(rng.integers(4, 20)),
                                    "types": ["G", "F"]}}})
    data = {
        "name": f"random-{seed}", "periods": periods,
        "gpu_types": [{"id": "G", "perf": 2.0, "power_kw": 1.0, "opex_per_period": 1.0},
                      {"id": "F", "perf": 1.0, "power_kw": 0.6, "opex_per_period": 0.3}],
        "sites": [{"id": "S1", "power_mw": float(rng.uniform(0.01, 0.03)), "pue": 1.2},
                  {"id": "S2", "power_mw": 0.02, "pue": 1.1, "hosts": ["F"]}],
        "supply": [{"type": "G", "site": "S1", "period": "T1", "units": int(rng.integers(4, 14))},
                   {"type": "F", "site": "S1", "period": "T1", "units": int(rng.integers(4, 20))},
                   {"type": "F", "site": "S2", "period": "T2", "units": int(rng.integers(4, 20))}],
        "procurement": [{"id": "buy-g", "type": "G", "price": float(rng.uniform(1, 4)),
                         "earliest_period": "T2", "max_units": int(rng.integers(2, 10))}],
        "areas": [{"id": "a", "weight": 1.0, "min_share": 0.1},
                  {"id": "b", "weight": float(rng.uniform(0.5, 1.5)), "max_share": 0.8}],
        "projects": projects,
        "policy": {"budget": {"capex": float(rng.uniform(5, 20)),
                              "opex": float(rng.uniform(20, 60))}},
    }
    return allocopt.from_spec(InstanceSpec.model_validate(data))


def one_unit_differences(instance):
    """(rule, key, dual, z(b+1) − z(b), z(b) − z(b−1)) for every resource row with a
    finite bound; the left difference is inf when z(b − 1) is infeasible."""
    solution = allocopt.solve(instance, backend="highs", lp_bound=False)
    program = build_program(instance)
    fixed = fixed_program(instance, program, solution)
    base = solve_lp(fixed)
    assert base.status.value == "optimal" and base.row_duals is not None
    a, lower, upper = fixed.matrix()
    on_upper = active_upper(lower, upper, a @ base.values)
    out = []
    for i, (rule, key) in enumerate(program.row_labels()):
        bound = upper[i] if on_upper[i] else lower[i]
        if rule not in RESOURCE_RULES or not np.isfinite(bound):
            continue
        plus = solve_lp(shift_bound(fixed, i, 1.0, bool(on_upper[i])))
        minus = solve_lp(shift_bound(fixed, i, -1.0, bool(on_upper[i])))
        right = plus.objective - base.objective
        left = base.objective - minus.objective if minus.objective is not None else np.inf
        out.append((rule, key, float(base.row_duals[i]), right, left))
    return out


@pytest.mark.parametrize("instance", [tutorial(), *(random_instance(s) for s in range(6))],
                         ids=["tutorial", *(f"random-{s}" for s in range(6))])
def test_duals_are_supergradients(instance):
    for rule, key, dual, right, left in one_unit_differences(instance):
        assert right <= dual + TOL, (rule, key, dual, right)
        assert dual <= left + TOL, (rule, key, dual, left)
        if abs(right - left) <= TOL:
            assert dual == pytest.approx(right, abs=TOL), (rule, key)


def test_duals_match_one_unit_changes_where_not_degenerate():
    """Across the random instances, binding rows with a non-zero dual whose value changes
    by exactly the dual for one more and one less unit: the plain finite-difference check."""
    matched = [(rule, dual) for s in range(8) for rule, _, dual, right, left
               in one_unit_differences(random_instance(s))
               if abs(dual) > TOL and abs(right - dual) <= TOL and abs(left - dual) <= TOL]
    assert len(matched) >= 3
    assert {rule.value for rule, _ in matched} & {"power", "capacity", "budget_opex",
                                                    "budget_capex", "procurement_quota"}


def test_tutorial_north_power_is_worth_open_science_growth():
    """North's power binds in Q3 and Q4, where only open-science (A100 at 0.3125 kW each,
    worth 1 per GPU over its run) can grow: one more kW in both quarters is worth 3.2,
    the sum of the two duals, however the degenerate LP splits it."""
    instance = tutorial()
    solution = allocopt.solve(instance, backend="highs", lp_bound=False)
    prices = shadow_prices(instance, solution)
    assert prices.objective == pytest.approx(1136)
    power = {r.key: r for r in prices.rows if r.rule == "power"}
    q3, q4 = power[("north", "2026-Q3")], power[("north", "2026-Q4")]
    assert q3.binding and q4.binding and q3.limit == pytest.approx(60)
    assert q3.dual + q4.dual == pytest.approx(3.2)
    program = build_program(instance)
    fixed = fixed_program(instance, program, solution)
    rows = [i for i, label in enumerate(program.row_labels())
            if label[0].value == "power" and label[1] in (q3.key, q4.key)]
    shifted = shift_bound(shift_bound(fixed, rows[0], 1.0, True), rows[1], 1.0, True)
    assert solve_lp(shifted).objective - solve_lp(fixed).objective == pytest.approx(3.2)
    assert not power[("south", "2026-Q1")].binding and power[("south", "2026-Q1")].dual == 0


def test_tutorial_reduced_costs_price_the_unfunded():
    """tax is worth 64 and needs only unpriced resources; robotics is worth 64 and needs
    10 kW of north's Q3-Q4 power at 3.2; court-search is worth 32 (A100 in Q1-Q2, spare)."""
    instance = tutorial()
    solution = allocopt.solve(instance, backend="highs", lp_bound=False)
    prices = shadow_prices(instance, solution)
    rc = {r.project: r for r in prices.reduced_costs}
    assert set(rc) == {"tax", "robotics", "court-search"}
    assert rc["tax"].reduced_cost == pytest.approx(64)
    assert rc["robotics"].reduced_cost == pytest.approx(32)
    assert rc["court-search"].reduced_cost == pytest.approx(32)
    assert (rc["tax"].configuration, rc["tax"].site, rc["tax"].start) == ("h100", "south",
                                                                          "2026-Q3")
    program = build_program(instance)
    fixed = fixed_program(instance, program, solution)
    a, _, _ = fixed.matrix()
    prices_of = column_prices(program, a, solve_lp(fixed).row_duals)
    cols = program.columns
    tax = instance.project_index["tax"]
    assert prices_of[cols.project == tax].max() == pytest.approx(64)


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_cli_shadow_prices_writes_both_tables(tmp_path: Path):
    out = tmp_path / "sp"
    result = CliRunner().invoke(sensitivity, [
        "shadow-prices", str(ROOT / "instances/tutorial.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    prices = rows_of(out / "shadow_prices.csv")
    assert list(prices[0]) == ["rule", "key", "dual", "activity", "limit", "binding"]
    by_key = {(r["rule"], r["key"]): r for r in prices}
    assert by_key[("power", "north|2026-Q3")]["binding"] == "true"
    assert ("capacity", "H200|north|2026-Q1") in by_key
    assert by_key[("budget_opex", "")]["limit"] == "1920"
    assert {r["rule"] for r in prices} <= {r.value for r in RESOURCE_RULES}
    reduced = rows_of(out / "reduced_costs.csv")
    assert list(reduced[0]) == ["project", "configuration", "site", "start", "reduced_cost"]
    assert {r["project"] for r in reduced} == {"tax", "robotics", "court-search"}
    assert "conditional" in (out / "sensitivity.json").read_text(encoding="utf-8")


def test_cli_shadow_prices_on_the_national_instance(tmp_path: Path):
    out = tmp_path / "korea"
    result = CliRunner().invoke(sensitivity, [
        "shadow-prices", str(ROOT / "instances/korea-2025.yaml"), "--out", str(out),
        "--time-limit", "10", "--gap", "0.01"])
    assert result.exit_code == 0, result.output
    prices = rows_of(out / "shadow_prices.csv")
    assert {"capacity", "power"} <= {r["rule"] for r in prices}
    for r in prices:
        dual = float(r["dual"])
        # ≥ 0 on ≤ rows, ≤ 0 on the ≥ rows (minimum shares) when maximising
        assert (dual <= TOL) if r["rule"] == "area_min_share" else (dual >= -TOL), r
        if r["binding"] == "false":
            assert abs(dual) <= TOL, r
