"""report.html: one self-contained page a policymaker can read, print and forward.

Headline figures first, then GPUs, areas, site power, funded projects, and the
projects left out with the rule that kept each out. Every user string is escaped
with `esc`; charts come from `plots` as inline SVG.
"""

from __future__ import annotations

from allocopt.report.i18n import Words
from allocopt.report.page import esc, num, page, pct, table, td
from allocopt.report.sections import budget_html, exposure_html, timeline_html
from allocopt.report.tables import AreaRow, ProjectRow, Report


def _kpi(kpi_id: str, label: str, value: str, context: str, data: object = "") -> str:
    return (f'<div class="kpi" id="kpi-{kpi_id}"><span class="label">{label}</span>'
            f'<span class="value" data-value="{esc(data)}">{value}</span>'
            f'<span class="context">{context}</span></div>')


def headline_html(r: Report) -> str:
    h = r.headline
    spend = h.spend or {}
    currency = esc(spend.get("currency", ""))
    run = f"{h.wall_s:,.1f} s"
    if h.time_limit_s:
        run += f" (limit {h.time_limit_s:g} s)"
    achieved = (f"{pct(h.achieved)} of the proven upper bound {num(h.bound)}"
                if h.achieved is not None else
                f"proven lower bound {num(h.bound)}" if h.minimised and h.bound is not None
                else "no bound proven")
    reasons = _reason_counts(r)
    out = f"{h.projects - h.funded:,} not funded"
    if reasons:
        out += ": " + ", ".join(f"{n} {esc(label)}" for label, n in reasons[:3])
    kpis = [
        _kpi("funded", "Projects funded", f"{h.funded:,} of {h.projects:,}", out, h.funded),
        _kpi("objective", "Cost (minimised)" if h.minimised else "Value achieved",
             num(h.objective), esc(achieved), h.objective),
        _kpi("gap", "Optimality gap", pct(h.gap, 2),
             f'<span id="kpi-status" data-value="{esc(h.status)}">{esc(h.status_text)}</span>',
             h.gap),
        _kpi("spend", "Public spend", f"{num(spend.get('total'))} {currency}",
             f"purchases {num(spend.get('capex'))} + operation "
             f"{num(spend.get('opex_public'))}"
             + (f"; budget {num(h.budget_total)}" if h.budget_total is not None else ""),
             spend.get("total")),
        _kpi("solver", "Solver and run time", esc(h.backend), esc(run), h.wall_s),
        _kpi("verified", "Rules re-checked", "All hold" if h.verified else "VIOLATED",
             "every rule recomputed from the allocation alone" if h.verified
             else "see summary.json: violations", str(h.verified).lower()),
    ]
    return (f'<section aria-label="Headline figures"><div class="kpis">{"".join(kpis)}</div>'
            f'<p class="policy" id="policy">{esc(h.policy_text)}</p>'
            f'<p class="fingerprint">Instance fingerprint (SHA-256): '
            f'<code id="fingerprint">{esc(h.sha256)}</code>'
            f' · allocopt {esc(h.version)}</p></section>')


def _reason_counts(r: Report) -> list[tuple[str, int]]:
    """(reason label, projects) for the unfunded projects, most frequent first."""
    from collections import Counter

    counts = Counter(p.why.label for p in r.unfunded if p.why is not None)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _type_summary(r: Report) -> str:
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
    head = [("GPU type", False), ("Peak allocated", True)]
    head += ([("On hand at end", True), ("GPU-periods allocated", True),
              ("GPU-periods available", True), ("Utilisation", True)]
             if r.with_instance else [("GPU-periods allocated", True)])
    return table("types-table", head, rows)


def _type_periods(r: Report) -> str:
    rows = []
    for t in r.types:
        cells = [td(f"<strong>{esc(t.id)}</strong>")]
        for k, a in enumerate(t.allocated):
            if t.available is not None:
                cells.append(td(f"{num(a)}<small>of {num(t.available[k])}</small>", a))
            else:
                cells.append(td(num(a), a))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = [("Type", False)] + [(esc(p), True) for p in r.periods]
    return table("type-period-table", head, rows)


def _area_row(a: AreaRow) -> str:
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
            + td(limits or "none")
            + td(f'<span class="badge">{esc(a.standing)}</span>')
            + "</tr>")


def _areas(r: Report) -> str:
    head = [("Area", False), ("Funded / projects", True), ("Requested (H100-eq.)", True),
            ("Awarded (H100-eq.)", True), ("Request met", True), ("Share", True),
            ("Share rule", False), ("Standing", False)]
    return table("areas-table", head, [_area_row(a) for a in r.areas])


def _power(r: Report) -> str:
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
    return table("power-table", head, rows)


def _project_cell(p: ProjectRow) -> str:
    owner = f" · {esc(p['owner'])}" if p["owner"] else ""
    return td(f"<strong>{esc(p['title']) or esc(p['project'])}</strong>"
              f"<small>{esc(p['project'])}{owner}</small>")


def _funded_row(p: ProjectRow) -> str:
    value = float(p["value"] or 0)
    awarded = float(p["gpus_awarded"] or 0)
    met = f"<small>{pct(p.request_met, 0)} of request</small>" if p.request_met else ""
    return (f'<tr data-project="{esc(p["project"])}">' + _project_cell(p) + td(esc(p["area"]))
            + td(f"{esc(p['configuration'])}<small>at {esc(p['site'])}</small>")
            + td(f"{esc(p['start'])} – {esc(p['end'])}")
            + td(f"{num(awarded)}{met}", awarded)
            + td(num(value), value) + "</tr>")


def _unfunded_row(p: ProjectRow) -> str:
    w = p.why
    want = p.perf_requested or 0.0
    size = (f"{esc(p['gpus_requested'])} GPUs<small>{num(want, 1)} H100-eq.</small>"
            if p["gpus_requested"] and not p.elastic
            else f"up to {num(want, 1)}<small>H100-eq.</small>")
    if w is not None and w.gpus:  # the option the reason is about
        option = ("elastic minimum" if w.option == "elastic"
                  else f"configuration {w.option}")
        size = (f'<span class="nowrap">{esc(w.request)}</span><small>{esc(option)}; largest '
                f"request {num(want, 1)} H100-eq.</small>")
    if w is None:
        reason, why, far = "—", "Give the instance to see why.", "—"
    else:
        reason = f'<span class="badge">{esc(w.label)}</span>'
        extra = "".join(f"<li>{esc(d)}</li>" for d in w.details)
        closest = f"<li>closest option: {esc(w.closest)}</li>" if w.closest else ""
        why = esc(w.text) + (f"<ul>{extra}{closest}</ul>" if extra or closest else "")
        far = esc(w.distance)
    ratio = w.ratio if w is not None else None
    window = ('<span class="nowrap">' + esc(p.window).replace(", ", "</span><small>", 1)
              + "</small>" if p.window else "—")
    return (f'<tr data-project="{esc(p["project"])}" data-rule="{esc(w.rule if w else "")}">'
            + _project_cell(p) + td(esc(p["area"])) + td(window)
            + td(size, want) + td(reason) + td(why)
            + td(far, ratio, numeric=False) + "</tr>")


def _shadow(r: Report) -> str:
    rows = []
    for row in sorted(r.shadow_prices or [], key=lambda x: -abs(float(x.get("dual") or 0))):
        dual = float(row.get("dual") or 0)
        if dual == 0:
            continue
        rows.append("<tr>" + td(esc(row.get("rule", ""))) + td(esc(row.get("key", "")))
                    + td(num(dual, 4), dual) + "</tr>")
    head = [("Rule", False), ("Row", False), ("Shadow price", True)]
    return table("shadow-table", head, rows, sortable=True, search="Search shadow prices")


def render_html(r: Report, charts: dict[str, str]) -> str:
    h = r.headline
    header = (f"<h1>GPU allocation report: {esc(h.title)}</h1>"
              + (f"<p>{esc(h.description)}</p>" if h.description else "")
              + f"<p>{esc(h.status_text)} · solver {esc(h.backend)} · "
                f"{h.funded:,} of {h.projects:,} projects funded</p>")
    parts = [headline_html(r), _contents(r)]
    if r.notes:
        parts.append('<div class="notes" role="note">'
                     + "".join(f"<p>{esc(n)}</p>" for n in r.notes) + "</div>")
    parts.append('<h2 id="gpus">GPUs allocated and available</h2>'
                 '<p class="lead">How much of each GPU type projects hold, per period'
                 + (", against what is on hand (deliveries and purchases so far)."
                    if r.with_instance else ".") + "</p>")
    parts.append(f'<figure>{charts["utilisation"]}<figcaption id="utilisation-caption">'
                 "GPUs of each type allocated to projects per period (bars) against the GPUs "
                 "available (dashed line); the title gives the share of GPU-periods used."
                 "</figcaption></figure>")
    parts += [_type_summary(r), "<h3>By period</h3>", _type_periods(r)]
    parts.append('<h2 id="areas">Priority areas</h2><p class="lead">GPUs requested and '
                 "awarded per national priority area, and each area's share of the awarded "
                 "capacity (performance-equivalent GPU-periods) against its floor and cap. "
                 "Sub-areas are also counted in their parent.</p>")
    parts.append(f'<figure>{charts["areas"]}<figcaption id="areas-caption">Left: GPUs '
                 "requested (hatched) and awarded (solid). Right: share of awarded capacity; "
                 "▲ marks a floor, ▼ a cap.</figcaption></figure>")
    parts.append(_areas(r))
    w = Words(r.lang)
    if r.budget is not None:
        parts.append(budget_html(r.budget, w))
    if r.exposure is not None:
        parts.append(exposure_html(r.exposure, w))
    if r.sites:
        parts.append('<h2 id="power">Site power</h2><p class="lead">Power drawn by allocated '
                     "GPUs (units × kW per GPU × site PUE) against each site's limit.</p>")
        parts.append(f'<figure>{charts["power"]}<figcaption id="power-caption">Power drawn per '
                     "period (hatched bars) and the site limit (dashed line).</figcaption>"
                     "</figure>")
        parts.append(_power(r))
    if r.purchases:
        rows = ["<tr>" + td(esc(b.get("option", ""))) + td(esc(b.get("gpu_type", "")))
                + td(esc(b.get("site", ""))) + td(esc(b.get("period", "")))
                + td(num(float(b.get("units") or 0)), float(b.get("units") or 0))
                + td(num(float(b.get("cost") or 0)), float(b.get("cost") or 0)) + "</tr>"
                for b in r.purchases]
        parts += ["<h3>GPUs bought</h3>",
                  table("purchases-table", [("Option", False), ("Type", False),
                                            ("Site", False), ("Arrives", False),
                                            ("Units", True), ("Cost", True)], rows)]
    if r.timeline is not None:
        parts.append(timeline_html(r.timeline, w))
    parts.append(f'<h2 id="funded">Funded projects ({len(r.funded):,})</h2>')
    parts.append(table("funded-table", [
        ("Project", False), ("Area", False), ("Award", False), ("Runs", False),
        ("GPUs", True), ("Value", True)], [_funded_row(p) for p in r.funded], sortable=True,
        search="Search funded projects"))
    reasons = _reason_counts(r)
    tally = ("Kept out by " + "; ".join(f"{esc(label)}: {n}" for label, n in reasons) + ". "
             if reasons else "")
    parts.append(f'<h2 id="unfunded">Projects not funded, and why ({len(r.unfunded):,})</h2>'
                 + (f'<p class="lead">{tally}For each project, the rule that kept it out at '
                    "its closest option (configuration, site and start; its GPUs are under "
                    "Request), any other rule that option would break, and how far it was "
                    "from funding.</p>" if r.unfunded else ""))
    if r.unfunded:
        parts.append(table("unfunded-table", [
            ("Project", False), ("Area", False), ("Window", False), ("Request", True),
            ("Kept out by", False), ("Why", False), ("How far from funding", False)],
            [_unfunded_row(p) for p in r.unfunded],
            sortable=True, search="Search projects not funded"))
    else:
        parts.append('<p id="all-funded">Every project is funded.</p>')
    if r.shadow_prices is not None:
        parts += ['<h2 id="shadow">Shadow prices</h2><p class="lead">What one more unit of '
                  "each binding resource would add to the total value (non-zero rows).</p>",
                  _shadow(r)]
    parts.append(_footer())
    return page(f"GPU allocation report: {h.title}", header, "\n".join(parts))


def _contents(r: Report) -> str:
    links = [("gpus", "GPUs"), ("areas", "Priority areas")]
    links += [("budget", "Budget")] if r.budget is not None else []
    links += [("exposure", "Export controls")] if r.exposure is not None else []
    links += [("power", "Site power")] if r.sites else []
    links += [("timeline", "Timeline")] if r.timeline is not None else []
    links += [("funded", f"Funded projects ({len(r.funded):,})"),
              ("unfunded", f"Not funded, and why ({len(r.unfunded):,})")]
    links += [("shadow", "Shadow prices")] if r.shadow_prices is not None else []
    return ('<nav class="contents" aria-label="Contents">'
            + " · ".join(f'<a href="#{k}">{esc(v)}</a>' for k, v in links) + "</nav>")


def _footer() -> str:
    terms = [
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
    ]
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in terms)
    return f'<footer><h3>How to read this report</h3><dl>{items}</dl></footer>'
