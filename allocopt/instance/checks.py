"""Cross-reference checks: rules that relate one part of an instance to another.

Each check appends `Problem`s instead of raising, so that a planner sees every
mistake in one run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from allocopt.errors import Problem
from allocopt.instance.hints import Names, outside_horizon
from allocopt.instance.schema import InstanceSpec, Project
from allocopt.instance.tables import Origin


def _duplicates(ids: Iterable[str]) -> list[str]:
    return [k for k, n in Counter(ids).items() if n > 1]


def _find_cycle(edges: dict[str, Sequence[str]]) -> list[str] | None:
    """A cycle in a directed graph as a list of nodes, or None (iterative DFS)."""
    colour: dict[str, int] = {}
    for root in edges:
        if colour.get(root):
            continue
        stack = [(root, iter(edges.get(root, ())))]
        path = [root]
        colour[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
                continue
            if child not in edges:
                continue
            state = colour.get(child, 0)
            if state == 1:
                return [*path[path.index(child):], child]
            if state == 0:
                colour[child] = 1
                stack.append((child, iter(edges.get(child, ()))))
                path.append(child)
    return None


# Each max-min level is a solve with one more column per party: across projects, more
# levels than this would be thousands of solves of a model growing by thousands of
# columns each.
MAX_PROJECT_LEVELS = 100


def check_spec(spec: InstanceSpec, file: str, origins: Sequence[Origin]) -> list[Problem]:
    """Every cross-reference problem of `spec`, in file order."""
    problems: list[Problem] = []

    def add(path: str, message: str, where: str = file) -> None:
        problems.append(Problem(where, path, message))

    periods = {p: i for i, p in enumerate(spec.periods)}
    types = {g.id for g in spec.gpu_types}
    sites = {s.id: s for s in spec.sites}
    areas = {a.id: a for a in spec.areas}
    partners = {p.id for p in spec.partners}
    names = {"type": Names("GPU type", [g.id for g in spec.gpu_types]),
             "site": Names("site", [s.id for s in spec.sites]),
             "area": Names("area", [a.id for a in spec.areas]),
             "partner": Names("partner", [p.id for p in spec.partners]),
             "project": Names("project", [p.id for p in spec.projects])}

    def horizon(period: str) -> str:
        return outside_horizon(period, spec.periods)

    for name, ids in (("gpu_types", [g.id for g in spec.gpu_types]),
                      ("sites", [s.id for s in spec.sites]),
                      ("areas", [a.id for a in spec.areas]),
                      ("partners", [p.id for p in spec.partners]),
                      ("procurement", [o.id for o in spec.procurement if o.id])):
        for dup in _duplicates(ids):
            add(name, f"id {dup!r} is used more than once")

    for i, site in enumerate(spec.sites):
        for j, g in enumerate(site.hosts):
            if g not in types:
                add(f"sites[{i}].hosts[{j}]", names["type"].unknown(g))

    def hosts(site_id: str, g: str) -> bool:
        site = sites[site_id]
        return not site.hosts or g in site.hosts

    for i, d in enumerate(spec.supply):
        at = f"supply[{i}]"
        if d.type not in types:
            add(f"{at}.type", names["type"].unknown(d.type))
        if d.site not in sites:
            add(f"{at}.site", names["site"].unknown(d.site))
        elif d.type in types and not hosts(d.site, d.type):
            add(f"{at}.site", f"site {d.site!r} cannot host GPU type {d.type!r}")
        if d.period not in periods:
            add(f"{at}.period", horizon(d.period))
        if d.partner is not None and d.partner not in partners:
            add(f"{at}.partner", names["partner"].unknown(d.partner))

    for i, o in enumerate(spec.procurement):
        at = f"procurement[{i}]"
        if o.type not in types:
            add(f"{at}.type", names["type"].unknown(o.type))
        if o.earliest_period not in periods:
            add(f"{at}.earliest_period", horizon(o.earliest_period))
        for j, s in enumerate(o.sites):
            if s not in sites:
                add(f"{at}.sites[{j}]", names["site"].unknown(s))
            elif o.type in types and not hosts(s, o.type):
                add(f"{at}.sites[{j}]", f"site {s!r} cannot host GPU type {o.type!r}")

    for i, a in enumerate(spec.areas):
        if a.parent is not None and a.parent not in areas:
            add(f"areas[{i}].parent", names["area"].unknown(a.parent))
    parent_edges = {a.id: [a.parent] if a.parent else [] for a in spec.areas}
    cycle = _find_cycle(parent_edges)
    if cycle:
        add("areas", f"parent cycle: {' -> '.join(cycle)}")

    project_ids = [p.id for p in spec.projects]
    for dup in _duplicates(project_ids):
        add("projects", f"project id {dup!r} is used more than once")
    known_projects = set(project_ids)
    for project, origin in zip(spec.projects, origins, strict=True):
        problems.extend(_check_project(project, origin, periods, types, sites, areas, partners,
                                       known_projects, names, horizon))
    dep_edges = {p.id: list(p.depends_on) for p in spec.projects}
    cycle = _find_cycle(dep_edges)
    if cycle:
        add("projects", f"dependency cycle: {' -> '.join(cycle)}")
    for j, served in enumerate(spec.policy.least_cost.serve):
        if served not in known_projects:
            add(f"policy.least_cost.serve[{j}]", names["project"].unknown(served))
    fairness = spec.policy.fairness
    levels = fairness.levels or len(spec.projects)
    if (spec.policy.objective.value == "maxmin" and fairness.across.value == "projects"
            and min(levels, len(spec.projects)) > MAX_PROJECT_LEVELS):
        add("policy.fairness.levels",
            f"max-min across {len(spec.projects)} projects with "
            f"{'levels unset' if fairness.levels is None else f'{levels} levels'} means one "
            f"solve and one column per project for each level; set levels to at most "
            f"{MAX_PROJECT_LEVELS} (Gavel's max-min is 1)")
    _check_scenarios(spec, periods, types, sites, add, names, horizon)
    return problems


def _check_scenarios(spec: InstanceSpec, periods: dict[str, int], types: set[str],
                     sites: dict, add, names: dict[str, Names],
                     horizon: Callable[[str], str]) -> None:
    for dup in _duplicates(s.id for s in spec.scenarios):
        add("scenarios", f"id {dup!r} is used more than once")
    if spec.scenarios:
        total = sum(s.probability for s in spec.scenarios)
        if abs(total - 1.0) > 1e-9:
            add("scenarios", f"probabilities sum to {total:g}, not 1")
    elif spec.policy.objective.value == "robust":
        add("scenarios", "the robust policy needs at least one scenario")
    for i, scenario in enumerate(spec.scenarios):
        for j, b in enumerate(scenario.blocked):
            at = f"scenarios[{i}].blocked[{j}]"
            if b.type not in types:
                add(f"{at}.type", names["type"].unknown(b.type))
            if b.from_period not in periods:
                add(f"{at}.from_period", horizon(b.from_period))
            for k, site in enumerate(b.sites):
                if site not in sites:
                    add(f"{at}.sites[{k}]", names["site"].unknown(site))
        for j, d in enumerate(scenario.delays):
            if d.site not in sites:
                add(f"scenarios[{i}].delays[{j}].site", names["site"].unknown(d.site))


def _check_project(project: Project, origin: Origin, periods: dict[str, int], types: set[str],
                   sites: dict, areas: dict, partners: set[str],
                   known_projects: set[str], names: dict[str, Names],
                   horizon: Callable[[str], str]) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: str, message: str) -> None:
        problems.append(Problem(origin.file, f"{origin.path}.{path}",
                                f"{message}{origin.label()}"))

    if project.area not in areas:
        add("area", names["area"].unknown(project.area))
    if project.partner is not None and project.partner not in partners:
        add("partner", names["partner"].unknown(project.partner))
    w = project.window
    first = 0
    last = len(periods) - 1
    if w.earliest_start is not None:
        if w.earliest_start not in periods:
            add("window.earliest_start", horizon(w.earliest_start))
        else:
            first = periods[w.earliest_start]
    if w.latest_end is not None:
        if w.latest_end not in periods:
            add("window.latest_end", horizon(w.latest_end))
        else:
            last = periods[w.latest_end]
    if last < first:
        add("window", "latest_end is before earliest_start")
    span = last - first + 1
    request = project.request
    if request.configurations is not None:
        for dup in _duplicates(c.id for c in request.configurations):
            add("request.configurations", f"configuration id {dup!r} is used more than once")
        for j, c in enumerate(request.configurations):
            for g in c.gpus:
                if g not in types:
                    add(f"request.configurations[{j}].gpus.{g}", names["type"].unknown(g))
            duration = c.duration or w.duration
            if duration > span and last >= first:
                add(f"request.configurations[{j}].duration" if c.duration else "window.duration",
                    f"runs {duration} periods but the window holds only {span}")
        def placeable(c) -> bool:
            return any(all(not s.hosts or g in s.hosts for g in c.gpus) for s in sites.values())

        if all(c.gpus.keys() <= types for c in request.configurations) and not any(
                placeable(c) for c in request.configurations):
            add("request.configurations", "no site can host all the GPU types of any "
                                          "configuration")
    elif request.elastic is not None:
        e = request.elastic
        for j, g in enumerate(e.types):
            if g not in types:
                add(f"request.elastic.types[{j}]", names["type"].unknown(g))
        for g in e.efficiency:
            if g not in e.types:
                add(f"request.elastic.efficiency.{g}",
                    f"type {g!r} is not in request.elastic.types")
        if w.duration > span and last >= first:
            add("window.duration", f"runs {w.duration} periods but the window holds only {span}")
        if set(e.types) <= types and not any(
                not s.hosts or any(g in s.hosts for g in e.types) for s in sites.values()):
            add("request.elastic.types", "no site can host any of these GPU types")
    for field in ("depends_on", "excludes"):
        for j, other in enumerate(getattr(project, field)):
            if other == project.id:
                add(f"{field}[{j}]", "a project cannot refer to itself")
            elif other not in known_projects:
                add(f"{field}[{j}]", names["project"].unknown(other))
    return problems
