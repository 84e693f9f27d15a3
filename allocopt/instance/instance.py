"""The validated, immutable Instance that everything downstream reads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from allocopt.errors import InstanceError
from allocopt.instance.checks import check_spec
from allocopt.instance.loaders import DEFAULT_LIMITS, Limits, Origin, load_source
from allocopt.instance.locate import Lines, annotate, spec_ids
from allocopt.instance.schema import Configuration, InstanceSpec, Project


class _Keep:
    """The default of an edit's argument: keep the instance's value (None may mean
    "no limit", so it cannot stand for "not given")."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


@dataclass(frozen=True)
class Instance:
    """A checked instance with index maps; build it with `load_instance` or `from_spec`."""

    spec: InstanceSpec
    source: str = "<memory>"
    origins: tuple[Origin, ...] = field(default=(), repr=False, compare=False)
    fingerprint: str | None = field(default=None, repr=False, compare=False)

    @cached_property
    def sha256(self) -> str:
        """Fingerprint of the validated content, the same whether it came from YAML,
        JSON or code (an instance derived with `with_objective` keeps its file's)."""
        if self.fingerprint is not None:
            return self.fingerprint
        return hashlib.sha256(self.spec.model_dump_json().encode()).hexdigest()

    def with_objective(self, objective: str) -> Instance:
        """The same instance solved under another policy (`allocopt solve --policy`); the
        policy's settings still come from the file."""
        from allocopt.instance.schema import Objective

        policy = self.spec.policy.model_copy(update={"objective": Objective(objective)})
        spec = self.spec.model_copy(update={"policy": policy})
        checked = from_spec(spec, self.source, list(self.origins))
        return Instance(spec=checked.spec, source=self.source, origins=self.origins,
                        fingerprint=self.sha256)

    # Edits: each returns a new, validated Instance (`allocopt.instance.edit`, where
    # each is documented); impossible edits raise InstanceError as a file would.

    def with_changes(self, changes) -> Instance:
        """`allocopt.instance.edit.with_changes`: numbers set by path,
        e.g. `{"budget.opex": 1500, "projects.llm.score": 2}`."""
        from allocopt.instance import edit

        return edit.with_changes(self, changes)

    def with_supply(self, type: str, share: float | None = None, units: int | None = None,
                    from_period: str | None = None, site: str | None = None) -> Instance:
        """`allocopt.instance.edit.with_supply`: deliveries of a type scaled by `share`
        (0.6: 40 % blocked) or set to `units`, from a period on, at a site or all."""
        from allocopt.instance import edit

        return edit.with_supply(self, type, share=share, units=units,
                                from_period=from_period, site=site)

    def with_budget(self, capex: float | None = KEEP, opex: float | None = KEEP,
                    total: float | None = KEEP) -> Instance:
        """`allocopt.instance.edit.with_budget`: budget limits changed (None: no limit)."""
        from allocopt.instance import edit

        return edit.with_budget(self, capex=capex, opex=opex, total=total)

    def with_area(self, id: str, weight: float = KEEP, min_share: float = KEEP,
                  max_share: float = KEEP) -> Instance:
        """`allocopt.instance.edit.with_area`: an area's weight or share limits changed."""
        from allocopt.instance import edit

        return edit.with_area(self, id, weight=weight, min_share=min_share,
                              max_share=max_share)

    def with_project(self, id: str, score: float = KEEP, mandatory: bool = KEEP) -> Instance:
        """`allocopt.instance.edit.with_project`: a project's score or mandatory flag
        changed."""
        from allocopt.instance import edit

        return edit.with_project(self, id, score=score, mandatory=mandatory)

    def without_projects(self, *ids: str) -> Instance:
        """`allocopt.instance.edit.without_projects`: the instance without those projects."""
        from allocopt.instance import edit

        return edit.without_projects(self, *ids)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def periods(self) -> tuple[str, ...]:
        return self.spec.periods

    @property
    def projects(self) -> tuple[Project, ...]:
        return self.spec.projects

    @cached_property
    def period_index(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.spec.periods)}

    @cached_property
    def type_index(self) -> dict[str, int]:
        return {g.id: i for i, g in enumerate(self.spec.gpu_types)}

    @cached_property
    def site_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.spec.sites)}

    @cached_property
    def area_index(self) -> dict[str, int]:
        return {a.id: i for i, a in enumerate(self.spec.areas)}

    @cached_property
    def project_index(self) -> dict[str, int]:
        return {p.id: i for i, p in enumerate(self.spec.projects)}

    @cached_property
    def partner_cofunding(self) -> dict[str, float]:
        return {p.id: p.cofunding_share for p in self.spec.partners}

    @cached_property
    def hosts(self) -> np.ndarray:
        """hosts[s, g]: site s can run GPU type g."""
        out = np.zeros((len(self.spec.sites), len(self.spec.gpu_types)), dtype=bool)
        for s, site in enumerate(self.spec.sites):
            if not site.hosts:
                out[s, :] = True
            for g in site.hosts:
                out[s, self.type_index[g]] = True
        return out

    @cached_property
    def supply_cumulative(self) -> np.ndarray:
        """supply[g, s, t]: units on hand in period t (deliveries accumulate)."""
        arrivals = np.zeros((len(self.spec.gpu_types), len(self.spec.sites), len(self.periods)))
        for d in self.spec.supply:
            arrivals[self.type_index[d.type], self.site_index[d.site],
                     self.period_index[d.period]] += d.units
        return np.cumsum(arrivals, axis=2)

    @cached_property
    def area_lineage(self) -> dict[str, tuple[str, ...]]:
        """Each area with its ancestors, nearest first: a project counts towards all."""
        parent = {a.id: a.parent for a in self.spec.areas}
        out = {}
        for a in self.spec.areas:
            chain = [a.id]
            while parent[chain[-1]] is not None:
                chain.append(parent[chain[-1]])
            out[a.id] = tuple(chain)
        return out

    @cached_property
    def area_weight(self) -> dict[str, float]:
        """Effective weight: the product of an area's weight and its ancestors'."""
        weight = {a.id: a.weight for a in self.spec.areas}
        return {a: float(np.prod([weight[k] for k in chain]))
                for a, chain in self.area_lineage.items()}

    def window(self, project: Project) -> tuple[int, int]:
        """First and last period index (inclusive) in which `project` may run."""
        w = project.window
        first = self.period_index[w.earliest_start] if w.earliest_start else 0
        last = self.period_index[w.latest_end] if w.latest_end else len(self.periods) - 1
        return first, last

    def duration(self, project: Project, config: Configuration | None = None) -> int:
        if config is not None and config.duration is not None:
            return config.duration
        return project.window.duration

    def late_penalty(self, project: Project) -> float:
        if project.late_start_penalty is not None:
            return project.late_start_penalty
        return self.spec.policy.late_start_penalty

    def start_factor(self, project: Project, start: int) -> float:
        """Share of a project's value kept when it starts at period index `start`:
        max(0, 1 - penalty x periods late)."""
        first, _ = self.window(project)
        return max(0.0, 1.0 - self.late_penalty(project) * (start - first))


def from_spec(spec: InstanceSpec, source: str = "<memory>",
              origins: list[Origin] | None = None, lines: Lines | None = None) -> Instance:
    """Check cross-references of a spec built in code (or loaded) and wrap it; problems
    name the entry's id (and, given the file's `lines`, its line)."""
    if origins is None:
        origins = [Origin(source, f"projects[{i}]") for i in range(len(spec.projects))]
    problems = check_spec(spec, source, origins)
    if problems:
        raise InstanceError(annotate(problems, source, spec_ids(spec), lines))
    return Instance(spec=spec, source=source, origins=tuple(origins))


def load_instance(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Instance:
    """Load, validate and cross-check an instance file (YAML or JSON)."""
    path = Path(path)
    loaded = load_source(path, limits)
    return from_spec(loaded.spec, str(path), loaded.origins, loaded.lines)
