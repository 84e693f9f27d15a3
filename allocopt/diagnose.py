"""Why an instance is infeasible, in the instance's own words.

With every project optional, allocating nothing satisfies every rule; infeasibility
comes from mandatory projects and minimum shares meeting limited resources. Rules are
grouped as a planner names them (one mandatory project, one area's minimum share, the
capacity of one GPU type, the power of one site, the budget ...). A deletion filter
then frees one group at a time and keeps it freed while the rest is still infeasible:
the groups left form an irreducible conflict: drop any one and a feasible allocation
exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from allocopt.backends import DEFAULT_BACKEND, SolveOptions, choose_backend, get_backend
from allocopt.instance import Instance
from allocopt.model import Program, Rule, build_program
from allocopt.solution import Solution
from allocopt.status import Status

# Structural rows (at most one start per project, elastic sizes tied to their start)
# are definitions, not policy; they are never blamed.
_STRUCTURAL = {Rule.ELASTIC_MAX, Rule.ELASTIC_UNITS}


# Order of the deletion filter: groups tried first are dropped first when the rest
# still conflicts, so policy rules go first and physical limits and mandates last;
# the conflict reported then reads "P needs more than exists" where that is the cause.
_FREE_FIRST = ["area_min_share", "area_max_share", "dependency", "exclusion",
               "procurement_quota", "budget_capex", "budget_opex", "budget_total",
               "elastic_min", "power", "capacity", "mandatory"]


def _group(rule: Rule, key: tuple, lower: float) -> tuple | None:
    if rule in _STRUCTURAL:
        return None
    if rule is Rule.ASSIGNMENT:
        return ("mandatory", key[0]) if lower >= 1 else None
    if rule in (Rule.CAPACITY,):
        return ("capacity", key[0])
    if rule is Rule.POWER:
        return ("power", key[0])
    if rule in (Rule.AREA_MIN_SHARE, Rule.AREA_MAX_SHARE, Rule.PROCUREMENT_QUOTA):
        return (rule.value, key[0])
    if rule in (Rule.DEPENDENCY, Rule.EXCLUSION):
        return (rule.value, key[0], key[1])
    if rule is Rule.ELASTIC_MIN:
        return ("elastic_min", key[0])
    return (rule.value,)


def _with_free_groups(program: Program, groups_of_rows: list, free: set) -> Program:
    blocks = []
    start = 0
    for block in program.blocks:
        rows = groups_of_rows[start:start + block.size]
        start += block.size
        mask = np.array([g in free for g in rows], dtype=bool)
        if not mask.any():
            blocks.append(block)
            continue
        lower, upper = block.lower.copy(), block.upper.copy()
        if block.rule is Rule.ASSIGNMENT:
            lower[mask] = -np.inf
        else:
            lower[mask], upper[mask] = -np.inf, np.inf
        blocks.append(replace(block, lower=lower, upper=upper))
    return Program(columns=program.columns, blocks=blocks, maximize=program.maximize)


def _feasible(program: Program, backend: str, time_limit_s: float) -> bool | None:
    zero = replace(program.columns, objective=np.zeros(len(program.columns)))
    backend = choose_backend(backend, len(program.columns), bool(program.columns.integer.all()))
    result = get_backend(backend).solve(
        Program(columns=zero, blocks=program.blocks, maximize=program.maximize),
        SolveOptions(time_limit_s=time_limit_s))
    if result.status is Status.INFEASIBLE:
        return False
    return True if result.status.has_solution else None


def describe(instance: Instance, group: tuple) -> str:
    """One line naming a rule group as the instance writes it."""
    kind = group[0]
    spec = instance.spec
    if kind == "mandatory":
        project = instance.projects[instance.project_index[group[1]]]
        first, last = instance.window(project)
        return (f"mandatory project {group[1]} must be funded within "
                f"{instance.periods[first]}..{instance.periods[last]}")
    if kind == "capacity":
        on_hand = instance.supply_cumulative[instance.type_index[group[1]]]  # [site, period]
        buyable = sum(o.max_units for o in spec.procurement if o.type == group[1])
        extra = f", plus at most {buyable} to buy" if buyable else ""
        return (f"capacity of {group[1]}: at most {on_hand.max():g} at any one site "
                f"({on_hand[:, -1].sum():g} in all){extra}")
    if kind == "power":
        site = spec.sites[instance.site_index[group[1]]]
        return f"power of site {site.id}: at most {site.power_mw:g} MW (PUE {site.pue:g})"
    if kind in ("area_min_share", "area_max_share"):
        area = spec.areas[instance.area_index[group[1]]]
        which = "min_share" if kind == "area_min_share" else "max_share"
        return f"area {area.id!r} {which} {getattr(area, which):g}"
    if kind == "dependency":
        return f"project {group[1]} depends on {group[2]} (must start after it ends)"
    if kind == "exclusion":
        return f"projects {group[1]} and {group[2]} exclude each other"
    if kind == "elastic_min":
        project = instance.projects[instance.project_index[group[1]]]
        return f"project {group[1]} needs at least {project.request.elastic.min_gpus:g} " \
               "performance-equivalent GPUs"
    if kind == "procurement_quota":
        return f"procurement option {group[1]} quota"
    budget = spec.policy.budget
    limit = {"budget_capex": budget.capex, "budget_opex": budget.opex,
             "budget_total": budget.total}.get(kind)
    return f"{kind.replace('_', ' ')} {limit:,.2f} {budget.currency}"


def conflict_groups(instance: Instance, backend: str = DEFAULT_BACKEND,
                    time_limit_s: float = 20.0) -> list[tuple]:
    """An irreducible set of rule groups that cannot hold together ([] if feasible)."""
    program = build_program(instance, pruned=False)
    labels = program.row_labels()
    lowers = np.concatenate([b.lower for b in program.blocks] or [np.zeros(0)])
    groups_of_rows = [_group(rule, key, lo) for (rule, key), lo in zip(labels, lowers,
                                                                          strict=True)]
    groups = sorted(dict.fromkeys(g for g in groups_of_rows if g is not None),
                    key=lambda g: _FREE_FIRST.index(g[0]) if g[0] in _FREE_FIRST else 0)
    if _feasible(program, backend, time_limit_s) is not False:
        return []
    free: set = set()
    for g in groups:
        trial = _with_free_groups(program, groups_of_rows, free | {g})
        if _feasible(trial, backend, time_limit_s) is False:
            free.add(g)
    return [g for g in groups if g not in free]


def diagnose(instance: Instance, backend: str = DEFAULT_BACKEND) -> list[str]:
    """Lines naming the conflicting rules of an infeasible instance ([] if feasible)."""
    return [describe(instance, g) for g in conflict_groups(instance, backend)]


@dataclass(frozen=True)
class Infeasibility:
    """Why no allocation exists. `conflicts`: the conflicting rules of the instance
    (`diagnose`). Under the robust policy, `robust` is set and `scenarios` maps each
    scenario infeasible on its own (file order) to its conflicting rules, purchases taken
    at face value; `conflicts` is then empty."""

    conflicts: list[str] = field(default_factory=list)
    robust: bool = False
    scenarios: dict[str, list[str]] = field(default_factory=dict)


def explain_infeasible(instance: Instance, solution: Solution,
                       backend: str = DEFAULT_BACKEND) -> Infeasibility:
    """The conflicting rules behind an infeasible `solution` of `instance`."""
    if solution.policy.get("name") != "robust":
        return Infeasibility(conflicts=diagnose(instance, backend))
    from allocopt.policies.scenarios import scenario_instance

    failing = set(solution.infeasible_scenarios)
    return Infeasibility(robust=True, scenarios={
        s.id: diagnose(scenario_instance(instance, s), backend)
        for s in instance.spec.scenarios if s.id in failing})
