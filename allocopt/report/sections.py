"""report.html's budget, export-control and timeline sections.

Each function takes the section's data (`budget`, `exposure`, `timeline`) and the
page's `Words`, and returns escaped HTML; every number cell carries its exact value
in `data-sort`, so tests and readers' tools can read the figure the cell rounds.
"""

from __future__ import annotations

from allocopt.report.budget import Budget
from allocopt.report.exposure import Exposure
from allocopt.report.i18n import Words
from allocopt.report.page import esc, num, pct, table, td
from allocopt.report.timeline import Timeline

LINE_NAMES = {"capex": "Purchases (capital)", "opex": "Operation (public share)",
              "total": "Total public spending"}
SCENARIO_SOURCE = {
    "robust": "Values per scenario: this folder's robust solve (summary.json, scenarios); "
              "value at risk is the best scenario's value less each scenario's. Capacity "
              "exposed: what this allocation holds beyond what would be on hand in the "
              "scenario, before any re-planning.",
    "none": "Values per scenario: none in this folder (solve with --policy robust to get "
            "them); the report solves nothing. Capacity exposed is computed from the "
            "instance and this allocation alone: what it holds beyond what would be on hand "
            "in the scenario, before any re-planning.",
}


def _h2(anchor: str, text: str) -> str:
    return f'<h2 id="{anchor}">{esc(text)}</h2>'


def _h3(text: str) -> str:
    return f"<h3>{esc(text)}</h3>"


def _lead(text: str, attrs: str = "") -> str:
    return f'<p class="lead"{attrs}>{esc(text)}</p>'


def _money(x: float | None) -> str:
    return td(num(x), x) if x is not None else td("—", None, numeric=True)


def budget_html(b: Budget, w: Words) -> str:
    rows = []
    for line in b.lines:
        rows.append(f'<tr data-line="{line.key}">' + td(esc(w(LINE_NAMES[line.key])))
                    + _money(line.limit) + _money(line.used) + _money(line.slack)
                    + td(pct(line.share_used), line.share_used, numeric=True) + "</tr>")
    lines = table("budget-table", [(esc(w("Budget line")), False),
                                   (esc(w("Limit ({currency})", currency=b.currency)), True),
                                   (esc(w("Used")), True), (esc(w("Left (slack)")), True),
                                   (esc(w("Share used")), True)], rows)
    rows = [f'<tr data-period="{esc(p.period)}">' + td(esc(p.period)) + _money(p.capex)
            + _money(p.opex_public) + _money(p.public) + _money(p.cofunding) + "</tr>"
            for p in b.periods]
    rows.append('<tr class="total" data-period="total">' + td(f"<strong>{esc(w('Total'))}"
                                                              "</strong>")
                + _money(b.capex) + _money(b.opex_public) + _money(b.capex + b.opex_public)
                + _money(b.cofunding) + "</tr>")
    head = [(esc(w("Period")), False), (esc(w("Purchases")), True),
            (esc(w("Operation, public")), True), (esc(w("Public total")), True),
            (esc(w("Co-funded by partners")), True)]
    periods = table("spend-period-table", head, rows)
    rows = [f'<tr data-area="{esc(a.area)}">' + td(esc(a.name)) + _money(a.opex_public)
            + _money(a.cofunding) + "</tr>" for a in b.areas]
    rows.append('<tr data-area="purchases">' + td(esc(w("Purchases (shared pool, not "
                                                          "attributed to an area)")))
                + _money(b.capex) + _money(0.0) + "</tr>")
    areas = table("spend-area-table", [(esc(w("Area")), False),
                                       (esc(w("Public spending")), True),
                                       (esc(w("Co-funded by partners")), True)], rows)
    parts = [_h2("budget", w("Budget")),
             _lead(w("Each budget line with its limit, what the allocation uses and what is "
                     "left, in {currency}. Partners' co-funding and GPUs are not public money "
                     "and are shown apart.", currency=b.currency)),
             lines, _h3(w("Spending by period")),
             _lead(w("Purchases count in the period they arrive; operation in every period a "
                     "project runs.")), periods,
             _h3(w("Spending by priority area")), areas, _h3(w("Partners and users"))]
    if b.partners:
        rows = [f'<tr data-partner="{esc(q.partner)}">'
                + td(f"<strong>{esc(q.name)}</strong><small>{esc(q.partner)}</small>")
                + td(pct(q.share, 0), q.share) + td(f"{q.projects:,}", q.projects)
                + _money(q.cofunding) + td(num(q.gpu_periods_in_kind), q.gpu_periods_in_kind)
                + "</tr>" for q in b.partners]
        parts.append(table("partners-table", [
            (esc(w("Partner")), False), (esc(w("Share of operating cost it pays")), True),
            (esc(w("Funded projects")), True),
            (esc(w("Co-funding ({currency})", currency=b.currency)), True),
            (esc(w("GPU-periods brought in kind")), True)], rows))
    revenue = w("User revenue: not modelled (the instance sets no user fees); all operating "
                "cost not co-funded is public.")
    parts.append(f'<p id="user-revenue">{esc(revenue)}</p>')
    return "\n".join(parts)


def _share_cells(perf_gp: float, controlled: float, share: float | None) -> str:
    return td(num(perf_gp), perf_gp) + td(num(controlled), controlled) + td(
        pct(share), share if share is not None else 0.0)


def exposure_html(e: Exposure, w: Words) -> str:
    types = ", ".join(e.controlled_types) or w("none")
    parts = [_h2("exposure", w("Export-control exposure")),
             _lead(w("Awarded capacity (performance-equivalent GPU-periods) on "
                     "export-controlled GPU types ({types}).", types=types)),
             f'<p id="exposure-total" data-value="{e.total.share or 0.0!r}">'
             + esc(w("{share} of awarded capacity is on controlled types: {controlled} of "
                     "{total} performance-equivalent GPU-periods.",
                     share=pct(e.total.share), controlled=num(e.total.controlled_gp),
                     total=num(e.total.perf_gp))) + "</p>"]
    head = [(esc(w("Awarded (perf. GPU-periods)")), True),
            (esc(w("On controlled types")), True), (esc(w("Controlled share")), True)]
    rows = [f'<tr data-area="{esc(a.id)}">' + td(esc(a.name))
            + _share_cells(a.perf_gp, a.controlled_gp, a.share) + "</tr>" for a in e.areas]
    parts.append(table("exposure-area-table", [(esc(w("Area")), False), *head], rows))
    dependent = [p for p in e.projects if p.depends]
    parts.append(_h3(w("By funded project")))
    parts.append(_lead(w("{n} funded projects have no uncontrolled alternative: every "
                         "configuration they may run uses a controlled type (“no” below). {m} "
                         "more such projects are not funded.", n=f"{len(dependent):,}",
                         m=f"{len(e.dependent_unfunded):,}"), ' id="dependent-note"'))
    rows = [f'<tr data-project="{esc(p.id)}">' + td(f"<strong>{esc(p.name)}</strong>"
                                                    f"<small>{esc(p.id)}</small>")
            + _share_cells(p.perf_gp, p.controlled_gp, p.share)
            + td(esc(w("no") if p.depends else w("yes"))) + "</tr>" for p in e.projects]
    parts.append(table("exposure-project-table",
                       [(esc(w("Project")), False), *head,
                        (esc(w("Uncontrolled alternative")), False)], rows, sortable=True,
                       search=w("Search projects")))
    if e.scenarios:
        parts.append(_scenarios_html(e, w))
    return "\n".join(parts)


def _scenarios_html(e: Exposure, w: Words) -> str:
    source = w(SCENARIO_SOURCE[e.value_source])
    rows = [f'<tr data-id="{esc(s.id)}">'
            + td(f"<strong>{esc(s.name)}</strong><small>{esc(s.id)}</small>")
            + td(pct(s.probability, 0), s.probability) + td(num(s.exposed_gp), s.exposed_gp)
            + _money(s.value) + _money(s.at_risk) + "</tr>" for s in e.scenarios]
    return (_h3(w("Supply scenarios"))
            + _lead(source, f' id="scenarios-source" data-source="{e.value_source}"')
            + table("scenarios-table", [
                (esc(w("Scenario")), False), (esc(w("Probability")), True),
                (esc(w("Awarded perf. GPU-periods exposed")), True), (esc(w("Value")), True),
                (esc(w("Value at risk")), True)], rows))


def timeline_html(tl: Timeline, w: Words) -> str:
    by = tl.arrivals_by()
    rows = []
    for (g, s), cells in by.items():
        tds = []
        for k in range(len(tl.periods)):
            here = cells.get(k, [])
            units = sum(a.units for a in here)
            marks = sorted({w("bought") if a.source == "purchase" else
                            w("partner") if a.source == "partner" else "" for a in here} - {""})
            text = f"+{num(units)}" + (f"<small>{esc(', '.join(marks))}</small>" if marks
                                       else "") if here else ""
            tds.append(td(text, units if here else 0.0))
        total = sum(a.units for v in cells.values() for a in v)
        rows.append(f'<tr data-type="{esc(g)}" data-site="{esc(s)}">'
                    + td(f"<strong>{esc(g)}</strong><small>{esc(s)}</small>")
                    + "".join(tds) + td(num(total), total) + "</tr>")
    arrivals = table("arrivals-table", [(esc(w("Type at site")), False)]
                     + [(esc(p), True) for p in tl.periods] + [(esc(w("Total")), True)], rows)
    bought = [a for a in tl.arrivals if a.source == "purchase"]
    parts = [_h2("timeline", w("Timeline")),
             _lead(w("GPUs arriving per type and site (deliveries, partners' deliveries and "
                     "purchases), then when each funded project runs.")),
             _h3(w("Arrivals")), arrivals]
    if bought:
        rows = ["<tr>" + td(esc(a.option)) + td(esc(a.gpu_type)) + td(esc(a.site))
                + td(esc(a.period)) + td(num(a.units), a.units)
                + td(esc(w("{n} periods", n=a.lead_periods)) if a.lead_periods is not None
                     else "—", a.lead_periods) + "</tr>" for a in bought]
        parts.append(table("purchase-arrivals-table", [
            (esc(w("Option")), False), (esc(w("Type")), False), (esc(w("Site")), False),
            (esc(w("Arrives")), False), (esc(w("Units")), True),
            (esc(w("Lead time (from the first period)")), True)], rows))
    parts.append(_h3(w("Schedule of funded projects ({n})", n=f"{len(tl.schedule):,}")))
    parts.append(_gantt(tl, w))
    return "\n".join(parts)


def _gantt(tl: Timeline, w: Words) -> str:
    rows = []
    for r in tl.schedule:
        cells = []
        for k in range(len(tl.periods)):
            on = r.first <= k <= r.last
            cells.append(f'<td class="g{" on" if on else ""}" data-sort="{int(on)}">'
                         + ('<span class="sr">■</span>' if on else "") + "</td>")
        rows.append(f'<tr data-project="{esc(r.project)}" data-start="{esc(r.start)}" '
                    f'data-end="{esc(r.end)}">'
                    + td(f"<strong>{esc(r.title or r.project)}</strong>"
                         f"<small>{esc(r.project)}</small>")
                    + td(esc(r.area)) + td(esc(r.site)) + td(esc(r.gpu_text), sum(r.gpus.values()))
                    + td(f'<span class="nowrap">{esc(r.start)} – {esc(r.end)}</span>', r.first,
                         numeric=False)
                    + "".join(cells) + "</tr>")
    head = [(esc(w("Project")), False), (esc(w("Area")), False), (esc(w("Site")), False),
            (esc(w("GPUs")), True), (esc(w("Runs")), False)]
    head += [(f'<span class="vp">{esc(p)}</span>', False) for p in tl.periods]
    return table("schedule-table", head, rows, sortable=True,
                 search=w("Search the schedule (project, area, site, type)"))
