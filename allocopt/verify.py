"""Re-check every rule from the allocation alone.

This module deliberately shares nothing with `allocopt.model`: it reads the
instance's plain fields and the awards, and recomputes each rule with simple loops,
so that a formulation bug cannot hide itself. Tolerances: a quantity may exceed its
limit by at most ABS_TOL + REL_TOL · |limit| (REL_TOL is the feasibility tolerance the
solvers themselves apply to rows: a 40,000 budget may be exceeded by 0.04); the
objective must match the reported one within OBJ_REL_TOL relative.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from allocopt.instance import Instance
from allocopt.instance.schema import Granularity

ABS_TOL = 1e-6
REL_TOL = 1e-6
OBJ_REL_TOL = 1e-6


@dataclass(frozen=True)
class Violation:
    """A rule that does not hold, named as in the model (`capacity`, `power`, ...)."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def _over(value: float, limit: float) -> bool:
    return value > limit + ABS_TOL + REL_TOL * abs(limit)


def verify(instance: Instance, solution) -> list[Violation]:
    """All violated rules of `solution` (an allocopt Solution) on `instance`."""
    spec = instance.spec
    out: list[Violation] = []

    def bad(rule: str, message: str) -> None:
        out.append(Violation(rule, message))

    periods = list(spec.periods)
    pidx = {p: i for i, p in enumerate(periods)}
    types = {g.id: g for g in spec.gpu_types}
    sites = {s.id: s for s in spec.sites}
    projects = {p.id: p for p in spec.projects}
    gran = spec.policy.granularity

    def hosts(site_id: str, g: str) -> bool:
        site = sites[site_id]
        return not site.hosts or g in site.hosts

    awards = {}
    held = defaultdict(float)  # (type, site, period index) -> GPUs held by projects
    perf_gp = {}  # project -> performance-equivalent GPU-periods
    project_value = {}  # project -> weighted value
    run = {}  # project -> (first, last) period index
    public_opex = 0.0
    cofund = {p.id: p.cofunding_share for p in spec.partners}
    for a in solution.awards:
        if a.project not in projects:
            bad("assignment", f"award for unknown project {a.project!r}")
            continue
        if a.project in awards:
            bad("assignment", f"project {a.project} is awarded more than once")
            continue
        awards[a.project] = a
        p = projects[a.project]
        if a.site not in sites or a.start not in pidx or a.end not in pidx:
            bad("assignment", f"project {p.id}: unknown site or period in its award")
            continue
        first, last = pidx[a.start], pidx[a.end]
        run[p.id] = (first, last)
        win_first = pidx[p.window.earliest_start] if p.window.earliest_start else 0
        win_last = pidx[p.window.latest_end] if p.window.latest_end else len(periods) - 1
        if first < win_first or last > win_last:
            bad("window", f"project {p.id} runs {a.start}..{a.end}, outside its window "
                          f"{periods[win_first]}..{periods[win_last]}")
        for g in a.gpus:
            if g not in types:
                bad("assignment", f"project {p.id}: unknown GPU type {g!r}")
            elif not hosts(a.site, g):
                bad("site_hosts", f"project {p.id}: site {a.site} cannot host {g}")
        if any(g not in types for g in a.gpus):
            continue
        for g, n in a.gpus.items():
            if n < -ABS_TOL:
                bad("granularity", f"project {p.id}: negative GPUs of {g}")
            if gran is Granularity.GPU and abs(n - round(n)) > ABS_TOL:
                bad("granularity", f"project {p.id}: {n} GPUs of {g} is not a whole number")
            if gran is Granularity.NODE:
                node = types[g].node_size
                if abs(n / node - round(n / node)) > ABS_TOL:
                    bad("granularity", f"project {p.id}: {n} GPUs of {g} is not whole nodes "
                                       f"of {node}")
        start_factor = max(0.0, 1.0 - _penalty(instance, p) * (first - win_first))
        weight = _area_weight(instance, p.area) * p.score
        request = p.request
        if request.configurations is not None:
            config = next((c for c in request.configurations if c.id == a.configuration), None)
            if config is None:
                bad("assignment", f"project {p.id}: unknown configuration {a.configuration!r}")
                continue
            duration = config.duration or p.window.duration
            expected = {g: _occupied(n, types[g].node_size, gran) for g, n in config.gpus.items()}
            if {g: float(n) for g, n in expected.items()} != {
                    g: float(n) for g, n in a.gpus.items() if n != 0}:
                bad("assignment", f"project {p.id}: GPUs {a.gpus} differ from configuration "
                                  f"{config.id} {dict(config.gpus)}")
            gp = sum(n * types[g].perf for g, n in config.gpus.items()) * duration
            project_value[p.id] = weight * (config.value if config.value is not None
                                            else gp) * start_factor
        else:
            e = request.elastic
            duration = p.window.duration
            if a.configuration is not None:
                bad("assignment", f"project {p.id}: elastic request given a configuration")
            for g in a.gpus:
                if g not in e.types and a.gpus[g] > ABS_TOL:
                    bad("elastic", f"project {p.id}: type {g} is not among its usable types")
            size = sum(n * e.efficiency.get(g, types[g].perf) for g, n in a.gpus.items())
            if size < e.min_gpus - ABS_TOL * max(1.0, e.min_gpus):
                bad("elastic_min", f"project {p.id}: {size:g} performance-equivalent GPUs, "
                                   f"below min_gpus {e.min_gpus:g}")
            if _over(size, e.max_gpus):
                bad("elastic_max", f"project {p.id}: {size:g} performance-equivalent GPUs, "
                                   f"above max_gpus {e.max_gpus:g}")
            if e.max_units is not None and _over(sum(a.gpus.values()), e.max_units):
                bad("elastic_units", f"project {p.id}: {sum(a.gpus.values()):g} GPUs, above "
                                     f"max_units {e.max_units:g}")
            gp = size * duration
            project_value[p.id] = weight * gp * start_factor
        if last - first + 1 != duration:
            bad("window", f"project {p.id} runs {last - first + 1} periods, not {duration}")
        perf_gp[p.id] = gp
        share = 1.0 - cofund.get(p.partner, 0.0) if p.partner else 1.0
        for g, n in a.gpus.items():
            public_opex += n * types[g].opex_per_period * (last - first + 1) * share
            for t in range(first, last + 1):
                held[(g, a.site, t)] += n

    for p in spec.projects:
        if p.mandatory and p.id not in awards:
            bad("assignment", f"mandatory project {p.id} is not funded")

    on_hand = defaultdict(float)
    for d in spec.supply:
        for t in range(pidx[d.period], len(periods)):
            on_hand[(d.type, d.site, t)] += d.units
    capex = 0.0
    bought = defaultdict(float)
    options = {(o.id or f"{o.type}#{k}"): o for k, o in enumerate(spec.procurement)}
    for b in solution.purchases:
        o = options.get(b.option)
        if o is None or b.gpu_type != o.type or b.site not in sites or b.period not in pidx:
            bad("procurement", f"purchase {b} does not match an option, site and period")
            continue
        if pidx[b.period] < pidx[o.earliest_period]:
            bad("procurement_lead_time", f"{b.units:g} {o.type} arrive in {b.period}, before "
                                         f"the earliest period {o.earliest_period}")
        if not hosts(b.site, o.type) or (o.sites and b.site not in o.sites):
            bad("procurement", f"option {b.option} cannot deliver to site {b.site}")
        step = types[o.type].node_size if gran is Granularity.NODE else 1
        if b.units < -ABS_TOL or abs(b.units / step - round(b.units / step)) > ABS_TOL:
            what = f"whole nodes of {step}" if step > 1 else "a whole number of units"
            bad("procurement", f"option {b.option}: {b.units:g} is not {what}")
        bought[b.option] += b.units
        capex += b.units * o.price
        for t in range(pidx[b.period], len(periods)):
            on_hand[(o.type, b.site, t)] += b.units
    for option_id, units in bought.items():
        if _over(units, options[option_id].max_units):
            bad("procurement_quota", f"option {option_id}: {units:g} bought, quota "
                                     f"{options[option_id].max_units}")

    for (g, s, t), n in sorted(held.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        if _over(n, on_hand[(g, s, t)]):
            bad("capacity", f"{g} at {s} in {periods[t]}: {n:g} allocated, "
                            f"{on_hand[(g, s, t)]:g} available")

    draw = defaultdict(float)
    for (g, s, t), n in held.items():
        draw[(s, t)] += n * types[g].power_kw * sites[s].pue
    for (s, t), kw in sorted(draw.items()):
        if _over(kw, sites[s].power_mw * 1000.0):
            bad("power", f"site {s} in {periods[t]}: {kw:g} kW drawn, "
                         f"limit {sites[s].power_mw * 1000.0:g} kW")

    for p in spec.projects:
        if p.id not in awards:
            continue
        for q in p.depends_on:
            if q not in awards:
                bad("dependency", f"project {p.id} is funded but {q}, which it depends on, is not")
            elif q in run and p.id in run and run[q][1] >= run[p.id][0]:
                bad("dependency", f"project {p.id} starts in {periods[run[p.id][0]]} before "
                                  f"{q} ends in {periods[run[q][1]]}")
        for q in p.excludes:
            if q in awards:
                bad("exclusion", f"projects {p.id} and {q} exclude each other but both are funded")

    total = sum(perf_gp.values())
    parent = {a.id: a.parent for a in spec.areas}
    in_area = defaultdict(float)
    for pid, gp in perf_gp.items():
        area = projects[pid].area
        while area is not None:
            in_area[area] += gp
            area = parent[area]
    for a in spec.areas:
        got = in_area[a.id]
        if got < a.min_share * total - ABS_TOL * max(1.0, total):
            bad("area_min_share", f"area {a.id}: {got:g} of {total:g} performance-equivalent "
                                  f"GPU-periods, below min_share {a.min_share:g}")
        if _over(got, a.max_share * total):
            bad("area_max_share", f"area {a.id}: {got:g} of {total:g} performance-equivalent "
                                  f"GPU-periods, above max_share {a.max_share:g}")

    budget = spec.policy.budget
    for rule, spent, limit in (("budget_capex", capex, budget.capex),
                               ("budget_opex", public_opex, budget.opex),
                               ("budget_total", capex + public_opex, budget.total)):
        if limit is not None and _over(spent, limit):
            bad(rule, f"{spent:,.2f} {budget.currency} spent, limit {limit:,.2f}")

    figures = {"weighted value": sum(project_value.values()), "cost": capex + public_opex}
    _check_policy(instance, solution, project_value, perf_gp, figures, bad)
    return out


def _check_policy(instance: Instance, solution, project_value: dict[str, float],
                  perf_gp: dict[str, float], figures: dict[str, float], bad) -> None:
    """The policy's own promises: the reported objective is what the allocation is
    worth under the last stage's objective, every earlier stage is kept within its
    tolerance, and least-cost serves what it must."""
    policy = instance.spec.policy
    recorded = getattr(solution, "policy", {}) or {}
    name = recorded.get("name") or policy.objective.value
    value = figures["weighted value"]
    if name == "least-cost":
        for pid in policy.least_cost.serve:
            if pid not in project_value:
                bad("policy", f"least-cost must serve project {pid}, which is not funded")
        floor = policy.least_cost.value_floor
        if floor > 0 and value < floor - ABS_TOL - REL_TOL * floor:
            bad("policy", f"weighted value {value:g} is below the value floor {floor:g}")
    stages = recorded.get("stages") or [
        {"name": "weighted value", "sense": "max", "objective": solution.objective}]
    tolerance = {"least-cost": 1.0 - policy.least_cost.value_share,
                 "lexicographic": policy.tiers.tolerance}.get(name, 0.0)
    for k, stage in enumerate(stages):
        worth = _stage_worth(instance, stage["name"], project_value, perf_gp, figures)
        reported = stage["objective"]
        if worth is None or reported is None:
            continue
        if k == len(stages) - 1:
            if solution.objective is not None and not math.isclose(
                    worth, solution.objective, rel_tol=OBJ_REL_TOL, abs_tol=1e-6):
                bad("objective", f"reported objective {solution.objective!r} but the "
                                 f"allocation is worth {worth!r} ({stage['name']})")
            continue
        room = tolerance * abs(reported) + 1e-6 * max(1.0, abs(reported))
        kept = worth >= reported - room if stage["sense"] == "max" else worth <= reported + room
        if not kept:
            bad("policy", f"stage {stage['name']!r} reached {reported!r} but the allocation is "
                          f"worth {worth!r} there, beyond its tolerance")


def _stage_worth(instance: Instance, name: str, project_value: dict[str, float],
                 perf_gp: dict[str, float], figures: dict[str, float]) -> float | None:
    """What the allocation is worth under a named stage's objective (None: a stage
    this check cannot recompute, e.g. the piecewise-linear proportional one)."""
    if name in figures:
        return figures[name]
    if name.startswith("tier ") or name == "untiered":
        wanted = None if name == "untiered" else int(name.split()[1])
        return sum(v for pid, v in project_value.items()
                   if _tier(instance, pid) == wanted)
    fairness = instance.spec.policy.fairness
    if name.startswith("maxmin level ") and fairness.measure.value == "gpus":
        level = int(name.rsplit(" ", 1)[1])
        satisfaction = (_project_gpu_satisfaction(instance, perf_gp)
                        if fairness.across.value == "projects"
                        else _gpu_satisfaction(instance, perf_gp))
        return sum(sorted(satisfaction)[:level])
    return None


def _tier(instance: Instance, project_id: str) -> int | None:
    spec = instance.spec
    project = next(p for p in spec.projects if p.id == project_id)
    if project.tier is not None:
        return project.tier
    areas = {a.id: a for a in spec.areas}
    area = project.area
    while area is not None:
        if areas[area].tier is not None:
            return areas[area].tier
        area = areas[area].parent
    return None


def _gpu_satisfaction(instance: Instance, perf_gp: dict[str, float]) -> list[float]:
    """Each top-level area's performance-equivalent GPU-periods over its weight's slice
    of those on hand (the definition in allocopt.policies.measures, recomputed)."""
    spec = instance.spec
    areas = {a.id: a for a in spec.areas}
    top = [a for a in spec.areas if a.parent is None and a.weight > 0]
    total_weight = sum(a.weight for a in top)
    perf = {g.id: g.perf for g in spec.gpu_types}
    n_periods = len(spec.periods)
    index = {p: i for i, p in enumerate(spec.periods)}
    on_hand = sum(d.units * perf[d.type] * (n_periods - index[d.period]) for d in spec.supply)
    received = defaultdict(float)
    for p in spec.projects:
        if p.id in perf_gp:
            area = p.area
            while areas[area].parent is not None:
                area = areas[area].parent
            received[area] += perf_gp[p.id]
    total = on_hand if on_hand > 0 else 1.0
    return [received[a.id] / (a.weight / total_weight * total) for a in top]


def _project_gpu_satisfaction(instance: Instance, perf_gp: dict[str, float]) -> list[float]:
    """Each project's performance-equivalent GPU-periods over its whole request's, times
    its weight relative to the mean (the definition in allocopt.policies.measures,
    recomputed): an elastic request's whole is its largest size on the average GPU
    on hand."""
    spec = instance.spec
    perf = {g.id: g.perf for g in spec.gpu_types}
    n_periods = len(spec.periods)
    index = {p: i for i, p in enumerate(spec.periods)}
    on_hand = defaultdict(float)
    for d in spec.supply:
        on_hand[d.type] += d.units * (n_periods - index[d.period])
    total = sum(on_hand.values())
    taking = []
    for p in spec.projects:
        weight = _area_weight(instance, p.area) * p.score
        if p.request.configurations is not None:
            full = max(sum(n * perf[g] for g, n in c.gpus.items())
                       * (c.duration or p.window.duration) for c in p.request.configurations)
        else:
            e = p.request.elastic
            average = sum(on_hand[g] / total * e.efficiency.get(g, perf[g])
                          for g in e.types) if total > 0 else 0.0
            size = e.max_gpus
            if e.max_units is not None and average > 0:
                size = min(size, e.max_units * average)
            full = size * p.window.duration
        if weight > 0 and full > 0:
            taking.append((p.id, weight, full))
    if not taking:
        return []
    mean = sum(w for _, w, _ in taking) / len(taking)
    return [perf_gp.get(pid, 0.0) / (full * w / mean) for pid, w, full in taking]


def _occupied(count: int, node_size: int, gran: Granularity) -> int:
    return math.ceil(count / node_size) * node_size if gran is Granularity.NODE else count


def _penalty(instance: Instance, project) -> float:
    if project.late_start_penalty is not None:
        return project.late_start_penalty
    return instance.spec.policy.late_start_penalty


def _area_weight(instance: Instance, area_id: str) -> float:
    parent = {a.id: a for a in instance.spec.areas}
    weight = 1.0
    area = area_id
    while area is not None:
        weight *= parent[area].weight
        area = parent[area].parent
    return weight

