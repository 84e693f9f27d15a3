"""Every bundled instance gives byte-identical results folders from one change to the
next: the SHA-256 of each CSV file `allocopt solve` writes, on one thread to a 1 % gap
(deterministic for every backend, and quick), is committed in tests/golden/results.json.

A change meant to move an allocation (a new rule, another default backend) rewrites
the hashes; say why in the commit:

    ALLOCOPT_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_results.py
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocopt_cli.main import cli

from conftest import ROOT

GOLDEN = Path(__file__).resolve().parent / "golden" / "results.json"
INSTANCES = sorted((ROOT / "instances").glob("*.yaml"))
UPDATE = os.environ.get("ALLOCOPT_UPDATE_GOLDEN") == "1"
OPTIONS = ("--threads", "1", "--gap", "0.01", "--no-progress")


def hashes(folder: Path) -> dict[str, str]:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(folder.glob("*.csv"))}


@pytest.mark.parametrize("path", INSTANCES, ids=[p.stem for p in INSTANCES])
def test_results_are_byte_identical(path: Path, tmp_path: Path) -> None:
    out = tmp_path / path.stem
    result = CliRunner().invoke(cli, ["solve", str(path), "--out", str(out), *OPTIONS])
    assert result.exit_code == 0, result.output
    got = hashes(out)
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    if UPDATE:
        golden[path.name] = got
        GOLDEN.write_text(json.dumps(golden, indent=2, sort_keys=True) + "\n")
        return
    assert path.name in golden, f"no golden hashes for {path.name}: run with " \
                                "ALLOCOPT_UPDATE_GOLDEN=1"
    changed = sorted(name for name in got.keys() | golden[path.name].keys()
                     if got.get(name) != golden[path.name].get(name))
    assert not changed, (f"{path.name}: {', '.join(changed)} changed; if that is intended, "
                         "rewrite with ALLOCOPT_UPDATE_GOLDEN=1 and say why in the commit")
