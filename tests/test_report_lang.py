"""Reports in Korean and English: every message the report code can say has a Korean
form with the same fields; a Korean report needs no message it lacks; Hangul titles
render in real headless Chromium with glyphs from the font stack the page names."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_report import chromium, console_errors, needs_chromium

from allocopt.report import i18n
from allocopt.report.catalogue_ko import KO
from allocopt_cli.main import cli
from allocopt_cli.report import compare as compare_command
from allocopt_cli.report import report as report_command

from conftest import ROOT

REPORT = ROOT / "allocopt" / "report"
KOREA = ROOT / "instances" / "korea-2025.yaml"
TUTORIAL = ROOT / "instances" / "tutorial.yaml"
# Tables of messages that reach `Words` by lookup rather than as a literal.
TABLES = {"LABEL", "STATUS_TEXT", "POLICY_TEXT", "LINE_NAMES", "SCENARIO_SOURCE",
          "FOOTER_TERMS", "texts"}


def invoke(command, *args) -> str:
    result = CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)]


def messages() -> set[str]:
    """Literal first arguments of w(…), words(…), books.w(…), and the strings of the
    message tables, in every report module."""
    found: set[str] = set()
    for path in REPORT.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args:
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(
                    f, ast.Attribute) else ""
                if name in ("w", "words") and isinstance(node.args[0], ast.Constant):
                    found.add(node.args[0].value)
            targets = (node.targets if isinstance(node, ast.Assign) else [node.target]
                       if isinstance(node, ast.AnnAssign) else [])
            if any(isinstance(t, ast.Name) and t.id in TABLES for t in targets):
                values = node.value
                if isinstance(values, ast.Dict):
                    found.update(s for v in values.values for s in _strings(v))
                elif values is not None:
                    found.update(_strings(values))
    return found - {""}


def fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_message_has_a_korean_form_with_the_same_fields():
    found = messages()
    assert len(found) > 200
    assert sorted(m for m in found if m not in KO) == []
    assert {m: fields(m) for m in KO if fields(m) != fields(KO[m])} == {}


@pytest.fixture(scope="module")
def korea_ko(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("korea-ko") / "out"
    invoke(cli, "solve", KOREA, "--out", out, "--time-limit", "5", "--gap", "0.02")
    i18n.missing.clear()
    invoke(report_command, out, "--instance", KOREA, "--lang", "ko")
    return out


def test_a_korean_report_uses_only_translated_messages(korea_ko: Path, tmp_path: Path):
    assert i18n.missing == set()
    page = (korea_ko / "report.html").read_text(encoding="utf-8")
    assert '<html lang="ko">' in page and "<h1>GPU 배분 보고서: korea-2025</h1>" in page
    assert "독자 한국어 파운데이션 모델, 1팀" in page  # the project's title_ko
    md = (korea_ko / "report.md").read_text(encoding="utf-8")
    assert "## 예산" in md and "## 수출 통제 노출" in md and "## 일정" in md
    invoke(cli, "solve", TUTORIAL, "--out", tmp_path / "t")
    invoke(report_command, tmp_path / "t", "--instance", TUTORIAL, "--lang", "ko")
    invoke(report_command, tmp_path / "t", "--lang", "ko")  # without the instance
    invoke(compare_command, tmp_path / "t", korea_ko, "--out", tmp_path / "c", "--lang", "ko")
    assert i18n.missing == set()
    assert "가장 크게 바뀐 것" in (tmp_path / "c" / "compare.md").read_text(encoding="utf-8")
    english = tmp_path / "en"
    invoke(compare_command, tmp_path / "t", korea_ko, "--out", english)
    assert "What changed most" in (english / "compare.html").read_text(encoding="utf-8")


def test_the_page_names_a_cjk_font_stack():
    from allocopt.report.page import CSS

    assert '"Noto Sans KR", "Noto Sans CJK KR"' in CSS and "sans-serif" in CSS


def _fonts_for(driver, selector: str) -> dict[str, int]:
    """Family → glyphs drawn, for the text of the element `selector` (the browser's own
    account of which installed font drew it)."""
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    root = driver.execute_cdp_cmd("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root,
                                                         "selector": selector})["nodeId"]
    fonts = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {f["familyName"]: f["glyphCount"] for f in fonts}


@needs_chromium
def test_korean_titles_render_with_glyphs_from_the_named_font(korea_ko: Path):
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get((korea_ko / "report.html").resolve().as_uri())
        assert console_errors(driver) == []
        fonts = _fonts_for(driver, "header h1")
        cjk = {f: n for f, n in fonts.items() if "CJK" in f or "KR" in f}
        assert cjk and sum(cjk.values()) >= len("배분보고서"), fonts
        widths = driver.execute_script("""
            const h1 = document.querySelector('header h1');
            const range = document.createRange();
            const text = h1.firstChild;
            const out = [];
            for (let i = 0; i < 10; i++) {  // "GPU 배분 보고서": each glyph's box
              range.setStart(text, i); range.setEnd(text, i + 1);
              out.push([text.data[i], range.getBoundingClientRect().width]);
            }
            return out;""")
        hangul = [(c, x) for c, x in widths if "\uac00" <= c <= "\ud7a3"]
        assert len(hangul) == 5 and all(x > 5 for _, x in hangul), widths
        row = driver.find_element(By.CSS_SELECTOR, "#funded-table tr[data-project='FM-SOV-1']")
        assert "독자 한국어 파운데이션 모델" in row.text
        title = _fonts_for(driver, "#funded-table tr[data-project='FM-SOV-1'] td strong")
        assert any("CJK" in f or "KR" in f for f in title), title
