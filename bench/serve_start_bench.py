"""The explorer's start: how soon ``symgrad serve`` serves its page and its first answer.

``python -m symgrad serve`` starts in a child process; from the moment it is launched, a client
asks for the page (``GET /``) until it comes, then posts the lecture's program to
``/api/program`` (parse, evaluate, draw: the first thing the page does) until it is answered.
Meanwhile the worker processes warm up in the background (SymPy, jinja2, matplotlib and Graphviz
imported and exercised once). Target: the first answer within 2 s of the start on this 2-core
machine. The figures are wall seconds, so the machine's load (given beside them) counts.

Run from the repository root:  python -m bench.serve_start_bench [--quick]
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import table, verdict  # noqa: E402

TARGET = 2.0
LECTURE = {"program": "e = a*b; d = e + c; L = d*f", "point": {"a": 2, "b": -3, "c": 10, "f": -2}}


def load() -> str:
    """The machine's 1-minute load average (what else was running), or "unknown"."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "unknown"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, body: dict | None = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def one_start() -> dict[str, float]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode
    start = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "symgrad", "serve", "--port", str(port)], env=env,
                              stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    out: dict[str, float] = {}
    try:
        while "page" not in out:
            try:
                if _request(url + "/")[0] == 200:
                    out["page"] = time.perf_counter() - start
            except OSError:
                if server.poll() is not None or time.perf_counter() - start > 120:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.02)
        while "answer" not in out:
            status, body = _request(url + "/api/program", LECTURE)
            if status == 200:
                out["answer"] = time.perf_counter() - start
            elif time.perf_counter() - start > 120:
                raise SystemExit(f"no answer: {status} {body[:200]!r}")
            else:
                time.sleep(0.05)
        status, body = _request(url + "/api/check", LECTURE)  # the first check (SymPy) after that
        out["check"] = time.perf_counter() - start if status == 200 else float("nan")
    finally:
        server.terminate()
        server.wait(10)
    return out


def run(quick: bool = False) -> str:
    one_start()  # bytecode compiled once, as an installed package has it
    before = load()
    runs = [one_start() for _ in range(3 if quick else 7)]
    after = load()
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    rng = {k: (min(r[k] for r in runs), max(r[k] for r in runs)) for k in runs[0]}
    rows = [[what, f"{med[k]:.2f} ({rng[k][0]:.2f}–{rng[k][1]:.2f})"] for k, what in (
        ("page", "the page (`GET /`)"), ("answer", "the first answer (`POST /api/program`, the lecture)"),
        ("check", "then the first check (`POST /api/check`: SymPy and the exact check)"))]
    return "\n\n".join([
        "## The explorer's start (`symgrad serve`)",
        f"`python -m bench.serve_start_bench{' --quick' if quick else ''}`: {len(runs)} starts of "
        "`python -m symgrad serve`; wall seconds from the launch (median, min–max). Machine load: "
        f"{before} before, {after} after.",
        table(["answered", "seconds after the start"], rows),
        f"Target: the first answer within {TARGET:.0f} s of the start: measured **{med['answer']:.2f} s** — "
        + verdict(med["answer"] <= TARGET, "a wall time on a loaded machine"),
    ])


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
