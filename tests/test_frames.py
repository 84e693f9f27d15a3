"""DataFrames of a solve have the results folder's columns and values, and read back
from the folder they are equal."""

from __future__ import annotations

from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")

import allocopt  # noqa: E402
from allocopt.folder import (  # noqa: E402
    ALLOCATION,
    ALLOCATION_COLUMNS,
    PROJECT_COLUMNS,
    PROJECTS,
    PURCHASES,
    read_rows,
)
from allocopt.frames import (  # noqa: E402
    allocation_frame,
    projects_frame,
    purchases_frame,
    read_results,
)
from allocopt.results import write_results  # noqa: E402

from conftest import ROOT, make, project  # noqa: E402

TUTORIAL = ROOT / "instances" / "tutorial.yaml"


@pytest.fixture(scope="module")
def solved_tutorial():
    instance = allocopt.load_instance(TUTORIAL)
    return instance, allocopt.solve(instance)


def test_frames_have_the_csv_columns_and_integer_gpu_counts(solved_tutorial):
    instance, solution = solved_tutorial
    allocation = allocation_frame(instance, solution)
    projects = projects_frame(instance, solution)
    assert tuple(allocation.columns) == ALLOCATION_COLUMNS
    assert tuple(projects.columns) == PROJECT_COLUMNS
    assert allocation["gpus"].dtype == "int64"
    assert projects["gpus_awarded"].dtype == "int64"
    assert pd.api.types.is_integer_dtype(projects["gpus_requested"])
    assert projects["funded"].dtype == bool
    assert len(projects) == len(instance.projects)
    assert set(projects.loc[projects.funded, "project"]) == {a.project for a in solution.awards}
    # The tutorial's optimum, 1136, is the sum of the funded projects' values.
    assert projects["value"].sum() == pytest.approx(1136)
    llm = allocation[allocation.project == "llm"]
    assert llm["gpus"].tolist() == [32, 32, 32, 32]  # all 32 H200, all year
    purchases = purchases_frame(instance, solution)
    assert purchases[["option", "units"]].values.tolist() == [["h200-quota", 4]]


def test_read_results_equals_the_solves_frames_and_the_csv_rows(solved_tutorial, tmp_path):
    instance, solution = solved_tutorial
    out = write_results(tmp_path / "r", instance, solution, {})
    read = read_results(out)
    pd.testing.assert_frame_equal(read.allocation, allocation_frame(instance, solution))
    pd.testing.assert_frame_equal(read.projects, projects_frame(instance, solution))
    pd.testing.assert_frame_equal(read.purchases, purchases_frame(instance, solution))
    assert read.summary["objective"] == pytest.approx(solution.objective)
    # The frames hold the CSV files' cells, row for row.
    for name, frame in ((ALLOCATION, read.allocation), (PROJECTS, read.projects),
                        (PURCHASES, read.purchases)):
        rows = read_rows(out / name)
        assert len(rows) == len(frame)
        for row, (_, got) in zip(rows, frame.iterrows(), strict=True):
            for column, cell in row.items():
                value = got[column]
                if pd.isna(value):
                    assert cell == ""
                elif isinstance(value, str):
                    assert value == cell
                else:
                    assert float(value) == float(cell if cell not in ("true", "false")
                                                 else cell == "true")


def test_fractional_granularity_gives_float_counts_and_text_that_looks_like_a_formula(
        tmp_path: Path):
    instance = make([project("p", title="=SUM(A1)", gpus={"H": 3})],
                    policy={"granularity": "fractional"})
    solution = allocopt.solve(instance)
    frame = projects_frame(instance, solution)
    assert frame["gpus_awarded"].dtype == "float64"
    assert frame.loc[0, "title"] == "=SUM(A1)"
    read = read_results(write_results(tmp_path / "r", instance, solution, {}))
    pd.testing.assert_frame_equal(read.projects, frame)
    pd.testing.assert_frame_equal(read.allocation, allocation_frame(instance, solution))
    assert read.allocation["gpus"].dtype == "float64"


def test_read_results_is_a_library_name():
    assert allocopt.read_results is read_results
