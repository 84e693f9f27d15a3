"""Reports a policymaker can read: report.html, report.md and allocation.xlsx from a
results folder, and compare.html / compare.md between two folders.

    folder ─ read_folder ─▶ ResultsFolder ─ build_report(+ Instance) ─▶ Report
    Report ─▶ render_html (+ plots) / render_markdown / render_xlsx ─▶ files

`why` explains each unfunded project from the instance and the allocation alone.
matplotlib and openpyxl are imported only when a report is written.
"""

from __future__ import annotations

from pathlib import Path

from allocopt.errors import ResultsError
from allocopt.instance import Instance
from allocopt.report.folder import ResultsFolder, read_folder, write_atomic

__all__ = ["ResultsFolder", "read_folder", "write_compare", "write_report"]


def write_report(folder: str | Path, instance: Instance | None = None,
                 lang: str = "en") -> list[Path]:
    """Write report.html, report.md and allocation.xlsx into `folder`, each atomically;
    the page and the Markdown in `lang` ("en" or "ko"; the workbook keeps its column
    names, which are the results folder's).

    `instance` must be the one the folder was solved from (same instance_sha256);
    without it the report shows what the folder alone supports."""
    from allocopt.report.html import render_html
    from allocopt.report.markdown import render_markdown
    from allocopt.report.plots import render_all
    from allocopt.report.tables import build_report
    from allocopt.report.xlsx import render_xlsx

    results = read_folder(folder)
    expected = results.summary.get("instance_sha256")
    if instance is not None and expected and expected != instance.sha256:
        raise ResultsError(f"{results.path}: solved from a different instance than "
                           f"{instance.source} (instance_sha256 {expected[:12]}… vs "
                           f"{instance.sha256[:12]}…); give the instance it was solved from")
    report = build_report(results, instance, lang)
    files = {
        "report.html": render_html(report, render_all(report)),
        "report.md": render_markdown(report),
        "allocation.xlsx": render_xlsx(report, results, report.available),
    }
    written = []
    for name, data in files.items():
        write_atomic(results.path / name, data)
        written.append(results.path / name)
    return written


def write_compare(folder_a: str | Path, folder_b: str | Path, out: str | Path,
                  lang: str = "en") -> list[Path]:
    """Write compare.html and compare.md into `out` (created if missing), in `lang`."""
    from allocopt.report.compare import compare
    from allocopt.report.compare_render import render_compare_html, render_compare_markdown

    comparison = compare(read_folder(folder_a), read_folder(folder_b))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (("compare.html", render_compare_html(comparison, lang)),
                       ("compare.md", render_compare_markdown(comparison, lang))):
        write_atomic(out / name, text)
        written.append(out / name)
    return written
