"""Charts as inline SVG, drawn with matplotlib (imported here, on first use only).

Readable in black and white and by colour-blind readers: the Okabe–Ito palette, and
every series also told apart by a hatch, a marker or a line style. Text is drawn as
paths, so a chart looks the same in every browser, and carries no text a browser could
run; Korean labels are drawn from a CJK font when one is installed (`chart_fonts`).
Each SVG's ids get a per-chart prefix so that several charts can
sit in one page without clashing.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from allocopt.report.i18n import Words
from allocopt.report.tables import AreaRow, SitePower, TypeUse

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
             "#F0E442")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINES = ("-", "--", "-.", ":")
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")
INK = "#222222"
GRID = "#d0d0d0"
_STYLE = {
    "svg.fonttype": "path", "font.family": "DejaVu Sans", "font.size": 9,
    "axes.edgecolor": INK, "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
    "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 10,
    "axes.titleweight": "bold", "axes.titlelocation": "left", "legend.frameon": False,
    "hatch.linewidth": 0.6, "hatch.color": INK,
}


def _figure(width_in: float, height_in: float, layout: str | None = "constrained"):
    """A figure on the Agg canvas, without pyplot's global state. Small multiples pass
    layout=None and set margins by hand: constrained layout costs them seconds."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _svg(fig, name: str) -> str:
    """The figure as an <svg> element for inlining: no prolog, no comments, no
    namespace URLs, ids prefixed with `name`, scaled to its container."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": name}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None,
                                                    "Format": None, "Type": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{name}-{m.group(1)}"', svg)
    svg = re.sub(r'(href="#|url\(#)([^")]+)',
                 lambda m: m.group(1) + (f"{name}-{m.group(2)}" if m.group(2) in ids
                                         else m.group(2)), svg)
    root_end = svg.index(">")
    view_box = re.search(r'viewBox="([^"]+)"', svg[:root_end]).group(1)
    return (f'<svg class="chart" role="img" aria-labelledby="{name}-caption" '
            f'viewBox="{view_box}"' + svg[root_end:]).strip()


def _margins(fig, height_in: float, rows: int) -> None:
    """Room for the legend on top and the rotated period labels below, in inches."""
    fig.subplots_adjust(left=0.075, right=0.99, top=1 - 0.45 / height_in,
                        bottom=0.75 / height_in, hspace=0.35 * rows / max(rows, 1),
                        wspace=0.18)


def _hide_spare(axes, used: int, cols: int) -> None:
    """Hide unused panels; a panel with none below it shows its own period labels."""
    rows = len(axes)
    for k in range(used, rows * cols):
        axes[k // cols][k % cols].set_visible(False)
        if k - cols >= 0:
            axes[(k - cols) // cols][k % cols].xaxis.set_tick_params(labelbottom=True)


def _period_ticks(ax, periods: Sequence[str]) -> None:
    step = max(1, len(periods) // 12)
    ax.set_xticks(range(0, len(periods), step))
    ax.set_xticklabels([periods[i] for i in range(0, len(periods), step)], rotation=45,
                       ha="right")


def utilisation_svg(periods: Sequence[str], types: Sequence[TypeUse],
                    w: Words | None = None) -> str:
    """One panel per GPU type: GPUs allocated per period (bars) under the GPUs available
    (dashed step line, when the instance is known)."""
    w = w or Words()
    cols = min(3, len(types))
    rows = (len(types) + cols - 1) // cols
    height = 2.1 * rows + 1.0
    fig = _figure(10.0, height, layout=None)
    _margins(fig, height, rows)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    x = list(range(len(periods)))
    for k, t in enumerate(types):
        ax = axes[k // cols][k % cols]
        ax.bar(x, t.allocated, color=OKABE_ITO[k % 8], edgecolor=INK, linewidth=0.5,
               hatch=HATCHES[k % 8], label=w("allocated"))
        title = t.id
        if t.available is not None:
            ax.step(x, t.available, where="mid", color=INK, linestyle="--", linewidth=1.4,
                    label=w("available"))
            have = sum(t.available)
            if have:
                title += ": " + w("{pct} % used", pct=f"{100 * sum(t.allocated) / have:.0f}")
        ax.set_title(title)
        top = max([*t.allocated, *(t.available or [])], default=0.0)
        ax.set_ylim(0, top * 1.12 or 1.0)
        ax.grid(axis="y", color=GRID, linewidth=0.6)
        ax.yaxis.set_major_formatter("{x:,.0f}")
        _period_ticks(ax, periods)
    _hide_spare(axes, len(types), cols)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", ncols=2)
    fig.supylabel(w("GPUs"), x=0.01)
    return _svg(fig, "utilisation")


def areas_svg(areas: Sequence[AreaRow], w: Words | None = None) -> str:
    """Left: H100-equivalent GPUs requested (hatched) vs awarded (solid) per area. Right: share of
    awarded capacity (bar) against the area's floor (▲) and cap (▼)."""
    w = w or Words()
    fig = _figure(10.0, 0.36 * len(areas) + 1.2)
    left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    ys = list(range(len(areas)))[::-1]
    labels = [("↳ " if a.depth else "") + a.name for a in areas]
    h = 0.38
    left.barh([y + h / 2 for y in ys], [a.perf_requested for a in areas], height=h,
              color="white", edgecolor=INK, hatch="///", linewidth=0.8, label=w("requested"))
    left.barh([y - h / 2 for y in ys], [a.perf_awarded for a in areas], height=h,
              color=OKABE_ITO[0], edgecolor=INK, linewidth=0.8, label=w("awarded"))
    left.set_yticks(ys)
    left.set_yticklabels(labels)
    left.set_xlabel(w("H100-equivalent GPUs (sum over projects)"))
    left.grid(axis="x", color=GRID, linewidth=0.6)
    left.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2)
    right.barh(ys, [100 * a.share for a in areas], height=0.6, color=OKABE_ITO[2],
               edgecolor=INK, linewidth=0.8, hatch="..", label=w("share"))
    floors = [(y, 100 * a.min_share) for y, a in zip(ys, areas, strict=True) if a.min_share > 0]
    caps = [(y, 100 * a.max_share) for y, a in zip(ys, areas, strict=True) if a.max_share < 1]
    if floors:
        right.scatter([x for _, x in floors], [y for y, _ in floors], marker="^", s=60,
                      color=OKABE_ITO[1], edgecolor=INK, zorder=3,
                      label=w("floor (min share)"))
    if caps:
        right.scatter([x for _, x in caps], [y for y, _ in caps], marker="v", s=60,
                      color=OKABE_ITO[3], edgecolor=INK, zorder=3,
                      label=w("cap (max share)"))
    right.set_xlabel(w("% of awarded capacity"))
    right.set_xlim(0, max([100 * a.share for a in areas] + [x for _, x in floors + caps]
                          + [10]) * 1.15)
    right.grid(axis="x", color=GRID, linewidth=0.6)
    right.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=3, fontsize=8,
                 handletextpad=0.3, columnspacing=0.8)
    return _svg(fig, "areas")


def power_svg(periods: Sequence[str], sites: Sequence[SitePower],
              w: Words | None = None) -> str:
    """One panel per site: MW drawn per period (bars) under the site's limit (dashed)."""
    w = w or Words()
    cols = min(2, len(sites))
    rows = (len(sites) + cols - 1) // cols
    height = 2.1 * rows + 1.0
    fig = _figure(10.0, height, layout=None)
    _margins(fig, height, rows)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    for k, site in enumerate(sites):
        ax = axes[k // cols][k % cols]
        mw = [x / 1000.0 for x in site.drawn_kw]
        ax.bar(range(len(periods)), mw, color=OKABE_ITO[5], edgecolor=INK, linewidth=0.6,
               hatch="//", label=w("drawn"))
        ax.axhline(site.limit_kw / 1000.0, color=OKABE_ITO[1], linestyle="--", linewidth=1.6,
                   label=w("limit"))
        ax.set_title(site.id)
        ax.set_ylim(0, max(site.limit_kw / 1000.0, max(mw, default=0.0)) * 1.15 or 1.0)
        ax.set_ylabel("MW")
        ax.grid(axis="y", color=GRID, linewidth=0.6)
        _period_ticks(ax, periods)
    _hide_spare(axes, len(sites), cols)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", ncols=2)
    return _svg(fig, "power")


def render_all(report) -> dict[str, str]:
    """Chart name → inline SVG, for the charts this report has data for."""
    import matplotlib

    w = Words(report.lang)
    with matplotlib.rc_context({**_STYLE, "font.family": chart_fonts()}):
        out = {"utilisation": utilisation_svg(report.periods, report.types, w),
               "areas": areas_svg(report.areas, w)}
        if report.sites:
            out["power"] = power_svg(report.periods, report.sites, w)
    return out


# Fonts tried in turn for each glyph (matplotlib ≥ 3.6 falls back per character): a
# CJK font, when one is installed, draws Hangul; DejaVu Sans everything else.
CJK_FONTS = ("Noto Sans CJK KR", "Noto Sans KR", "Noto Sans CJK JP", "NanumGothic",
             "UnDotum")


def chart_fonts() -> list[str]:
    """DejaVu Sans first (the charts' look), then the first installed CJK font."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *[f for f in CJK_FONTS if f in installed][:1]]
