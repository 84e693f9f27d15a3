"""Hostile instance files: alias bombs, tables outside the instance's folder (by path or
by symlink), files over the caps, YAML tags that would run code, files that never end.
Each is refused as bad input (exit 2), quickly, and nothing outside is read or run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocopt_cli.main import cli

from conftest import DATA

TINY = (DATA / "tiny.yaml").read_text(encoding="utf-8")
TABLE = "id,area,configurations\nP9,health,H200:8\n"
FAST_S = 1.0


def validate(*args: object):
    """Run `allocopt validate` in-process; return (result, seconds)."""
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["validate", *map(str, args)])
    return result, time.perf_counter() - started


def assert_bad_input(result, path: Path) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for line in result.output.strip("\n").split("\n"):
        assert line.startswith(f"{path}: "), result.output


def validate_subprocess(*args: object, timeout: float = 60) -> subprocess.CompletedProcess:
    """For inputs that would block or never end if read: a child process with a timeout."""
    code = "from allocopt_cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, "validate", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module", autouse=True)
def warm_up() -> None:
    """Import everything once, so that timings measure the check and not the imports."""
    result, _ = validate(DATA / "tiny.yaml")
    assert result.exit_code == 0, result.output


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An instance folder two levels down, with a readable file just outside it."""
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    (tmp_path / "a" / "outside.csv").write_text(TABLE, encoding="utf-8")
    return inner


def with_tables(folder: Path, *names: str, name: str = "inst.yaml") -> Path:
    path = folder / name
    tables = ", ".join(f"{{csv: {n!r}}}" for n in names)
    path.write_text(f"{TINY}project_tables: [{tables}]\n", encoding="utf-8")
    return path


# --- alias bombs ----------------------------------------------------------------------------

def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = [f"lol0: &lol0 [{', '.join(['lol'] * width)}]"]
    for k in range(1, levels):
        lines.append(f"lol{k}: &lol{k} [{', '.join([f'*lol{k - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


BOMBS = {
    "billion_laughs": billion_laughs(),
    "billion_laughs_in_a_valid_instance": TINY.replace("name: tiny", "name: &n tiny") + "".join(
        f"x{k}: &x{k} [{', '.join([f'*x{k - 1}' if k else '*n'] * 10)}]\n" for k in range(9)),
    "mapping_bomb": "a0: &a0 {k: lol}\n" + "".join(
        f"a{k}: &a{k} {{{', '.join(f'k{j}: *a{k - 1}' for j in range(9))}}}\n"
        for k in range(1, 10)),
    "quadratic": "big: &big [" + ", ".join(["x"] * 10_000) + "]\nmany: [" + ", ".join(
        ["*big"] * 1_000) + "]\n",
}


@pytest.mark.parametrize("text", BOMBS.values(), ids=BOMBS.keys())
def test_alias_bomb_is_rejected_within_a_second(tmp_path: Path, text: str):
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size < 200_000
    result, seconds = validate(path)
    assert_bad_input(result, path)
    assert "expands to more than" in result.output
    assert seconds < FAST_S, f"took {seconds:.2f} s"


def test_node_limit_names_the_limit_and_an_existing_flag(tmp_path: Path):
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    result, _ = validate(path)
    flags = re.findall(r"--[a-z-]+", result.output)
    assert flags
    help_text = CliRunner().invoke(cli, ["validate", "--help"]).output
    for flag in flags:
        assert flag in help_text
    small, _ = validate(DATA / "tiny.yaml", "--max-nodes", 10)
    assert small.exit_code == 2
    assert "more than 10 nodes" in small.output and "--max-nodes" in small.output


def long_string_repeated(where: str, length: int = 20_000, times: int = 300) -> str:
    """One long string, anchored once and aliased `times` times where it is echoed."""
    text = TINY.replace("name: tiny", f'name: tiny\ndescription: &long "{"x" * length}"')
    if where == "period":
        return text.replace("supply:\n", "supply:\n" + "  - {type: H200, site: S1, "
                            "period: *long, units: 1}\n" * times)
    return text + "project_tables:\n" + "  - {csv: *long}\n" * times


@pytest.mark.parametrize("where", ["period", "table name"])
def test_aliased_long_string_does_not_amplify_the_output(tmp_path: Path, where: str):
    path = tmp_path / "amplify.yaml"
    path.write_text(long_string_repeated(where), encoding="utf-8")
    result, _ = validate(path)
    assert result.exit_code == 2
    assert len(result.output) < 10 * path.stat().st_size, (
        f"{path.stat().st_size} bytes in, {len(result.output)} bytes of messages out")


# --- tables outside the instance's folder --------------------------------------------------

@pytest.mark.parametrize(("table", "message"), [
    ("../../etc/passwd", "path leaves the instance's folder"),
    ("/etc/passwd", "absolute paths are not allowed"),
    ("../outside.csv", "path leaves the instance's folder"),
    ("sub/../../outside.csv", "path leaves the instance's folder"),
])
def test_table_outside_the_folder_is_rejected_within_a_second(folder: Path, table: str,
                                                              message: str):
    path = with_tables(folder, table)
    result, seconds = validate(path)
    assert_bad_input(result, path)
    assert f"{path}: project_tables[0].csv: {message}" in result.output
    assert "root:" not in result.output and "P9" not in result.output
    assert seconds < FAST_S, f"took {seconds:.2f} s"


def test_symlinked_table_pointing_outside_is_rejected(folder: Path):
    (folder / "link.csv").symlink_to("../outside.csv")
    path = with_tables(folder, "link.csv")
    result, _ = validate(path)
    assert_bad_input(result, path)
    assert "project_tables[0].csv: path leaves the instance's folder" in result.output
    allowed, _ = validate(path, "--allow-outside-tables")  # the guard is what refuses it
    assert allowed.exit_code == 0 and "(4 projects" in allowed.output, allowed.output


def test_symlinked_folder_pointing_outside_is_rejected(folder: Path):
    (folder / "sub").symlink_to(folder.parent)
    path = with_tables(folder, "sub/outside.csv")
    result, _ = validate(path)
    assert_bad_input(result, path)
    assert "project_tables[0].csv: path leaves the instance's folder" in result.output


def test_symlink_to_a_system_file_is_rejected(folder: Path):
    (folder / "passwd.csv").symlink_to("/etc/passwd")
    path = with_tables(folder, "passwd.csv")
    result, _ = validate(path)
    assert_bad_input(result, path)
    assert "path leaves the instance's folder" in result.output and "root:" not in result.output


def test_symlink_within_the_folder_is_followed(folder: Path):
    (folder / "real.csv").write_text(TABLE, encoding="utf-8")
    (folder / "link.csv").symlink_to("real.csv")
    result, _ = validate(with_tables(folder, "link.csv"))
    assert result.exit_code == 0 and "(4 projects" in result.output, result.output


def test_symlink_loop_is_bad_input(folder: Path):
    (folder / "loop.csv").symlink_to("loop.csv")
    path = with_tables(folder, "loop.csv")
    result, seconds = validate(path)
    assert_bad_input(result, path)
    assert f"{path}: project_tables[0].csv: " in result.output
    assert seconds < FAST_S, f"took {seconds:.2f} s"


# --- caps on size --------------------------------------------------------------------------

def test_file_over_max_file_bytes_names_the_limit_and_the_flag(tmp_path: Path):
    path = tmp_path / "inst.yaml"
    path.write_text(TINY, encoding="utf-8")
    size = path.stat().st_size
    result, _ = validate(path, "--max-file-bytes", size - 1)
    assert_bad_input(result, path)
    assert (f"{path}: file is {size} bytes, over the limit of {size - 1} "
            "(raise it with --max-file-bytes)") in result.output
    assert validate(path, "--max-file-bytes", size)[0].exit_code == 0


def test_table_over_max_file_bytes_is_rejected(folder: Path):
    (folder / "t.csv").write_text(TABLE + "".join(f"Q{k},health,H200:8\n" for k in range(200)),
                                  encoding="utf-8")
    path = with_tables(folder, "t.csv")
    limit = path.stat().st_size + 10
    result, _ = validate(path, "--max-file-bytes", limit)
    assert result.exit_code == 2
    assert f"{folder / 'inst.yaml'}: project_tables[0].csv: file is " in result.output
    assert f"over the limit of {limit} (raise it with --max-file-bytes)" in result.output


def test_huge_file_is_refused_before_it_is_read(tmp_path: Path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as f:  # sparse: 1 GiB on paper, nothing on disk
        f.truncate(1024**3)
    result, seconds = validate(path)
    assert_bad_input(result, path)
    assert f"file is {1024**3} bytes, over the limit of {64 * 1024 * 1024}" in result.output
    assert seconds < FAST_S, f"took {seconds:.2f} s"


def test_max_projects_names_the_limit_and_the_flag(tmp_path: Path):
    path = tmp_path / "inst.yaml"
    path.write_text(TINY, encoding="utf-8")
    result, _ = validate(path, "--max-projects", 2)
    assert_bad_input(result, path)
    assert (f"{path}: projects: 3 projects, over the limit of 2 (raise it with --max-projects)"
            in result.output)
    assert validate(path, "--max-projects", 3)[0].exit_code == 0


def test_max_projects_stops_reading_a_long_table(folder: Path):
    rows = "".join(f"T{k},health,H200:8\n" for k in range(10_000))
    (folder / "t.csv").write_text(f"id,area,configurations\n{rows}", encoding="utf-8")
    path = with_tables(folder, "t.csv")
    result, _ = validate(path, "--max-projects", 5)
    assert result.exit_code == 2
    assert (f"{folder / 't.csv'}: row 7: more than 5 projects (raise it with --max-projects)"
            in result.output)
    assert len(result.output.splitlines()) <= 2, result.output


# --- YAML that would construct Python objects ----------------------------------------------

PAYLOADS = [
    'name: !!python/object/apply:os.system ["touch {marker}"]\n',
    'name: !!python/object/new:os.system ["touch {marker}"]\n',
    'name: !!python/object/apply:subprocess.check_call [["touch", "{marker}"]]\n',
    "name: !!python/name:os.system\n",
    "name: !!python/module:os\n",
    'name: !<tag:yaml.org,2002:python/object/apply:os.system> ["touch {marker}"]\n',
    '%TAG !p! tag:yaml.org,2002:python/\n---\nname: !p!object/apply:os.system ["touch {marker}"]\n',
    '? !!python/object/apply:os.system ["touch {marker}"]\n: 1\n',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_python_tags_are_rejected_and_nothing_runs(tmp_path: Path, payload: str,
                                                   monkeypatch: pytest.MonkeyPatch):
    calls: list[tuple] = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a) or 0)
    monkeypatch.setattr(subprocess, "check_call", lambda *a, **k: calls.append(a) or 0)
    marker = tmp_path / "hacked"
    body = TINY.replace("name: tiny\n", "")
    path = tmp_path / "inst.yaml"
    head, sep, rest = payload.format(marker=marker).rpartition("---\n")
    path.write_text(f"{head}{sep}{rest}{body}", encoding="utf-8")
    result, _ = validate(path)
    assert_bad_input(result, path)
    assert "invalid YAML" in result.output
    assert not marker.exists() and calls == []


# --- files that never end ------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_not_read(folder: Path):
    os.mkfifo(folder / "pipe.yaml")
    os.mkfifo(folder / "pipe.csv")
    path = with_tables(folder, "pipe.csv")
    done = validate_subprocess(folder / "pipe.yaml", path)
    assert done.returncode == 2, done.stderr
    assert f"{folder / 'pipe.yaml'}: not a regular file" in done.stderr
    assert f"{folder / 'inst.yaml'}: project_tables[0].csv: not a regular file" in done.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_device_is_not_read(folder: Path):
    (folder / "zero.csv").symlink_to("/dev/zero")
    path = with_tables(folder, "zero.csv")
    done = validate_subprocess("/dev/zero", path, "--allow-outside-tables")
    assert done.returncode == 2, done.stderr
    assert "/dev/zero: not a regular file" in done.stderr
    assert f"{folder / 'inst.yaml'}: project_tables[0].csv: not a regular file" in done.stderr
