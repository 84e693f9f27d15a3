"""report.md: the same figures and tables as report.html, as plain Markdown.

User strings are escaped twice over: HTML-escaped (Markdown viewers pass raw HTML
through) and with Markdown's table and emphasis characters backslash-escaped.
Charts are left to report.html; every chart's numbers are in a table here.
"""

from __future__ import annotations

import html
import re

from allocopt.report.budget import Budget
from allocopt.report.exposure import Exposure
from allocopt.report.i18n import Words
from allocopt.report.page import num, pct
from allocopt.report.sections import LINE_NAMES, SCENARIO_SOURCE
from allocopt.report.tables import Report, policy_text, title_of
from allocopt.report.timeline import Timeline


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


def _head(w: Words, labels: list[str]) -> list[str]:
    return [md(w(x)) for x in labels]


def _headline(r: Report, w: Words) -> list[str]:
    h = r.headline
    spend = h.spend or {}
    achieved = (" (" + w("{share} of the proven upper bound {bound}", share=pct(h.achieved),
                         bound=num(h.bound)) + ")" if h.achieved is not None else "")
    policy = policy_text(r.summary, w)
    name, _, rest = policy.partition(" — ")
    return [
        f"## {md(w('Headline figures'))}", "",
        f"- **{md(w('Projects funded'))}:** "
        + md(w("{n} of {total}", n=f"{h.funded:,}", total=f"{h.projects:,}")),
        f"- **{md(w('Cost (minimised)') if h.minimised else w('Value achieved'))}:** "
        f"{num(h.objective)}{md(achieved)}",
        f"- **{md(name)}** — {md(rest)}",
        f"- **{md(w('Optimality gap'))}:** {pct(h.gap, 2)} — {md(w(h.status_text))}",
        f"- **{md(w('Public spend'))}:** {num(spend.get('total'))} "
        f"{md(spend.get('currency', ''))} ("
        + md(w("purchases {capex} + operation {opex}", capex=num(spend.get("capex")),
               opex=num(spend.get("opex_public")))) + ")",
        f"- **{md(w('Solver'))}:** {md(h.backend)}, {h.wall_s:,.1f} s",
        f"- **{md(w('Rules re-checked'))}:** "
        f"{md(w('All hold') if h.verified else w('VIOLATED'))}",
        f"- **{md(w('Instance fingerprint (SHA-256):'))}** `{md(h.sha256)}`", ""]


def _gpus(r: Report, w: Words) -> list[str]:
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
    out = [f"## {md(w('GPUs allocated and available'))}", "",
           md_table(_head(w, head), rows, set(range(1, len(head)))), "",
           f"### {md(w('By period'))}", ""]
    rows = [[md(t.id)] + [f"{num(a)} / {num(t.available[k])}" if t.available else num(a)
                          for k, a in enumerate(t.allocated)] for t in r.types]
    out += [md_table([md(w("Type")), *map(md, r.periods)], rows,
                     set(range(1, len(r.periods) + 1))), ""]
    rows = [[("↳ " if a.depth else "") + md(a.name), f"{a.funded} / {a.projects}",
             num(a.perf_requested), num(a.perf_awarded), pct(a.share),
             pct(a.min_share, 0) if a.min_share > 0 else "", pct(a.max_share, 0)
             if a.max_share < 1 else "", md(w(a.standing))] for a in r.areas]
    out += [f"## {md(w('Priority areas'))}", "",
            md_table(_head(w, ["Area", "Funded / projects", "Requested (H100-eq.)",
                               "Awarded (H100-eq.)", "Share", "Floor", "Cap", "Standing"]),
                     rows, {2, 3, 4, 5, 6}), ""]
    return out


def _unfunded(r: Report, w: Words) -> list[str]:
    rows = []
    for p in r.unfunded:
        e = p.why
        why = (md(e.text) + "".join(f" · {md(d)}" for d in e.details)) if e else "—"
        size = (w("{n} GPUs", n=p["gpus_requested"]) if p["gpus_requested"] and not p.elastic
                else w("up to {n}", n=num(p.perf_requested or 0, 1)) + " H100-eq.")
        if e is not None and e.gpus:
            option = (w("elastic minimum") if e.option == "elastic"
                      else w("configuration {id}", id=e.option))
            size = f"{e.request} ({option})"
        rows.append([md(p["project"]), md(title_of(p.row, r.lang)), md(p["area"]), md(size),
                     md(w(e.label)) if e else "—", why, md(e.distance) if e else "—"])
    title = w("Projects not funded, and why ({n})", n=f"{len(r.unfunded):,}")
    head = ["Project", "Title", "Area", "Request", "Kept out by", "Why", "How far from funding"]
    return [f"## {md(title)}", "",
            md_table(_head(w, head), rows, {3}) if rows else md(w("Every project is funded.")),
            ""]


def render_markdown(r: Report) -> str:
    w = Words(r.lang)
    h = r.headline
    out = [f"# {md(w('GPU allocation report: {title}', title=h.title))}", ""]
    if h.description:
        out += [md(h.description), ""]
    out += _headline(r, w)
    out += [f"> {md(n)}" for n in r.notes] + ([""] if r.notes else [])
    out += _gpus(r, w)
    if r.budget is not None:
        out += budget_markdown(r.budget, w)
    if r.exposure is not None:
        out += exposure_markdown(r.exposure, w)
    if r.sites:
        rows = [[md(s.id), num(max(s.drawn_kw, default=0) / 1000, 2), num(s.limit_kw / 1000, 2)]
                for s in r.sites]
        out += [f"## {md(w('Site power'))}", "",
                md_table(_head(w, ["Site", "Peak draw (MW)", "Limit (MW)"]), rows, {1, 2}), ""]
    if r.timeline is not None:
        out += timeline_markdown(r.timeline, w)
    rows = [[md(p["project"]), md(title_of(p.row, r.lang)), md(p["owner"]), md(p["area"]),
             md(p["configuration"]), md(p["site"]), f"{md(p['start'])} – {md(p['end'])}",
             md(p["gpus_awarded"]), num(float(p["value"] or 0))] for p in r.funded]
    out += [f"## {md(w('Funded projects ({n})', n=f'{len(r.funded):,}'))}", "",
            md_table(_head(w, ["Project", "Title", "Owner", "Area", "Configuration", "Site",
                               "Runs", "GPUs", "Value"]), rows, {7, 8}), ""]
    out += _unfunded(r, w)
    if r.shadow_prices is not None:
        rows = [[md(x.get("rule", "")), md(x.get("key", "")), md(x.get("dual", ""))]
                for x in r.shadow_prices if float(x.get("dual") or 0) != 0]
        out += [f"## {md(w('Shadow prices'))}", "",
                md_table(_head(w, ["Rule", "Row", "Shadow price"]), rows, {2}), ""]
    return "\n".join(out)


def _money(x: float | None) -> str:
    return num(x) if x is not None else "—"


def budget_markdown(b: Budget, w: Words) -> list[str]:
    out = [f"## {md(w('Budget'))}", ""]
    rows = [[md(w(LINE_NAMES[x.key])), _money(x.limit), _money(x.used), _money(x.slack),
             pct(x.share_used)] for x in b.lines]
    out += [md_table([md(w("Budget line")), md(w("Limit ({currency})", currency=b.currency)),
                      md(w("Used")), md(w("Left (slack)")), md(w("Share used"))], rows,
                     {1, 2, 3, 4}), "", f"### {md(w('Spending by period'))}", ""]
    rows = [[md(p.period), num(p.capex), num(p.opex_public), num(p.public), num(p.cofunding)]
            for p in b.periods]
    rows.append([f"**{md(w('Total'))}**", num(b.capex), num(b.opex_public),
                 num(b.capex + b.opex_public), num(b.cofunding)])
    out += [md_table([md(w("Period")), md(w("Purchases")), md(w("Operation, public")),
                      md(w("Public total")), md(w("Co-funded by partners"))], rows,
                     {1, 2, 3, 4}), "", f"### {md(w('Spending by priority area'))}", ""]
    rows = [[md(a.name), num(a.opex_public), num(a.cofunding)] for a in b.areas]
    rows.append([md(w("Purchases (shared pool, not attributed to an area)")), num(b.capex),
                 num(0.0)])
    out += [md_table([md(w("Area")), md(w("Public spending")), md(w("Co-funded by partners"))],
                     rows, {1, 2}), "", f"### {md(w('Partners and users'))}", ""]
    if b.partners:
        rows = [[md(q.name), pct(q.share, 0), f"{q.projects:,}", num(q.cofunding),
                 num(q.gpu_periods_in_kind)] for q in b.partners]
        out += [md_table([md(w("Partner")), md(w("Share of operating cost it pays")),
                          md(w("Funded projects")),
                          md(w("Co-funding ({currency})", currency=b.currency)),
                          md(w("GPU-periods brought in kind"))], rows, {1, 2, 3, 4}), ""]
    out += [md(w("User revenue: not modelled (the instance sets no user fees); all operating "
                 "cost not co-funded is public.")), ""]
    return out


def exposure_markdown(e: Exposure, w: Words) -> list[str]:
    out = [f"## {md(w('Export-control exposure'))}", "",
           md(w("{share} of awarded capacity is on controlled types: {controlled} of {total} "
                "performance-equivalent GPU-periods.", share=pct(e.total.share),
                controlled=num(e.total.controlled_gp), total=num(e.total.perf_gp))), ""]
    head = [md(w("Awarded (perf. GPU-periods)")), md(w("On controlled types")),
            md(w("Controlled share"))]
    rows = [[md(a.name), num(a.perf_gp), num(a.controlled_gp), pct(a.share)] for a in e.areas]
    out += [md_table([md(w("Area")), *head], rows, {1, 2, 3}), "",
            f"### {md(w('By funded project'))}", ""]
    dependent = [p for p in e.projects if p.depends]
    out += [md(w("{n} funded projects have no uncontrolled alternative: every configuration "
                 "they may run uses a controlled type (“no” below). {m} more such projects "
                 "are not funded.", n=f"{len(dependent):,}",
                 m=f"{len(e.dependent_unfunded):,}")), ""]
    rows = [[md(p.id), num(p.perf_gp), num(p.controlled_gp), pct(p.share),
             md(w("no") if p.depends else w("yes"))] for p in e.projects]
    out += [md_table([md(w("Project")), *head, md(w("Uncontrolled alternative"))], rows,
                     {1, 2, 3}), ""]
    if e.scenarios:
        out += [f"### {md(w('Supply scenarios'))}", ""]
        rows = [[md(s.name), pct(s.probability, 0), num(s.exposed_gp), _money(s.value),
                 _money(s.at_risk)] for s in e.scenarios]
        out += [md_table([md(w("Scenario")), md(w("Probability")),
                          md(w("Awarded perf. GPU-periods exposed")), md(w("Value")),
                          md(w("Value at risk"))], rows, {1, 2, 3, 4}), "",
                md(w(SCENARIO_SOURCE[e.value_source])), ""]
    return out


def timeline_markdown(tl: Timeline, w: Words) -> list[str]:
    out = [f"## {md(w('Timeline'))}", "", f"### {md(w('Arrivals'))}", ""]
    rows = []
    for (g, s), cells in tl.arrivals_by().items():
        row = [f"{md(g)} · {md(s)}"]
        for k in range(len(tl.periods)):
            here = cells.get(k, [])
            bought = any(a.source == "purchase" for a in here)
            row.append(f"+{num(sum(a.units for a in here))}" + (f" ({md(w('bought'))})"
                                                               if bought else "")
                       if here else "")
        row.append(num(sum(a.units for v in cells.values() for a in v)))
        rows.append(row)
    out += [md_table([md(w("Type at site")), *map(md, tl.periods), md(w("Total"))], rows,
                     set(range(1, len(tl.periods) + 2))), ""]
    out += [f"### {md(w('Schedule of funded projects ({n})', n=f'{len(tl.schedule):,}'))}", ""]
    rows = [[md(r.project), md(r.area), md(r.site), md(r.gpu_text), md(r.start), md(r.end)]
            + ["■" if r.first <= k <= r.last else "" for k in range(len(tl.periods))]
            for r in tl.schedule]
    out += [md_table([md(w("Project")), md(w("Area")), md(w("Site")), md(w("GPUs")),
                      md(w("Start")), md(w("End")), *map(md, tl.periods)], rows), ""]
    return out
