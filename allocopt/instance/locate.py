"""Where a problem is: field paths, the id of the entity a path points into, and the
line of the instance file it was written on.

Lines come from composing the document again, only when a problem needs one: the
fast loader (libyaml) keeps no marks, and most files have no problem at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import yaml
from pydantic import ValidationError

from allocopt.errors import Problem
from allocopt.instance.hints import printable

# Sections of an instance file whose entries carry an id, and what a message calls one.
KINDS = {"projects": "project", "areas": "area", "sites": "site", "gpu_types": "GPU type",
         "procurement": "procurement option", "partners": "partner", "scenarios": "scenario",
         "supply": "", "project_tables": ""}
_PART = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")
# Problems past this many get no line: each lookup walks the composed document.
MAX_LOCATED = 2_000


def format_loc(loc: Iterable[Any]) -> str:
    """('projects', 3, 'request', 'elastic') -> 'projects[3].request.elastic'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = printable(str(part))[:128]
            out += f".{name}" if out else name
    return out


def validation_problems(err: ValidationError, file: str, prefix: str = "") -> list[Problem]:
    problems = []
    for e in err.errors(include_url=False):
        loc = [p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        path = format_loc(loc)
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        message = str(e["msg"]).removeprefix("Value error, ")
        problems.append(Problem(file, path, message))
    return problems


def parse_path(path: str) -> list[str | int]:
    """'projects[3].request.gpus.H200' -> ['projects', 3, 'request', 'gpus', 'H200']."""
    parts: list[str | int] = []
    for index, name in _PART.findall(path):
        parts.append(int(index) if index else name)
    return parts


class Lines:
    """Line numbers (from 1) of the nodes of one YAML or JSON text, composed on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._root: yaml.Node | None = None
        self._failed = False

    def _compose(self) -> yaml.Node | None:
        if self._root is None and not self._failed:
            try:
                loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
                self._root = yaml.compose(self._text, Loader=loader)
            except Exception:  # a file that loaded once composes; be safe regardless
                self._failed = True
        return self._root

    def line(self, parts: Sequence[str | int]) -> int | None:
        """The line of the deepest node along `parts` that exists."""
        node = self._compose()
        if node is None:
            return None
        best = node.start_mark.line + 1
        for part in parts:
            child = None
            if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                child = node.value[part] if 0 <= part < len(node.value) else None
            elif isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                        child = value
                        best = key.start_mark.line + 1
                        break
            if child is None:
                break
            node = child
            best = node.start_mark.line + 1
        return best


def annotate(problems: list[Problem], file: str, id_of: Callable[[str, int], Any],
             lines: Lines | None) -> list[Problem]:
    """Problems of `file` whose path points into an entry that has an id get
    '(project P017, line 15)' appended (the line when `lines` is given)."""
    out = []
    for k, p in enumerate(problems):
        if p.file != file or not p.path or " (line " in p.message:
            out.append(p)
            continue
        parts = parse_path(p.path)
        label: list[str] = []
        if len(parts) >= 2 and parts[0] in KINDS and isinstance(parts[1], int):
            kind = KINDS[str(parts[0])]
            ident = id_of(str(parts[0]), parts[1]) if kind else None
            if isinstance(ident, str) and ident:
                label.append(f"{kind} {printable(ident)[:128]}")
        if lines is not None and k < MAX_LOCATED and parts and not str(parts[0]).startswith(
                "line "):
            line = lines.line(parts)
            if line is not None:
                label.append(f"line {line}")
        out.append(Problem(p.file, p.path, f"{p.message} ({', '.join(label)})") if label else p)
    return out


def doc_ids(doc: Any) -> Callable[[str, int], Any]:
    """id_of for a parsed document (before it is validated)."""
    def id_of(section: str, index: int) -> Any:
        entries = doc.get(section) if isinstance(doc, dict) else None
        if isinstance(entries, list) and 0 <= index < len(entries):
            entry = entries[index]
            return entry.get("id") if isinstance(entry, dict) else None
        return None
    return id_of


def spec_ids(spec: Any) -> Callable[[str, int], Any]:
    """id_of for a validated spec."""
    def id_of(section: str, index: int) -> Any:
        entries = getattr(spec, section, ())
        if 0 <= index < len(entries):
            return getattr(entries[index], "id", None)
        return None
    return id_of
