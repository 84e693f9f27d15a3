"""Policies: what "best" means, beyond weighted value.

- `weighted`: maximise Σ area weight · score · value (the model's own objective).
- `maxmin`: water-filling max–min fairness of area satisfaction (`fairness`).
- `proportional`: maximise Σ weight · log satisfaction, piecewise-linear (`fairness`).
- `lexicographic`: tiers, one after another (`objectives`).
- `least-cost`: the cheapest plan that serves the portfolio (`objectives`).
- `robust`: purchases that hold up across supply scenarios (`robust`).

Every policy is solved on the weighted-value formulation with its own columns, rows
and objectives appended (`extend`), often in stages (`stages`); its allocation is
verified like any other, since the policy changes what is best, never the rules.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from allocopt.backends import SolveOptions, choose_stage_backend
from allocopt.errors import BackendError
from allocopt.instance import Instance
from allocopt.instance.schema import Objective
from allocopt.model import Program
from allocopt.policies.fairness import (
    VALUE_WEIGHT_PER_LEVEL,
    maxmin_levels,
    proportional_objective,
    satisfactions,
)
from allocopt.policies.objectives import least_cost_stages, tier_stages
from allocopt.policies.stages import Stage, StagedResult, solve_stages

# Policies whose own columns are continuous: CP-SAT (integers only) cannot take them.
CONTINUOUS_POLICIES = frozenset({Objective.MAXMIN, Objective.PROPORTIONAL})


def parameters(instance: Instance) -> dict[str, Any]:
    """The settings that shape the instance's policy, for summary.json."""
    policy = instance.spec.policy
    name = policy.objective
    if name in (Objective.MAXMIN, Objective.PROPORTIONAL):
        out = policy.fairness.model_dump(mode="json")
        if name is Objective.MAXMIN:
            out.pop("pieces")
        else:
            out.pop("levels")
        return out
    if name is Objective.LEXICOGRAPHIC:
        return policy.tiers.model_dump(mode="json")
    if name is Objective.LEAST_COST:
        return policy.least_cost.model_dump(mode="json")
    if name is Objective.ROBUST:
        return {**policy.robust.model_dump(mode="json"),
                "scenarios": [s.id for s in instance.spec.scenarios]}
    return {}


def solve_staged_policy(instance: Instance, program: Program, backend: str,
                        options: SolveOptions, auto: bool = False
                        ) -> tuple[StagedResult, dict[str, Any]]:
    """Solve a non-robust, non-weighted policy; the staged answer and the figures that
    describe it (stages, satisfactions, approximation error). With `auto`, each stage
    is solved by the backend `allocopt.backends.choose_stage_backend` gives its shape
    (`backend` otherwise)."""
    policy = instance.spec.policy
    name = policy.objective
    if backend == "cpsat" and name in CONTINUOUS_POLICIES:
        raise BackendError(f"the {name.value} policy adds continuous columns; cpsat takes "
                           "integer columns only (use scip, highs or cbc)")
    report: dict[str, Any] = {}
    measure = polish = None
    weighted = Stage("weighted value", program.columns.objective.copy())
    if name is Objective.MAXMIN:
        program, stages, measure, polish = maxmin_levels(instance, program, policy.fairness)
        if policy.fairness.then_value:
            # The levels only fix rows: the final stage gets most of the time.
            stages.append(replace(weighted, weight=VALUE_WEIGHT_PER_LEVEL * len(stages)))
    elif name is Objective.PROPORTIONAL:
        program, stage, measure, info, polish = proportional_objective(instance, program,
                                                                       policy.fairness)
        stages = [stage]
        if policy.fairness.then_value:
            stages.append(replace(weighted, weight=VALUE_WEIGHT_PER_LEVEL))
        report.update(info)
    elif name is Objective.LEXICOGRAPHIC:
        stages, _ = tier_stages(instance, program)
    elif name is Objective.LEAST_COST:
        program, stages = least_cost_stages(instance, program)
    else:
        raise ValueError(f"{name.value} is not a staged policy")
    chooser = _stage_chooser if auto else backend
    staged = solve_stages(program, stages, chooser, options, polish)
    report["stages"] = [o.as_dict for o in staged.stages]
    if measure is not None:
        report["measure"] = measure.measure.value
        report["fair_share"] = dict(zip(measure.areas, measure.fair_share.tolist(), strict=True))
        if staged.result.values is not None:
            sat = satisfactions(measure, staged.result.values)
            report["satisfaction"] = sat
            if name is Objective.PROPORTIONAL:
                values = np.array(list(sat.values()))
                report["log_objective"] = (float(np.dot(measure.weights, np.log(values)))
                                           if np.all(values > 0) else None)
    return staged, report


def _stage_chooser(stage: Stage, program: Program) -> str:
    return choose_stage_backend(stage.kind, len(program.columns),
                                bool(program.columns.integer.all()))


__all__ = ["CONTINUOUS_POLICIES", "parameters", "solve_staged_policy"]
