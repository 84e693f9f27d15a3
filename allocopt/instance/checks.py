"""Cross-reference checks: rules that relate one part of an instance to another.

Each check appends `Problem`s instead of raising, so that a planner sees every
mistake in one run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from allocopt.errors import Problem
from allocopt.instance.hints import Names, outside_horizon
from allocopt.instance.schema import Area, Configuration, InstanceSpec, Project, Site
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


class _Add(Protocol):
    """Records a problem at `path` (in `where`, the instance file unless given)."""

    def __call__(self, path: str, message: str, where: str = ...) -> None: ...


# Records a problem at a path inside one project, pointing at where it was written.
_AddToProject = Callable[[str, str], None]


@dataclass(frozen=True)
class _Context:
    """What every check looks up: the spec, its ids by kind (for membership and for
    "did you mean" messages) and where each project was written."""

    spec: InstanceSpec
    origins: Sequence[Origin]
    periods: dict[str, int]
    types: set[str]
    sites: dict[str, Site]
    areas: dict[str, Area]
    partners: set[str]
    projects: set[str]
    names: dict[str, Names]

    @classmethod
    def of(cls, spec: InstanceSpec, origins: Sequence[Origin]) -> _Context:
        return cls(
            spec=spec, origins=origins,
            periods={p: i for i, p in enumerate(spec.periods)},
            types={g.id for g in spec.gpu_types},
            sites={s.id: s for s in spec.sites},
            areas={a.id: a for a in spec.areas},
            partners={p.id for p in spec.partners},
            projects={p.id for p in spec.projects},
            names={"type": Names("GPU type", [g.id for g in spec.gpu_types]),
                   "site": Names("site", [s.id for s in spec.sites]),
                   "area": Names("area", [a.id for a in spec.areas]),
                   "partner": Names("partner", [p.id for p in spec.partners]),
                   "project": Names("project", [p.id for p in spec.projects])})

    def unknown(self, kind: str, value: str) -> str:
        return self.names[kind].unknown(value)

    def horizon(self, period: str) -> str:
        return outside_horizon(period, self.spec.periods)

    def hosts(self, site_id: str, g: str) -> bool:
        """Site `site_id` can run type `g` (an empty `hosts` list runs every type)."""
        site = self.sites[site_id]
        return not site.hosts or g in site.hosts


# --- the instance as a whole -----------------------------------------------------------

def _check_duplicate_ids(ctx: _Context, add: _Add) -> None:
    spec = ctx.spec
    for name, ids in (("gpu_types", [g.id for g in spec.gpu_types]),
                      ("sites", [s.id for s in spec.sites]),
                      ("areas", [a.id for a in spec.areas]),
                      ("partners", [p.id for p in spec.partners]),
                      ("procurement", [o.id for o in spec.procurement if o.id])):
        for dup in _duplicates(ids):
            add(name, f"id {dup!r} is used more than once")


def _check_site_hosts(ctx: _Context, add: _Add) -> None:
    for i, site in enumerate(ctx.spec.sites):
        for j, g in enumerate(site.hosts):
            if g not in ctx.types:
                add(f"sites[{i}].hosts[{j}]", ctx.unknown("type", g))


def _check_site_for_type(ctx: _Context, add: _Add, path: str, site: str, g: str) -> None:
    """The site exists and, when `g` is a known type, can host it."""
    if site not in ctx.sites:
        add(path, ctx.unknown("site", site))
    elif g in ctx.types and not ctx.hosts(site, g):
        add(path, f"site {site!r} cannot host GPU type {g!r}")


def _check_supply(ctx: _Context, add: _Add) -> None:
    for i, d in enumerate(ctx.spec.supply):
        at = f"supply[{i}]"
        if d.type not in ctx.types:
            add(f"{at}.type", ctx.unknown("type", d.type))
        _check_site_for_type(ctx, add, f"{at}.site", d.site, d.type)
        if d.period not in ctx.periods:
            add(f"{at}.period", ctx.horizon(d.period))
        if d.partner is not None and d.partner not in ctx.partners:
            add(f"{at}.partner", ctx.unknown("partner", d.partner))


def _check_procurement(ctx: _Context, add: _Add) -> None:
    for i, o in enumerate(ctx.spec.procurement):
        at = f"procurement[{i}]"
        if o.type not in ctx.types:
            add(f"{at}.type", ctx.unknown("type", o.type))
        if o.earliest_period not in ctx.periods:
            add(f"{at}.earliest_period", ctx.horizon(o.earliest_period))
        for j, s in enumerate(o.sites):
            _check_site_for_type(ctx, add, f"{at}.sites[{j}]", s, o.type)


def _check_area_parents(ctx: _Context, add: _Add) -> None:
    """Every parent is a known area and following parents never comes back."""
    for i, a in enumerate(ctx.spec.areas):
        if a.parent is not None and a.parent not in ctx.areas:
            add(f"areas[{i}].parent", ctx.unknown("area", a.parent))
    cycle = _find_cycle({a.id: [a.parent] if a.parent else [] for a in ctx.spec.areas})
    if cycle:
        add("areas", f"parent cycle: {' -> '.join(cycle)}")


def _check_duplicate_projects(ctx: _Context, add: _Add) -> None:
    for dup in _duplicates(p.id for p in ctx.spec.projects):
        add("projects", f"project id {dup!r} is used more than once")


def _check_each_project(ctx: _Context, add: _Add) -> None:
    """Every project's own checks, each problem pointing at where it was written."""
    for project, origin in zip(ctx.spec.projects, ctx.origins, strict=True):
        def add_here(path: str, message: str, origin: Origin = origin) -> None:
            add(f"{origin.path}.{path}", f"{message}{origin.label()}", origin.file)

        for check in PROJECT_CHECKS:
            check(project, ctx, add_here)


def _check_dependency_cycle(ctx: _Context, add: _Add) -> None:
    cycle = _find_cycle({p.id: list(p.depends_on) for p in ctx.spec.projects})
    if cycle:
        add("projects", f"dependency cycle: {' -> '.join(cycle)}")


def _check_least_cost_serve(ctx: _Context, add: _Add) -> None:
    for j, served in enumerate(ctx.spec.policy.least_cost.serve):
        if served not in ctx.projects:
            add(f"policy.least_cost.serve[{j}]", ctx.unknown("project", served))


def _check_fairness_levels(ctx: _Context, add: _Add) -> None:
    """Max-min across projects solves once per level: refuse more than
    MAX_PROJECT_LEVELS of them."""
    spec = ctx.spec
    fairness = spec.policy.fairness
    levels = fairness.levels or len(spec.projects)
    if (spec.policy.objective.value == "maxmin" and fairness.across.value == "projects"
            and min(levels, len(spec.projects)) > MAX_PROJECT_LEVELS):
        add("policy.fairness.levels",
            f"max-min across {len(spec.projects)} projects with "
            f"{'levels unset' if fairness.levels is None else f'{levels} levels'} means one "
            f"solve and one column per project for each level; set levels to at most "
            f"{MAX_PROJECT_LEVELS} (Gavel's max-min is 1)")


def _check_scenario_probabilities(ctx: _Context, add: _Add) -> None:
    """Scenario ids are unique and probabilities sum to 1; robust needs a scenario."""
    spec = ctx.spec
    for dup in _duplicates(s.id for s in spec.scenarios):
        add("scenarios", f"id {dup!r} is used more than once")
    if spec.scenarios:
        total = sum(s.probability for s in spec.scenarios)
        if abs(total - 1.0) > 1e-9:
            add("scenarios", f"probabilities sum to {total:g}, not 1")
    elif spec.policy.objective.value == "robust":
        add("scenarios", "the robust policy needs at least one scenario")


def _check_scenario_references(ctx: _Context, add: _Add) -> None:
    for i, scenario in enumerate(ctx.spec.scenarios):
        for j, b in enumerate(scenario.blocked):
            at = f"scenarios[{i}].blocked[{j}]"
            if b.type not in ctx.types:
                add(f"{at}.type", ctx.unknown("type", b.type))
            if b.from_period not in ctx.periods:
                add(f"{at}.from_period", ctx.horizon(b.from_period))
            for k, site in enumerate(b.sites):
                if site not in ctx.sites:
                    add(f"{at}.sites[{k}]", ctx.unknown("site", site))
        for j, d in enumerate(scenario.delays):
            if d.site not in ctx.sites:
                add(f"scenarios[{i}].delays[{j}].site", ctx.unknown("site", d.site))


# --- one project -----------------------------------------------------------------------

def _window_bounds(project: Project, periods: dict[str, int]) -> tuple[int, int]:
    """Indices of the first and last period of the window (the horizon's ends where
    unset or unknown)."""
    w = project.window
    return periods.get(w.earliest_start, 0), periods.get(w.latest_end, len(periods) - 1)


def _window_span(project: Project, periods: dict[str, int]) -> int | None:
    """Periods the window holds, or None when it is empty (reported on its own)."""
    first, last = _window_bounds(project, periods)
    return last - first + 1 if last >= first else None


def _check_project_area_partner(project: Project, ctx: _Context, add: _AddToProject) -> None:
    if project.area not in ctx.areas:
        add("area", ctx.unknown("area", project.area))
    if project.partner is not None and project.partner not in ctx.partners:
        add("partner", ctx.unknown("partner", project.partner))


def _check_window(project: Project, ctx: _Context, add: _AddToProject) -> None:
    w = project.window
    if w.earliest_start is not None and w.earliest_start not in ctx.periods:
        add("window.earliest_start", ctx.horizon(w.earliest_start))
    if w.latest_end is not None and w.latest_end not in ctx.periods:
        add("window.latest_end", ctx.horizon(w.latest_end))
    first, last = _window_bounds(project, ctx.periods)
    if last < first:
        add("window", "latest_end is before earliest_start")


def _check_configurations(project: Project, ctx: _Context, add: _AddToProject) -> None:
    """Configuration ids are unique, their types known, their runs fit the window."""
    configurations = project.request.configurations
    if configurations is None:
        return
    for dup in _duplicates(c.id for c in configurations):
        add("request.configurations", f"configuration id {dup!r} is used more than once")
    span = _window_span(project, ctx.periods)
    for j, c in enumerate(configurations):
        for g in c.gpus:
            if g not in ctx.types:
                add(f"request.configurations[{j}].gpus.{g}", ctx.unknown("type", g))
        duration = c.duration or project.window.duration
        if span is not None and duration > span:
            add(f"request.configurations[{j}].duration" if c.duration else "window.duration",
                f"runs {duration} periods but the window holds only {span}")


def _check_configurations_placeable(project: Project, ctx: _Context, add: _AddToProject) -> None:
    """Some site hosts every type of some configuration (checked once all are known)."""
    configurations = project.request.configurations
    if configurations is None or not all(c.gpus.keys() <= ctx.types for c in configurations):
        return

    def placeable(c: Configuration) -> bool:
        return any(all(not s.hosts or g in s.hosts for g in c.gpus) for s in ctx.sites.values())

    if not any(placeable(c) for c in configurations):
        add("request.configurations", "no site can host all the GPU types of any "
                                      "configuration")


def _check_elastic(project: Project, ctx: _Context, add: _AddToProject) -> None:
    """Elastic types are known and hostable somewhere; the run fits the window."""
    request = project.request
    if request.configurations is not None or request.elastic is None:
        return
    e = request.elastic
    for j, g in enumerate(e.types):
        if g not in ctx.types:
            add(f"request.elastic.types[{j}]", ctx.unknown("type", g))
    for g in e.efficiency:
        if g not in e.types:
            add(f"request.elastic.efficiency.{g}", f"type {g!r} is not in request.elastic.types")
    span = _window_span(project, ctx.periods)
    if span is not None and project.window.duration > span:
        add("window.duration",
            f"runs {project.window.duration} periods but the window holds only {span}")
    if set(e.types) <= ctx.types and not any(
            not s.hosts or any(g in s.hosts for g in e.types) for s in ctx.sites.values()):
        add("request.elastic.types", "no site can host any of these GPU types")


def _check_project_references(project: Project, ctx: _Context, add: _AddToProject) -> None:
    """depends_on and excludes name other, known projects."""
    for field in ("depends_on", "excludes"):
        for j, other in enumerate(getattr(project, field)):
            if other == project.id:
                add(f"{field}[{j}]", "a project cannot refer to itself")
            elif other not in ctx.projects:
                add(f"{field}[{j}]", ctx.unknown("project", other))


# Run in this order: problems are reported in file order, and a project's problems
# where it was written.
PROJECT_CHECKS: tuple[Callable[[Project, _Context, _AddToProject], None], ...] = (
    _check_project_area_partner,
    _check_window,
    _check_configurations,
    _check_configurations_placeable,
    _check_elastic,
    _check_project_references,
)

SPEC_CHECKS: tuple[Callable[[_Context, _Add], None], ...] = (
    _check_duplicate_ids,
    _check_site_hosts,
    _check_supply,
    _check_procurement,
    _check_area_parents,
    _check_duplicate_projects,
    _check_each_project,
    _check_dependency_cycle,
    _check_least_cost_serve,
    _check_fairness_levels,
    _check_scenario_probabilities,
    _check_scenario_references,
)


def check_spec(spec: InstanceSpec, file: str, origins: Sequence[Origin]) -> list[Problem]:
    """Every cross-reference problem of `spec`, in file order."""
    problems: list[Problem] = []

    def add(path: str, message: str, where: str = file) -> None:
        problems.append(Problem(where, path, message))

    ctx = _Context.of(spec, origins)
    for check in SPEC_CHECKS:
        check(ctx, add)
    return problems
