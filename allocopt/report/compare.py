"""What changed between two results folders A and B, as data: `compare`.

Projects gained (funded in B, not in A) and lost (funded in A, not in B) with their
GPUs and value; projects funded in both whose award moved (configuration, site, start
or size) with the change in GPUs and value; spending and budget use (summary.json's
`spend` against `policy.budget`); GPUs bought per type (purchases.csv); per-area and
per-GPU-type deltas; and a short account of what changed most. Reads only the two
folders; `compare_render` writes compare.html and compare.md from a `Comparison`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from allocopt.report.folder import ResultsFolder, number
from allocopt.report.i18n import Words
from allocopt.report.page import num, pct, signed

SPEND_LINES = (("capex", "capex"), ("opex_public", "opex"), ("total", "total"))


@dataclass(frozen=True)
class Moved:
    """A project funded in both whose award differs."""

    project: str
    title: str
    where_a: str
    where_b: str
    gpus_a: float
    gpus_b: float
    value_a: float
    value_b: float


@dataclass(frozen=True)
class SpendRow:
    """One budget line: spending in A and B and the limit each was solved under."""

    line: str
    a: float
    b: float
    limit_a: float | None
    limit_b: float | None

    def use(self, side: str) -> float | None:
        spent, limit = (self.a, self.limit_a) if side == "a" else (self.b, self.limit_b)
        return spent / limit if limit else None


@dataclass(frozen=True)
class Comparison:
    a: ResultsFolder
    b: ResultsFolder
    label_a: str
    label_b: str
    gained: list[str]
    lost: list[str]
    moved: list[Moved]
    areas: list[tuple[str, dict, dict]]
    types: list[tuple[str, float, float, float, float]]
    spend: list[SpendRow]
    currency: str
    bought: list[tuple[str, float, float]]  # type, units bought in A, in B

    def row(self, side: str, project: str) -> dict[str, str]:
        folder = self.a if side == "a" else self.b
        return next((r for r in folder.projects if r["project"] == project), {})

    def total(self, ids: list[str], side: str, column: str) -> float:
        return sum(number(self.row(side, p).get(column)) for p in ids)


def _gpu_periods(folder: ResultsFolder) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for r in folder.allocation:
        out[r["gpu_type"]] += number(r["gpus"])
    return out


def _labels(a: ResultsFolder, b: ResultsFolder) -> tuple[str, str]:
    name_a, name_b = str(a.summary.get("instance", "")), str(b.summary.get("instance", ""))
    if name_a and name_b and name_a != name_b:
        return name_a, name_b
    return a.path.name or "A", b.path.name or "B"


def _where(r: dict[str, str]) -> str:
    return f"{r.get('configuration', '')} at {r.get('site', '')} from {r.get('start', '')}"


def _spend(a: ResultsFolder, b: ResultsFolder) -> list[SpendRow]:
    sa, sb = a.summary.get("spend") or {}, b.summary.get("spend") or {}
    la = (a.summary.get("policy") or {}).get("budget") or {}
    lb = (b.summary.get("policy") or {}).get("budget") or {}
    return [SpendRow(key, float(sa.get(key) or 0.0), float(sb.get(key) or 0.0),
                     la.get(limit), lb.get(limit)) for key, limit in SPEND_LINES]


def _bought(folder: ResultsFolder) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for r in folder.purchases:
        out[r["gpu_type"]] += number(r.get("units"))
    return out


def compare(a: ResultsFolder, b: ResultsFolder) -> Comparison:
    fa, fb = a.funded_ids, b.funded_ids
    order = [r["project"] for r in a.projects] + [r["project"] for r in b.projects
                                                  if r["project"] not in {x["project"]
                                                                          for x in a.projects}]
    rank = {p: k for k, p in enumerate(order)}
    rows_a = {r["project"]: r for r in a.projects}
    rows_b = {r["project"]: r for r in b.projects}
    moved = [Moved(p, rows_a[p].get("title", ""), _where(rows_a[p]), _where(rows_b[p]),
                   number(rows_a[p].get("gpus_awarded")), number(rows_b[p].get("gpus_awarded")),
                   number(rows_a[p].get("value")), number(rows_b[p].get("value")))
             for p in sorted(fa & fb, key=rank.get)
             if any(rows_a[p].get(c) != rows_b[p].get(c)
                    for c in ("configuration", "site", "start", "gpus_awarded"))]
    areas_a, areas_b = a.summary.get("areas") or {}, b.summary.get("areas") or {}
    area_ids = list(areas_a) + [k for k in areas_b if k not in areas_a]
    ta, tb = a.summary.get("gpus_by_type") or {}, b.summary.get("gpus_by_type") or {}
    ga, gb = _gpu_periods(a), _gpu_periods(b)
    type_ids = list(ta) + [k for k in tb if k not in ta]
    for g in sorted(set(ga) | set(gb)):
        if g not in type_ids:
            type_ids.append(g)
    types = [(g, float((ta.get(g) or {}).get("peak_allocated") or 0.0),
              float((tb.get(g) or {}).get("peak_allocated") or 0.0), ga.get(g, 0.0),
              gb.get(g, 0.0)) for g in type_ids]
    ba, bb = _bought(a), _bought(b)
    label_a, label_b = _labels(a, b)
    currency = str((a.summary.get("spend") or {}).get("currency")
                   or (b.summary.get("spend") or {}).get("currency") or "")
    return Comparison(a=a, b=b, label_a=label_a, label_b=label_b,
                      gained=sorted(fb - fa, key=rank.get), lost=sorted(fa - fb, key=rank.get),
                      moved=moved,
                      areas=[(k, areas_a.get(k, {}), areas_b.get(k, {})) for k in area_ids],
                      types=types, spend=_spend(a, b), currency=currency,
                      bought=[(g, ba.get(g, 0.0), bb.get(g, 0.0)) for g in type_ids
                              if ba.get(g) or bb.get(g)])


def value_of(folder: ResultsFolder) -> float | None:
    return folder.summary.get("objective")


def caveat(c: Comparison, w: Words) -> str:
    gaps = [(label, f.summary.get("gap")) for label, f in ((c.label_a, c.a), (c.label_b, c.b))]
    open_gaps = [f"{label} {pct(g, 1)}" for label, g in gaps if g and g > 1e-3]
    if not open_gaps:
        return ""
    return w("Not proven optimal (gap {gaps}): some differences may come from where the "
             "solver stopped rather than from the scenario.", gaps=", ".join(open_gaps))


def _mean(total: float, n: int) -> str:
    return num(total / n) if n else "—"


def story(c: Comparison, w: Words) -> list[str]:
    """What changed most, and the figures that explain it, as short sentences."""
    va, vb = value_of(c.a), value_of(c.b)
    na, nb = len(c.a.funded_ids), len(c.b.funded_ids)
    out = []
    if va is not None and vb is not None:
        out.append(w("Value {change} ({va} → {vb}, {rel}).", change=signed(vb - va),
                     va=num(va), vb=num(vb), rel=pct((vb - va) / va, 2) if va else "—"))
    out.append(w("B funds {n} projects, {delta} against A's {na}: {g} gained, {l} lost, "
                 "{m} moved.", n=f"{nb:,}", delta=signed(nb - na), na=f"{na:,}",
                 g=len(c.gained), l=len(c.lost), m=len(c.moved)))
    if c.gained and c.lost:  # sizes in performance-equivalent GPUs (older folders: GPUs)
        size = "perf_gpus_awarded" if "perf_gpus_awarded" in (c.a.projects or [{}])[0] \
            else "gpus_awarded"
        mean_g = c.total(c.gained, "b", size) / len(c.gained)
        mean_l = c.total(c.lost, "a", size) / len(c.lost)
        if mean_g < mean_l and nb > na:
            out.append(w("It funds more because the projects it gains are smaller: "
                         "{mg} performance-equivalent GPUs each on average, against {ml} for "
                         "those it loses.", mg=num(mean_g, 1), ml=num(mean_l, 1)))
        else:
            out.append(w("Projects gained hold {mg} performance-equivalent GPUs each on "
                         "average; projects lost held {ml}.", mg=num(mean_g, 1),
                         ml=num(mean_l, 1)))
    if c.types:
        g, _, _, ua, ub = max(c.types, key=lambda t: abs(t[4] - t[3]))
        if ub != ua:
            out.append(w("The largest change by GPU type: {type} GPU-periods {change} "
                         "({rel}).", type=g, change=signed(ub - ua),
                         rel=pct((ub - ua) / ua, 1) if ua else "—"))
    more = [(g, ub - ua) for g, ua, ub in c.bought if ub != ua]
    if more:
        out.append(w("Purchases: {list}.", list=", ".join(f"{signed(d)} {g}" for g, d in more)))
    spent = {s.line: s for s in c.spend}
    if "capex" in spent and "opex_public" in spent:
        cap, ope = spent["capex"], spent["opex_public"]
        out.append(w("Spending: purchases {capex} {cur}, operation {opex} {cur}.",
                     capex=signed(cap.b - cap.a), opex=signed(ope.b - ope.a), cur=c.currency))
    if c.areas:
        k, fa, fb = max(c.areas, key=lambda x: abs(float(x[2].get("share") or 0)
                                                   - float(x[1].get("share") or 0)))
        sa, sb = float(fa.get("share") or 0), float(fb.get("share") or 0)
        if round(100 * (sb - sa), 1):
            out.append(w("The area share that moved most: {area}, {sa} → {sb}.", area=k,
                         sa=pct(sa), sb=pct(sb)))
    return out
