"""The layer rules of DESIGN.md §3, checked on the source: every `import` and
`from … import` of every module in allocopt/, lazy ones (inside functions) and
type-checking ones included, since a lazy import is still a dependency."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "allocopt"

CLI = ("allocopt_cli", "click")
# The modules that solve (choose a backend, run a policy, seed or split a solve).
SOLVING = ("allocopt.solving", "allocopt.policies", "allocopt.diagnose",
           "allocopt.sensitivity")

# Who must not import what. A name stands for the module and everything under it.
LAYER_RULES: list[tuple[str, tuple[str, ...]]] = [
    # the bottom: validated, immutable input
    ("allocopt.instance", ("allocopt.model", "allocopt.backends", "allocopt.solution",
                           "allocopt.results", "allocopt.verify", *SOLVING,
                           "allocopt.report", *CLI)),
    # the formulation, and decoding column values back into awards
    ("allocopt.model", ("allocopt.backends", *SOLVING, "allocopt.report")),
    # what was allocated, and the vocabulary of a solve's outcome
    ("allocopt.solution", ("allocopt.model", "allocopt.backends", *SOLVING)),
    ("allocopt.status", ("allocopt",)),  # neutral: every layer may use it
    ("allocopt.errors", ("allocopt",)),  # neutral: every layer may use it
    # the results folder
    ("allocopt.results", ("allocopt.model", "allocopt.backends")),
    # results as DataFrames: rows of the folder, never a solve
    ("allocopt.frames", ("allocopt.model", "allocopt.backends", *SOLVING)),
    # every rule re-checked from the allocation alone, never from the formulation
    ("allocopt.verify", ("allocopt.model", "allocopt.backends", *SOLVING)),
    # starting allocations seed a solve; they never run the pipeline or split it
    ("allocopt.solving.starts", ("allocopt.solving.pipeline", "allocopt.solving.decompose")),
    # the policies are handed the pipeline's solve; they never import it
    ("allocopt.policies", ("allocopt.solving.pipeline", "allocopt.solving.decompose")),
    # reports read results; they never solve
    ("allocopt.report", ("allocopt.backends", *SOLVING)),
    # the library never calls its front end
    ("allocopt", CLI),
]

# Imports that break a rule today, each with why it stays.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {
    # `python -m allocopt` is the command line's own door: it can only start the CLI.
    ("allocopt.__main__", "allocopt_cli.main"): "the `python -m allocopt` entry point",
}


@dataclass(frozen=True)
class Import:
    """`module` imports `target` at `line`; `top_level` when that runs on import (not
    inside a function, not under `if TYPE_CHECKING:`)."""

    module: str
    target: str
    line: int
    top_level: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def library_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(source: str, module: str, is_package: bool = False,
               known: frozenset[str] = frozenset()) -> list[Import]:
    """Every import in `source`, as if it were module `module`. `from P import name`
    names the submodule P.name when that is one of `known`, else P."""
    found: list[Import] = []

    def visit(node: ast.AST, top_level: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(module, a.name, node.lineno, top_level) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append(Import(module, sub if sub in known else base, node.lineno,
                                    top_level))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            top_level = False
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, False)
            for child in node.orelse:
                visit(child, top_level)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, top_level)

    visit(ast.parse(source), True)
    return found


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    package = parts if is_package else parts[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(found: list[Import]) -> list[str]:
    """Each import that breaks a rule of LAYER_RULES, as 'module:line imports target'."""
    out = []
    for imp in found:
        for layer, forbidden in LAYER_RULES:
            if not _within(imp.module, layer):
                continue
            hit = next((f for f in forbidden if _within(imp.target, f)
                        and not _within(imp.target, layer)), None)
            line = (f"{imp.module}:{imp.line} imports {imp.target} "
                    f"({layer} must not know {hit})")
            if (hit is not None and (imp.module, imp.target) not in KNOWN_EXCEPTIONS
                    and line not in out):  # `from m import a, b` is one import of m
                out.append(line)
    return out


def all_imports() -> list[Import]:
    modules = library_modules()
    known = frozenset(modules)
    return [imp for name, path in modules.items()
            for imp in imports_of(path.read_text(encoding="utf-8"), name,
                                  path.name == "__init__.py", known)]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return sorted(out)


def module_graph(found: list[Import], modules: set[str]) -> dict[str, set[str]]:
    """Edges from each module to the library modules it imports when it is imported.
    An edge goes to the module named, not to its parent packages: a package whose
    __init__ imports its submodules, which import one another, is no cycle."""
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for imp in found:
        if imp.top_level and imp.target in modules and imp.target != imp.module:
            edges[imp.module].add(imp.target)
    return edges


def test_every_module_keeps_to_its_layer():
    assert violations(all_imports()) == []


def test_the_checker_reports_a_forbidden_import():
    """A module of the report layer that asks for a backend, at the top or lazily."""
    source = ("from allocopt.backends import x\n"
              "def f():\n"
              "    import allocopt.solving.pipeline\n")
    found = imports_of(source, "allocopt.report.wrong", known=frozenset(library_modules()))
    assert violations(found) == [
        "allocopt.report.wrong:1 imports allocopt.backends "
        "(allocopt.report must not know allocopt.backends)",
        "allocopt.report.wrong:3 imports allocopt.solving.pipeline "
        "(allocopt.report must not know allocopt.solving)",
    ]


def test_relative_and_submodule_imports_are_resolved():
    source = "from ..backends import base\nfrom . import tables\n"
    found = imports_of(source, "allocopt.report.wrong",
                       known=frozenset({"allocopt.backends.base"}))
    assert [i.target for i in found] == ["allocopt.backends.base", "allocopt.report"]
    assert len(violations(found)) == 1


def test_known_exceptions_still_occur():
    """An exception that no longer happens is removed from the table."""
    seen = {(i.module, i.target) for i in all_imports()}
    assert [k for k in KNOWN_EXCEPTIONS if k not in seen] == []


def test_no_import_cycle_at_module_level():
    modules = set(library_modules())
    assert cycles(module_graph(all_imports(), modules)) == []


def test_the_cycle_finder_finds_a_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
    found = imports_of("import allocopt.b\ndef f():\n    import allocopt.a\n", "allocopt.a")
    assert [i.top_level for i in found] == [True, False]


def test_moved_names_stay_importable_from_their_old_modules():
    """Status and the domain errors moved to the neutral modules; the old paths name the
    same objects, and the errors keep the base they had before they were AllocoptError."""
    import allocopt.backends
    import allocopt.backends.base
    import allocopt.sensitivity
    import allocopt.sensitivity.duals
    import allocopt.solving.decompose.decompose
    import allocopt.solving.pipeline
    import allocopt.solving.starts.rounding
    from allocopt import errors, status

    assert allocopt.backends.Status is allocopt.backends.base.Status is status.Status
    assert allocopt.backends.Result is allocopt.backends.base.Result is status.Result
    assert allocopt.backends.base.relative_gap is status.relative_gap
    assert allocopt.backends.base.SolverAbandoned is errors.SolverAbandoned
    assert allocopt.solving.pipeline.VerificationError is errors.VerificationError
    assert allocopt.solving.starts.rounding.NoRelaxation is errors.NoRelaxation
    assert allocopt.solving.decompose.decompose.DecompositionError is errors.DecompositionError
    assert allocopt.sensitivity.duals.DualsError is errors.DualsError
    assert allocopt.sensitivity.ParameterError is errors.ParameterError
    assert allocopt.sensitivity.ExecutorError is errors.ExecutorError
    for error, before in [(errors.VerificationError, RuntimeError),
                          (errors.SolverAbandoned, RuntimeError),
                          (errors.DualsError, RuntimeError),
                          (errors.NoRelaxation, ValueError)]:
        assert issubclass(error, errors.AllocoptError) and issubclass(error, before)
