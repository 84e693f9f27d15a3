"""What each area or project receives, as linear functions of the columns, and its fair share.

Across areas (the default), fairness is judged between top-level areas (areas
without a parent); a sub-area's projects count for its top-level ancestor. An area's
*satisfaction* is what it receives divided by its fair share, the slice of the total
that its weight gives it:

    fair_share[k] = weight[k] / Σ_j weight[j] · total,

so with satisfactions equal, an area of weight 2 receives twice what an area of
weight 1 receives. `total` only sets the scale (satisfaction 1 = the area received
its whole weighted slice): for the `gpus` measure it is the performance-equivalent
GPU-periods on hand over the horizon, for `value` the value of every request fully
granted. Areas of weight 0 have no fair share and take no part.

Across projects, each project's fair share is what its whole request is worth,
scaled by its weight w_p = area weight × score relative to the mean weight:

    fair_share[p] = full[p] · w_p / mean(w).

`full` is the best configuration (its performance-equivalent GPU-periods, or score ×
value), or for an elastic request its largest size on the supply's *average GPU*:
each type in proportion to the GPU-periods on hand, a type the project cannot use
counting zero, capped by `max_units` and `max_gpus`, for the project's duration. A
project that gains more from the same GPUs is not favoured for it: the average GPU
is Gavel's normalisation (each job against its throughput on an equal time-share of
every GPU type). Projects of weight 0, or whose request is worth nothing, take no part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from allocopt.instance import Instance
from allocopt.instance.schema import Fairness, FairnessAcross, FairnessMeasure, Project
from allocopt.model.program import Columns, VarKind


@dataclass(frozen=True)
class AreaMeasure:
    """`satisfaction @ x` gives each area's (or project's) satisfaction; `received @ x`
    its amount. `areas` names the rows: area ids, or project ids across projects."""

    areas: tuple[str, ...]
    weights: np.ndarray
    fair_share: np.ndarray
    received: sp.csr_matrix
    measure: FairnessMeasure
    max_gpus: np.ndarray  # per project; inf for configuration requests

    @property
    def satisfaction(self) -> sp.csr_matrix:
        return sp.csr_matrix(sp.diags(1.0 / self.fair_share) @ self.received)

    def upper_satisfaction(self, columns: Columns) -> np.ndarray:
        """A bound on each area's satisfaction: every project of the area at its most."""
        best = _project_best(columns, self.received, self.max_gpus)
        return np.maximum(best, 1e-12) / self.fair_share

    def smallest_positive_satisfaction(self, columns: Columns) -> np.ndarray:
        """The least non-zero satisfaction one award can bring (the smallest positive
        coefficient, per area); nothing smaller than zero-or-this occurs."""
        out = np.full(len(self.areas), np.inf)
        coo = self.received.tocoo()
        positive = coo.data > 0
        np.minimum.at(out, coo.row[positive], coo.data[positive])
        return out / self.fair_share


def top_level_area(instance: Instance) -> dict[str, str]:
    return {a: chain[-1] for a, chain in instance.area_lineage.items()}


def column_value(instance: Instance, columns: Columns) -> np.ndarray:
    """Score x value x start factor of each column: the weighted objective without the
    area weight (zero in areas of weight zero)."""
    weight = np.array([instance.area_weight[p.area] for p in instance.projects] or [0.0])
    project = columns.project
    w = np.where(project >= 0, weight[np.maximum(project, 0)], 0.0)
    return np.divide(columns.objective, w, out=np.zeros(len(columns)), where=w > 0)


def fairness_measure(instance: Instance, columns: Columns, fairness: Fairness) -> AreaMeasure:
    """The measure `fairness` asks for: across areas or across projects."""
    if fairness.across is FairnessAcross.PROJECTS:
        return project_measure(instance, columns, fairness.measure)
    return area_measure(instance, columns, fairness.measure)


def full_request(instance: Instance, project: Project, measure: FairnessMeasure) -> float:
    """What `project`'s whole request is worth (see the module docstring)."""
    spec = instance.spec
    perf = {g.id: g.perf for g in spec.gpu_types}
    request = project.request
    if request.configurations is not None:
        worth = []
        for config in request.configurations:
            gpus = sum(n * perf[g] for g, n in config.gpus.items()) * instance.duration(
                project, config)
            value = config.value if config.value is not None else gpus
            worth.append(gpus if measure is FairnessMeasure.GPUS else project.score * value)
        return max(worth)
    elastic = request.elastic
    on_hand = instance.supply_cumulative.sum(axis=(1, 2))
    mix = on_hand / on_hand.sum() if on_hand.sum() > 0 else np.zeros(len(on_hand))
    usable = set(elastic.types)
    efficiency = np.array([elastic.efficiency.get(g.id, g.perf) if g.id in usable else 0.0
                           for g in spec.gpu_types])
    average = float(np.dot(mix, efficiency))
    size = elastic.max_gpus
    if elastic.max_units is not None and average > 0:
        size = min(size, elastic.max_units * average)
    gpus = size * instance.duration(project)
    return gpus if measure is FairnessMeasure.GPUS else project.score * gpus


def project_measure(instance: Instance, columns: Columns,
                    measure: FairnessMeasure) -> AreaMeasure:
    """One row per project of positive weight whose request is worth something."""
    projects = instance.projects
    weight = np.array([instance.area_weight[p.area] * p.score for p in projects] or [0.0])
    full = np.array([full_request(instance, p, measure) for p in projects] or [0.0])
    taking = np.flatnonzero((weight > 0) & (full > 0))
    if len(taking) == 0:
        raise ValueError("fairness across projects needs a project of positive weight")
    row_of = np.full(len(weight), -1)
    row_of[taking] = np.arange(len(taking))
    allocating = (columns.kind != VarKind.BUY) & (columns.kind != VarKind.AUX)
    j = np.flatnonzero(allocating)
    coef = (columns.perf_periods if measure is FairnessMeasure.GPUS
            else column_value(instance, columns))[j]
    k = row_of[columns.project[j]]
    keep = (k >= 0) & (coef != 0)
    received = sp.csr_matrix((coef[keep], (k[keep], j[keep])),
                             shape=(len(taking), len(columns)))
    w = weight[taking]
    max_gpus = np.array([p.request.elastic.max_gpus if p.request.elastic else np.inf
                         for p in projects] or [np.inf])
    return AreaMeasure(tuple(projects[i].id for i in taking), w, full[taking] * w / w.mean(),
                       received, measure, max_gpus)


def area_measure(instance: Instance, columns: Columns, measure: FairnessMeasure) -> AreaMeasure:
    spec = instance.spec
    top = top_level_area(instance)
    areas = tuple(a.id for a in spec.areas if a.parent is None and a.weight > 0)
    if not areas:
        raise ValueError("fairness needs a top-level area of positive weight")
    index = {a: k for k, a in enumerate(areas)}
    weights = np.array([next(a.weight for a in spec.areas if a.id == k) for k in areas])
    project_area = np.array([index.get(top[p.area], -1) for p in instance.projects] or [-1])
    max_gpus = np.array([p.request.elastic.max_gpus if p.request.elastic else np.inf
                         for p in instance.projects] or [np.inf])
    allocating = (columns.kind != VarKind.BUY) & (columns.kind != VarKind.AUX)
    j = np.flatnonzero(allocating)
    k = project_area[columns.project[j]]
    if measure is FairnessMeasure.GPUS:
        coef = columns.perf_periods
        supply = instance.supply_cumulative.sum(axis=(1, 2))
        total = float(np.dot([g.perf for g in spec.gpu_types], supply))
    else:
        coef = column_value(instance, columns)
        total = float(_project_best(columns, sp.csr_matrix(
            (coef[j], (np.zeros(len(j), dtype=np.int64), j)), shape=(1, len(columns))),
            max_gpus)[0])
    keep = (k >= 0) & (coef[j] != 0)
    received = sp.csr_matrix((coef[j][keep], (k[keep], j[keep])),
                             shape=(len(areas), len(columns)))
    total = total if total > 0 else 1.0
    fair_share = weights / weights.sum() * total
    return AreaMeasure(areas, weights, fair_share, received, measure, max_gpus)


def _project_best(columns: Columns, received: sp.csr_matrix,
                  max_gpus: np.ndarray) -> np.ndarray:
    """Per row of `received`: the sum over projects of the most one award of the
    project can contribute (a configuration column, or an elastic start with its size
    columns at their upper bounds, up to the request's max_gpus)."""
    coo = received.tocoo()
    kind = columns.kind[coo.col]
    size = kind == VarKind.SIZE
    amount = coo.data * np.where(size, columns.upper[coo.col], 1.0)
    # An elastic award (keyed by its START column) holds at most max_gpus
    # performance-equivalent GPUs, whatever the size columns' bounds allow.
    per_gpu = np.divide(coo.data, columns.perf_periods[coo.col],
                        out=np.zeros(len(coo.data)), where=columns.perf_periods[coo.col] > 0)
    cap = np.where(size, max_gpus[np.maximum(columns.project[coo.col], 0)]
                   * columns.duration[coo.col] * per_gpu, np.inf)
    award = np.where(size, columns.start_column[coo.col], coo.col)
    n = len(columns)
    awards, at = np.unique(coo.row.astype(np.int64) * n + award, return_inverse=True)
    per_award = np.bincount(at, weights=amount, minlength=len(awards))
    award_cap = np.full(len(awards), np.inf)
    np.minimum.at(award_cap, at, cap)
    per_award = np.minimum(per_award, award_cap)
    row, award = np.divmod(awards, n)
    n_projects = int(columns.project.max(initial=0)) + 1
    projects, at = np.unique(row * n_projects + columns.project[award], return_inverse=True)
    per_project = np.zeros(len(projects))
    np.maximum.at(per_project, at, per_award)
    return np.bincount(projects // n_projects, weights=per_project,
                       minlength=received.shape[0])
