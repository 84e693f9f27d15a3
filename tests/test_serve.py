"""`allocopt serve`: a real server (a subprocess on a free port) driven by a real
headless Chromium. The page's numbers are checked against the library: the shown value
against a direct solve of the same edited instance, within the larger of the two gaps;
the projects it lists as lost against its own baseline and new funded sets; the
downloaded results folder re-checked from its files (`verify_folder`)."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_report import chromium, console_errors, needs_chromium, requested_urls

import allocopt
from allocopt.audit import verify_folder
from allocopt_cli.main import cli

from conftest import ROOT

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

TUTORIAL = ROOT / "instances" / "tutorial.yaml"
KOREA = ROOT / "instances" / "korea-2025.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(file: Path, *args: str):
    """`allocopt serve FILE` on a free port; yields its base URL once it listens."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "allocopt", "serve", str(file),
                                "--port", str(port), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert time.monotonic() < deadline, "the server did not listen within 60 s"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.communicate(timeout=30)


def get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def post(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def wait_for(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout_s} s")


def items(driver, list_id: str) -> list[str]:
    """A list's entries, read in one script (the page re-renders as it polls)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#' + arguments[0] + ' li'),"
        " (li) => li.textContent);", list_id)


def text(driver, element_id: str) -> str:
    return driver.execute_script("return document.getElementById(arguments[0]).textContent;",
                                 element_id)


def settled(driver, scenario: str) -> bool:
    return (text(driver, "shown-name") == scenario and text(driver, "phase") == "done"
            and text(driver, "value") != "–")


def shown_value(driver) -> tuple[float, float]:
    value, gap = driver.execute_script(
        "return ['value', 'gap'].map((id) => document.getElementById(id).dataset.value);")
    return float(value), float(gap)


def shock(driver, gpu: str, percent: int, from_period: str) -> None:
    """Move a type's supply control as a person does: the period first (no change of
    supply, so nothing is solved), then the slider, which fires `change`."""
    driver.execute_script(
        "document.getElementById(arguments[0]).value = arguments[1];"
        "const r = document.getElementById(arguments[2]); r.value = arguments[3];"
        "r.dispatchEvent(new Event('input')); r.dispatchEvent(new Event('change'));",
        f"from-{gpu}", from_period, f"supply-{gpu}", str(percent))


def agree(a: float, b: float, gap: float) -> bool:
    return abs(a - b) <= gap * max(abs(a), abs(b)) + 1e-6


def check_against_library(driver, edited) -> None:
    """The page's allocation of `edited` against a direct solve, and its diff against
    its own baseline and new funded sets."""
    assert text(driver, "verified").startswith("verified")
    value, page_gap = shown_value(driver)
    direct = allocopt.solve(edited)
    assert agree(value, direct.objective, max(page_gap, direct.gap or 0.0)), (value, direct)
    baseline, funded = set(items(driver, "baseline-funded")), set(items(driver, "funded"))
    assert set(items(driver, "lost")) == baseline - funded
    assert set(items(driver, "gained")) == funded - baseline


def download_and_audit(url: str, scenario: str, edited, tmp_path: Path,
                       funded: set[str]) -> None:
    """The scenario's results folder, re-checked from its files, holds the shown
    allocation; its instance file loads as the edited instance."""
    name = urllib.request.quote(scenario)
    status, data = get(f"{url}api/scenarios/{name}/results.zip")
    assert status == 200
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
    (folder,) = tmp_path.iterdir()
    check = verify_folder(edited, folder)
    assert check.ok, check.problems
    assert {a.project for a in check.solution.awards} == funded
    status, data = get(f"{url}api/scenarios/{name}/instance.yaml")
    assert status == 200
    (tmp_path / "edited.yaml").write_bytes(data)
    loaded = allocopt.load_instance(tmp_path / "edited.yaml")
    assert _spec(loaded) == _spec(edited)


def _spec(instance) -> dict:
    """The spec without its table references (the file holds the tables' projects)."""
    data = instance.spec.model_dump(mode="json")
    data.pop("project_tables", None)
    return data


@needs_chromium
def test_the_page_shows_a_shock_re_solved_and_refuses_bad_input(tmp_path: Path):
    tutorial = allocopt.load_instance(TUTORIAL)
    with server(TUTORIAL) as url, chromium() as driver:
        driver.get(url)
        wait_for(lambda: settled(driver, "baseline"), 60, "the baseline shown")
        check_against_library(driver, tutorial)
        assert items(driver, "lost") == items(driver, "gained") == []
        shock(driver, "H200", -50, "2026-Q1")
        wait_for(lambda: settled(driver, "scenario 1"), 60, "the shocked allocation shown")
        edited = tutorial.with_supply("H200", share=0.5, from_period="2026-Q1")
        check_against_library(driver, edited)
        assert items(driver, "lost"), "halving H200 costs the tutorial projects"
        download_and_audit(url, "scenario 1", edited, tmp_path, set(items(driver, "funded")))

        # An impossible edit is refused with the file's field path, shown on the page.
        driver.execute_script(
            "const e = document.getElementById('min-industry'); e.value = '0.5';"
            "e.dispatchEvent(new Event('change'));")
        error = wait_for(lambda: text(driver, "error"), 30, "the error shown")
        assert "min_share" in error and "industry" in error
        assert console_errors(driver) == [] or all("400" in m for m in console_errors(driver))
        assert all(u.startswith(url) or u.startswith("data:") for u in requested_urls(driver))


def test_the_api_refuses_bad_edits_and_other_hosts():
    with server(TUTORIAL) as url:
        status, body = post(f"{url}api/change", {"name": "s", "edits": {"supply": {
            "B300": {"share": 0.5}}}})
        assert status == 400 and "unknown GPU type 'B300'" in body["error"]
        status, body = post(f"{url}api/change", {"name": "s", "edits": {"budget": {
            "opex": "lots"}}})
        assert status == 400 and body["error"].startswith("budget.opex: a number")
        status, body = post(f"{url}api/change", {"name": "s", "edits": {"supply": {
            "H200": {"share": 0.5, "from_period": "2031-Q1"}}}})
        assert status == 400 and "2031-Q1" in body["error"]
        # DNS rebinding: a page elsewhere naming this server by its own host name.
        status, _ = get(f"{url}api/state", {"Host": "attacker.example:80"})
        assert status == 403


def test_a_non_local_address_needs_the_token_and_every_request_carries_it():
    refused = CliRunner().invoke(cli, ["serve", str(TUTORIAL), "--host", "0.0.0.0"])
    assert refused.exit_code == 2 and "needs --token" in refused.output
    with server(TUTORIAL, "--host", "0.0.0.0", "--token", "s3cret") as url:
        for path in ("", "api/state", "static/app.js", "api/scenarios/baseline/instance.yaml"):
            assert get(url + path)[0] == 401
            assert get(url + path, {"X-Allocopt-Token": "wrong"})[0] == 401
        assert get(url + "api/state", {"X-Allocopt-Token": "s3cret"})[0] == 200
        assert get(url + "?token=s3cret")[0] == 200
        assert post(url + "api/cancel", {})[0] == 401


@needs_chromium
def test_korea_b200_export_shock_matches_a_direct_solve_and_cancels(tmp_path: Path):
    """The issue's check: B200 −40 % from 2026-03 on the Korea instance."""
    korea = allocopt.load_instance(KOREA)
    with server(KOREA, "--time-limit", "60") as url, chromium() as driver:
        driver.get(url)
        wait_for(lambda: settled(driver, "baseline"), 120, "the baseline shown")
        shock(driver, "B200", -40, "2026-03")
        wait_for(lambda: settled(driver, "scenario 1"), 120, "the shocked allocation shown")
        edited = korea.with_supply("B200", share=0.6, from_period="2026-03")
        check_against_library(driver, edited)
        assert items(driver, "lost")
        download_and_audit(url, "scenario 1", edited, tmp_path, set(items(driver, "funded")))

        # A change starts a solve; the cancel button stops it within seconds.
        shock(driver, "H200", -50, "2025-11")
        wait_for(lambda: text(driver, "phase") == "solving", 30, "the solve started")
        driver.find_element("id", "cancel").click()
        clicked = time.monotonic()
        wait_for(lambda: text(driver, "phase") == "cancelled", 15, "the solve cancelled")
        print(f"cancelled in {time.monotonic() - clicked:.2f} s")
