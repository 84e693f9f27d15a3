"""The README's examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

import allocopt

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_instance_format_example_validates_and_solves(tmp_path: Path):
    (example,) = [b for b in blocks("yaml") if "project_tables" in b]
    (tmp_path / "example.yaml").write_text(example, encoding="utf-8")
    (tmp_path / "projects.csv").write_text(
        "id,area,configurations,min_gpus,max_gpus,types,efficiency\n"
        "P003,finance,H200:16 | RNGD:64,,,,\n"
        "P004,health,,4,24,H200+RNGD,RNGD:0.35\n", encoding="utf-8")
    instance = allocopt.load_instance(tmp_path / "example.yaml")
    assert len(instance.projects) == 4
    solution = allocopt.solve(instance)
    assert solution.status.has_solution and solution.verify(instance) == []
    assert yaml.safe_load(example)["policy"]["granularity"] == "gpu"


def test_library_example_runs():
    (code,) = [b for b in blocks("python") if "allocopt.solve(instance" in b]
    code = code.replace("instances/korea-2025.yaml", str(ROOT / "instances/tutorial.yaml"))
    exec(compile(code, "README.md", "exec"), {})


def test_library_edit_frames_and_resolve_example_runs(monkeypatch, capsys):
    (code,) = [b for b in blocks("python") if "allocopt.resolve" in b]
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "Improvement(" in out and "final=True" in out  # the events, printed
    assert "llm" not in out.split("final=True")[-1]  # half the H200: llm is out


def test_docs_build_command_is_the_one_ci_runs():
    (command,) = [b for b in blocks("bash") if "sphinx-build" in b]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert command.strip() in ci
