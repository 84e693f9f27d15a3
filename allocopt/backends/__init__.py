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


def get_backend(name: str = DEFAULT_BACKEND) -> Backend:
    try:
        backend = REGISTRY[name]
    except KeyError:
        raise BackendError(f"unknown backend {name!r}; known: {', '.join(REGISTRY)}") from None
    if backend.version() is None:
        raise BackendError(f"backend {name!r} is not installed here")
    return backend()


__all__ = ["REGISTRY", "Backend", "Feature", "Result", "SolveOptions", "Status", "get_backend"]
