"""The one interface every solver sits behind, and the normalised answer it returns."""

from __future__ import annotations

import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

import numpy as np

from allocopt.model.program import Program


class Status(StrEnum):
    """OPTIMAL: proven within the gap asked for. FEASIBLE: a solution, not proven
    (time limit). INFEASIBLE: no allocation satisfies every rule. UNBOUNDED: the model
    is broken. NO_SOLUTION_FOUND: stopped before any solution. ERROR: the solver failed."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION_FOUND = "no_solution_found"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


class Feature(StrEnum):
    INTEGER = "integer"
    DUALS = "duals"
    HINTS = "hints"
    FRACTIONAL_COEFFICIENTS = "fractional_coefficients"
    MEMORY_LIMIT = "memory_limit"


@dataclass(frozen=True)
class SolveOptions:
    """Limits and knobs; `gap` is relative (0.001 = 0.1 %)."""

    time_limit_s: float | None = None
    gap: float = 1e-4
    threads: int = 1
    seed: int = 0
    relax: bool = False
    hint: np.ndarray | None = None
    verbose: bool = False
    stop: threading.Event | None = None
    memory_limit_mb: float | None = None


@dataclass
class Result:
    """A backend's answer, normalised. `bound` is the best proven bound on the
    objective (an upper bound when maximising). `row_duals[i]` (LPs only) is
    ∂objective/∂(active bound of row i): when maximising, ≥ 0 on a binding ≤ row."""

    status: Status
    objective: float | None
    bound: float | None
    values: np.ndarray | None
    wall_s: float
    backend: str
    row_duals: np.ndarray | None = None
    interrupted: bool = False
    message: str = ""

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|bound − objective| / max(|objective|, 1e-9); 0 when both are 0."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    diff = abs(bound - objective)
    if diff <= 1e-9:
        return 0.0
    return diff / max(abs(objective), 1e-9)


def installed_version(module: str, distribution: str) -> str | None:
    """'distribution version' when `module` imports here, else None (never raises)."""
    import importlib.util
    from importlib.metadata import PackageNotFoundError, version

    if importlib.util.find_spec(module) is None:
        return None
    try:
        return f"{distribution} {version(distribution)}"
    except PackageNotFoundError:
        return distribution


class Backend(ABC):
    """A solver. Subclasses set `name` and `features`, and import their solver lazily
    inside `solve`, so that `import allocopt` stays fast."""

    name: ClassVar[str]
    features: ClassVar[frozenset[Feature]]

    @classmethod
    @abstractmethod
    def version(cls) -> str | None:
        """The solver's version, or None when it is not installed here."""

    @abstractmethod
    def solve(self, program: Program, options: SolveOptions) -> Result:
        """Solve `program` within `options` and return a normalised Result."""


class SolverAbandoned(RuntimeError):
    """The solver did not stop within the grace period after an interrupt; its state
    must not be read, and nothing it found is reported."""


INTERRUPT_GRACE_S = 10.0


def run_interruptible(solve: Callable[[], object], interrupt: Callable[[], object],
                      stop: threading.Event | None) -> bool:
    """Run a blocking solver call in a worker thread; when `stop` is set (e.g. by a
    SIGINT handler, which Python runs only on the main thread between waits), ask the
    solver to stop and wait for it. Returns True if the solve was interrupted; raises
    SolverAbandoned if the solver ignores the request (e.g. HiGHS in presolve) for
    INTERRUPT_GRACE_S."""
    if stop is None:
        solve()
        return False
    failure: list[BaseException] = []

    def work() -> None:
        try:
            solve()
        except BaseException as exc:  # re-raised on the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=work, name="allocopt-solve", daemon=True)
    worker.start()
    interrupted_at = None
    while worker.is_alive():
        worker.join(0.1)
        if stop.is_set() and interrupted_at is None:
            interrupted_at = time.monotonic()
            interrupt()
        if interrupted_at is not None and time.monotonic() - interrupted_at > INTERRUPT_GRACE_S:
            raise SolverAbandoned(f"the solver did not stop within {INTERRUPT_GRACE_S:g} s")
    if failure:
        raise failure[0]
    return interrupted_at is not None
