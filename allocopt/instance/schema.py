"""The instance schema: every entity of the domain as a validated, immutable type.

Field-level rules live here (types, ranges, one request form per project); rules
that relate one entity to another (unknown ids, cycles, windows outside the
horizon) live in `checks.py`, so that every problem is reported in one pass.
Quantities carry their unit in the name: `power_kw`, `power_mw`, `price`
(in `policy.budget.currency` units).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s|+:,]+$")]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]
PositiveCount = Annotated[int, Field(ge=1, le=10_000_000)]
PeriodId = Annotated[str, Field(min_length=1, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class GpuType(_Strict):
    """A kind of accelerator; `perf` is throughput relative to one H100 (= 1.0)."""

    id: Id
    name: str = ""
    vendor: str = ""
    memory_gb: NonNegative = 0.0
    perf: Positive = 1.0
    power_kw: NonNegative = 0.0
    node_size: PositiveCount = 8
    export_controlled: bool = False
    opex_per_period: NonNegative = 0.0


class Site(_Strict):
    """A data centre. `hosts` lists the GPU types it can run; empty means all."""

    id: Id
    name: str = ""
    power_mw: NonNegative
    pue: Annotated[float, Field(ge=1.0, le=5.0)] = 1.3
    hosts: tuple[Id, ...] = ()


class Delivery(_Strict):
    """Units of a type arriving at a site in a period; deliveries accumulate."""

    type: Id
    site: Id
    period: PeriodId
    units: Count
    partner: Id | None = None


class ProcurementOption(_Strict):
    """A type that may be bought: price per unit, earliest arrival, export quota."""

    id: Id | None = None
    type: Id
    price: NonNegative
    earliest_period: PeriodId
    max_units: Count
    sites: tuple[Id, ...] = ()
    delivery_risk: Fraction = 0.0


class Area(_Strict):
    """A national priority area; shares are of awarded performance-equivalent GPU-periods."""

    id: Id
    name: str = ""
    weight: NonNegative = 1.0
    min_share: Fraction = 0.0
    max_share: Fraction = 1.0
    parent: Id | None = None
    tier: PositiveCount | None = None

    @model_validator(mode="after")
    def _shares_ordered(self) -> Area:
        if self.min_share > self.max_share:
            raise ValueError("min_share must be <= max_share")
        return self


class Partner(_Strict):
    """A public or private organisation; `cofunding_share` of its projects' operating cost
    is paid by the partner rather than the public budget."""

    id: Id
    name: str = ""
    kind: str = "private"
    cofunding_share: Fraction = 0.0


class Window(_Strict):
    """When a project may run: it starts no earlier than `earliest_start`, ends no later
    than `latest_end` (both period ids, inclusive) and runs `duration` periods."""

    earliest_start: PeriodId | None = None
    latest_end: PeriodId | None = None
    duration: PositiveCount = 1


class Configuration(_Strict):
    """One alternative bundle, e.g. 64 H200; `value` defaults to its
    performance-equivalent GPU-periods."""

    id: Id
    gpus: dict[Id, PositiveCount] = Field(min_length=1)
    value: NonNegative | None = None
    duration: PositiveCount | None = None


class Elastic(_Strict):
    """Any size between `min_gpus` (> 0: a funded project holds GPUs) and `max_gpus`,
    counted in performance-equivalent GPUs: a GPU of type g counts `efficiency[g]`
    (default: the type's `perf`). `max_units` also caps the GPUs themselves, whatever
    their type (e.g. a job that runs on at most 8 GPUs, or one time-shared GPU)."""

    min_gpus: Positive
    max_gpus: Positive
    types: tuple[Id, ...] = Field(min_length=1)
    efficiency: dict[Id, Positive] = Field(default_factory=dict)
    max_units: Positive | None = None

    @model_validator(mode="after")
    def _range(self) -> Elastic:
        if self.min_gpus > self.max_gpus:
            raise ValueError("min_gpus must be <= max_gpus")
        return self


class Request(_Strict):
    """Exactly one of the two request forms."""

    configurations: tuple[Configuration, ...] | None = None
    elastic: Elastic | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Request:
        if (self.configurations is None) == (self.elastic is None):
            raise ValueError("give exactly one of 'configurations' or 'elastic'")
        if self.configurations is not None and len(self.configurations) == 0:
            raise ValueError("configurations: at least one is needed")
        return self


class Project(_Strict):
    id: Id
    title: str = ""
    owner: str = ""
    partner: Id | None = None
    area: Id
    score: Annotated[float, Field(ge=0.0, le=1e6, allow_inf_nan=False)] = 1.0
    window: Window = Window()
    mandatory: bool = False
    depends_on: tuple[Id, ...] = ()
    excludes: tuple[Id, ...] = ()
    late_start_penalty: Fraction | None = None
    tier: PositiveCount | None = None
    request: Request
    extra: dict[Annotated[str, Field(min_length=1, max_length=128)],
                Annotated[str, Field(max_length=10_000)]] = Field(default_factory=dict)

    @model_serializer(mode="wrap")
    def _without_empty_extra(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """`extra` (columns a table carries through to projects.csv) is left out when
        empty, so that an instance without it keeps the fingerprint it always had."""
        data = handler(self)
        if not self.extra:
            data.pop("extra", None)
        return data


class Objective(StrEnum):
    """What "best" means; `allocopt.policies` documents each."""

    WEIGHTED = "weighted"
    MAXMIN = "maxmin"
    PROPORTIONAL = "proportional"
    LEXICOGRAPHIC = "lexicographic"
    LEAST_COST = "least-cost"
    ROBUST = "robust"


class FairnessMeasure(StrEnum):
    """GPUS: performance-equivalent GPU-periods received; VALUE: score x value received
    (the weighted objective without the area weight)."""

    GPUS = "gpus"
    VALUE = "value"


class FairnessAcross(StrEnum):
    """Who is treated fairly. AREAS: top-level priority areas, each against its weight's
    slice of the supply. PROJECTS: every project, each against what its whole request is
    worth (an elastic request's largest size on the supply's average GPU), times its
    weight (area weight x score) relative to the mean weight."""

    AREAS = "areas"
    PROJECTS = "projects"


class Fairness(_Strict):
    """Max-min and proportional fairness across top-level priority areas or projects
    (`across`). `pieces`: the piecewise-linear logarithm's pieces (proportional);
    `levels`: how many water-filling levels max-min fixes (default: one per area or
    project; each level adds a column per area or project, so across many projects set a
    few); `then_value`: finish by maximising the weighted value without lowering any
    fairness level."""

    across: FairnessAcross = FairnessAcross.AREAS
    measure: FairnessMeasure = FairnessMeasure.GPUS
    pieces: Annotated[int, Field(ge=1, le=1024)] = 24
    levels: PositiveCount | None = None
    then_value: bool = True


class Tiers(_Strict):
    """Lexicographic tiers: a project's tier is its own `tier`, else its area's (or an
    ancestor's); untiered projects come last. Each later tier may cost an earlier one at
    most `tolerance` (a fraction) of its optimum."""

    tolerance: Fraction = 0.0


class LeastCost(_Strict):
    """Minimise public spending (capex + public opex) while serving every mandatory
    project, the projects in `serve`, and a weighted value of at least `value_floor` and
    at least `value_share` of the weighted-value optimum."""

    serve: tuple[Id, ...] = ()
    value_floor: NonNegative = 0.0
    value_share: Fraction = 0.0


class RobustCriterion(StrEnum):
    EXPECTED = "expected"
    WORST_CASE = "worst-case"
    EXPECTED_WITH_FLOOR = "expected-with-floor"


class Robust(_Strict):
    """Purchases decided once, allocations per scenario. `floor`: the value every
    scenario must reach under `expected-with-floor`."""

    criterion: RobustCriterion = RobustCriterion.EXPECTED
    floor: NonNegative | None = None

    @model_validator(mode="after")
    def _floor_given(self) -> Robust:
        if (self.criterion is RobustCriterion.EXPECTED_WITH_FLOOR) != (self.floor is not None):
            raise ValueError("give 'floor' exactly when criterion is expected-with-floor")
        return self


class Granularity(StrEnum):
    """GPU: whole GPUs; NODE: whole nodes of `node_size`; FRACTIONAL: time-shared GPUs."""

    GPU = "gpu"
    NODE = "node"
    FRACTIONAL = "fractional"


class Budget(_Strict):
    """Limits on public spending; absent limits do not apply."""

    currency: str = "units"
    capex: NonNegative | None = None
    opex: NonNegative | None = None
    total: NonNegative | None = None


class Policy(_Strict):
    """The objective and rules. `late_start_penalty` is the fraction of value lost per
    period a project starts after its earliest start."""

    objective: Objective = Objective.WEIGHTED
    granularity: Granularity = Granularity.GPU
    late_start_penalty: Fraction = 0.0
    budget: Budget = Budget()
    fairness: Fairness = Fairness()
    tiers: Tiers = Tiers()
    least_cost: LeastCost = LeastCost()
    robust: Robust = Robust()


class Blockage(_Strict):
    """A `share` of the deliveries of `type` (and of purchased units) arriving from
    `from_period` on never arrives, at `sites` (empty: every site). Blocked deliveries
    round down to whole GPUs."""

    type: Id
    from_period: PeriodId
    share: Fraction
    sites: tuple[Id, ...] = ()


class SiteDelay(_Strict):
    """Everything arriving at `site` (deliveries and purchases) arrives `periods` later;
    what would arrive after the horizon does not arrive."""

    site: Id
    periods: PositiveCount


class Scenario(_Strict):
    """One possible supply future, with its probability (the robust policy's input)."""

    id: Id
    name: str = ""
    probability: Annotated[float, Field(gt=0.0, le=1.0)]
    blocked: tuple[Blockage, ...] = ()
    delays: tuple[SiteDelay, ...] = ()


class ExtraColumns(StrEnum):
    """What a project table's unknown columns do. ERROR: each is a problem (a typo in a
    known column's name is the usual cause); KEEP: carried through, as `Project.extra`,
    to projects.csv."""

    ERROR = "error"
    KEEP = "keep"


TablePath = Annotated[str, Field(min_length=1, max_length=1024)]


class ProjectTable(_Strict):
    """A CSV or XLSX table of projects, resolved relative to the instance file: written
    as a plain path, `{csv: PATH}` or `{file: PATH, sheet: NAME}` (`sheet`, XLSX only:
    default the first). `extra_columns` overrides the instance's setting."""

    csv: TablePath | None = None
    file: TablePath | None = None
    sheet: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    extra_columns: ExtraColumns | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_path(cls, value: Any) -> Any:
        return {"file": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_path(self) -> ProjectTable:
        if (self.csv is None) == (self.file is None):
            raise ValueError("give exactly one of 'file' or 'csv'")
        if self.sheet is not None and not self.name.lower().endswith((".xlsx", ".xlsm")):
            raise ValueError("'sheet' applies to .xlsx tables only")
        return self

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Unset fields are left out, so that `{csv: PATH}` keeps its fingerprint."""
        return {k: v for k, v in handler(self).items() if v is not None}

    @property
    def name(self) -> str:
        """The path as written."""
        return self.file if self.file is not None else self.csv  # type: ignore[return-value]

    @property
    def key(self) -> str:
        """The field that names the path, for messages: 'csv' or 'file'."""
        return "csv" if self.csv is not None else "file"


class InstanceSpec(_Strict):
    """What an instance file holds, before cross-reference checks."""

    name: str = "instance"
    description: str = ""
    periods: tuple[PeriodId, ...] = Field(min_length=1)
    gpu_types: tuple[GpuType, ...] = Field(min_length=1)
    sites: tuple[Site, ...] = Field(min_length=1)
    supply: tuple[Delivery, ...] = ()
    procurement: tuple[ProcurementOption, ...] = ()
    areas: tuple[Area, ...] = Field(min_length=1)
    partners: tuple[Partner, ...] = ()
    projects: tuple[Project, ...] = ()
    project_tables: tuple[ProjectTable, ...] = ()
    extra_columns: ExtraColumns = ExtraColumns.ERROR
    policy: Policy = Policy()
    scenarios: tuple[Scenario, ...] = ()

    @model_serializer(mode="wrap")
    def _without_default_extra_columns(self, handler: SerializerFunctionWrapHandler
                                       ) -> dict[str, Any]:
        """`extra_columns` is left out at its default, so fingerprints stay as they were."""
        data = handler(self)
        if self.extra_columns is ExtraColumns.ERROR:
            data.pop("extra_columns", None)
        return data

    @field_validator("periods")
    @classmethod
    def _unique_periods(cls, periods: tuple[str, ...]) -> tuple[str, ...]:
        seen = set()
        for p in periods:
            if p in seen:
                raise ValueError(f"period {p!r} is listed twice")
            seen.add(p)
        return periods
