"""What was allocated: awards per project, purchases, and how good the answer is.

Data only: `allocopt.model.decode` turns a backend's column values into a Solution."""

from __future__ import annotations

from dataclasses import dataclass, field

from allocopt.instance import Instance
from allocopt.status import Status, relative_gap


@dataclass(frozen=True)
class Award:
    """A funded project's steady allocation: `gpus[type]` GPUs at `site` in every period
    from `start` to `end` (period ids, inclusive). `configuration` is None for elastic
    requests."""

    project: str
    configuration: str | None
    site: str
    start: str
    end: str
    gpus: dict[str, float]


@dataclass(frozen=True)
class Purchase:
    """`units` GPUs of `gpu_type` bought through `option`, arriving at `site` in `period`."""

    option: str
    gpu_type: str
    site: str
    period: str
    units: float


@dataclass
class Solution:
    """An allocation with its status and quality. `bound` is the best proven bound on
    the objective; `gap` is relative to the objective.

    `policy` names the policy and holds its stages and figures (summary.json's
    `policy`); `figures` go to the top of summary.json (the robust policy's expected
    value, worst case, VSS and EVPI); `scenarios` lists, for the robust policy,
    (scenario, instance with the plan's arrivals, that scenario's Solution), and
    `infeasible_scenarios`, when no plan serves every scenario, the ids of those that
    are infeasible on their own."""

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    backend: str
    wall_s: float
    awards: list[Award] = field(default_factory=list)
    purchases: list[Purchase] = field(default_factory=list)
    build_s: float = 0.0
    message: str = ""
    lp_bound: float | None = None
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)
    policy: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    scenarios: list[tuple] = field(default_factory=list)
    infeasible_scenarios: list[str] = field(default_factory=list)

    @property
    def root_gap(self) -> float | None:
        """Gap between the LP relaxation bound and the allocation's value."""
        return relative_gap(self.objective, self.lp_bound)

    def award_of(self, project_id: str) -> Award | None:
        for a in self.awards:
            if a.project == project_id:
                return a
        return None

    def verify(self, instance: Instance) -> list:
        """Every rule re-checked from the allocation alone; [] when all hold."""
        from allocopt.verify import verify

        return verify(instance, self)
