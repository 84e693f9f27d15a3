"""Reports: why projects are out (tiny instances whose answer is known by hand), the
HTML page in headless Chromium, the workbook, Markdown, and `compare`.

Browser tests use Debian's chromium and chromium-driver through selenium, pointed at
/usr/bin/chromium and /usr/bin/chromedriver so that nothing is downloaded; they skip
only when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from allocopt.instance.schema import InstanceSpec
from allocopt.report.why import Reason, explain
from allocopt.solution import Award, Solution
from allocopt_cli.main import cli
from allocopt_cli.report import compare as compare_command
from allocopt_cli.report import report as report_command

from conftest import BASE, ROOT, funded, make, project, solved

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
XSS_TITLE = "<script>alert(1)</script>"
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="needs /usr/bin/chromium (Debian packages chromium "
                                           "and chromium-driver)")


# ---------------------------------------------------------------- why: tiny instances


def two_periods(**extra) -> dict:
    """A project that must hold its GPUs over both periods of BASE."""
    return {"window": {"duration": 2}, **extra}


def why(instance, solution=None, **kwargs):
    return explain(instance, solution or solved(instance), **kwargs)


def test_capacity_with_distance_to_the_marginal_project():
    inst = make([project("P1", score=2, **two_periods()), project("P2", **two_periods())])
    out = why(inst)
    assert list(out) == ["P2"]
    e = out["P2"]
    assert e.rule is Reason.CAPACITY
    assert "needs 10 H at S in T1; 0 H left there" in e.details[0]
    # P1: weight 1 × score 2 per performance-equivalent GPU-period; P2: 1.
    assert e.compared_with == "P1" and e.density == pytest.approx(1.0)
    assert e.benchmark == pytest.approx(2.0) and e.ratio == pytest.approx(0.5)
    assert "50 % below" in e.distance and "100 % more merit" in e.distance


def test_power():
    inst = make([project("P1", score=3, **two_periods()),
                 project("P2", gpus={"A": 10}, **two_periods())],
                sites=[{"id": "S", "power_mw": 0.012, "pue": 1.0}])
    e = why(inst)["P2"]
    assert e.rule is Reason.POWER
    assert "needs 0.005 MW at S; 0.002 MW left" in e.details[0]


def test_area_cap_and_area_floor():
    projects = [project("H1", gpus={"H": 5}), project("J1", area="justice", gpus={"H": 5}),
                project("J2", area="justice", gpus={"A": 4})]
    capped = make(projects, areas=[{"id": "health"}, {"id": "justice", "max_share": 0.5}])
    assert funded(solved(capped)) == {"H1", "J1"}
    e = why(capped)["J2"]
    assert e.rule is Reason.AREA_MAX_SHARE
    assert "justice would hold 58.3 %" in e.details[0]
    floored = make(projects, areas=[{"id": "health", "min_share": 0.5}, {"id": "justice"}])
    e = why(floored)["J2"]
    assert e.rule is Reason.AREA_MIN_SHARE
    assert "health would fall to 41.7 %" in e.details[0]


def test_unfunded_dependency_and_funded_exclusion():
    inst = make([project("Q", score=5, **two_periods()), project("P1", **two_periods()),
                 project("P2", gpus={"A": 2}, depends_on=["P1"]),
                 project("X", gpus={"A": 2}, score=2, excludes=["Y"]),
                 project("Y", gpus={"A": 2})])
    out = why(inst)
    assert out["P1"].rule is Reason.CAPACITY
    assert out["P2"].rule is Reason.DEPENDENCY and "P1" in out["P2"].text
    assert out["Y"].rule is Reason.EXCLUSION and "X" in out["Y"].text
    assert out["Y"].compared_with == "X" and out["Y"].ratio == pytest.approx(0.5)


def test_budget_opex_and_budget_when_buying_would_be_needed():
    opex = make([project("P1", score=2), project("P2", gpus={"A": 10})],
                policy={"budget": {"opex": 12}})
    e = why(opex)["P2"]
    assert e.rule is Reason.BUDGET
    assert "costs 5 units of public money; 2 units left in the operating budget" in e.details[0]
    buying = make([project("P1", score=2, **two_periods()), project("P2", **two_periods())],
                  procurement=[{"id": "buyH", "type": "H", "price": 10, "earliest_period": "T1",
                                "max_units": 10}],
                  policy={"budget": {"capex": 50}})
    e = why(buying)["P2"]
    # Capacity could be bought (quota 10), but buying 10 H costs 100 > 50: the budget.
    assert e.rule is Reason.BUDGET and e.rules == (Reason.BUDGET,)


def test_elastic_short_of_its_minimum():
    inst = make([project("P1", score=3, **two_periods()),
                 {"id": "E", "area": "health", "window": {"duration": 2},
                  "request": {"elastic": {"min_gpus": 15, "max_gpus": 20,
                                          "types": ["H", "A"]}}}])
    e = why(inst)["E"]
    assert e.rule is Reason.CAPACITY
    assert "needs at least 15 performance-equivalent GPUs" in e.details[0]
    assert "only 10 performance-equivalent GPUs spare" in e.details[0]


def test_a_project_that_fits_was_not_chosen():
    inst = make([project("P1")])
    stopped = Solution(status=solved(inst).status, objective=0.0, bound=20.0, gap=None,
                       backend="test", wall_s=0.0)
    e = explain(inst, stopped)["P1"]
    assert e.rule is Reason.NOT_CHOSEN and "raise the total value by 20" in e.distance


def test_capacity_at_the_only_site_that_hosts_the_type():
    inst = make([project("P1", gpus={"H": 1})],
                sites=[{"id": "S", "power_mw": 1.0, "hosts": ["A"]},
                       {"id": "S2", "power_mw": 1.0, "hosts": ["H"]}],
                supply=[{"type": "A", "site": "S", "period": "T1", "units": 10}])
    e = why(inst)["P1"]
    assert e.rule is Reason.CAPACITY and "at S2" in e.details[0]


def test_window_and_hosts_on_instances_that_skipped_the_checks():
    """Checked instances always have a host and a window that fits; an Instance built
    without `from_spec` may not, and still gets a reason rather than a crash."""
    from allocopt.instance import Instance

    def unchecked(**changes):
        import copy

        data = copy.deepcopy(BASE)
        data.update(changes)
        return Instance(spec=InstanceSpec.model_validate(data))

    nowhere = unchecked(projects=[project("P1")],
                        sites=[{"id": "S", "power_mw": 1.0, "hosts": ["A"]}])
    empty = Solution(status=solved(make([])).status, objective=0.0, bound=0.0, gap=0.0,
                     backend="test", wall_s=0.0)
    assert explain(nowhere, empty)["P1"].rule is Reason.HOSTS
    too_long = unchecked(projects=[project("P1", window={"duration": 3})])
    assert explain(too_long, empty)["P1"].rule is Reason.WINDOW


def test_shadow_prices_give_the_distance():
    inst = make([project("P1", score=2, **two_periods()), project("P2", **two_periods())])
    prices = [{"rule": "capacity", "key": f"H|S|{t}", "dual": "1.5"} for t in ("T1", "T2")]
    e = why(inst, shadow_prices=prices)["P2"]
    # P2 is worth 1 × 20 × 2 = 40; its 10 H over 2 periods cost 1.5 × 10 × 2 = 30.
    assert e.compared_with == "shadow prices" and e.ratio == pytest.approx(40 / 30)


def test_explanations_are_recomputed_from_the_awards_alone():
    """A hand-written allocation: P1 holds all H; P2 (H) and P3 (A) are out."""
    inst = make([project("P1", **two_periods()), project("P2"), project("P3", gpus={"A": 4})])
    sol = Solution(status=solved(inst).status, objective=None, bound=None, gap=None,
                   backend="test", wall_s=0.0,
                   awards=[Award("P1", "c", "S", "T1", "T2", {"H": 10.0})])
    out = explain(inst, sol)
    assert out["P2"].rule is Reason.CAPACITY
    assert out["P3"].rule is Reason.NOT_CHOSEN


# ------------------------------------------------------ results folders (module-scoped)


def invoke(command, *args) -> str:
    result = CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def korea(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("korea") / "base"
    invoke(cli, "solve", ROOT / "instances" / "korea-2025.yaml", "--out", out,
           "--time-limit", "5", "--gap", "0.01")
    invoke(report_command, out, "--instance", ROOT / "instances" / "korea-2025.yaml")
    return out


@pytest.fixture(scope="module")
def shock(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("shock") / "shock"
    invoke(cli, "solve", ROOT / "instances" / "korea-2025-export-shock.yaml", "--out", out,
           "--time-limit", "5", "--gap", "0.01")
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A tiny instance whose strings try to inject markup, script and formulas."""
    folder = tmp_path_factory.mktemp("hostile")
    data = dict(BASE, name="hostile")
    data["areas"] = [{"id": "health", "name": "</svg><script>alert(3)</script>"},
                     {"id": "justice", "name": "Justice & <b>courts</b>"}]
    data["projects"] = [
        project("XSS", title=XSS_TITLE, owner="<img src=x onerror=alert(2)>", score=2,
                window={"duration": 2}),
        project("EXCEL", area="justice", title="=HYPERLINK(\"x\",\"y\")", owner="@SUM(1)",
                window={"duration": 2}),
        project("OK", area="justice", gpus={"A": 4}, title="Plain \"quoted\" 'title'")]
    InstanceSpec.model_validate(data)
    path = folder / "hostile.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = folder / "out"
    invoke(cli, "solve", path, "--out", out)
    invoke(report_command, out, "--instance", path)
    return out


def test_report_files_are_written_and_self_contained(korea: Path):
    page = (korea / "report.html").read_text(encoding="utf-8")
    for name in ("report.html", "report.md", "allocation.xlsx"):
        assert (korea / name).stat().st_size > 0
    assert not re.search(r"(?i)(https?:|//[a-z0-9.-]+\.[a-z]{2,}/|src=\"(?!data:))", page)
    assert "<link rel=\"icon\" href=\"data:,\">" in page
    assert page.count("<svg") == 3  # utilisation, areas, power
    assert not list(korea.glob(".*.tmp"))  # atomic writes leave no temporary files
    summary = json.loads((korea / "summary.json").read_text())
    md = (korea / "report.md").read_text(encoding="utf-8")
    assert f"{summary['funded_projects']:,} of {summary['projects']:,}" in md


def test_report_without_instance_and_with_a_wrong_one(hostile: Path, tmp_path: Path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(hostile, copy)
    invoke(report_command, copy)
    page = (copy / "report.html").read_text(encoding="utf-8")
    assert "No instance was given" in page and "Site power" not in page
    assert page.count("<svg") == 2 and 'id="unfunded-table"' in page
    result = CliRunner().invoke(report_command, [str(copy), "--instance",
                                                 str(ROOT / "tests" / "data" / "tiny.yaml")])
    assert result.exit_code == 2 and "different instance" in result.output


def test_workbook_totals_equal_allocation_csv(korea: Path, hostile: Path):
    from openpyxl import load_workbook

    wb = load_workbook(korea / "allocation.xlsx")
    assert wb.sheetnames == ["summary", "projects", "allocation", "areas", "project_periods",
                             "schedule", "purchases", "budget", "spending"]
    sheet = wb["allocation"]
    head = [c.value for c in sheet[1]]
    got = Counter()
    for row in sheet.iter_rows(min_row=2, values_only=True):
        r = dict(zip(head, row, strict=True))
        got[(r["gpu_type"], r["site"], r["period"])] += r["gpus"]
    want = Counter()
    for r in rows(korea / "allocation.csv"):
        want[(r["gpu_type"], r["site"], r["period"])] += float(r["gpus"])
    assert +got == +want
    assert sum(got.values()) == pytest.approx(sum(want.values()))
    assert wb["projects"].max_row - 1 == len(rows(korea / "projects.csv"))
    hostile_wb = load_workbook(hostile / "allocation.xlsx")
    titles = list(hostile_wb["projects"]["B"][1:])
    assert [c.value for c in titles][:2] == [XSS_TITLE, "=HYPERLINK(\"x\",\"y\")"]
    assert all(c.data_type == "s" for c in titles)  # text, never a formula


def test_workbook_cells_have_their_kinds(korea: Path, hostile: Path):
    """Booleans are booleans, GPU counts whole numbers, values rounded to cents; text
    starting with "=" stays text; the CSV files keep full precision."""
    from openpyxl import load_workbook

    sheet = load_workbook(korea / "allocation.xlsx")["projects"]
    head = [c.value for c in sheet[1]]
    cells = [dict(zip(head, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert all(isinstance(r["funded"].value, bool) and r["funded"].data_type == "b"
               and isinstance(r["mandatory"].value, bool) for r in cells)
    awarded = [r["gpus_awarded"].value for r in cells]
    assert all(type(x) is int for x in awarded) and sum(awarded) > 0
    csv_value = {r["project"]: r["value"] for r in rows(korea / "projects.csv")}
    for r in cells:
        assert r["value"].value == round(float(csv_value[r["project"].value]), 2)
    summary = dict(load_workbook(korea / "allocation.xlsx")["summary"].iter_rows(
        min_row=2, values_only=True))
    assert summary["verified"] is True
    owners = [c.value for c in load_workbook(hostile / "allocation.xlsx")["projects"]["C"]]
    assert "@SUM(1)" in owners


def test_shadow_prices_sheet_and_section_when_present(korea: Path, tmp_path: Path):
    import shutil

    from openpyxl import load_workbook

    from allocopt.instance import load_instance
    from allocopt.report import read_folder
    from allocopt.report.html import render_html
    from allocopt.report.tables import build_report
    from allocopt.report.xlsx import render_xlsx

    copy = tmp_path / "copy"
    shutil.copytree(korea, copy)
    (copy / "shadow_prices.csv").write_text("rule,key,dual\ncapacity,H200|chuncheon|2026-05,"
                                            "12.5\nbudget_total,,0.75\n", encoding="utf-8")
    folder = read_folder(copy)
    report = build_report(folder, load_instance(ROOT / "instances" / "korea-2025.yaml"))
    (copy / "book.xlsx").write_bytes(render_xlsx(report, folder, report.available))
    assert load_workbook(copy / "book.xlsx").sheetnames[-1] == "shadow_prices"
    page = render_html(report, dict.fromkeys(("utilisation", "areas", "power"), ""))
    assert 'id="shadow"' in page and "H200|chuncheon|2026-05" in page
    assert "at shadow prices" in page


class _Tables(HTMLParser):
    """data-project attributes of the rows of each table, by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.table: str | None = None
        self.rows: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.table = a.get("id")
            self.rows[self.table] = []
        elif tag == "tr" and self.table and "data-project" in a:
            self.rows[self.table].append(a["data-project"])


def test_compare_lists_exactly_the_projects_whose_funding_changed(korea: Path, shock: Path,
                                                                  tmp_path: Path):
    invoke(compare_command, korea, shock, "--out", tmp_path / "cmp")
    page = (tmp_path / "cmp" / "compare.html").read_text(encoding="utf-8")
    assert not re.search(r"(?i)https?:", page) and page.count("<script>") == 1
    parser = _Tables()
    parser.feed(page)
    before = {r["project"] for r in rows(korea / "projects.csv") if r["funded"] == "true"}
    after = {r["project"] for r in rows(shock / "projects.csv") if r["funded"] == "true"}
    assert before != after
    assert set(parser.rows["gained-table"]) == after - before
    assert set(parser.rows["lost-table"]) == before - after
    assert len(parser.rows["gained-table"]) == len(after - before)
    md = (tmp_path / "cmp" / "compare.md").read_text(encoding="utf-8")
    for p in (after - before) | (before - after):
        assert p in md.replace("\\", "")
    base = json.loads((korea / "summary.json").read_text())["objective"]
    shocked = json.loads((shock / "summary.json").read_text())["objective"]
    assert f"{shocked - base:+,.0f}" in (tmp_path / "cmp" / "compare.html").read_text()


# ----------------------------------------------------------------------- the browser


@contextlib.contextmanager
def chromium(javascript: bool = True):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-extensions",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--window-size=1280,1000", "--hide-scrollbars"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    options.set_capability("unhandledPromptBehavior", "ignore")  # an alert would stay open
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def no_alert(driver) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert  # noqa: B018 - raises when there is none
    except NoAlertPresentException:
        return True
    return False


TABLE_TEXTS = "return Array.from(document.querySelectorAll('main table')).map(t => t.innerText)"


@needs_chromium
def test_report_renders_in_chromium_with_the_summary_figures(korea: Path, tmp_path: Path):
    from selenium.webdriver.common.by import By

    summary = json.loads((korea / "summary.json").read_text())
    page = (korea / "report.html").resolve()
    with chromium() as driver:
        driver.get(page.as_uri())
        shot = tmp_path / "report.png"
        driver.save_screenshot(str(shot))
        assert console_errors(driver) == []
        assert set(requested_urls(driver)) == {page.as_uri()}

        def value(kpi: str) -> str:
            return driver.find_element(By.CSS_SELECTOR, f"#kpi-{kpi} .value").text

        assert float(value("objective").replace(",", "")) == round(summary["objective"])
        objective = driver.find_element(By.CSS_SELECTOR, "#kpi-objective .value")
        assert float(objective.get_attribute("data-value")) == summary["objective"]
        assert value("gap") == f"{100 * summary['gap']:.2f} %"
        status = driver.find_element(By.ID, "kpi-status")
        assert status.get_attribute("data-value") == summary["status"]
        assert status.text.lower().startswith(summary["status"])
        assert value("funded") == f"{summary['funded_projects']:,} of {summary['projects']:,}"
        shown = driver.find_elements(By.CSS_SELECTOR, "#funded-table tbody tr")
        assert len(shown) == summary["funded_projects"]
        assert driver.find_element(By.ID, "fingerprint").text == summary["instance_sha256"]
        box = driver.find_element(By.CSS_SELECTOR, "input[data-table=funded-table]")
        box.send_keys(shown[0].get_attribute("data-project"))
        visible = driver.execute_script(
            "return document.querySelectorAll('#funded-table tbody tr:not([hidden])').length")
        assert 1 <= visible < len(shown)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


@needs_chromium
def test_page_without_javascript_shows_the_same_tables(korea: Path):
    from selenium.webdriver.common.by import By

    uri = (korea / "report.html").resolve().as_uri()
    seen = []
    for javascript in (True, False):
        with chromium(javascript) as driver:
            driver.get(uri)
            seen.append((driver.execute_script(TABLE_TEXTS),
                         driver.find_element(By.CSS_SELECTOR, ".kpis").text,
                         len(driver.find_elements(By.CSS_SELECTOR, "svg.chart")),
                         driver.find_element(By.CSS_SELECTOR, "input.filter").is_displayed()))
            assert console_errors(driver) == []
    (tables_on, kpis_on, charts_on, box_on), (tables_off, kpis_off, charts_off, box_off) = seen
    assert len(tables_on) >= 6 and tables_on == tables_off
    assert kpis_on == kpis_off and charts_on == charts_off == 3
    assert box_on and not box_off  # search needs the script; everything else does not


@needs_chromium
def test_hostile_strings_are_text_and_no_script_runs(hostile: Path):
    from selenium.webdriver.common.by import By

    page = (hostile / "report.html").read_text(encoding="utf-8")
    assert XSS_TITLE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # ours
    uri = (hostile / "report.html").resolve().as_uri()
    with chromium() as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "window.__alerts = 0; window.alert = function () { window.__alerts += 1; };")})
        driver.get(uri)
        assert no_alert(driver)
        assert driver.execute_script("return window.__alerts") == 0
        row = driver.find_element(By.CSS_SELECTOR, "#funded-table tr[data-project=XSS]")
        assert XSS_TITLE in row.text and "<img src=x onerror=alert(2)>" in row.text
        assert driver.find_elements(By.CSS_SELECTOR, "main img, main b") == []
        assert "</svg><script>alert(3)</script>" in driver.find_element(
            By.ID, "areas-table").text
        assert set(requested_urls(driver)) == {uri}
        assert console_errors(driver) == []


def test_report_is_deterministic(hostile: Path, tmp_path: Path):
    import shutil

    copy = tmp_path / "again"
    shutil.copytree(hostile, copy)
    invoke(report_command, copy, "--instance", hostile.parent / "hostile.yaml")
    for name in ("report.html", "report.md"):
        assert (copy / name).read_bytes() == (hostile / name).read_bytes()


A4_CONTENT_PX = (round((210 - 24) / 25.4 * 96), round((297 - 28) / 25.4 * 96))  # @page margins


def _pdf_pages(driver) -> list[str]:
    """The page printed by Chromium as the browser prints it (A4, the page's @page rules),
    as each PDF page's text."""
    import base64
    import io

    from pypdf import PdfReader

    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True,
                                                    "printBackground": True})
    reader = PdfReader(io.BytesIO(base64.b64decode(pdf["data"])))
    return [" ".join((p.extract_text() or "").split()) for p in reader.pages]


@needs_chromium
def test_print_puts_no_table_across_a_page_break_it_could_avoid(korea: Path):
    """Every table shorter than an A4 page lies on one printed page: all its rows' first
    cells are on the same page of the PDF Chromium prints. (Without the print rule that
    keeps such a table whole, the Korea report's budget table falls across a break.)"""
    with chromium() as driver:
        driver.get((korea / "report.html").resolve().as_uri())
        driver.set_window_size(A4_CONTENT_PX[0] + 16, 1000)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        tables = driver.execute_script("""
            return Array.from(document.querySelectorAll('table.data')).map(t => [t.id,
              t.getBoundingClientRect().height,
              Array.from(t.tBodies[0].rows).map(r => r.cells[0].innerText.split('\\n')[0])]);""")
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        pages = _pdf_pages(driver)
    assert len(pages) >= 10
    short = [(tid, rows) for tid, height, rows in tables if height < 0.9 * A4_CONTENT_PX[1]]
    assert len(short) >= 10
    split = [tid for tid, rows in short
             if not any(all(" ".join(r.split()) in page for r in rows) for page in pages)]
    assert split == []
