"""Numbers of an instance addressed by a path, and a dumped spec changed through them.

A path names one number or a family of numbers of the instance file:

==================================  ==============================  ============================
path                                numbers                         its value (what a sweep
                                                                    sets)
==================================  ==============================  ============================
`supply.H200`                       units of every H200 delivery    their total; setting it
                                                                    scales each delivery
`supply.H200.DC1`, `supply.*`       a type's deliveries at a site;  the same
                                    every delivery
`budget.capex` (`opex`, `total`)    the budget limit                the limit
`areas.<id>.weight`                 any numeric field of an area    the field
`projects.<id>.score`               any numeric field of a project  the field
                                    (`window.duration`, …)
`sites.<id>.power_mw`,              a field                         the field
`gpu_types.<id>.perf`,
`procurement.<id>.max_units` …
`projects.*.score`                  the field of every entity of a  their total, scaled alike
                                    kind
`policy.late_start_penalty`         a policy number                 the number
==================================  ==============================  ============================

The paths are shared by the edit API (`allocopt.instance.edit.with_changes`) and the
sensitivity module (`allocopt.sensitivity.params`), so a path means one thing everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from allocopt.errors import ParameterError
from allocopt.instance.hints import did_you_mean, known_list

if TYPE_CHECKING:
    from allocopt.instance.instance import Instance

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
        known = [str(item.get("id")) for item in items]
        raise ParameterError(f"parameter {path!r}: no {kind} {key!r}"
                             f"{did_you_mean(key, known)} (known: {known_list(known)})")
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
            known = sorted(types)
            raise ParameterError(f"parameter {path!r}: no GPU type {parts[1]!r}"
                                 f"{did_you_mean(parts[1], known)} (known: {known_list(known)})")
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


def spread(total: float, weights: Sequence[float], integer: bool) -> list[float]:
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
        values = spread(max(0.0, float(change.value)), [b or 0.0 for b in t.baseline],
                         t.integer)
    for where, v in zip(t.leaves, values, strict=True):
        _put(data, where, int(v) if t.integer else v)
