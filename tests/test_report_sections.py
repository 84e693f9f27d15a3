"""The report's budget, export-control and timeline sections on the tutorial instance,
whose figures are worked out by hand below from instances/tutorial.yaml's optimum;
read in real headless Chromium as a reader sees them, and in report.md.

Budget (kEUR): capex 4 H200 × 50 = 200 of 400, arriving in 2026-Q3. Public opex: only
H100 cost (10 per GPU-quarter); fraud's bank pays half. Q1–Q2: triage-train 16 +
weather 16 + court-transcribe 16 + fraud 16 × ½ = 56 GPUs → 560 per quarter; Q3–Q4:
triage-deploy 16 + weather 16 + fraud 8 → 400. 560·2 + 400·2 = 1,920 of 1,920 (slack 0).
The bank co-funds 16 × 10 × 4 × ½ = 320 (80 a quarter). By area: health (triage pair)
2 × 16 × 10 × 2 = 640; public (weather 640 + court-transcribe 320) 960; industry 320.

Exposure (performance-equivalent GPU-periods; H200 2, H100 1, A100 ½; H200 and H100
controlled): llm 64·4 = 256, genomics 8·2 = 16, triage 16·2 + 16·2, weather 64, fraud
64, court-transcribe 32 → 496 controlled; imaging 24·2 = 48 and open-science 24·2 = 48
on A100. 496 of 592 = 83.78 %. Health: 80 of 128 = 62.5 %. Projects with no
uncontrolled option: the 7 funded H200/H100-only projects, and tax among the unfunded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_report import chromium, console_errors, needs_chromium

from allocopt_cli.main import cli
from allocopt_cli.report import report as report_command

from conftest import ROOT

TUTORIAL = ROOT / "instances" / "tutorial.yaml"
SCHEDULE = {  # funded project -> (start, end, GPUs)
    "llm": ("2026-Q1", "2026-Q4", "32 H200"), "imaging": ("2026-Q1", "2026-Q2", "48 A100"),
    "genomics": ("2026-Q3", "2026-Q4", "4 H200"),
    "open-science": ("2026-Q3", "2026-Q4", "48 A100"),
    "triage-train": ("2026-Q1", "2026-Q2", "16 H100"),
    "triage-deploy": ("2026-Q3", "2026-Q4", "16 H100"),
    "weather": ("2026-Q1", "2026-Q4", "16 H100"), "fraud": ("2026-Q1", "2026-Q4", "16 H100"),
    "court-transcribe": ("2026-Q1", "2026-Q2", "16 H100")}


def invoke(command, *args) -> None:
    result = CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tutorial") / "out"
    invoke(cli, "solve", TUTORIAL, "--out", out)
    invoke(report_command, out, "--instance", TUTORIAL)
    return out


def test_budget_lines_periods_areas_and_partners(tutorial: Path):
    from allocopt.instance import load_instance
    from allocopt.report import read_folder
    from allocopt.report.tables import build_report

    b = build_report(read_folder(tutorial), load_instance(TUTORIAL)).budget
    lines = {x.key: (x.limit, x.used, x.slack) for x in b.lines}
    assert lines == {"capex": (400, 200, 200), "opex": (1920, 1920, 0),
                     "total": (None, 2120, None)}
    assert [(p.period, p.capex, p.opex_public, p.cofunding) for p in b.periods] == [
        ("2026-Q1", 0, 560, 80), ("2026-Q2", 0, 560, 80), ("2026-Q3", 200, 400, 80),
        ("2026-Q4", 0, 400, 80)]
    assert {a.area: (a.opex_public, a.cofunding) for a in b.areas} == {
        "health": (640, 0), "public": (960, 0), "research": (0, 0), "industry": (320, 320)}
    (bank,) = b.partners
    assert (bank.partner, bank.cofunding, bank.projects, bank.share) == ("bank", 320, 1, 0.5)


def test_exposure_by_area_and_project(tutorial: Path):
    from allocopt.instance import load_instance
    from allocopt.report import read_folder
    from allocopt.report.tables import build_report

    e = build_report(read_folder(tutorial), load_instance(TUTORIAL)).exposure
    assert e.controlled_types == ["H200", "H100"]
    assert (e.total.perf_gp, e.total.controlled_gp) == (592, 496)
    areas = {a.id: (a.perf_gp, a.controlled_gp) for a in e.areas}
    assert areas == {"health": (128, 80), "public": (352, 352), "research": (48, 0),
                     "industry": (64, 64)}
    assert {p.id for p in e.projects if p.depends} == set(SCHEDULE) - {"imaging",
                                                                       "open-science"}
    assert e.dependent_unfunded == ["tax"]
    assert e.scenarios == [] and e.value_source == "none"


def test_scenarios_take_values_from_a_robust_folder_and_solve_nothing(tmp_path: Path):
    """A tiny instance with one blockage: 6 H arrive in T1 and 4 in T2, half of T2's
    blocked; P holds 10 H in T2, so the scenario leaves 2 H (perf 2) uncovered: 4."""
    import json

    import yaml

    from allocopt.instance import load_instance
    from allocopt.report import read_folder
    from allocopt.report.tables import build_report

    from conftest import BASE, project

    data = dict(BASE, projects=[project("P", window={"earliest_start": "T2"})],
                supply=[{"type": "H", "site": "S", "period": "T1", "units": 6},
                        {"type": "H", "site": "S", "period": "T2", "units": 4},
                        {"type": "A", "site": "S", "period": "T1", "units": 4}],
                scenarios=[{"id": "calm", "probability": 0.5},
                           {"id": "cut", "probability": 0.5,
                            "blocked": [{"type": "H", "from_period": "T2", "share": 0.5}]}])
    data["gpu_types"] = [dict(g, export_controlled=g["id"] == "H") for g in BASE["gpu_types"]]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "out"
    invoke(cli, "solve", path, "--out", out)
    instance = load_instance(path)
    e = build_report(read_folder(out), instance).exposure
    assert [(s.id, s.exposed_gp, s.value) for s in e.scenarios] == [("calm", 0, None),
                                                                   ("cut", 4, None)]
    summary = json.loads((out / "summary.json").read_text())
    summary["scenarios"] = [{"id": "calm", "value": 40.0}, {"id": "cut", "value": 25.0}]
    (out / "summary.json").write_text(json.dumps(summary))
    e = build_report(read_folder(out), instance).exposure
    assert e.value_source == "robust"
    assert [(s.value, s.at_risk) for s in e.scenarios] == [(40, 0), (25, 15)]


def test_markdown_carries_the_new_sections(tutorial: Path):
    text = (tutorial / "report.md").read_text(encoding="utf-8")
    assert "| Operation (public share) | 1,920 | 1,920 | 0 | 100.0 % |" in text
    assert "| Purchases (capital) | 400 | 200 | 200 | 50.0 % |" in text
    assert "| 2026-Q3 | 200 | 400 | 600 | 80 |" in text
    assert "83.8 % of awarded capacity is on controlled types: 496 of 592" in text
    assert "| H200 · north | +32 |  | +4 (bought) |  | 36 |" in text
    assert "| weather | public | south | 16 H100 | 2026-Q1 | 2026-Q4 | ■ | ■ | ■ | ■ |" in text


def _cells(driver, selector: str) -> list[float]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0] + ' td'))"
        ".map(td => td.hasAttribute('data-sort') ? parseFloat(td.getAttribute('data-sort'))"
        " : td.innerText)", selector)


@needs_chromium
def test_budget_exposure_and_timeline_in_chromium(tutorial: Path):
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get((tutorial / "report.html").resolve().as_uri())
        assert console_errors(driver) == []
        for section in ("budget", "exposure", "timeline"):
            assert driver.find_element(By.ID, section).is_displayed()
            assert driver.find_element(By.CSS_SELECTOR, f'nav a[href="#{section}"]')
        capex = _cells(driver, "#budget-table tr[data-line=capex]")
        opex = _cells(driver, "#budget-table tr[data-line=opex]")
        assert capex[1:] == [400, 200, 200, 0.5] and opex[1:] == [1920, 1920, 0, 1.0]
        assert _cells(driver, "#spend-period-table tr[data-period='2026-Q3']")[1:] == [
            200, 400, 600, 80]
        assert _cells(driver, "#partners-table tr[data-partner=bank]")[3] == 320
        assert "not modelled" in driver.find_element(By.ID, "user-revenue").text
        total = driver.find_element(By.ID, "exposure-total")
        assert float(total.get_attribute("data-value")) == pytest.approx(496 / 592)
        assert "83.8 %" in total.text and "496 of 592" in total.text
        assert _cells(driver, "#exposure-area-table tr[data-area=health]")[1:] == [
            128, 80, 0.625]
        assert _cells(driver, "#exposure-project-table tr[data-project=imaging]")[-1] == "yes"
        assert _cells(driver, "#arrivals-table tr[data-type=H200]")[1:] == [32, 0, 4, 0, 36]
        rows = driver.find_elements(By.CSS_SELECTOR, "#schedule-table tbody tr")
        seen = {r.get_attribute("data-project"): (
            r.get_attribute("data-start"), r.get_attribute("data-end"),
            r.find_elements(By.TAG_NAME, "td")[3].text) for r in rows}
        assert seen == SCHEDULE
        on = driver.execute_script(
            "return Array.from(document.querySelectorAll("
            "'#schedule-table tr[data-project=genomics] td.g')).map(td => "
            "td.classList.contains('on') && getComputedStyle(td).backgroundColor)")
        assert on[:2] == [False, False] and on[2] == on[3] and on[2] != "rgba(0, 0, 0, 0)"
        box = driver.find_element(By.CSS_SELECTOR, "input[data-table=schedule-table]")
        box.send_keys("south")
        visible = driver.execute_script("return Array.from(document.querySelectorAll("
                                        "'#schedule-table tbody tr:not([hidden])'))"
                                        ".map(r => r.getAttribute('data-project'))")
        assert sorted(visible) == ["court-transcribe", "fraud", "triage-deploy", "triage-train",
                                  "weather"]


def test_workbook_new_sheets_with_cell_kinds(tutorial: Path):
    """purchases, budget, spending, schedule and project_periods hold numbers as numbers
    (ints where whole), with frozen headers and number formats."""
    from openpyxl import load_workbook

    wb = load_workbook(tutorial / "allocation.xlsx")

    def table(name: str) -> list[dict]:
        sheet = wb[name]
        head = [c.value for c in sheet[1]]
        assert sheet.freeze_panes in ("A2", "B2"), name
        return [dict(zip(head, row, strict=True)) for row in sheet.iter_rows(min_row=2)]

    (bought,) = table("purchases")
    assert [bought[k].value for k in ("option", "gpu_type", "site", "arrives", "units",
                                      "cost", "lead_periods")] == [
        "h200-quota", "H200", "north", "2026-Q3", 4, 200, 2]
    assert type(bought["units"].value) is int and bought["cost"].number_format == "#,##0.00"
    lines = {r["line"].value: r for r in table("budget")}
    assert [lines["opex"][k].value for k in ("limit", "used", "slack", "share_used")] == [
        1920, 1920, 0, 1]
    assert lines["capex"]["share_used"].value == 0.5
    assert lines["capex"]["share_used"].number_format == "0.0%"
    assert lines["total"]["limit"].value is None and lines["cofunding"]["used"].value == 320
    assert [(r["period"].value, r["capex"].value, r["opex_public"].value,
             r["cofunding"].value) for r in table("spending")] == [
        ("2026-Q1", 0, 560, 80), ("2026-Q2", 0, 560, 80), ("2026-Q3", 200, 400, 80),
        ("2026-Q4", 0, 400, 80)]
    schedule = {r["project"].value: r for r in table("schedule")}
    assert set(schedule) == set(SCHEDULE)
    for pid, (start, end, gpus) in SCHEDULE.items():
        r = schedule[pid]
        n, gpu_type = gpus.split()
        assert (r["start"].value, r["end"].value, r[gpu_type].value) == (start, end, int(n))
        held = [r[t].value for t in ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")]
        assert held == [int(n) if start <= t <= end else None
                        for t in ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")], pid
    assert schedule["genomics"]["2026-Q3"].fill.fgColor.rgb.endswith("9DB7D5")
    periods = {(r["project"].value, r["gpu_type"].value): [r[t].value for t in (
        "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")] for r in table("project_periods")}
    assert periods[("open-science", "A100")] == [0, 0, 48, 48]
    assert all(type(x) is int for v in periods.values() for x in v)
    areas = {r["area"].value: r for r in table("areas")}
    assert (areas["industry"]["opex_public"].value, areas["industry"]["cofunding"].value) == (
        320, 320)
    assert wb["projects"].column_dimensions["B"].width > 40  # titles are long


def _folder(tmp_path: Path, data: dict) -> Path:
    import yaml

    path = tmp_path / "i.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "out"
    invoke(cli, "solve", path, "--out", out)
    invoke(report_command, out, "--instance", path)
    return out


def test_reason_and_request_name_the_same_option_with_units(tmp_path: Path):
    """10 H on hand; Q takes 6 H in T2 only. P wants 6 H (configuration h) or 20 A
    (configuration a, its largest request) over T1–T2: closest is h, short in T2,
    where 4 H are left; the request shown is h's 6 H, not a's 20 A."""
    from conftest import BASE, project

    p = {"id": "P", "area": "health", "window": {"duration": 2},
         "request": {"configurations": [{"id": "h", "gpus": {"H": 6}},
                                        {"id": "a", "gpus": {"A": 20}}]}}
    out = _folder(tmp_path, dict(BASE, projects=[
        project("Q", gpus={"H": 6}, score=5, window={"earliest_start": "T2"}), p]))
    text = (out / "report.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| P |"))
    assert "| 6 H (configuration h) |" in row and "20 A" not in row
    assert "needs 6 H at S in T2; 4 H left there (spare or buyable)" in row
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<span class="nowrap">6 H</span><small>configuration h; largest request 20' in page


def test_no_empty_table_when_every_project_is_funded(tmp_path: Path):
    from conftest import BASE, project

    out = _folder(tmp_path, dict(BASE, projects=[project("P1")]))
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="unfunded-table"' not in page and "Every project is funded." in page
    assert "Every project is funded." in (out / "report.md").read_text(encoding="utf-8")

