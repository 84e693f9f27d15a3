"""What a solve uses when told nothing: light enough for `allocopt --help` to import.

The figures behind each choice are in benchmarks/README.md."""

from __future__ import annotations

import os

# The relative gap a solve stops at: 0.1 %, the gap every national benchmark is measured
# at; 0.01 % is still open after 120 s on a national instance (CP-SAT: 0.055 %).
DEFAULT_GAP = 1e-3

DEFAULT_BACKEND = "auto"


def default_threads() -> int:
    """The cores this process may run on: what every benchmark was measured with."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
