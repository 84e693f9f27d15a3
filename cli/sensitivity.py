"""`allocopt sensitivity …`: shadow prices, sweeps, ranging and Monte Carlo; thin
wrappers over allocopt.sensitivity that parse options, show progress and write files.

Ctrl-C and SIGTERM (made to act alike while a command runs) stop the run: the tasks
finished by then are written as a partial result, marked `"partial": true` in
sensitivity.json, and the command exits 130 (143 for SIGTERM), as `allocopt solve`
does. A partial result never replaces a complete folder (`_destination`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import click

from allocopt.defaults import DEFAULT_GAP
from allocopt_cli.common import (
    BACKEND,
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_NO_SOLUTION,
    EXIT_VIOLATED,
    Failure,
    domain_errors,
    instance_path,
    limits_options,
    load,
)
from allocopt_cli.lock import folder_lock, lock_for_command

out_option = click.option("--out", "out_dir", required=True,
                          type=click.Path(file_okay=False, path_type=Path),
                          help="Folder for the results (replaced atomically when complete).")


def solver_options(f):
    """--backend, --time-limit, --gap, --seed: how every scenario is solved."""
    f = click.option("--seed", type=int, default=0, show_default=True,
                     help="Seed of the solver (and of the sampling, for montecarlo).")(f)
    f = click.option("--gap", type=click.FloatRange(0, 1), default=DEFAULT_GAP,
                     show_default=True,
                     help="Relative optimality gap at which each solve stops.")(f)
    f = click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
                     help="Seconds for the whole command, every solve included (each "
                          "solve takes its share of the time left). Results are "
                          "reproducible only when every solve finishes within its share.")(f)
    f = click.option("--backend", type=BACKEND, default="auto", show_default=True,
                     help="Solver backend for the MILP solves: scip, highs, cpsat, cbc, or "
                          "auto (as for allocopt solve: the fastest measured for the "
                          "model's shape).")(f)
    return f


def executor_options(f):
    """--workers, --dask, --no-plots."""
    f = click.option("--no-plots", is_flag=True, help="Write the CSV files only.")(f)
    f = click.option("--dask", "dask_address", metavar="ADDRESS",
                     help="Run the scenarios on the Dask scheduler at ADDRESS "
                          "(e.g. tcp://10.0.0.5:8786) instead of local processes.")(f)
    f = click.option("--workers", type=click.IntRange(0), default=2, show_default=True,
                     help="Local worker processes (0 or 1: solve in this process).")(f)
    return f


_STARTED = [time.time()]


@click.group()
def sensitivity() -> None:
    """What one more GPU is worth, what moves the answer, and how sure we are."""
    _STARTED[0] = time.time()


class _Signal:
    """The signal that stopped the command, for its exit code (128 + signal number)."""

    exit_code = 130


_stopped_by = _Signal()


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt while the block runs (a bare SIGTERM
    would end the process at once: no partial result, and the workers' semaphores
    leaked); the earlier handlers come back after it."""

    def handle(signum, frame) -> None:
        _stopped_by.exit_code = 128 + signum
        raise KeyboardInterrupt

    _stopped_by.exit_code = 130
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):  # not on the main thread: no handlers
            previous[sig] = signal.signal(sig, handle)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _stoppable(command):
    """A command body under _signals_interrupt; a KeyboardInterrupt that reaches it
    (no task had finished, or it came while loading or writing) writes nothing."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        with _signals_interrupt():
            try:
                return command(*args, **kwargs)
            except KeyboardInterrupt:
                raise Failure(["interrupted: nothing was written"],
                              _stopped_by.exit_code) from None

    return run


def _interrupted(lines: list[str]) -> Failure:
    return Failure(lines, _stopped_by.exit_code)


class _Bars:
    """One progress bar per phase of a run, on standard error (allocopt_cli.progress)."""

    def __init__(self) -> None:
        self._bar = None

    def __call__(self, label: str, total: int):
        from allocopt_cli.progress import TaskBar

        self.close()
        self._bar = TaskBar(f"solving {label}", total)
        return self._bar.update

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@contextlib.contextmanager
def _domain_errors(backend: str):
    """Library errors as clean messages with the contract's exit codes, and a progress
    bar per phase meanwhile. An interrupt that the library could not turn into a
    partial result (the base solve was running) writes nothing."""
    from allocopt.errors import Interrupted

    bars = _Bars()
    try:
        with domain_errors(backend=backend, allocation="a solver's allocation"):
            yield bars
    except (KeyboardInterrupt, Interrupted):
        raise _interrupted(["interrupted before any result was complete: nothing was "
                            "written"]) from None
    finally:
        bars.close()


def _settings(backend: str, time_limit: float | None, gap: float, seed: int):
    """How every solve runs; `time_limit` is the whole command's, from when it started."""
    from allocopt.sensitivity import Settings

    return Settings(backend=backend, gap=gap, seed=seed).within(time_limit, _STARTED[0])


def _executor(workers: int, dask_address: str | None):
    from allocopt.sensitivity import Executor

    return Executor(workers=workers, dask=dask_address)


def _recorded(settings, time_limit: float | None, executor=None, **more) -> dict:
    out = {"backend": settings.backend, "time_limit_s": time_limit,
           "gap": settings.gap, "seed": settings.seed, **more}
    if executor is not None:
        out["executor"] = executor.label
    return out


def _write(out_dir: Path, files: dict, plots, no_plots: bool, partial: bool = False
           ) -> Path:
    """Write the folder atomically (a partial result where _destination says); returns
    the folder written."""
    from allocopt.folder import write_folder
    from allocopt.sensitivity import plots as charts

    if not no_plots:
        if charts.available():
            files.update(plots())
        else:
            click.echo("matplotlib is not installed: no plots (pip install "
                       "'allocopt[report]')", err=True)
    target = _destination(out_dir) if partial else out_dir
    if target == out_dir:
        write_folder(out_dir, files)
    else:
        click.echo(f"{out_dir} holds a complete result, which an interrupted run does not "
                   f"replace: the partial result goes to {target}", err=True)
        with folder_lock(target):
            write_folder(target, files)
    click.echo(f"wrote {target}/: {', '.join(sorted(files))}")
    return target


def _destination(out_dir: Path) -> Path:
    """Where an interrupted run writes: OUT when it is absent, empty or holds an earlier
    partial result; otherwise (a complete sensitivity result, or anything else) the
    sibling OUT.partial, so that a worse result never replaces a better one."""
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return out_dir
    try:
        recorded = json.loads((out_dir / "sensitivity.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    if isinstance(recorded, dict) and recorded.get("partial") is True:
        return out_dir
    return out_dir.with_name(f"{out_dir.name}.partial")


def _partial_note(finished: int, total: int, what: str) -> str:
    return (f"Interrupted: {finished} of {total} {what} finished; the tables hold those "
            "only.")


def _stopped(target: Path, finished: int, total: int, what: str) -> Failure:
    return _interrupted([f"interrupted: {finished} of {total} {what} finished; the partial "
                         f"result is in {target}"])


def _warn_unverified(outcomes) -> None:
    """Scenarios whose allocation failed the independent re-check are left out of every
    figure; say so, with the first rule that broke."""
    failed = [o for o in outcomes if o.status == "verification_failed"]
    if failed:
        click.echo(f"warning: {len(failed)} scenario(s) left out: the solver's allocation "
                   f"broke a rule when re-checked ({failed[0].message})", err=True)


def _require_solution(file: Path, outcome) -> None:
    if outcome.status == "verification_failed":
        raise Failure([f"{file}: the solver's allocation breaks rules; nothing was written:",
                       outcome.message], EXIT_VIOLATED)
    if outcome.status == "infeasible":
        raise Failure([f"{file}: infeasible: no allocation satisfies every rule "
                       "(allocopt solve names the conflicting rules)"], EXIT_INFEASIBLE)
    if not outcome.has_solution:
        raise Failure([f"{file}: {outcome.status}: no allocation found within the limits "
                       f"({outcome.message}); nothing was written"], EXIT_NO_SOLUTION)


@sensitivity.command("shadow-prices")
@click.argument("file", type=instance_path)
@out_option
@solver_options
@click.option("--all-rows", is_flag=True,
              help="Every row of the model, not only capacity, power, budget, area shares "
                   "and procurement quotas.")
@limits_options
@_stoppable
def shadow_prices(file: Path, out_dir: Path, backend: str, time_limit: float | None, gap: float,
                  seed: int, all_rows: bool, **limits) -> None:
    """Duals of FILE's capacity, power, budget and share rows, and reduced costs of the
    unfunded projects, with the optimal funding decisions fixed.

    Writes OUT/shadow_prices.csv (rule, key, dual, activity, limit, binding) and
    OUT/reduced_costs.csv. Local and conditional: a dual is what one more unit of the
    row's limit is worth while every funding decision stays as it is.
    """
    lock_for_command(out_dir)
    instance = load(file, **limits)
    settings = _settings(backend, time_limit, gap, seed)
    with _domain_errors(backend):
        from allocopt.backends import get_backend
        from allocopt.sensitivity.duals import RESOURCE_RULES
        from allocopt.sensitivity.duals import shadow_prices as compute
        from allocopt.sensitivity.executor import interruptible
        from allocopt.sensitivity.output import metadata, shadow_files
        from allocopt.sensitivity.scenario import solve_instance

        try:
            get_backend("highs")
        except Exception:
            raise Failure(["shadow prices need highspy for the LP duals: pip install "
                           "'allocopt[solvers]'"], EXIT_BAD_INPUT) from None
        # One MILP and one LP, nothing to write until both are done: an interrupt
        # writes nothing.
        base = interruptible(solve_instance, instance, settings, keep=True)
        _require_solution(file, base)
        prices = interruptible(compute, instance, base.solution,
                               rules=None if all_rows else RESOURCE_RULES)
    files = shadow_files(prices)
    files["sensitivity.json"] = metadata(
        "shadow-prices", instance, _recorded(settings, time_limit, all_rows=all_rows),
        ["Duals are of the LP with every funding decision (ASSIGN, START) fixed at the "
         "MILP's optimum and elastic sizes and purchases continuous: local (valid near the "
         "current limits) and conditional on the fixed decisions.",
         "dual = change of the objective per unit added to the row's limit (≥ 0 on a "
         "binding ≤ row, ≤ 0 on a binding ≥ row such as a minimum area share).",
         "reduced_cost = value of an unfunded project's best option minus the price, at "
         "these duals, of what it needs; > 0 means it looks worth funding at these prices "
         "but some fixed decision or integrality keeps it out."],
        {"status": base.status, "objective": prices.objective,
         "fixed_lp_objective": prices.lp_objective})
    binding = sorted((r for r in prices.rows if r.binding and r.dual != 0),
                     key=lambda r: -abs(r.dual))
    click.echo(f"{instance.name}: objective {prices.objective:,.4f} ({base.status}); "
               f"LP with the funding fixed {prices.lp_objective:,.4f}")
    for r in binding[:10]:
        click.echo(f"  {r.rule:<18} {'|'.join(map(str, r.key)):<28} dual {r.dual:,.6g}")
    _write(out_dir, files, None, True)


def _axes(instance, params: tuple[str, ...], ranges: tuple[str, ...], steps: tuple[int, ...],
          tol: str | None):
    from allocopt.sensitivity.params import (
        Change,
        ParameterError,
        apply_changes,
        grid_values,
        parse_amount,
        parse_range,
        target,
    )
    from allocopt.sensitivity.sweep import STEPS_PER_INTERVAL, Axis

    if len(ranges) != len(params):
        raise ParameterError(f"give one --range per --param ({len(params)} --param, "
                             f"{len(ranges)} --range)")
    if len(steps) not in (1, len(params)):
        raise ParameterError("give --steps once, or once per --param")
    if len(set(params)) != len(params):
        raise ParameterError("each --param may be given once")
    axes = []
    for k, (path, text) in enumerate(zip(params, ranges, strict=True)):
        t = target(instance, path)
        lo, hi = parse_range(text, t)
        n = steps[k] if len(steps) > 1 else steps[0]
        width = hi - lo
        if tol is None:
            step_tol = width / max(n - 1, 1) / STEPS_PER_INTERVAL
        elif tol.strip().endswith("%"):
            step_tol = parse_amount(tol, width, "--tol") - width
        else:
            step_tol = parse_amount(tol, None, "--tol")
        if not step_tol > 0:
            raise ParameterError(f"--tol {tol}: must be positive")
        for end in (lo, hi):  # values in between are valid when both ends are
            apply_changes(instance, [Change(path, end)])
        axes.append(Axis(path, tuple(grid_values(lo, hi, n, t.integer)), t.integer, step_tol))
    return axes


@sensitivity.command()
@click.argument("file", type=instance_path)
@click.option("--param", "params", multiple=True, required=True, metavar="PATH",
              help="Parameter to vary, e.g. supply.H200 (total deliveries, scaled), "
                   "budget.capex, areas.<id>.weight, projects.<id>.score, "
                   "sites.<id>.power_mw. Repeat for a grid.")
@click.option("--range", "ranges", multiple=True, required=True, metavar="LO..HI",
              help="Absolute (10..20) or relative to the instance's value (-50%..+50%); "
                   "one per --param.")
@click.option("--steps", type=click.IntRange(2, 1000), multiple=True, default=(5,),
              show_default=True, help="Points per parameter, ends included (once, or per "
                                      "--param).")
@click.option("--tol", metavar="T",
              help="Breakpoint tolerance in the parameter's units, or a percentage of its "
                   "range [default: 1/64 of a step].")
@click.option("--no-breakpoints", is_flag=True, help="Skip locating breakpoints.")
@out_option
@solver_options
@executor_options
@limits_options
@_stoppable
def sweep(file: Path, params: tuple[str, ...], ranges: tuple[str, ...], steps: tuple[int, ...],
          tol: str | None, no_breakpoints: bool, out_dir: Path, backend: str,
          time_limit: float | None, gap: float, seed: int, workers: int,
          dask_address: str | None, no_plots: bool, **limits) -> None:
    """Re-solve FILE over a range (or a grid) of parameter values.

    Writes OUT/sweep.csv (one row per point: objective, funded projects, GPU-periods per
    area) and OUT/breakpoints.csv (where the funded set changes, narrowed by bisection),
    plus sweep.png/svg.
    """
    lock_for_command(out_dir)
    instance = load(file, **limits)
    settings = _settings(backend, time_limit, gap, seed)
    executor = _executor(workers, dask_address)
    with _domain_errors(backend) as bars:
        from allocopt.errors import Interrupted
        from allocopt.sensitivity.output import metadata, sweep_files
        from allocopt.sensitivity.sweep import sweep as run

        axes = _axes(instance, params, ranges, steps, tol)
        try:
            result = run(instance, axes, settings, executor, progress=bars,
                         breakpoints=not no_breakpoints)
        except Interrupted as exc:
            result = _partial_sweep(exc)
            if not result.points:
                raise _interrupted(["interrupted before any point was solved: nothing was "
                                    "written"]) from None
    partial = getattr(result, "partial", False)
    _warn_unverified([p.outcome for p in result.points])
    files = sweep_files(result, instance)
    files["sensitivity.json"] = metadata(
        "sweep", instance, _recorded(settings, time_limit, executor, params=list(params),
                                     ranges=list(ranges), steps=list(steps),
                                     tol={a.path: a.tol for a in axes}),
        ["Each point is the instance with the parameters set, re-solved (warm-started).",
         "supply.<type> is the type's total deliveries; setting it scales every delivery.",
         "area.<id> columns: performance-equivalent GPU-periods awarded (sub-areas count "
         "towards their parents).",
         "objective is the best verified allocation found for the point (incumbent_from: "
         "the point whose allocation it is, carried over and re-checked, when not its "
         "own); bound is proven: the optimum lies in [objective, bound].",
         "A breakpoint (proven = true) is an interval [lower, upper] with different "
         "funded sets at its two ends whose [objective, bound] intervals do not overlap: "
         "the optimum provably moves. Rows with proven = false are changes of funded set "
         "within the solvers' gap, not breakpoints. resolved = true: narrowed to the "
         "tolerance. Changes of configuration or start that keep the same funded set are "
         "not breakpoints.", *result.notes,
         *([_partial_note(len(result.points), _grid_size(axes), "points")] if partial
           else [])],
        {"base": {"status": result.base.status, "objective": result.base.objective,
                  "bound": result.base.ceiling}},
        partial=partial)
    proven, loose = result.proven, result.within_gap
    click.echo(f"{len(result.points)} points, {len(proven)} proven breakpoints "
               f"({executor.label})")
    for b in proven[:10]:
        click.echo(f"  {axes[b.axis].path} in [{b.lower:g}, {b.upper:g}]: "
                   f"+{','.join(b.gained) or '-'} / -{','.join(b.lost) or '-'}")
    if loose:
        click.echo(f"  {len(loose)} change(s) of the funded set within the solvers' gap, "
                   "not breakpoints (breakpoints.csv, proven = false): a smaller --gap or "
                   "a longer --time-limit may prove them")

    def plots():
        from allocopt.sensitivity.plots import sweep_plot

        return sweep_plot(result)

    target = _write(out_dir, files, plots, no_plots, partial)
    if partial:
        raise _stopped(target, len(result.points), _grid_size(axes), "points")


def _grid_size(axes) -> int:
    from math import prod

    return prod(len(a.values) for a in axes)


def _partial_sweep(exc):
    """The sweep's points finished before the interrupt, as a SweepResult with
    `partial` set."""
    from allocopt.sensitivity.sweep import partial_result

    return partial_result(exc)


@sensitivity.command()
@click.argument("file", type=instance_path)
@click.option("--projects", "project_ids", multiple=True, metavar="IDS",
              help="Projects to range (comma-separated or repeated) [default: all when "
                   "there are at most 20 optional projects, else the 20 nearest the margin].")
@click.option("--all", "all_projects", is_flag=True, help="Range every optional project.")
@click.option("--tol", type=click.FloatRange(0, 1, min_open=True), default=0.01,
              show_default=True, help="Relative tolerance of each threshold score.")
@out_option
@solver_options
@executor_options
@limits_options
@_stoppable
def ranging(file: Path, project_ids: tuple[str, ...], all_projects: bool, tol: float,
            out_dir: Path, backend: str, time_limit: float | None, gap: float, seed: int,
            workers: int, dask_address: str | None, no_plots: bool, **limits) -> None:
    """How far each project's score must rise to be funded, or can fall before it is
    dropped. Writes OUT/ranging.csv and tornado.png/svg."""
    lock_for_command(out_dir)
    instance = load(file, **limits)
    settings = _settings(backend, time_limit, gap, seed)
    executor = _executor(workers, dask_address)
    chosen = [p.strip() for text in project_ids for p in text.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in instance.project_index]
    if unknown:
        raise Failure([f"--projects: no project {p!r} in {file}" for p in unknown],
                      EXIT_BAD_INPUT)
    if all_projects and chosen:
        raise Failure(["give --projects or --all, not both"], EXIT_BAD_INPUT)
    selection = ([p.id for p in instance.projects if not p.mandatory] if all_projects
                 else list(dict.fromkeys(chosen)) or None)
    with _domain_errors(backend) as bars:
        from allocopt.sensitivity.output import metadata, ranging_files
        from allocopt.sensitivity.ranging import ranging as run

        result = run(instance, settings, selection, tol, executor, progress=bars)
        base, ranges = result
        _require_solution(file, base)
        if result.partial and not ranges:
            raise _interrupted(["interrupted before any project was ranged: nothing was "
                                "written"])
    files = ranging_files(ranges)
    files["sensitivity.json"] = metadata(
        "ranging", instance, _recorded(settings, time_limit, executor, tol=tol,
                                       projects=selection or "nearest the margin"),
        ["Unfunded at score_low, funded at score_high (re-solves, bisection), "
         "score_high - score_low <= tol * max(score, score_low).",
         "change: to score_high for an unfunded project (rise needed), to score_low for a "
         "funded one (fall that drops it); relative_change = change / score.",
         "Each project is ranged alone, the other scores as in the instance.",
         *([_partial_note(len(ranges), result.asked, "projects")] if result.partial
           else [])],
        {"base": {"status": base.status, "objective": base.objective}},
        partial=result.partial)
    click.echo(f"{len(ranges)} projects ranged ({executor.label})")

    def plots():
        from allocopt.sensitivity.plots import tornado_plot

        return tornado_plot(ranges)

    target = _write(out_dir, files, plots, no_plots, result.partial)
    if result.partial:
        raise _stopped(target, len(ranges), result.asked, "projects")


@sensitivity.command()
@click.argument("file", type=instance_path)
@click.option("--samples", type=click.IntRange(2, 100_000), default=16, show_default=True,
              help="Base samples N of the Saltelli design: N x (factors + 2) solves.")
@click.option("--uncertain", "specs", multiple=True, metavar="PATH~DIST",
              help="An uncertainty: PATH~loss(P), PATH~uniform(LO,HI) or PATH~normal(SD), "
                   "e.g. 'supply.H200~loss(0.4)', 'projects.*.score~normal(10%)', "
                   "'budget.total~uniform(-20%,+0%)'. Repeat for more [default: export-"
                   "controlled deliveries lost with p 0.2, procurement delivery risks, scores "
                   "±10 %, budgets ±10 %].")
@out_option
@solver_options
@executor_options
@limits_options
@_stoppable
def montecarlo(file: Path, samples: int, specs: tuple[str, ...], out_dir: Path, backend: str,
               time_limit: float | None, gap: float, seed: int, workers: int,
               dask_address: str | None, no_plots: bool, **limits) -> None:
    """Sample uncertain supply, demand and budget (Sobol' sequence, seeded) and re-solve.

    Writes OUT/montecarlo.csv (one row per scenario), funding_probability.csv,
    value_quantiles.csv, sobol.csv (first-order and total Sobol' indices with bootstrap
    intervals) and funding_probability.png/svg.
    """
    lock_for_command(out_dir)
    instance = load(file, **limits)
    settings = _settings(backend, time_limit, gap, seed)
    executor = _executor(workers, dask_address)
    with _domain_errors(backend) as bars:
        from allocopt.sensitivity.montecarlo import default_uncertainties, parse_uncertainty
        from allocopt.sensitivity.montecarlo import montecarlo as run
        from allocopt.sensitivity.output import metadata, montecarlo_files

        factors = ([parse_uncertainty(instance, s) for s in specs] if specs
                   else default_uncertainties(instance))
        if not factors:
            raise Failure([f"{file}: nothing uncertain by default here; give --uncertain"],
                          EXIT_BAD_INPUT)
        result = run(instance, factors, samples, seed, settings, executor, progress=bars)
        if result.partial and not result.finished:
            raise _interrupted(["interrupted before any scenario was solved: nothing was "
                                "written"])
    _warn_unverified(result.outcomes)
    files = montecarlo_files(result, instance)
    solved = sum(o.has_solution for o in result.outcomes)
    files["sensitivity.json"] = metadata(
        "montecarlo", instance, _recorded(settings, time_limit, executor, samples=samples,
                                          uncertainties=[f.label for f in factors]),
        ["Scenarios: Saltelli design from a scrambled Sobol' sequence seeded with --seed "
         "(blocks A, B, AB:<factor>); each solved with a seed from (seed, index).",
         "Factor columns of montecarlo.csv: the path's value in the scenario (the sum "
         "over its family, e.g. total units delivered).",
         "funding_probability: share of the scenarios with a solution in which the "
         "project is funded.",
         "sobol: first order (Saltelli 2010) and total (Jansen 1999) indices over the "
         "design rows whose scenarios all have a solution, 95 % bootstrap intervals; "
         "estimates from small --samples are rough.",
         *([_partial_note(result.finished, len(result.outcomes), "scenarios")]
           if result.partial else [])],
        {"base": {"status": result.base.status, "objective": result.base.objective},
         "scenarios": result.finished, "with_solution": solved},
        partial=result.partial)
    click.echo(f"{result.finished} scenarios ({solved} with a solution, "
               f"{executor.label})")

    def plots():
        from allocopt.sensitivity.plots import funding_plot

        return funding_plot(result, instance)

    target = _write(out_dir, files, plots, no_plots, result.partial)
    if result.partial:
        raise _stopped(target, result.finished, len(result.outcomes), "scenarios")
