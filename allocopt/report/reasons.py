"""The vocabulary of `why`: reasons a project is out, placements tried, explanations."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

TOL = 1e-6


class Reason(StrEnum):
    """Why a project is out, most fundamental first (the order picks the reason given).

    EXCLUSION: a project it excludes is funded. DEPENDENCY: a project it depends on is
    not funded, or ends too late. WINDOW: no start fits its window. HOSTS: no site runs
    its GPU types. CAPACITY: its GPU types have no spare units (nor buyable ones) at a
    site it can use. POWER: the site has no power left. BUDGET: public money runs out.
    AREA_MAX_SHARE: its area would exceed its maximum share. AREA_MIN_SHARE: another
    area would fall below its minimum share. NO_VALUE: worth nothing under the policy.
    NOT_CHOSEN: it fits beside the allocation; the run stopped before adding it."""

    EXCLUSION = "exclusion"
    DEPENDENCY = "dependency"
    WINDOW = "window"
    HOSTS = "hosts"
    CAPACITY = "capacity"
    POWER = "power"
    BUDGET = "budget"
    AREA_MAX_SHARE = "area_max_share"
    AREA_MIN_SHARE = "area_min_share"
    NO_VALUE = "no_value"
    NOT_CHOSEN = "not_chosen"


LABEL = {
    Reason.EXCLUSION: "excluded by a funded project",
    Reason.DEPENDENCY: "dependency",
    Reason.WINDOW: "time window",
    Reason.HOSTS: "no site for its GPUs",
    Reason.CAPACITY: "GPU capacity",
    Reason.POWER: "site power",
    Reason.BUDGET: "budget",
    Reason.AREA_MAX_SHARE: "area cap",
    Reason.AREA_MIN_SHARE: "another area's floor",
    Reason.NO_VALUE: "no value",
    Reason.NOT_CHOSEN: "not chosen (solver stopped)",
}
ORDER = {r: k for k, r in enumerate(Reason)}


@dataclass(frozen=True)
class Block:
    """One rule a placement would break; `shortfall` is the missing share of the need."""

    rule: Reason
    detail: str
    shortfall: float = 1.0
    resource: tuple = ()


@dataclass(frozen=True)
class Placement:
    option: str
    site: str
    start: int
    duration: int
    gpus: dict[str, float]
    perf_gp: float
    value: float
    public_cost: float
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """Why `project` is out (`rule`, `text`) and how far from funding (`distance`).
    `option` and `gpus` are the closest placement's, which every detail is about.

    `density` is its value per performance-equivalent GPU-period at its closest
    placement; `benchmark` what it is compared with, in the same unit; `ratio` their
    quotient (≥ 1 means it is worth as much per unit as what was funded)."""

    project: str
    rule: Reason
    rules: tuple[Reason, ...]
    text: str
    closest: str = ""
    density: float | None = None
    benchmark: float | None = None
    compared_with: str | None = None
    ratio: float | None = None
    distance: str = ""
    details: tuple[str, ...] = field(default=())
    option: str = ""  # the closest placement's configuration ("elastic": its minimum)
    gpus: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return LABEL[self.rule]

    @property
    def request(self) -> str:
        """The GPUs of the option the reason is about, e.g. "24 H200"."""
        return " + ".join(f"{short(n)} {g}" for g, n in self.gpus.items() if n)


def short(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:,.3g}"
