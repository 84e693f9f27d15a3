"""report.md: the same figures and tables as report.html, as plain Markdown.

User strings are escaped twice over: HTML-escaped (Markdown viewers pass raw HTML
through) and with Markdown's table and emphasis characters backslash-escaped.
Charts are left to report.html; every chart's numbers are in a table here.
"""

from __future__ import annotations

import html
import re

from allocopt.report.page import num, pct
from allocopt.report.tables import Report


def md(value: object) -> str:
    """Escape a value for a Markdown table cell or line."""
    text = html.escape(" ".join(str(value).split()), quote=False)
    return re.sub(r"([\\|*_`\[\]#~])", r"\\\1", text)


def md_table(head: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    align = ["---:" if k in numeric else "---" for k in range(len(head))]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def render_markdown(r: Report) -> str:
    h = r.headline
    spend = h.spend or {}
    out = [f"# GPU allocation report: {md(h.title)}", ""]
    if h.description:
        out += [md(h.description), ""]
    achieved = (f" ({pct(h.achieved)} of the proven upper bound {num(h.bound)})"
                if h.achieved is not None else "")
    out += [
        "## Headline figures", "",
        f"- **Projects funded:** {h.funded:,} of {h.projects:,}",
        f"- **{'Cost (minimised)' if h.minimised else 'Value achieved'}:** "
        f"{num(h.objective)}{achieved}",
        f"- **{md(h.policy_text.split(' — ')[0])}** — {md(h.policy_text.split(' — ', 1)[-1])}",
        f"- **Optimality gap:** {pct(h.gap, 2)} — {md(h.status_text)}",
        f"- **Public spend:** {num(spend.get('total'))} {md(spend.get('currency', ''))} "
        f"(purchases {num(spend.get('capex'))} + operation {num(spend.get('opex_public'))})",
        f"- **Solver:** {md(h.backend)}, {h.wall_s:,.1f} s",
        f"- **Rules re-checked:** {'all hold' if h.verified else 'VIOLATED'}",
        f"- **Instance fingerprint (SHA-256):** `{md(h.sha256)}`", ""]
    out += [f"> {md(n)}" for n in r.notes] + ([""] if r.notes else [])
    out += ["## GPUs allocated and available", ""]
    rows = []
    for t in r.types:
        row = [md(t.id), num(max(t.allocated, default=0.0)), num(sum(t.allocated))]
        if t.available is not None:
            have = sum(t.available)
            row += [num(have), pct(sum(t.allocated) / have if have else None)]
        rows.append(row)
    head = ["GPU type", "Peak allocated", "GPU-periods allocated"]
    if r.with_instance:
        head += ["GPU-periods available", "Utilisation"]
    out += [md_table(head, rows, set(range(1, len(head)))), "", "### By period", ""]
    rows = [[md(t.id)] + [f"{num(a)} / {num(t.available[k])}" if t.available else num(a)
                          for k, a in enumerate(t.allocated)] for t in r.types]
    out += [md_table(["Type", *map(md, r.periods)], rows, set(range(1, len(r.periods) + 1))),
            ""]
    out += ["## Priority areas", ""]
    rows = [[("↳ " if a.depth else "") + md(a.name), f"{a.funded} / {a.projects}",
             num(a.perf_requested), num(a.perf_awarded), pct(a.share),
             pct(a.min_share, 0) if a.min_share > 0 else "", pct(a.max_share, 0)
             if a.max_share < 1 else "", md(a.standing)] for a in r.areas]
    out += [md_table(["Area", "Funded / projects", "Requested (H100-eq.)",
                      "Awarded (H100-eq.)", "Share",
                      "Floor", "Cap", "Standing"], rows, {2, 3, 4, 5, 6}), ""]
    if r.sites:
        out += ["## Site power", ""]
        rows = [[md(s.id), num(max(s.drawn_kw, default=0) / 1000, 2), num(s.limit_kw / 1000, 2)]
                for s in r.sites]
        out += [md_table(["Site", "Peak draw (MW)", "Limit (MW)"], rows, {1, 2}), ""]
    out += [f"## Funded projects ({len(r.funded):,})", ""]
    rows = [[md(p["project"]), md(p["title"]), md(p["owner"]), md(p["area"]),
             md(p["configuration"]), md(p["site"]), f"{md(p['start'])} – {md(p['end'])}",
             md(p["gpus_awarded"]), num(float(p["value"] or 0))] for p in r.funded]
    out += [md_table(["Project", "Title", "Owner", "Area", "Configuration", "Site", "Runs",
                      "GPUs", "Value"], rows, {7, 8}), ""]
    out += [f"## Projects not funded, and why ({len(r.unfunded):,})", ""]
    rows = []
    for p in r.unfunded:
        w = p.why
        why = (md(w.text) + "".join(f" · {md(d)}" for d in w.details)) if w else "—"
        size = (f"{md(p['gpus_requested'])} GPUs" if p["gpus_requested"] and not p.elastic
                else f"up to {num(p.perf_requested or 0, 1)} H100-eq.")
        rows.append([md(p["project"]), md(p["title"]), md(p["area"]), size,
                     md(w.label) if w else "—", why, md(w.distance) if w else "—"])
    out += [md_table(["Project", "Title", "Area", "Request", "Kept out by", "Why",
                      "How far from funding"], rows, {3}), ""]
    if r.shadow_prices is not None:
        rows = [[md(x.get("rule", "")), md(x.get("key", "")), md(x.get("dual", ""))]
                for x in r.shadow_prices if float(x.get("dual") or 0) != 0]
        out += ["## Shadow prices", "", md_table(["Rule", "Row", "Shadow price"], rows, {2}),
                ""]
    return "\n".join(out)
