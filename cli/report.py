"""`allocopt report` and `allocopt compare`: thin wrappers over allocopt.report."""

from __future__ import annotations

from pathlib import Path

import click

from allocopt_cli.common import EXIT_BAD_INPUT, Failure, domain_errors, limits_options, load
from allocopt_cli.lock import lock_for_command

folder_path = click.Path(exists=True, file_okay=False, path_type=Path)
lang_option = click.option("--lang", type=click.Choice(["en", "ko"]), default="en",
                           show_default=True,
                           help="Language of the page and the Markdown: en (English) or ko "
                                "(Korean).")


def require_report_packages() -> None:
    """Fail cleanly, before any work, when the `report` extra is not installed."""
    import importlib.util

    missing = [m for m in ("matplotlib", "openpyxl") if importlib.util.find_spec(m) is None]
    if missing:
        raise Failure([f"reports need {', '.join(missing)}: pip install 'allocopt[report]'"],
                      EXIT_BAD_INPUT)


@click.command()
@click.argument("folder", type=folder_path)
@click.option("--instance", "instance_file", type=click.Path(dir_okay=False, path_type=Path),
              help="The instance FOLDER was solved from (default: an instance.yaml/json kept "
                   "in FOLDER, if any). Needed for site power and for why projects are out.")
@lang_option
@limits_options
def report(folder: Path, instance_file: Path | None, lang: str, **limits) -> None:
    """Write FOLDER/report.html, report.md and allocation.xlsx for a results folder."""
    lock_for_command(folder, "wait for it")
    require_report_packages()
    from allocopt.report import read_folder, write_report

    with domain_errors():
        instance_file = instance_file or read_folder(folder).bundled_instance()
        instance = load(instance_file, **limits) if instance_file is not None else None
        written = write_report(folder, instance, lang)
    if instance is None:
        click.echo("no instance given: the report leaves out site power and why projects are "
                   "out (use --instance FILE)", err=True)
    click.echo("wrote " + ", ".join(str(p) for p in written))


@click.command()
@click.argument("folder_a", type=folder_path)
@click.argument("folder_b", type=folder_path)
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for compare.html and compare.md (created if missing).")
@lang_option
def compare(folder_a: Path, folder_b: Path, out_dir: Path, lang: str) -> None:
    """Compare two results folders: projects gained and lost, area, type and value deltas."""
    lock_for_command(out_dir)
    from allocopt.report import write_compare

    with domain_errors():
        written = write_compare(folder_a, folder_b, out_dir, lang)
    click.echo("wrote " + ", ".join(str(p) for p in written))
