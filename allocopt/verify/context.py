"""The facts of one allocation, read once: awards by project, what each award holds
and is worth, GPUs held per (type, site, period), GPUs on hand with the purchases,
public money spent. Every check reads these facts and nothing else.

Only the instance's plain fields and the awards are read here, with simple loops,
never `allocopt.model`: a formulation bug cannot hide itself behind shared code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum

from allocopt.instance import Instance
from allocopt.instance.schema import Granularity


class Stage(IntEnum):
    """How far an award could be read; a check runs only from the stage it needs.

    UNKNOWN_PROJECT, DUPLICATE: nothing is read (the project is unknown, or was
    already awarded). UNPLACED: the project counts as awarded but its site or a period
    is unknown. PLACED: site and run are known, some GPU type is not. TYPED: every GPU
    type is known, the configuration is not. COMPLETE: the award is read in full and
    counts towards usage, shares, money and value."""

    UNKNOWN_PROJECT = 0
    DUPLICATE = 1
    UNPLACED = 2
    PLACED = 3
    TYPED = 4
    COMPLETE = 5


@dataclass
class AwardFacts:
    """One award as read: its project, run and window (period indices, inclusive),
    configuration, duration, performance-equivalent size and GPU-periods."""

    award: object
    stage: Stage
    project: object = None
    first: int = 0
    last: int = 0
    win_first: int = 0
    win_last: int = 0
    config: object = None
    duration: int = 0
    size: float = 0.0


@dataclass
class PurchaseFacts:
    """One purchase with its option (None when it matches no option, site and period)."""

    purchase: object
    option: object = None


@dataclass
class Context:
    """Everything the checks need, built once by `build_context`; checks only read it."""

    instance: Instance
    solution: object
    periods: list[str]
    pidx: dict[str, int]
    types: dict
    sites: dict
    projects: dict
    areas: dict
    area_weight: dict[str, float]
    gran: Granularity
    cofund: dict[str, float]
    facts: list[AwardFacts] = field(default_factory=list)
    awards: dict = field(default_factory=dict)  # project -> its (first) award
    run: dict[str, tuple[int, int]] = field(default_factory=dict)
    perf_gp: dict[str, float] = field(default_factory=dict)  # GPU-periods, perf-equivalent
    project_value: dict[str, float] = field(default_factory=dict)  # weighted value
    held: dict[tuple[str, str, int], float] = field(default_factory=dict)
    public_opex: float = 0.0
    purchases: list[PurchaseFacts] = field(default_factory=list)
    options: dict = field(default_factory=dict)  # option label -> option
    on_hand: dict[tuple[str, str, int], float] = field(default_factory=dict)
    bought: dict[str, float] = field(default_factory=dict)  # option label -> units
    capex: float = 0.0

    def hosts(self, site_id: str, gpu_type: str) -> bool:
        site = self.sites[site_id]
        return not site.hosts or gpu_type in site.hosts


def build_context(instance: Instance, solution) -> Context:
    """The facts of `solution` on `instance`, awards first, then supply and purchases."""
    spec = instance.spec
    periods = list(spec.periods)
    areas = {a.id: a for a in spec.areas}
    ctx = Context(
        instance=instance, solution=solution, periods=periods,
        pidx={p: i for i, p in enumerate(periods)},
        types={g.id: g for g in spec.gpu_types}, sites={s.id: s for s in spec.sites},
        projects={p.id: p for p in spec.projects}, areas=areas,
        area_weight={a: _chain_weight(areas, a) for a in areas},
        gran=spec.policy.granularity, cofund={p.id: p.cofunding_share for p in spec.partners})
    for award in solution.awards:
        facts = _read_award(ctx, award)
        ctx.facts.append(facts)
        if facts.stage is Stage.COMPLETE:
            _count_award(ctx, facts)
    _read_supply_and_purchases(ctx)
    return ctx


def _chain_weight(areas: dict, area_id: str | None) -> float:
    """The product of the weights of an area and of its ancestors."""
    weight = 1.0
    while area_id is not None:
        weight *= areas[area_id].weight
        area_id = areas[area_id].parent
    return weight


def _read_award(ctx: Context, a) -> AwardFacts:
    if a.project not in ctx.projects:
        return AwardFacts(a, Stage.UNKNOWN_PROJECT)
    if a.project in ctx.awards:
        return AwardFacts(a, Stage.DUPLICATE)
    ctx.awards[a.project] = a
    p = ctx.projects[a.project]
    if a.site not in ctx.sites or a.start not in ctx.pidx or a.end not in ctx.pidx:
        return AwardFacts(a, Stage.UNPLACED, project=p)
    f = AwardFacts(a, Stage.PLACED, project=p, first=ctx.pidx[a.start], last=ctx.pidx[a.end])
    ctx.run[p.id] = (f.first, f.last)
    f.win_first = ctx.pidx[p.window.earliest_start] if p.window.earliest_start else 0
    f.win_last = (ctx.pidx[p.window.latest_end] if p.window.latest_end
                  else len(ctx.periods) - 1)
    if any(g not in ctx.types for g in a.gpus):
        return f
    f.stage = Stage.TYPED
    request = p.request
    if request.configurations is not None:
        f.config = _configuration(request.configurations, a.configuration)
        if f.config is None:
            return f
        f.duration = f.config.duration or p.window.duration
    else:
        e = request.elastic
        f.duration = p.window.duration
        f.size = sum(n * e.efficiency.get(g, ctx.types[g].perf) for g, n in a.gpus.items())
    f.stage = Stage.COMPLETE
    return f


def _configuration(configurations, config_id):
    """The configuration named `config_id` (the first of that name), or None."""
    by_id = {}
    for c in configurations:
        by_id.setdefault(c.id, c)
    return by_id.get(config_id)


def _count_award(ctx: Context, f: AwardFacts) -> None:
    """A complete award's value, GPU-periods, public opex and GPUs held per period."""
    a, p = f.award, f.project
    penalty = (p.late_start_penalty if p.late_start_penalty is not None
               else ctx.instance.spec.policy.late_start_penalty)
    start_factor = max(0.0, 1.0 - penalty * (f.first - f.win_first))
    weight = ctx.area_weight[p.area] * p.score
    if f.config is not None:
        gp = sum(n * ctx.types[g].perf for g, n in f.config.gpus.items()) * f.duration
        worth = f.config.value if f.config.value is not None else gp
    else:
        gp = f.size * f.duration
        worth = gp
    ctx.project_value[p.id] = weight * worth * start_factor
    ctx.perf_gp[p.id] = gp
    share = 1.0 - ctx.cofund.get(p.partner, 0.0) if p.partner else 1.0
    for g, n in a.gpus.items():
        ctx.public_opex += n * ctx.types[g].opex_per_period * (f.last - f.first + 1) * share
        for t in range(f.first, f.last + 1):
            ctx.held[(g, a.site, t)] = ctx.held.get((g, a.site, t), 0.0) + n


def _read_supply_and_purchases(ctx: Context) -> None:
    """GPUs on hand per (type, site, period): deliveries accumulate, and so do the
    purchases that match an option, site and period; what those purchases cost."""
    spec = ctx.instance.spec
    n_periods = len(ctx.periods)
    on_hand = ctx.on_hand
    for d in spec.supply:
        for t in range(ctx.pidx[d.period], n_periods):
            on_hand[(d.type, d.site, t)] = on_hand.get((d.type, d.site, t), 0.0) + d.units
    ctx.options = {(o.id or f"{o.type}#{k}"): o for k, o in enumerate(spec.procurement)}
    for b in ctx.solution.purchases:
        o = ctx.options.get(b.option)
        if o is None or b.gpu_type != o.type or b.site not in ctx.sites \
                or b.period not in ctx.pidx:
            ctx.purchases.append(PurchaseFacts(b))
            continue
        ctx.purchases.append(PurchaseFacts(b, o))
        ctx.bought[b.option] = ctx.bought.get(b.option, 0.0) + b.units
        ctx.capex += b.units * o.price
        for t in range(ctx.pidx[b.period], n_periods):
            on_hand[(o.type, b.site, t)] = on_hand.get((o.type, b.site, t), 0.0) + b.units


def occupied(count: int, node_size: int, gran: Granularity) -> int:
    """GPUs a configuration's `count` occupies: whole nodes under node granularity."""
    return math.ceil(count / node_size) * node_size if gran is Granularity.NODE else count
