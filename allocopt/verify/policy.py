"""The policy's own promises: the reported objective is what the allocation is worth
under the last stage's objective, every earlier stage is kept within its tolerance,
and least-cost serves what it must."""

from __future__ import annotations

import math
from collections.abc import Iterator

from allocopt.verify.base import ABS_TOL, OBJ_REL_TOL, REL_TOL, Violation, reports
from allocopt.verify.context import Context


@reports("policy", "objective")
def check_policy(ctx: Context) -> Iterator[Violation]:
    recorded = getattr(ctx.solution, "policy", {}) or {}
    name = recorded.get("name") or ctx.instance.spec.policy.objective.value
    figures = {"weighted value": sum(ctx.project_value.values()),
               "cost": ctx.capex + ctx.public_opex}
    if name == "least-cost":
        yield from _check_least_cost(ctx, figures["weighted value"])
    yield from _check_stages(ctx, name, recorded, figures)


def _check_least_cost(ctx: Context, value: float) -> Iterator[Violation]:
    least_cost = ctx.instance.spec.policy.least_cost
    for pid in least_cost.serve:
        if pid not in ctx.project_value:
            yield Violation("policy", f"least-cost must serve project {pid}, which is not "
                                      f"funded")
    floor = least_cost.value_floor
    if floor > 0 and value < floor - ABS_TOL - REL_TOL * floor:
        yield Violation("policy", f"weighted value {value:g} is below the value floor "
                                  f"{floor:g}")


def _check_stages(ctx: Context, name: str, recorded: dict,
                  figures: dict[str, float]) -> Iterator[Violation]:
    """The last stage's worth is the reported objective; earlier stages keep theirs
    within the policy's tolerance."""
    policy, solution = ctx.instance.spec.policy, ctx.solution
    stages = recorded.get("stages") or [
        {"name": "weighted value", "sense": "max", "objective": solution.objective}]
    tolerance = {"least-cost": 1.0 - policy.least_cost.value_share,
                 "lexicographic": policy.tiers.tolerance}.get(name, 0.0)
    for k, stage in enumerate(stages):
        worth = _stage_worth(ctx, stage["name"], figures)
        reported = stage["objective"]
        if worth is None or reported is None:
            continue
        if k == len(stages) - 1:
            if solution.objective is not None and not math.isclose(
                    worth, solution.objective, rel_tol=OBJ_REL_TOL, abs_tol=1e-6):
                yield Violation("objective", f"reported objective {solution.objective!r} but "
                                             f"the allocation is worth {worth!r} "
                                             f"({stage['name']})")
            continue
        room = tolerance * abs(reported) + 1e-6 * max(1.0, abs(reported))
        kept = worth >= reported - room if stage["sense"] == "max" else worth <= reported + room
        if not kept:
            yield Violation("policy", f"stage {stage['name']!r} reached {reported!r} but the "
                                      f"allocation is worth {worth!r} there, beyond its "
                                      f"tolerance")


def _stage_worth(ctx: Context, name: str, figures: dict[str, float]) -> float | None:
    """What the allocation is worth under a named stage's objective (None: a stage
    this check cannot recompute, e.g. the piecewise-linear proportional one)."""
    if name in figures:
        return figures[name]
    if name.startswith("tier ") or name == "untiered":
        wanted = None if name == "untiered" else int(name.split()[1])
        return sum(v for pid, v in ctx.project_value.items() if _tier(ctx, pid) == wanted)
    fairness = ctx.instance.spec.policy.fairness
    if name.startswith("maxmin level ") and fairness.measure.value == "gpus":
        level = int(name.rsplit(" ", 1)[1])
        satisfaction = (_project_gpu_satisfaction(ctx) if fairness.across.value == "projects"
                        else _area_gpu_satisfaction(ctx))
        return sum(sorted(satisfaction)[:level])
    return None


def _tier(ctx: Context, project_id: str) -> int | None:
    """A project's tier, or else its nearest area's with one."""
    project = ctx.projects[project_id]
    if project.tier is not None:
        return project.tier
    area = project.area
    while area is not None:
        if ctx.areas[area].tier is not None:
            return ctx.areas[area].tier
        area = ctx.areas[area].parent
    return None


def _area_gpu_satisfaction(ctx: Context) -> list[float]:
    """Each top-level area's performance-equivalent GPU-periods over its weight's slice
    of those on hand (the definition in allocopt.policies.measures, recomputed)."""
    spec = ctx.instance.spec
    top = [a for a in spec.areas if a.parent is None and a.weight > 0]
    total_weight = sum(a.weight for a in top)
    n_periods = len(ctx.periods)
    on_hand = sum(d.units * ctx.types[d.type].perf * (n_periods - ctx.pidx[d.period])
                  for d in spec.supply)
    received: dict[str, float] = {}
    for p in spec.projects:
        if p.id in ctx.perf_gp:
            area = p.area
            while ctx.areas[area].parent is not None:
                area = ctx.areas[area].parent
            received[area] = received.get(area, 0.0) + ctx.perf_gp[p.id]
    total = on_hand if on_hand > 0 else 1.0
    return [received.get(a.id, 0.0) / (a.weight / total_weight * total) for a in top]


def _project_gpu_satisfaction(ctx: Context) -> list[float]:
    """Each project's performance-equivalent GPU-periods over its whole request's, times
    its weight relative to the mean (the definition in allocopt.policies.measures,
    recomputed): an elastic request's whole is its largest size on the average GPU
    on hand."""
    spec = ctx.instance.spec
    n_periods = len(ctx.periods)
    on_hand: dict[str, float] = {}
    for d in spec.supply:
        on_hand[d.type] = on_hand.get(d.type, 0.0) + d.units * (n_periods - ctx.pidx[d.period])
    total = sum(on_hand.values())
    taking = []
    for p in spec.projects:
        weight = ctx.area_weight[p.area] * p.score
        full = _whole_request(ctx, p, on_hand, total)
        if weight > 0 and full > 0:
            taking.append((p.id, weight, full))
    if not taking:
        return []
    mean = sum(w for _, w, _ in taking) / len(taking)
    return [ctx.perf_gp.get(pid, 0.0) / (full * w / mean) for pid, w, full in taking]


def _whole_request(ctx: Context, p, on_hand: dict[str, float], total: float) -> float:
    """The performance-equivalent GPU-periods of a project's largest request."""
    if p.request.configurations is not None:
        return max(sum(n * ctx.types[g].perf for g, n in c.gpus.items())
                   * (c.duration or p.window.duration) for c in p.request.configurations)
    e = p.request.elastic
    average = sum(on_hand.get(g, 0.0) / total * e.efficiency.get(g, ctx.types[g].perf)
                  for g in e.types) if total > 0 else 0.0
    size = e.max_gpus
    if e.max_units is not None and average > 0:
        size = min(size, e.max_units * average)
    return size * p.window.duration
