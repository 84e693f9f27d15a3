"""`allocopt compare` with deltas worked out by hand on the tutorial.

B is the tutorial with 320 kEUR more operating budget (2,240): the only change is that
`tax` (16 H100 in Q3–Q4, worth 2 × 1 × 16 × 2 = 64) is funded, so value 1,136 → 1,200,
operation 1,920 → 2,240 (+320; 100 % of the budget in both), purchases 200 in both
(50 % of 400). Public services' capacity 352 → 384 of 592 → 624 performance-equivalent
GPU-periods: share 59.46 % → 61.54 % (+2.08 pts). A hand-edited copy of A, where
open-science holds 32 A100 (value 32) instead of 48 (value 48), checks the moved table.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from allocopt_cli.main import cli
from allocopt_cli.report import compare as compare_command

from conftest import ROOT

TUTORIAL = ROOT / "instances" / "tutorial.yaml"


def invoke(command, *args) -> None:
    result = CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cmp")
    data = yaml.safe_load(TUTORIAL.read_text(encoding="utf-8"))
    data["policy"]["budget"]["opex"] = 2240
    data["name"] = "tutorial-more-opex"
    richer = root / "richer.yaml"
    richer.write_text(yaml.safe_dump(data), encoding="utf-8")
    invoke(cli, "solve", TUTORIAL, "--out", root / "a")
    invoke(cli, "solve", richer, "--out", root / "b")
    return root / "a", root / "b"


def test_compare_deltas_by_hand(folders):
    from allocopt.report import read_folder
    from allocopt.report.compare import compare

    c = compare(*map(read_folder, folders))
    assert (c.gained, c.lost, c.moved) == (["tax"], [], [])
    assert (c.total(c.gained, "b", "gpus_awarded"), c.total(c.gained, "b", "value")) == (16, 64)
    spend = {s.line: (s.a, s.b, s.use("a"), s.use("b")) for s in c.spend}
    assert spend["capex"] == (200, 200, 0.5, 0.5)
    assert spend["opex_public"] == (1920, 2240, 1.0, 1.0)
    assert spend["total"][:2] == (2120, 2440) and spend["total"][2] is None
    public = next((fa, fb) for k, fa, fb in c.areas if k == "public")
    assert public[0]["share"] == pytest.approx(352 / 592)
    assert public[1]["share"] == pytest.approx(384 / 624)


def test_compare_files_carry_the_same_figures(folders, tmp_path: Path):
    invoke(compare_command, *folders, "--out", tmp_path)
    page = (tmp_path / "compare.html").read_text(encoding="utf-8")
    text = (tmp_path / "compare.md").read_text(encoding="utf-8")
    for doc in (page, text):
        assert "Value +64 (1,136 → 1,200, 5.63 %)." in doc
        assert "Spending: purchases 0 kEUR, operation +320 kEUR." in doc
        assert "The area share that moved most: public, 59.5 % → 61.5 %." in doc
        assert "1 projects, 16 GPUs, value 64." in doc
    assert "| Operation (public share) | 1,920 | 2,240 | +320 | 100.0 % | 100.0 % | 0.0 pts |" \
        in text
    assert "| public | 3 → 4 | +1 | 352 | 384 | +32 | 59.5 % → 61.5 % | +2.1 pts |" in text
    assert '<tr data-line="opex_public">' in page and 'id="moved-note"' in page


def test_moved_projects_with_gpu_and_value_deltas(folders, tmp_path: Path):
    a, _ = folders
    edited = tmp_path / "a-edited"
    shutil.copytree(a, edited)
    path = edited / "projects.csv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if r["project"] == "open-science":
            r.update(gpus_awarded="32", perf_gpus_awarded="16", value="32")
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    invoke(compare_command, a, edited, "--out", tmp_path / "out")
    text = (tmp_path / "out" / "compare.md").read_text(encoding="utf-8")
    (row,) = [line for line in text.splitlines() if line.startswith("| open")]
    assert row.endswith("| 48 → 32 | -16 | 48 → 32 | -16 |")
    assert "Funded in both, award moved (1)" in text
    page = (tmp_path / "out" / "compare.html").read_text(encoding="utf-8")
    assert '<td class="num" data-sort="-16.0">-16</td>' in page
