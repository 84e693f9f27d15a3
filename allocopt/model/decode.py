"""Column values back into awards and purchases: the one place that reads a solved
program's columns as an allocation (`verify` re-checks that allocation without it)."""

from __future__ import annotations

import numpy as np

from allocopt.instance import Instance
from allocopt.model.columns import occupied
from allocopt.model.program import Program, VarKind
from allocopt.solution import Award, Purchase, Solution
from allocopt.status import Result


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
    gran = instance.spec.policy.granularity
    types = instance.spec.gpu_types
    return {g: occupied(n, types[instance.type_index[g]].node_size, gran)
            for g, n in bundle.items()}
