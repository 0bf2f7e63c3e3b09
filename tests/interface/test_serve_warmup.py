"""`symgrad serve` answers its page while its worker processes warm up: the page, a program's
first analysis, the sliders, the steps and the graph are answered on the server's own thread
at once; a check (SymPy) waits for a warm worker. The start's wall time is measured in
bench/serve_start_bench.py, not here.
"""

import threading
import time

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
from starlette.testclient import TestClient  # noqa: E402

from symgrad.interface.serve import workers  # noqa: E402
from symgrad.interface.serve.app import create_app  # noqa: E402

LOCAL = "http://127.0.0.1"
# The lecture's example (micrograd, "building micrograd"): L = (a*b + c)*f at a=2, b=-3, c=10, f=-2;
# by hand L = -8, dL/da = b*f = 6, dL/db = a*f = -4, dL/dc = f = -2, dL/df = a*b + c = 4.
LECTURE = {"program": "e = a*b; d = e + c; L = d*f", "point": {"a": 2, "b": -3, "c": 10, "f": -2}}


@pytest.fixture
def held_workers(monkeypatch):
    """Worker processes that cannot finish warming up until the test lets them."""
    gate = threading.Event()
    start = workers.Pool._start

    def held(self):
        gate.wait(60)
        start(self)

    monkeypatch.setattr(workers.Pool, "_start", held)
    try:
        yield gate
    finally:
        gate.set()


def test_the_page_and_its_light_requests_are_answered_before_the_workers_are_warm(held_workers):
    with TestClient(create_app(wait=False, timeout=30.0), base_url=LOCAL) as c:
        heavy, light = c.app.state.pools
        page = c.get("/")
        assert page.status_code == 200 and "<html" in page.text.lower()
        r = c.post("/api/program", json=LECTURE)
        assert r.status_code == 200, r.text
        assert r.json()["value"] == -8.0
        assert {k: r.json()["grads"][k] for k in "abcf"} == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
        moved = c.post("/api/recompute", json={**LECTURE, "point": {**LECTURE["point"], "f": 3}})
        assert moved.status_code == 200 and moved.json()["value"] == 12.0  # (2*-3 + 10)*3
        assert c.post("/api/steps", json=LECTURE).status_code == 200
        graph = c.post("/api/graph", json={**LECTURE, "format": "svg"})
        assert graph.status_code == 200 and b"<svg" in graph.content
        assert not heavy.warmed and not light.warmed and heavy.pids() == []  # none of it waited for a worker
        assert c.get("/api/limits").json()["warm"] is False
        assert c.app.state.answering.wait(30)
        held_workers.set()
        checked = c.post("/api/check", json=LECTURE)  # SymPy: on a warm worker process
        assert checked.status_code == 200, checked.text
        deadline = time.monotonic() + 30
        while not heavy.warmed and time.monotonic() < deadline:
            time.sleep(0.05)  # the second worker may still be forking
        assert heavy.warmed and len(heavy.pids()) == 2
        while not light.warmed and time.monotonic() < deadline:
            time.sleep(0.05)
        assert c.get("/api/limits").json()["warm"] is True


def test_open_waits_until_the_page_can_be_answered(monkeypatch):
    import webbrowser

    from symgrad.interface import serve

    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    app = create_app(wait=False, processes=False)
    waiting = threading.Thread(target=serve._open_when_ready, args=("http://127.0.0.1:8000/", app))
    waiting.start()
    waiting.join(0.5)
    assert opened == []             # the server has not started: no browser yet
    with TestClient(app, base_url=LOCAL):
        waiting.join(30)
        assert opened == ["http://127.0.0.1:8000/"] and app.state.answering.is_set()


def test_the_fork_servers_preload_leaves_a_check_and_a_worksheet_nothing_to_import():
    """Every worker is forked from the fork server after it imported ``preload``: what that
    imported and exercised, a teacher's first check and first worksheet do not wait for."""
    import json
    import os
    import subprocess
    import sys

    from helpers import ROOT

    probe = ("import gc, json, sys\n"
             "before = set(sys.modules)\n"
             "import symgrad.interface.serve.preload\n"
             "from symgrad.gradcheck import row_forms\n"
             "print(json.dumps({'modules': sorted(set(sys.modules) - before),"
             " 'forms': [k[0] for k in row_forms._FORMS], 'frozen': gc.get_freeze_count()}))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    for module in ("sympy", "symgrad.gradcheck.check", "symgrad.teaching.worksheet", "symgrad.teaching.sheets",
                   "jinja2", "matplotlib.figure"):
        assert module in got["modules"], module
    assert "mul" in got["forms"]          # the check ran: its row forms are built, and shared by every fork
    assert got["frozen"] > 0              # and frozen, so a worker's collections never copy them
