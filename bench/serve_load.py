"""Load test of ``symgrad serve``: 50 concurrent clients on loopback, a class's mix of slider
drags, new programs, checks, steps and exports, with the hostile corpus thrown in.

    python bench/serve_load.py                     # 50 clients, 20 s, at most 20,000 requests
    python bench/serve_load.py --clients 10 --duration 5
    python bench/serve_load.py --attack            # the same, while the explorer is attacked

``--attack`` runs attackers beside the class, in a process of their own (their requests are
reported apart): two clients sending the worksheet bomb ``((3^-999)^999)^200`` back to back, four
sending 9,990-character programs of dead statements (each one new, then five slider recomputes
of it), and 400 slow clients that send half a request head and then a byte a second,
reconnecting whenever the server closes them.

Beside the class, one more student drags the neuron's slider from a lean process of its own
(``bench/slider_probe.py``): the targets are on that student's recompute latency, p99 under
50 ms, and under 100 ms with ``--attack``. The class's own figures are reported too, over the
run and after its first second: the start is a burst (the clients' first requests, and with
``--attack`` 400 slow connections opening at once) that a class in session does not see again.
Before the run, each program of the class is typed and dragged once (the server process parses
and compiles a new program on its first recompute), and each client starts after one pause of
its own, as students reading the page do.

It starts ``python -m symgrad serve`` on a free 127.0.0.1 port in a child process, runs
closed-loop clients (each sends its next request when the last one answered) until the
duration or the request count is reached, stops the server, and prints requests per second,
latency percentiles per kind (client-observed, and the server's own from Server-Timing), and
every request whose status was not the expected one. Exit status 1 if any was unexpected or
the target was missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import httpx  # noqa: E402

import symgrad as sg  # noqa: E402
from symgrad.engine.value import topo_order  # noqa: E402
from symgrad.interface.serve.actions import WEB_LIMITS  # noqa: E402
from helpers.hostile_corpus import CASES  # noqa: E402

NEURON = "n = x1*w1 + x2*w2 + b; o = tanh(n)"
ORDINARY = [
    ("e = a*b; d = e + c; L = d*f", {"a": 2, "b": -3, "c": 10, "f": -2}),
    (NEURON, {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.8813735870195432}),
    ("y = log(x) * sigmoid(w*x + b)", {"x": 1.5, "w": 0.5, "b": -1}),
    ("p = x^2 + y^2; r = sqrt(p); out = sin(r) / r", {"x": 1, "y": 2}),
]
# kind: weight. A class mostly drags sliders; the rest is typing, checking, stepping, exporting.
MIX = {"recompute": 70, "program": 8, "hostile": 14, "check": 3, "steps": 3, "graph": 1, "worksheet": 1}
TARGET_P99_MS = 50.0
ATTACK_P99_MS = 100.0        # with --attack
SETTLE = 1.0                 # s: the class's figures are also given without the start's burst
BOMB = {"program": "y = x * ((3^-999)^999)^200", "point": {"x": 1}, "format": "md"}
SLOW_CLIENTS = 400


def status_of(error: type | None) -> int:
    if error is None:
        return 200
    return 413 if issubclass(error, sg.LimitError) else 422


def hostile_requests() -> list[tuple[str, dict, int]]:
    """(program, point, expected status) per corpus case, from the library under the web limits."""
    out = []
    for case in CASES:
        point = case.point or {}
        try:
            program = sg.parse(case.source, limits=WEB_LIMITS)
            point = case.point if case.point is not None else {n: 1.0 for n in program.inputs}
            root = sg.backprop(program, point, limits=WEB_LIMITS).root
            error = sg.LimitError if len(topo_order(root)) > WEB_LIMITS.max_graph_nodes else None
        except sg.SymgradError as err:
            error = type(err)
        out.append((case.source, point, status_of(error)))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(q / 100 * len(xs)) - 1))] if xs else float("nan")


class Connection:
    """One keep-alive HTTP/1.1 connection, spoken directly over asyncio streams: a load
    generator far lighter than a full client library, so the numbers are the server's."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port, self.reader, self.writer = host, port, None, None

    async def post(self, path: str, body: bytes, extra: str = "Content-Type: application/json\r\n"
                   ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                          f"{extra}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        data = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
            self.writer = None
        return status, headers, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def client(conn: Connection, rng: random.Random, hostile: list, stop: dict, log: list,
                 mix: dict[str, int], think: float) -> None:
    kinds, weights = list(mix), list(mix.values())
    if think > 0:  # students are reading when the run starts: 50 first clicks in one millisecond are no class
        await asyncio.sleep(rng.expovariate(1.0 / think))
    while time.monotonic() < stop["at"] and stop["left"] > 0:
        stop["left"] -= 1
        kind = rng.choices(kinds, weights)[0]
        expected = 200
        if kind == "recompute":
            point = {"x1": rng.uniform(-3, 3), "x2": rng.uniform(-3, 3), "w1": rng.uniform(-3, 3),
                     "w2": rng.uniform(-3, 3), "b": rng.uniform(-3, 3)}
            path, body = "/api/recompute", {"program": NEURON, "point": point}
        elif kind == "hostile":
            program, point, expected = rng.choice(hostile)
            path, body = "/api/recompute", {"program": program, "point": point}
        else:
            program, point = rng.choice(ORDINARY)
            path = {"program": "/api/program", "check": "/api/check", "steps": "/api/steps",
                    "graph": "/api/graph", "worksheet": "/api/worksheet"}[kind]
            body = {"program": program, "point": point, "format": "svg" if kind == "graph" else "md"}
        content = json.dumps(body).encode()  # ensure_ascii: lone surrogates of the corpus stay escaped
        t0 = time.perf_counter()
        try:
            status, headers, data = await conn.post(path, content)
            timing = headers.get("server-timing", "")
            error = json.loads(data).get("error") if status != 200 else None
        except (OSError, asyncio.IncompleteReadError, ValueError) as err:
            conn.close()
            conn.writer = None
            status, timing, error = 0, "", type(err).__name__
        ms = 1000 * (time.perf_counter() - t0)
        server_ms = float(timing.split("work;dur=")[1]) if "work;dur=" in timing else float("nan")
        log.append((kind, status, expected, ms, server_ms, error, time.monotonic() - stop["t0"]))
        if think > 0:  # a student reads the page between two actions
            await asyncio.sleep(rng.expovariate(1.0 / think))


def dead_program(tag: int, size: int = 9_990) -> str:
    """``size`` characters of statements the output never reads, then ``y = x*x``."""
    lines, total, i = [], len("y = x*x"), 0
    while True:
        line = f"d{i} = u*u + {tag}\n"
        if total + len(line) > size:
            break
        lines.append(line)
        total, i = total + len(line), i + 1
    return "".join(lines) + "y = x*x"


async def attacker(conn: Connection, kind: str, number: int, stop: dict, log: list) -> None:
    """One attacker in a closed loop: the worksheet bomb, or dead-statement programs and their sliders."""
    k = 0
    while time.monotonic() < stop["at"]:
        k += 1
        if kind == "bomb":
            calls = [("/api/worksheet", BOMB, "Content-Type: application/json\r\n", 413)]
        else:  # 9,990 characters of dead statements, new each time (no cache helps), then its sliders
            dead = dead_program(number * 100_000 + k)
            calls = [("/api/program", {"program": dead, "point": {"x": 1, "u": 1}}, "Content-Type: application/json\r\n",
                      200)] + [("/api/recompute", {"program": dead, "point": {"x": j, "u": 1}},
                                "Content-Type: application/json\r\n", 200) for j in range(5)]
        for path, body, extra, expected in calls:
            t0 = time.perf_counter()
            try:
                status, _, data = await conn.post(path, json.dumps(body).encode(), extra)
                error = json.loads(data).get("error") if status != 200 else None
            except (OSError, asyncio.IncompleteReadError, ValueError) as err:
                conn.close()
                conn.writer = None
                status, error = 0, type(err).__name__
            log.append((kind, status, expected, 1000 * (time.perf_counter() - t0), float("nan"), error))


async def slow_client(port: int, stop: dict, counts: dict) -> None:
    """Slow-loris: half a request head, then a byte a second; reconnect when the server hangs up."""
    while time.monotonic() < stop["at"]:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            counts["refused"] += 1
            await asyncio.sleep(1.0)
            continue
        counts["opened"] += 1
        writer.write(f"POST /api/program HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())
        try:
            while time.monotonic() < stop["at"]:
                await asyncio.sleep(1.0)
                writer.write(b"X")
                await writer.drain()
                if reader.at_eof():
                    break
                with contextlib.suppress(asyncio.TimeoutError):
                    if await asyncio.wait_for(reader.read(1), 0.01) == b"":
                        break
            else:
                continue
            counts["closed by the server"] += 1
        except OSError:
            counts["closed by the server"] += 1
        finally:
            writer.close()


async def drive(port: int, clients: int, duration: float, max_requests: int, seed: int,
                mix: dict[str, int], think: float, attack: bool = False) -> tuple[list, float, list, dict, list]:
    hostile = hostile_requests()
    stop = {"at": math.inf, "left": max_requests}
    log: list = []
    attacks: list = []
    counts: dict = {}
    conns = [Connection("127.0.0.1", port) for _ in range(clients)]
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    attackers = ctx.Process(target=attack_process, args=(port, duration, results), daemon=True) if attack else None
    try:
        ready = time.monotonic() + 180
        for program, point in ORDINARY:  # warm up: the workers start, compile caches, lazy imports
            body = json.dumps({"program": program, "point": point}).encode()
            while (await conns[0].post("/api/program", body))[0] != 200 and time.monotonic() < ready:
                await asyncio.sleep(0.5)
            # and one drag, as a student makes after typing it: the server process parses and compiles
            # a new program once, on its first recompute, and the 50 clients would all start with that one
            await conns[0].post("/api/recompute", body)
        if attackers is not None:  # in their own process: their load is the server's, not the clients' loop's
            attackers.start()
            results.get(timeout=60)   # started
        t0 = time.perf_counter()
        stop["t0"] = time.monotonic()
        stop["at"] = stop["t0"] + duration
        probe = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bench" / "slider_probe.py"), str(port), str(duration),
            stdout=asyncio.subprocess.PIPE)
        await asyncio.gather(*[client(conns[i], random.Random(seed * 1000 + i), hostile, stop, log, mix, think)
                               for i in range(clients)])
        elapsed = time.perf_counter() - t0
        probed = [tuple(row) for row in json.loads((await probe.communicate())[0])]
        if attackers is not None:
            attacks, counts = results.get(timeout=120)
            attackers.join(30)
    finally:
        for conn in conns:
            conn.close()
    return log, elapsed, attacks, counts, probed


def attack_process(port: int, duration: float, results: Any) -> None:
    """The attackers, in a process of their own; puts ("started") then (log, counts) on ``results``."""
    async def run() -> tuple[list, dict]:
        stop, log = {"at": time.monotonic() + duration}, []
        counts = {"opened": 0, "closed by the server": 0, "refused": 0}
        bad = [(Connection("127.0.0.1", port), kind, i) for i, kind in enumerate(["bomb"] * 2 + ["dead"] * 4)]
        results.put("started")
        await asyncio.gather(*[attacker(conn, kind, i, stop, log) for conn, kind, i in bad],
                             *[slow_client(port, stop, counts) for _ in range(SLOW_CLIENTS)])
        for conn, _, _ in bad:
            conn.close()
        return log, counts
    results.put(asyncio.run(run()))


def report_attacks(attacks: list, counts: dict) -> tuple[str, bool]:
    lines = ["", "Attackers (not counted above):", "",
             "| attack | requests | client p50 ms | client p99 ms | statuses |", "|---|---|---|---|---|"]
    for kind in ("bomb", "dead"):
        rows = [r for r in attacks if r[0] == kind]
        if rows:
            ms = [r[3] for r in rows]
            statuses = " ".join(f"{s}×{sum(r[1] == s for r in rows)}" for s in sorted({r[1] for r in rows}))
            lines.append(f"| {kind} | {len(rows)} | {statistics.median(ms):.1f} | {percentile(ms, 99):.1f} | {statuses} |")
    lines.append(f"| slow clients ({SLOW_CLIENTS}) | {counts['opened']} connections | | | "
                 f"{counts['closed by the server']} closed by the server, {counts['refused']} refused |")
    bad = [r for r in attacks if r[1] != r[2]]
    lines.append(f"- Unexpected attack statuses: {len(bad)}")
    for kind, status, expected, ms, _, error, *_ in bad[:10]:
        lines.append(f"  - {kind}: {status} ({error}), expected {expected}, after {ms:.0f} ms")
    return "\n".join(lines), not bad


def class_figures(log: list) -> tuple[float, float]:
    """The class's recompute p99 (ms) over the run, and over the requests sent after its first SETTLE s."""
    rows = [r for r in log if r[0] == "recompute"]
    return percentile([r[3] for r in rows], 99), percentile([r[3] for r in rows if r[6] >= SETTLE], 99)


def report(log: list, elapsed: float, clients: int, probed: list,
           target: float = TARGET_P99_MS) -> tuple[str, bool]:
    lines = [f"{len(log)} requests from {clients} concurrent clients in {elapsed:.1f} s: "
             f"**{len(log) / elapsed:.0f} requests/s**.", "",
             "| kind | requests | client p50 ms | client p99 ms | server p50 ms | server p99 ms | statuses |",
             "|---|---|---|---|---|---|---|"]
    for kind in MIX:
        rows = [r for r in log if r[0] == kind]
        if not rows:
            continue
        ms, srv = [r[3] for r in rows], [r[4] for r in rows if not math.isnan(r[4])]
        statuses = " ".join(f"{s}×{n}" for s, n in sorted({s: sum(r[1] == s for r in rows)
                                                            for s in {r[1] for r in rows}}.items()))
        lines.append(f"| {kind} | {len(rows)} | {statistics.median(ms):.1f} | {percentile(ms, 99):.1f} | "
                     f"{percentile(srv, 50):.1f} | {percentile(srv, 99):.1f} | {statuses} |")
    bad = [r for r in log if r[1] != r[2]] + [("probe", s, 200, ms, math.nan, None) for s, ms in probed if s != 200]
    drags = [ms for _, ms in probed]
    p99 = percentile(drags, 99) if drags else math.inf
    class_p99, settled = class_figures(log)
    lines += ["", f"- A student's slider (`bench/slider_probe.py`, {len(drags)} recomputes of the neuron from a "
              f"client process of its own): p50 {percentile(drags, 50) if drags else math.nan:.1f} ms, "
              f"p99 {p99:.1f} ms, max {max(drags, default=math.nan):.1f} ms.",
              f"- Target: that slider's p99 < {target:.0f} ms — **{'met' if p99 < target else 'not met'}**.",
              f"- The class's recompute p99 (client-observed): {class_p99:.1f} ms over the run, {settled:.1f} ms "
              f"after its first {SETTLE:g} s. The start is a burst: the clients' first requests, and under "
              f"--attack the attackers' 400 connections opening at once.",
              f"- Unexpected statuses: {len(bad)}" + (" (every error was its expected 4xx)." if not bad else ":")]
    for kind, status, expected, ms, _, error, *_ in bad[:20]:
        lines.append(f"  - {kind}: {status} ({error}), expected {expected}, after {ms:.0f} ms")
    return "\n".join(lines), not bad and p99 < target


def session(clients: int = 50, duration: float = 20.0, max_requests: int = 20_000, seed: int = 1,
            mix: dict[str, int] | None = None, think: float = 0.25, attack: bool = False) -> dict[str, Any]:
    """One run: start ``symgrad serve`` on a free port, wait for its workers, load it, stop it.

    Returns the report's ``text``, ``ok`` (every status as expected and the slider's target met),
    and the figures in ms: the slider's ``p50``, ``p99`` and ``max`` (``bench/slider_probe.py``),
    the class's recompute ``class_p99`` (client-observed; ``class_settled_p99`` after the first
    ``SETTLE`` s) and ``server_p99`` (its Server-Timing),
    and ``rate`` (the class's requests per second)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "symgrad", "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:  # until the worker processes have started: the page and sliders answer before that
            try:
                answer = httpx.get(url + "/api/limits", timeout=2)
                answer.raise_for_status()
                if answer.json().get("warm"):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        log, elapsed, attacks, counts, probed = asyncio.run(drive(
            port, clients, duration, max_requests, seed, mix or MIX, think, attack))
    finally:
        server.terminate()
        server.wait(10)
    text, ok = report(log, elapsed, clients, probed, ATTACK_P99_MS if attack else TARGET_P99_MS)
    if attack:
        more, calm = report_attacks(attacks, counts)
        text, ok = text + "\n" + more, ok and calm
    drags = [ms for _, ms in probed]
    recomputes = [r for r in log if r[0] == "recompute"]
    class_p99, settled = class_figures(log)
    return {"text": text, "ok": ok, "p50": percentile(drags, 50), "p99": percentile(drags, 99),
            "max": max(drags, default=math.nan), "class_p99": class_p99,
            "class_settled_p99": settled,
            "server_p99": percentile([r[4] for r in recomputes if not math.isnan(r[4])], 99),
            "rate": len(log) / elapsed,
            "unexpected": sum(r[1] != r[2] for r in log + attacks) + sum(s != 200 for s, _ in probed)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of load (default 20)")
    ap.add_argument("--max-requests", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--think", type=float, default=0.25,
                    help="mean pause (s, exponential) of a client between requests; 0: back to back (default 0.25)")
    ap.add_argument("--only", nargs="+", choices=tuple(MIX), help="send only these kinds (a diagnosis)")
    ap.add_argument("--attack", action="store_true",
                    help="attack the explorer meanwhile: bombs, dead-statement programs, cross-site and slow clients")
    args = ap.parse_args(argv)
    if not (1 <= args.clients <= 500 and 0 < args.duration <= 300 and 0 < args.max_requests <= 1_000_000):
        ap.error("keep it bounded: 1-500 clients, at most 300 s and 1,000,000 requests")
    result = session(args.clients, args.duration, args.max_requests, args.seed,
                     {k: w for k, w in MIX.items() if not args.only or k in args.only}, args.think, args.attack)
    print(result["text"])
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
