"""Fuzzing `allocopt validate` with malformed instance files.

Each case is a fresh folder holding an instance file (YAML or JSON: tests/data/tiny.yaml
mutated, a document built from scratch, the text of either damaged, or raw junk) and
perhaps CSV tables and symlinks it names. `allocopt validate` must exit 2 with one
`file: path: message` line per problem, or 0 when the case happens to be valid (the
loader then accepts it too), and never show a traceback.

    pytest tests/test_fuzz.py                 # fixed seed, a few hundred cases (CI)
    pytest -m fuzz tests/test_fuzz.py         # the long run: ALLOCOPT_FUZZ_EXAMPLES cases

Inputs that once crashed the loader have regression tests at the end of this file.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocopt import load_instance
from allocopt.instance import Limits
from allocopt.instance.loaders import CSV_COLUMNS
from allocopt_cli.main import cli

from conftest import DATA

FUZZ_EXAMPLES = int(os.environ.get("ALLOCOPT_FUZZ_EXAMPLES", "10000"))
CI_EXAMPLES = 300

TINY: dict[str, Any] = yaml.safe_load((DATA / "tiny.yaml").read_text(encoding="utf-8"))
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


# --- building blocks -------------------------------------------------------------------

@dataclass(frozen=True)
class Raw:
    """Text spliced into the rendered file where a value would be (YAML, JSON form)."""

    yaml: str
    json: str

    def __repr__(self) -> str:
        short = self.yaml if len(self.yaml) < 60 else f"{self.yaml[:28]}...{self.yaml[-28:]}"
        return f"Raw({short!r}, {len(self.yaml)} chars)"


def deep(depth: int, mapping: bool) -> Raw:
    if mapping:
        return Raw("{a: " * depth + "1" + "}" * depth, '{"a": ' * depth + "1" + "}" * depth)
    return Raw("[" * depth + "]" * depth, "[" * depth + "]" * depth)


# Text may hold anything but lone surrogates (those come from SPECIAL_STRINGS, so that
# JSON escapes them and YAML refuses them). Line breaks are allowed everywhere; where the
# loader prints them raw (a known bug) check_case skips only the one-line check.
UNICODE = st.characters(blacklist_categories=("Cs",))
ID_TEXT = st.text(UNICODE, min_size=0, max_size=12)
SPECIAL_STRINGS = ["", " ", "\t", "H200", "A100", "S1", "Q1", "Q4", "Q9", "health", "finance",
                   "P1", "P2", "P3", "buyH", "yes", "no", "null", "~", "1e3", "0x10", ".nan",
                   "-1", "NaN", "Infinity", "a|b", "a+b", "a:b", "a,b", "a b", "é", "İ", "ß",
                   "名前", "🙂", "\u200b", "\u202e", "\ufeff", "\x00", "\x1b[31m", "\ud800",
                   "x" * 129, "Q" * 65, "../x", "C:\\x", "%s%n"]
SPECIAL_NUMBERS = [0, -0.0, -1, -1e-300, 1e-320, 0.5, 1.0000000001, 2**31, 2**63, 2**64,
                   -(2**63), 10**19, 10**30, 10**308, 10**400, -(10**400), 1e308, -1e308,
                   float("nan"), float("inf"), float("-inf"), 10_000_000, 10_000_001, True, False]
NUMBERS = st.one_of(st.sampled_from(SPECIAL_NUMBERS), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=True, allow_infinity=True))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, ID_TEXT, st.sampled_from(SPECIAL_STRINGS))
KNOWN_FIELDS = ["id", "name", "area", "areas", "periods", "gpu_types", "sites", "supply",
                "procurement", "projects", "project_tables", "policy", "request", "elastic",
                "configurations", "gpus", "window", "duration", "mandatory", "min_share",
                "max_share", "parent", "hosts", "power_mw", "perf", "score", "budget", "csv"]
FIELD_NAMES = st.one_of(st.sampled_from(KNOWN_FIELDS), ID_TEXT, st.sampled_from(
    ["ïd", "Id", "ID", "id ", "áreas", "名前", "🙂", "", "__proto__", "$ref", "<<", "?", "-",
     "a.b", "[0]", "\ud800"]))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3),
                   st.dictionaries(FIELD_NAMES, SCALARS, max_size=3))

YAML_SNIPPETS = [
    ".nan", ".NaN", ".inf", "-.inf", ".Inf", "1e999", "-1e999", "0x7fffffffffffffffffff",
    "0o777", "0b101", "1_000", "1:30:00", "~", "null", "yes", "no", "on", "off", "Y",
    "2001-02-30", "2001-12-14t21:59:43.10-05:00", "2001-01-01 00:00:00 +99:00",
    "!!binary aGVsbG8=", '!!binary "//79"', '!!binary "=="', "!!str 12", '!!int "12"',
    '!!int "0x"', '!!int "abc"', '!!float "1.5"', '!!float "x"', '!!null ""', "!!set {a, b}",
    "!!omap [a: 1, b: 2]", "!!pairs [a: 1]", "!!omap {a: 1}", "!!set [1]", "!!map []",
    "!!str [1]", '!!python/object/apply:os.system ["echo hacked"]', "!!python/name:os.system",
    "!!python/tuple [1, 2]", "!!python/module:os", "!custom 1", "!<tag:example.com,2000:x> 1",
    "&x [*x]", "&y {k: *y}", "*undefined", "&a 1", '"\\ud800"', '"\\x00"', '"\\N"', '"\\e[31m"',
    "'unterminated", "[1, 2", "{a: 1", "a: b: c", "@reserved", "`reserved", "%", "|", ">",
    "- 1", "? a", "9" * 5000, "-" + "9" * 400, "0." + "0" * 400 + "1", '"' + "x" * 300 + '"',
    "<<", "[*undefined]", "{? [a]: 1}", "{[a]: 1}", "!!timestamp 2001-13-45",
]
# PyYAML's own constructors raise AttributeError, KeyError or IndexError on these; the
# loader lets them through (see test_yaml_core_tags_with_bad_values_are_bad_input).
YAML_CRASHERS = ['!!timestamp "hello"', '!!bool "maybe"', '!!bool ""', '!!int ""', '!!float ""']
JSON_SNIPPETS = [
    "NaN", "Infinity", "-Infinity", "1e999", "-1e999", "-0", "1E400", "9" * 5000, "1.0e-400",
    '"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"\\u001b[31m"', "[", '{"a":}', "nul", "01",
    '"\\x"', "'single'", "[1,]", '{"a": 1,}', '{"a" 1}', "[" * 3 + "]" * 3, '"' + "x" * 300 + '"',
    "true", "null", "{}", "[]", '{"__proto__": 1}',
]
DEEP = st.builds(deep, st.one_of(st.sampled_from([2, 10, 100, 500, 900, 998, 999, 1000, 1001,
                                                  1500, 3000, 10_000, 50_000]),
                                 st.integers(1, 5000)), st.booleans())
RAW = st.one_of(
    st.builds(Raw, st.sampled_from(YAML_SNIPPETS + YAML_CRASHERS),
              st.sampled_from(JSON_SNIPPETS)),
    DEEP)

IDS = {"types": ["H200", "A100"], "sites": ["S1"], "periods": ["Q1", "Q2", "Q3", "Q4"],
       "areas": ["health", "finance"], "projects": ["P1", "P2", "P3"], "options": ["buyH"]}
REFERENCES = [
    ("projects", 0, "area"), ("projects", 1, "area"), ("projects", 2, "depends_on"),
    ("projects", 2, "depends_on", 0), ("projects", 0, "excludes"), ("projects", 1, "partner"),
    ("projects", 2, "window", "earliest_start"), ("projects", 0, "window", "latest_end"),
    ("projects", 1, "request", "elastic", "types", 0), ("projects", 1, "request", "elastic",
                                                        "efficiency"),
    ("supply", 0, "type"), ("supply", 0, "site"), ("supply", 1, "period"),
    ("supply", 1, "partner"), ("procurement", 0, "type"), ("procurement", 0, "earliest_period"),
    ("procurement", 0, "sites"), ("sites", 0, "hosts"), ("areas", 1, "parent"),
    ("areas", 0, "parent"), ("periods", 0), ("gpu_types", 0, "id"), ("sites", 0, "id"),
    ("areas", 0, "id"), ("projects", 0, "id"), ("projects", 0, "request", "configurations", 0,
                                                "id"),
]
CYCLES: list[dict[tuple, Any]] = [
    {("projects", 0, "depends_on"): ["P3"]},                      # P3 already depends on P1
    {("projects", 0, "depends_on"): ["P1"]},                      # itself
    {("projects", 0, "depends_on"): ["P2"], ("projects", 1, "depends_on"): ["P3"]},
    {("projects", 0, "excludes"): ["P1"]},
    {("areas", 0, "parent"): "finance", ("areas", 1, "parent"): "health"},
    {("areas", 0, "parent"): "health"},
    {("areas", 0, "parent"): "nowhere"},
]


def _get(doc: Any, path: tuple) -> Any:
    for k in path:
        doc = doc[k]
    return doc


def _set(doc: Any, path: tuple, value: Any) -> None:
    """Set doc[path] = value, creating missing mappings; skip if the shape has changed."""
    node = doc
    for k, nxt in itertools.pairwise(path):
        if isinstance(node, dict):
            if not isinstance(node.get(k), dict | list):
                node[k] = {} if isinstance(nxt, str) else [None] * (nxt + 1)
            node = node[k]
        elif isinstance(node, list) and isinstance(k, int) and k < len(node):
            if not isinstance(node[k], dict | list):
                return
            node = node[k]
        else:
            return
    last = path[-1]
    if isinstance(node, dict) or (isinstance(node, list) and isinstance(last, int)
                                  and last < len(node)):
        node[last] = value


def _paths(doc: Any) -> list[tuple]:
    """Every node below the root, as a path of keys and indexes."""
    out, stack = [], [((), doc)]
    while stack:
        path, node = stack.pop()
        items = (node.items() if isinstance(node, dict)
                 else enumerate(node) if isinstance(node, list) else ())
        for k, v in items:
            out.append((*path, k))
            stack.append(((*path, k), v))
    return out


def _containers(doc: Any, kind: type) -> list[tuple]:
    return [p for p in [(), *_paths(doc)] if isinstance(_get(doc, p), kind)]


# --- document mutations ----------------------------------------------------------------

Draw = Callable[[st.SearchStrategy], Any]


def op_replace(draw: Draw, doc: dict) -> None:
    paths = _paths(doc)
    if paths:
        path = draw(st.sampled_from(paths))
        _get(doc, path[:-1])[path[-1]] = draw(st.one_of(VALUES, RAW, NUMBERS))


def op_number(draw: Draw, doc: dict) -> None:
    paths = [p for p in _paths(doc) if type(_get(doc, p)) in (int, float)]
    if paths:
        path = draw(st.sampled_from(paths))
        _get(doc, path[:-1])[path[-1]] = draw(NUMBERS)


def op_delete(draw: Draw, doc: dict) -> None:
    paths = _paths(doc)
    if paths:
        path = draw(st.sampled_from(paths))
        del _get(doc, path[:-1])[path[-1]]


def op_add_field(draw: Draw, doc: dict) -> None:
    path = draw(st.sampled_from(_containers(doc, dict)))
    _get(doc, path)[draw(FIELD_NAMES)] = draw(st.one_of(VALUES, RAW))


def op_rename_field(draw: Draw, doc: dict) -> None:
    paths = [p for p in _containers(doc, dict) if _get(doc, p)]
    if paths:
        node = _get(doc, draw(st.sampled_from(paths)))
        old = draw(st.sampled_from(list(node)))
        node[draw(FIELD_NAMES)] = node.pop(old)


def op_duplicate(draw: Draw, doc: dict) -> None:
    paths = [p for p in _containers(doc, list) if _get(doc, p)]
    if paths:
        node = _get(doc, draw(st.sampled_from(paths)))
        node.insert(draw(st.integers(0, len(node))), copy.deepcopy(draw(st.sampled_from(node))))


def op_reference(draw: Draw, doc: dict) -> None:
    known = st.sampled_from([i for ids in IDS.values() for i in ids])
    value = draw(st.one_of(known, ID_TEXT, st.lists(st.one_of(known, ID_TEXT), max_size=3),
                           st.dictionaries(st.one_of(known, ID_TEXT), NUMBERS, max_size=2)))
    _set(doc, draw(st.sampled_from(REFERENCES)), value)


def op_rename_id(draw: Draw, doc: dict) -> None:
    """Rename one id everywhere it occurs (values and mapping keys): often still valid."""
    old = draw(st.sampled_from([i for ids in IDS.values() for i in ids]))
    new = draw(st.one_of(ID_TEXT, st.sampled_from(["é", "名前", "🙂", "İd", "a" * 128, "a" * 129,
                                                   "x|y", "\u200b", "Q2"])))

    def rename(node: Any) -> Any:
        if isinstance(node, dict):
            return {(new if k == old else k): rename(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rename(v) for v in node]
        return new if node == old and isinstance(node, str) else node

    renamed = rename(doc)
    doc.clear()
    doc.update(renamed)


def op_cycle(draw: Draw, doc: dict) -> None:
    for path, value in draw(st.sampled_from(CYCLES)).items():
        _set(doc, path, copy.deepcopy(value))


def op_empty(draw: Draw, doc: dict) -> None:
    paths = _containers(doc, list) + _containers(doc, dict)[1:]
    if paths:
        path = draw(st.sampled_from(paths))
        _get(doc, path[:-1])[path[-1]] = draw(st.sampled_from([[], {}, None, ""]))


def op_many_projects(draw: Draw, doc: dict) -> None:
    """Copies of a project (same or fresh ids): duplicates and --max-projects."""
    projects = doc.get("projects")
    if isinstance(projects, list) and projects:
        n = draw(st.integers(1, 30))
        fresh = draw(st.booleans())
        for k in range(n):
            p = copy.deepcopy(projects[k % len(projects)])
            if fresh and isinstance(p, dict):
                p["id"] = f"X{k}"
            projects.append(p)


OPS = [op_replace, op_number, op_delete, op_add_field, op_rename_field, op_duplicate,
       op_reference, op_rename_id, op_cycle, op_empty, op_many_projects]


# --- CSV tables ------------------------------------------------------------------------

CELLS = {
    "id": ["P9", "P1", "T1", "", "a b", "x|y", "名前"],
    "area": ["health", "finance", "nope", ""],
    "configurations": ["H200:8", "a=H200:8|A100:16", "H200:eight", "H200:8+A100:", "H200:-1",
                       "=H200:1", "|", "H200:1e3", "X:1", "H200:8|H200:8", "a=H200:1|a=A100:1",
                       "H200:99999999999", "H200", ":", "H200:8+H200:8", "H 200:8"],
    "min_gpus": ["1", "-1", "nan", "inf", "1e309", "8", "x", ""],
    "max_gpus": ["1", "-1", "nan", "inf", "40", "0", ""],
    "types": ["H200", "H200+A100", "X", "H200 A100", ""],
    "efficiency": ["H200:2", "H200:nan", "H200:0", "A100:1", "H200", "H200:x"],
    "mandatory": ["yes", "no", "maybe", "TRUE", "1", ""],
    "depends_on": ["P1", "P1;P2", "P9", "T1", "P1,P1", ""],
    "excludes": ["P1", "T1", "P9", ""],
    "score": ["1", "-1", "nan", "1e7", "x", ""],
    "earliest_start": ["Q1", "Q9", ""], "latest_end": ["Q4", "Q0", ""],
    "duration": ["1", "0", "-1", "99", "1.5", "x", ""],
    "late_start_penalty": ["0.1", "2", "-1", ""],
}
CSV_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
TABLE_NAMES = ["t.csv", "sub/t.csv", "./t.csv", "sub/../t.csv", "T.CSV", "tåble ü.csv",
               "missing.csv", "../t.csv", "../../etc/passwd", "/etc/passwd", "", ".", "sub",
               "a" * 300 + ".csv", "t.csv\x00", "link.csv", "sub/../../t.csv"]
LINK_TARGETS = ["t.csv", "../outside.csv", "/etc/passwd", "missing.csv", "sub", "link.csv"]


@st.composite
def csv_tables(draw: Draw) -> bytes:
    """A CSV project table, from plausible to garbage."""
    kind = draw(st.sampled_from(["table", "table", "table", "junk", "huge"]))
    if kind == "junk":
        return draw(st.one_of(st.binary(max_size=200), CSV_TEXT.map(str.encode),
                              st.sampled_from([b"", b"\n", b"\xef\xbb\xbf", b"id,area",
                                               b'"', b"\x00,\x00\n"])))
    if kind == "huge":  # a cell over the csv module's 128 KiB field limit
        return b'id,area,title\nP9,health,"' + b"x" * 140_000 + b'"\n'
    header = draw(st.lists(st.one_of(st.sampled_from(CSV_COLUMNS), CSV_TEXT), max_size=8,
                           unique=True))
    if draw(st.booleans()):
        header = ["id", "area", *[h for h in header if h not in ("id", "area")]]
    rows = []
    for _ in range(draw(st.integers(0, 5))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        row = [draw(st.one_of(st.sampled_from(CELLS.get(h, [""])), CSV_TEXT))
               for h in [*header, "extra"][:max(width, 0)]]
        rows.append(row)
    out = io.StringIO(newline="")
    if draw(st.booleans()):
        csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(
            [header, *rows])
    else:
        out.write("".join(",".join(r) + "\n" for r in [header, *rows]))
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


# --- whole cases -----------------------------------------------------------------------

@dataclass
class Case:
    """One folder: the instance file `name`, other files, symlinks and CLI options."""

    name: str
    data: bytes
    tables: dict[str, bytes] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        def short(data: bytes) -> str:
            text = data.decode("utf-8", "backslashreplace")
            return text if len(text) <= 2000 else f"{text[:1000]}\n[...]\n{text[-1000:]}"

        parts = [f"Case(name={self.name!r}, args={self.args}, links={self.links})",
                 f"--- {self.name} ---", short(self.data)]
        for name, data in self.tables.items():
            parts += [f"--- table {name!r} ---", short(data)]
        return "\n".join(parts)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis' report
        printer.text(repr(self))


def render(doc: Any, fmt: str, ascii_only: bool, flow: bool) -> bytes:
    """YAML or JSON bytes of `doc`, with every `Raw` spliced in as text."""
    raws: list[Raw] = []

    def strip(node: Any) -> Any:
        if isinstance(node, Raw):
            raws.append(node)
            return f"RAW{len(raws) - 1}X"
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items()}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    plain = strip(doc)
    if fmt == "json":
        text = json.dumps(plain, ensure_ascii=ascii_only)
    else:
        options = dict(allow_unicode=not ascii_only, sort_keys=False, default_flow_style=flow,
                       width=1_000_000)
        try:
            text = yaml.dump(plain, Dumper=YAML_DUMPER, **options)
        except UnicodeEncodeError:  # lone surrogates: only the Python emitter escapes them
            text = yaml.dump(plain, Dumper=yaml.SafeDumper, **options)
    for i in reversed(range(len(raws))):  # RAW10X before RAW1X
        token = f"RAW{i}X"
        if fmt == "json":
            text = text.replace(f'"{token}"', raws[i].json)
        else:
            text = text.replace(token, raws[i].yaml)
    return text.encode("utf-8", "surrogatepass")


JUNK_TEXT = st.text(st.one_of(st.sampled_from(list(":{}[],&*!|>'\"%@`#-?\\\t\n \r")), UNICODE),
                    min_size=1, max_size=8)


@st.composite
def damaged(draw: Draw, data: bytes) -> bytes:
    """`data` with its text cut, spliced, shuffled or re-encoded."""
    n = len(data)
    at = draw(st.integers(0, n))
    op = draw(st.sampled_from(["cut", "insert", "insert", "delete", "byte", "bom", "recode",
                               "repeat"]))
    if op == "cut":
        return data[:at]
    if op == "insert":
        return data[:at] + draw(JUNK_TEXT).encode("utf-8", "surrogatepass") + data[at:]
    if op == "delete":
        return data[:at] + data[at + draw(st.integers(1, 20)):]
    if op == "byte":
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    if op == "bom":
        return b"\xef\xbb\xbf" + data
    if op == "recode":
        text = data.decode("utf-8", "replace")
        return text.encode(draw(st.sampled_from(["utf-16", "utf-32", "latin-1"])), "replace")
    return data[:at] + data[at:at + 40] * draw(st.integers(2, 50)) + data[at:]


SCRATCH = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(FIELD_NAMES, children, max_size=4)),
    max_leaves=25)
TOP_KEYS = ["name", "description", "periods", "gpu_types", "sites", "supply", "procurement",
            "areas", "partners", "projects", "project_tables", "policy", "scenarios"]
JUNK_FILES = [b"", b"\n", b" \t\n", b"\xef\xbb\xbf", b"\xff\xfe", b"\x00" * 10, b"---\n",
              b"...\n", b"~\n", b"[]", b"{}", b"null", b'""', b"# just a comment\n",
              b"%YAML 1.1\n---\n", b"%YAML 2.0\n---\na: 1\n", b"---\na: 1\n---\nb: 2\n",
              b"\x1f\x8b\x08\x00", b"PK\x03\x04", "\ufeff{}".encode("utf-16"),
              b"%TAG !p! tag:yaml.org,2002:python/\n---\na: !p!object/apply:os.getcwd []\n"]
NAMES = ["inst.yaml", "inst.yaml", "inst.json", "inst.json", "inst.yml", "inst.JSON", "inst",
         "inst.txt", "ïnst ü.yaml", "in st.json"]


@st.composite
def documents(draw: Draw) -> Any:
    kind = draw(st.sampled_from(["mutated"] * 6 + ["scratch", "shaped", "deep"]))
    if kind == "mutated":
        doc = copy.deepcopy(TINY)
        for _ in range(draw(st.integers(1, 4))):
            draw(st.sampled_from(OPS))(draw, doc)
        return doc
    if kind == "scratch":
        return draw(SCRATCH)
    if kind == "shaped":
        return draw(st.fixed_dictionaries({}, optional={k: SCRATCH for k in TOP_KEYS}))
    return draw(DEEP)


def block_nesting(depth: int) -> bytes:
    return "".join("  " * i + "a:\n" for i in range(depth)).encode()


@st.composite
def cases(draw: Draw) -> Case:
    name = draw(st.sampled_from(NAMES))
    fmt = "json" if name.lower().endswith(".json") else "yaml"
    source = draw(st.sampled_from(["document"] * 8 + ["damaged"] * 3 + ["junk", "block"]))
    doc = None
    if source == "junk":
        data = draw(st.one_of(st.sampled_from(JUNK_FILES), st.binary(max_size=300)))
    elif source == "block":
        data = block_nesting(draw(st.sampled_from([10, 500, 999, 1000, 1001, 1200])))
    else:
        doc = draw(documents())
        case_tables = isinstance(doc, dict) and draw(st.integers(0, 3)) == 0
        if case_tables:
            names = draw(st.lists(st.sampled_from(TABLE_NAMES), min_size=1, max_size=3))
            doc["project_tables"] = [{"csv": n} for n in names]
        data = render(doc, fmt, draw(st.booleans()), draw(st.booleans()))
        if source == "damaged":
            data = draw(damaged(data))
    case = Case(name=name, data=data)
    if isinstance(doc, dict) and isinstance(doc.get("project_tables"), list):
        for t in doc["project_tables"]:
            n = t.get("csv") if isinstance(t, dict) else None
            if not isinstance(n, str) or "\x00" in n or n in ("", ".", "sub", "missing.csv"):
                continue
            if n == "link.csv":
                case.links[n] = draw(st.sampled_from(LINK_TARGETS))
            elif not n.startswith("/") and len(n) < 200:
                case.tables[n] = draw(csv_tables())
        if case.tables or case.links:
            case.tables["../outside.csv"] = b"id,area\nP9,health\n"
    case.args = draw(st.sampled_from([[], [], [], ["--max-projects", "1"],
                                      ["--max-projects", "3"]]))
    if draw(st.integers(0, 9)) == 0:
        case.args = [*case.args, "--max-file-bytes", str(draw(st.integers(1, 2000)))]
    return case


# --- running and checking a case -------------------------------------------------------

def _parse(path: Path) -> Any:
    """What the loader would parse, or None (mirrors allocopt.instance.loaders)."""
    try:
        text = path.read_bytes().decode("utf-8")
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=YAML_LOADER)
    except Exception:
        return None


def _table_names(doc: Any) -> list[str]:
    tables = doc.get("project_tables") if isinstance(doc, dict) else None
    names = []
    for t in tables if isinstance(tables, list | tuple) else ():
        n = t.get("csv") if isinstance(t, dict) else None
        if isinstance(n, bytes):
            n = n.decode("utf-8", "replace")
        if isinstance(n, str):
            names.append(n)
    return names


def _line_break_in_names(doc: Any, folder: Path, inside: Path) -> bool:
    """Known bug: mapping keys, table names and CSV type ids are printed raw, so a line
    break in one of them splits a problem over two lines."""
    seen, stack = set(), [doc]
    while stack and len(seen) < 200_000:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            if any(isinstance(k, str) and "\n" in k for k in node):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    for name in _table_names(doc):
        if "\n" in name:
            return True
        try:
            table = (folder / name).resolve()
            if not table.is_relative_to(inside) or not table.is_file():
                continue  # never read /dev/zero or a FIFO here
            text = table.read_bytes()[:1_000_000].decode("utf-8-sig")
            if any("\n" in cell for row in csv.reader(io.StringIO(text, newline=""))
                   for cell in row):
                return True
        except (OSError, ValueError, RuntimeError, csv.Error):
            continue
    return False


def write_case(case: Case, folder: Path) -> Path:
    """Write the case under `folder`/inst; tables that would land outside `folder`, on the
    instance file or on a folder are left out (the loader then reports them missing)."""
    root = folder / "inst"
    (root / "sub").mkdir(parents=True)
    path = root / case.name
    path.write_bytes(case.data)
    for name, data in case.tables.items():
        target = root / name
        try:
            if (not target.resolve().is_relative_to(folder.resolve())
                    or target.resolve() == path.resolve()):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except (OSError, ValueError, RuntimeError):
            continue
    for name, target in case.links.items():
        (root / name).symlink_to(target)
    return path


def limits_of(args: list[str]) -> Limits:
    options = dict(zip(args[::2], args[1::2], strict=True))
    return Limits(max_file_bytes=int(options.get("--max-file-bytes", 64 * 1024 * 1024)),
                  max_projects=int(options.get("--max-projects", 100_000)))


def check_case(case: Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_case(case, Path(tmp))
        result = CliRunner().invoke(cli, ["validate", str(path), *case.args])
        output = result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"validate raised {result.exception!r}; output:\n{output}"
                                 ) from result.exception
        assert "Traceback" not in output and "internal error" not in output, output
        assert result.exit_code in (0, 2), output
        lines = [line for line in output.split("\n") if line.strip()]
        assert lines, "no output"
        if result.exit_code == 0:
            assert len(lines) == 1 and lines[0].startswith(f"{path}: valid ("), output
            instance = load_instance(path, limits_of(case.args))
            assert len(instance.projects) == int(lines[0].split("(")[1].split()[0])
            return
        doc = _parse(path)
        if _line_break_in_names(doc, path.parent, Path(tmp).resolve()):  # shown as repr
            return
        shown = [f"{path}: ", *(f"{path.parent / t}: " for t in _table_names(doc))]
        for line in lines:
            assert line.startswith(tuple(shown)), f"line names no file: {line!r}\n{output}"
            assert line.rstrip() not in {s.rstrip() for s in shown}, f"empty problem: {line!r}"


COMMON = dict(deadline=None, database=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much, HealthCheck.large_base_example])


@settings(derandomize=True, max_examples=CI_EXAMPLES, **COMMON)
@given(cases())
def test_validate_survives_malformed_files(case: Case):
    check_case(case)


@pytest.fixture
def fuzz_requested(request: pytest.FixtureRequest) -> None:
    if "fuzz" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the long fuzz run: select it with -m fuzz")


@pytest.mark.fuzz
def test_fuzz_long_run(fuzz_requested: None):
    """>= 10,000 fresh random cases (ALLOCOPT_FUZZ_EXAMPLES); the seed is printed on failure."""

    checked = []

    @settings(max_examples=FUZZ_EXAMPLES, **COMMON)
    @given(cases())
    def run(case: Case) -> None:
        check_case(case)
        checked.append(1)

    run()
    assert len(checked) >= FUZZ_EXAMPLES, f"only {len(checked)} cases ran"


def test_base_instance_is_valid():
    check_case(Case(name="inst.yaml", data=render(TINY, "yaml", False, False)))
    check_case(Case(name="inst.json", data=render(TINY, "json", True, False)))


@pytest.mark.parametrize("text", [
    "name: .nan\n", "periods: [.inf]\n", "name: " + "[" * 5000 + "]" * 5000 + "\n",
    "&x [*x]\n", "a: !!python/object/apply:os.system [echo hacked]\n", "\x00", "",
])
def test_examples_named_in_the_issue(text: str):
    check_case(Case(name="inst.yaml", data=text.encode("utf-8")))


# --- regressions: library bugs the fuzzer found ---------------------------------------

def _validate(tmp_path: Path, name: str, text: str, tables: dict[str, str] | None = None):
    for table, content in (tables or {}).items():
        (tmp_path / table).write_text(content, encoding="utf-8", newline="")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, CliRunner().invoke(cli, ["validate", str(path)])


@pytest.mark.parametrize("value", YAML_CRASHERS)
def test_yaml_core_tags_with_bad_values_are_bad_input(tmp_path: Path, value: str):
    path, result = _validate(tmp_path, "inst.yaml", f"name: {value}\n")
    assert result.exit_code == 2 and result.output.startswith(f"{path}: "), result.output


def test_huge_csv_cell_is_bad_input(tmp_path: Path):
    text = (DATA / "broken" / "csv_bad_row.yaml").read_text(encoding="utf-8")
    tables = {"projects.csv": 'id,area,title\nP1,health,"' + "x" * 140_000 + '"\n'}
    _, result = _validate(tmp_path, "inst.yaml", text, tables)
    assert result.exit_code == 2, result.output


@pytest.mark.parametrize("kind", ["field", "csv type", "table name"])
def test_names_with_a_line_break_stay_on_one_line(tmp_path: Path, kind: str):
    base = (DATA / "tiny.yaml").read_text(encoding="utf-8")
    tables = {}
    if kind == "field":
        text = base + '"bad\\nname": 1\n'
    elif kind == "csv type":
        text = base + "project_tables: [{csv: t.csv}]\n"
        tables = {"t.csv": 'id,area,configurations\nP9,health,"H\n200:8"\n'}
    else:
        text = base + 'project_tables: [{csv: "no\\nsuch.csv"}]\n'
    _, result = _validate(tmp_path, "inst.yaml", text, tables)
    assert result.exit_code == 2
    for line in result.output.strip("\n").split("\n"):
        assert line.startswith(str(tmp_path)), result.output


def test_deep_small_document_is_not_called_huge(tmp_path: Path):
    _, result = _validate(tmp_path, "inst.json", '{"name": ' + "[" * 600 + "]" * 600 + "}")
    assert result.exit_code == 2
    assert "5000000 nodes" not in result.output, result.output
