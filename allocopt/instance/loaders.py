"""Reading instance files (YAML, JSON) and the project tables (CSV, XLSX) they name.

Everything read from outside is treated as untrusted: YAML is parsed with the safe
loader, alias expansion is bounded, file sizes are capped, the number of projects is
capped across the file and all its tables, and tables may only be read from the
instance's own folder, each once. Every problem found is collected and raised once, as
an `InstanceError` whose lines name the file, the field (or row) and the entry's id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from allocopt.errors import InstanceError, Problem
from allocopt.instance.hints import printable as _printable
from allocopt.instance.locate import (
    Lines,
    annotate,
    doc_ids,
    format_loc,
    spec_ids,
    validation_problems,
)
from allocopt.instance.schema import ExtraColumns, InstanceSpec, ProjectTable
from allocopt.instance.tables import (
    CSV_COLUMNS,
    Origin,
    csv_row_to_project,
    is_workbook,
    read_project_table,
)

__all__ = ["CSV_COLUMNS", "DEFAULT_LIMITS", "Limits", "Loaded", "Origin", "csv_row_to_project",
           "format_loc", "load_source", "load_spec", "parse_document", "validation_problems"]


@dataclass(frozen=True)
class Limits:
    """Caps on what one instance may hold; raise them for very large national runs."""

    max_file_bytes: int = 64 * 1024 * 1024
    # YAML parses at about 0.5 MiB/s and 60 MiB of memory per MiB (PyYAML): past this,
    # a file would take more than 10 s to accept or refuse. JSON and tables are fast.
    max_yaml_bytes: int = 4 * 1024 * 1024
    max_nodes: int = 5_000_000
    max_projects: int = 100_000
    allow_outside_tables: bool = False


DEFAULT_LIMITS = Limits()


def _read_bytes(path: Path, limits: Limits, shown: str) -> bytes:
    _check_file(path, limits, shown)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InstanceError([Problem(shown, "", f"cannot read file: {exc.strerror}")]) from None


MAX_DEPTH = 200


def _expanded_size(doc: Any, limit: int) -> int:
    """Number of nodes in `doc` with every YAML alias expanded, stopping past `limit`;
    -1 when nesting is deeper than MAX_DEPTH.

    PyYAML shares aliased objects, so a 'billion laughs' file loads small but would
    expand exponentially in any later walk; sizes are memoised by object identity.
    The walk uses an explicit stack, so depth costs no Python recursion.
    """
    memo: dict[int, int] = {}
    stack: list[tuple[Any, int, bool]] = [(doc, 0, False)]
    while stack:
        node, depth, expanded = stack.pop()
        key = id(node)
        if key in memo:
            continue
        if depth > MAX_DEPTH:
            return -1
        children = (list(node.keys()) + list(node.values()) if isinstance(node, dict)
                    else node if isinstance(node, list) else [])
        if not expanded and children:
            stack.append((node, depth, True))
            stack.extend((c, depth + 1, False) for c in children if id(c) not in memo)
            continue
        total = 1 + sum(memo.get(id(c), 1) for c in children)
        memo[key] = total
        if total > limit:
            return limit + 1
    return memo.get(id(doc), 1)


def parse_document(data: bytes, shown: str, suffix: str, limits: Limits) -> dict[str, Any]:
    """Parse YAML or JSON bytes into a mapping, or raise an InstanceError."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InstanceError([Problem(shown, "", f"not UTF-8 text (byte {exc.start})")]) from None
    try:
        if suffix == ".json":
            doc = json.loads(text)
        else:
            doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except json.JSONDecodeError as exc:
        raise InstanceError([Problem(shown, f"line {exc.lineno}", exc.msg)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        what = getattr(exc, "problem", None) or "invalid YAML"
        raise InstanceError([Problem(shown, where, f"invalid YAML: {what}")]) from None
    except RecursionError:
        raise InstanceError([Problem(shown, "", "nested too deeply to parse")]) from None
    except Exception as exc:  # PyYAML's constructors raise assorted errors on bad tags
        raise InstanceError([Problem(shown, "", f"invalid {suffix.lstrip('.').upper() or 'YAML'}"
                                                f": {type(exc).__name__}: "
                                                f"{_printable(str(exc))[:200]}")]) from None
    if not isinstance(doc, dict):
        kind = "empty" if doc is None else type(doc).__name__
        raise InstanceError([Problem(shown, "", f"the top level must be a mapping, not {kind}")])
    nodes = _expanded_size(doc, limits.max_nodes)
    if nodes < 0:
        raise InstanceError([Problem(shown, "", f"nested more than {MAX_DEPTH} levels deep")])
    if nodes > limits.max_nodes:
        raise InstanceError([Problem(shown, "", (
            f"document expands to more than {limits.max_nodes} nodes "
            "(alias expansion or sheer size; raise it with --max-nodes)"))])
    return doc


def resolve_table(base_dir: Path, name: str, limits: Limits) -> Path:
    """Resolve a table path under the instance's folder, refusing escapes."""
    candidate = Path(name)
    if candidate.is_absolute() and not limits.allow_outside_tables:
        raise ValueError("absolute paths are not allowed (use a path under the instance's folder)")
    try:
        resolved = (base_dir / candidate).resolve()
    except (RuntimeError, OSError) as exc:  # e.g. a symlink loop
        raise ValueError(f"cannot resolve the path ({exc})") from None
    root = base_dir.resolve()
    if not limits.allow_outside_tables and not resolved.is_relative_to(root):
        raise ValueError("path leaves the instance's folder")
    return resolved




@dataclass(frozen=True)
class Loaded:
    """A validated spec (projects from tables after inline ones), where each project was
    written, and the instance file's lines (for messages about problems found later)."""

    spec: InstanceSpec
    origins: list[Origin]
    lines: Lines | None


def _named_twice(tables: tuple[ProjectTable, ...], resolved: dict[int, Path],
                 shown: str) -> tuple[list[Problem], set[int]]:
    """One problem per table named more than once (same file and sheet), and the
    entries to skip: each table is read once, however often it is named."""
    first: dict[tuple[Path, str | None], list[int]] = {}
    for k, path in resolved.items():
        first.setdefault((path, tables[k].sheet), []).append(k)
    problems, skip = [], set()
    for entries in first.values():
        if len(entries) < 2:
            continue
        skip.update(entries[1:])
        table = tables[entries[1]]
        others = ", ".join(f"[{k}]" for k in entries[:12]) + (", …" if len(entries) > 12 else "")
        sheet = f" (sheet {table.sheet!r})" if table.sheet else ""
        problems.append(Problem(shown, f"project_tables[{entries[1]}].{table.key}", (
            f"table {_printable(table.name)[:300]!r}{sheet} is named {len(entries)} times "
            f"(project_tables{others}); name each table once, or its projects would "
            "count more than once")))
    return problems, skip


def _read_tables(spec: InstanceSpec, path: Path, limits: Limits, shown: str,
                 inline: int) -> tuple[list, list[Origin], list[Problem], bool]:
    """Every table's projects, read in order while their running total stays within
    --max-projects (reading stops at the first project past it: True)."""
    problems: list[Problem] = []
    resolved: dict[int, Path] = {}
    for k, table in enumerate(spec.project_tables):
        try:
            resolved[k] = resolve_table(path.parent, table.name, limits)
        except ValueError as exc:
            problems.append(Problem(shown, f"project_tables[{k}].{table.key}", str(exc)))
    twice, skip = _named_twice(spec.project_tables, resolved, shown)
    problems.extend(twice)
    projects: list = []
    origins: list[Origin] = []
    for k, table_path in resolved.items():
        if k in skip:
            continue
        table = spec.project_tables[k]
        field = f"project_tables[{k}].{table.key}"
        table_shown = _printable(str(path.parent / table.name))[:300]
        keep = (table.extra_columns or spec.extra_columns) is ExtraColumns.KEEP
        ahead = (f"; counted across all tables, {len(projects)} in earlier ones"
                 if projects else "") + (f"; the instance file adds {inline}" if inline else "")
        try:
            if is_workbook(table.name):  # read by openpyxl, streaming
                _check_file(table_path, limits, table_shown)
                data = None
            else:
                data = _read_bytes(table_path, limits, table_shown)
            read = read_project_table(
                table_path, table_shown, data, sheet=table.sheet, keep_extra=keep,
                room=limits.max_projects - len(projects), limit=limits.max_projects,
                before=ahead,
                max_bytes=limits.max_file_bytes)
        except InstanceError as exc:
            # Whole-file problems (unreadable, too big) point at the field that names it.
            problems.extend(p if p.path else Problem(shown, field, p.message)
                            for p in exc.problems)
            if any("--max-projects" in p.message for p in exc.problems):
                return projects, origins, problems, True
            continue
        projects.extend(read.projects)
        origins.extend(read.origins)
    return projects, origins, problems, False


def _check_file(path: Path, limits: Limits, shown: str) -> None:
    """A regular file within --max-file-bytes, checked before anything reads it."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InstanceError([Problem(shown, "", f"cannot read file: {exc.strerror}")]) from None
    if not path.is_file():
        raise InstanceError([Problem(shown, "", "not a regular file")])
    if size > limits.max_file_bytes:
        raise InstanceError([Problem(shown, "", (
            f"file is {size} bytes, over the limit of {limits.max_file_bytes} "
            "(raise it with --max-file-bytes)"))])


def load_source(path: Path, limits: Limits = DEFAULT_LIMITS) -> Loaded:
    """Read an instance file and the tables it names into one validated spec."""
    shown = str(path)
    data = _read_bytes(path, limits, shown)
    if path.suffix.lower() != ".json" and len(data) > limits.max_yaml_bytes:
        raise InstanceError([Problem(shown, "", (
            f"YAML file is {len(data)} bytes, over the YAML limit of {limits.max_yaml_bytes} "
            "(YAML loads slowly at this size: write the instance as JSON with the same "
            "fields, or keep its projects in a CSV or XLSX table named in project_tables; "
            "or raise it with --max-yaml-bytes)"))])
    doc = parse_document(data, shown, path.suffix.lower(), limits)
    lines = Lines(data.decode("utf-8"))
    listed = doc.get("projects")
    if isinstance(listed, list) and len(listed) > limits.max_projects:  # before validating
        raise InstanceError([Problem(shown, "projects", (
            f"{len(listed)} projects, over the limit of {limits.max_projects} "
            "(raise it with --max-projects)"))])
    try:
        spec = InstanceSpec.model_validate(doc)
    except ValidationError as exc:
        raise InstanceError(annotate(validation_problems(exc, shown), shown, doc_ids(doc),
                                     lines)) from None
    del doc
    if len(spec.projects) > limits.max_projects:
        raise InstanceError(annotate([Problem(shown, "projects", (
            f"{len(spec.projects)} projects, over the limit of {limits.max_projects} "
            "(raise it with --max-projects)"))], shown, spec_ids(spec), lines))
    origins = [Origin(shown, f"projects[{i}]") for i in range(len(spec.projects))]
    more, more_origins, problems, stopped = _read_tables(spec, path, limits, shown,
                                                         len(spec.projects))
    total = len(spec.projects) + len(more)
    if total > limits.max_projects and not stopped:
        problems.append(Problem(shown, "projects", (
            f"{total} projects, over the limit of {limits.max_projects} "
            "(raise it with --max-projects)")))
    if problems:
        raise InstanceError(annotate(problems, shown, spec_ids(spec), lines))
    spec = spec.model_copy(update={"projects": (*spec.projects, *more)})
    return Loaded(spec, origins + more_origins, lines)


def load_spec(path: Path, limits: Limits = DEFAULT_LIMITS) -> tuple[InstanceSpec, list[Origin]]:
    """Read an instance file and the tables it names into one validated spec.

    Returns the spec (projects from tables appended after inline ones) and, for
    every project, where it was written.
    """
    loaded = load_source(path, limits)
    return loaded.spec, loaded.origins
