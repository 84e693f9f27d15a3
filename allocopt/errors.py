"""Errors that carry what a user needs to fix their input, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (file and field path) and what."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


class AllocoptError(Exception):
    """Base of every error allocopt raises on purpose."""


class InstanceError(AllocoptError):
    """The instance is invalid; `problems` lists every problem found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ResultsError(AllocoptError):
    """A results folder is missing, unreadable or inconsistent."""


class BackendError(AllocoptError):
    """A backend is unavailable or cannot express the model."""


class Unsupported(BackendError):
    """A backend lacks a capability the solve needs (`feature`, a `backends.Feature`
    value), found before solving: a caller may choose another backend by it."""

    def __init__(self, feature: str, message: str) -> None:
        super().__init__(message)
        self.feature = str(feature)

    def __reduce__(self):  # across worker processes, feature and message both
        return (type(self), (self.feature, str(self)))


class ParameterError(AllocoptError):
    """A parameter path, range or value the instance cannot take."""


class ExecutorError(AllocoptError):
    """The chosen executor cannot be used (Dask missing or its scheduler unreachable)."""


class Interrupted(AllocoptError):
    """A run of many tasks was stopped (Ctrl-C, or SIGTERM where the caller maps it to
    Ctrl-C) before all of them finished. Not bad input: nothing is wrong with it.

    `done` holds the results of the tasks that had finished, by task index; `total` is
    the number of tasks of the interrupted phase; `earlier` the full results of the
    phases of the same run that had finished before it, in order (a sweep's points
    when its breakpoint phase is interrupted)."""

    def __init__(self, done: dict[int, Any], total: int,
                 earlier: tuple[list[Any], ...] = ()) -> None:
        super().__init__(f"interrupted: {len(done)} of {total} tasks finished")
        self.done = done
        self.total = total
        self.earlier = earlier


# The errors below were RuntimeError or ValueError before they were AllocoptError; they
# keep that base too, so that callers catching it still catch them.


class VerificationError(AllocoptError, RuntimeError):
    """A solver returned an allocation that breaks a rule: never reported as an answer."""


class SolverAbandoned(AllocoptError, RuntimeError):
    """The solver did not stop within the grace period after an interrupt; its state
    must not be read, and nothing it found is reported."""


class NoRelaxation(AllocoptError, ValueError):
    """The LP relaxation has no optimum (an infeasible instance): nothing to round."""


class DualsError(AllocoptError, RuntimeError):
    """The fixed LP could not be solved to optimality (or gave no duals)."""


class DecompositionError(AllocoptError):
    """The decomposition cannot give an answer: another policy than weighted value, or a
    part with no allocation within its share of the resources (the full instance may
    still have one: solve it whole, or with fewer parts)."""
