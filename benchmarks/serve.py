"""`allocopt serve` after a change, as a person at the page meets it.

    python benchmarks/serve.py                      # korea-2025, 20 changes
    python benchmarks/serve.py --changes 5 --file instances/tutorial.yaml

Starts a real `allocopt serve FILE` on a free port, waits for the baseline, then
makes the changes a person moving the supply sliders and the operating budget would
(one scenario, edited again and again, each change waited out before the next),
through the server's own API. For each change it prints how long the server took to
show the first verified allocation (`first_verified_s`, the server's own clock from
the change), how long the whole re-solve ran (`done_s`: proven within the gap, or
stopped by the time limit), and the status and gap it ended at; then the medians and
the server's peak resident memory (its process tree, from /proc), with the machine.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from machine import describe

ROOT = Path(__file__).resolve().parent.parent
SHARES = (0.6, 0.8, 0.5, 0.9, 0.7)
TYPES_PERIODS = (("B200", "2026-03"), ("H200", "2025-11"), ("B200", "2026-01"),
                 ("A100", "2025-11"))


def changes(count: int) -> list[dict]:
    """Supply shocks of different types, shares and periods, every fifth an operating
    budget change instead."""
    out = []
    for k in range(count):
        if k % 5 == 4:
            out.append({"budget": {"opex": 36_000 + 1_000 * (k % 3)}})
            continue
        gpu, period = TYPES_PERIODS[k % len(TYPES_PERIODS)]
        out.append({"supply": {gpu: {"share": SHARES[k % len(SHARES)],
                                     "from_period": period}}})
    return out


def describe_change(edits: dict) -> str:
    if "budget" in edits:
        return f"opex budget {edits['budget']['opex']:,}"
    (gpu, change), = edits["supply"].items()
    return f"{gpu} deliveries x{change['share']:g} from {change['from_period']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def scenario(state: dict, name: str) -> dict:
    return next(s for s in state["scenarios"] if s["name"] == name)


def tree_rss_kib(pid: int) -> int:
    """Resident memory of `pid` and its children, KiB (Linux /proc)."""
    total = 0
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                pids.append(int(entry.name))
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def wait_done(url: str, name: str, timeout_s: float, server: subprocess.Popen,
              peak: list[int]) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        peak[0] = max(peak[0], tree_rss_kib(server.pid))
        s = scenario(call(url + "api/state"), name)
        if s["phase"] in ("done", "cancelled", "failed"):
            return s
        time.sleep(0.05)
    raise SystemExit(f"scenario {name!r} not done within {timeout_s} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default=str(ROOT / "instances/korea-2025.yaml"))
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=30.0)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "allocopt", "serve", args.file,
                               "--port", str(port), "--time-limit", str(args.time_limit)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    peak = [0]
    try:
        for _ in range(600):
            try:
                call(url + "api/state")
                break
            except OSError:
                time.sleep(0.1)
        wait_done(url, "baseline", 300, server, peak)
        print(f"# serve.py: {Path(args.file).name}, {args.changes} changes, time limit "
              f"{args.time_limit:g} s per re-solve")
        print("# " + describe(("ortools", "highspy", "starlette", "uvicorn")))
        print(f"{'change':<44} {'first_verified_s':>16} {'done_s':>7} {'status':<9} "
              f"{'gap_%':>7}")
        firsts, dones = [], []
        for edits in changes(args.changes):
            started = time.monotonic()
            call(url + "api/change", {"name": "what-if", "edits": edits})
            s = wait_done(url, "what-if", args.time_limit + 60, server, peak)
            done = time.monotonic() - started
            shown = s["shown"] or {}
            gap = shown.get("gap")
            first = s["first_verified_s"]
            firsts.append(first if first is not None else float("inf"))
            dones.append(done)
            label = describe_change(edits)
            print(f"{label:<44} {first if first is not None else float('nan'):16.2f} "
                  f"{done:7.2f} {shown.get('status', s['phase']):<9} "
                  f"{100 * gap if gap is not None else float('nan'):7.3f}")
        print(f"# median first verified allocation {statistics.median(firsts):.2f} s; "
              f"median re-solve {statistics.median(dones):.2f} s; "
              f"server peak RSS {peak[0] / 1024:.0f} MiB")
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
