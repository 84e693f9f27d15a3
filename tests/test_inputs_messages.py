"""Messages a person can act on: each names the entry by its id and the line (or table
row) it was written on; unknown ids come with "did you mean" and the known ones; a
period outside the horizon shows the horizon."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from allocopt.errors import InstanceError
from allocopt.instance import InstanceSpec, from_spec
from allocopt.instance.hints import known_list
from allocopt_cli.main import cli

from conftest import DATA

TINY = (DATA / "tiny.yaml").read_text(encoding="utf-8")


def validate(tmp_path: Path, text: str, tables: dict[str, str] | None = None):
    for name, content in (tables or {}).items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    path = tmp_path / "inst.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return path, result.output


def line_of(text: str, needle: str) -> int:
    return next(k for k, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_unknown_area_names_project_line_and_suggestion(tmp_path: Path):
    text = TINY.replace("area: finance", "area: finanse")
    path, output = validate(tmp_path, text)
    line = line_of(text, "area: finanse")
    assert (f"{path}: projects[1].area: unknown area 'finanse'; did you mean 'finance'? "
            f"(known: health, finance) (project P2, line {line})") in output


def test_pydantic_problem_names_project_and_line(tmp_path: Path):
    text = TINY.replace("score: 1\n    window: {duration: 4}", "score: high\n    window: "
                        "{duration: 4}")
    path, output = validate(tmp_path, text)
    assert (f"{path}: projects[1].score: Input should be a valid number, unable to parse "
            f"string as a number (project P2, line {line_of(text, 'score: high')})") in output


@pytest.mark.parametrize(("old", "new", "message"), [
    ("gpus: {H200: 32}", "gpus: {H20O: 32}",
     "gpus.H20O: unknown GPU type 'H20O'; did you mean 'H200'? (known: H200, A100) (project P3"),
    ("site: S1, period: Q1, units: 64", "site: S11, period: Q1, units: 64",
     "supply[0].site: unknown site 'S11'; did you mean 'S1'? (known: S1) (line 9)"),
    ("depends_on: [P1]", "depends_on: [P11]",
     "depends_on[0]: unknown project 'P11'; did you mean 'P1'? (known: P1, P2, P3)"),
])
def test_unknown_ids_suggest_the_nearest(tmp_path: Path, old: str, new: str, message: str):
    _, output = validate(tmp_path, TINY.replace(old, new))
    assert message in output, output


def test_period_outside_the_horizon_lists_it(tmp_path: Path):
    text = TINY.replace("earliest_start: Q2", "earliest_start: Q5")
    path, output = validate(tmp_path, text)
    assert (f"{path}: projects[2].window.earliest_start: period 'Q5' is outside the horizon "
            "(Q1..Q4, 4 periods)") in output
    assert f"(project P3, line {line_of(text, 'earliest_start: Q5')})" in output


def test_table_row_problems_name_the_project(tmp_path: Path):
    text = TINY + "project_tables: [{csv: t.csv}]\n"
    table = "id,area,configurations\nT1,health,H200:8\nT2,helth,H200:8\n"
    _, output = validate(tmp_path, text, {"t.csv": table})
    assert (f"{tmp_path / 't.csv'}: row 3.area: unknown area 'helth'; did you mean 'health'? "
            "(known: health, finance) (project T2)") in output


def test_area_problem_names_the_area(tmp_path: Path):
    text = TINY.replace("- {id: finance, weight: 1, max_share: 0.5}",
                        "- {id: finance, weight: 1, max_share: 0.5, parent: heath}")
    path, output = validate(tmp_path, text)
    assert (f"{path}: areas[1].parent: unknown area 'heath'; did you mean 'health'? "
            f"(known: health, finance) (area finance, line {line_of(text, 'parent: heath')})"
            ) in output


def test_json_files_get_lines_too(tmp_path: Path):
    import json

    import yaml

    doc = yaml.safe_load(TINY)
    doc["projects"][1]["area"] = "nowhere"
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    line = line_of(path.read_text(), '"nowhere"')
    assert f"(project P2, line {line})" in result.output, result.output


def test_specs_built_in_code_name_the_project():
    import yaml

    doc = yaml.safe_load(TINY)
    doc["projects"][0]["area"] = "nowhere"
    with pytest.raises(InstanceError) as err:
        from_spec(InstanceSpec.model_validate(doc))
    assert "projects[0].area: unknown area 'nowhere'" in str(err.value)
    assert "(project P1)" in str(err.value)


def test_long_known_lists_are_shortened():
    listed = known_list([f"P{k}" for k in range(500)])
    assert listed.endswith("… (500 in all)") and listed.count(",") < 20


def test_many_unknown_references_stay_quick(tmp_path: Path):
    import time

    rows = "".join(f"T{k},health,H200:8,X{k}\n" for k in range(3_000))
    text = TINY + "project_tables: [{csv: t.csv}]\n"
    started = time.perf_counter()
    _, output = validate(tmp_path, text, {"t.csv": f"id,area,configurations,depends_on\n{rows}"})
    assert time.perf_counter() - started < 30  # generous: suggestions are budgeted
    assert output.count("unknown project") == 3_000
