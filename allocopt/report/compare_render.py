"""compare.html and compare.md from a `Comparison`: the same sections and figures in
both (what changed, spending and budget use, gained, lost, moved, areas, GPU types)."""

from __future__ import annotations

from allocopt.report.compare import Comparison, caveat, story, value_of
from allocopt.report.folder import number
from allocopt.report.i18n import Words
from allocopt.report.markdown import md, md_table
from allocopt.report.page import esc, num, page, pct, signed, table, td
from allocopt.report.tables import title_of

LINE_NAMES = {"capex": "Purchases (capital)", "opex_public": "Operation (public share)",
              "total": "Total public spending"}


def _sections(c: Comparison, w: Words) -> list[tuple[str, str, list[tuple[str, bool]],
                                                      list[list[tuple[str, float | None]]],
                                                      str]]:
    """(anchor, title, head, rows of (text, sort key), note) for each table: the one
    source of compare.html's and compare.md's tables."""
    out = []
    rows = []
    for s in c.spend:
        ua, ub = s.use("a"), s.use("b")
        rows.append([(w(LINE_NAMES[s.line]), None), (num(s.a), s.a), (num(s.b), s.b),
                     (signed(s.b - s.a), s.b - s.a),
                     (pct(ua), ua), (pct(ub), ub),
                     (signed(100 * (ub - ua), 1) + " pts" if ua is not None and ub is not None
                      else "—", (ub - ua) if ua is not None and ub is not None else None)])
    out.append(("spending", w("Spending and budget use ({currency})", currency=c.currency), [
        (w("Budget line"), False), ("A", True), ("B", True), ("Δ", True),
        (w("Budget used, A"), True), (w("Budget used, B"), True), (w("Δ use"), True)],
        rows, ""))
    head = [(w("Project"), False), (w("Title"), False), (w("Area"), False),
            (w("GPUs"), True), (w("Value"), True)]
    for anchor, title, ids, side in (
            ("gained", w("Gained: funded in B, not in A ({n})", n=len(c.gained)), c.gained, "b"),
            ("lost", w("Lost: funded in A, not in B ({n})", n=len(c.lost)), c.lost, "a")):
        rows = []
        for p in ids:
            r = c.row(side, p)
            gpus, value = number(r.get("gpus_awarded")), number(r.get("value"))
            rows.append([(p, None), (title_of(r, w.lang), None), (r.get("area", ""), None),
                         (num(gpus), gpus), (num(value), value)])
        note = (w("{n} projects, {gpus} GPUs, value {value}.", n=len(ids),
                  gpus=num(c.total(ids, side, "gpus_awarded")),
                  value=num(c.total(ids, side, "value"))) if ids else w("None."))
        out.append((anchor, title, head, rows, note))
    rows = [[(m.project, None), (title_of(c.row("a", m.project), w.lang), None),
             (m.where_a, None), (m.where_b, None),
             (f"{num(m.gpus_a)} → {num(m.gpus_b)}", m.gpus_b),
             (signed(m.gpus_b - m.gpus_a), m.gpus_b - m.gpus_a),
             (f"{num(m.value_a)} → {num(m.value_b)}", m.value_b),
             (signed(m.value_b - m.value_a), m.value_b - m.value_a)] for m in c.moved]
    out.append(("moved", w("Funded in both, award moved ({n})", n=len(c.moved)), [
        (w("Project"), False), (w("Title"), False), (w("In A"), False), (w("In B"), False),
        (w("GPUs"), True), (w("Δ GPUs"), True), (w("Value"), True), (w("Δ value"), True)],
        rows, w("None.") if not c.moved else ""))
    rows = []
    for k, fa, fb in c.areas:
        sa, sb = float(fa.get("share") or 0), float(fb.get("share") or 0)
        na, nb = int(fa.get("funded_projects") or 0), int(fb.get("funded_projects") or 0)
        ga, gb = float(fa.get("perf_gpu_periods") or 0), float(fb.get("perf_gpu_periods") or 0)
        rows.append([(k, None), (f"{na} → {nb}", nb), (signed(nb - na), nb - na),
                     (num(ga), ga), (num(gb), gb), (signed(gb - ga), gb - ga),
                     (f"{pct(sa)} → {pct(sb)}", sb),
                     (signed(100 * (sb - sa), 1) + " pts", sb - sa)])
    out.append(("areas", w("Priority areas"), [
        (w("Area"), False), (w("Funded"), True), (w("Δ funded"), True),
        (w("Perf. GPU-periods A"), True), (w("Perf. GPU-periods B"), True), ("Δ", True),
        (w("Share"), True), (w("Δ share"), True)], rows, ""))
    bought = {g: (ba, bb) for g, ba, bb in c.bought}
    rows = [[(g, None), (num(pa), pa), (num(pb), pb), (signed(pb - pa), pb - pa), (num(ua), ua),
             (num(ub), ub), (signed(ub - ua), ub - ua),
             (f"{num(bought.get(g, (0, 0))[0])} → {num(bought.get(g, (0, 0))[1])}",
              bought.get(g, (0, 0))[1])] for g, pa, pb, ua, ub in c.types]
    out.append(("types", w("GPU types"), [
        (w("GPU type"), False), (w("Peak allocated A"), True), (w("Peak allocated B"), True),
        (w("Δ peak"), True), (w("GPU-periods A"), True), (w("GPU-periods B"), True),
        ("Δ", True), (w("Bought"), True)], rows, ""))
    return out


def _counts(c: Comparison, w: Words) -> str:
    return w("{g} gained, {l} lost, {m} moved", g=len(c.gained), l=len(c.lost), m=len(c.moved))


def _data_key(anchor: str) -> str:
    return {"areas": "data-area", "types": "data-type", "spending": "data-line"}.get(
        anchor, "data-project")


def render_compare_html(c: Comparison, lang: str = "en") -> str:
    w = Words(lang)
    va, vb = value_of(c.a), value_of(c.b)
    delta = (vb - va) if va is not None and vb is not None else None
    rel = delta / va if delta is not None and va else None
    la, lb = esc(c.label_a), esc(c.label_b)
    title = w("Scenario comparison: {a} → {b}", a=c.label_a, b=c.label_b)
    header = (f"<h1>{esc(title)}</h1>"
              f"<p>A = {la} ({esc(c.a.path.name)}), B = {lb} ({esc(c.b.path.name)})</p>")
    kpis = (
        '<div class="kpis">'
        f'<div class="kpi" id="kpi-value"><span class="label">{esc(w("Value, B − A"))}</span>'
        f'<span class="value" data-value="{esc(delta)}">'
        f'{signed(delta) if delta is not None else "—"}</span><span class="context">'
        f"{num(va)} → {num(vb)} ({pct(rel, 2) if rel is not None else '—'})</span></div>"
        f'<div class="kpi" id="kpi-funded"><span class="label">{esc(w("Projects funded"))}'
        f'</span><span class="value">{len(c.a.funded_ids):,} → {len(c.b.funded_ids):,}</span>'
        f'<span class="context">{esc(_counts(c, w))}</span></div>'
        f'<div class="kpi" id="kpi-gap"><span class="label">{esc(w("Optimality gap"))}</span>'
        f'<span class="value">{pct(c.a.summary.get("gap"), 2)} → '
        f'{pct(c.b.summary.get("gap"), 2)}</span><span class="context">'
        f'{esc(c.a.summary.get("status", ""))} → {esc(c.b.summary.get("status", ""))}'
        "</span></div></div>")
    parts = [kpis, f'<h2 id="story">{esc(w("What changed most"))}</h2>',
             '<p class="lead" id="story-text">' + esc(" ".join(story(c, w))) + "</p>"]
    note = caveat(c, w)
    if note:
        parts.append(f'<div class="notes" role="note"><p>{esc(note)}</p></div>')
    for anchor, heading, head, rows, extra in _sections(c, w):
        parts.append(f'<h2 id="{anchor}">{esc(heading)}</h2>')
        if extra:
            parts.append(f'<p class="lead" id="{anchor}-note">{esc(extra)}</p>')
        if rows:
            key = _data_key(anchor)
            trs = [f'<tr {key}="{esc(r[0][0] if key != "data-line" else c.spend[k].line)}">'
                   + "".join(td(esc(text), sort) for text, sort in r) + "</tr>"
                   for k, r in enumerate(rows)]
            parts.append(table(f"{anchor}-table", [(esc(h), n) for h, n in head], trs,
                               sortable=anchor in ("gained", "lost", "moved")))
    return page(title, header, "\n".join(parts), lang=lang)


def render_compare_markdown(c: Comparison, lang: str = "en") -> str:
    w = Words(lang)
    va, vb = value_of(c.a), value_of(c.b)
    delta = (vb - va) if va is not None and vb is not None else None
    out = [f"# {md(w('Scenario comparison: {a} → {b}', a=c.label_a, b=c.label_b))}", "",
           f"- **{md(w('Value'))}:** {num(va)} → {num(vb)} "
           f"({signed(delta) if delta is not None else '—'})",
           f"- **{md(w('Projects funded'))}:** {len(c.a.funded_ids):,} → "
           f"{len(c.b.funded_ids):,} ({md(_counts(c, w))})",
           f"- **{md(w('Optimality gap'))}:** {pct(c.a.summary.get('gap'), 2)} → "
           f"{pct(c.b.summary.get('gap'), 2)}", "",
           f"## {md(w('What changed most'))}", "", md(" ".join(story(c, w))), ""]
    note = caveat(c, w)
    if note:
        out += [f"> {md(note)}", ""]
    for _anchor, heading, head, rows, extra in _sections(c, w):
        out += [f"## {md(heading)}", ""]
        if extra:
            out += [md(extra), ""]
        if rows:
            out += [md_table([md(h) for h, _ in head], [[md(t) for t, _ in r] for r in rows],
                             {k for k, (_, n) in enumerate(head) if n}), ""]
    return "\n".join(out)
