"""What every command shares: exit codes, the failure type, the caps on untrusted
input and loading an instance with them."""

from __future__ import annotations

from pathlib import Path

import click

EXIT_OK, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 2, 3, 4

instance_path = click.Path(exists=False, dir_okay=False, path_type=Path)

# allocopt.instance.schema.Objective, spelled out so that --help imports no pydantic.
POLICIES = ("weighted", "maxmin", "proportional", "lexicographic", "least-cost", "robust")


class Failure(click.ClickException):
    """An expected failure: message lines on standard error and a contract exit code."""

    def __init__(self, lines: list[str], exit_code: int) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        for line in self.lines:
            click.echo(line, err=True)


def limits_options(f):
    """--max-file-bytes, --max-yaml-bytes, --max-nodes, --max-projects,
    --allow-outside-tables: caps on
    untrusted input."""
    f = click.option("--allow-outside-tables", is_flag=True,
                     help="Let the instance read tables outside its own folder.")(f)
    f = click.option("--max-nodes", type=click.IntRange(1), default=5_000_000,
                     show_default=True,
                     help="Refuse documents that expand (aliases included) to more nodes.")(f)
    f = click.option("--max-projects", type=click.IntRange(1), default=100_000, show_default=True,
                     help="Refuse instances with more projects.")(f)
    f = click.option("--max-yaml-bytes", type=click.IntRange(1), default=4 * 1024 * 1024,
                     show_default=True,
                     help="Refuse larger YAML instance files (JSON and tables load faster).")(f)
    f = click.option("--max-file-bytes", type=click.IntRange(1), default=64 * 1024 * 1024,
                     show_default=True, help="Refuse larger instance or table files.")(f)
    return f


def load(path: Path, max_file_bytes: int, max_yaml_bytes: int, max_nodes: int,
         max_projects: int, allow_outside_tables: bool):
    """Load an instance or raise Failure(exit 2) listing every problem."""
    from allocopt.errors import InstanceError
    from allocopt.instance import Limits, load_instance

    limits = Limits(max_file_bytes=max_file_bytes, max_yaml_bytes=max_yaml_bytes,
                    max_nodes=max_nodes,
                    max_projects=max_projects, allow_outside_tables=allow_outside_tables)
    try:
        return load_instance(path, limits)
    except InstanceError as exc:
        raise Failure([str(p) for p in exc.problems], EXIT_BAD_INPUT) from None


def with_policy(instance, policy: str):
    """`instance` under another policy objective, or Failure(exit 2) if the file
    cannot serve it (e.g. the robust policy without scenarios)."""
    from allocopt.errors import InstanceError

    try:
        return instance.with_objective(policy)
    except InstanceError as exc:
        raise Failure([f"--policy {policy}: {p}" for p in exc.problems], EXIT_BAD_INPUT) from None
