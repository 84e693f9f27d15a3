"""A Solution as the rows of a results folder, and back.

`render` turns a Solution into the folder's files (summary.json, allocation.csv,
projects.csv, purchases.csv, and a robust solve's scenario files); `read_solution`
rebuilds a Solution from them that `verify` re-checks from the rows alone. The file
names, columns, CSV text and the atomic writer are the format's (`allocopt.folder`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from allocopt.errors import ResultsError
from allocopt.folder import (
    ALLOCATION,
    ALLOCATION_COLUMNS,
    NUMERIC_COLUMNS,
    PROJECT_COLUMNS,
    PROJECTS,
    PURCHASE_COLUMNS,
    PURCHASES,
    SCENARIO_COLUMNS,
    SCENARIOS,
    SUMMARY,
    csv_text,
    read_optional_rows,
    read_rows,
    read_summary,
    scenario_files,
    write_folder,
    write_text_atomic,
)
from allocopt.folder import num as _num
from allocopt.instance import Instance
from allocopt.solution import Award, Purchase, Solution
from allocopt.status import Status
from allocopt.verify import Violation

# Names of the format that callers of earlier versions import from here.
__all__ = ["ALLOCATION_COLUMNS", "NUMERIC_COLUMNS", "PROJECT_COLUMNS", "PURCHASE_COLUMNS",
           "SCENARIO_COLUMNS", "award_value", "csv_text", "extra_columns", "read_solution",
           "render", "requested", "summarise", "table_rows", "write_folder", "write_results",
           "write_text_atomic"]


def _config(project, configuration: str | None):
    if project.request.configurations is None:
        return None
    return next(c for c in project.request.configurations if c.id == configuration)


def award_value(instance: Instance, award: Award) -> tuple[float, float]:
    """(performance-equivalent GPUs held, weighted value) of one award."""
    project = instance.projects[instance.project_index[award.project]]
    types = instance.spec.gpu_types
    perf = {g.id: g.perf for g in types}
    factor = instance.start_factor(project, instance.period_index[award.start])
    weight = instance.area_weight[project.area] * project.score
    config = _config(project, award.configuration)
    if config is None:
        e = project.request.elastic
        size = sum(n * e.efficiency.get(g, perf[g]) for g, n in award.gpus.items())
        return size, weight * size * project.window.duration * factor
    size = sum(n * perf[g] for g, n in config.gpus.items())
    d = instance.duration(project, config)
    value = config.value if config.value is not None else size * d
    return size, weight * value * factor


def requested(instance: Instance, project) -> tuple[str, float]:
    """(GPUs, performance-equivalent GPUs) of the largest configuration; an elastic
    request has no GPU count of its own, only max_gpus performance-equivalent GPUs."""
    if project.request.configurations is None:
        return "", project.request.elastic.max_gpus
    perf = {g.id: g.perf for g in instance.spec.gpu_types}
    sizes = [(sum(c.gpus.values()), sum(n * perf[g] for g, n in c.gpus.items()))
             for c in project.request.configurations]
    gpus, perf_gpus = max(sizes, key=lambda x: (x[1], x[0]))
    return _num(gpus), perf_gpus


def summarise(instance: Instance, solution: Solution) -> dict[str, Any]:
    """Figures a reader wants first: spending, GPUs used per type, shares per area."""
    spec = instance.spec
    idx = instance.period_index
    used = defaultdict(float)
    opex = 0.0
    area_gp = defaultdict(float)
    area_funded = defaultdict(int)
    cofund = instance.partner_cofunding
    types = {g.id: g for g in spec.gpu_types}
    for a in solution.awards:
        project = instance.projects[instance.project_index[a.project]]
        periods = idx[a.end] - idx[a.start] + 1
        size, _ = award_value(instance, a)
        for area in instance.area_lineage[project.area]:
            area_gp[area] += size * periods
            area_funded[area] += 1
        share = 1.0 - cofund.get(project.partner, 0.0) if project.partner else 1.0
        for g, n in a.gpus.items():
            opex += n * types[g].opex_per_period * periods * share
            for t in range(idx[a.start], idx[a.end] + 1):
                used[(g, t)] += n
    capex = sum(b.units * spec.procurement[_option_index(instance, b.option)].price
                for b in solution.purchases)
    total_gp = sum(area_gp[a.id] for a in spec.areas if a.parent is None)
    on_hand = instance.supply_cumulative.sum(axis=1)
    return {
        "spend": {"currency": spec.policy.budget.currency, "capex": capex, "opex_public": opex,
                  "total": capex + opex},
        "gpus_by_type": {
            g.id: {"peak_allocated": max((used[(g.id, t)] for t in range(len(instance.periods))),
                                         default=0.0),
                   "on_hand_end": float(on_hand[k, -1]),
                   "bought": sum(b.units for b in solution.purchases if b.gpu_type == g.id)}
            for k, g in enumerate(spec.gpu_types)},
        "areas": {
            a.id: {"funded_projects": area_funded[a.id],
                   "projects": sum(1 for p in instance.projects
                                   if a.id in instance.area_lineage[p.area]),
                   "perf_gpu_periods": area_gp[a.id],
                   "share": area_gp[a.id] / total_gp if total_gp else 0.0,
                   "min_share": a.min_share, "max_share": a.max_share}
            for a in spec.areas},
    }


def _policy_summary(instance: Instance, solution: Solution) -> dict[str, Any]:
    """The policy that produced the allocation: its name and parameters, the rules every
    policy shares (granularity, late-start penalty, budget), and its stages and figures."""
    shared = instance.spec.policy.model_dump(
        mode="json", include={"granularity", "late_start_penalty", "budget"})
    name = solution.policy.get("name", instance.spec.policy.objective.value)
    return {"name": name, "objective": name, **shared, **solution.policy}


def _option_index(instance: Instance, label: str) -> int:
    for k, o in enumerate(instance.spec.procurement):
        if (o.id or f"{o.type}#{k}") == label:
            return k
    raise ResultsError(f"unknown procurement option {label!r}")


def render(instance: Instance, solution: Solution, options: dict[str, Any],
           violations: list[Violation], version: str) -> dict[str, str]:
    """File name -> contents of a results folder. A robust solution adds scenarios.csv
    and, for the k-th scenario (from 1, in file order), scenario-k-allocation.csv and
    scenario-k-projects.csv; allocation.csv and projects.csv are the first scenario's."""
    allocation_rows, project_rows = _tables(instance, solution)
    purchase_rows = _purchase_rows(instance, solution)
    summary = {
        "status": solution.status.value,
        "interrupted": solution.interrupted,
        "objective": solution.objective,
        "bound": solution.bound,
        "gap": solution.gap,
        "lp_bound": solution.lp_bound,
        "root_gap": solution.root_gap,
        "backend": solution.backend,
        "wall_s": round(solution.wall_s, 3),
        "build_s": round(solution.build_s, 3),
        "instance": instance.name,
        "instance_sha256": instance.sha256,
        "allocopt_version": version,
        "policy": _policy_summary(instance, solution),
        **solution.figures,
        "options": options,
        "projects": len(instance.projects),
        "funded_projects": len(solution.awards),
        "warnings": solution.warnings,
        "verified": not violations,
        "violations": [str(v) for v in violations],
        **summarise(instance, solution),
    }
    files = {
        SUMMARY: json.dumps(summary, indent=2, sort_keys=False) + "\n",
        ALLOCATION: csv_text(ALLOCATION_COLUMNS, allocation_rows),
        PROJECTS: csv_text(PROJECT_COLUMNS + extra_columns(instance), project_rows),
        PURCHASES: csv_text(PURCHASE_COLUMNS, purchase_rows),
    }
    if solution.scenarios:
        figures = {f["id"]: f for f in solution.figures.get("scenarios", [])}
        rows = []
        for k, (scenario, fixed, answer) in enumerate(solution.scenarios, start=1):
            allocation_rows, project_rows = _tables(fixed, answer)
            allocation_file, projects_file = scenario_files(k)
            files[allocation_file] = csv_text(ALLOCATION_COLUMNS, allocation_rows)
            files[projects_file] = csv_text(PROJECT_COLUMNS + extra_columns(fixed), project_rows)
            f = figures.get(scenario.id, {})
            rows.append((k, scenario.id, _num(scenario.probability), _num(answer.objective),
                         len(answer.awards), _maybe(f.get("eev_value")),
                         _maybe(f.get("wait_and_see_value"))))
        files[SCENARIOS] = csv_text(SCENARIO_COLUMNS, rows)
    return files


def _purchase_rows(instance: Instance, solution: Solution) -> list[tuple]:
    return [(b.option, b.gpu_type, b.site, b.period, _num(b.units),
             _num(b.units * instance.spec.procurement[_option_index(instance, b.option)].price))
            for b in solution.purchases]


def table_rows(instance: Instance, solution: Solution
               ) -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
    """(columns, rows) of allocation.csv, projects.csv and purchases.csv, by file name, as
    `render` writes them (cells as text, before CSV-injection neutralisation)."""
    allocation_rows, project_rows = _tables(instance, solution)
    return {ALLOCATION: (ALLOCATION_COLUMNS, allocation_rows),
            PROJECTS: (PROJECT_COLUMNS + extra_columns(instance), project_rows),
            PURCHASES: (PURCHASE_COLUMNS, _purchase_rows(instance, solution))}


def _maybe(x: float | None) -> str:
    return "" if x is None else _num(x)


def extra_columns(instance: Instance) -> tuple[str, ...]:
    """The extra columns project tables carry through (`extra_columns: keep`), in the
    order they first appear; written after projects.csv's own columns."""
    return tuple(dict.fromkeys(k for p in instance.projects for k in p.extra))


def _tables(instance: Instance, solution: Solution) -> tuple[list[tuple], list[tuple]]:
    """allocation.csv and projects.csv rows."""
    idx = instance.period_index
    extra = extra_columns(instance)
    awards = {a.project: a for a in solution.awards}
    allocation_rows = []
    for a in solution.awards:
        for g, n in a.gpus.items():
            for t in range(idx[a.start], idx[a.end] + 1):
                allocation_rows.append((a.project, g, a.site, instance.periods[t], _num(n)))
    project_rows = []
    for p in instance.projects:
        a = awards.get(p.id)
        size, value = award_value(instance, a) if a else (0.0, 0.0)
        project_rows.append((
            p.id, p.title, p.owner, p.area, p.partner or "", str(p.mandatory).lower(),
            str(a is not None).lower(), (a.configuration or "elastic") if a else "",
            a.site if a else "", a.start if a else "", a.end if a else "",
            _num(sum(a.gpus.values())) if a else "0", requested(instance, p)[0],
            _num(round(size, 9)), _num(round(requested(instance, p)[1], 9)),
            _num(round(value, 9)), *(p.extra.get(k, "") for k in extra)))
    return allocation_rows, project_rows


def write_results(out_dir: str | Path, instance: Instance, solution: Solution,
                  options: dict[str, Any], violations: list[Violation] | None = None) -> Path:
    from allocopt import __version__

    return write_folder(out_dir, render(instance, solution, options, violations or [],
                                        __version__))


def read_solution(instance: Instance, folder: str | Path, allocation_file: str = ALLOCATION,
                  projects_file: str = PROJECTS) -> tuple[Solution, list[Violation]]:
    """Rebuild a Solution from a results folder, trusting nothing but its rows.

    Awards come from allocation.csv; a project whose rows are not one site over
    consecutive periods with the same GPUs in each (a steady allocation) is reported
    as a `steady` violation, and projects.csv must agree with allocation.csv.
    """
    folder = Path(folder)
    summary = read_summary(folder)
    allocation = read_rows(folder / allocation_file)
    listed = {r.get("project"): r for r in read_rows(folder / projects_file)}
    purchases = read_optional_rows(folder / PURCHASES) or []
    rows_of = _rows_by_project(instance, allocation, folder / allocation_file)
    problems: list[Violation] = []
    awards = [_award_from_rows(instance, project_id, rows, listed.get(project_id), problems)
              for project_id, rows in rows_of.items()]
    awards += _listed_only_awards(instance, listed, rows_of)
    order = instance.project_index
    awards.sort(key=lambda a: order.get(a.project, len(order)))
    bought = _purchases(purchases, folder / PURCHASES)
    solution = Solution(status=_status(summary, folder), objective=summary.get("objective"),
                        lp_bound=summary.get("lp_bound"),
                        bound=summary.get("bound"), gap=summary.get("gap"),
                        backend=str(summary.get("backend", "")),
                        wall_s=float(summary.get("wall_s") or 0.0), awards=awards,
                        purchases=bought, policy=_recorded_policy(summary))
    if summary.get("instance_sha256") not in (None, instance.sha256):
        problems.append(Violation("instance", "summary.json was written for a different "
                                              "instance (instance_sha256 differs)"))
    return solution, problems


def _rows_by_project(instance: Instance, allocation: list[dict[str, str]],
                     path: Path) -> dict[str, list[dict[str, str]]]:
    """allocation.csv rows grouped by project, in file order; ResultsError on a row
    without a number of GPUs or with a period the instance does not have."""
    idx = instance.period_index
    rows_of: dict[str, list[dict[str, str]]] = defaultdict(list)
    for k, row in enumerate(allocation, start=2):
        try:
            float(row["gpus"])
            idx[row["period"]]
        except (KeyError, ValueError, TypeError):
            raise ResultsError(f"{path}: row {k} is malformed") from None
        rows_of[row["project"]].append(row)
    return rows_of


def _award_from_rows(instance: Instance, project_id: str, rows: list[dict[str, str]],
                     listed: dict[str, str] | None, problems: list[Violation]) -> Award:
    """The award that a project's allocation.csv rows make; appends a `steady` violation
    when they are not one steady allocation at one site, and an `assignment` one when
    projects.csv (`listed`, its row) does not call the project funded."""
    idx = instance.period_index
    sites = {r["site"] for r in rows}
    periods = sorted({idx[r["period"]] for r in rows})
    per_type: dict[str, dict[int, float]] = defaultdict(dict)
    for r in rows:
        t = idx[r["period"]]
        per_type[r["gpu_type"]][t] = per_type[r["gpu_type"]].get(t, 0.0) + float(r["gpus"])
    steady = (len(sites) == 1 and periods == list(range(periods[0], periods[-1] + 1))
              and all(set(v) == set(periods) and len(set(v.values())) == 1
                      for v in per_type.values()))
    if not steady:
        problems.append(Violation("steady", f"project {project_id}: allocation.csv rows are "
                                            "not one steady allocation at one site"))
    if listed is None or listed.get("funded") != "true":
        problems.append(Violation("assignment", f"project {project_id} holds GPUs in "
                                                "allocation.csv but projects.csv does not "
                                                "list it as funded"))
    config = (listed or {}).get("configuration") or "elastic"
    return Award(project=project_id, configuration=None if config == "elastic" else config,
                 site=sorted(sites)[0], start=instance.periods[periods[0]],
                 end=instance.periods[periods[-1]],
                 gpus={g: max(v.values()) for g, v in sorted(per_type.items())})


def _listed_only_awards(instance: Instance, listed: dict[str | None, dict[str, str]],
                        rows_of: dict[str, list[dict[str, str]]]) -> list[Award]:
    """Awards of projects that projects.csv calls funded but that hold no GPUs in
    allocation.csv (verify then names what they lack)."""
    idx = instance.period_index
    awards = []
    for project_id, row in listed.items():
        if row.get("funded") != "true" or project_id in rows_of:
            continue
        if (project_id in instance.project_index and row.get("start") in idx
                and row.get("end") in idx):
            config = row.get("configuration") or "elastic"
            awards.append(Award(project_id, None if config == "elastic" else config,
                                row.get("site", ""), row["start"], row["end"], {}))
    return awards


def _purchases(rows: list[dict[str, str]], path: Path) -> list[Purchase]:
    bought = []
    for k, row in enumerate(rows, start=2):
        try:
            bought.append(Purchase(row["option"], row["gpu_type"], row["site"], row["period"],
                                   float(row["units"])))
        except (KeyError, ValueError, TypeError):
            raise ResultsError(f"{path}: row {k} is malformed") from None
    return bought


def _status(summary: dict[str, Any], folder: Path) -> Status:
    try:
        return Status(summary.get("status"))
    except ValueError:
        raise ResultsError(f"{folder / SUMMARY}: unknown status "
                           f"{summary.get('status')!r}") from None


def _recorded_policy(summary: dict[str, Any]) -> dict[str, Any]:
    """The policy name and stages a results folder records (what verify re-checks)."""
    policy = summary.get("policy")
    if not isinstance(policy, dict):
        return {}
    stages = policy.get("stages")
    ok = isinstance(stages, list) and all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and s.get("sense") in ("max", "min")
        and (s.get("objective") is None or isinstance(s.get("objective"), int | float))
        for s in stages)
    out: dict[str, Any] = {"name": str(policy.get("name", ""))}
    if ok:
        out["stages"] = stages
    return out
