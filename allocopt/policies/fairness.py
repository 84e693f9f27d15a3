"""Max–min and proportional fairness across top-level priority areas or projects
(`measures`; below, "area" stands for either).

Max–min (water-filling). With satisfactions s_1..s_K, let θ_m be the sum of the m
smallest. Maximising θ_1, then θ_2 with θ_1 kept, …, then θ_K, maximises the sorted
satisfaction vector lexicographically: the smallest first, then the next smallest,
and so on — the water-filling allocation. Each θ_m is linear (Ogryczak & Śliwiński's
formulation): θ_m = max m·r_m − Σ_k d_mk with d_mk ≥ r_m − s_k, d_mk ≥ 0, which at
the optimum puts r_m at the m-th smallest satisfaction. Integer awards make the
levels discrete; the construction stays exact.

Proportional. Maximise Σ_k w_k · log s_k, with log replaced by its piecewise-linear
interpolant on geometric breakpoints from lo_k, the smallest non-zero satisfaction one
award can bring, to hi_k, the most the area could receive: u_k ≤ each chord of log,
so u_k is the interpolant. log 0 = −∞ has no finite stand-in; on [0, lo_k] a steep
segment falls to log lo_k − M_k at 0, with M_k = G / w_k + 1 and G = Σ_j w_j (log hi_j
− log lo_j + 1), more than everything the other areas could gain: an allocation that
leaves an area empty is chosen only when none serves every area. Between breakpoints
b and ρb the interpolant is below log by at most
    e(ρ) = ln((ρ−1)/ln ρ) − 1 + ln ρ/(ρ−1),
so, when some allocation serves every area, the answer's true Σ w log s is within
Σ_k w_k e(ρ_k) of the best possible.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.sparse as sp

from allocopt.instance import Instance
from allocopt.instance.schema import Fairness
from allocopt.model.program import Program
from allocopt.policies.extend import append_columns, append_rows
from allocopt.policies.measures import AreaMeasure, fairness_measure
from allocopt.policies.stages import Stage


def maxmin_levels(instance: Instance, program: Program,
                  fairness: Fairness) -> tuple[Program, list[Stage], AreaMeasure]:
    """The program with every level's r_m and d_mk, and one stage per level."""
    measure = fairness_measure(instance, program.columns, fairness)
    s = measure.satisfaction
    k_areas = len(measure.areas)
    levels = min(fairness.levels or k_areas, k_areas)
    top = float(measure.upper_satisfaction(program.columns).max())
    stages = []
    for m in range(1, levels + 1):
        program, (r, *d) = append_columns(program, np.zeros(k_areas + 1),
                                          np.full(k_areas + 1, top))
        d = np.asarray(d)
        # d_mk − r_m + s_k · x ≥ 0, one row per area.
        s_rows = s.tocoo()
        rows = np.concatenate([np.arange(k_areas), np.arange(k_areas), s_rows.row])
        cols = np.concatenate([d, np.full(k_areas, r), s_rows.col])
        vals = np.concatenate([np.ones(k_areas), -np.ones(k_areas), s_rows.data])
        program = append_rows(program, rows, cols, vals, np.zeros(k_areas),
                              np.full(k_areas, np.inf),
                              [("maxmin", m, a) for a in measure.areas])
        theta = np.zeros(len(program.columns))
        theta[r] = m
        theta[d] = -1.0
        stages.append(Stage(f"maxmin level {m}", theta))
    return program, stages, measure


def log_error(ratio: float) -> float:
    """Largest gap between log and its chord over [b, ratio·b] (any b > 0)."""
    if ratio <= 1.0:
        return 0.0
    lr = math.log(ratio)
    return math.log((ratio - 1.0) / lr) - 1.0 + lr / (ratio - 1.0)


def proportional_objective(instance: Instance, program: Program,
                           fairness: Fairness) -> tuple[Program, Stage, AreaMeasure, dict]:
    """The program with u_k ≤ chords of log(s_k), and the stage maximising Σ w_k u_k."""
    measure = fairness_measure(instance, program.columns, fairness)
    s = measure.satisfaction.tocsr()
    lo = measure.smallest_positive_satisfaction(program.columns)
    hi = np.maximum(measure.upper_satisfaction(program.columns), lo)
    k_areas = len(measure.areas)
    pieces = fairness.pieces
    reachable = np.isfinite(lo)
    lo_safe = np.where(reachable, lo, 1.0)
    span = np.log(hi[reachable]) - np.log(lo[reachable]) + 1.0
    steep = float(np.dot(measure.weights[reachable], span)) / measure.weights + 1.0
    program, u = append_columns(program, np.log(lo_safe) - steep - 1.0,
                                np.log(np.where(np.isfinite(hi), hi, 1.0)) + 1.0)
    rows, cols, vals, upper, keys = [], [], [], [], []
    errors = np.zeros(k_areas)
    n = 0
    for k in range(k_areas):
        if not reachable[k]:  # nothing can reach this area: s_k = 0 always
            continue
        points = np.geomspace(lo[k], hi[k], pieces + 1) if hi[k] > lo[k] else np.array(
            [lo[k], lo[k] * math.e])
        errors[k] = log_error(float(points[1] / points[0]))
        row = s.getrow(k)
        # (slope, intercept) of each segment: the steep one on [0, lo], then the chords.
        segments = [(steep[k] / lo[k], math.log(lo[k]) - steep[k])]
        for a, b in itertools.pairwise(points):
            slope = (math.log(b) - math.log(a)) / (b - a)
            segments.append((slope, math.log(a) - slope * a))
        for slope, intercept in segments:
            # u_k − slope · s_k(x) ≤ intercept
            rows.append(np.full(row.nnz + 1, n))
            cols.append(np.concatenate([[u[k]], row.indices]))
            vals.append(np.concatenate([[1.0], -slope * row.data]))
            upper.append(intercept)
            keys.append(("proportional", measure.areas[k], len(keys)))
            n += 1
    if n:
        program = append_rows(program, np.concatenate(rows), np.concatenate(cols),
                              np.concatenate(vals), np.full(n, -np.inf), np.asarray(upper),
                              keys)
    objective = np.zeros(len(program.columns))
    objective[u[reachable]] = measure.weights[reachable]
    info = {"pieces": pieces,
            "approximation_error": float(np.dot(measure.weights, errors)),
            "unreachable_areas": [a for a, r in zip(measure.areas, reachable, strict=True)
                                  if not r]}
    return program, Stage("proportional", objective), measure, info


def satisfactions(measure: AreaMeasure, values: np.ndarray) -> dict[str, float]:
    """Each area's satisfaction under column values `values`."""
    n = measure.received.shape[1]
    s = sp.csr_matrix(measure.satisfaction) @ np.asarray(values[:n], dtype=float)
    return {a: float(v) for a, v in zip(measure.areas, s, strict=True)}
