"""The figures a report shows, as plain data: no HTML, no plotting.

`build_report` turns a results folder (and, when given, its instance) into a `Report`
that the HTML, Markdown and XLSX writers only format. With the instance the report
adds what only it knows: GPUs available per type and period, site power, area
hierarchy and names, project windows, and why each unfunded project is out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from allocopt.instance import Instance
from allocopt.report.budget import Budget
from allocopt.report.exposure import Exposure
from allocopt.report.folder import ResultsFolder, number
from allocopt.report.i18n import Words
from allocopt.report.timeline import Timeline
from allocopt.report.why import Explanation

STATUS_TEXT = {
    "optimal": "Optimal: proven best within the tolerance asked for",
    "feasible": "Feasible: best allocation found before the time limit, not proven best",
}


@dataclass(frozen=True)
class Headline:
    """summary.json's figures a reader wants first."""

    title: str
    description: str
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    backend: str
    wall_s: float
    sha256: str
    funded: int
    projects: int
    verified: bool
    version: str
    spend: dict[str, Any]
    time_limit_s: float | None
    budget_total: float | None = None
    policy: str = "weighted"
    policy_text: str = ""

    @property
    def minimised(self) -> bool:
        return self.policy == "least-cost"

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.status, self.status)

    @property
    def achieved(self) -> float | None:
        """Value achieved as a share of the proven upper bound (maximising policies)."""
        if self.objective is None or not self.bound or self.minimised:
            return None
        return self.objective / self.bound


@dataclass(frozen=True)
class TypeUse:
    """GPUs of one type allocated (and available, with the instance) in each period."""

    id: str
    name: str
    allocated: list[float]
    available: list[float] | None


@dataclass(frozen=True)
class AreaRow:
    """A priority area; counts include its sub-areas when the instance is known. Sizes
    are in performance-equivalent (H100-equivalent) GPUs, summed over projects."""

    id: str
    name: str
    depth: int
    projects: int
    funded: int
    perf_requested: float
    perf_awarded: float
    perf_gpu_periods: float
    share: float
    min_share: float
    max_share: float

    @property
    def standing(self) -> str:
        eps = 0.005  # half a percentage point: close enough to bind in practice
        if self.min_share > 0 and self.share <= self.min_share + eps:
            return "at floor"
        if self.max_share < 1 and self.share >= self.max_share - eps:
            return "at cap"
        return "within"


@dataclass(frozen=True)
class SitePower:
    id: str
    name: str
    limit_kw: float
    drawn_kw: list[float]


@dataclass(frozen=True)
class ProjectRow:
    """One row of projects.csv, with its window and (unfunded, with the instance) why."""

    row: dict[str, str]
    window: str = ""
    why: Explanation | None = None
    perf_requested: float | None = None
    request_met: float | None = None
    elastic: bool = False

    def __getitem__(self, key: str) -> str:
        return self.row.get(key, "")


@dataclass(frozen=True)
class Report:
    headline: Headline
    periods: list[str]
    types: list[TypeUse]
    areas: list[AreaRow]
    sites: list[SitePower] | None
    funded: list[ProjectRow]
    unfunded: list[ProjectRow]
    purchases: list[dict[str, str]]
    shadow_prices: list[dict[str, str]] | None
    with_instance: bool
    notes: list[str] = field(default_factory=list)
    available: dict[tuple[str, str, str], float] | None = None
    budget: Budget | None = None
    exposure: Exposure | None = None
    timeline: Timeline | None = None
    lang: str = "en"
    summary: dict[str, Any] = field(default_factory=dict)


def headline(summary: dict[str, Any]) -> Headline:
    options = summary.get("options") or {}
    return Headline(
        title=str(summary.get("instance") or "allocation"), description="",
        status=str(summary.get("status", "")), objective=summary.get("objective"),
        bound=summary.get("bound"), gap=summary.get("gap"),
        backend=str(summary.get("backend", "")), wall_s=float(summary.get("wall_s") or 0.0),
        sha256=str(summary.get("instance_sha256", "")),
        funded=int(summary.get("funded_projects") or 0),
        projects=int(summary.get("projects") or 0), verified=bool(summary.get("verified")),
        version=str(summary.get("allocopt_version", "")), spend=summary.get("spend") or {},
        time_limit_s=options.get("time_limit_s"),
        budget_total=((summary.get("policy") or {}).get("budget") or {}).get("total"),
        policy=str((summary.get("policy") or {}).get("name") or "weighted"),
        policy_text=policy_text(summary))


POLICY_TEXT = {
    "weighted": "weighted value: area weight × score × value, summed over funded projects",
    "maxmin": "max–min fairness across priority areas (water-filling), then weighted value",
    "proportional": "proportional fairness across priority areas (Σ weight · log "
                    "satisfaction), then weighted value",
    "lexicographic": "lexicographic tiers: each tier's value in turn",
    "least-cost": "least public spending that serves the required portfolio "
                  "(the objective is a cost, minimised)",
    "robust": "a purchase plan for supply scenarios, allocations per scenario",
}


def _fmt(x: Any) -> str:
    return f"{x:,.2f}" if isinstance(x, int | float) else "n/a"


def policy_text(summary: dict[str, Any], w: Words | None = None) -> str:
    """One sentence on the policy that produced the allocation, with its key figures."""
    w = w or Words()
    policy = summary.get("policy") or {}
    name = str(policy.get("name") or "weighted")
    explained = w(POLICY_TEXT[name]) if name in POLICY_TEXT else name
    stages = [s for s in policy.get("stages") or [] if isinstance(s, dict)]
    satisfaction = policy.get("satisfaction")
    across_projects = (policy.get("parameters") or {}).get("across") == "projects"
    if name in ("maxmin", "proportional") and across_projects:
        explained = w(POLICY_TEXT[name].replace("across priority areas", "across projects"))
    text = w("Policy: {name} — {text}.", name=name, text=explained)
    if name == "lexicographic" and stages:
        text += " " + w("Tier optima: {list}.", list="; ".join(
            f"{s.get('name')} {_fmt(s.get('objective'))}" for s in stages))
    if name in ("maxmin", "proportional") and isinstance(satisfaction, dict):
        if across_projects:
            least = sorted(satisfaction.items(), key=lambda item: item[1])[:5]
            text += " " + w("Least satisfied projects (1 = the whole request, at the mean "
                            "weight): {list}.",
                            list=", ".join(f"{p} {_fmt(v)}" for p, v in least))
        else:
            text += " " + w("Satisfaction by area (1 = its weighted fair share): {list}.",
                            list=", ".join(f"{a} {_fmt(v)}" for a, v in satisfaction.items()))
    if name == "robust":
        text += " " + w("Expected value {ev}, worst case {worst}, value of the stochastic "
                        "solution {vss}, expected value of perfect information {evpi}; the "
                        "allocation shown is the first scenario's (scenarios.csv lists them "
                        "all).", ev=_fmt(summary.get("expected_value")),
                        worst=_fmt(summary.get("worst_case_value")),
                        vss=_fmt(summary.get("vss")), evpi=_fmt(summary.get("evpi")))
    return text


def title_of(row: dict[str, str], lang: str) -> str:
    """A project's title in `lang`: its `title_ko` column in Korean, when it has one."""
    if lang == "ko" and row.get("title_ko"):
        return row["title_ko"]
    return row.get("title", "")


def _periods(folder: ResultsFolder, instance: Instance | None) -> list[str]:
    if instance is not None:
        return list(instance.periods)
    return sorted({r["period"] for r in folder.allocation})


def _types(folder: ResultsFolder, instance: Instance | None, periods: list[str],
           ledger) -> list[TypeUse]:
    if instance is not None:
        held, avail = ledger.held.sum(axis=1), ledger.available.sum(axis=1)
        return [TypeUse(g.id, g.name or g.id, [float(x) for x in held[k]],
                        [float(x) for x in avail[k]])
                for k, g in enumerate(instance.spec.gpu_types)]
    use: dict[tuple[str, str], float] = defaultdict(float)
    for r in folder.allocation:
        use[(r["gpu_type"], r["period"])] += number(r["gpus"])
    ids = list(folder.summary.get("gpus_by_type") or {}) or sorted({g for g, _ in use})
    return [TypeUse(g, g, [use[(g, t)] for t in periods], None) for g in ids]


def _areas(folder: ResultsFolder, instance: Instance | None) -> list[AreaRow]:
    figures = folder.summary.get("areas") or {}
    lineage: dict[str, tuple[str, ...]] = (
        dict(instance.area_lineage) if instance is not None else {})
    names = {a.id: a.name or a.id for a in instance.spec.areas} if instance else {}
    requested: dict[str, float] = defaultdict(float)
    awarded: dict[str, float] = defaultdict(float)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in folder.projects:
        for a in lineage.get(r["area"], (r["area"],)):
            requested[a] += perf_requested(r, instance) or 0.0
            awarded[a] += number(r.get("perf_gpus_awarded"))
            counts[a][0] += 1
            counts[a][1] += r["funded"] == "true"
    ids = [a.id for a in instance.spec.areas] if instance else list(figures) or sorted(counts)
    if instance is not None:  # parents first, each followed by its children
        children: dict[str | None, list[str]] = defaultdict(list)
        for a in instance.spec.areas:
            children[a.parent].append(a.id)
        ordered: list[str] = []

        def walk(parent: str | None) -> None:
            for c in children[parent]:
                ordered.append(c)
                walk(c)
        walk(None)
        ids = ordered
    out = []
    for a in ids:
        f = figures.get(a, {})
        out.append(AreaRow(
            id=a, name=names.get(a, a), depth=len(lineage.get(a, (a,))) - 1,
            projects=counts[a][0], funded=counts[a][1], perf_requested=requested[a],
            perf_awarded=awarded[a], perf_gpu_periods=float(f.get("perf_gpu_periods") or 0.0),
            share=float(f.get("share") or 0.0), min_share=float(f.get("min_share") or 0.0),
            max_share=float(f.get("max_share", 1.0) if f.get("max_share") is not None else 1.0)))
    return out


def perf_requested(row: dict[str, str], instance: Instance | None) -> float | None:
    """A project's largest request in performance-equivalent GPUs: the folder's
    perf_gpus_requested, else computed from the instance, else (older folders) an
    elastic request's gpus_requested, which was already performance-equivalent."""
    if row.get("perf_gpus_requested") not in (None, ""):
        return number(row["perf_gpus_requested"])
    if instance is not None and row.get("project") in instance.project_index:
        p = instance.projects[instance.project_index[row["project"]]]
        if p.request.configurations is None:
            return p.request.elastic.max_gpus
        perf = {g.id: g.perf for g in instance.spec.gpu_types}
        return max(sum(n * perf[g] for g, n in c.gpus.items())
                   for c in p.request.configurations)
    if row.get("configuration") == "elastic":
        return number(row.get("gpus_requested"))
    return None


def is_elastic(row: dict[str, str], instance: Instance | None) -> bool:
    if instance is not None and row.get("project") in instance.project_index:
        p = instance.projects[instance.project_index[row["project"]]]
        return p.request.elastic is not None
    return row.get("configuration") == "elastic" or row.get("gpus_requested") == ""


def request_met(row: dict[str, str], instance: Instance | None) -> float | None:
    """Awarded as a share of the largest request, in performance-equivalent GPUs."""
    want = perf_requested(row, instance)
    return number(row.get("perf_gpus_awarded")) / want if want else None


def _window(instance: Instance | None, project_id: str, w: Words) -> str:
    if instance is None or project_id not in instance.project_index:
        return ""
    p = instance.projects[instance.project_index[project_id]]
    first, last = instance.window(p)
    return (f"{instance.periods[first]} – {instance.periods[last]}, "
            + w("{n} periods", n=p.window.duration))


def scenario_values(summary: dict[str, Any]) -> dict[str, float] | None:
    """Scenario id → value, from a robust solve's summary.json; None otherwise."""
    listed = summary.get("scenarios")
    if not isinstance(listed, list):
        return None
    out = {str(s["id"]): float(s["value"]) for s in listed
           if isinstance(s, dict) and "id" in s and isinstance(s.get("value"), int | float)}
    return out or None


def build_report(folder: ResultsFolder, instance: Instance | None, lang: str = "en") -> Report:
    """Everything the writers show, computed once."""
    w = Words(lang)
    head = headline(folder.summary)
    notes: list[str] = []
    ledger, why = None, {}
    extras: dict[str, Any] = {}
    if instance is not None:
        from allocopt.report.budget import build_budget
        from allocopt.report.exposure import build_exposure
        from allocopt.report.ledger import build_ledger
        from allocopt.report.timeline import build_timeline
        from allocopt.report.why import explain
        from allocopt.results import read_solution

        solution, problems = read_solution(instance, folder.path)
        notes += [str(p) for p in problems]
        ledger = build_ledger(instance, solution)
        why = explain(instance, solution, folder.shadow_prices, head.gap, lang)
        extras = {"budget": build_budget(instance, solution),
                  "exposure": build_exposure(instance, solution,
                                             scenario_values(folder.summary), lang),
                  "timeline": build_timeline(instance, solution,
                                             [r["project"] for r in folder.projects], lang)}
        head = Headline(**{**head.__dict__, "title": instance.name,
                           "description": instance.spec.description})
    else:
        notes.append(w("No instance was given: GPUs available per period, site power and the "
                       "reasons projects were left out need `--instance FILE`."))
    if head.status == "feasible" and head.gap:
        notes.append(w("The solver stopped before proving this allocation best: a better one "
                       "may be worth up to {gap} % more. Some projects listed as not funded "
                       "could be funded by a longer run.", gap=f"{100 * head.gap:.1f}"))
    periods = _periods(folder, instance)
    sites, available = None, None
    if instance is not None:
        spec = instance.spec
        available = {(g.id, s.id, t): float(ledger.available[i, j, k])
                     for i, g in enumerate(spec.gpu_types) for j, s in enumerate(spec.sites)
                     for k, t in enumerate(periods) if ledger.available[i, j, k] > 0}
        sites = [SitePower(s.id, s.name or s.id, float(ledger.limit_kw[k]),
                           [float(x) for x in ledger.drawn_kw[k]])
                 for k, s in enumerate(instance.spec.sites)]
    funded = [ProjectRow(r, _window(instance, r["project"], w), None,
                         perf_requested(r, instance), request_met(r, instance),
                         is_elastic(r, instance))
              for r in folder.projects if r["funded"] == "true"]
    unfunded = [ProjectRow(r, _window(instance, r["project"], w), why.get(r["project"]),
                           perf_requested(r, instance), None, is_elastic(r, instance))
                for r in folder.projects if r["funded"] != "true"]
    return Report(headline=head, periods=periods, types=_types(folder, instance, periods, ledger),
                  areas=_areas(folder, instance), sites=sites, funded=funded, unfunded=unfunded,
                  purchases=folder.purchases, shadow_prices=folder.shadow_prices,
                  with_instance=instance is not None, notes=notes, available=available,
                  lang=lang, summary=folder.summary, **extras)
