"""The header line every benchmark prints: cores, load and the versions that matter."""

from __future__ import annotations

import os
import sys
from importlib.metadata import PackageNotFoundError, version


def describe(packages: tuple[str, ...]) -> str:
    """'2 cores (load average …), python …, <package> <version>, …'."""
    parts = [f"python {sys.version.split()[0]}"]
    for package in packages:
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} missing")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores (load average {load}), " + ", ".join(parts)
