"""Plans that survive shocks: purchases decided once, allocations per scenario.

The extensive form holds one copy of the weighted-value model per scenario and one
set of purchase (BUY) columns shared by all. In copy k, every purchase column
becomes an *arrival* column a_k, an integer with a_k ≤ retained_k · buy (so blocked
shares round down to whole units or nodes, as `scenarios` defines), counted by the
capacity rows of periods from its arrival plus the site's delay on; capacity rows
take the scenario's deliveries; budget and quota rows of every copy see the shared
purchases. Objective, by `policy.robust.criterion`:

- expected:             maximise Σ_k p_k · value_k;
- worst-case:           maximise η with η ≤ value_k for every k, then the expected
                        value with that worst case kept;
- expected-with-floor:  maximise Σ_k p_k · value_k with value_k ≥ floor for every k.

Then, with every award fixed, the purchases are cut to the cheapest plan that still
serves them (the value is indifferent to idle GPUs; the budget is not).

Figures (for any criterion, about the expected value of the plan chosen):
- `expected_value` Σ p_k value_k and `worst_case_value` min_k value_k of the plan;
- `vss` = expected_value − EEV: EEV plans for the average scenario (each capacity
  row at its expected value, each purchase at its expected arrival), then lets each
  scenario re-allocate under that plan;
- `evpi` = WS − expected_value: WS lets each scenario buy knowing it will happen.
Every sub-solve is verified; each scenario's allocation is verified as an ordinary
instance with the plan's arrivals as deliveries (`fixed_purchase_instance`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

import numpy as np

from allocopt.backends import SolveOptions, choose_backend
from allocopt.clock import share, with_deadline
from allocopt.errors import VerificationError
from allocopt.instance import Instance
from allocopt.instance.schema import RobustCriterion, Scenario
from allocopt.model import build_program
from allocopt.model.decode import decode, decode_purchases
from allocopt.model.program import Columns, Program, RowBlock, Rule, VarKind, stack
from allocopt.policies.extend import append_columns, append_rows
from allocopt.policies.scenarios import (
    delay,
    fixed_purchase_instance,
    retained,
    scenario_instance,
)
from allocopt.policies.stages import Stage, StagedResult, solve_stages
from allocopt.solution import Purchase, Solution
from allocopt.status import Result, Status

# `allocopt.solving.pipeline.solve`, handed in by the pipeline (which imports this module) so
# that the robust policy never imports the pipeline back.
SolveWeighted = Callable[..., Solution]

# Verify rules that a purchase plan alone can break.
PLAN_RULES = frozenset({"procurement", "procurement_lead_time", "procurement_quota",
                        "budget_capex", "budget_total"})


@dataclass(frozen=True)
class Layout:
    """Where things sit in the extensive form: copy k's columns start at
    offsets[k] (n columns each); `first_stage[i]` is the shared column of base BUY
    column `buy[i]`."""

    n: int
    offsets: tuple[int, ...]
    buy: np.ndarray
    first_stage: np.ndarray

    def copy_values(self, values: np.ndarray, k: int) -> np.ndarray:
        """Copy k's values over the base columns, purchases from the shared columns."""
        out = np.array(values[self.offsets[k]:self.offsets[k] + self.n], dtype=float)
        out[self.buy] = values[self.first_stage]
        return out


def _capacity_index(instance: Instance, block: RowBlock) -> tuple[np.ndarray, ...]:
    g = np.array([instance.type_index[k[0]] for k in block.keys], dtype=np.int64)
    s = np.array([instance.site_index[k[1]] for k in block.keys], dtype=np.int64)
    t = np.array([instance.period_index[k[2]] for k in block.keys], dtype=np.int64)
    return g, s, t


def _buy_shares(instance: Instance, base: Program, scenario: Scenario) -> tuple[np.ndarray, ...]:
    """Per base BUY column: retained share and delay under `scenario`."""
    cols = base.columns
    buy = np.flatnonzero(cols.kind == VarKind.BUY)
    spec = instance.spec
    share = np.array([retained(scenario, spec.gpu_types[cols.gpu_type[j]].id,
                               spec.sites[cols.site[j]].id, instance.periods[cols.start[j]],
                               instance.period_index) for j in buy])
    late = np.array([delay(scenario, spec.sites[cols.site[j]].id) for j in buy],
                    dtype=np.int64)
    return share, late


def extensive_form(instance: Instance, base: Program, scenarios: list[Scenario],
                   probabilities: list[float], criterion: RobustCriterion,
                   floor: float | None) -> tuple[Program, Layout, list[Stage]]:
    """The extensive form of `base` over `scenarios`, and the stages for `criterion`
    (worst-case: then the expected value, with the worst case kept)."""
    cols = base.columns
    n = len(cols)
    buy = np.flatnonzero(cols.kind == VarKind.BUY)
    buy_pos = np.full(n, -1)
    buy_pos[buy] = np.arange(len(buy))
    offsets = tuple(k * n for k in range(len(scenarios)))
    first = len(scenarios) * n + np.arange(len(buy))
    layout = Layout(n, offsets, buy, first)

    per_column = [f.name for f in fields(Columns) if not f.name.startswith("usage_")]
    parts: dict[str, list[np.ndarray]] = {name: [] for name in per_column}
    for off in offsets:
        for name in per_column:
            a = getattr(cols, name).copy()
            if name == "kind":
                a[buy] = VarKind.AUX  # arrivals
            elif name == "capex":
                a[buy] = 0.0
            elif name == "start_column":
                a = np.where(a >= 0, a + off, a)
            parts[name].append(a)
    for name in per_column:
        parts[name].append(getattr(cols, name)[buy])
    usage = {"usage_column": np.concatenate([cols.usage_column + off for off in offsets]),
             "usage_type": np.tile(cols.usage_type, len(offsets)),
             "usage_amount": np.tile(cols.usage_amount, len(offsets))}
    columns = Columns(**{name: np.concatenate(parts[name]) for name in per_column}, **usage)

    blocks = []
    for scenario, off in zip(scenarios, offsets, strict=True):
        share, late = _buy_shares(instance, base, scenario)
        supply = scenario_instance(instance, scenario).supply_cumulative
        for block in base.blocks:
            is_buy = buy_pos[block.cols] >= 0
            if block.rule is Rule.CAPACITY:
                g, s, t = _capacity_index(instance, block)
                arrive = cols.start[block.cols] + late[np.maximum(buy_pos[block.cols], 0)]
                keep = ~is_buy | (t[block.rows] >= arrive)
                blocks.append(RowBlock(block.rule, block.rows[keep], block.cols[keep] + off,
                                       block.vals[keep], block.lower, supply[g, s, t],
                                       [(*key, scenario.id) for key in block.keys]))
                continue
            mapped = np.where(is_buy, first[np.maximum(buy_pos[block.cols], 0)],
                              block.cols + off)
            blocks.append(RowBlock(block.rule, block.rows, mapped, block.vals, block.lower,
                                   block.upper, [(*key, scenario.id) for key in block.keys]))
        m = len(buy)
        blocks.append(RowBlock(  # arrival_k − retained_k · buy ≤ 0
            Rule.POLICY, np.concatenate([np.arange(m), np.arange(m)]),
            np.concatenate([buy + off, first]), np.concatenate([np.ones(m), -share]),
            np.full(m, -np.inf), np.zeros(m),
            [("arrival", scenario.id, int(j)) for j in buy]))
    program = Program(columns=columns, blocks=_merge_policy_blocks(blocks))

    value = np.zeros(len(columns))
    for p, off in zip(probabilities, offsets, strict=True):
        value[off:off + n] = p * cols.objective
    copies = [np.arange(off, off + n) for off in offsets]
    if criterion is RobustCriterion.WORST_CASE:
        top = float(np.clip(cols.objective, 0, None) @ cols.upper)
        program, (eta,) = append_columns(program, np.zeros(1), np.array([top]))
        rows = np.concatenate([np.zeros(1 + n, dtype=np.int64) + k for k in range(len(copies))])
        col = np.concatenate([np.concatenate([[eta], c]) for c in copies])
        val = np.tile(np.concatenate([[1.0], -cols.objective]), len(copies))
        program = append_rows(program, rows, col, val, np.full(len(copies), -np.inf),
                              np.zeros(len(copies)), [("worst", s.id) for s in scenarios])
        objective = np.zeros(len(program.columns))
        objective[eta] = 1.0
        return program, layout, [Stage("worst-case value", objective),
                                 Stage("expected value", value)]
    if criterion is RobustCriterion.EXPECTED_WITH_FLOOR:
        rows = np.concatenate([np.zeros(n, dtype=np.int64) + k for k in range(len(copies))])
        program = append_rows(program, rows, np.concatenate(copies),
                              np.tile(cols.objective, len(copies)),
                              np.full(len(copies), float(floor)),
                              np.full(len(copies), np.inf), [("floor", s.id) for s in scenarios])
    return program, layout, [Stage("expected value", value)]


def _merge_policy_blocks(blocks: list[RowBlock]) -> list[RowBlock]:
    """One block per rule (copies stacked), so that rule names stay unique."""
    out: dict[Rule, RowBlock] = {}
    for b in blocks:
        out[b.rule] = stack(out[b.rule], b) if b.rule in out else b
    return list(out.values())


def mean_value_program(instance: Instance, base: Program, scenarios: list[Scenario],
                       probabilities: list[float]) -> Program:
    """The expected-value problem: every capacity row's supply and every purchase's
    arrival replaced by its expectation over the scenarios."""
    cols = base.columns
    buy_pos = np.full(len(cols), -1)
    buy = np.flatnonzero(cols.kind == VarKind.BUY)
    buy_pos[buy] = np.arange(len(buy))
    blocks = []
    for block in base.blocks:
        if block.rule is not Rule.CAPACITY:
            blocks.append(block)
            continue
        g, s, t = _capacity_index(instance, block)
        upper = np.zeros(block.size)
        vals = block.vals.copy()
        is_buy = buy_pos[block.cols] >= 0
        expected = np.zeros(int(is_buy.sum()))
        for scenario, p in zip(scenarios, probabilities, strict=True):
            upper += p * scenario_instance(instance, scenario).supply_cumulative[g, s, t]
            share, late = _buy_shares(instance, base, scenario)
            j = buy_pos[block.cols[is_buy]]
            arrived = t[block.rows[is_buy]] >= cols.start[block.cols[is_buy]] + late[j]
            expected += p * share[j] * arrived
        vals[is_buy] = block.vals[is_buy] * expected
        blocks.append(replace(block, vals=vals, upper=upper))
    return replace(base, blocks=blocks)


TRIM_WEIGHT = 0.2


def solve_and_trim(program: Program, stages: list[Stage], backend: str,
                   options: SolveOptions) -> StagedResult:
    """Optimise `stages` in order, then buy as little as that allocation needs: with every award
    fixed, minimise capex over the purchases (and arrivals) alone, a small problem. The
    value is untouched, since the allocation is; the answer's objective and bound are
    the first stage's."""
    # The purchases' problem is small: it keeps a fifth of a stage's time.
    first = solve_stages(program, stages, backend,
                         share(options, len(stages), len(stages) + TRIM_WEIGHT))
    values = first.result.values
    if not first.result.status.has_solution or values is None:
        return first
    cols = program.columns
    award = (cols.kind == VarKind.ASSIGN) | (cols.kind == VarKind.START) | (
        cols.kind == VarKind.SIZE)
    held = np.where(cols.integer, np.round(values), values)
    fixed = replace(program, columns=replace(cols, lower=np.where(award, held, cols.lower),
                                             upper=np.where(award, held, cols.upper)))
    cheapest = solve_stages(fixed, [Stage("capex", cols.capex, maximize=False)], backend,
                            replace(options, hint=held))
    if not cheapest.result.status.has_solution:
        return first
    top = first.stages[0]
    result = replace(cheapest.result, status=first.result.status, objective=top.objective,
                     bound=top.bound, wall_s=first.result.wall_s + cheapest.result.wall_s)
    return StagedResult(result, first.program, [*first.stages, *cheapest.stages])


def _plan_violations(instance: Instance, plan: list[Purchase]) -> list[str]:
    """What a purchase plan alone breaks (quotas, lead times, sites, capital)."""
    plan_only = Solution(Status.OPTIMAL, None, None, None, "", 0.0, purchases=plan)
    return [f"plan: {v}" for v in plan_only.verify(instance) if v.rule in PLAN_RULES]


def _verify_scenarios(instance: Instance, plan: list[Purchase],
                      per_scenario: list[tuple[Scenario, Instance, Solution]]) -> list[str]:
    problems = _plan_violations(instance, plan)
    for scenario, fixed, solution in per_scenario:
        problems += [f"scenario {scenario.id}: {v}" for v in solution.verify(fixed)]
    return problems


def _scenario_solutions(instance: Instance, base: Program, layout: Layout, result: Result,
                        scenarios: list[Scenario], plan: list[Purchase]
                        ) -> list[tuple[Scenario, Instance, Solution]]:
    out = []
    for k, scenario in enumerate(scenarios):
        values = layout.copy_values(result.values, k)
        value = float(base.columns.objective @ values)
        copy = Result(result.status, value, None, values, 0.0, result.backend)
        solution = decode(instance, base, copy)
        solution.purchases = []  # the plan's arrivals are deliveries of `fixed`
        out.append((scenario, fixed_purchase_instance(instance, scenario, plan), solution))
    return out


def _solve_extensive(instance: Instance, base: Program, scenarios: list[Scenario],
                     probabilities: list[float], criterion: RobustCriterion,
                     floor: float | None, backend: str, options: SolveOptions):
    program, layout, stages = extensive_form(instance, base, scenarios, probabilities,
                                             criterion, floor)
    return solve_and_trim(program, stages, backend, options), layout


def _expected_value_plan(instance: Instance, base: Program, scenarios: list[Scenario],
                         p: list[float], backend: str, options: SolveOptions, check: bool,
                         solve_weighted: SolveWeighted
                         ) -> tuple[list[Purchase] | None, list[Solution | None]]:
    """The plan for the average scenario (None if it has none) and each scenario's best
    allocation under it (None where that scenario cannot be served)."""
    mean = mean_value_program(instance, base, scenarios, p)
    n = len(scenarios)
    ev = solve_and_trim(mean, [Stage("weighted value", base.columns.objective)], backend,
                        share(options, 1, n + 1))
    if not ev.result.status.has_solution:
        return None, [None] * len(scenarios)
    plan = decode_purchases(instance, ev.program, ev.result.values)
    answers: list[Solution | None] = []
    for k, scenario in enumerate(scenarios):
        fixed = fixed_purchase_instance(instance, scenario, plan)
        answer = solve_weighted(fixed, backend=backend, options=share(options, 1, n - k),
                                check=check, lp_bound=False, start=None)
        answers.append(answer if answer.status.has_solution else None)
    return plan, answers


def _hint(instance: Instance, base: Program, program: Program, layout: Layout,
          scenarios: list[Scenario], plan: list[Purchase],
          answers: list[Solution]) -> np.ndarray:
    """Extensive-form values that reproduce `plan` with each scenario's allocation in
    `answers`: a feasible start, worth the plan's expected value."""
    from allocopt.solving.starts.warmstart import hint_from_solution

    hint = np.zeros(len(program.columns))
    buy = None
    for k, (scenario, answer) in enumerate(zip(scenarios, answers, strict=True)):
        values = hint_from_solution(instance, base, Solution(
            Status.OPTIMAL, None, None, None, "", 0.0, awards=answer.awards, purchases=plan))
        buy = values[layout.buy]
        share, _ = _buy_shares(instance, base, scenario)
        values[layout.buy] = np.floor(share * buy + 1e-9)  # arrivals
        hint[layout.offsets[k]:layout.offsets[k] + layout.n] = values
    hint[layout.first_stage] = buy
    extra = len(scenarios) * layout.n + len(layout.buy)
    if len(program.columns) > extra:  # the worst case's η, appended last
        hint[extra:] = min(float(base.columns.objective @ hint[o:o + layout.n])
                           for o in layout.offsets)
    return hint


def solve_robust(instance: Instance, solve_weighted: SolveWeighted, backend: str = "scip",
                 options: SolveOptions | None = None, check: bool = True) -> Solution:
    """Solve the robust policy; raises VerificationError if any allocation or the plan
    breaks a rule. `solve_weighted` is `allocopt.solving.pipeline.solve`, which calls this: each
    scenario's allocation under the average scenario's plan is an ordinary solve."""
    from allocopt.policies import parameters

    options = with_deadline(options or SolveOptions(), time.monotonic())
    settings = instance.spec.policy.robust
    scenarios = list(instance.spec.scenarios)
    n = len(scenarios)
    p = [s.probability for s in scenarios]
    started = time.perf_counter()
    base = build_program(instance)
    integer = bool(base.columns.integer.all()) and (
        settings.criterion is not RobustCriterion.WORST_CASE)  # η is continuous
    backend = choose_backend(backend, len(base.columns) * len(scenarios), integer)
    build_s = time.perf_counter() - started

    # The average scenario's plan first: with each scenario's best allocation under it,
    # it seeds the robust solve, which therefore never ends below it (VSS >= 0).
    # The time left is shared by weight: the average-scenario plan and each scenario
    # under it (n + 1), the robust model (n copies), each scenario alone (n).
    ev_plan, ev_answers = _expected_value_plan(instance, base, scenarios, p, backend,
                                               share(options, n + 1, 3 * n + 1), check,
                                               solve_weighted)
    program, layout, stages = extensive_form(instance, base, scenarios, p, settings.criterion,
                                             settings.floor)
    hint = None
    if ev_plan is not None and None not in ev_answers:
        hint = _hint(instance, base, program, layout, scenarios, ev_plan, ev_answers)
    staged = solve_and_trim(program, stages, backend,
                            share(replace(options, hint=hint), n, 2 * n))
    result = staged.result
    first = staged.stages[0]
    solution = Solution(status=result.status, objective=first.objective, bound=first.bound,
                        gap=None, backend=backend, wall_s=0.0, build_s=build_s,
                        message=result.message, interrupted=result.interrupted)
    solution.gap = Result(first.status, first.objective, first.bound, None, 0.0, "").gap
    solution.policy = {"name": "robust", "parameters": parameters(instance),
                       "stages": [o.as_dict for o in staged.stages]}
    if result.status is Status.INFEASIBLE and len(scenarios) > 1:
        alone = [s.id for s in scenarios
                 if _solve_extensive(instance, base, [s], [1.0], RobustCriterion.EXPECTED, None,
                                     backend, options)[0].result.status is Status.INFEASIBLE]
        solution.infeasible_scenarios = alone
        solution.message = ("infeasible on their own: " + ", ".join(alone) if alone else
                            "every scenario is feasible alone; the criterion's floor or the "
                            "shared purchases make them conflict")
    if not result.status.has_solution:
        solution.wall_s = time.perf_counter() - started - build_s
        return solution
    plan = decode_purchases(instance, staged.program, result.values)
    per_scenario = _scenario_solutions(instance, base, layout, result, scenarios, plan)
    values = [s.objective for _, _, s in per_scenario]
    expected = float(np.dot(p, values))
    # The criterion's value at the final allocation (the capex stage kept it).
    solution.objective = (min(values) if settings.criterion is RobustCriterion.WORST_CASE
                          else expected)
    problems = _verify_scenarios(instance, plan, per_scenario) if check else []

    # WS: each scenario buys knowing it will happen.
    ws_values: list[float | None] = []
    ws_bounds: list[float | None] = []
    for k, scenario in enumerate(scenarios):
        # The robust plan with this scenario's allocation is a feasible start.
        own = result.values[layout.offsets[k]:layout.offsets[k] + layout.n]
        start = np.concatenate([own, result.values[layout.first_stage]])
        ws, ws_layout = _solve_extensive(instance, base, [scenario], [1.0],
                                         RobustCriterion.EXPECTED, None, backend,
                                         share(replace(options, hint=start), 1, n - k))
        if not ws.result.status.has_solution:
            ws_values.append(None)
            ws_bounds.append(None)
            continue
        ws_plan = decode_purchases(instance, ws.program, ws.result.values)
        answers = _scenario_solutions(instance, base, ws_layout, ws.result, [scenario], ws_plan)
        if check:
            problems += _verify_scenarios(instance, ws_plan, answers)
        ws_values.append(answers[0][2].objective)
        ws_bounds.append(ws.stages[0].bound)
    if problems:
        raise VerificationError("\n".join(problems))

    eev_values = [a.objective if a is not None else None for a in ev_answers]
    eev = float(np.dot(p, eev_values)) if None not in eev_values else None
    ws_total = float(np.dot(p, ws_values)) if None not in ws_values else None
    solution.purchases = plan
    solution.awards = per_scenario[0][2].awards
    solution.scenarios = per_scenario
    solution.wall_s = time.perf_counter() - started - build_s
    solution.figures = {
        "expected_value": expected,
        "worst_case_value": min(values),
        "vss": None if eev is None else expected - eev,
        "evpi": None if ws_total is None else ws_total - expected,
        "eev": eev,
        "wait_and_see": ws_total,
        # Proven limits: the robust optimum (expected criterion) and wait-and-see are at
        # most these, so VSS and EVPI are known to within them.
        "expected_value_bound": (first.bound if settings.criterion is RobustCriterion.EXPECTED
                                 else None),
        "wait_and_see_bound": (float(np.dot(p, ws_bounds)) if None not in ws_bounds
                               else None),
        "scenarios": [
            {"id": s.id, "probability": s.probability, "value": v,
             "funded_projects": len(sol.awards), "eev_value": e, "wait_and_see_value": w}
            for (s, _, sol), v, e, w in zip(per_scenario, values, eev_values, ws_values,
                                            strict=True)],
        "ev_plan": [{"option": b.option, "gpu_type": b.gpu_type, "site": b.site,
                     "period": b.period, "units": b.units} for b in ev_plan or []],
    }
    return solution


def verify_folder(instance: Instance, folder) -> list[str]:
    """Re-check a robust results folder from its files alone: the plan (purchases.csv)
    against the purchase rules, every scenario's allocation (scenario-k-allocation.csv)
    against that scenario with the plan's arrivals and its value in scenarios.csv, and
    summary.json's expected and worst-case values against those values."""
    import math
    from pathlib import Path

    from allocopt.folder import read_scenario_values, scenario_files
    from allocopt.results import read_solution

    folder = Path(folder)
    first, problems = read_solution(instance, folder)
    plan = first.purchases
    out = [str(p) for p in problems] + _plan_violations(instance, plan)
    values, summary = read_scenario_values(folder)
    for k, scenario in enumerate(instance.spec.scenarios, start=1):
        if scenario.id not in values:
            out.append(f"scenario {scenario.id}: missing from scenarios.csv")
            continue
        fixed = fixed_purchase_instance(instance, scenario, plan)
        answer, found = read_solution(fixed, folder, *scenario_files(k))
        answer.objective = values[scenario.id]
        answer.policy = {}
        answer.purchases = []  # the plan's arrivals are deliveries of `fixed`
        out += [f"scenario {scenario.id}: {v}"
                for v in [*(f for f in found if f.rule != "instance"), *answer.verify(fixed)]]
    if len(values) == len(instance.spec.scenarios):
        expected = sum(s.probability * values[s.id] for s in instance.spec.scenarios)
        worst = min(values.values())
        for key, figure in (("expected_value", expected), ("worst_case_value", worst)):
            reported = summary.get(key)
            if not isinstance(reported, int | float) or not math.isclose(
                    reported, figure, rel_tol=1e-6, abs_tol=1e-6):
                out.append(f"summary.json {key} {reported!r}, but the scenarios give {figure!r}")
    return out
