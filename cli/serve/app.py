"""The web app: the page and its assets (shipped in the package, nothing from a CDN),
and a small JSON API over the session.

    GET  /                         the page
    GET  /static/NAME              its CSS and JavaScript
    GET  /api/state                the instance's controls and every scenario's state
    POST /api/change               {"name", "edits"}: set a scenario's edits, re-solve it
    POST /api/select, /api/cancel  show another scenario; stop the running solve
    GET  /api/scenarios/NAME/results.zip, /instance.yaml   the downloads

Every request passes `guard`: with a token, it must come as the X-Allocopt-Token header
or a `token` query parameter (401 otherwise); without one (loopback only), the Host
header must name the loopback address, so a page elsewhere cannot reach the server
through DNS rebinding (403). Changes must be JSON, which a cross-site form cannot send.
"""

from __future__ import annotations

import hmac
import io
import zipfile
from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
MAX_BODY_BYTES = 1024 * 1024


def create_app(session, token: str | None):
    """The Starlette application serving `session`."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    from allocopt.errors import AllocoptError

    def guarded(handler):
        async def endpoint(request):
            refusal = guard(request, token)
            if refusal is not None:
                return JSONResponse({"error": refusal[1]}, status_code=refusal[0])
            try:
                return await handler(request)
            except AllocoptError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return endpoint

    async def page(request):
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"),
                            headers=_headers())

    async def asset(request):
        name = request.path_params["name"]
        if name not in ASSETS:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response((STATIC / name).read_bytes(), media_type=ASSETS[name],
                        headers=_headers())

    async def state(request):
        return JSONResponse(session.state())

    async def change(request):
        body = await _json(request)
        return JSONResponse(await run_in_threadpool(session.change, body.get("name"),
                                                    body.get("edits") or {}))

    async def select(request):
        body = await _json(request)
        return JSONResponse(session.select(body.get("name")))

    async def cancel(request):
        return JSONResponse(session.cancel())

    async def results(request):
        scenario = session.scenario(request.path_params["name"])
        if scenario.solution is None:
            return JSONResponse({"error": "no verified allocation yet"}, status_code=409)
        data = await run_in_threadpool(results_zip, scenario.instance, scenario.solution,
                                       scenario.name)
        return Response(data, media_type="application/zip",
                        headers=_attachment(f"{scenario.name}-results.zip"))

    async def instance_file(request):
        scenario = session.scenario(request.path_params["name"])
        return Response(instance_yaml(scenario.instance), media_type="application/yaml",
                        headers=_attachment(f"{scenario.name}.yaml"))

    routes = [Route("/", guarded(page)),
              Route("/static/{name}", guarded(asset)),
              Route("/api/state", guarded(state)),
              Route("/api/change", guarded(change), methods=["POST"]),
              Route("/api/select", guarded(select), methods=["POST"]),
              Route("/api/cancel", guarded(cancel), methods=["POST"]),
              Route("/api/scenarios/{name}/results.zip", guarded(results)),
              Route("/api/scenarios/{name}/instance.yaml", guarded(instance_file))]
    return Starlette(routes=routes)


def guard(request, token: str | None) -> tuple[int, str] | None:
    """(status, message) refusing `request`, or None to serve it."""
    if token is not None:
        given = request.headers.get("x-allocopt-token") or request.query_params.get("token")
        if given is None or not hmac.compare_digest(given.encode(), token.encode()):
            return 401, "this server needs its token (?token=... or X-Allocopt-Token)"
        return None
    host = request.headers.get("host", "")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name not in LOCAL_HOSTS:
        return 403, f"refused: Host {host!r} is not this machine's loopback address"
    return None


async def _json(request) -> dict[str, Any]:
    import json

    from allocopt.errors import ParameterError

    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ParameterError("request: send JSON (Content-Type: application/json)")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise ParameterError(f"request: larger than {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ParameterError(f"request: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ParameterError("request: a JSON object")
    return data


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def _attachment(filename: str) -> dict[str, str]:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename)
    return {"Content-Disposition": f'attachment; filename="{safe}"'}


def results_zip(instance, solution, name: str) -> bytes:
    """The results folder the library writes for `solution`, zipped (its files under
    NAME/), with the edited instance as NAME/instance.yaml."""
    import tempfile

    from allocopt.results import write_results

    folder = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buffer, "w",
                                                               zipfile.ZIP_DEFLATED) as out:
        written = write_results(Path(tmp) / folder, instance, solution,
                                {"source": "allocopt serve", "scenario": name},
                                solution.verify(instance))
        for path in sorted(written.iterdir()):
            out.write(path, f"{folder}/{path.name}")
        out.writestr(f"{folder}/instance.yaml", instance_yaml(instance))
    return buffer.getvalue()


def instance_yaml(instance) -> str:
    """The edited instance as a file `allocopt solve` reads (every project inline)."""
    import yaml

    data = instance.spec.model_dump(mode="json", exclude_defaults=True)
    # The projects of the original's tables are in `projects` already.
    data.pop("project_tables", None)
    return yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True)
