"""Solvers behind one interface; `get_backend(name)` looks one up by name."""

from __future__ import annotations

from dataclasses import dataclass

from allocopt.backends.base import Backend, Feature, Result, SolveOptions, Status
from allocopt.backends.cbc import CbcBackend
from allocopt.backends.cpsat import CpSatBackend
from allocopt.backends.highs import HighsBackend
from allocopt.backends.scip import ScipBackend
from allocopt.defaults import DEFAULT_BACKEND
from allocopt.errors import BackendError

REGISTRY: dict[str, type[Backend]] = {
    ScipBackend.name: ScipBackend,
    HighsBackend.name: HighsBackend,
    CpSatBackend.name: CpSatBackend,
    CbcBackend.name: CbcBackend,
}


# `auto` (the default) chooses from the model's shape and policy, by the tables in
# benchmarks/README.md. All-integer weighted models go to SCIP, seeded by the LP-core
# start above AUTO_HIGHS_MAX_COLUMNS: within 1.3x of the fastest backend on every
# instance measured (korea-2025: 4.8 s against HiGHS's 3.9 s; the export shock: 6.6 s
# against HiGHS's 13.6 s; national, 5.7k columns: 3.2-10.7 s, 0.97-1.18x the best).
# Other policies: HiGHS up to AUTO_HIGHS_MAX_COLUMNS columns; above, SCIP when a column
# is continuous (max-min, proportional fairness), CP-SAT for all-integer models.
AUTO_HIGHS_MAX_COLUMNS = 3000
# Above AUTO_CORE_MAX_COLUMNS the seed is the LP-rounding start instead of the core:
# at 20,000 projects (63k columns) the core's HiGHS found no allocation in its 10 s
# (16-28 s with its LP), where LP rounding gave one 0.93 % below the LP bound in 10 s.
AUTO_CORE_MAX_COLUMNS = 20_000


@dataclass(frozen=True)
class Choice:
    """A backend by name and the start that seeds it (None, 'lp' or 'core')."""

    backend: str
    start: str | None


def choose(backend: str, start: str | None, columns: int, all_integer: bool,
           weighted: bool) -> Choice:
    """Resolve `backend="auto"` and `start="auto"` for a model of `columns` columns.
    The core start needs HiGHS and pays on national integer weighted models, for SCIP
    and HiGHS (CP-SAT gains nothing from it: benchmarks/README.md); above
    AUTO_CORE_MAX_COLUMNS the LP-rounding start takes its place."""
    name = choose_backend(backend, columns, all_integer, weighted)
    if start != "auto":
        return Choice(name, start)
    seeded = (weighted and all_integer and columns > AUTO_HIGHS_MAX_COLUMNS
              and name in ("scip", "highs") and _installed("highs"))
    if not seeded:
        return Choice(name, None)
    return Choice(name, "core" if columns <= AUTO_CORE_MAX_COLUMNS else "lp")


def choose_backend(name: str, columns: int, all_integer: bool = True,
                   weighted: bool = False) -> str:
    """Resolve `auto` for a model of `columns` columns; other names pass through."""
    if name != "auto":
        return name
    if weighted and all_integer and (columns <= AUTO_HIGHS_MAX_COLUMNS or _installed("highs")):
        return "scip"  # above the threshold only with the core start, which needs HiGHS
    if columns <= AUTO_HIGHS_MAX_COLUMNS and _installed("highs"):
        return "highs"
    return "cpsat" if all_integer else "scip"


def choose_stage_backend(kind: str, columns: int, all_integer: bool) -> str:
    """Resolve `auto` for one stage of a staged policy (`allocopt.policies.stages`):
    `kind` is the stage's shape ("level", "log", "value", "cost"), `columns` and
    `all_integer` its program's. A max-min level goes to HiGHS at every size
    (benchmarks/README.md, "Policies within their time limit": level 1 within 30 s,
    korea-2025 proven 0.08 % in 4.7 s against SCIP's 0.14 % at 30 s; national 0.75 %
    against SCIP's 2.97 %; level 2 0.15 % against 0.59 % and 0.42 % against 0.49 %);
    every other stage as `choose_backend` chooses for a non-weighted model."""
    if kind == "level" and _installed("highs"):
        return "highs"
    return choose_backend("auto", columns, all_integer)


def _installed(name: str) -> bool:
    return REGISTRY[name].version() is not None


def get_backend(name: str) -> Backend:
    try:
        backend = REGISTRY[name]
    except KeyError:
        raise BackendError(f"unknown backend {name!r}; known: {', '.join(REGISTRY)}") from None
    if backend.version() is None:
        raise BackendError(f"backend {name!r} is not installed here")
    return backend()


__all__ = ["AUTO_CORE_MAX_COLUMNS", "AUTO_HIGHS_MAX_COLUMNS", "DEFAULT_BACKEND", "REGISTRY",
           "Backend", "Choice", "Feature", "Result", "SolveOptions", "Status", "choose",
           "choose_backend", "choose_stage_backend", "get_backend"]
