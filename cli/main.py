"""The `allocopt` command: parse options, call the library, print, write.

Heavy modules (numpy, OR-Tools) are imported inside the commands so that
`allocopt --help` answers at once. Domain errors become clean messages with the
exit codes of the contract: 0 ok, 1 verification failed, 2 bad input, 3 infeasible,
4 no solution within the limits.
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import click

from allocopt.defaults import DEFAULT_GAP, default_threads
from allocopt_cli.common import (
    BACKEND,
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_NO_SOLUTION,
    EXIT_VIOLATED,
    POLICIES,
    POLICY,
    Failure,
    domain_errors,
    instance_path,
    limits_options,
    load,
    with_policy,
)
from allocopt_cli.figures import figure, figures_apart, known, percent
from allocopt_cli.lock import lock_for_command
from allocopt_cli.report import compare, report, require_report_packages
from allocopt_cli.sensitivity import sensitivity
from allocopt_cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="allocopt", prog_name="allocopt")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
def cli(debug: bool) -> None:
    """Optimal, verified allocation of GPUs to national priority projects."""


@cli.command()
@click.argument("files", nargs=-1, required=True, type=instance_path)
@limits_options
def validate(files: tuple[Path, ...], **limits) -> None:
    """Check instance FILES; print one line per problem (exit 2 if any).

    Beyond the schema and cross-references, static consistency checks run before any
    solve: area minimum shares summing above 1 (per parent), mandatory projects that no
    site can ever hold, dependencies on excluded projects, mandatory projects that
    exclude each other, budgets below the mandatory projects' least cost."""
    from allocopt.instance.feasibility import consistency_problems

    lines: list[str] = []
    for f in files:
        try:
            instance = load(f, **limits)
        except Failure as exc:
            lines.extend(exc.lines)
            continue
        contradictions = consistency_problems(instance)
        if contradictions:
            lines.extend(str(p) for p in contradictions)
            continue
        click.echo(f"{f}: valid ({len(instance.projects)} projects, "
                   f"{len(instance.spec.gpu_types)} GPU types, {len(instance.spec.sites)} sites, "
                   f"{len(instance.periods)} periods)")
    if lines:
        raise Failure(lines, EXIT_BAD_INPUT)


@cli.command()
def schema() -> None:
    """Print the instance file's JSON Schema (for editors and validators)."""
    import json

    from allocopt.instance.schema import InstanceSpec

    click.echo(json.dumps(InstanceSpec.model_json_schema(), indent=2))


@cli.command()
@click.argument("file", type=instance_path)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Results folder [default: results/<instance file stem>].")
@click.option("--backend", type=BACKEND, default="auto", show_default=True,
              help="scip, highs, cpsat, cbc, or auto: the fastest measured for the model's "
                   "shape and policy (SCIP for integer weighted models, with --start core "
                   "above 3,000 columns; other policies: HiGHS up to 3,000 columns, above "
                   "CP-SAT for integer models, SCIP when a column is continuous).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help="Seconds for the whole command (loading, starts, every policy stage, "
                   "verification); the best allocation found is returned with its gap.")
@click.option("--gap", type=click.FloatRange(0, 1), default=DEFAULT_GAP, show_default=True,
              help="Relative optimality gap at which to stop.")
@click.option("--abs-gap", type=click.FloatRange(min=0), metavar="UNITS",
              help="Absolute gap, in objective units, at which to stop; an answer is called "
                   "optimal only within both gaps.")
@click.option("--threads", type=click.IntRange(1), default=default_threads(),
              show_default=True,
              help="Solver threads (HiGHS, CP-SAT, CBC; SCIP in OR-Tools is single-threaded) "
                   "[default: the cores this process may use].")
@click.option("--memory-limit", type=click.FloatRange(min=1), metavar="MB",
              help="Stop the search at this much memory and keep the best allocation "
                   "(SCIP, CP-SAT).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--warm-start", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Seed the solver with the allocation in an earlier results folder.")
@click.option("--start", type=click.Choice(["auto", "none", "lp", "core"]), default="auto",
              show_default=True,
              help="Seed the solver with an allocation from the LP relaxation (weighted "
                   "policy): 'lp' rounds it; 'core' solves a smaller MILP that keeps the "
                   "projects it funds (HiGHS; up to 10 s or a third of the time left); "
                   "'auto' takes 'core' for SCIP and HiGHS above 3,000 integer columns, "
                   "'lp' above 20,000.")
@click.option("--verbose", "-v", is_flag=True, help="Stream the solver's log.")
@click.option("--progress/--no-progress", default=None,
              help="Show elapsed time, incumbent, bound and gap on standard error while "
                   "solving [default: when standard error is a terminal].")
@click.option("--policy", type=POLICY,
              help="Override the file's policy.objective (its settings still come from "
                   "the file): " + ", ".join(POLICIES) + ".")
@click.option("--report", "with_report", is_flag=True,
              help="Also write report.html, report.md and allocation.xlsx.")
@click.option("--decompose", type=click.IntRange(2), metavar="K",
              help="Split the projects into K parts solved on 2 processes (each with "
                   "--time-limit), then repair with one solve of the whole model; the gap "
                   "is against the LP relaxation bound. Weighted policy only.")
@limits_options
def solve(file: Path, out_dir: Path | None, backend: str, time_limit: float | None, gap: float,
          abs_gap: float | None, threads: int, memory_limit: float | None, seed: int,
          warm_start: Path | None, start: str, verbose: bool, progress: bool | None,
          policy: str | None, with_report: bool, decompose: int | None, **limits) -> None:
    """Solve instance FILE, verify the allocation and write the results folder."""
    command_started = time.monotonic()
    out = out_dir or Path("results") / file.stem
    lock_for_command(out)
    # From here a signal only asks the command to stop: one raised as KeyboardInterrupt
    # inside a library's import could be swallowed there and lost.
    with stop_on_signals() as stop:
        _solve(file, out, command_started, stop, backend, time_limit, gap, abs_gap, threads,
               memory_limit, seed, warm_start, start, verbose, progress, policy,
               with_report, decompose, limits)


def _solve(file: Path, out: Path, command_started: float, stop, backend: str,
           time_limit: float | None, gap: float, abs_gap: float | None, threads: int,
           memory_limit: float | None, seed: int, warm_start: Path | None, start: str,
           verbose: bool, progress: bool | None, policy: str | None, with_report: bool,
           decompose: int | None, limits: dict) -> None:
    instance = load(file, **limits)
    load_s = time.monotonic() - command_started
    if policy is not None:
        instance = with_policy(instance, policy)
    check_decompose(instance, decompose, warm_start, start)
    from allocopt.backends import SolveOptions

    options = SolveOptions(time_limit_s=time_limit, gap=gap, abs_gap=abs_gap, threads=threads,
                           seed=seed, verbose=verbose, memory_limit_mb=memory_limit,
                           deadline=None if time_limit is None
                           else command_started + time_limit)
    previous = read_warm_start(instance, warm_start)
    prefix = f"{file}: --decompose {decompose}" if decompose is not None else ""
    from allocopt.solving.pipeline import run_policy
    from allocopt_cli.progress import progress_line

    if stop.is_set():
        raise Failure(["interrupted before solving; nothing was written"],
                      stop.signal_exit_code)
    with domain_errors(prefix=prefix, backend=backend), progress_line(progress) as line:
        solution = run_policy(instance, backend=backend, warm_start=previous,
                              start=None if start == "none" else start, decompose=decompose,
                              options=replace(options, stop=stop, progress=line))
    refuse_unwritable(file, instance, solution, stop.signal_exit_code)
    timing = solution.figures.setdefault("time", {"limit_s": time_limit, "stages": []})
    timing["stages"].insert(0, {"stage": "load", "s": round(load_s, 3)})
    timing["before_writing_s"] = round(time.monotonic() - command_started, 3)
    recorded = {"backend": backend, "time_limit_s": time_limit, "gap": gap,
                "abs_gap": abs_gap, "threads": threads,
                "seed": seed, "memory_limit_mb": memory_limit,
                "warm_start": str(warm_start) if warm_start else None, "start": start,
                "policy": policy, "decompose": decompose}
    write_and_tell(file, out, instance, solution, recorded, with_report)
    if solution.interrupted:
        raise Failure([f"interrupted: wrote the best allocation found so far to {out} "
                       f"(gap {percent(solution.gap)})"], stop.signal_exit_code)


def check_decompose(instance, decompose: int | None, warm_start: Path | None,
                    start: str) -> None:
    """--decompose serves the weighted policy alone, without a warm or seeded start."""
    if decompose is None:
        return
    if instance.spec.policy.objective.value != "weighted":
        raise Failure([f"--decompose: only the weighted policy can be decomposed, not "
                       f"{instance.spec.policy.objective.value}"], EXIT_BAD_INPUT)
    if warm_start is not None or start in ("lp", "core"):
        raise Failure(["--decompose cannot be combined with --warm-start or --start"],
                      EXIT_BAD_INPUT)


def read_warm_start(instance, warm_start: Path | None):
    """The allocation of the results folder given to --warm-start, if any."""
    if warm_start is None:
        return None
    from allocopt.results import read_solution

    with domain_errors(prefix="--warm-start"):
        previous, _ = read_solution(instance, warm_start)
    return previous


def refuse_unwritable(file: Path, instance, solution, signal_exit_code: int) -> None:
    """Fail, writing nothing, when the solve gave no allocation worth keeping: infeasible
    (exit 3, with the conflicting rules), none found (4), or interrupted before any
    bound was proven (the signal's code)."""
    from allocopt.status import Status

    if solution.status is Status.INFEASIBLE:
        raise Failure(infeasible_lines(file, instance, solution), EXIT_INFEASIBLE)
    if not solution.status.has_solution:
        code = signal_exit_code if solution.interrupted else EXIT_NO_SOLUTION
        raise Failure([f"{file}: {solution.status.value}: no allocation found "
                       f"({'interrupted: ' if solution.interrupted else ''}{solution.message}); "
                       "nothing was written"], code)
    if solution.interrupted and not proven_quality(solution):
        raise Failure([f"{file}: interrupted before the solver proved any bound: an "
                       "allocation of unknown quality is not kept; nothing was written"],
                      signal_exit_code)


def write_and_tell(file: Path, out: Path, instance, solution, recorded: dict,
                   with_report: bool) -> None:
    """Write the results folder (and the report, if asked), then say what was written
    and what to do next."""
    from allocopt.results import write_results

    if with_report:
        require_report_packages()
    write_results(out, instance, solution, recorded)
    for warning in solution.warnings:
        click.echo(f"warning: {warning}", err=True)
    print_summary(instance, solution, out)
    if with_report:
        from allocopt.report import write_report

        written = write_report(out, instance)
        click.echo("wrote " + ", ".join(p.name for p in written))
    click.echo(next_step(file, out, with_report))


def proven_quality(solution) -> bool:
    """Whether the allocation comes with a finite bound and gap (not None, ±inf, NaN or a
    solver's 1e20-style "none yet"): only such an interrupted answer may replace a
    results folder."""
    return all(known(x) for x in (solution.objective, solution.bound, solution.gap))


def infeasible_lines(file: Path, instance, solution) -> list[str]:
    """What to say when no allocation exists: the conflicting rules, or, under the robust
    policy, which scenarios fail on their own and each one's conflicting rules."""
    from allocopt.diagnose import explain_infeasible

    why = explain_infeasible(instance, solution)
    if not why.robust:
        return [f"{file}: infeasible: no allocation satisfies every rule. Conflicting rules:",
                *(f"  {c}" for c in why.conflicts)]
    lines = [f"{file}: infeasible under the robust policy: {solution.message}"]
    for scenario, conflicts in why.scenarios.items():
        lines.append(f"scenario {scenario}: conflicting rules:")
        lines += [f"  {c}" for c in conflicts]
    return lines


class _Stop(threading.Event):
    """Set by SIGINT or SIGTERM; remembers which, for the conventional exit code."""

    signal_exit_code = 130


@contextlib.contextmanager
def stop_on_signals():
    """SIGINT and SIGTERM ask the running solve to stop and keep its best allocation."""
    stop = _Stop()

    def handle(signum, frame) -> None:
        stop.signal_exit_code = 128 + signum
        stop.set()

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):  # not on the main thread: no handlers
            previous[sig] = signal.signal(sig, handle)
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def print_summary(instance, solution, out: Path) -> None:
    from allocopt import folder
    from allocopt.results import summarise

    objective, bound = figures_apart(solution.objective, solution.bound)
    click.echo(f"{instance.name}: {solution.status.value}, objective {objective}, "
               f"bound {bound}, gap {percent(solution.gap)}, {solution.backend}, "
               f"{solution.wall_s:.2f} s solve + {solution.build_s:.2f} s build")
    click.echo(f"LP relaxation bound {figure(solution.lp_bound)} "
               f"(root gap {percent(solution.root_gap)})")
    click.echo(f"funded {len(solution.awards)} of {len(instance.projects)} projects; "
               "allocation verified")
    figures = summarise(instance, solution)
    click.echo("by area (funded/projects, share of performance-equivalent GPU-periods; "
               "sub-areas indented, counted in their parent):")
    for depth, area in area_tree(instance):
        a = figures["areas"][area]
        name = "  " * depth + area
        click.echo(f"  {name:<24} {a['funded_projects']:>5}/{a['projects']:<5} "
                   f"{100 * a['share']:6.2f} %")
    roots = [figures["areas"][a.id] for a in instance.spec.areas if a.parent is None]
    if len(roots) > 1:
        click.echo(f"  {'total':<24} {sum(a['funded_projects'] for a in roots):>5}/"
                   f"{sum(a['projects'] for a in roots):<5} "
                   f"{100 * sum(a['share'] for a in roots):6.2f} %")
    click.echo("by GPU type (peak allocated / on hand at end, bought):")
    for g, t in figures["gpus_by_type"].items():
        click.echo(f"  {g:<24} {figure(t['peak_allocated']):>9} / "
                   f"{figure(t['on_hand_end']):<9} +{figure(t['bought'])}")
    spend = figures["spend"]
    click.echo(f"public spend: capex {spend['capex']:,.2f} + opex {spend['opex_public']:,.2f} "
               f"{spend['currency']}")
    click.echo(f"wrote {out}/{folder.SUMMARY}, {folder.ALLOCATION}, {folder.PROJECTS}, "
               f"{folder.PURCHASES}")


def area_tree(instance) -> list[tuple[int, str]]:
    """(depth, area id) in file order, each sub-area right under its parent."""
    children: dict[str | None, list[str]] = {}
    for a in instance.spec.areas:
        children.setdefault(a.parent, []).append(a.id)
    out: list[tuple[int, str]] = []

    def visit(parent: str | None, depth: int) -> None:
        for area in children.get(parent, []):
            out.append((depth, area))
            visit(area, depth + 1)

    visit(None, 0)
    return out


def next_step(file: Path, out: Path, with_report: bool) -> str:
    """The one line that says what to do with the folder just written."""
    if with_report:
        return f"next: open {shlex.quote(str(out / 'report.html'))} in a browser"
    f, d = shlex.quote(str(file)), shlex.quote(str(out))
    return f"next: allocopt verify {f} {d}   then   allocopt report {d} --instance {f}"


@cli.command()
@click.argument("file", type=instance_path)
@click.option("--backend", type=BACKEND, default="auto", show_default=True,
              help="Solver for the checks (auto: as for solve).")
@limits_options
def diagnose(file: Path, backend: str, **limits) -> None:
    """Name the rules of FILE that cannot hold together (exit 3), or say it is feasible."""
    instance = load(file, **limits)
    from allocopt.diagnose import diagnose as find

    lines = find(instance, backend)
    if lines:
        raise Failure([f"{file}: infeasible. Conflicting rules:", *(f"  {x}" for x in lines)],
                      EXIT_INFEASIBLE)
    click.echo(f"{file}: feasible (every rule can hold together)")


@cli.command()
@click.argument("file", type=instance_path)
@click.argument("results", type=click.Path(file_okay=False, path_type=Path))
@limits_options
def verify(file: Path, results: Path, **limits) -> None:
    """Re-check every rule from the results folder RESULTS alone (exit 1 if any fails)."""
    instance = load(file, **limits)
    from allocopt.audit import verify_folder

    with domain_errors():
        checked = verify_folder(instance, results)
    if not checked.ok:
        raise Failure([f"{results}: {len(checked.problems)} rule(s) violated:",
                       *(f"  {p}" for p in checked.problems)], EXIT_VIOLATED)
    click.echo(f"{results}: all rules hold ({len(checked.solution.awards)} funded projects, "
               f"objective {figure(checked.solution.objective)})")


@cli.command()
@click.argument("file", type=instance_path)
@click.option("--format", "fmt", type=click.Choice(["mps", "lp"]), default="mps",
              show_default=True)
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of standard output.")
@limits_options
def export(file: Path, fmt: str, out_file: Path | None, **limits) -> None:
    """Write the model of FILE as MPS or LP text, for any other solver."""
    instance = load(file, **limits)
    from allocopt.export import export_model
    from allocopt.folder import write_text_atomic

    text = export_model(instance, fmt)
    if out_file is None:
        click.echo(text, nl=False)
    else:
        write_text_atomic(out_file, text)


@cli.command()
@click.option("--projects", type=click.IntRange(1, 100_000), default=2000, show_default=True)
@click.option("--gpus", type=click.IntRange(1), default=10_000, show_default=True)
@click.option("--types", type=click.IntRange(1, 12), default=8, show_default=True)
@click.option("--sites", type=click.IntRange(1, 16), default=3, show_default=True)
@click.option("--periods", type=click.IntRange(1, 60), default=12, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Instance file to write (.yaml or .json).")
def generate(projects: int, gpus: int, types: int, sites: int, periods: int, seed: int,
             out_file: Path) -> None:
    """Write a seeded synthetic national instance."""
    import json

    import yaml

    from allocopt.folder import write_text_atomic
    from allocopt.instance.generator import generate as make

    spec = make(projects=projects, gpus=gpus, types=types, sites=sites, periods=periods,
                seed=seed)
    data = spec.model_dump(mode="json", exclude_defaults=True)
    text = (json.dumps(data, indent=1) if out_file.suffix.lower() == ".json"
            else yaml.safe_dump(data, sort_keys=False, width=100))
    write_text_atomic(out_file, text)
    click.echo(f"wrote {out_file}: {projects} projects, {gpus} GPUs, {types} types, "
               f"{sites} sites, {periods} periods (seed {seed})")


@cli.command()
def backends() -> None:
    """List the solver backends and whether they are installed here."""
    from allocopt.backends import REGISTRY

    for name, backend in REGISTRY.items():
        version = backend.version()
        click.echo(f"{name:<8} {version or 'not installed'}")


cli.add_command(report)
cli.add_command(compare)
cli.add_command(sensitivity)
cli.add_command(serve)


def main() -> None:
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
    except Failure as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_BAD_INPUT)
    except click.exceptions.Abort:  # Ctrl-C before a solve began (loading, building)
        click.echo("interrupted before solving; nothing was written", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: say so plainly
        if debug:
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug "
                   "for the traceback)", err=True)
        sys.exit(70)
