"""Reading instance files (YAML, JSON) and the CSV project tables they name.

Everything read from outside is treated as untrusted: YAML is parsed with the safe
loader, alias expansion is bounded, file sizes are capped, and tables may only be
read from the instance's own folder. Every problem found is collected and raised
once, as an `InstanceError` whose lines name the file and the field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from allocopt.errors import InstanceError, Problem
from allocopt.instance.schema import InstanceSpec, Project


@dataclass(frozen=True)
class Limits:
    """Caps on what one instance may hold; raise them for very large national runs."""

    max_file_bytes: int = 64 * 1024 * 1024
    max_nodes: int = 5_000_000
    max_projects: int = 100_000
    allow_outside_tables: bool = False


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Origin:
    """Where a project was written, so that problems found later can point at it."""

    file: str
    path: str


def _printable(text: str) -> str:
    """`text`, or its repr when it holds control characters (so one problem stays one
    line and nothing reaches the terminal as an escape sequence)."""
    return text if text.isprintable() else repr(text)


def format_loc(loc: Iterable[Any]) -> str:
    """('projects', 3, 'request', 'elastic') -> 'projects[3].request.elastic'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = _printable(str(part))[:128]
            out += f".{name}" if out else name
    return out


def validation_problems(err: ValidationError, file: str, prefix: str = "") -> list[Problem]:
    problems = []
    for e in err.errors(include_url=False):
        loc = [p for p in e["loc"] if p not in ("function-after[_shares_ordered(), Area]",)]
        path = format_loc(loc)
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        message = str(e["msg"]).removeprefix("Value error, ")
        problems.append(Problem(file, path, message))
    return problems


def _read_bytes(path: Path, limits: Limits, shown: str) -> bytes:
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


def _split_ids(cell: str) -> list[str]:
    return [part for part in cell.replace(";", " ").replace(",", " ").split() if part]


def _parse_bundle(text: str, number: type) -> dict[str, Any]:
    """'H200:64+A100:8' -> {'H200': 64, 'A100': 8}."""
    bundle: dict[str, Any] = {}
    for item in text.split("+"):
        type_id, sep, count = item.strip().partition(":")
        if not sep or not type_id.strip():
            raise ValueError(f"expected TYPE:NUMBER, got {item.strip()!r}")
        try:
            bundle[type_id.strip()] = number(count.strip())
        except ValueError:
            kind = "a whole number" if number is int else "a number"
            raise ValueError(f"{count.strip()!r} for {type_id.strip()} is not {kind}") from None
    return bundle


def _parse_configurations(cell: str) -> list[dict[str, Any]]:
    """'h200=H200:64 | A100:160' -> two configurations; ids default to c1, c2, ..."""
    configs = []
    for k, alternative in enumerate(cell.split("|"), start=1):
        config_id, sep, bundle = alternative.strip().partition("=")
        if not sep:
            config_id, bundle = f"c{k}", alternative
        configs.append({"id": config_id.strip(), "gpus": _parse_bundle(bundle, int)})
    return configs


_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n", ""}
CSV_COLUMNS = (
    "id", "title", "owner", "partner", "area", "score", "earliest_start", "latest_end",
    "duration", "mandatory", "depends_on", "excludes", "late_start_penalty",
    "configurations", "min_gpus", "max_gpus", "types", "efficiency", "max_units", "tier",
)


def csv_row_to_project(row: dict[str, str]) -> dict[str, Any]:
    """Turn one CSV row into the mapping a `Project` is validated from.

    Raises ValueError naming the column for cells that cannot be parsed.
    """
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    project: dict[str, Any] = {"id": cell("id"), "area": cell("area")}
    for name in ("title", "owner"):
        if cell(name):
            project[name] = cell(name)
    if cell("partner"):
        project["partner"] = cell("partner")
    for name in ("score", "late_start_penalty", "tier"):
        if cell(name):
            project[name] = cell(name)
    window = {k: cell(k) for k in ("earliest_start", "latest_end", "duration") if cell(k)}
    if window:
        project["window"] = window
    mandatory = cell("mandatory").lower()
    if mandatory not in _TRUE | _FALSE:
        raise ValueError(f"mandatory: expected true or false, got {cell('mandatory')!r}")
    project["mandatory"] = mandatory in _TRUE
    project["depends_on"] = _split_ids(cell("depends_on"))
    project["excludes"] = _split_ids(cell("excludes"))
    if cell("configurations"):
        try:
            project["request"] = {"configurations": _parse_configurations(cell("configurations"))}
        except ValueError as exc:
            raise ValueError(f"configurations: {exc}") from None
    elif cell("max_gpus") or cell("min_gpus"):
        elastic: dict[str, Any] = {"min_gpus": cell("min_gpus"), "max_gpus": cell("max_gpus")}
        try:
            efficiency = _parse_bundle(cell("efficiency"), float) if cell("efficiency") else {}
        except ValueError as exc:
            raise ValueError(f"efficiency: {exc}") from None
        types = [t for t in cell("types").replace("+", " ").split() if t] or list(efficiency)
        elastic["types"] = types
        elastic["efficiency"] = efficiency
        if cell("max_units"):
            elastic["max_units"] = cell("max_units")
        project["request"] = {"elastic": elastic}
    return project


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


def read_project_table(path: Path, shown: str,
                       limits: Limits) -> tuple[list[Project], list[Origin]]:
    data = _read_bytes(path, limits, shown)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InstanceError([Problem(shown, "", f"not UTF-8 text (byte {exc.start})")]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise InstanceError([Problem(shown, "header",
                                     f"not a readable CSV table: {exc}")]) from None
    unknown = [c for c in header if c not in CSV_COLUMNS]
    problems: list[Problem] = []
    if "id" not in header or "area" not in header:
        problems.append(Problem(shown, "header", "needs at least the columns 'id' and 'area'"))
    if unknown:
        problems.append(Problem(shown, "header", (
            f"unknown column(s) {', '.join(map(repr, unknown))}; known: {', '.join(CSV_COLUMNS)}")))
    if problems:
        raise InstanceError(problems)
    projects: list[Project] = []
    origins: list[Origin] = []
    rows = enumerate(reader, start=2)
    while True:
        try:
            line, row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(shown, f"row {reader.line_num}", f"unreadable: {exc}"))
            break
        where = f"row {line}"
        if len(projects) >= limits.max_projects:
            problems.append(Problem(shown, where, (
                f"more than {limits.max_projects} projects (raise it with --max-projects)")))
            break
        if None in row:
            problems.append(Problem(shown, where, "more cells than header columns"))
            continue
        try:
            mapping = csv_row_to_project(row)
        except ValueError as exc:
            problems.append(Problem(shown, where, str(exc)))
            continue
        try:
            projects.append(Project.model_validate(mapping))
            origins.append(Origin(shown, where))
        except ValidationError as exc:
            problems.extend(validation_problems(exc, shown, where))
    if problems:
        raise InstanceError(problems)
    return projects, origins


def load_spec(path: Path, limits: Limits = DEFAULT_LIMITS) -> tuple[InstanceSpec, list[Origin]]:
    """Read an instance file and the tables it names into one validated spec.

    Returns the spec (projects from tables appended after inline ones) and, for
    every project, where it was written.
    """
    shown = str(path)
    data = _read_bytes(path, limits, shown)
    doc = parse_document(data, shown, path.suffix.lower(), limits)
    try:
        spec = InstanceSpec.model_validate(doc)
    except ValidationError as exc:
        raise InstanceError(validation_problems(exc, shown)) from None
    origins = [Origin(shown, f"projects[{i}]") for i in range(len(spec.projects))]
    projects = list(spec.projects)
    problems: list[Problem] = []
    for k, table in enumerate(spec.project_tables):
        try:
            table_path = resolve_table(path.parent, table.csv, limits)
        except ValueError as exc:
            problems.append(Problem(shown, f"project_tables[{k}].csv", str(exc)))
            continue
        try:
            more, more_origins = read_project_table(
                table_path, _printable(str(path.parent / table.csv))[:300], limits)
        except InstanceError as exc:
            # Whole-file problems (unreadable, too big) point at the field that names it.
            problems.extend(p if p.path else Problem(shown, f"project_tables[{k}].csv", p.message)
                            for p in exc.problems)
            continue
        projects.extend(more)
        origins.extend(more_origins)
    if len(projects) > limits.max_projects:
        problems.append(Problem(shown, "projects", (
            f"{len(projects)} projects, over the limit of {limits.max_projects} "
            "(raise it with --max-projects)")))
    if problems:
        raise InstanceError(problems)
    return spec.model_copy(update={"projects": tuple(projects)}), origins
