"""`allocopt validate`: every bundled instance is valid; broken files exit 2 naming
the file and the field, never with a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from allocopt_cli.main import cli

from conftest import DATA, ROOT

BROKEN = sorted((DATA / "broken").glob("*.yaml"))


def expected(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: ")
    return first.removeprefix("# expect: ")


def test_at_least_ten_ways_to_break_a_file():
    assert len(BROKEN) >= 10


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_file_exits_2_with_field_path(path: Path, monkeypatch):
    monkeypatch.chdir(path.parent)
    result = CliRunner().invoke(cli, ["validate", path.name])
    assert result.exit_code == 2, result.output
    assert expected(path) in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("path", sorted((ROOT / "instances").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_bundled_instances_are_valid(path: Path):
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_every_problem_reported_at_once(tmp_path: Path):
    text = (DATA / "broken" / "unknown_area.yaml").read_text(encoding="utf-8")
    text = text.replace("period: Q1, units: 64", "period: Q7, units: 64")
    bad = tmp_path / "two.yaml"
    bad.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "supply[0].period" in result.output and "projects[0].area" in result.output


def test_missing_file_is_bad_input(tmp_path: Path):
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "cannot read file" in result.output


def test_json_and_yaml_give_the_same_fingerprint(tmp_path: Path):
    import json

    import yaml

    from allocopt import load_instance

    source = DATA / "tiny.yaml"
    as_json = tmp_path / "tiny.json"
    as_json.write_text(json.dumps(yaml.safe_load(source.read_text(encoding="utf-8"))),
                       encoding="utf-8")
    assert load_instance(source).sha256 == load_instance(as_json).sha256


def test_schema_command_prints_json_schema():
    import json

    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert "projects" in schema["properties"] and "$defs" in schema
