"""``symgrad serve --open``: the browser is opened once the server answers (never onto "connection
refused"), a machine with no browser is told so with the address, and stopping the server leaves
no worker process behind. The "browser" is $BROWSER, which Python's webbrowser runs."""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("uvicorn")
from symgrad.interface import serve  # noqa: E402
from helpers import ROOT  # noqa: E402

PROBE = "import sys, urllib.request; open(sys.argv[1], 'w').write(str(urllib.request.urlopen(sys.argv[2]).status))"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session(sid: int) -> list[int]:
    """Live processes of a session (Linux /proc; field 6 of stat is the session id)."""
    pids = []
    for name in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{name}/stat", encoding="utf-8").read()
        except (OSError, ValueError):
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if name.isdigit() and int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(name))
    return pids


def _serve_until(env: dict, port: int, done) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "symgrad", "serve", "--port", str(port), "--open",
                             "--workers", "2"], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    for _ in range(1200):   # a loaded machine starts the workers slowly
        if done(lines) or proc.poll() is not None:
            break
        time.sleep(0.1)
    return proc, lines


def _stop(proc: subprocess.Popen) -> list[int]:
    """Stop the server as a service manager would (SIGTERM to it alone); what of its session is left."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
        for _ in range(100):
            if not _session(proc.pid):
                break
            time.sleep(0.1)
        return _session(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGKILL) if _session(proc.pid) else None


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def test_open_runs_the_browser_once_the_page_answers_and_stop_leaves_no_worker(tmp_path):
    seen = tmp_path / "browser-saw"
    port = _free_port()
    env = _env(BROWSER=f"{sys.executable} -c \"{PROBE}\" {seen} %s")
    proc, lines = _serve_until(env, port, lambda _: seen.exists() and seen.read_text())
    left = _stop(proc)
    assert seen.read_text() == "200", "".join(lines)   # the browser's first request was answered
    assert not any("could not open" in line for line in lines)
    assert left == [], f"processes of the server still alive after it stopped: {left}"


def test_open_without_a_browser_says_so_with_the_address(tmp_path):
    port = _free_port()
    proc, lines = _serve_until(_env(BROWSER="false"), port, lambda ls: any("could not open" in x for x in ls))
    _stop(proc)
    said = [line for line in lines if "could not open" in line]
    assert said and f"http://127.0.0.1:{port}/" in said[0], "".join(lines)


def test_the_browser_is_opened_only_after_the_server_answers(monkeypatch):
    """A server that starts listening 1.5 s late: the browser is opened after, not before."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    opened = []
    up = threading.Event()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    def late():
        time.sleep(1.5)
        with http.server.HTTPServer(("127.0.0.1", port), Page) as httpd:
            up.set()
            httpd.handle_request()

    threading.Thread(target=late, daemon=True).start()
    monkeypatch.setattr(serve.webbrowser, "open", lambda u: opened.append((u, up.is_set())) or True)
    serve._open_when_ready(url)
    assert opened == [(url, True)]
