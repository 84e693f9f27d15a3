"""Which variables exist: only those that can be non-zero.

A configuration column exists for each (project, configuration, site, start) whose
site hosts every type of the bundle and whose run fits the project's window. An
elastic project gets a START column per (site, start) and a SIZE column per type it
can use there. A BUY column exists per (option, site, arrival period) from the
option's earliest period on.

Projects are ragged (each has its own configurations), so options are listed per
project; the per-period expansion that rules need is done with numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from allocopt.instance import Instance
from allocopt.instance.schema import Elastic, Granularity, Project
from allocopt.model.program import Columns, VarKind


def occupied(count: int, node_size: int, granularity: Granularity) -> int:
    """GPUs a bundle entry occupies: whole nodes round up under NODE granularity."""
    if granularity is Granularity.NODE:
        return math.ceil(count / node_size) * node_size
    return count


_FIELDS = ("kind", "project", "config", "site", "start", "duration", "gpu_type", "option",
           "unit", "lower", "upper", "integer", "objective", "start_column", "perf_periods",
           "public_opex", "capex")
_INT_FIELDS = {"kind", "project", "config", "site", "start", "duration", "gpu_type", "option",
               "unit", "start_column"}


class _ColumnList:
    """Columns as they are found, one list per field, and the GPUs each one uses; turned
    into arrays once at the end."""

    def __init__(self) -> None:
        self.fields: dict[str, list] = {k: [] for k in _FIELDS}
        self.usage_col: list[int] = []
        self.usage_type: list[int] = []
        self.usage_amt: list[float] = []

    def add(self, **values) -> int:
        """Append a column (every field given) and return its index."""
        for k, v in values.items():
            self.fields[k].append(v)
        return len(self.fields["kind"]) - 1

    def use(self, j: int, g: int, amount: float) -> None:
        """Column j, at 1, occupies `amount` GPUs of type g through its run."""
        self.usage_col.append(j)
        self.usage_type.append(g)
        self.usage_amt.append(amount)

    def to_columns(self) -> Columns:
        arrays = {k: np.asarray(v, dtype=np.int64 if k in _INT_FIELDS else
                                (bool if k == "integer" else float))
                  for k, v in self.fields.items()}
        return Columns(**arrays,
                       usage_column=np.asarray(self.usage_col, dtype=np.int64),
                       usage_type=np.asarray(self.usage_type, dtype=np.int64),
                       usage_amount=np.asarray(self.usage_amt, dtype=float))


@dataclass(frozen=True)
class _Gpus:
    """Per-type arrays, indexed like `instance.type_index`."""

    perf: np.ndarray
    opex: np.ndarray
    node: np.ndarray

    @classmethod
    def of(cls, instance: Instance) -> _Gpus:
        types = instance.spec.gpu_types
        return cls(perf=np.array([g.perf for g in types]),
                   opex=np.array([g.opex_per_period for g in types]),
                   node=np.array([g.node_size for g in types]))

    def unit(self, g: int, granularity: Granularity) -> int:
        """GPUs in one unit of a SIZE or BUY column: a node under NODE, else one."""
        return int(self.node[g]) if granularity is Granularity.NODE else 1


def build_columns(instance: Instance) -> Columns:
    """Every column that can be non-zero: each project's in project order, then
    purchases (the order fixes the model's column indices)."""
    columns = _ColumnList()
    gpus = _Gpus.of(instance)
    for p, project in enumerate(instance.spec.projects):
        if project.request.configurations is not None:
            _add_configuration_columns(columns, instance, gpus, p)
        else:
            _add_elastic_columns(columns, instance, gpus, p)
    _add_purchase_columns(columns, instance, gpus)
    return columns.to_columns()


def _weight_and_public_share(instance: Instance, project: Project) -> tuple[float, float]:
    """The project's objective weight (area weight · score) and the share of its
    running costs paid from the public budget (what its partner does not co-fund)."""
    weight = instance.area_weight[project.area] * project.score
    cofund = instance.partner_cofunding
    public_share = 1.0 - cofund.get(project.partner, 0.0) if project.partner else 1.0
    return weight, public_share


def _add_configuration_columns(columns: _ColumnList, instance: Instance, gpus: _Gpus,
                               p: int) -> None:
    """ASSIGN columns of project p: per configuration, start that fits the window and
    site that hosts every type of the bundle."""
    project = instance.spec.projects[p]
    gran = instance.spec.policy.granularity
    first, last = instance.window(project)
    weight, public_share = _weight_and_public_share(instance, project)
    for c, config in enumerate(project.request.configurations):
        d = instance.duration(project, config)
        bundle = [(instance.type_index[g], n) for g, n in config.gpus.items()]
        held = [(g, occupied(n, int(gpus.node[g]), gran)) for g, n in bundle]
        perf_gp = sum(n * gpus.perf[g] for g, n in bundle) * d
        value = config.value if config.value is not None else perf_gp
        opex_run = sum(n * gpus.opex[g] for g, n in held) * d * public_share
        sites = [s for s in range(len(instance.spec.sites))
                 if all(instance.hosts[s, g] for g, _ in bundle)]
        for tau in range(first, last - d + 2):
            factor = instance.start_factor(project, tau)
            for s in sites:
                j = columns.add(kind=VarKind.ASSIGN, project=p, config=c, site=s, start=tau,
                                duration=d, gpu_type=-1, option=-1, unit=1, lower=0, upper=1,
                                integer=True, objective=weight * value * factor,
                                start_column=-1, perf_periods=perf_gp, public_opex=opex_run,
                                capex=0.0)
                for g, n in held:
                    columns.use(j, g, n)


def _size_upper(elastic: Elastic, efficiency: float, unit: int,
                granularity: Granularity) -> float:
    """Most units of one type an elastic start can take: max_gpus in
    performance-equivalent GPUs, and max_units; whole units unless FRACTIONAL."""
    upper = elastic.max_gpus / (efficiency * unit)
    if elastic.max_units is not None:
        upper = min(upper, elastic.max_units / unit)
    if granularity is not Granularity.FRACTIONAL:
        upper = math.floor(upper + 1e-9)
    return upper


def _add_elastic_columns(columns: _ColumnList, instance: Instance, gpus: _Gpus,
                         p: int) -> None:
    """START columns of elastic project p per (site, start), each with a SIZE column
    per type the site hosts; a site with no usable efficiency gets none."""
    project = instance.spec.projects[p]
    gran = instance.spec.policy.granularity
    types = instance.spec.gpu_types
    first, last = instance.window(project)
    weight, public_share = _weight_and_public_share(instance, project)
    e = project.request.elastic
    d = project.window.duration
    allowed = [instance.type_index[g] for g in e.types]
    eff = {instance.type_index[g]: e.efficiency.get(g, types[instance.type_index[g]].perf)
           for g in e.types}
    unit = {g: gpus.unit(g, gran) for g in allowed}
    upper = {g: _size_upper(e, eff[g], unit[g], gran) for g in allowed}
    for tau in range(first, last - d + 2):
        factor = instance.start_factor(project, tau)
        for s in range(len(instance.spec.sites)):
            usable = [g for g in allowed if instance.hosts[s, g]]
            if not usable or sum(eff[g] for g in usable) <= 0:
                continue
            z = columns.add(kind=VarKind.START, project=p, config=-1, site=s, start=tau,
                            duration=d, gpu_type=-1, option=-1, unit=1, lower=0, upper=1,
                            integer=True, objective=0.0, start_column=-1, perf_periods=0.0,
                            public_opex=0.0, capex=0.0)
            for g in (g for g in usable if upper[g] > 0):
                gp = eff[g] * unit[g] * d
                j = columns.add(kind=VarKind.SIZE, project=p, config=-1, site=s, start=tau,
                                duration=d, gpu_type=g, option=-1, unit=unit[g], lower=0,
                                upper=upper[g], integer=gran is not Granularity.FRACTIONAL,
                                objective=weight * gp * factor, start_column=z,
                                perf_periods=gp,
                                public_opex=unit[g] * gpus.opex[g] * d * public_share,
                                capex=0.0)
                columns.use(j, g, unit[g])


def _add_purchase_columns(columns: _ColumnList, instance: Instance, gpus: _Gpus) -> None:
    """BUY columns per (option, site, arrival period) from the option's earliest period;
    an option whose quota is less than one unit gets none."""
    gran = instance.spec.policy.granularity
    n_sites = len(instance.spec.sites)
    n_periods = len(instance.periods)
    for o, option in enumerate(instance.spec.procurement):
        g = instance.type_index[option.type]
        unit = gpus.unit(g, gran)
        sites = ([instance.site_index[s] for s in option.sites] if option.sites
                 else [s for s in range(n_sites) if instance.hosts[s, g]])
        upper = option.max_units // unit
        if upper <= 0:
            continue
        for t in range(instance.period_index[option.earliest_period], n_periods):
            for s in sites:
                columns.add(kind=VarKind.BUY, project=-1, config=-1, site=s, start=t,
                            duration=n_periods - t, gpu_type=g, option=o, unit=unit, lower=0,
                            upper=upper, integer=True, objective=0.0, start_column=-1,
                            perf_periods=0.0, public_opex=0.0, capex=option.price * unit)


def most_available(instance: Instance) -> np.ndarray:
    """avail[g, s, t]: the most GPUs that could exist: deliveries plus every unit that
    procurement could bring by t."""
    avail = instance.supply_cumulative.copy()
    hosts = instance.hosts
    for option in instance.spec.procurement:
        g = instance.type_index[option.type]
        t = instance.period_index[option.earliest_period]
        sites = ([instance.site_index[s] for s in option.sites] if option.sites
                 else np.flatnonzero(hosts[:, g]).tolist())
        for s in sites:
            avail[g, s, t:] += option.max_units
    return avail


def prune(instance: Instance, columns: Columns) -> Columns:
    """Drop columns that can never be non-zero and tighten elastic size bounds.

    A configuration that needs more GPUs of a type than could ever be at its site in
    some period of its run, or more power than the site has, cannot be chosen; an
    elastic size cannot exceed what could exist or be powered there; an elastic start
    whose sizes cannot reach min_gpus is never viable.
    """
    from allocopt.model.rules.usage import expand_over_run

    spec = instance.spec
    avail = most_available(instance)
    power_kw = np.array([g.power_kw for g in spec.gpu_types])
    pue = np.array([s.pue for s in spec.sites])
    limit_kw = np.array([s.power_mw * 1000.0 for s in spec.sites])
    keep = np.ones(len(columns), dtype=bool)
    upper = columns.upper.astype(float).copy()

    cols = columns.usage_column
    entry, period = expand_over_run(columns.start[cols], columns.duration[cols])
    c, g = cols[entry], columns.usage_type[entry]
    s = columns.site[c]
    amount = columns.usage_amount[entry]
    is_size = columns.kind[c] == VarKind.SIZE
    too_many = ~is_size & (amount > avail[g, s, period] + 1e-9)
    keep[c[too_many]] = False
    cap = np.full(len(columns), np.inf)
    np.minimum.at(cap, c[is_size], np.floor(avail[g[is_size], s[is_size], period[is_size]]
                                            / amount[is_size] + 1e-9))
    draw = np.zeros(len(columns))
    np.add.at(draw, cols, columns.usage_amount * power_kw[columns.usage_type])
    draw *= pue[columns.site]
    sizes = columns.kind == VarKind.SIZE
    keep[~sizes & (draw > limit_kw[columns.site] + 1e-9)] = False
    with np.errstate(divide="ignore", invalid="ignore"):
        by_power = np.where(draw > 0, limit_kw[columns.site] / draw, np.inf)
    if spec.policy.granularity is not Granularity.FRACTIONAL:
        by_power = np.floor(by_power + 1e-9)
    upper[sizes] = np.minimum(upper[sizes], np.minimum(cap[sizes], by_power[sizes]))
    keep[sizes & (upper <= 0)] = False

    starts = np.flatnonzero(columns.kind == VarKind.START)
    if len(starts):
        reach = np.zeros(len(columns))
        live = np.flatnonzero(sizes & keep)
        perf_per_unit = columns.perf_periods[live] / columns.duration[live]
        np.add.at(reach, columns.start_column[live], upper[live] * perf_per_unit)
        minimum = np.array([p.request.elastic.min_gpus if p.request.elastic else 0.0
                            for p in spec.projects])[columns.project[starts]]
        dead = starts[(reach[starts] <= 0) | (reach[starts] < minimum - 1e-9)]
        keep[dead] = False
        orphan = sizes & (columns.start_column >= 0)
        keep[orphan] &= keep[columns.start_column[orphan]]
    return _select(columns, keep, upper)


def _select(columns: Columns, keep: np.ndarray, upper: np.ndarray) -> Columns:
    new_index = np.cumsum(keep) - 1
    start_column = columns.start_column[keep].copy()
    linked = start_column >= 0
    start_column[linked] = new_index[start_column[linked]]
    used = keep[columns.usage_column]
    fields = {name: getattr(columns, name)[keep] for name in (
        "kind", "project", "config", "site", "start", "duration", "gpu_type", "option", "unit",
        "lower", "integer", "objective", "perf_periods", "public_opex", "capex")}
    return Columns(**fields, upper=upper[keep], start_column=start_column,
                   usage_column=new_index[columns.usage_column[used]],
                   usage_type=columns.usage_type[used], usage_amount=columns.usage_amount[used])
