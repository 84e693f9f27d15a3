"""Re-check a written results folder against its instance, from the files alone.

This is what `allocopt verify FILE DIR` reports: the rows are read back into a Solution
(`allocopt.results.read_solution`) and every rule is recomputed from it
(`allocopt.verify`); a robust folder is re-checked scenario by scenario
(`allocopt.policies.robust.verify_folder`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from allocopt.instance import Instance
from allocopt.results import read_solution
from allocopt.solution import Solution
from allocopt.verify import verify


@dataclass(frozen=True)
class FolderCheck:
    """The allocation a results folder holds (its first scenario's, for a robust
    folder) and every rule it breaks, one line each; `ok` when there is none."""

    solution: Solution
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_folder(instance: Instance, folder: str | Path) -> FolderCheck:
    """Re-check the results folder `folder` against `instance`; ResultsError when the
    folder cannot be read."""
    solution, problems = read_solution(instance, folder)
    if solution.policy.get("name") == "robust":
        from allocopt.policies.robust import verify_folder as verify_robust

        return FolderCheck(solution, verify_robust(instance, folder))
    return FolderCheck(solution, [str(p) for p in [*problems, *verify(instance, solution)]])
