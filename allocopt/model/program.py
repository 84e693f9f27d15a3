"""A solver-neutral sparse MILP: columns, blocks of rows, and how to name them.

The formulation writes into this container with numpy arrays only; backends read
it. Keeping the model as arrays (not as solver objects) is what lets one build feed
SCIP, CP-SAT, HiGHS and CBC alike, and lets tests inspect the model without solving.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

import numpy as np
import scipy.sparse as sp


class VarKind(IntEnum):
    """Column families. ASSIGN: project runs a configuration at a site from a start
    (binary). START: an elastic project starts at a site (binary). SIZE: GPUs (or
    nodes) of a type an elastic project holds. BUY: units (or nodes) bought to arrive
    at a site in a period. AUX: a policy's own variables (fairness levels, scenario
    arrivals); they allocate nothing."""

    ASSIGN = 0
    START = 1
    SIZE = 2
    BUY = 3
    AUX = 4


class Rule(StrEnum):
    """Row families; each is built by one module in `model/rules/`."""

    ASSIGNMENT = "assignment"
    ELASTIC_MIN = "elastic_min"
    ELASTIC_MAX = "elastic_max"
    ELASTIC_UNITS = "elastic_units"
    CAPACITY = "capacity"
    POWER = "power"
    DEPENDENCY = "dependency"
    EXCLUSION = "exclusion"
    AREA_MIN_SHARE = "area_min_share"
    AREA_MAX_SHARE = "area_max_share"
    BUDGET_CAPEX = "budget_capex"
    BUDGET_OPEX = "budget_opex"
    BUDGET_TOTAL = "budget_total"
    PROCUREMENT_QUOTA = "procurement_quota"
    POLICY = "policy"


@dataclass(frozen=True)
class Columns:
    """Every variable of the model, one entry per column, plus its GPU usage.

    `usage_*` is a sparse (column, GPU type, GPUs per unit of the column) list: a
    column with value v holds v x amount GPUs of that type at its site in each
    period of [start, start + duration).
    """

    kind: np.ndarray
    project: np.ndarray
    config: np.ndarray
    site: np.ndarray
    start: np.ndarray
    duration: np.ndarray
    gpu_type: np.ndarray
    option: np.ndarray
    unit: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    objective: np.ndarray
    start_column: np.ndarray
    usage_column: np.ndarray
    usage_type: np.ndarray
    usage_amount: np.ndarray
    perf_periods: np.ndarray
    public_opex: np.ndarray
    capex: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)


@dataclass(frozen=True)
class RowBlock:
    """A family of rows lo <= A x <= hi in coordinate form; `keys` name each row."""

    rule: Rule
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    keys: list[tuple]

    @property
    def size(self) -> int:
        return len(self.lower)


def stack(first: RowBlock, second: RowBlock) -> RowBlock:
    """`second`'s rows under `first`'s, as one block of `first`'s rule."""
    return RowBlock(first.rule, np.concatenate([first.rows, second.rows + first.size]),
                    np.concatenate([first.cols, second.cols]),
                    np.concatenate([first.vals, second.vals]),
                    np.concatenate([first.lower, second.lower]),
                    np.concatenate([first.upper, second.upper]), [*first.keys, *second.keys])


def empty_block(rule: Rule) -> RowBlock:
    z = np.zeros(0)
    return RowBlock(rule, z.astype(np.int64), z.astype(np.int64), z, z, z, [])


@dataclass
class Program:
    """The assembled MILP: maximise objective . x subject to row blocks and bounds."""

    columns: Columns
    blocks: list[RowBlock] = field(default_factory=list)
    maximize: bool = True

    @property
    def num_rows(self) -> int:
        return sum(b.size for b in self.blocks)

    def matrix(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """The constraint matrix (CSR) and the row bounds, blocks stacked in order."""
        offsets = np.cumsum([0, *(b.size for b in self.blocks)])
        rows = np.concatenate([b.rows + off for b, off in zip(self.blocks, offsets, strict=False)]
                              or [np.zeros(0, np.int64)])
        cols = np.concatenate([b.cols for b in self.blocks] or [np.zeros(0, np.int64)])
        vals = np.concatenate([b.vals for b in self.blocks] or [np.zeros(0)])
        shape = (int(offsets[-1]), len(self.columns))
        a = sp.csr_matrix((vals, (rows, cols)), shape=shape)
        a.sum_duplicates()
        lower = np.concatenate([b.lower for b in self.blocks] or [np.zeros(0)])
        upper = np.concatenate([b.upper for b in self.blocks] or [np.zeros(0)])
        return a, lower, upper

    def row_labels(self) -> list[tuple[Rule, tuple]]:
        """(rule, key) for every row, in matrix order."""
        return [(b.rule, k) for b in self.blocks for k in b.keys]

    def block_slices(self) -> dict[Rule, slice]:
        out = {}
        start = 0
        for b in self.blocks:
            out[b.rule] = slice(start, start + b.size)
            start += b.size
        return out
