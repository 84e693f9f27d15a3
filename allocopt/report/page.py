"""The HTML shell shared by report.html and compare.html, and formatting helpers.

Plain string building: every value that comes from a user (titles, owners, ids, area
names) passes through `esc` (html.escape with quotes) before it reaches the page; the
only script is the constant `SCRIPT` below, allowed by its hash in a Content Security
Policy that also forbids any network request. So even a string that slipped past
escaping could neither run nor call out. The page is complete without JavaScript:
the script only unhides the search boxes and makes table headers sortable.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math

from allocopt.report.i18n import FONT_STACK

CSS_TEMPLATE = """
:root { --ink:#1b1f24; --muted:#5a6270; --rule:#d5d9e0; --band:#0b3d6b; --soft:#f3f5f8; }
* { box-sizing: border-box; }
body { margin:0; color:var(--ink); background:#fff; line-height:1.45;
  font:15px/1.45 FONTS; }
header.band { background:var(--band); color:#fff; padding:28px 0 22px; }
.wrap { max-width:1120px; margin:0 auto; padding:0 28px; }
header.band h1 { margin:0 0 6px; font-size:27px; font-weight:650; letter-spacing:.2px; }
header.band p { margin:2px 0; color:#dce6f2; font-size:14px; }
main { padding:8px 0 40px; }
h2 { font-size:20px; margin:34px 0 6px; padding-bottom:5px; border-bottom:2px solid var(--band); }
h3 { font-size:16px; margin:22px 0 6px; }
p.lead { margin:4px 0 12px; color:var(--muted); max-width:820px; }
.kpis { display:grid; grid-template-columns:repeat(3, 1fr); gap:12px; margin:22px 0 8px; }
.kpi { border:1px solid var(--rule); border-top:4px solid var(--band); padding:12px 14px;
  background:#fff; break-inside:avoid; }
.kpi .label { font-size:12px; text-transform:uppercase; letter-spacing:.6px; color:var(--muted); }
.kpi .value { display:block; font-size:28px; font-weight:650; margin:2px 0;
  font-variant-numeric:tabular-nums; }
.kpi .context { font-size:13px; color:var(--muted); }
nav.contents { font-size:14px; margin:10px 0 0; }
nav.contents a { color:var(--band); }
.fingerprint { font-size:12px; color:var(--muted); margin:6px 0 0; }
.fingerprint code { word-break:break-all; }
.notes { border-left:4px solid #b35900; background:#fff7ef; padding:8px 14px; margin:16px 0;
  font-size:14px; }
.notes p { margin:4px 0; }
figure { margin:10px 0 14px; break-inside:avoid; }
figure svg.chart { width:100%; height:auto; display:block; }
figcaption { font-size:13px; color:var(--muted); margin-top:4px; }
table.data { border-collapse:collapse; width:100%; font-size:13px; margin:6px 0 10px; }
table.data caption { text-align:left; font-weight:600; padding:4px 0; }
table.data th, table.data td { border-bottom:1px solid var(--rule); padding:5px 7px;
  text-align:left; vertical-align:top; }
table.data thead th { background:var(--soft); border-bottom:2px solid #9aa3af;
  font-weight:600; }
table.data td.num, table.data th.num { text-align:right; font-variant-numeric:tabular-nums;
  white-space:nowrap; }
table.data td small { color:var(--muted); display:block; font-size:12px; }
table.data td strong { font-weight:600; }
table.data td ul { margin:3px 0 0 16px; padding:0; color:var(--muted); font-size:12px; }
table.data tr.child td:first-child { padding-left:22px; }
.nowrap { white-space:nowrap; }
.badge { display:inline-block; border:1px solid var(--ink); border-radius:3px; padding:0 5px;
  font-size:12px; white-space:nowrap; }
.pos { font-weight:600; }
input.filter { font:inherit; padding:6px 9px; width:min(420px,100%); margin:6px 0;
  border:1px solid #9aa3af; border-radius:3px; }
th.sort { cursor:pointer; }
th[aria-sort=ascending]::after { content:" \\25B2"; font-size:10px; }
th[aria-sort=descending]::after { content:" \\25BC"; font-size:10px; }
.scroll { overflow-x:auto; }
table.data td.g { padding:0; min-width:14px; border-left:1px solid #fff; }
table.data td.g.on { background:var(--band); color:var(--band); text-align:center;
  print-color-adjust:exact; -webkit-print-color-adjust:exact; }
.sr { font-size:9px; line-height:1; }
span.vp { display:inline-block; font-size:11px; font-weight:500; writing-mode:vertical-rl;
  transform:rotate(180deg); white-space:nowrap; }
table.data tr.total td { border-top:2px solid #9aa3af; }
footer { border-top:1px solid var(--rule); color:var(--muted); font-size:12.5px;
  padding:14px 0 30px; }
footer dt { font-weight:600; color:var(--ink); }
footer dd { margin:0 0 6px; }
@media (max-width:760px) { .kpis { grid-template-columns:1fr 1fr; } }
@page { size:A4; margin:14mm 12mm; }
@media print {
  body { font-size:9.5pt; }
  .wrap { max-width:none; padding:0; }
  header.band { background:#fff; color:#000; border-bottom:3px solid #000; padding:0 0 8px; }
  header.band p { color:#333; } input.filter { display:none; } .scroll { overflow:visible; }
  h2, h3, p.lead { break-after:avoid; } h2 { margin-top:18px; }
  .kpis { grid-template-columns:repeat(3, 1fr); gap:6px; } .kpi .value { font-size:18pt; }
  /* A table that fits on a page starts on a new one rather than being cut; a longer one
     breaks between rows and repeats its header. */
  .scroll { break-inside:avoid; }
  table.data { font-size:8pt; } table.data th, table.data td { padding:2px 4px; }
  thead { display:table-header-group; } tr, figure, .kpi { break-inside:avoid; }
  table.data td ul { font-size:7.5pt; }
  nav.contents, footer { break-inside:avoid; }
}
"""

# Latin text in the usual UI fonts, Hangul (and other CJK) from Noto's CJK fonts.
CSS = CSS_TEMPLATE.replace("FONTS", FONT_STACK)

SCRIPT = """(function () {
  "use strict";
  document.querySelectorAll("input.filter").forEach(function (box) {
    var table = document.getElementById(box.getAttribute("data-table"));
    if (!table) { return; }
    box.hidden = false;
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
        tr.hidden = q !== "" && tr.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  });
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.tabIndex = 0;
      th.classList.add("sort");
      function sort() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col];
          var u = x.getAttribute("data-sort"), v = y.getAttribute("data-sort");
          if (u !== null && v !== null) { return dir * (parseFloat(u) - parseFloat(v)); }
          return dir * x.textContent.localeCompare(y.textContent);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  });
})();"""


def esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def script_hash() -> str:
    return base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()


def page(title: str, header: str, body: str, lang: str = "en") -> str:
    """A complete, self-contained HTML document. `title` is plain text (escaped here);
    `header` and `body` are HTML already escaped by the caller."""
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
           f"script-src 'sha256-{script_hash()}'; base-uri 'none'; form-action 'none'")
    return (
        f"<!DOCTYPE html>\n<html lang=\"{esc(lang)}\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        "<link rel=\"icon\" href=\"data:,\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<header class=\"band\"><div class=\"wrap\">{header}</div></header>\n"
        f"<main class=\"wrap\">\n{body}\n</main>\n"
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n")


def num(x: float | None, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return f"{x:,.{digits}f}"


def pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f} %"


def signed(x: float, digits: int = 0) -> str:
    return f"{x:+,.{digits}f}" if round(x, digits) != 0 else f"{0:.{digits}f}"


def table(table_id: str, head: list[tuple[str, bool]], rows: list[str], caption: str = "",
          sortable: bool = False, search: str = "") -> str:
    """A data table: `head` is (escaped label, numeric?) per column, `rows` are <tr>…</tr>.
    With `search`, a search box (hidden until the script runs) filters its rows."""
    cls = "data sortable" if sortable else "data"
    ths = "".join(f'<th scope="col"{" class=num" if numeric else ""}>{label}</th>'
                  for label, numeric in head)
    box = (f'<input type="search" class="filter" data-table="{esc(table_id)}" hidden '
           f'placeholder="{esc(search)}" aria-label="{esc(search)}">\n' if search else "")
    cap = f"<caption>{caption}</caption>" if caption else ""
    return (f'{box}<div class="scroll"><table class="{cls}" id="{esc(table_id)}">{cap}'
            f"<thead><tr>{ths}</tr></thead>\n<tbody>\n" + "\n".join(rows)
            + "\n</tbody></table></div>")


def td(text: str, sort: float | None = None, numeric: bool | None = None) -> str:
    """A cell; `text` must already be escaped. `sort` gives the numeric sort key; the
    cell is right-aligned as a number unless `numeric` is False."""
    attrs = ' class="num"' if numeric or (numeric is None and sort is not None) else ""
    if sort is not None and math.isfinite(sort):
        attrs += f' data-sort="{sort!r}"'
    return f"<td{attrs}>{text}</td>"
