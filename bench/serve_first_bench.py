"""The explorer's first heavy answers: how long the first check and the first worksheet take once
``symgrad serve`` says its workers are warm, against the same request asked again.

``python -m symgrad serve`` starts in a child process; a client waits until ``GET /api/limits``
says ``"warm": true`` (every worker process forked from the fork server), then posts the
lecture's program to ``/api/check``, then asks for its worksheet (``/api/worksheet``, Markdown
and HTML), each twice: the first call is what a teacher's first click costs, the second a warm
worker's. The figures are wall seconds (the machine's load is given beside them); a request
past the server's 10 s timeout is a 503.

Run from the repository root:  python -m bench.serve_first_bench [--quick]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import table  # noqa: E402
from bench.serve_start_bench import LECTURE, _free_port, _request, load  # noqa: E402

CALLS = (("check", "/api/check", {}), ("worksheet md", "/api/worksheet", {"format": "md"}),
         ("worksheet html", "/api/worksheet", {"format": "html"}))


def _start(port: int) -> subprocess.Popen:
    import os
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode
    return subprocess.Popen([sys.executable, "-m", "symgrad", "serve", "--port", str(port)], env=env,
                            stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def _until(server: subprocess.Popen, start: float, ready) -> None:
    while True:
        try:
            if ready():
                return
        except OSError:
            pass
        if server.poll() is not None or time.perf_counter() - start > 120:
            raise SystemExit("the server did not answer")
        time.sleep(0.02)


def _timed(url: str, extra: dict) -> float:
    t = time.perf_counter()
    status, _ = _request(url, {**LECTURE, **extra})
    return time.perf_counter() - t if status == 200 else float("nan")


def one_start(at_once: bool) -> dict[str, float]:
    """One start. ``at_once``: a check, then a worksheet, as soon as the page's first answer
    (``/api/program``) comes, as a teacher's first clicks (each request's own seconds, and the
    seconds from the launch to the check's answer). Otherwise: once ``/api/limits`` says warm,
    each request twice (first, then again)."""
    import json
    port = _free_port()
    start = time.perf_counter()
    server = _start(port)
    url = f"http://127.0.0.1:{port}"
    out: dict[str, float] = {}
    try:
        if at_once:
            _until(server, start, lambda: _request(url + "/api/program", LECTURE)[0] == 200)
            out["page's first answer (from the launch)"] = time.perf_counter() - start
            for name, path, extra in CALLS[:2]:
                out[f"then {name}"] = _timed(url + path, extra)
            out["check answered (from the launch)"] = out["page's first answer (from the launch)"] + out["then check"]
            return out
        _until(server, start, lambda: json.loads(_request(url + "/api/limits")[1])["warm"])
        out["warm (from the launch)"] = time.perf_counter() - start
        for round_ in ("first", "second"):
            for name, path, extra in CALLS:
                out[f"{round_} {name}"] = _timed(url + path, extra)
    finally:
        server.terminate()
        server.wait(10)
    return out


def run(quick: bool = False) -> str:
    one_start(False)  # bytecode compiled once, as an installed package has it
    before = load()
    n = 3 if quick else 5
    runs = [one_start(at_once) for at_once in (True, False) * n]
    after = load()
    rows = []
    for group in (runs[0::2], runs[1::2]):
        for key in group[0]:
            xs = [r[key] for r in group]
            rows.append([key, f"{statistics.median(xs):.2f} ({min(xs):.2f}–{max(xs):.2f})"])
    return "\n\n".join([
        "## The explorer's first check and worksheet (`symgrad serve`)",
        f"`python -m bench.serve_first_bench{' --quick' if quick else ''}`: {n} starts each way; seconds "
        f"(median, min–max): clicked at once, and once warm. Machine load: {before} before, {after} after.",
        table(["request", "seconds"], rows),
    ])


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
