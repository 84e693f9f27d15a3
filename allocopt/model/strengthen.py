"""A tighter relaxation of the same integer program: one size-link row per size column.

An elastic request's GPUs x[p,g,s,τ] are tied to their start z[p,s,τ] only through the
aggregated row Σ_g eff_g · x_g ≤ max_gpus · z (`rules/elastic.py`). For every column
with eff_j > 0 that row gives eff_j · x_j ≤ max_gpus · z, and x_j ≤ u_j by its bound, so
every allocation with z ∈ {0, 1} meets

    x_j ≤ u_j · z      (ELASTIC_MAX, key: the size's project, site, start and type),

while the LP relaxation of the aggregated row alone lets a fraction of z carry a whole
request's GPUs. The rows cut off no allocation, so the relaxation with them is still a
relaxation of the model: its optimum is a bound on every allocation, and on the
national instances (seeds 0-4) it brings the LP bound 1.1-2.6 times closer to the
LP-core start's allocation (benchmarks/README.md, "The default against CBC"). The
model itself stays as it is (its rows, golden files and CP-SAT's presolve were
measured without these); `strengthened` is what the LP-core start bounds.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from allocopt.model.program import Program, RowBlock, Rule, VarKind, stack


def size_links(program: Program) -> RowBlock | None:
    """The rows x_j − u_j · z_start(j) ≤ 0 for every size column with a finite upper
    bound, a positive performance and a start column; None when there are none."""
    cols = program.columns
    sizes = np.flatnonzero((cols.kind == VarKind.SIZE) & (cols.start_column >= 0)
                           & (cols.perf_periods > 0) & np.isfinite(cols.upper)
                           & (cols.upper > 0))
    if len(sizes) == 0:
        return None
    n = len(sizes)
    keys = [("link", int(cols.project[j]), int(cols.site[j]), int(cols.start[j]),
             int(cols.gpu_type[j])) for j in sizes]
    return RowBlock(Rule.ELASTIC_MAX, rows=np.concatenate([np.arange(n), np.arange(n)]),
                    cols=np.concatenate([sizes, cols.start_column[sizes]]),
                    vals=np.concatenate([np.ones(n), -cols.upper[sizes].astype(float)]),
                    lower=np.full(n, -np.inf), upper=np.zeros(n), keys=keys)


def strengthened(program: Program) -> Program:
    """`program` with its size-link rows under the ELASTIC_MAX block (the same columns,
    more rows): the same integer allocations, a tighter LP relaxation."""
    links = size_links(program)
    if links is None:
        return program
    blocks, placed = [], False
    for block in program.blocks:
        if block.rule is Rule.ELASTIC_MAX and not placed:
            block, placed = stack(block, links), True
        blocks.append(block)
    if not placed:
        blocks.append(links)
    return replace(program, blocks=blocks)
