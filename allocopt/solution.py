"""What was allocated: awards per project, purchases, and how good the answer is."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from allocopt.backends.base import Result, Status, relative_gap
from allocopt.instance import Instance
from allocopt.model.program import Program, VarKind


@dataclass(frozen=True)
class Award:
    """A funded project's steady allocation: `gpus[type]` GPUs at `site` in every period
    from `start` to `end` (period ids, inclusive). `configuration` is None for elastic
    requests."""

    project: str
    configuration: str | None
    site: str
    start: str
    end: str
    gpus: dict[str, float]


@dataclass(frozen=True)
class Purchase:
    """`units` GPUs of `gpu_type` bought through `option`, arriving at `site` in `period`."""

    option: str
    gpu_type: str
    site: str
    period: str
    units: float


@dataclass
class Solution:
    """An allocation with its status and quality. `bound` is the best proven bound on
    the objective; `gap` is relative to the objective.

    `policy` names the policy and holds its stages and figures (summary.json's
    `policy`); `figures` go to the top of summary.json (the robust policy's expected
    value, worst case, VSS and EVPI); `scenarios` lists, for the robust policy,
    (scenario, instance with the plan's arrivals, that scenario's Solution), and
    `infeasible_scenarios`, when no plan serves every scenario, the ids of those that
    are infeasible on their own."""

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    backend: str
    wall_s: float
    awards: list[Award] = field(default_factory=list)
    purchases: list[Purchase] = field(default_factory=list)
    build_s: float = 0.0
    message: str = ""
    lp_bound: float | None = None
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)
    policy: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    scenarios: list[tuple] = field(default_factory=list)
    infeasible_scenarios: list[str] = field(default_factory=list)

    @property
    def root_gap(self) -> float | None:
        """Gap between the LP relaxation bound and the allocation's value."""
        return relative_gap(self.objective, self.lp_bound)

    def award_of(self, project_id: str) -> Award | None:
        for a in self.awards:
            if a.project == project_id:
                return a
        return None

    def verify(self, instance: Instance) -> list:
        """Every rule re-checked from the allocation alone; [] when all hold."""
        from allocopt.verify import verify

        return verify(instance, self)


def option_label(instance: Instance, o: int) -> str:
    option = instance.spec.procurement[o]
    return option.id or f"{option.type}#{o}"


def _clean(x: float, integral: bool) -> float:
    return float(round(x)) if integral else float(round(x, 9))


def decode(instance: Instance, program: Program, result: Result) -> Solution:
    """Turn a backend's column values into awards and purchases."""
    solution = Solution(status=result.status, objective=result.objective, bound=result.bound,
                        gap=result.gap, backend=result.backend, wall_s=result.wall_s,
                        message=result.message, interrupted=result.interrupted)
    if result.values is None:
        return solution
    cols = program.columns
    v = result.values
    spec = instance.spec
    periods = instance.periods
    integral = cols.integer
    sizes_of: dict[int, list[int]] = {}
    for k in np.flatnonzero((cols.kind == VarKind.SIZE) & (v > 1e-9)):
        sizes_of.setdefault(int(cols.start_column[k]), []).append(int(k))
    for j in np.flatnonzero(((cols.kind == VarKind.ASSIGN) | (cols.kind == VarKind.START))
                            & (v > 0.5)):
        project = spec.projects[cols.project[j]]
        start, d = int(cols.start[j]), int(cols.duration[j])
        if cols.kind[j] == VarKind.ASSIGN:
            config = project.request.configurations[cols.config[j]]
            gpus = {g: float(n) for g, n in sorted(_occupied(instance, config.gpus).items())}
            config_id: str | None = config.id
        else:
            gpus = {}
            for k in sizes_of.get(int(j), []):
                amount = float(_clean(v[k], integral[k]) * cols.unit[k])
                if amount > 0:
                    gpus[spec.gpu_types[cols.gpu_type[k]].id] = amount
            gpus = dict(sorted(gpus.items()))
            config_id = None
        solution.awards.append(Award(project=project.id, configuration=config_id,
                                     site=spec.sites[cols.site[j]].id, start=periods[start],
                                     end=periods[start + d - 1], gpus=gpus))
    order = instance.project_index
    solution.awards.sort(key=lambda a: order[a.project])
    solution.purchases = trim_purchases(instance, solution.awards,
                                        decode_purchases(instance, program, v))
    return solution


def decode_purchases(instance: Instance, program: Program, values: np.ndarray) -> list[Purchase]:
    """Every purchase the BUY columns' values make, untrimmed."""
    cols = program.columns
    spec = instance.spec
    out = []
    for j in np.flatnonzero((cols.kind == VarKind.BUY) & (values > 0.5)):
        units = _clean(values[j], True) * cols.unit[j]
        out.append(Purchase(
            option=option_label(instance, int(cols.option[j])),
            gpu_type=spec.gpu_types[cols.gpu_type[j]].id, site=spec.sites[cols.site[j]].id,
            period=instance.periods[cols.start[j]], units=float(units)))
    return out


def trim_purchases(instance: Instance, awards: list[Award],
                   purchases: list[Purchase]) -> list[Purchase]:
    """Drop bought units that no project uses.

    The weighted-value objective is indifferent to spending within the budget, so a
    solver may buy GPUs that sit idle. Latest arrivals are trimmed first, by the
    smallest surplus over the rest of the horizon; capacity and budget still hold and
    the value is unchanged.
    """
    if not purchases:
        return purchases
    n_t = len(instance.periods)
    t_of = instance.period_index
    spare = instance.supply_cumulative.copy()
    g_of, s_of = instance.type_index, instance.site_index
    for a in awards:
        for g, n in a.gpus.items():
            spare[g_of[g], s_of[a.site], t_of[a.start]:t_of[a.end] + 1] -= n
    for b in purchases:
        spare[g_of[b.gpu_type], s_of[b.site], t_of[b.period]:] += b.units
    kept = []
    for b in sorted(purchases, key=lambda b: -t_of[b.period]):
        g, s, t = g_of[b.gpu_type], s_of[b.site], t_of[b.period]
        node = instance.spec.gpu_types[g].node_size
        step = node if instance.spec.policy.granularity.value == "node" else 1
        surplus = float(spare[g, s, t:n_t].min())
        cut = min(b.units, max(0.0, (surplus + 1e-9) // step * step))
        spare[g, s, t:] -= cut
        if b.units - cut > 0:
            kept.append(Purchase(b.option, b.gpu_type, b.site, b.period, b.units - cut))
    return sorted(kept, key=lambda b: (t_of[b.period], b.option, b.site))


def _occupied(instance: Instance, bundle: dict[str, int]) -> dict[str, int]:
    from allocopt.model.columns import occupied

    gran = instance.spec.policy.granularity
    types = instance.spec.gpu_types
    return {g: occupied(n, types[instance.type_index[g]].node_size, gran)
            for g, n in bundle.items()}
