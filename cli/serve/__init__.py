"""`allocopt serve FILE`: a local web app to try changes on an instance and see their
allocations, each re-solved warm in the background (`allocopt.resolve`).

The web stack (Starlette and uvicorn, the `serve` extra) is imported only when the
command runs, so `allocopt --help` stays instant and a plain install needs neither."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from allocopt.defaults import DEFAULT_GAP
from allocopt_cli.common import EXIT_BAD_INPUT, Failure, instance_path, limits_options, load


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_serve_packages() -> None:
    import importlib.util

    missing = [m for m in ("starlette", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise Failure([f"serve needs {', '.join(missing)}: pip install 'allocopt[serve]'"],
                      EXIT_BAD_INPUT)


@click.command()
@click.argument("file", type=instance_path)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Any address but the loopback needs --token.")
@click.option("--token", metavar="T",
              help="A secret every request must carry (?token=T or the X-Allocopt-Token "
                   "header); required to listen on a non-loopback address.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, metavar="SECONDS", help="Limit of each re-solve.")
@click.option("--gap", type=click.FloatRange(0, 1), default=DEFAULT_GAP, show_default=True,
              help="Relative gap each re-solve stops at.")
@limits_options
def serve(file: Path, port: int, host: str, token: str | None, time_limit: float, gap: float,
          **limits) -> None:
    """Serve a page showing FILE's allocation, where changes to supply, budget, areas
    and projects are re-solved warm and compared with the baseline."""
    if not is_loopback(host) and not token:
        raise Failure([f"--host {host}: listening beyond this machine needs --token T "
                       "(every request must then carry it)"], EXIT_BAD_INPUT)
    require_serve_packages()
    import uvicorn

    from allocopt_cli.serve.app import create_app
    from allocopt_cli.serve.session import Session

    instance = load(file, **limits)
    session = Session(instance, time_limit, gap)
    shown = "localhost" if is_loopback(host) else host
    where = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    click.echo(f"serving {file} at {where} (Ctrl-C to stop)")
    if token:
        click.echo("every request must carry the token; the connection is not encrypted, "
                   "so use it only on a network you trust", err=True)
    uvicorn.run(create_app(session, token), host=host, port=port, log_level="warning")
