"""compare.html and compare.md: what changed between two results folders A and B.

Projects gained (funded in B, not in A) and lost (funded in A, not in B), projects
funded in both whose award moved (configuration, site or start), per-area and
per-GPU-type deltas, and the value delta. Reads only the two folders.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from allocopt.report.folder import ResultsFolder, number
from allocopt.report.markdown import md, md_table
from allocopt.report.page import esc, num, page, pct, signed, table, td


@dataclass(frozen=True)
class Comparison:
    a: ResultsFolder
    b: ResultsFolder
    label_a: str
    label_b: str
    gained: list[str]
    lost: list[str]
    moved: list[str]
    areas: list[tuple[str, dict, dict]]
    types: list[tuple[str, float, float, float, float]]

    def row(self, side: str, project: str) -> dict[str, str]:
        folder = self.a if side == "a" else self.b
        return next((r for r in folder.projects if r["project"] == project), {})


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


def compare(a: ResultsFolder, b: ResultsFolder) -> Comparison:
    fa, fb = a.funded_ids, b.funded_ids
    order = [r["project"] for r in a.projects] + [r["project"] for r in b.projects
                                                  if r["project"] not in {x["project"]
                                                                          for x in a.projects}]
    rank = {p: k for k, p in enumerate(order)}
    rows_a = {r["project"]: r for r in a.projects}
    rows_b = {r["project"]: r for r in b.projects}
    moved = [p for p in fa & fb
             if any(rows_a[p][c] != rows_b[p][c] for c in ("configuration", "site", "start"))]
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
    label_a, label_b = _labels(a, b)
    return Comparison(a=a, b=b, label_a=label_a, label_b=label_b,
                      gained=sorted(fb - fa, key=rank.get), lost=sorted(fa - fb, key=rank.get),
                      moved=sorted(moved, key=rank.get),
                      areas=[(k, areas_a.get(k, {}), areas_b.get(k, {})) for k in area_ids],
                      types=types)


def _value(folder: ResultsFolder) -> float | None:
    return folder.summary.get("objective")


def _caveat(c: Comparison) -> str:
    gaps = [(label, f.summary.get("gap")) for label, f in ((c.label_a, c.a), (c.label_b, c.b))]
    open_gaps = [f"{label} {pct(g, 1)}" for label, g in gaps if g and g > 1e-3]
    if not open_gaps:
        return ""
    return ("Not proven optimal (gap " + ", ".join(open_gaps) + "): some differences may "
            "come from where the solver stopped rather than from the scenario.")


def _project_rows(c: Comparison, ids: list[str], side: str) -> list[str]:
    out = []
    for p in ids:
        r = c.row(side, p) or c.row("b" if side == "a" else "a", p)
        gpus, value = number(r.get("gpus_awarded")), number(r.get("value"))
        out.append(f'<tr data-project="{esc(p)}">' + td(esc(p)) + td(esc(r.get("title", "")))
                   + td(esc(r.get("owner", ""))) + td(esc(r.get("area", "")))
                   + td(num(gpus), gpus) + td(num(value), value) + "</tr>")
    return out


def render_compare_html(c: Comparison) -> str:
    va, vb = _value(c.a), _value(c.b)
    delta = (vb - va) if va is not None and vb is not None else None
    rel = delta / va if delta is not None and va else None
    la, lb = esc(c.label_a), esc(c.label_b)
    header = (f"<h1>Scenario comparison: {la} → {lb}</h1>"
              f"<p>A = {la} ({esc(c.a.path.name)}), B = {lb} ({esc(c.b.path.name)})</p>")
    kpis = (
        '<div class="kpis">'
        f'<div class="kpi" id="kpi-value"><span class="label">Value, B − A</span>'
        f'<span class="value" data-value="{esc(delta)}">'
        f'{signed(delta) if delta is not None else "—"}</span><span class="context">'
        f"{num(va)} → {num(vb)} ({pct(rel, 2) if rel is not None else '—'})</span></div>"
        f'<div class="kpi" id="kpi-funded"><span class="label">Projects funded</span>'
        f'<span class="value">{len(c.a.funded_ids):,} → {len(c.b.funded_ids):,}</span>'
        f'<span class="context">{len(c.gained):,} gained, {len(c.lost):,} lost, '
        f"{len(c.moved):,} moved</span></div>"
        f'<div class="kpi" id="kpi-gap"><span class="label">Optimality gap</span>'
        f'<span class="value">{pct(c.a.summary.get("gap"), 2)} → '
        f'{pct(c.b.summary.get("gap"), 2)}</span><span class="context">'
        f'{esc(c.a.summary.get("status", ""))} → {esc(c.b.summary.get("status", ""))}'
        "</span></div></div>")
    parts = [kpis]
    caveat = _caveat(c)
    if caveat:
        parts.append(f'<div class="notes" role="note"><p>{esc(caveat)}</p></div>')
    head = [("Project", False), ("Title", False), ("Owner", False), ("Area", False),
            ("GPUs", True), ("Value", True)]
    parts += [f'<h2 id="gained">Gained: funded in B, not in A ({len(c.gained)})</h2>',
              table("gained-table", head, _project_rows(c, c.gained, "b"), sortable=True),
              f'<h2 id="lost">Lost: funded in A, not in B ({len(c.lost)})</h2>',
              table("lost-table", head, _project_rows(c, c.lost, "a"), sortable=True)]
    rows = []
    for k, fa, fb in c.areas:
        sa, sb = float(fa.get("share") or 0), float(fb.get("share") or 0)
        na, nb = int(fa.get("funded_projects") or 0), int(fb.get("funded_projects") or 0)
        ga, gb = float(fa.get("perf_gpu_periods") or 0), float(fb.get("perf_gpu_periods") or 0)
        rows.append(f'<tr data-area="{esc(k)}">' + td(esc(k)) + td(f"{na} → {nb}", nb - na)
                    + td(signed(nb - na), nb - na) + td(num(ga), ga) + td(num(gb), gb)
                    + td(signed(gb - ga), gb - ga) + td(f"{pct(sa)} → {pct(sb)}", sb)
                    + td(signed(100 * (sb - sa), 1) + " pts", sb - sa) + "</tr>")
    parts += ['<h2 id="areas">Priority areas</h2>', table("areas-table", [
        ("Area", False), ("Funded", True), ("Δ funded", True), ("Perf. GPU-periods A", True),
        ("Perf. GPU-periods B", True), ("Δ", True), ("Share", True), ("Δ share", True)],
        rows)]
    rows = [f'<tr data-type="{esc(g)}">' + td(esc(g)) + td(num(pa), pa) + td(num(pb), pb)
            + td(signed(pb - pa), pb - pa) + td(num(ua), ua) + td(num(ub), ub)
            + td(signed(ub - ua), ub - ua) + "</tr>" for g, pa, pb, ua, ub in c.types]
    parts += ['<h2 id="types">GPU types</h2>', table("types-table", [
        ("GPU type", False), ("Peak allocated A", True), ("Peak allocated B", True),
        ("Δ peak", True), ("GPU-periods A", True), ("GPU-periods B", True), ("Δ", True)],
        rows)]
    rows = []
    for p in c.moved:
        ra, rb = c.row("a", p), c.row("b", p)
        rows.append(f'<tr data-project="{esc(p)}">' + td(esc(p)) + td(esc(ra.get("title", "")))
                    + td(esc(f"{ra['configuration']} at {ra['site']} from {ra['start']}"))
                    + td(esc(f"{rb['configuration']} at {rb['site']} from {rb['start']}"))
                    + "</tr>")
    parts += [f'<h2 id="moved">Funded in both, award moved ({len(c.moved)})</h2>',
              table("moved-table", [("Project", False), ("Title", False), ("In A", False),
                                    ("In B", False)], rows, sortable=True)]
    return page(f"Scenario comparison: {c.label_a} → {c.label_b}", header, "\n".join(parts))


def render_compare_markdown(c: Comparison) -> str:
    va, vb = _value(c.a), _value(c.b)
    delta = (vb - va) if va is not None and vb is not None else None
    out = [f"# Scenario comparison: {md(c.label_a)} → {md(c.label_b)}", "",
           f"- **Value:** {num(va)} → {num(vb)} "
           f"({signed(delta) if delta is not None else '—'})",
           f"- **Projects funded:** {len(c.a.funded_ids):,} → {len(c.b.funded_ids):,} "
           f"({len(c.gained)} gained, {len(c.lost)} lost, {len(c.moved)} moved)",
           f"- **Optimality gap:** {pct(c.a.summary.get('gap'), 2)} → "
           f"{pct(c.b.summary.get('gap'), 2)}", ""]
    caveat = _caveat(c)
    if caveat:
        out += [f"> {md(caveat)}", ""]
    for title, ids, side in ((f"Gained: funded in B, not in A ({len(c.gained)})", c.gained, "b"),
                             (f"Lost: funded in A, not in B ({len(c.lost)})", c.lost, "a")):
        rows = []
        for p in ids:
            r = c.row(side, p)
            rows.append([md(p), md(r.get("title", "")), md(r.get("area", "")),
                         md(r.get("gpus_awarded", "")), num(number(r.get("value")))])
        out += [f"## {title}", "", md_table(["Project", "Title", "Area", "GPUs", "Value"], rows,
                                            {3, 4}), ""]
    rows = [[md(k), f"{fa.get('funded_projects', 0)} → {fb.get('funded_projects', 0)}",
             f"{pct(fa.get('share'))} → {pct(fb.get('share'))}"] for k, fa, fb in c.areas]
    out += ["## Priority areas", "", md_table(["Area", "Funded", "Share"], rows), ""]
    rows = [[md(g), num(pa), num(pb), signed(pb - pa), num(ua), num(ub), signed(ub - ua)]
            for g, pa, pb, ua, ub in c.types]
    out += ["## GPU types", "", md_table(["GPU type", "Peak A", "Peak B", "Δ peak",
                                         "GPU-periods A", "GPU-periods B", "Δ"], rows,
                                        {1, 2, 3, 4, 5, 6}), ""]
    return "\n".join(out)
