"""The files of a sensitivity run: CSV tables (one per result), plots, and a small
`sensitivity.json` saying what was run and how to read it.

Numbers are written with 12 significant digits, whole numbers without a decimal
point, missing values as empty cells, so the same run gives byte-identical files.
Text cells are neutralised against CSV injection (allocopt.csvsafe); each table names
its number columns.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from allocopt.folder import (
    REDUCED_COLUMNS,
    REDUCED_COSTS,
    SHADOW_COLUMNS,
    SHADOW_PRICES,
    csv_text,
)
from allocopt.instance import Instance
from allocopt.sensitivity.duals import ShadowPrices
from allocopt.sensitivity.montecarlo import MonteCarloResult
from allocopt.sensitivity.ranging import Range
from allocopt.sensitivity.scenario import NOT_RUN, Outcome
from allocopt.sensitivity.sweep import SweepResult

SOBOL_COLUMNS = ("output", "factor", "first_order", "first_order_low", "first_order_high",
                 "total_order", "total_order_low", "total_order_high", "rows")
RANGING_COLUMNS = ("project", "area", "funded", "score", "score_low", "score_high", "change",
                   "relative_change", "gap_slack", "within_gap", "solves", "note")


def num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    x = float(x) + 0.0
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.12g}"


def _flag(value: bool) -> str:
    return str(bool(value)).lower()


def shadow_files(prices: ShadowPrices) -> dict[str, str]:
    rows = [(r.rule, "|".join(str(k) for k in r.key), num(r.dual), num(round(r.activity, 9)),
             num(r.limit), _flag(r.binding)) for r in prices.rows]
    reduced = [(r.project, r.configuration, r.site, r.start, num(round(r.reduced_cost, 9)))
               for r in prices.reduced_costs]
    return {SHADOW_PRICES: csv_text(SHADOW_COLUMNS, rows, numeric={"dual", "activity", "limit"}),
            REDUCED_COSTS: csv_text(REDUCED_COLUMNS, reduced, numeric={"reduced_cost"})}


def _outcome_cells(o: Outcome) -> list[str]:
    return [o.status, num(o.objective), num(o.gap), str(len(o.funded)) if o.has_solution else ""]


def _ceiling(o: Outcome) -> str:
    return num(o.ceiling) if o.has_solution else ""


BREAKPOINT_NOTES = {
    (True, True): "",
    (True, False): "proven, not narrowed to the tolerance: a narrower interval was not "
                   "provable within the gap and the time",
    (False, False): "within the gap: not a breakpoint; the two ends' [objective, bound] "
                    "intervals overlap, so either funded set may be optimal at both",
}


def _origin(carried_from: int | None) -> str:
    return "" if carried_from is None else "base" if carried_from < 0 else str(carried_from)


def sweep_files(result: SweepResult, instance: Instance) -> dict[str, str]:
    axes = [a.path for a in result.axes]
    areas = [a.id for a in instance.spec.areas]
    columns = ["point", *axes, "status", "objective", "bound", "gap", "funded_projects",
               "incumbent_from", *(f"area.{a}" for a in areas)]
    rows = []
    for p in result.points:
        o = p.outcome
        rows.append([str(p.index), *(num(v) for v in p.values), o.status, num(o.objective),
                     _ceiling(o), num(o.gap), str(len(o.funded)) if o.has_solution else "",
                     _origin(p.carried_from),
                     *(num(o.area_gp.get(a)) if o.has_solution else "" for a in areas)])
    others = axes if len(axes) > 1 else []
    b_columns = ["param", "lower", "upper", *others, "proven", "resolved", "status_lower",
                 "status_upper", "objective_lower", "bound_lower", "objective_upper",
                 "bound_upper", "funded_lower", "funded_upper", "gained", "lost", "note"]
    b_rows = []
    for b in result.breakpoints:
        held = [("" if j == b.axis else num(v)) for j, v in enumerate(b.at)] if others else []
        b_rows.append([axes[b.axis], num(b.lower), num(b.upper), *held, _flag(b.proven),
                       _flag(b.resolved), b.below.status, b.above.status,
                       num(b.below.objective), _ceiling(b.below), num(b.above.objective),
                       _ceiling(b.above), str(len(b.below.funded)), str(len(b.above.funded)),
                       "|".join(b.gained), "|".join(b.lost),
                       BREAKPOINT_NOTES[(b.proven, b.resolved)]])
    text = {"status", "param", "status_lower", "status_upper", "gained", "lost", "resolved",
            "proven", "note", "incumbent_from"}
    return {"sweep.csv": csv_text(columns, rows, numeric=set(columns) - text),
            "breakpoints.csv": csv_text(b_columns, b_rows, numeric=set(b_columns) - text)}


def ranging_files(ranges: Sequence[Range]) -> dict[str, str]:
    rows = [(r.project, r.area, _flag(r.funded), num(r.score), num(r.score_low),
             num(r.score_high), num(r.change), num(r.relative_change),
             num(round(r.gap_slack, 9)), _flag(r.within_gap), str(r.solves), r.note)
            for r in ranges]
    return {"ranging.csv": csv_text(RANGING_COLUMNS, rows,
                                    numeric=set(RANGING_COLUMNS) - {"project", "area", "funded",
                                                                    "within_gap", "note"})}


def montecarlo_files(result: MonteCarloResult, instance: Instance) -> dict[str, str]:
    labels = [f.label for f in result.factors]
    rows = []
    for s, o in zip(result.scenarios, result.outcomes, strict=True):
        if o.status == NOT_RUN:  # an interrupted run's unfinished scenarios: no row
            continue
        levels = [num(round(f.level(c), 9)) for f, c in zip(result.factors, s.changes,
                                                             strict=True)]
        rows.append([str(s.index), s.block, str(s.seed), *levels, *_outcome_cells(o),
                     _ceiling(o)])
    funding = [(p, area, _flag(base), num(round(prob, 12)), str(k), str(n))
               for p, area, base, prob, k, n in result.funding_probability(instance)]
    sobol = [(i.output, i.factor, *(num(round(x, 9)) for x in (
        i.first_order, i.first_low, i.first_high, i.total_order, i.total_low, i.total_high)),
        str(i.rows)) for i in result.indices]
    return {
        "montecarlo.csv": csv_text(["scenario", "block", "seed", *labels, "status", "objective",
                                    "gap", "funded_projects", "bound"], rows,
                                   numeric={"scenario", "seed", *labels, "objective", "gap",
                                            "funded_projects", "bound"}),
        "funding_probability.csv": csv_text(["project", "area", "funded_base", "probability",
                                             "funded_scenarios", "scenarios"], funding,
                                            numeric={"probability", "funded_scenarios",
                                                     "scenarios"}),
        "value_quantiles.csv": csv_text(["statistic", "objective"],
                                        [(k, num(round(v, 9))) for k, v in
                                         result.value_quantiles()], numeric={"objective"}),
        "sobol.csv": csv_text(SOBOL_COLUMNS, sobol,
                              numeric=set(SOBOL_COLUMNS) - {"output", "factor"}),
    }


def metadata(command: str, instance: Instance, options: dict[str, Any], notes: list[str],
             extra: dict[str, Any] | None = None, partial: bool = False) -> str:
    """sensitivity.json. `partial`: the run was interrupted and its tables hold only the
    tasks finished by then (a note says how many)."""
    from allocopt import __version__

    data = {"command": f"sensitivity {command}", "instance": instance.name,
            "instance_sha256": instance.sha256, "allocopt_version": __version__,
            "options": options, "partial": partial, **(extra or {}), "notes": notes}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
