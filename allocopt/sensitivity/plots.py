"""Charts of sensitivity results, as PNG and SVG (matplotlib, imported on first use).

Okabe–Ito colours (the palette of allocopt.report), series also told apart by marker
or line style. Files are deterministic: no dates in the metadata, a fixed SVG id salt.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from allocopt.instance import Instance
from allocopt.report.plots import INK, LINES, MARKERS, OKABE_ITO
from allocopt.sensitivity.montecarlo import MonteCarloResult
from allocopt.sensitivity.ranging import Range
from allocopt.sensitivity.sweep import SweepResult

STYLE = {
    "svg.fonttype": "path", "font.family": "DejaVu Sans", "font.size": 9,
    "axes.edgecolor": INK, "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
    "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 10,
    "axes.titleweight": "bold", "axes.titlelocation": "left", "legend.frameon": False,
    "svg.hashsalt": "allocopt-sensitivity",
}
MAX_BARS = 40


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def _figure(width_in: float, height_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, stem: str) -> dict[str, str | bytes]:
    import matplotlib

    with matplotlib.rc_context(STYLE):
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=120, metadata={"Software": None})
        svg = io.StringIO()
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return {f"{stem}.png": png.getvalue(), f"{stem}.svg": svg.getvalue()}


def sweep_plot(result: SweepResult) -> dict[str, str | bytes]:
    """Objective and number funded along the first parameter, one line per combination
    of the others (at most 8); each objective line with its band [incumbent, bound]
    (the optimum lies inside it), proven breakpoints marked with dotted verticals."""
    import matplotlib

    axes = result.axes
    nan = float("nan")
    with matplotlib.rc_context(STYLE):
        fig = _figure(7.0, 5.0)
        top, bottom = fig.subplots(2, 1, sharex=True)
        groups: dict[tuple, list] = {}
        for p in result.points:
            groups.setdefault(p.values[1:], []).append(p)
        for k, (rest, points) in enumerate(list(groups.items())[:8]):
            label = ", ".join(f"{a.path}={v:g}" for a, v in zip(axes[1:], rest, strict=True))
            colour = OKABE_ITO[k % 8]
            style = {"color": colour, "marker": MARKERS[k % 8],
                     "linestyle": LINES[k % 4], "markersize": 4}
            xs = [p.values[0] for p in points]
            solved = [p.outcome.has_solution for p in points]
            lows = [p.outcome.objective if ok else nan for p, ok in zip(points, solved,
                                                                         strict=True)]
            highs = [p.outcome.ceiling if ok else nan for p, ok in zip(points, solved,
                                                                        strict=True)]
            top.fill_between(xs, lows, highs, color=colour, alpha=0.2, linewidth=0,
                             label="[incumbent, bound]" if k == 0 else None)
            top.plot(xs, lows, label=label or "incumbent", **style)
            bottom.plot(xs, [len(p.outcome.funded) if ok else nan
                             for p, ok in zip(points, solved, strict=True)], **style)
        for b in result.proven:
            if b.axis == 0:
                x = (b.lower + b.upper) / 2
                for ax in (top, bottom):
                    ax.axvline(x, color=INK, linestyle=":", linewidth=0.8)
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        top.set_title("Objective and its band [incumbent, bound]; dotted: proven breakpoints")
        top.set_ylabel("objective")
        top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
        bottom.set_ylabel("funded projects")
        bottom.set_xlabel(axes[0].path)
        top.legend(fontsize=7)
        return _save(fig, "sweep")


def tornado_plot(ranges: Sequence[Range]) -> dict[str, str | bytes]:
    """Relative score change that flips each project's funding: rises needed (unfunded,
    right) and falls tolerated (funded, left), largest at the top."""
    import matplotlib

    shown = [r for r in ranges if r.relative_change is not None]
    shown = sorted(shown, key=lambda r: (abs(r.relative_change), r.project))[-MAX_BARS:]
    with matplotlib.rc_context(STYLE):
        fig = _figure(7.0, 1.2 + 0.22 * max(len(shown), 1))
        ax = fig.subplots()
        ys = range(len(shown))
        ax.barh(list(ys), [100 * r.relative_change for r in shown],
                color=[OKABE_ITO[2] if r.funded else OKABE_ITO[1] for r in shown],
                hatch=None)
        ax.set_yticks(list(ys), [r.project for r in shown], fontsize=7)
        ax.axvline(0, color=INK, linewidth=0.8)
        ax.set_xlabel("score change that flips funding (%): funded (green) fall, "
                      "unfunded (orange) rise")
        ax.set_title("Ranging: how far each score can move")
        return _save(fig, "tornado")


def funding_plot(result: MonteCarloResult, instance: Instance) -> dict[str, str | bytes]:
    """Funding probability of the projects whose funding is uncertain (0 < p < 1),
    most uncertain first, and the distribution of total value."""
    import matplotlib

    uncertain = [r for r in result.funding_probability(instance) if 0 < r[3] < 1]
    rows = sorted(uncertain, key=lambda r: (abs(r[3] - 0.5), r[0]))[:MAX_BARS][::-1]
    values = [o.objective for o in result.outcomes if o.has_solution]
    with matplotlib.rc_context(STYLE):
        fig = _figure(7.0, 2.8 + 0.22 * max(len(rows), 1))
        bars, hist = fig.subplots(2, 1, height_ratios=[max(len(rows), 1), 8])
        ys = list(range(len(rows)))
        bars.barh(ys, [r[3] for r in rows],
                  color=[OKABE_ITO[0] if r[2] else OKABE_ITO[4] for r in rows])
        bars.set_yticks(ys, [r[0] for r in rows], fontsize=7)
        bars.set_xlim(0, 1)
        bars.set_xlabel("probability of being funded (blue: funded in the base case)")
        shown = " (the most uncertain shown)" if len(uncertain) > len(rows) else ""
        bars.set_title(f"Funding probability of the {len(uncertain)} projects funded in "
                       f"some scenarios but not all{shown}")
        if values:
            hist.hist(values, bins=min(30, max(5, len(values) // 5)), color=OKABE_ITO[0])
            if result.base.has_solution:
                hist.axvline(result.base.objective, color=OKABE_ITO[1], linestyle="--",
                             label="base")
                hist.legend(fontsize=7)
        hist.set_xlabel("total value (objective) over the scenarios")
        hist.set_ylabel("scenarios")
        return _save(fig, "funding_probability")
