"""allocopt: optimal, verified allocation of a nation's GPUs across its priorities.

    >>> import allocopt
    >>> instance = allocopt.load_instance("instances/tutorial.yaml")
    >>> solution = allocopt.solve(instance)
    >>> solution.verify(instance)
    []
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

try:
    __version__ = version("allocopt")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+local"

if TYPE_CHECKING:
    from allocopt.audit import verify_folder
    from allocopt.diagnose import explain_infeasible
    from allocopt.frames import allocation_frame, projects_frame, read_results
    from allocopt.instance import Instance, load_instance
    from allocopt.solution import Solution
    from allocopt.solving.pipeline import solve
    from allocopt.solving.resolve import resolve

_LAZY = {
    "Instance": "allocopt.instance",
    "load_instance": "allocopt.instance",
    "from_spec": "allocopt.instance",
    "solve": "allocopt.solving.pipeline",
    "Solution": "allocopt.solution",
    "SolveOptions": "allocopt.backends",
    "verify_folder": "allocopt.audit",
    "read_results": "allocopt.frames",
    "allocation_frame": "allocopt.frames",
    "projects_frame": "allocopt.frames",
    "resolve": "allocopt.solving.resolve",
    "explain_infeasible": "allocopt.diagnose",
}


def __getattr__(name: str):
    """Import on first use, so that `allocopt --help` does not pay for numpy or OR-Tools."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'allocopt' has no attribute {name!r}")


__all__ = ["Instance", "Solution", "SolveOptions", "__version__", "allocation_frame",
           "explain_infeasible", "from_spec", "load_instance", "projects_frame",
           "read_results", "resolve", "solve", "verify_folder"]
