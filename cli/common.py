"""What every command shares: exit codes, the failure type and the one map from
allocopt's errors to it, the parameter types for backends and policies, the caps on
untrusted input and loading an instance with them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import click

EXIT_OK, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 2, 3, 4

instance_path = click.Path(exists=False, dir_okay=False, path_type=Path)

# allocopt.instance.schema.Objective, spelled out so that --help imports no pydantic.
POLICIES = ("weighted", "maxmin", "proportional", "lexicographic", "least-cost", "robust")


class BackendType(click.ParamType):
    """A solver backend: a name in allocopt.backends.REGISTRY, or "auto"."""

    name = "backend"

    def convert(self, value, param, ctx):
        if value == "auto":  # the default: no need to import the registry
            return value
        from allocopt.backends import REGISTRY

        if value not in REGISTRY:
            # The option's name unquoted, as the message has always read.
            hint = param.opts[0] if param is not None and param.opts else None
            raise click.BadParameter(f"choose from {', '.join(REGISTRY)}, auto", ctx=ctx,
                                     param=param, param_hint=hint)
        return value

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        from allocopt.backends import REGISTRY

        return [CompletionItem(n) for n in (*REGISTRY, "auto") if n.startswith(incomplete)]

    def get_metavar(self, param, ctx=None):
        return "TEXT"  # what --help has always shown; the help text lists the names


class PolicyType(click.Choice):
    """A policy objective (allocopt.instance.schema.Objective's values)."""

    name = "policy"

    def __init__(self) -> None:
        super().__init__(POLICIES)


BACKEND = BackendType()
POLICY = PolicyType()


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
    from allocopt.instance import Limits, load_instance

    limits = Limits(max_file_bytes=max_file_bytes, max_yaml_bytes=max_yaml_bytes,
                    max_nodes=max_nodes,
                    max_projects=max_projects, allow_outside_tables=allow_outside_tables)
    with domain_errors():
        return load_instance(path, limits)


def with_policy(instance, policy: str):
    """`instance` under another policy objective, or Failure(exit 2) if the file
    cannot serve it (e.g. the robust policy without scenarios)."""
    with domain_errors(prefix=f"--policy {policy}"):
        return instance.with_objective(policy)


def _lines(exc: BaseException, lead: str) -> list[str]:
    return [f"{lead}{exc}"]


# allocopt's error classes (by name in allocopt.errors, which is light to import), the
# exit code each gets, and its message lines from (error, lead, backend, allocation);
# the first class that matches wins.
_ERRORS: tuple[tuple[str, int, Callable[..., list[str]]], ...] = (
    ("InstanceError", EXIT_BAD_INPUT,
     lambda e, lead, backend, allocation: [f"{lead}{p}" for p in e.problems]),
    ("ResultsError", EXIT_BAD_INPUT,
     lambda e, lead, backend, allocation: _lines(e, lead)),
    ("BackendError", EXIT_BAD_INPUT,
     lambda e, lead, backend, allocation: [f"backend {backend}: {e}" if backend else str(e)]),
    ("ParameterError", EXIT_BAD_INPUT,
     lambda e, lead, backend, allocation: _lines(e, lead)),
    ("ExecutorError", EXIT_BAD_INPUT,
     lambda e, lead, backend, allocation: _lines(e, lead)),
    ("VerificationError", EXIT_VIOLATED,
     lambda e, lead, backend, allocation: [f"{allocation} breaks rules; nothing was written:",
                                           *str(e).splitlines()]),
    ("DecompositionError", EXIT_NO_SOLUTION,
     lambda e, lead, backend, allocation: [f"{lead}{e}; nothing was written"]),
    ("DualsError", EXIT_NO_SOLUTION,
     lambda e, lead, backend, allocation: _lines(e, lead)),
)


def as_failure(exc: BaseException, *, prefix: str = "", backend: str | None = None,
               allocation: str = "the solver's allocation") -> Failure | None:
    """The Failure (message lines, exit code) for one of allocopt's errors, or None for
    any other exception (a bug, reported as such by main).

    `prefix` starts the lines of input errors (e.g. "--policy robust"); `backend` names
    the backend in a BackendError; `allocation` says whose allocation broke a rule."""
    lead = f"{prefix}: " if prefix else ""
    from allocopt import errors

    for name, code, lines in _ERRORS:
        if isinstance(exc, getattr(errors, name)):
            return Failure(lines(exc, lead, backend, allocation), code)
    return None


@contextlib.contextmanager
def domain_errors(*, prefix: str = "", backend: str | None = None,
                  allocation: str = "the solver's allocation") -> Iterator[None]:
    """Turn allocopt's errors raised inside into Failures (see `as_failure`); every other
    exception, a Failure included, passes through."""
    try:
        yield
    except Failure:
        raise
    except Exception as exc:
        failure = as_failure(exc, prefix=prefix, backend=backend, allocation=allocation)
        if failure is None:
            raise
        raise failure from None
