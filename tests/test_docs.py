"""The API reference: the tour's code runs as written, and the pages build with Sphinx
without a warning (when Sphinx is installed: the `docs` extra)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT

DOCS = ROOT / "docs"
TOUR = DOCS / "tour.rst"


def code_blocks(text: str) -> list[str]:
    """The bodies of the `.. code-block:: python` directives of an rST text."""
    blocks: list[str] = []
    lines = text.splitlines()
    k = 0
    while k < len(lines):
        if lines[k].strip() != ".. code-block:: python":
            k += 1
            continue
        k += 1
        body: list[str] = []
        while k < len(lines) and (not lines[k].strip() or lines[k].startswith(" ")):
            body.append(lines[k])
            k += 1
        blocks.append(textwrap.dedent("\n".join(body)).strip() + "\n")
    return blocks


def test_code_blocks_are_found():
    text = "Intro\n\n.. code-block:: python\n\n    x = 1\n\n    y = x\n\nAfter\n"
    assert code_blocks(text) == ["x = 1\n\ny = x\n"]


def test_the_tour_runs_as_written(monkeypatch: pytest.MonkeyPatch, capsys):
    pytest.importorskip("pandas")
    blocks = code_blocks(TOUR.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    monkeypatch.chdir(ROOT)
    namespace: dict = {"__name__": "tour"}
    for k, block in enumerate(blocks):
        exec(compile(block, f"{TOUR.name}, block {k + 1}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "optimal 1136" in out
    assert "min_share must be <= max_share (area industry)" in out
    assert "final True" in out


def test_every_api_page_is_in_the_table_of_contents():
    index = (DOCS / "index.rst").read_text(encoding="utf-8")
    for page in sorted((DOCS / "api").glob("*.rst")):
        assert f"api/{page.stem}" in index, page.name


@pytest.mark.skipif(importlib.util.find_spec("sphinx") is None,
                    reason="Sphinx is not installed (pip install -e '.[docs]')")
def test_the_docs_build_without_warnings(tmp_path: Path):
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html",
                          str(DOCS), str(tmp_path / "html")],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "html" / "api" / "instance.html").read_text(encoding="utf-8")
    assert "with_supply" in page and "min_share" in page
