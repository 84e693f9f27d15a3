"""Splitting an instance's shared resources among parts of its projects (used by
`allocopt.solving.decompose.decompose`).

Every resource the projects share goes to the parts in proportion to what the full
model's LP relaxation gives each part's projects, rounded down so that the parts'
shares never sum above the whole: GPUs per type, site and period (as deliveries, which
accumulate: a part's stock may never fall), site power, the budget lines and the
procurement quotas. Area shares are relative and stay as they are in every part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allocopt.instance import Instance, from_spec
from allocopt.instance.schema import Delivery, Granularity
from allocopt.model import Program
from allocopt.model.program import VarKind
from allocopt.model.rules.usage import period_usage


@dataclass(frozen=True)
class Part:
    """One sub-problem: `projects` (indices into the full instance, in its order) and the
    instance holding them with their share of every shared resource."""

    index: int
    projects: tuple[int, ...]
    instance: Instance


def split_units(total: int, weights: np.ndarray, unit: int = 1) -> np.ndarray:
    """`total` in whole multiples of `unit`, in proportion to `weights` (equally when they
    are all 0): each share rounded down, the remainder to the largest fractions (the
    lowest index first on ties). The shares sum to at most `total`."""
    k = len(weights)
    units = int(total) // unit
    if units <= 0 or k == 0:
        return np.zeros(k, dtype=np.int64)
    w = np.asarray(weights, dtype=float)
    w = w if w.sum() > 0 else np.ones(k)
    raw = units * w / w.sum()
    out = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - out), kind="stable")
    out[order[: units - int(out.sum())]] += 1
    return out * unit


def split_amount(total: float, weights: np.ndarray) -> np.ndarray:
    """A real `total` (MW, money) in proportion to `weights`, each share rounded down to
    a millionth of the whole (or 0.001, whichever is finer), so they never sum above it."""
    w = np.asarray(weights, dtype=float)
    w = w if w.sum() > 0 else np.ones(len(w))
    step = min(1e-3, total * 1e-6) if total > 0 else 1.0
    return np.floor(total * w / w.sum() / step) * step


FAIR_WEIGHT = 0.25  # covering the fair split, against 1 for covering the LP's usage


def monotone_shares(cumulative: np.ndarray, usage: np.ndarray, unit: int = 1) -> np.ndarray:
    """shares[k, t]: part k's GPUs on hand in period t (multiples of `unit`), given what
    is on hand in all, `cumulative[t]` (non-decreasing), and the parts' LP usage
    `usage[k, t]`.

    A part's GPUs come as deliveries, which accumulate, so its share may never fall:
    GPUs one part uses early cannot pass to another later. The shares are the
    non-decreasing ones that best cover, first, what the LP uses (`need`) and then the
    stock split in proportion to it (`fair` = cumulative · usage / Σ usage; both split
    equally where no part uses any), and hand out everything (a small LP):

        max Σ_{k,t} min(share, need) + FAIR_WEIGHT · min(share, fair) + ε · share
        s.t. share[k,t] ≤ share[k,t+1],  Σ_k share[k,t] ≤ cumulative[t]

    rounded down to whole units, the remainder given (for good, from its period on) to
    the parts furthest below their fair split. Shares of a period never sum above its
    stock. On generated instances covering both keeps 0.1-0.8 % more of the LP's value in
    the parts than covering either alone."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, vstack

    k, n_t = usage.shape
    stock = np.floor(np.asarray(cumulative, dtype=float) / unit + 1e-9) * unit
    total = usage.sum(axis=0)
    even = np.broadcast_to(stock / k, (k, n_t))
    need = np.where(total > 0, usage, even)
    fair = np.where(total > 0, stock * usage / np.where(total > 0, total, 1.0), even)
    n = k * n_t  # share[k, t] at k * n_t + t, then the covers of need and of fair
    idx = np.arange(n)
    one = np.ones(n)

    def cover(block: int) -> coo_matrix:  # cover[k, t] - share[k, t] <= 0
        return coo_matrix((np.r_[one, -one], (np.r_[idx, idx], np.r_[block * n + idx, idx])),
                          shape=(n, 3 * n))

    grid = np.arange(n).reshape(k, n_t)
    a, b = grid[:, :-1].ravel(), grid[:, 1:].ravel()
    rows = np.arange(len(a))
    rising = coo_matrix((np.r_[np.ones(len(a)), -np.ones(len(a))],
                         (np.r_[rows, rows], np.r_[a, b])), shape=(len(a), 3 * n))
    stock_rows = coo_matrix((one, (np.tile(np.arange(n_t), k), idx)), shape=(n_t, 3 * n))
    result = linprog(
        c=np.r_[np.full(n, -1e-4), -one, np.full(n, -FAIR_WEIGHT)],
        A_ub=vstack([cover(1), cover(2), rising, stock_rows]).tocsr(),
        b_ub=np.r_[np.zeros(2 * n + len(a)), stock],
        bounds=[(0, None)] * n + [(0, x) for x in (*need.ravel(), *fair.ravel())],
        method="highs")
    shares = (np.zeros((k, n_t)) if result.x is None
              else np.floor(result.x[:n].reshape(k, n_t) / unit + 1e-6) * unit)
    for t in range(n_t):  # the LP's tolerances must not round a period above its stock
        while shares[:, t].sum() > stock[t]:
            shares[int(np.argmax(shares[:, t])), t] -= unit
    shares = np.minimum.accumulate(shares[:, ::-1], axis=1)[:, ::-1]  # and never fall
    for t in range(n_t):
        room = float((stock[t:] - shares[:, t:].sum(axis=0)).min())
        while room >= unit:
            p = int(np.argmax(fair[:, t] - shares[:, t]))
            give = min(room, max(unit, (fair[p, t] - shares[p, t]) // unit * unit))
            shares[p, t:] += give
            room -= give
    return shares.astype(np.int64)


@dataclass(frozen=True)
class _LpUsage:
    """What the LP relaxation gives each part: held[k, g, s, t] GPUs; draw[k, s] kW summed
    over periods; opex[k] public opex; option_use[k, o] GPU-periods of option o's type at
    its sites from its earliest period; bought[o] units of option o bought."""

    held: np.ndarray
    draw: np.ndarray
    opex: np.ndarray
    option_use: np.ndarray
    bought: np.ndarray


def _lp_usage(instance: Instance, program: Program, values: np.ndarray,
              part_of: np.ndarray, k: int) -> _LpUsage:
    spec = instance.spec
    cols = program.columns
    n_g, n_s, n_t = len(spec.gpu_types), len(spec.sites), len(instance.periods)
    use = period_usage(cols)
    part = part_of[cols.project[use.column]]
    amount = use.amount * values[use.column]
    held = np.zeros((k, n_g, n_s, n_t))
    np.add.at(held, (part, use.gpu_type, use.site, use.period), amount)
    power_kw = np.array([g.power_kw for g in spec.gpu_types])
    pue = np.array([s.pue for s in spec.sites])
    draw = np.einsum("kgst,g,s->ks", held, power_kw, pue)
    projects = cols.project >= 0
    opex = np.zeros(k)
    np.add.at(opex, part_of[cols.project[projects]], (cols.public_opex * values)[projects])
    n_o = len(spec.procurement)
    option_use = np.zeros((k, n_o))
    for o, option in enumerate(spec.procurement):
        g = instance.type_index[option.type]
        sites = ([instance.site_index[s] for s in option.sites] if option.sites
                 else np.flatnonzero(instance.hosts[:, g]).tolist())
        first = instance.period_index[option.earliest_period]
        option_use[:, o] = held[:, g, sites, first:].sum(axis=(1, 2))
    buy = np.flatnonzero(cols.kind == VarKind.BUY)
    bought = np.zeros(n_o)
    np.add.at(bought, cols.option[buy], values[buy] * cols.unit[buy])
    return _LpUsage(held, draw, opex, option_use, bought)


def _deliveries(instance: Instance, held: np.ndarray) -> tuple[list[list[Delivery]], float]:
    """Each part's deliveries (per-period increments of its monotone shares), and the
    share of the GPU-periods on hand that the parts got in all."""
    spec = instance.spec
    node = spec.policy.granularity is Granularity.NODE
    supply = instance.supply_cumulative
    k = held.shape[0]
    out: list[list[Delivery]] = [[] for _ in range(k)]
    given = 0.0
    for g, gpu in enumerate(spec.gpu_types):
        for s, site in enumerate(spec.sites):
            if supply[g, s, -1] <= 0:
                continue
            shares = monotone_shares(supply[g, s], held[:, g, s, :],
                                     gpu.node_size if node else 1)
            given += float(shares.sum())
            steps = np.diff(shares, axis=1, prepend=0)
            for part, t in zip(*np.nonzero(steps), strict=True):
                out[part].append(Delivery(type=gpu.id, site=site.id, period=instance.periods[t],
                                          units=int(steps[part, t])))
    total = float(supply.sum())
    return out, given / total if total else 1.0


def split_instance(instance: Instance, groups: list[tuple[int, ...]], program: Program,
                   lp_values: np.ndarray) -> tuple[list[Part], dict[str, float]]:
    """The parts, each with its LP share of every shared resource, and the share of each
    resource the parts got in all (below 1 where rounding or monotone supply lost some)."""
    spec = instance.spec
    k = len(groups)
    part_of = np.full(len(instance.projects), -1, dtype=np.int64)
    for p, group in enumerate(groups):
        part_of[list(group)] = p
    lp = _lp_usage(instance, program, lp_values, part_of, k)
    deliveries, gpu_share = _deliveries(instance, lp.held)
    power = np.array([split_amount(site.power_mw, lp.draw[:, s])
                      for s, site in enumerate(spec.sites)]).T.reshape(k, len(spec.sites))
    node = spec.policy.granularity is Granularity.NODE
    quotas = np.zeros((k, len(spec.procurement)), dtype=np.int64)
    capex_weight = np.zeros(k)
    for o, option in enumerate(spec.procurement):
        unit = spec.gpu_types[instance.type_index[option.type]].node_size if node else 1
        quotas[:, o] = split_units(option.max_units, lp.option_use[:, o], unit)
        use = lp.option_use[:, o]
        share = use / use.sum() if use.sum() > 0 else np.full(k, 1.0 / k)
        buys = lp.bought[o] if lp.bought.sum() > 0 else option.max_units
        capex_weight += option.price * buys * share
    budget = spec.policy.budget
    lines = {"capex": capex_weight, "opex": lp.opex, "total": capex_weight + lp.opex}
    money = {name: (None if getattr(budget, name) is None
                    else split_amount(getattr(budget, name), weights))
             for name, weights in lines.items()}
    handed = {"gpu_periods": gpu_share}
    if spec.sites:
        whole = sum(s.power_mw for s in spec.sites)
        handed["power"] = float(power.sum() / whole) if whole else 1.0
    for name, shares in money.items():
        limit = getattr(budget, name)
        if shares is not None and limit:
            handed[f"budget_{name}"] = float(shares.sum() / limit)
    quota_whole = sum(o.max_units for o in spec.procurement)
    if quota_whole:
        handed["procurement"] = float(quotas.sum() / quota_whole)

    out = []
    for p, group in enumerate(groups):
        part_budget = budget.model_copy(update={
            name: None if shares is None else float(shares[p]) for name, shares in money.items()})
        part_spec = spec.model_copy(update={
            "name": f"{spec.name} (part {p + 1} of {k})",
            "projects": tuple(spec.projects[i] for i in group),
            "project_tables": (),
            "scenarios": (),
            "supply": tuple(deliveries[p]),
            "sites": tuple(site.model_copy(update={"power_mw": float(power[p, s])})
                           for s, site in enumerate(spec.sites)),
            "procurement": tuple(o.model_copy(update={"max_units": int(quotas[p, j])})
                                 for j, o in enumerate(spec.procurement)),
            "policy": spec.policy.model_copy(update={"budget": part_budget}),
        })
        origins = [instance.origins[i] for i in group] if instance.origins else None
        out.append(Part(p, group, from_spec(part_spec, instance.source, origins)))
    return out, handed
