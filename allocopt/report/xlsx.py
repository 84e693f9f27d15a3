"""allocation.xlsx: the report's tables for planners who work in spreadsheets.

Sheets: summary, projects, allocation (GPUs by type, site and period), areas,
project_periods (each project's GPUs of each type per period), schedule (one row per
funded project: run, site, GPUs per type, and its GPUs in each period), purchases
(with lead times when the instance is known), budget and spending (budget lines and
spending per period, with the instance), and shadow_prices when the folder has them.
Every sheet has a bold, frozen header row with a filter, and columns as wide as their
content (up to 60 characters). Numbers are stored as numbers, rounded for
reading (GPU counts whole where they are, values and money to two decimals; the CSV
files keep full precision); yes/no columns are booleans; every text cell is forced to
be text, so a title such as "=HYPERLINK(…)" stays a string and is never evaluated as
a formula.
"""

from __future__ import annotations

import io
from collections import defaultdict

from allocopt.folder import REQUIRED_COLUMNS, SHADOW_PRICES
from allocopt.report.folder import ResultsFolder, number
from allocopt.report.tables import Report

AMOUNT = "#,##0.00"  # values, money, performance-equivalent GPUs
COUNT = "#,##0.###"  # GPUs: whole, or fractional under fractional granularity


def _count(x: float | None) -> int | float | None:
    """GPUs: an int when whole (after rounding away float noise), else 3 decimals."""
    if x is None:
        return None
    x = round(float(x), 3) + 0.0
    return int(x) if x.is_integer() else x


def _amount(x: float | None) -> float | None:
    return None if x is None else round(float(x), 2) + 0.0


def _flag(text: str) -> bool | None:
    return {"true": True, "false": False}.get(text)


# projects.csv columns that are not text: their kind and display format.
_PROJECT_CELLS = {"gpus_awarded": ("count", COUNT), "gpus_requested": ("count", COUNT),
                  "perf_gpus_awarded": ("amount", AMOUNT),
                  "perf_gpus_requested": ("amount", AMOUNT), "value": ("amount", AMOUNT),
                  "mandatory": ("flag", None), "funded": ("flag", None)}
# Display formats of the summary sheet's figures (one column of mixed kinds).
_SUMMARY_FORMATS = {"objective": AMOUNT, "bound": AMOUNT, "gap": "0.000%", "wall_s": "0.00",
                    "spend_capex": AMOUNT, "spend_opex_public": AMOUNT, "spend_total": AMOUNT}


def _project_cell(column: str, text: str):
    kind = _PROJECT_CELLS.get(column, ("text", None))[0]
    if kind == "text":
        return text
    if text == "":
        return None
    if kind == "flag":
        return _flag(text)
    return _count(number(text)) if kind == "count" else _amount(number(text))


def _sheet(wb, title: str, head: list[str], rows: list[list], widths: dict[int, int] | None = None,
           formats: dict[int, str] | None = None):
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append(head)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE3EA")
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif formats and c - 1 in formats:
                cell.number_format = formats[c - 1]
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(head))}{len(rows) + 1}"
    for c, name in enumerate(head, start=1):
        longest = max((len(_shown(row[c - 1])) for row in rows[:500] if c - 1 < len(row)),
                      default=0)
        width = (widths or {}).get(c - 1) or min(60, max(8, len(name) + 2, longest + 2))
        ws.column_dimensions[get_column_letter(c)].width = width
    return ws


def _shown(value) -> str:
    """Roughly what a cell shows, for its column's width."""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def render_xlsx(r: Report, folder: ResultsFolder, available: dict | None = None) -> bytes:
    """The workbook as bytes. `available` maps (type, site, period) → GPUs on hand."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    h = r.headline
    spend = h.spend or {}
    summary = [
        ["instance", h.title], ["status", h.status], ["objective", h.objective],
        ["bound", h.bound], ["gap", h.gap], ["backend", h.backend],
        ["wall_s", _amount(h.wall_s)], ["instance_sha256", h.sha256], ["projects", h.projects],
        ["funded_projects", h.funded], ["verified", bool(h.verified)],
        ["currency", spend.get("currency", "")], ["spend_capex", _amount(spend.get("capex"))],
        ["spend_opex_public", _amount(spend.get("opex_public"))],
        ["spend_total", _amount(spend.get("total"))], ["allocopt_version", h.version]]
    ws = _sheet(wb, "summary", ["figure", "value"], summary, widths={0: 22, 1: 70})
    for row, (label, _) in enumerate(summary, start=2):
        if label in _SUMMARY_FORMATS:
            ws.cell(row=row, column=2).number_format = _SUMMARY_FORMATS[label]
    cols = list(folder.projects[0].keys()) if folder.projects else []
    why_of = {p["project"]: p.why for p in r.unfunded}
    rows = []
    for p in folder.projects:
        row = [_project_cell(c, p[c]) for c in cols]
        w = why_of.get(p["project"])
        row += [str(w.rule) if w else "", w.text if w else "",
                "; ".join(w.details) if w else "", w.distance if w else "",
                w.ratio if w and w.ratio is not None else None]
        rows.append(row)
    formats = {k: _PROJECT_CELLS[c][1] for k, c in enumerate(cols)
               if c in _PROJECT_CELLS and _PROJECT_CELLS[c][1]}
    formats[len(cols) + 4] = "0.00"
    _sheet(wb, "projects", [*cols, "kept_out_by", "why", "details", "distance",
                            "value_ratio"], rows, formats=formats)
    use: dict[tuple[str, str, str], float] = defaultdict(float)
    for a in folder.allocation:
        use[(a["gpu_type"], a["site"], a["period"])] += number(a["gpus"])
    period_order = {p: k for k, p in enumerate(r.periods)}
    keys = sorted(set(use) | set(available or {}),
                  key=lambda k: (k[0], k[1], period_order.get(k[2], len(period_order)), k[2]))
    if available is not None:
        rows = [[g, s, t, _count(use.get((g, s, t), 0.0)), _count(available.get((g, s, t), 0.0))]
                for g, s, t in keys]
        head = ["gpu_type", "site", "period", "gpus", "available"]
    else:
        rows = [[g, s, t, _count(use[(g, s, t)])] for g, s, t in keys]
        head = ["gpu_type", "site", "period", "gpus"]
    _sheet(wb, "allocation", head, rows, formats={3: COUNT, 4: COUNT})
    _areas_sheet(wb, r)
    _project_periods_sheet(wb, r, folder)
    _schedule_sheet(wb, r, folder)
    _purchases_sheet(wb, r, folder)
    if r.budget is not None:
        _budget_sheets(wb, r.budget)
    if folder.shadow_prices is not None:
        head = (list(folder.shadow_prices[0].keys()) if folder.shadow_prices
                else list(REQUIRED_COLUMNS[SHADOW_PRICES]))
        convert = {"dual": number, "activity": number, "limit": number, "binding": _flag}
        rows = [[convert[c](x[c]) if c in convert and x[c] not in (None, "") else x[c]
                 for c in head] for x in folder.shadow_prices]
        _sheet(wb, "shadow_prices", head, rows)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _areas_sheet(wb, r: Report) -> None:
    spend = {a.area: a for a in r.budget.areas} if r.budget is not None else {}
    rows = []
    for a in r.areas:
        row = [a.id, a.name, a.funded, a.projects, _amount(a.perf_requested),
               _amount(a.perf_awarded), _amount(a.perf_gpu_periods), a.share, a.min_share,
               a.max_share, a.standing]
        if r.budget is not None:
            s = spend.get(a.id)
            row += [_amount(s.opex_public) if s else None, _amount(s.cofunding) if s else None]
        rows.append(row)
    head = ["area", "name", "funded_projects", "projects", "perf_gpus_requested",
            "perf_gpus_awarded", "perf_gpu_periods", "share", "min_share", "max_share",
            "standing"]
    if r.budget is not None:
        head += ["opex_public", "cofunding"]  # top-level areas, sub-areas included
    _sheet(wb, "areas", head, rows, formats={4: AMOUNT, 5: AMOUNT, 6: AMOUNT, 7: "0.0%",
                                             8: "0.0%", 9: "0.0%", 11: AMOUNT, 12: AMOUNT})


def _held(folder: ResultsFolder) -> dict[tuple[str, str, str], dict[str, float]]:
    """(project, type, site) → period → GPUs, from allocation.csv."""
    out: dict[tuple[str, str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for a in folder.allocation:
        out[(a["project"], a["gpu_type"], a["site"])][a["period"]] += number(a["gpus"])
    return out


def _project_periods_sheet(wb, r: Report, folder: ResultsFolder) -> None:
    held = _held(folder)
    order = {p["project"]: k for k, p in enumerate(folder.projects)}
    keys = sorted(held, key=lambda k: (order.get(k[0], len(order)), k))
    rows = [[p, g, s, *(_count(held[(p, g, s)].get(t, 0.0)) for t in r.periods)]
            for p, g, s in keys]
    _sheet(wb, "project_periods", ["project", "gpu_type", "site", *r.periods], rows,
           formats={k: COUNT for k in range(3, 3 + len(r.periods))})


def _schedule_sheet(wb, r: Report, folder: ResultsFolder) -> None:
    """One row per funded project: its run and GPUs per type, then its GPUs held in each
    period (shaded where it runs: a Gantt chart in cells)."""
    from openpyxl.styles import PatternFill

    held = _held(folder)
    types = [t.id for t in r.types]
    per_type: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    per_period: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (p, g, _s), by in held.items():
        per_type[p][g] = max(per_type[p][g], max(by.values(), default=0.0))
        for t, n in by.items():
            per_period[p][t] += n
    index = {t: k for k, t in enumerate(r.periods)}
    rows = []
    for p in r.funded:
        pid = p["project"]
        runs = (index[p["end"]] - index[p["start"]] + 1
                if p["start"] in index and p["end"] in index else None)
        rows.append([pid, p["title"], p["area"], p["site"], p["configuration"], p["start"],
                     p["end"], runs, *(_count(per_type[pid].get(g)) or None for g in types),
                     *(_count(per_period[pid].get(t)) or None for t in r.periods)])
    head = ["project", "title", "area", "site", "configuration", "start", "end", "periods",
            *types, *r.periods]
    first_period = 8 + len(types)
    ws = _sheet(wb, "schedule", head, rows,
                formats={k: COUNT for k in range(8, len(head))})
    fill = PatternFill("solid", fgColor="9DB7D5")
    for row in ws.iter_rows(min_row=2, min_col=first_period + 1, max_col=len(head)):
        for cell in row:
            if cell.value:
                cell.fill = fill
    ws.freeze_panes = "B2"


def _purchases_sheet(wb, r: Report, folder: ResultsFolder) -> None:
    lead = {}
    if r.timeline is not None:
        lead = {(a.option, a.gpu_type, a.site, a.period): a.lead_periods
                for a in r.timeline.arrivals if a.source == "purchase"}
    rows = [[b.get("option", ""), b.get("gpu_type", ""), b.get("site", ""), b.get("period", ""),
             _count(number(b.get("units"))), _amount(number(b.get("cost"))),
             lead.get((b.get("option"), b.get("gpu_type"), b.get("site"), b.get("period")))]
            for b in folder.purchases]
    _sheet(wb, "purchases", ["option", "gpu_type", "site", "arrives", "units", "cost",
                             "lead_periods"], rows, formats={4: COUNT, 5: AMOUNT, 6: "0"})


def _budget_sheets(wb, b) -> None:
    rows = [[x.key, b.currency, _amount(x.limit), _amount(x.used), _amount(x.slack),
             x.share_used] for x in b.lines]
    rows += [["cofunding", b.currency, None, _amount(b.cofunding), None, None]]
    _sheet(wb, "budget", ["line", "currency", "limit", "used", "slack", "share_used"], rows,
           formats={2: AMOUNT, 3: AMOUNT, 4: AMOUNT, 5: "0.0%"})
    rows = [[p.period, _amount(p.capex), _amount(p.opex_public), _amount(p.public),
             _amount(p.cofunding)] for p in b.periods]
    _sheet(wb, "spending", ["period", "capex", "opex_public", "public_total", "cofunding"], rows,
           formats={1: AMOUNT, 2: AMOUNT, 3: AMOUNT, 4: AMOUNT})
