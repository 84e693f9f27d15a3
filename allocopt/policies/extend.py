"""Growing a Program with a policy's own columns, rows and objective.

Policies build on the weighted-value formulation rather than beside it: every rule
family stays exactly as `model.build` writes it, and a policy only appends AUX
columns, POLICY rows, and swaps the objective.
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np

from allocopt.model.program import Columns, Program, RowBlock, Rule, VarKind, stack

# Per-column arrays of Columns (the usage_* triplets describe GPU usage, not columns).
_PER_COLUMN = tuple(f.name for f in fields(Columns) if not f.name.startswith("usage_"))


def append_columns(program: Program, lower: np.ndarray, upper: np.ndarray,
                   integer: bool = False) -> tuple[Program, np.ndarray]:
    """`program` with len(lower) AUX columns added; returns it and their indices."""
    cols = program.columns
    n, first = len(lower), len(cols)
    extra = {name: np.zeros(n, dtype=getattr(cols, name).dtype) for name in _PER_COLUMN}
    extra.update(kind=np.full(n, VarKind.AUX, dtype=cols.kind.dtype),
                 project=np.full(n, -1, dtype=cols.project.dtype),
                 config=np.full(n, -1, dtype=cols.config.dtype),
                 option=np.full(n, -1, dtype=cols.option.dtype),
                 start_column=np.full(n, -1, dtype=cols.start_column.dtype),
                 unit=np.ones(n, dtype=cols.unit.dtype),
                 lower=np.asarray(lower, dtype=cols.lower.dtype),
                 upper=np.asarray(upper, dtype=cols.upper.dtype),
                 integer=np.full(n, integer, dtype=bool))
    merged = {name: np.concatenate([getattr(cols, name), extra[name]]) for name in _PER_COLUMN}
    columns = replace(cols, **merged)
    return replace(program, columns=columns), np.arange(first, first + n)


def append_rows(program: Program, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray,
                lower: np.ndarray, upper: np.ndarray, keys: list[tuple]) -> Program:
    """`program` with rows lower <= A x <= upper added to its single POLICY block
    (`rows` numbers the new rows from 0)."""
    blocks = list(program.blocks)
    block = RowBlock(Rule.POLICY, np.asarray(rows, dtype=np.int64),
                     np.asarray(cols, dtype=np.int64), np.asarray(vals, dtype=float),
                     np.asarray(lower, dtype=float), np.asarray(upper, dtype=float), list(keys))
    old = next((b for b in blocks if b.rule is Rule.POLICY), None)
    if old is not None:
        blocks.remove(old)
        block = stack(old, block)
    return replace(program, blocks=[*blocks, block])


def append_row(program: Program, coefficients: np.ndarray, lower: float, upper: float,
               key: tuple) -> Program:
    """One dense row over the current columns (zeros dropped)."""
    nz = np.flatnonzero(coefficients)
    return append_rows(program, np.zeros(len(nz), dtype=np.int64), nz, coefficients[nz],
                       np.array([lower]), np.array([upper]), [key])


def with_objective(program: Program, objective: np.ndarray, maximize: bool) -> Program:
    """`program` optimising `objective` (one coefficient per column) in that sense."""
    if len(objective) != len(program.columns):
        raise ValueError("objective needs one coefficient per column")
    columns = replace(program.columns, objective=np.asarray(objective, dtype=float))
    return replace(program, columns=columns, maximize=maximize)


def padded(vector: np.ndarray, program: Program) -> np.ndarray:
    """`vector` over the first columns, zero over AUX columns appended since."""
    out = np.zeros(len(program.columns))
    out[:len(vector)] = vector
    return out
