"""Per-period GPU usage of every column, expanded with numpy (no per-term loops)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allocopt.model.program import Columns, VarKind


@dataclass(frozen=True)
class PeriodUsage:
    """column holds amount x value GPUs of gpu_type at site in period (one entry each)."""

    column: np.ndarray
    gpu_type: np.ndarray
    site: np.ndarray
    period: np.ndarray
    amount: np.ndarray


def expand_over_run(starts: np.ndarray, durations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For entries i with a run [start_i, start_i + duration_i): (entry index, period) pairs."""
    entry = np.repeat(np.arange(len(starts)), durations)
    offsets = np.arange(len(entry)) - np.repeat(np.cumsum(durations) - durations, durations)
    return entry, np.repeat(starts, durations) + offsets


def period_usage(columns: Columns) -> PeriodUsage:
    """GPUs held by project columns in each period of their run."""
    cols = columns.usage_column
    entry, period = expand_over_run(columns.start[cols], columns.duration[cols])
    return PeriodUsage(column=cols[entry], gpu_type=columns.usage_type[entry],
                       site=columns.site[cols][entry], period=period,
                       amount=columns.usage_amount[entry])


def period_arrivals(columns: Columns) -> PeriodUsage:
    """Units bought, counted in every period from their arrival to the horizon's end."""
    cols = np.flatnonzero(columns.kind == VarKind.BUY)
    entry, period = expand_over_run(columns.start[cols], columns.duration[cols])
    c = cols[entry]
    return PeriodUsage(column=c, gpu_type=columns.gpu_type[c], site=columns.site[c],
                       period=period, amount=columns.unit[c].astype(float))
