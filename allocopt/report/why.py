"""Why a project was left out, and how far it was from being funded.

For each unfunded project p we try to add it to the allocation as it stands, at every
placement the model allows (configuration or minimum elastic size × site × start in
its window), and recompute each rule with p added:

    capacity   need[g] ≤ min_t spare[g,s,t] + units still buyable (quota, lead time)
    power      Σ_g need[g]·power_kw[g]·pue[s] ≤ min_t (limit_kw[s] − drawn_kw[s,t])
    budget     spend + p's public opex (+ capex of units bought for it) ≤ each limit
    area cap   A_k + gp ≤ max_share_k · (A + gp)      for k in p's area lineage
    area floor A_k ≥ min_share_k · (A + gp)           for the other areas k
    dependency every q it depends on is funded and ends before p starts
    exclusion  nothing it excludes (or that excludes it) is funded

The closest placement is the one breaking the fewest rules (then by the smallest
relative shortfall); its first broken rule, in the order of `Reason`, is the reason
given. A project that breaks no rule at some placement was simply not chosen: the
run stopped (time limit or gap) before adding it, since adding it raises the value.

How far it was from funding is measured at that closest placement by `distance`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from allocopt.instance import Instance
from allocopt.instance.schema import Granularity, Project
from allocopt.report.distance import how_far, parse_shadow_prices
from allocopt.report.i18n import Words
from allocopt.report.ledger import Ledger, build_ledger, public_share
from allocopt.report.reasons import LABEL, ORDER, TOL, Block, Explanation, Placement, Reason
from allocopt.report.reasons import short as _n
from allocopt.solution import Solution

__all__ = ["LABEL", "Explanation", "Reason", "explain", "explain_project", "placements"]


class Books:
    """The ledger plus per-duration window minima, shared by all projects."""

    def __init__(self, instance: Instance, ledger: Ledger, words: Words | None = None) -> None:
        self.w = words or Words()
        self.instance = instance
        self.ledger = ledger
        spec = instance.spec
        self.types = spec.gpu_types
        self.sites = spec.sites
        self.gran = spec.policy.granularity
        self._spare: dict[int, np.ndarray] = {}
        self._headroom: dict[int, np.ndarray] = {}
        self.displaceable: set[str] | None = None
        self.excluded_by: dict[str, set[str]] = {p.id: set(p.excludes) for p in instance.projects}
        for p in instance.projects:
            for q in p.excludes:
                self.excluded_by.setdefault(q, set()).add(p.id)

    def spare_min(self, d: int) -> np.ndarray:
        """[g, s, τ]: min spare over τ..τ+d−1."""
        if d not in self._spare:
            self._spare[d] = sliding_window_view(self.ledger.spare, d, axis=2).min(axis=-1)
        return self._spare[d]

    def headroom_min(self, d: int) -> np.ndarray:
        """[s, τ]: min power headroom (kW) over τ..τ+d−1."""
        if d not in self._headroom:
            room = self.ledger.limit_kw[:, None] - self.ledger.drawn_kw
            self._headroom[d] = sliding_window_view(room, d, axis=1).min(axis=-1)
        return self._headroom[d]

    def units(self, x: float, g: int) -> float:
        """Round a GPU count up to what the policy's granularity allows."""
        if self.gran is Granularity.FRACTIONAL:
            return x
        step = self.types[g].node_size if self.gran is Granularity.NODE else 1
        return math.ceil(x / step - 1e-9) * step

    def buyable(self, g: int, s: int, start: int) -> list[tuple[float, float, str]]:
        """(price, units left in quota, option) for options delivering type g to site s
        by `start`, cheapest first."""
        spec = self.instance.spec
        t_of = self.instance.period_index
        out = []
        for k, o in enumerate(spec.procurement):
            label = o.id or f"{o.type}#{k}"
            if (o.type == self.types[g].id and t_of[o.earliest_period] <= start
                    and (not o.sites or self.sites[s].id in o.sites)):
                left = o.max_units - self.ledger.bought.get(label, 0.0)
                if left > 0:
                    out.append((o.price, left, label))
        return sorted(out)


def _hosts(instance: Instance, s: int, g: str) -> bool:
    return bool(instance.hosts[s, instance.type_index[g]])


def _options(books: Books, p: Project):
    """(option id, duration, fixed need {type index: GPUs} or None for elastic,
    configured value or None)."""
    inst = books.instance
    if p.request.configurations is not None:
        for c in p.request.configurations:
            need = {inst.type_index[g]: float(books.units(n, inst.type_index[g]))
                    for g, n in c.gpus.items()}
            size = sum(n * books.types[inst.type_index[g]].perf for g, n in c.gpus.items())
            yield c.id, inst.duration(p, c), need, size, c.value
    else:
        yield "elastic", p.window.duration, None, None, None


def _elastic_need(books: Books, p: Project, s: int, start: int, d: int,
                  spare: np.ndarray) -> tuple[dict[int, float], float, float]:
    """Smallest viable elastic allocation at site s: fill min_gpus with the usable types,
    most performance per kW first. Returns (need, size reached, size missing)."""
    e = p.request.elastic
    inst = books.instance
    pue = books.sites[s].pue
    usable = [inst.type_index[g] for g in e.types if _hosts(inst, s, g)]

    def per_kw(g: int) -> float:
        eff = e.efficiency.get(books.types[g].id, books.types[g].perf)
        kw = books.types[g].power_kw * pue
        return eff / kw if kw > 0 else math.inf

    target = e.min_gpus if e.min_gpus > 0 else min(
        e.efficiency.get(books.types[g].id, books.types[g].perf) for g in usable)
    need: dict[int, float] = {}
    size = 0.0
    for g in sorted(usable, key=per_kw, reverse=True):
        if size >= target - TOL:
            break
        eff = e.efficiency.get(books.types[g].id, books.types[g].perf)
        have = max(0.0, float(spare[g, s, start])) + sum(
            left for _, left, _ in books.buyable(g, s, start))
        take = min(books.units((target - size) / eff, g), math.floor(have + TOL)
                   if books.gran is not Granularity.FRACTIONAL else have)
        if books.gran is Granularity.NODE:
            take = take // books.types[g].node_size * books.types[g].node_size
        if take > 0:
            need[g] = float(take)
            size += take * eff
    if size < target - TOL and usable:  # short: ask for the rest of the best type
        g = max(usable, key=per_kw)
        eff = e.efficiency.get(books.types[g].id, books.types[g].perf)
        extra = books.units((target - size) / eff, g)
        need[g] = need.get(g, 0.0) + extra
        return need, size, target - size
    return need, size, 0.0


def _placement(books: Books, p: Project, option: str, d: int, need: dict[int, float],
               size: float, value_cfg: float | None, s: int, start: int,
               elastic_short: float) -> Placement:
    inst, led = books.instance, books.ledger
    w = books.w
    spec = inst.spec
    site = books.sites[s]
    periods = inst.periods
    blocks: list[Block] = []
    capex = 0.0
    spare = books.spare_min(d)
    for g, n in need.items():
        gid = books.types[g].id
        missing = n - max(0.0, float(spare[g, s, start]))
        if missing <= TOL:
            continue
        for price, left, _ in books.buyable(g, s, start):
            take = min(left, missing)
            capex += take * price
            missing -= take
        if missing > TOL and p.request.elastic is None:
            window = led.spare[g, s, start:start + d]
            tight = start + int(np.argmin(window)) if window.size else start
            blocks.append(Block(Reason.CAPACITY,
                                w("needs {n} {type} at {site} in {period}; {left} {type} left "
                                  "there (spare or buyable)", n=_n(n), type=gid, site=site.id,
                                  period=periods[tight], left=_n(n - missing)),
                                missing / n, ("capacity", gid, site.id)))
    if elastic_short > TOL:
        e = p.request.elastic
        blocks.append(Block(Reason.CAPACITY,
                            w("needs at least {n} performance-equivalent GPUs at {site} from "
                              "{period}; only {left} performance-equivalent GPUs spare or "
                              "buyable", n=_n(e.min_gpus), site=site.id, period=periods[start],
                              left=_n(e.min_gpus - elastic_short)),
                            elastic_short / max(e.min_gpus, TOL),
                            ("capacity", *(books.types[g].id for g in need), site.id)))
    kw = sum(n * books.types[g].power_kw for g, n in need.items()) * site.pue
    room = float(books.headroom_min(d)[s, start])
    if kw > max(room, 0.0) + TOL:
        blocks.append(Block(Reason.POWER,
                            w("needs {mw} MW at {site}; {left} MW left", mw=f"{kw / 1000:,.3f}",
                              site=site.id, left=f"{max(room, 0.0) / 1000:,.3f}"),
                            (kw - max(room, 0.0)) / kw, ("power", site.id)))
    share = public_share(inst, p.partner)
    opex = sum(n * books.types[g].opex_per_period for g, n in need.items()) * d * share
    budget = spec.policy.budget
    cur = budget.currency
    for limit, spent, extra, line in (
            (budget.opex, led.opex_public, opex, w("operating")),
            (budget.capex, led.capex, capex, w("purchase")),
            (budget.total, led.opex_public + led.capex, opex + capex, w("total"))):
        if limit is not None and spent + extra > limit + TOL + 1e-9 * limit:
            left = max(0.0, limit - spent)
            blocks.append(Block(Reason.BUDGET,
                                w("costs {cost} {cur} of public money; {left} {cur} left in "
                                  "the {line} budget", cost=_n(extra), cur=cur, left=_n(left),
                                  line=line), (spent + extra - limit) / extra,
                                ("budget",)))
            break
    gp = size * d
    total = led.total_perf_gp + gp
    lineage = inst.area_lineage[p.area]
    for a in spec.areas:
        held = led.area_perf_gp.get(a.id, 0.0)
        slack = TOL * max(1.0, total)
        if a.id in lineage and held + gp > a.max_share * total + slack:
            blocks.append(Block(Reason.AREA_MAX_SHARE,
                                w("{area} would hold {share} % of awarded capacity, above its "
                                  "{cap} % cap", area=a.id,
                                  share=f"{100 * (held + gp) / total:.1f}",
                                  cap=f"{100 * a.max_share:.0f}"),
                                (held + gp - a.max_share * total) / gp, ("area", a.id)))
        if a.id not in lineage and held < a.min_share * total - slack:
            blocks.append(Block(Reason.AREA_MIN_SHARE,
                                w("{area} would fall to {share} % of awarded capacity, below "
                                  "its {floor} % floor", area=a.id,
                                  share=f"{100 * held / total:.1f}",
                                  floor=f"{100 * a.min_share:.0f}"),
                                (a.min_share * total - held) / gp, ("area", a.id)))
    for q in p.depends_on:
        run = led.runs.get(q)
        if run is not None and run[1] >= start:
            blocks.append(Block(Reason.DEPENDENCY, w("{q}, which it depends on, ends in "
                                                     "{period}", q=q, period=periods[run[1]]),
                                1.0, ("project", q)))
    weight = inst.area_weight[p.area] * p.score * inst.start_factor(p, start)
    value = weight * (value_cfg if value_cfg is not None else size * d)
    return Placement(option, site.id, start, d,
                     {books.types[g].id: n for g, n in need.items()},
                     gp, value, opex + capex, tuple(sorted(blocks, key=lambda b: ORDER[b.rule])))


def placements(books: Books, p: Project) -> list[Placement]:
    """Every placement the model would allow for p, each with the rules it would break."""
    inst = books.instance
    first, last = inst.window(p)
    out = []
    for option, d, need, size, value_cfg in _options(books, p):
        for start in range(first, last - d + 2):
            for s in range(len(books.sites)):
                if need is not None:
                    if not all(inst.hosts[s, g] for g in need):
                        continue
                    out.append(_placement(books, p, option, d, need, size, value_cfg, s, start,
                                          0.0))
                else:
                    if not any(_hosts(inst, s, g) for g in p.request.elastic.types):
                        continue
                    e_need, e_size, short = _elastic_need(books, p, s, start, d,
                                                          books.spare_min(d))
                    out.append(_placement(books, p, option, d, e_need, e_size + short, None, s,
                                          start, short))
    return out


def _closest(options: list[Placement]) -> Placement:
    return min(options, key=lambda o: (len(o.blocks), sum(b.shortfall for b in o.blocks),
                                       -o.value, o.start))


def explain(instance: Instance, solution: Solution,
            shadow_prices: Iterable[dict[str, str]] | None = None,
            gap: float | None = None, lang: str = "en") -> dict[str, Explanation]:
    """An Explanation for every project `solution` leaves unfunded, in instance order,
    its sentences in `lang`."""
    ledger = build_ledger(instance, solution)
    books = Books(instance, ledger, Words(lang))
    prices = parse_shadow_prices(shadow_prices) if shadow_prices is not None else None
    out = {}
    for p in instance.projects:
        if p.id not in ledger.awards:
            out[p.id] = explain_project(books, p, prices, gap)
    return out


def explain_project(books: Books, p: Project, prices: dict | None,
                    gap: float | None) -> Explanation:
    inst, led = books.instance, books.ledger
    w = books.w
    periods = inst.periods
    options = placements(books, p)
    best = _closest(options) if options else None
    closest = (w("{option} at {site} from {period}", option=best.option, site=best.site,
                 period=periods[best.start]) if best else "")
    density = best.value / best.perf_gp if best and best.perf_gp > 0 else None

    def done(rule: Reason, text: str, details: tuple[str, ...] = ()) -> Explanation:
        base = Explanation(p.id, rule, tuple(sorted({b.rule for b in best.blocks} | {rule},
                                                    key=ORDER.get)) if best else (rule,),
                           text, closest, density, details=details,
                           option=best.option if best else "",
                           gpus=dict(best.gpus) if best else {})
        return how_far(books, p, base, best, prices, gap)

    funded_excluded = sorted(q for q in books.excluded_by.get(p.id, ()) if q in led.awards)
    if funded_excluded:
        return done(Reason.EXCLUSION, w("It cannot run together with {list}, which is funded.",
                                        list=", ".join(funded_excluded)))
    unfunded_deps = [q for q in p.depends_on if q not in led.awards]
    if unfunded_deps:
        return done(Reason.DEPENDENCY, w("It depends on {list}, which is not funded.",
                                         list=", ".join(unfunded_deps)))
    if not options:
        first, last = inst.window(p)
        fits = any(d <= last - first + 1 for _, d, *_ in _options(books, p))
        if not fits:
            return done(Reason.WINDOW, w("Its run does not fit between {first} and {last}.",
                                         first=periods[first], last=periods[last]))
        return done(Reason.HOSTS, w("No site can host the GPU types it asks for."))
    if not best.blocks:
        if best.value <= TOL:
            return done(Reason.NO_VALUE, w("It is worth nothing under the policy (its score "
                                           "or its area's weight is zero)."))
        return done(Reason.NOT_CHOSEN,
                    w("It fits beside the funded projects without breaking any rule "
                      "({closest}); the run stopped before adding it.", closest=closest))
    rule = best.blocks[0].rule
    texts = {
        Reason.CAPACITY: "Its GPU types have no spare capacity at any site it can use in its "
                         "window.",
        Reason.POWER: "The sites that could host it have no power left.",
        Reason.BUDGET: "The public budget is exhausted.",
        Reason.AREA_MAX_SHARE: "Funding it would push its area above its maximum share.",
        Reason.AREA_MIN_SHARE: "Funding it would push another area below its minimum share.",
        Reason.DEPENDENCY: "A project it depends on ends too late for it to start in its window.",
    }
    return done(rule, w(texts[rule]), tuple(b.detail for b in best.blocks))
