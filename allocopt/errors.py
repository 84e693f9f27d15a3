"""Errors that carry what a user needs to fix their input, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


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
