"""report.html: one self-contained page a policymaker can read, print and forward.

Headline figures first, then GPUs, areas, site power, funded projects, and the
projects left out with the rule that kept each out. Every user string is escaped
with `esc`; charts come from `plots` as inline SVG.
"""

from __future__ import annotations

from allocopt.report.i18n import Words
from allocopt.report.page import esc, num, page, pct, table, td
from allocopt.report.sections import budget_html, exposure_html, timeline_html
from allocopt.report.tables import AreaRow, ProjectRow, Report, policy_text, title_of


def _kpi(kpi_id: str, label: str, value: str, context: str, data: object = "") -> str:
    return (f'<div class="kpi" id="kpi-{kpi_id}"><span class="label">{label}</span>'
            f'<span class="value" data-value="{esc(data)}">{value}</span>'
            f'<span class="context">{context}</span></div>')


def headline_html(r: Report) -> str:
    w = Words(r.lang)
    h = r.headline
    spend = h.spend or {}
    currency = spend.get("currency", "")
    run = f"{h.wall_s:,.1f} s"
    if h.time_limit_s:
        run += " " + w("(limit {limit} s)", limit=f"{h.time_limit_s:g}")
    achieved = (w("{share} of the proven upper bound {bound}", share=pct(h.achieved),
                  bound=num(h.bound)) if h.achieved is not None else
                w("proven lower bound {bound}", bound=num(h.bound))
                if h.minimised and h.bound is not None else w("no bound proven"))
    reasons = _reason_counts(r)
    out = w("{n} not funded", n=f"{h.projects - h.funded:,}")
    if reasons:
        out += ": " + ", ".join(f"{n} {label}" for label, n in reasons[:3])
    budget = (w("; budget {total}", total=num(h.budget_total))
              if h.budget_total is not None else "")
    kpis = [
        _kpi("funded", esc(w("Projects funded")),
             esc(w("{n} of {total}", n=f"{h.funded:,}", total=f"{h.projects:,}")), esc(out),
             h.funded),
        _kpi("objective", esc(w("Cost (minimised)") if h.minimised else w("Value achieved")),
             num(h.objective), esc(achieved), h.objective),
        _kpi("gap", esc(w("Optimality gap")), pct(h.gap, 2),
             f'<span id="kpi-status" data-value="{esc(h.status)}">'
             f"{esc(w(h.status_text))}</span>", h.gap),
        _kpi("spend", esc(w("Public spend")), f"{num(spend.get('total'))} {esc(currency)}",
             esc(w("purchases {capex} + operation {opex}", capex=num(spend.get("capex")),
                   opex=num(spend.get("opex_public"))) + budget), spend.get("total")),
        _kpi("solver", esc(w("Solver and run time")), esc(h.backend), esc(run), h.wall_s),
        _kpi("verified", esc(w("Rules re-checked")),
             esc(w("All hold") if h.verified else w("VIOLATED")),
             esc(w("every rule recomputed from the allocation alone") if h.verified
                 else w("see summary.json: violations")), str(h.verified).lower()),
    ]
    return (f'<section aria-label="{esc(w("Headline figures"))}"><div class="kpis">'
            f'{"".join(kpis)}</div>'
            f'<p class="policy" id="policy">{esc(policy_text(r.summary, w))}</p>'
            f'<p class="fingerprint">{esc(w("Instance fingerprint (SHA-256):"))} '
            f'<code id="fingerprint">{esc(h.sha256)}</code>'
            f' · allocopt {esc(h.version)}</p></section>')


def _reason_counts(r: Report) -> list[tuple[str, int]]:
    """(reason label, projects) for the unfunded projects, most frequent first."""
    from collections import Counter

    w = Words(r.lang)
    counts = Counter(w(p.why.label) for p in r.unfunded if p.why is not None)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _type_summary(r: Report) -> str:
    w = Words(r.lang)
    rows = []
    for t in r.types:
        used = sum(t.allocated)
        cells = [td(f"<strong>{esc(t.id)}</strong><small>{esc(t.name)}</small>"),
                 td(num(max(t.allocated, default=0.0)), max(t.allocated, default=0.0))]
        if t.available is not None:
            have = sum(t.available)
            cells += [td(num(t.available[-1] if t.available else 0.0),
                         t.available[-1] if t.available else 0.0),
                      td(num(used), used), td(num(have), have),
                      td(pct(used / have if have else None), used / have if have else 0.0)]
        else:
            cells += [td(num(used), used)]
        rows.append(f'<tr data-type="{esc(t.id)}">' + "".join(cells) + "</tr>")
    head = [(w("GPU type"), False), (w("Peak allocated"), True)]
    head += ([(w("On hand at end"), True), (w("GPU-periods allocated"), True),
              (w("GPU-periods available"), True), (w("Utilisation"), True)]
             if r.with_instance else [(w("GPU-periods allocated"), True)])
    return table("types-table", [(esc(x), n) for x, n in head], rows)


def _type_periods(r: Report) -> str:
    w = Words(r.lang)
    rows = []
    for t in r.types:
        cells = [td(f"<strong>{esc(t.id)}</strong>")]
        for k, a in enumerate(t.allocated):
            if t.available is not None:
                cells.append(td(f"{num(a)}<small>{esc(w('of {n}', n=num(t.available[k])))}"
                                "</small>", a))
            else:
                cells.append(td(num(a), a))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = [(esc(w("Type")), False)] + [(esc(p), True) for p in r.periods]
    return table("type-period-table", head, rows)


def _area_row(a: AreaRow, w: Words) -> str:
    met = a.perf_awarded / a.perf_requested if a.perf_requested else None
    limits = " – ".join(x for x in (f"≥ {pct(a.min_share, 0)}" if a.min_share > 0 else "",
                                    f"≤ {pct(a.max_share, 0)}" if a.max_share < 1 else "") if x)
    cls = ' class="child"' if a.depth else ""
    name = ("↳ " if a.depth else "") + esc(a.name)
    return (f'<tr{cls} data-area="{esc(a.id)}">'
            + td(f"{name}<small>{esc(a.id)}</small>")
            + td(f"{a.funded:,} / {a.projects:,}", a.funded)
            + td(num(a.perf_requested), a.perf_requested)
            + td(num(a.perf_awarded), a.perf_awarded)
            + td(pct(met, 0), met if met is not None else 0.0)
            + td(pct(a.share), a.share)
            + td(esc(limits or w("none")))
            + td(f'<span class="badge">{esc(w(a.standing))}</span>')
            + "</tr>")


def _areas(r: Report) -> str:
    w = Words(r.lang)
    head = [("Area", False), ("Funded / projects", True), ("Requested (H100-eq.)", True),
            ("Awarded (H100-eq.)", True), ("Request met", True), ("Share", True),
            ("Share rule", False), ("Standing", False)]
    return table("areas-table", [(esc(w(x)), n) for x, n in head],
                 [_area_row(a, w) for a in r.areas])


def _power(r: Report) -> str:
    w = Words(r.lang)
    rows = []
    for s in r.sites or []:
        peak = max(s.drawn_kw, default=0.0)
        rows.append(f'<tr data-site="{esc(s.id)}">'
                    + td(f"<strong>{esc(s.id)}</strong><small>{esc(s.name)}</small>")
                    + td(num(peak / 1000, 2), peak) + td(num(s.limit_kw / 1000, 2), s.limit_kw)
                    + td(pct(peak / s.limit_kw if s.limit_kw else None), peak / s.limit_kw
                         if s.limit_kw else 0.0) + "</tr>")
    head = [("Site", False), ("Peak draw (MW)", True), ("Limit (MW)", True),
            ("Peak as % of limit", True)]
    return table("power-table", [(esc(w(x)), n) for x, n in head], rows)


def _project_cell(p: ProjectRow, lang: str) -> str:
    owner = f" · {esc(p['owner'])}" if p["owner"] else ""
    return td(f"<strong>{esc(title_of(p.row, lang)) or esc(p['project'])}</strong>"
              f"<small>{esc(p['project'])}{owner}</small>")


def _funded_row(p: ProjectRow, w: Words) -> str:
    value = float(p["value"] or 0)
    awarded = float(p["gpus_awarded"] or 0)
    met = (f"<small>{esc(w('{share} of request', share=pct(p.request_met, 0)))}</small>"
           if p.request_met else "")
    return (f'<tr data-project="{esc(p["project"])}">' + _project_cell(p, w.lang)
            + td(esc(p["area"]))
            + td(f"{esc(p['configuration'])}<small>{esc(w('at {site}', site=p['site']))}"
                 "</small>")
            + td(f"{esc(p['start'])} – {esc(p['end'])}")
            + td(f"{num(awarded)}{met}", awarded)
            + td(num(value), value) + "</tr>")


def _unfunded_row(p: ProjectRow, words: Words) -> str:
    w = p.why
    want = p.perf_requested or 0.0
    size = (esc(words("{n} GPUs", n=p["gpus_requested"]))
            + f"<small>{num(want, 1)} H100-eq.</small>"
            if p["gpus_requested"] and not p.elastic
            else esc(words("up to {n}", n=num(want, 1))) + "<small>H100-eq.</small>")
    if w is not None and w.gpus:  # the option the reason is about
        option = (words("elastic minimum") if w.option == "elastic"
                  else words("configuration {id}", id=w.option))
        size = (f'<span class="nowrap">{esc(w.request)}</span><small>'
                + esc(words("{option}; largest request {n} H100-eq.", option=option,
                            n=num(want, 1))) + "</small>")
    if w is None:
        reason, why, far = "—", esc(words("Give the instance to see why.")), "—"
    else:
        reason = f'<span class="badge">{esc(words(w.label))}</span>'
        extra = "".join(f"<li>{esc(d)}</li>" for d in w.details)
        closest = (f"<li>{esc(words('closest option: {where}', where=w.closest))}</li>"
                   if w.closest else "")
        why = esc(w.text) + (f"<ul>{extra}{closest}</ul>" if extra or closest else "")
        far = esc(w.distance)
    ratio = w.ratio if w is not None else None
    window = ('<span class="nowrap">' + esc(p.window).replace(", ", "</span><small>", 1)
              + "</small>" if p.window else "—")
    return (f'<tr data-project="{esc(p["project"])}" data-rule="{esc(w.rule if w else "")}">'
            + _project_cell(p, words.lang) + td(esc(p["area"])) + td(window)
            + td(size, want) + td(reason) + td(why)
            + td(far, ratio, numeric=False) + "</tr>")


def _shadow(r: Report) -> str:
    w = Words(r.lang)
    rows = []
    for row in sorted(r.shadow_prices or [], key=lambda x: -abs(float(x.get("dual") or 0))):
        dual = float(row.get("dual") or 0)
        if dual == 0:
            continue
        rows.append("<tr>" + td(esc(row.get("rule", ""))) + td(esc(row.get("key", "")))
                    + td(num(dual, 4), dual) + "</tr>")
    head = [(esc(w("Rule")), False), (esc(w("Row")), False), (esc(w("Shadow price")), True)]
    return table("shadow-table", head, rows, sortable=True, search=w("Search shadow prices"))


def _gpus_section(r: Report, charts: dict[str, str], w: Words) -> list[str]:
    lead = (w("How much of each GPU type projects hold, per period, against what is on hand "
              "(deliveries and purchases so far).") if r.with_instance
            else w("How much of each GPU type projects hold, per period."))
    caption = w("GPUs of each type allocated to projects per period (bars) against the GPUs "
                "available (dashed line); the title gives the share of GPU-periods used.")
    return [f'<h2 id="gpus">{esc(w("GPUs allocated and available"))}</h2>'
            f'<p class="lead">{esc(lead)}</p>',
            f'<figure>{charts["utilisation"]}<figcaption id="utilisation-caption">'
            f"{esc(caption)}</figcaption></figure>",
            _type_summary(r), f"<h3>{esc(w('By period'))}</h3>", _type_periods(r)]


def _areas_section(r: Report, charts: dict[str, str], w: Words) -> list[str]:
    lead = w("GPUs requested and awarded per national priority area, and each area's share "
             "of the awarded capacity (performance-equivalent GPU-periods) against its floor "
             "and cap. Sub-areas are also counted in their parent.")
    caption = w("Left: GPUs requested (hatched) and awarded (solid). Right: share of awarded "
                "capacity; ▲ marks a floor, ▼ a cap.")
    return [f'<h2 id="areas">{esc(w("Priority areas"))}</h2><p class="lead">{esc(lead)}</p>',
            f'<figure>{charts["areas"]}<figcaption id="areas-caption">{esc(caption)}'
            "</figcaption></figure>", _areas(r)]


def _power_section(r: Report, charts: dict[str, str], w: Words) -> list[str]:
    lead = w("Power drawn by allocated GPUs (units × kW per GPU × site PUE) against each "
             "site's limit.")
    caption = w("Power drawn per period (hatched bars) and the site limit (dashed line).")
    parts = [f'<h2 id="power">{esc(w("Site power"))}</h2><p class="lead">{esc(lead)}</p>',
             f'<figure>{charts["power"]}<figcaption id="power-caption">{esc(caption)}'
             "</figcaption></figure>", _power(r)]
    if r.purchases:
        rows = ["<tr>" + td(esc(b.get("option", ""))) + td(esc(b.get("gpu_type", "")))
                + td(esc(b.get("site", ""))) + td(esc(b.get("period", "")))
                + td(num(float(b.get("units") or 0)), float(b.get("units") or 0))
                + td(num(float(b.get("cost") or 0)), float(b.get("cost") or 0)) + "</tr>"
                for b in r.purchases]
        head = [("Option", False), ("Type", False), ("Site", False), ("Arrives", False),
                ("Units", True), ("Cost", True)]
        parts += [f"<h3>{esc(w('GPUs bought'))}</h3>",
                  table("purchases-table", [(esc(w(x)), n) for x, n in head], rows)]
    return parts


def _projects_sections(r: Report, w: Words) -> list[str]:
    parts = [f'<h2 id="funded">{esc(w("Funded projects ({n})", n=f"{len(r.funded):,}"))}</h2>']
    head = [("Project", False), ("Area", False), ("Award", False), ("Runs", False),
            ("GPUs", True), ("Value", True)]
    parts.append(table("funded-table", [(esc(w(x)), n) for x, n in head],
                       [_funded_row(p, w) for p in r.funded], sortable=True,
                       search=w("Search funded projects")))
    reasons = _reason_counts(r)
    tally = (w("Kept out by {reasons}.", reasons="; ".join(f"{label}: {n}"
                                                          for label, n in reasons)) + " "
             if reasons else "")
    title = w("Projects not funded, and why ({n})", n=f"{len(r.unfunded):,}")
    parts.append(f'<h2 id="unfunded">{esc(title)}</h2>')
    if not r.unfunded:
        parts.append(f'<p id="all-funded">{esc(w("Every project is funded."))}</p>')
        return parts
    lead = tally + w("For each project, the rule that kept it out at its closest option "
                     "(configuration, site and start; its GPUs are under Request), any other "
                     "rule that option would break, and how far it was from funding.")
    head = [("Project", False), ("Area", False), ("Window", False), ("Request", True),
            ("Kept out by", False), ("Why", False), ("How far from funding", False)]
    parts += [f'<p class="lead">{esc(lead)}</p>',
              table("unfunded-table", [(esc(w(x)), n) for x, n in head],
                    [_unfunded_row(p, w) for p in r.unfunded], sortable=True,
                    search=w("Search projects not funded"))]
    return parts


def render_html(r: Report, charts: dict[str, str]) -> str:
    w = Words(r.lang)
    h = r.headline
    title = w("GPU allocation report: {title}", title=h.title)
    status = w("{status} · solver {backend} · {n} of {total} projects funded",
               status=w(h.status_text), backend=h.backend, n=f"{h.funded:,}",
               total=f"{h.projects:,}")
    header = (f"<h1>{esc(title)}</h1>"
              + (f"<p>{esc(h.description)}</p>" if h.description else "")
              + f"<p>{esc(status)}</p>")
    parts = [headline_html(r), _contents(r)]
    if r.notes:
        parts.append('<div class="notes" role="note">'
                     + "".join(f"<p>{esc(n)}</p>" for n in r.notes) + "</div>")
    parts += _gpus_section(r, charts, w) + _areas_section(r, charts, w)
    if r.budget is not None:
        parts.append(budget_html(r.budget, w))
    if r.exposure is not None:
        parts.append(exposure_html(r.exposure, w))
    if r.sites:
        parts += _power_section(r, charts, w)
    if r.timeline is not None:
        parts.append(timeline_html(r.timeline, w))
    parts += _projects_sections(r, w)
    if r.shadow_prices is not None:
        lead = w("What one more unit of each binding resource would add to the total value "
                 "(non-zero rows).")
        parts += [f'<h2 id="shadow">{esc(w("Shadow prices"))}</h2>'
                  f'<p class="lead">{esc(lead)}</p>', _shadow(r)]
    parts.append(_footer(w))
    return page(title, header, "\n".join(parts), lang=r.lang)


def _contents(r: Report) -> str:
    w = Words(r.lang)
    links = [("gpus", w("GPUs")), ("areas", w("Priority areas"))]
    links += [("budget", w("Budget"))] if r.budget is not None else []
    links += [("exposure", w("Export controls"))] if r.exposure is not None else []
    links += [("power", w("Site power"))] if r.sites else []
    links += [("timeline", w("Timeline"))] if r.timeline is not None else []
    links += [("funded", w("Funded projects ({n})", n=f"{len(r.funded):,}")),
              ("unfunded", w("Not funded, and why ({n})", n=f"{len(r.unfunded):,}"))]
    links += [("shadow", w("Shadow prices"))] if r.shadow_prices is not None else []
    return (f'<nav class="contents" aria-label="{esc(w("Contents"))}">'
            + " · ".join(f'<a href="#{k}">{esc(v)}</a>' for k, v in links) + "</nav>")


FOOTER_TERMS = (
    ("Value", "Σ over funded projects of area weight × merit score × size in "
              "performance-equivalent GPU-periods (or the configuration's stated value), "
              "less any late-start penalty."),
    ("Upper bound and gap", "The solver proves no allocation is worth more than the "
                            "bound; the gap is (bound − value) / value."),
    ("H100-equivalent (performance-equivalent) GPU", "One H100-class GPU; other types "
                                                     "count by their relative performance "
                                                     "in the instance."),
    ("Why a project is out", "Recomputed from the instance and this allocation: the "
                             "project is tried at every configuration, site and start "
                             "in its window; the closest try names the rule it breaks."),
)


def _footer(w: Words) -> str:
    items = "".join(f"<dt>{esc(w(k))}</dt><dd>{esc(w(v))}</dd>" for k, v in FOOTER_TERMS)
    return f"<footer><h3>{esc(w('How to read this report'))}</h3><dl>{items}</dl></footer>"
