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
from allocopt.policies.stages import Polish, Stage

# A max-min level stage stops at this multiple of the command's gap. The levels only
# fix rows for the stages after them: what each later stage keeps is the level its
# allocation reached (never more than it proved), and the final weighted-value stage
# gets the time the levels leave (benchmarks/README.md, "Policies within their time
# limit").
LEVEL_GAP_SCALE = 2.5
# Of the time left, the final weighted-value stage weighs this many level stages.
VALUE_WEIGHT_PER_LEVEL = 2.0


def maxmin_levels(instance: Instance, program: Program, fairness: Fairness
                  ) -> tuple[Program, list[Stage], AreaMeasure, Polish]:
    """The program with every level's r_m and d_mk, one stage per level, and the
    polish that sets every level's columns at their best for an allocation: r_m the
    m-th smallest satisfaction, d_mk = max(0, r_m − s_k), so that θ_m is exactly the
    sum of the m smallest (≥ 0)."""
    measure = fairness_measure(instance, program.columns, fairness)
    s = measure.satisfaction
    k_areas = len(measure.areas)
    levels = min(fairness.levels or k_areas, k_areas)
    top = float(measure.upper_satisfaction(program.columns).max())
    stages = []
    level_columns = []
    for m in range(1, levels + 1):
        program, (r, *d) = append_columns(program, np.zeros(k_areas + 1),
                                          np.full(k_areas + 1, top))
        d = np.asarray(d)
        level_columns.append((r, d))
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
        stages.append(Stage(f"maxmin level {m}", theta, gap_scale=LEVEL_GAP_SCALE,
                            floor=0.0, kind="level"))
    satisfaction = sp.csr_matrix(s)
    n = satisfaction.shape[1]

    def polish(values: np.ndarray) -> np.ndarray:
        out = np.array(values, dtype=float)
        got = np.maximum(satisfaction @ out[:n], 0.0)
        ordered = np.sort(got)
        for m, (r, d) in enumerate(level_columns, start=1):
            level = min(float(ordered[m - 1]), top)
            out[r] = level
            out[d] = np.clip(level - got, 0.0, top)
        return out

    return program, stages, measure, polish


def log_error(ratio: float) -> float:
    """Largest gap between log and its chord over [b, ratio·b] (any b > 0)."""
    if ratio <= 1.0:
        return 0.0
    lr = math.log(ratio)
    return math.log((ratio - 1.0) / lr) - 1.0 + lr / (ratio - 1.0)


def proportional_objective(instance: Instance, program: Program, fairness: Fairness
                           ) -> tuple[Program, Stage, AreaMeasure, dict, Polish]:
    """The program with u_k ≤ chords of log(s_k), the stage maximising Σ w_k u_k, and
    the polish that sets each u_k at its best for an allocation: the least of its chords
    at s_k, within the column's bounds."""
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
    chords: list[tuple[int, np.ndarray]] = []
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
        chords.append((k, np.array(segments)))
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
    lower, upper = program.columns.lower, program.columns.upper
    width = s.shape[1]

    def polish(values: np.ndarray) -> np.ndarray:
        out = np.array(values, dtype=float)
        got = s @ out[:width]
        for k, segments in chords:
            best = float(np.min(segments[:, 0] * got[k] + segments[:, 1]))
            out[u[k]] = min(max(best, lower[u[k]]), upper[u[k]])
        return out

    return program, Stage("proportional", objective, kind="log"), measure, info, polish


def satisfactions(measure: AreaMeasure, values: np.ndarray) -> dict[str, float]:
    """Each area's satisfaction under column values `values`."""
    n = measure.received.shape[1]
    s = sp.csr_matrix(measure.satisfaction) @ np.asarray(values[:n], dtype=float)
    return {a: float(v) for a, v in zip(measure.areas, s, strict=True)}
