"""One student dragging a slider while ``serve_load.py`` loads the explorer: a lean client in a
process of its own, so that what it measures is the server's latency, not a load generator's.

    python bench/slider_probe.py PORT DURATION [THINK]

It sends the neuron's ``/api/recompute`` at a random point, waits for the answer, pauses
(exponential, mean ``THINK`` seconds, default 0.05), and repeats for ``DURATION`` seconds on one
keep-alive connection; then it prints a JSON list of ``[status, milliseconds]``.

It imports nothing of symgrad (nor SymPy), and its garbage collector is off while it runs (it
allocates a few kilobytes per request): its own pauses are not the server's. The class of 50
clients in ``serve_load.py`` share one event loop, so an answer there also waits for the
client's handling of the answers that arrived before it; that figure is reported beside this one.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import sys
import time

NEURON = "n = x1*w1 + x2*w2 + b; o = tanh(n)"   # the same program as serve_load.NEURON
INPUTS = ("x1", "x2", "w1", "w2", "b")


async def drag(port: int, duration: float, think: float, seed: int = 7) -> list[tuple[int, float]]:
    """``(status, ms)`` per recompute, for ``duration`` seconds."""
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    out: list[tuple[int, float]] = []
    stop = time.monotonic() + duration
    try:
        while time.monotonic() < stop:
            body = json.dumps({"program": NEURON, "point": {k: rng.uniform(-3, 3) for k in INPUTS}}).encode()
            t0 = time.perf_counter()
            writer.write(f"POST /api/recompute HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            length = next(int(line.partition(":")[2]) for line in head if line.lower().startswith("content-length:"))
            await reader.readexactly(length)
            out.append((int(head[0].split()[1]), 1000 * (time.perf_counter() - t0)))
            await asyncio.sleep(rng.expovariate(1.0 / think))
    finally:
        writer.close()
    return out


if __name__ == "__main__":
    gc.disable()
    port, duration = int(sys.argv[1]), float(sys.argv[2])
    think = float(sys.argv[3]) if len(sys.argv) > 3 else 0.05
    print(json.dumps(asyncio.run(drag(port, duration, think))))
