"""Static consistency: contradictions that can be seen in an instance before any solve.

Each check is a necessary condition of feasibility, computed from the file alone
(no model, no solver), so a problem it reports is certain; passing them all does not
make an instance feasible. `allocopt validate` reports them (exit 2); `allocopt
solve` leaves them to its own diagnosis, which names the conflicting rules (exit 3).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from allocopt.errors import Problem
from allocopt.instance.instance import Instance
from allocopt.instance.locate import Lines, annotate, spec_ids
from allocopt.instance.schema import Project

EPS = 1e-9


def consistency_problems(instance: Instance, lines: Lines | None = None) -> list[Problem]:
    """Every static contradiction of `instance`, each naming the ids involved; problems
    about the instance file name their line when `lines` is given (or the file can be
    read again)."""
    problems = [*_area_shares(instance), *_mandatory_demand(instance),
                *_dependencies(instance), *_budget(instance)]
    if problems and lines is None and instance.source != "<memory>":
        try:
            lines = Lines(Path(instance.source).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            lines = None
    return annotate(problems, instance.source, spec_ids(instance.spec), lines)


def _where(instance: Instance, project: Project) -> tuple[str, str, str]:
    """(file, path, label) of a project, for a problem about it."""
    k = instance.project_index[project.id]
    if k < len(instance.origins):
        origin = instance.origins[k]
        return origin.file, origin.path, origin.label()
    return instance.source, f"projects[{k}]", ""


def _area_shares(instance: Instance) -> Iterator[Problem]:
    """Areas under one parent are disjoint parts of it, so their minimum shares must sum
    to at most the parent's maximum share (1 at the top level); otherwise only an
    allocation that funds nothing meets them."""
    spec = instance.spec
    children: dict[str | None, list] = defaultdict(list)
    for area in spec.areas:
        children[area.parent].append(area)
    index = instance.area_index
    for parent, group in children.items():
        total = sum(a.min_share for a in group)
        cap = 1.0 if parent is None else spec.areas[index[parent]].max_share
        if total <= cap + EPS or (parent is not None and parent not in index):
            continue
        listed = ", ".join(f"{a.id} ({a.min_share:g})" for a in group if a.min_share > 0)
        if parent is None:
            yield Problem(instance.source, "areas", (
                f"the minimum shares of the top-level areas {listed} sum to {total:g}, "
                "above 1: only an allocation that funds nothing meets them"))
        else:
            yield Problem(instance.source, f"areas[{index[parent]}]", (
                f"the minimum shares of the areas under {parent} — {listed} — sum to "
                f"{total:g}, above {parent}'s max_share {cap:g}: only an allocation that "
                "funds nothing meets them"))


def _available(instance: Instance) -> np.ndarray:
    """avail[g, s, t]: the most units of type g site s can ever hold in period t: every
    delivery up to t and every purchase that may arrive by then (quotas in full)."""
    spec = instance.spec
    avail = instance.supply_cumulative.copy()
    hosts = instance.hosts
    for option in spec.procurement:
        g = instance.type_index[option.type]
        t = instance.period_index[option.earliest_period]
        for s, site in enumerate(spec.sites):
            if hosts[s, g] and (not option.sites or site.id in option.sites):
                avail[g, s, t:] += option.max_units
    return avail


def _mandatory_demand(instance: Instance) -> Iterator[Problem]:
    """A mandatory project needs, at one site, at least its smallest request: for some
    configuration every type's count, or for an elastic request `min_gpus`
    performance-equivalent GPUs. Deliveries accumulate, so the most a site can hold in
    the window is what it holds in the window's last period."""
    spec = instance.spec
    avail = _available(instance)
    perf = {g.id: g.perf for g in spec.gpu_types}
    for project in spec.projects:
        if not project.mandatory:
            continue
        first, last = instance.window(project)
        if last < first:
            continue  # reported by the cross-reference checks
        at_end = avail[:, :, last]
        file, path, label = _where(instance, project)
        request = project.request
        if request.configurations is not None:
            shortfalls = []
            for c in request.configurations:
                cols = [instance.type_index[g] for g in c.gpus]
                need = np.array(list(c.gpus.values()), dtype=float)
                have = at_end[cols, :]  # (types of c, sites)
                if np.any(np.all(have + EPS >= need[:, None], axis=0)):
                    break
                best = int(np.argmax(np.min(have / need[:, None], axis=0)))
                site = spec.sites[best].id
                short = ", ".join(f"{int(n)} {g} (at most {have[k, best]:g})"
                                  for k, (g, n) in enumerate(c.gpus.items())
                                  if have[k, best] + EPS < n)
                shortfalls.append(f"{c.id} needs {short} at {site}")
            else:
                yield Problem(file, path, (
                    f"mandatory project {project.id} cannot be funded: no site can ever hold "
                    f"any of its configurations by {instance.periods[last]} "
                    f"({'; '.join(shortfalls)}; counting every delivery and purchase)"
                    f"{label}"))
        elif request.elastic is not None:
            e = request.elastic
            eff = np.array([e.efficiency.get(g, perf[g]) for g in e.types])
            have = at_end[[instance.type_index[g] for g in e.types], :]  # (types, sites)
            reach = eff @ have
            if e.max_units is not None:
                reach = np.minimum(reach, e.max_units * float(eff.max()))
            best = int(np.argmax(reach))
            if reach[best] + EPS < e.min_gpus:
                yield Problem(file, path, (
                    f"mandatory project {project.id} needs at least {e.min_gpus:g} "
                    f"performance-equivalent GPUs of {'+'.join(e.types)} at one site, but "
                    f"the most any site can ever hold by {instance.periods[last]} is "
                    f"{reach[best]:g} (at {spec.sites[best].id}, counting every delivery "
                    f"and purchase){label}"))


def _dependencies(instance: Instance) -> Iterator[Problem]:
    """A project that depends on one it excludes (or that excludes it) can never be
    funded; two mandatory projects that exclude each other cannot both be."""
    spec = instance.spec
    by_id = {p.id: p for p in spec.projects}
    for project in spec.projects:
        file, path, label = _where(instance, project)
        for other in project.depends_on:
            peer = by_id.get(other)
            if peer is None:
                continue  # an unknown project: reported by the cross-reference checks
            if other in project.excludes or project.id in peer.excludes:
                must = "mandatory project" if project.mandatory else "project"
                yield Problem(file, path, (
                    f"{must} {project.id} depends on {other} but the two exclude each other: "
                    f"{project.id} can never be funded{label}"))
        if project.mandatory:
            for other in project.excludes:
                peer = by_id.get(other)
                if peer is not None and peer.mandatory and project.id < other:
                    yield Problem(file, path, (
                        f"mandatory projects {project.id} and {other} exclude each other: "
                        f"they cannot both be funded{label}"))


def _least_opex(instance: Instance, project: Project) -> float:
    """The least public operating cost at which `project` can run: its cheapest
    configuration, or min_gpus on its cheapest type per performance-equivalent GPU."""
    spec = instance.spec
    opex = {g.id: g.opex_per_period for g in spec.gpu_types}
    perf = {g.id: g.perf for g in spec.gpu_types}
    public = 1.0 - (instance.partner_cofunding.get(project.partner, 0.0)
                    if project.partner else 0.0)
    request = project.request
    if request.configurations is not None:
        cost = min(sum(n * opex[g] for g, n in c.gpus.items()) * instance.duration(project, c)
                   for c in request.configurations)
    else:
        e = request.elastic
        cost = min(opex[g] / e.efficiency.get(g, perf[g]) for g in e.types) * e.min_gpus \
            * project.window.duration
    return public * cost


def _budget(instance: Instance) -> Iterator[Problem]:
    """The mandatory projects' least operating cost must fit the opex and total budgets."""
    budget = instance.spec.policy.budget
    limits = [(name, value) for name, value in (("opex", budget.opex), ("total", budget.total))
              if value is not None]
    mandatory = [p for p in instance.spec.projects if p.mandatory]
    if not limits or not mandatory:
        return
    costs = {p.id: _least_opex(instance, p) for p in mandatory}
    need = sum(costs.values())
    for name, value in limits:
        if need > value * (1 + EPS) + EPS:
            top = sorted(costs.items(), key=lambda kv: -kv[1])[:5]
            listed = ", ".join(f"{pid} {cost:,.2f}" for pid, cost in top)
            more = f", … ({len(costs)} in all)" if len(costs) > len(top) else ""
            yield Problem(instance.source, f"policy.budget.{name}", (
                f"budget {name} {value:,.2f} {budget.currency} cannot pay for the mandatory "
                f"projects' least operating cost, {need:,.2f} ({listed}{more})"))
