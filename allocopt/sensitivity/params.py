"""Numeric fields of an instance addressed by a path, and new instances with them changed.

A path names one number or a family of numbers of the instance file:

| path | numbers | its value (what a sweep sets) |
|---|---|---|
| `supply.H200` | units of every H200 delivery | their total; setting it scales each delivery |
| `supply.H200.DC1`, `supply.*` | deliveries of a type at a site, every delivery | the same |
| `budget.capex` (`opex`, `total`) | the budget limit | the limit |
| `areas.<id>.weight` | any numeric field of an area | the field |
| `projects.<id>.score` | any numeric field of a project (`window.duration`, …) | the field |
| `sites.<id>.power_mw`, `gpu_types.<id>.perf`, `procurement.<id>.max_units` … | a field | it |
| `projects.*.score` | the field of every entity of a kind | their total, scaled alike |
| `policy.late_start_penalty` | a policy number | the number |

The paths themselves live in `allocopt.instance.paths` (the edit API takes them too);
new instances are rebuilt from the dumped spec and validated again by
`allocopt.instance.edit.rebuild` (pydantic, then the cross-reference checks of
`from_spec`), so a value out of range is a clear error, not a broken model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from allocopt.errors import InstanceError, ParameterError
from allocopt.instance import Instance
from allocopt.instance.edit import rebuild
from allocopt.instance.paths import (
    COLLECTIONS,
    FORMS,
    Change,
    Location,
    Target,
    resolve,
    set_in,
    target,
)

# Names callers have imported from here since before the paths moved to the instance.
__all__ = ["COLLECTIONS", "FORMS", "Change", "Location", "ParameterError", "Target",
           "apply_changes", "grid_values", "parse_amount", "parse_range", "resolve",
           "set_in", "target"]


def apply_changes(instance: Instance, changes: Sequence[Change]) -> Instance:
    """A new, fully checked Instance: `instance` with `changes` applied in order."""
    if not changes:
        return instance
    data = instance.spec.model_dump()
    for change in changes:
        set_in(data, change)
    try:
        return rebuild(instance, data)
    except InstanceError as exc:
        raise ParameterError(_describe(changes) + ": "
                             + "; ".join(_without_file(p) for p in exc.problems)) from None


def _without_file(problem) -> str:
    return f"{problem.path}: {problem.message}" if problem.path else problem.message


def _describe(changes: Sequence[Change]) -> str:
    shown = [f"{c.path}={c.value:g}" if not isinstance(c.value, tuple) else c.path
             for c in changes]
    return "instance with " + ", ".join(shown) + " is invalid"


_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_END = re.compile(rf"^\s*({_NUMBER})\s*(%?)\s*$")


def parse_amount(text: str, base: float | None, what: str) -> float:
    """A number, or a percentage change of `base` (`-50%` = half of it, `+10%`)."""
    m = _END.match(text)
    if not m:
        raise ParameterError(f"{what}: {text!r} is not a number or a percentage like -20%")
    value = float(m.group(1))
    if not m.group(2):
        return value
    if base is None:
        raise ParameterError(f"{what}: a relative value needs a baseline, and the instance "
                             "does not set one; give absolute values")
    return base * (1.0 + value / 100.0)


def parse_range(text: str, t: Target) -> tuple[float, float]:
    """`LO..HI`, both absolute (`10..20`) or both relative to the baseline (`-50%..+50%`)."""
    what = f"range {text!r} of {t.path}"
    sides = text.split("..")
    if len(sides) != 2:
        raise ParameterError(f"{what}: expected LO..HI, e.g. 10..20 or -50%..+50%")
    relative = [s.strip().endswith("%") for s in sides]
    if relative[0] != relative[1]:
        raise ParameterError(f"{what}: give both ends absolute or both relative (%)")
    if relative[0] and not t.total:
        raise ParameterError(f"{what}: a relative range needs a non-zero baseline, and "
                             f"{t.path} is {'not set' if t.total is None else '0'} here")
    lo, hi = (parse_amount(s, t.total, what) for s in sides)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ParameterError(f"{what}: not finite")
    if lo >= hi:
        raise ParameterError(f"{what}: LO must be below HI")
    if lo < 0:
        raise ParameterError(f"{what}: {t.path} cannot be negative")
    return lo, hi


def grid_values(lo: float, hi: float, steps: int, integer: bool) -> list[float]:
    """`steps` evenly spaced values from lo to hi inclusive (whole numbers, each once,
    for an integer parameter)."""
    values = [lo] if steps == 1 else [lo + (hi - lo) * k / (steps - 1) for k in range(steps)]
    if integer:
        values = list(dict.fromkeys(float(round(v)) for v in values))
    return values
