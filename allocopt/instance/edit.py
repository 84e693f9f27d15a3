"""Named edits of an Instance, each returning a new, validated Instance.

An Instance is frozen: an edit dumps its spec, changes the dumped data and validates it
again exactly as a file is validated (pydantic, then the cross-reference checks of
`from_spec`), so an impossible edit raises the same `InstanceError`, with the same
field paths and did-you-mean hints, as a file saying the same thing would:

    >>> shocked = instance.with_supply("H200", share=0.6, from_period="Q3")
    >>> cheaper = shocked.with_budget(opex=1500)

Each edit is a function here taking the instance first, and the same-named method of
`Instance` (`instance.with_budget(...)` is `with_budget(instance, ...)`). Arguments
left out keep the instance's value. The edited instance has its own fingerprint
(`Instance.sha256`); its `source` (used in messages) stays the original file's.

`with_changes` takes the numeric paths of the sensitivity module (`supply.H200`,
`budget.opex`, `projects.<id>.score`, …; `allocopt.instance.paths`); the sensitivity
module builds its scenarios through the same `rebuild`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from allocopt.errors import InstanceError, ParameterError, Problem
from allocopt.instance.hints import outside_horizon, unknown
from allocopt.instance.instance import KEEP, Instance, from_spec
from allocopt.instance.loaders import Origin
from allocopt.instance.locate import annotate, validation_problems
from allocopt.instance.paths import Change, set_in, spread
from allocopt.instance.schema import InstanceSpec


def rebuild(instance: Instance, data: dict[str, Any],
            origins: Iterable[Origin] | None = None) -> Instance:
    """A new Instance from `data`, a changed `instance.spec.model_dump()`, validated as a
    file is: InstanceError listing every problem with its field path otherwise.
    `origins` (where each project came from) defaults to the instance's, one per
    project, so an edit that removes projects passes the remaining ones'."""
    from pydantic import ValidationError

    source = instance.source
    try:
        spec = InstanceSpec.model_validate(data)
    except ValidationError as exc:
        raise InstanceError(annotate(validation_problems(exc, source), source,
                                     _ids(data), None)) from None
    kept = list(instance.origins if origins is None else origins)
    return from_spec(spec, source, kept if len(kept) == len(spec.projects) else None)


def _ids(data: dict[str, Any]) -> Callable[[str, int], Any]:
    """id_of for a dumped spec (whose lists are tuples), so problems name the entry."""
    def id_of(section: str, index: int) -> Any:
        entries = data.get(section)
        if isinstance(entries, list | tuple) and 0 <= index < len(entries):
            entry = entries[index]
            return entry.get("id") if isinstance(entry, dict) else None
        return None
    return id_of


def _problem(instance: Instance, path: str, message: str) -> InstanceError:
    return InstanceError([Problem(instance.source, path, message)])


def _index(instance: Instance, data: dict, section: str, kind: str, ident: str) -> int:
    """The position of entry `ident` of `section` in the dumped spec (InstanceError with
    a did-you-mean hint when there is none)."""
    known = [str(item.get("id")) for item in data[section]]
    for k, item in enumerate(data[section]):
        if item.get("id") == ident:
            return k
    raise _problem(instance, section, unknown(kind, ident, known))


def _set_fields(entry: dict, **values: Any) -> None:
    for name, value in values.items():
        if value is not KEEP:
            entry[name] = value


def with_changes(instance: Instance,
                 changes: Mapping[str, float] | Iterable[Change]) -> Instance:
    """`instance` with numbers set by path, in order: `{"budget.opex": 1500,
    "supply.H200": 48, "projects.llm.score": 2}`. A path naming a family of numbers
    (`supply.H200`: every H200 delivery) sets their total, spread in proportion to
    the current values (whole GPUs for counts); the paths are those of
    `allocopt.sensitivity` (`allocopt.instance.paths`). An unknown path raises
    ParameterError; a value the instance cannot take, InstanceError."""
    items = ([Change(path, value) for path, value in changes.items()]
             if isinstance(changes, Mapping) else list(changes))
    data = instance.spec.model_dump()
    for change in items:
        set_in(data, change)
    return rebuild(instance, data)


def _kept_units(units: int, share: float) -> int:
    """Units left of a delivery scaled by `share`: what is lost (share < 1) or gained
    (share > 1) rounds down to whole GPUs, as a scenario's blocked share does."""
    if share <= 1.0:
        return units - math.floor(units * (1.0 - share) + 1e-9)
    return units + math.floor(units * (share - 1.0) + 1e-9)


def with_supply(instance: Instance, type: str, share: float | None = None,
                units: int | None = None, from_period: str | None = None,
                site: str | None = None) -> Instance:
    """`instance` with the deliveries of GPU type `type` changed: those arriving in
    `from_period` or later (default: all), at `site` (default: every site).

    Give one of `share` or `units`. `share` scales each delivery: 0.6 keeps 60 % of
    it, i.e. an export shock that blocks 40 % of the deliveries from that period on
    (lost units round down to whole GPUs, as a scenario's blockage does). `units` sets
    the total of those deliveries, spread in proportion to their sizes; with `site`
    given and no such delivery, it adds one of `units` arriving in `from_period`
    (default: the first period). Unknown types, sites and periods raise InstanceError
    with a did-you-mean hint; a negative `units`, the schema's error on the delivery.
    """
    if (share is None) == (units is None):
        raise ParameterError("with_supply: give exactly one of share= or units=")
    if share is not None and not (math.isfinite(share) and share >= 0):
        raise ParameterError(f"with_supply: share must be a number >= 0, not {share!r}")
    data = instance.spec.model_dump()
    types = [g["id"] for g in data["gpu_types"]]
    if type not in types:
        raise _problem(instance, "supply", unknown("GPU type", type, types))
    sites = [s["id"] for s in data["sites"]]
    if site is not None and site not in sites:
        raise _problem(instance, "supply", unknown("site", site, sites))
    order = instance.period_index
    if from_period is not None and from_period not in order:
        raise _problem(instance, "supply", outside_horizon(from_period, instance.periods))
    first = 0 if from_period is None else order[from_period]
    chosen = [d for d in data["supply"] if d["type"] == type
              and (site is None or d["site"] == site) and order.get(d["period"], -1) >= first]
    if not chosen and (share is not None or site is None):
        where = f" at {site}" if site else ""
        when = f" from {from_period}" if from_period else ""
        raise _problem(instance, "supply", f"no deliveries of {type}{where}{when} to change"
                       + ("" if share is not None else "; give site= to add one"))
    if share is not None:
        for d in chosen:
            d["units"] = _kept_units(d["units"], share)
    elif not chosen:
        data["supply"] = [*data["supply"], {"type": type, "site": site, "units": units,
                                             "period": instance.periods[first]}]
    elif units >= 0 and sum(d["units"] for d in chosen) > 0:
        shares = spread(float(units), [float(d["units"]) for d in chosen], True)
        for d, n in zip(chosen, shares, strict=True):
            d["units"] = int(n)
    else:  # all zero, or negative (which the schema refuses, naming the delivery)
        for k, d in enumerate(chosen):
            d["units"] = units if k == 0 else 0
    return rebuild(instance, data)


def with_budget(instance: Instance, capex: float | None = KEEP, opex: float | None = KEEP,
                total: float | None = KEEP) -> Instance:
    """`instance` with budget limits changed (in `policy.budget.currency` units); None
    removes a limit. A negative limit raises InstanceError
    (`policy.budget.capex: Input should be greater than or equal to 0`)."""
    data = instance.spec.model_dump()
    _set_fields(data["policy"]["budget"], capex=capex, opex=opex, total=total)
    return rebuild(instance, data)


def with_area(instance: Instance, id: str, weight: float = KEEP, min_share: float = KEEP,
              max_share: float = KEEP) -> Instance:
    """`instance` with priority area `id`'s weight or share limits changed; a minimum
    share above the maximum raises InstanceError (`areas[k]: min_share must be <=
    max_share (area id)`), as in a file."""
    data = instance.spec.model_dump()
    k = _index(instance, data, "areas", "area", id)
    _set_fields(data["areas"][k], weight=weight, min_share=min_share, max_share=max_share)
    return rebuild(instance, data)


def with_project(instance: Instance, id: str, score: float = KEEP,
                 mandatory: bool = KEEP) -> Instance:
    """`instance` with project `id`'s merit score or mandatory flag changed."""
    data = instance.spec.model_dump()
    k = _index(instance, data, "projects", "project", id)
    _set_fields(data["projects"][k], score=score, mandatory=mandatory)
    return rebuild(instance, data)


def without_projects(instance: Instance, *ids: str) -> Instance:
    """`instance` without the projects `ids` (withdrawn proposals). Exclusions naming a
    withdrawn project are dropped with it; a remaining project that depends on one
    raises InstanceError (withdraw it too, or edit its dependency in the file)."""
    data = instance.spec.model_dump()
    for ident in ids:
        _index(instance, data, "projects", "project", ident)
    gone = set(ids)
    kept = [k for k, p in enumerate(data["projects"]) if p["id"] not in gone]
    problems = [Problem(instance.source, f"projects[{k}].depends_on",
                        f"project {data['projects'][k]['id']} depends on withdrawn project "
                        f"{q}; withdraw it too")
                for k in kept for q in data["projects"][k]["depends_on"] if q in gone]
    if problems:
        raise InstanceError(problems)
    for k in kept:
        p = data["projects"][k]
        p["excludes"] = [q for q in p["excludes"] if q not in gone]
    origins = [instance.origins[k] for k in kept] if instance.origins else None
    data["projects"] = [data["projects"][k] for k in kept]
    return rebuild(instance, data, origins)
