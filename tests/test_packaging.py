"""What a plain `pip install .` ships: the wheel holds every module and every data file
of the source tree (a subpackage left out once broke the README's first command)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Source folder -> the package name it is installed as (pyproject.toml's package-dir).
PACKAGES = {"allocopt": "allocopt", "cli": "allocopt_cli"}


def _source_files() -> set[str]:
    """Every file of the packages' trees, as its path inside the wheel."""
    files = set()
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.add(f"{package}/{path.relative_to(ROOT / folder).as_posix()}")
    return files


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "--wheel-dir", str(out), str(ROOT)], check=True, capture_output=True)
    (built,) = out.glob("allocopt-*.whl")
    return built


def test_the_wheel_holds_every_source_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(_source_files() - names)
    assert missing == [], f"a plain install would lack {missing}"


def test_the_wheel_holds_nothing_but_the_packages_and_metadata(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    stray = [n for n in names if n.split("/")[0] not in {*PACKAGES.values()}
             and ".dist-info/" not in n]
    assert stray == []
    assert any(n.endswith("entry_points.txt") for n in names)


def test_every_subpackage_is_in_the_source_listing():
    """The check above compares against the tree; this one makes it fail for the
    failure it guards against: a folder of modules without its __init__.py is no
    package, and discovery would skip it."""
    for folder in PACKAGES:
        for sub in (ROOT / folder).rglob("*.py"):
            assert (sub.parent / "__init__.py").exists(), f"{sub.parent} is no package"
