"""Solvers behind one interface; `get_backend(name)` looks one up by name."""

from __future__ import annotations

from allocopt.backends.base import Backend, Feature, Result, SolveOptions, Status
from allocopt.backends.cbc import CbcBackend
from allocopt.backends.cpsat import CpSatBackend
from allocopt.backends.highs import HighsBackend
from allocopt.backends.scip import ScipBackend
from allocopt.errors import BackendError

REGISTRY: dict[str, type[Backend]] = {
    ScipBackend.name: ScipBackend,
    HighsBackend.name: HighsBackend,
    CpSatBackend.name: CpSatBackend,
    CbcBackend.name: CbcBackend,
}

DEFAULT_BACKEND = "scip"

# `auto`: HiGHS on models up to this many columns; above, CP-SAT when every column is
# integer, else SCIP (benchmarks/README.md: on the Korea scenarios, 1.4k columns, HiGHS
# matched SCIP's time to 0.1 %; on a generated 2,000-project national instance, 5.7k
# columns, CP-SAT proved 0.1 % in 14 s, median of 3, SCIP in 51 s and HiGHS in 55 s; on
# an older, harder 4.6k-column instance HiGHS spent its limit in presolve).
AUTO_HIGHS_MAX_COLUMNS = 3000


def choose_backend(name: str, columns: int, all_integer: bool = True) -> str:
    """Resolve `auto` for a model of `columns` columns; other names pass through."""
    if name != "auto":
        return name
    if columns <= AUTO_HIGHS_MAX_COLUMNS and REGISTRY["highs"].version() is not None:
        return "highs"
    return "cpsat" if all_integer else DEFAULT_BACKEND


def get_backend(name: str = DEFAULT_BACKEND) -> Backend:
    try:
        backend = REGISTRY[name]
    except KeyError:
        raise BackendError(f"unknown backend {name!r}; known: {', '.join(REGISTRY)}") from None
    if backend.version() is None:
        raise BackendError(f"backend {name!r} is not installed here")
    return backend()


__all__ = ["AUTO_HIGHS_MAX_COLUMNS", "REGISTRY", "Backend", "Feature", "Result", "SolveOptions",
           "Status", "choose_backend", "get_backend"]
