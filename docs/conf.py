"""Sphinx configuration of allocopt's API reference (build: see index.rst)."""

from __future__ import annotations

import sys
from pathlib import Path

# The package from this source tree, installed or not.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

project = "allocopt"
author = "allocopt contributors"
copyright = "allocopt contributors"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]

# Docstrings write `name` for code, as Markdown does.
default_role = "literal"
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options: dict[str, object] = {}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list[str] = []
