"""The server's one session: the baseline, named scenarios (each a set of edits of the
baseline instance and its latest verified allocation), and one worker thread that
solves one scenario at a time.

A change replaces the scenario's edits, is applied to the baseline instance through
the library's edits (so bad input raises InstanceError or ParameterError with field
paths, as a file would), and queues a warm re-solve (`allocopt.resolve`) from the
scenario's latest verified allocation. A new change or the cancel button sets the
running solve's stop event: the backends are asked to stop as on Ctrl-C
(`run_interruptible`), and `resolve` returns the best verified allocation it has."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from allocopt_cli.serve import view

NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_. ")
MAX_NAME = 60
BASELINE = "baseline"


@dataclass
class Scenario:
    """A named set of edits, its instance, and what its solves have shown so far.
    `phase`: queued, solving, done, cancelled or failed."""

    name: str
    edits: dict[str, Any]
    instance: Any
    solution: Any = None  # the latest verified Solution
    shown: dict[str, Any] | None = None
    phase: str = "queued"
    message: str = ""
    incumbent: float | None = None
    bound: float | None = None
    started: float = 0.0
    first_verified_s: float | None = None
    wall_s: float | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    generation: int = 0


class Session:
    def __init__(self, instance, time_limit_s: float, gap: float) -> None:
        self.base = instance
        self.time_limit_s = time_limit_s
        self.gap = gap
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.scenarios: dict[str, Scenario] = {BASELINE: Scenario(BASELINE, {}, instance)}
        self.current = BASELINE
        self.pending: list[tuple[Scenario, int]] = [(self.scenarios[BASELINE], 0)]
        self.running: Scenario | None = None
        threading.Thread(target=self._work, name="allocopt-serve", daemon=True).start()

    # ----------------------------------------------------------------- requests

    def state(self) -> dict[str, Any]:
        with self.lock:
            baseline = self.scenarios[BASELINE].shown
            return {"instance": view.controls(self.base), "current": self.current,
                    "time_limit_s": self.time_limit_s,
                    "scenarios": [self._scenario_state(s, baseline)
                                  for s in self.scenarios.values()]}

    def change(self, name: str, edits: Any) -> dict[str, Any]:
        """Set scenario `name`'s edits (creating it, from the current scenario's
        allocation, when new) and queue its re-solve; errors name the field."""
        from allocopt.errors import ParameterError

        name = check_name(name)
        if name == BASELINE:
            raise ParameterError("scenario: the baseline cannot be edited; name a new scenario")
        normal = normalise(self.base, edits)
        instance = apply(self.base, normal)
        with self.lock:
            scenario = self.scenarios.get(name)
            if scenario is None:
                start_from = self.scenarios[self.current]
                scenario = Scenario(name, normal, instance, solution=start_from.solution)
                self.scenarios[name] = scenario
            self._cancel_locked()
            scenario.edits, scenario.instance = normal, instance
            scenario.generation += 1
            scenario.stop = threading.Event()
            scenario.phase, scenario.message = "queued", ""
            scenario.incumbent = scenario.bound = scenario.shown = None
            self.current = name
            self.pending = [(scenario, scenario.generation)]
            self.wake.notify_all()
        return self.state()

    def select(self, name: str) -> dict[str, Any]:
        from allocopt.errors import ParameterError

        with self.lock:
            if name not in self.scenarios:
                raise ParameterError(f"scenario: no scenario named {name!r}")
            self.current = name
        return self.state()

    def cancel(self) -> dict[str, Any]:
        with self.lock:
            self._cancel_locked()
        return self.state()

    def scenario(self, name: str) -> Scenario:
        from allocopt.errors import ParameterError

        with self.lock:
            if name not in self.scenarios:
                raise ParameterError(f"scenario: no scenario named {name!r}")
            return self.scenarios[name]

    def _cancel_locked(self) -> None:
        for scenario, _ in self.pending:
            if scenario.phase == "queued" and scenario.name != BASELINE:
                scenario.phase = "cancelled"
        self.pending = [(s, g) for s, g in self.pending if s.name == BASELINE]
        # The baseline is never stopped: every difference is measured against it.
        if self.running is not None and self.running.name != BASELINE:
            self.running.stop.set()

    def _scenario_state(self, s: Scenario, baseline: dict | None) -> dict[str, Any]:
        shown = s.shown
        out = {"name": s.name, "edits": s.edits, "phase": s.phase, "message": s.message,
               "incumbent": s.incumbent, "bound": s.bound, "shown": shown,
               "first_verified_s": s.first_verified_s, "wall_s": s.wall_s,
               "elapsed_s": (time.perf_counter() - s.started
                             if s.phase == "solving" else s.wall_s)}
        if shown is not None and baseline is not None:
            out["diff"] = view.difference(baseline, shown)
        return out

    # ------------------------------------------------------------------ solving

    def _work(self) -> None:
        while True:
            with self.lock:
                while not self.pending:
                    self.wake.wait()
                scenario, generation = self.pending.pop(0)
                if generation != scenario.generation:
                    continue
                scenario.phase, scenario.started = "solving", time.perf_counter()
                scenario.first_verified_s = scenario.wall_s = None
                self.running = scenario
            try:
                self._solve(scenario, generation)
            except Exception as exc:  # shown on the page; the server keeps serving
                with self.lock:
                    if generation == scenario.generation:
                        scenario.phase, scenario.message = "failed", _message(exc)
            finally:
                with self.lock:
                    self.running = None

    def _solve(self, scenario: Scenario, generation: int) -> None:
        import allocopt
        from allocopt.backends import SolveOptions

        instance, previous = scenario.instance, scenario.solution
        options = SolveOptions(time_limit_s=self.time_limit_s, gap=self.gap,
                               stop=scenario.stop)

        def heard(event) -> None:
            if event.solution is not None:
                self._show(scenario, generation, instance, event.solution)
            with self.lock:
                if generation == scenario.generation:
                    scenario.incumbent = event.objective
                    if event.bound is not None:
                        scenario.bound = event.bound

        if previous is None:
            solution = allocopt.solve(instance, options=options)
        else:
            solution = allocopt.resolve(previous, instance, on_improvement=heard,
                                        options=options)
        self._show(scenario, generation, instance, solution)
        with self.lock:
            if generation == scenario.generation:
                scenario.wall_s = time.perf_counter() - scenario.started
                scenario.phase = "cancelled" if scenario.stop.is_set() else "done"
                scenario.message = solution.message if solution.interrupted else ""
                scenario.bound = solution.bound

    def _show(self, scenario: Scenario, generation: int, instance, solution) -> None:
        """Show `solution` once the independent check has passed (and only then)."""
        if not solution.status.has_solution or solution.verify(instance):
            return
        shown = view.allocation(instance, solution, verified=True)
        with self.lock:
            if generation != scenario.generation:
                return
            scenario.solution, scenario.shown = solution, shown
            if scenario.first_verified_s is None:
                scenario.first_verified_s = time.perf_counter() - scenario.started


def _message(exc: BaseException) -> str:
    from allocopt.errors import AllocoptError

    if isinstance(exc, AllocoptError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"


def check_name(name: Any) -> str:
    from allocopt.errors import ParameterError

    if (not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME
            or not set(name) <= NAME_CHARS):
        raise ParameterError(f"scenario: a name of 1-{MAX_NAME} letters, digits, spaces, "
                             "'-', '_' or '.'")
    return name.strip()


# -------------------------------------------------------------- edits from the page

SECTIONS = {"supply": ("share", "from_period"), "areas": ("weight", "min_share", "max_share"),
            "projects": ("score", "mandatory")}


def normalise(instance, edits: Any) -> dict[str, Any]:
    """The page's edits, checked for shape and types (ParameterError naming the field):
    {"supply": {type: {"share", "from_period"}}, "budget": {line: number or null},
    "areas": {id: {"weight", "min_share", "max_share"}}, "projects": {id: {"score",
    "mandatory"}}}. Values are checked against the instance by the edits themselves."""
    from allocopt.errors import ParameterError

    if not isinstance(edits, dict):
        raise ParameterError("edits: an object")
    unknown = sorted(set(edits) - {"budget", *SECTIONS})
    if unknown:
        raise ParameterError(f"edits.{unknown[0]}: unknown; use budget, supply, areas or "
                             "projects")
    out: dict[str, Any] = {}
    budget = edits.get("budget") or {}
    if not isinstance(budget, dict) or set(budget) - set(view.BUDGET_LINES):
        raise ParameterError("edits.budget: an object of capex, opex, total")
    if budget:
        out["budget"] = {line: _number(f"budget.{line}", v, allow_none=True)
                         for line, v in budget.items()}
    for section, names in SECTIONS.items():
        entries = edits.get(section) or {}
        if not isinstance(entries, dict):
            raise ParameterError(f"edits.{section}: an object by id")
        for ident, fields in entries.items():
            path = f"{section}.{ident}"
            if not isinstance(fields, dict) or set(fields) - set(names):
                raise ParameterError(f"{path}: an object of {', '.join(names)}")
            checked = {k: _field(f"{path}.{k}", k, v) for k, v in fields.items()}
            if checked:
                out.setdefault(section, {})[str(ident)] = checked
    return out


def _field(path: str, name: str, value: Any) -> Any:
    from allocopt.errors import ParameterError

    if name == "mandatory":
        if not isinstance(value, bool):
            raise ParameterError(f"{path}: true or false")
        return value
    if name == "from_period":
        if value is not None and not isinstance(value, str):
            raise ParameterError(f"{path}: a period id")
        return value
    return _number(path, value)


def _number(path: str, value: Any, allow_none: bool = False) -> float | None:
    import math

    from allocopt.errors import ParameterError

    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"{path}: a number{' or null' if allow_none else ''}, "
                             f"not {value!r}")
    return float(value)


def apply(instance, edits: dict[str, Any]):
    """The baseline `instance` with normalised `edits` applied by the library's edits."""
    if "budget" in edits:
        instance = instance.with_budget(**edits["budget"])
    for gpu, fields in edits.get("supply", {}).items():
        if "share" in fields and fields["share"] != 1.0:
            instance = instance.with_supply(gpu, share=fields["share"],
                                            from_period=fields.get("from_period"))
    for area, fields in edits.get("areas", {}).items():
        instance = instance.with_area(area, **fields)
    for project, fields in edits.get("projects", {}).items():
        instance = instance.with_project(project, **fields)
    return instance
