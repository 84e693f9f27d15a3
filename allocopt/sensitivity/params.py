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

New instances are rebuilt from the dumped spec and validated again (pydantic, then the
cross-reference checks of `from_spec`), so a value out of range is a clear error, not a
broken model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from allocopt.errors import InstanceError, ParameterError
from allocopt.instance import Instance, InstanceSpec, from_spec

COLLECTIONS = {"gpu_types": "GPU type", "sites": "site", "procurement": "procurement option",
               "areas": "area", "partners": "partner", "projects": "project"}
FORMS = ("supply.<type>[.<site>], budget.capex|opex|total, policy.<field>, "
         + ", ".join(f"{c}.<id>.<field>" for c in COLLECTIONS))


Location = tuple[Any, ...]


@dataclass(frozen=True)
class Target:
    """The numbers a path names: their places in the dumped spec and baseline values.
    `baseline` holds None for an unset optional limit (e.g. no capex budget)."""

    path: str
    leaves: tuple[Location, ...]
    baseline: tuple[float | None, ...]
    integer: bool

    @property
    def total(self) -> float | None:
        """The value of the path: the number, or the sum of a family of numbers."""
        if any(b is None for b in self.baseline):
            return None
        return float(sum(self.baseline))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Change:
    """Set `path` to `value` (its total, spread over the family in proportion), or, with a
    tuple, each number of the family to its own value."""

    path: str
    value: float | tuple[float, ...]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _find(items: list[dict], key: str, kind: str, path: str) -> list[int]:
    if key == "*":
        return list(range(len(items)))
    found = [i for i, item in enumerate(items) if item.get("id") == key]
    if not found and key.isdigit() and int(key) < len(items):
        found = [int(key)]
    if not found:
        known = ", ".join(str(item.get("id")) for item in items[:8])
        more = ", …" if len(items) > 8 else ""
        raise ParameterError(f"parameter {path!r}: no {kind} {key!r} (known: {known}{more})")
    return found


def _walk(node: Any, rest: list[str], where: Location, path: str) -> Location:
    """The location of one number below `node`, following the field names in `rest`."""
    for name in rest:
        if not isinstance(node, dict) or name not in node:
            fields = sorted(k for k, v in node.items() if _number(v) or v is None
                            or isinstance(v, dict)) if isinstance(node, dict) else []
            raise ParameterError(f"parameter {path!r}: no field {name!r} there"
                                 + (f" (fields: {', '.join(fields)})" if fields else ""))
        node = node[name]
        where = (*where, name)
    if not (_number(node) or node is None):
        raise ParameterError(f"parameter {path!r}: not a number ({type(node).__name__})")
    return where


def _get(data: dict, where: Location) -> Any:
    for k in where:
        data = data[k]
    return data


def _put(data: dict, where: Location, value: Any) -> None:
    for k in where[:-1]:
        data = data[k]
    data[where[-1]] = value


def resolve(data: dict, path: str) -> Target:
    """The Target of `path` in a dumped spec (`InstanceSpec.model_dump()`)."""
    parts = path.split(".")
    if len(parts) < 2 or not all(parts):
        raise ParameterError(f"unknown parameter {path!r}: expected one of {FORMS}")
    head = parts[0]
    if head == "supply":
        if len(parts) > 3:
            raise ParameterError(f"parameter {path!r}: expected supply.<type>[.<site>]")
        types = {d["type"] for d in data["supply"]} | {g["id"] for g in data["gpu_types"]}
        if parts[1] != "*" and parts[1] not in types:
            raise ParameterError(f"parameter {path!r}: no GPU type {parts[1]!r} "
                                 f"(known: {', '.join(sorted(types))})")
        leaves = tuple(("supply", i, "units") for i, d in enumerate(data["supply"])
                       if parts[1] in ("*", d["type"])
                       and (len(parts) < 3 or d["site"] == parts[2]))
        if not leaves:
            raise ParameterError(f"parameter {path!r}: the instance has no such deliveries")
        integer = True
    elif head in ("budget", "policy"):
        rest = ["budget", *parts[1:]] if head == "budget" else parts[1:]
        leaves = (_walk(data["policy"], rest, ("policy",), path),)
        integer = False
    elif head in COLLECTIONS:
        if len(parts) < 3:
            raise ParameterError(f"parameter {path!r}: expected {head}.<id>.<field>")
        items = data[head]
        leaves = tuple(_walk(items[i], parts[2:], (head, i), path)
                       for i in _find(items, parts[1], COLLECTIONS[head], path))
        if not leaves:
            raise ParameterError(f"parameter {path!r}: the instance has no {head}")
        integer = all(isinstance(_get(data, w), int) for w in leaves)
        if parts[1] == "*" and any(_get(data, w) is None for w in leaves):
            raise ParameterError(f"parameter {path!r}: not set for every {COLLECTIONS[head]}")
    else:
        raise ParameterError(f"unknown parameter {path!r}: expected one of {FORMS}")
    baseline = tuple(_get(data, w) for w in leaves)
    return Target(path=path, leaves=leaves,
                  baseline=tuple(None if b is None else float(b) for b in baseline),
                  integer=integer)


def target(instance: Instance, path: str) -> Target:
    """The Target of `path` in `instance` (raises ParameterError for unknown paths)."""
    return resolve(instance.spec.model_dump(), path)


def _spread(total: float, weights: Sequence[float], integer: bool) -> list[float]:
    """`total` split in proportion to `weights`; whole numbers summing to round(total)
    when `integer` (largest remainders, ties to the earlier entry)."""
    whole = sum(weights)
    if whole <= 0:
        if total == 0:
            return [0.0] * len(weights)
        raise ParameterError("cannot scale a family of numbers that are all 0")
    shares = [total * w / whole for w in weights]
    if not integer:
        return shares
    target_total = round(total)
    floors = [math.floor(s + 1e-9) for s in shares]
    left = target_total - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:max(0, left)]:
        floors[i] += 1
    return [float(f) for f in floors]


def set_in(data: dict, change: Change) -> None:
    """Apply `change` to the dumped spec `data` in place."""
    t = resolve(data, change.path)
    if isinstance(change.value, tuple):
        if len(change.value) != len(t.leaves):
            raise ParameterError(f"parameter {change.path!r}: {len(change.value)} values for "
                                 f"{len(t.leaves)} numbers")
        values = [max(0.0, v) for v in change.value]
        values = [float(round(v)) for v in values] if t.integer else values
    elif len(t.leaves) == 1:
        values = [float(round(change.value)) if t.integer else float(change.value)]
    else:
        values = _spread(max(0.0, float(change.value)), [b or 0.0 for b in t.baseline],
                         t.integer)
    for where, v in zip(t.leaves, values, strict=True):
        _put(data, where, int(v) if t.integer else v)


def apply_changes(instance: Instance, changes: Sequence[Change]) -> Instance:
    """A new, fully checked Instance: `instance` with `changes` applied in order."""
    if not changes:
        return instance
    from pydantic import ValidationError

    data = instance.spec.model_dump()
    for change in changes:
        set_in(data, change)
    try:
        spec = InstanceSpec.model_validate(data)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(k) for k in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ParameterError(_describe(changes) + ": " + "; ".join(lines)) from None
    try:
        return from_spec(spec, instance.source, list(instance.origins))
    except InstanceError as exc:
        raise ParameterError(_describe(changes) + ": "
                             + "; ".join(str(p) for p in exc.problems)) from None


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
