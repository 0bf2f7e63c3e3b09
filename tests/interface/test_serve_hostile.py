"""`symgrad serve` under hostile requests: only its own page is answered (Host, Origin,
Sec-Fetch-Site, JSON content type), a timeout frees its worker at once, slow and half-open
connections are cut off, heavy parsing stays off the event loop, and a bad --host, a busy port
or a client that leaves are one line, not a traceback.
"""

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
from starlette.testclient import TestClient  # noqa: E402

import symgrad as sg  # noqa: E402
from symgrad.interface.serve import actions  # noqa: E402
from symgrad.interface.serve import guards  # noqa: E402
from symgrad.interface.serve.app import create_app, running  # noqa: E402
from symgrad.interface.serve.server import GuardedH11  # noqa: E402
from helpers import ROOT  # noqa: E402

LOCAL = "http://127.0.0.1"
BOMB = {"program": "y = x * ((3^-999)^999)^200", "point": {"x": 1}, "format": "md"}
OK = {"program": "y = x*x", "point": {"x": 3}}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(processes=False, allow_hosts=("explorer.lan",)), base_url=LOCAL) as c:
        yield c


def error(response, status: int, name: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == name and "\n" not in response.json()["message"]


# --- only its own page ----------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil"])
def test_a_host_name_not_on_the_list_is_refused(client, host):
    """DNS rebinding: a page on evil.example that re-points its name to 127.0.0.1 sends Host: evil.example."""
    error(client.post("/api/program", json=OK, headers={"host": host}), 403, "ForbiddenHost")
    error(client.get("/", headers={"host": host}), 403, "ForbiddenHost")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8000", "localhost:8000", "[::1]:8000", "explorer.lan:80"])
def test_the_bound_address_localhost_and_allowed_names_are_answered(client, host):
    assert client.post("/api/program", json=OK, headers={"host": host}).json()["value"] == 9.0


def test_bound_to_every_address_any_ip_is_answered_but_no_other_name():
    with TestClient(create_app(processes=False, host="0.0.0.0"), base_url="http://192.168.1.20:8000") as c:
        assert c.get("/api/limits").status_code == 200
        error(c.get("/api/limits", headers={"host": "evil.example"}), 403, "ForbiddenHost")


@pytest.mark.parametrize("headers", [
    {"origin": "http://evil.example"}, {"origin": "null"}, {"origin": "http://127.0.0.1:9999"},
    {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"},
])
def test_a_request_from_another_site_is_refused(client, headers):
    error(client.post("/api/worksheet", json=BOMB, headers=headers), 403, "CrossSiteRequest")


@pytest.mark.parametrize("headers", [
    {"origin": "http://127.0.0.1"}, {"sec-fetch-site": "same-origin"}, {"sec-fetch-site": "none"}, {},
])
def test_its_own_page_and_non_browser_clients_are_answered(client, headers):
    assert client.post("/api/program", json=OK, headers=headers).status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""])
def test_a_body_not_declared_json_is_refused(client, content_type):
    """A cross-site form or no-cors fetch can send these without a preflight; JSON needs one."""
    r = client.post("/api/program", content=json.dumps(OK).encode(), headers={"content-type": content_type})
    error(r, 415, "UnsupportedMediaType")


def test_the_worksheet_bombs_are_refused_at_once_by_their_digits(client):
    for _ in range(2):
        r = client.post("/api/worksheet", json=BOMB)
        error(r, 413, "LimitError")
        assert "max_exact_digits" in r.json()["message"] and r.json()["column"] == 11
    assert client.post("/api/program", json=OK).json()["value"] == 9.0


COLLAPSE = "y = (" + " + ".join(f"x/{p}" for p in (1009, 1013, 1019, 1021, 1031, 1033, 1039, 1049, 1051, 1061,
                                                   1063, 1069)) + ")^80"   # like terms: x·(Σ 1/p), then ^80


@pytest.mark.parametrize("program, column", [("y = x * ((3^-99)^99)^99", 11), ("y = (x*3^99)^99", 6),
                                             (COLLAPSE, 6)])
@pytest.mark.parametrize("path", ["/api/worksheet", "/api/check"])
def test_constants_folded_into_a_coefficient_are_a_413_not_a_500(client, path, program, column):
    # at x = 1e-45, (x*3^99)^99 is about 170^99, finite in float64: only its exact form is too big
    r = client.post(path, json={"program": program, "point": {"x": 1e-45}, "format": "md"})
    error(r, 413, "LimitError")
    assert "max_exact_digits" in r.json()["message"] and r.json()["column"] == column


# --- a timeout frees its worker ---------------------------------------------------------------------

def test_a_request_past_its_timeout_frees_its_worker_process_at_once():
    """With the digit bound raised, the bombs run for minutes: past the timeout each worker is
    killed and replaced by a warm one, so the next request is answered, not queued behind them."""
    limits = actions.WEB_LIMITS.with_(max_exact_digits=10 ** 9)
    with TestClient(create_app(timeout=3.0, workers=2, limits=limits), base_url=LOCAL) as c:
        pool = c.app.state.pools[0]
        before = pool.pids()
        for _ in range(2):
            error(c.post("/api/worksheet", json=BOMB), 503, "Timeout")
        r = c.post("/api/check", json=OK)
        assert r.status_code == 200 and r.json()["rows"][0]["backprop"] == 6.0
        deadline = time.monotonic() + 30
        while (set(before) & set(pool.pids()) or len(pool.pids()) != 2) and time.monotonic() < deadline:
            time.sleep(0.05)    # the second replacement may still be starting
        assert len(pool.pids()) == 2 and not set(before) & set(pool.pids())  # both bombs' workers are gone


def switching_chain(n: int) -> str:
    """n statements, each a where reading the last and both inputs: every read of x and y is an
    edge that crosses ranks, so dot's layout grows much faster than the node count."""
    return "; ".join(["a0 = x*y"] + [f"a{i} = where(a{i-1} > 0.5, sin(a{i-1})*a{i-1} + y, exp(-a{i-1})*x)"
                                     for i in range(1, n)])


def children_of(pids: list[int]) -> dict[int, str]:
    """The child processes of ``pids`` now: pid -> command name (Linux /proc)."""
    found = {}
    for pid in pids:
        for task in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else ():
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                for kid in map(int, fh.read().split()):
                    with contextlib.suppress(OSError), open(f"/proc/{kid}/comm", encoding="utf-8") as comm:
                        found[kid] = comm.read().strip()
    return found


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie (killed, not yet reaped by whoever inherited it) is dead."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self/task") or shutil.which("dot") is None,
                    reason="reads child processes from Linux /proc; needs Graphviz's dot")
def test_a_graph_request_past_its_timeout_leaves_no_dot_running():
    """With the layout bounds raised, dot lays out a 120-statement switching chain for minutes:
    past the timeout the worker and the dot it started are killed together (its process group),
    not dot left running under PID 1."""
    import threading
    limits = actions.WEB_LIMITS.with_(max_graph_nodes=10 ** 5, max_graph_layout=10 ** 9)
    body = {"program": switching_chain(120), "point": {"x": 0.7, "y": 0.3}, "format": "svg"}
    assert len(body["program"]) <= limits.max_chars
    with TestClient(create_app(timeout=8.0, workers=1, limits=limits), base_url=LOCAL) as c:
        workers = c.app.state.pools[0].pids()
        answer: list = []
        request = threading.Thread(target=lambda: answer.append(c.post("/api/graph", json=body)))
        request.start()
        dots: set[int] = set()
        while request.is_alive():       # the dot the worker starts, seen by its pid
            dots |= {pid for pid, name in children_of(workers).items() if name == "dot"}
            time.sleep(0.02)
        request.join()
        try:
            error(answer[0], 503, "Timeout")
            assert dots, "the worker never started dot"
            deadline = time.monotonic() + 30    # the kill is sent at the timeout; the kernel ends it
            while any(map(alive, dots)) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not any(map(alive, dots)), f"dot {sorted(dots)} still runs after its request timed out"
        finally:
            for pid in filter(alive, dots):  # only the dot this test made the server start
                os.kill(pid, 9)


def descendants(pid: int) -> dict[int, str]:
    """Every process under ``pid`` now: pid -> command name (Linux /proc)."""
    found, todo = {}, [pid]
    while todo:
        kids = children_of(todo)
        todo = [k for k in kids if k not in found]
        found.update(kids)
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/task") or shutil.which("dot") is None,
                    reason="reads child processes from Linux /proc; needs Graphviz's dot")
def test_a_server_killed_mid_request_leaves_no_worker_or_dot_running():
    """kill -9 of the server while a worker's dot lays out a graph for minutes (layout bounds raised):
    the fork server sees its pipe close and exits, and the worker, orphaned, kills its own process
    group, dot included, within a second; before, both ran on under PID 1 until dot ended."""
    import threading
    import urllib.request
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "symgrad", "serve", "--port", str(port), "--timeout", "120",
                               "--limit", "max_graph_nodes=100000", "--limit", "max_graph_layout=1000000000"],
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    seen: dict[int, str] = {}

    def post() -> None:
        body = json.dumps({"program": switching_chain(120), "point": {"x": 0.7, "y": 0.3}, "format": "svg"})
        request = urllib.request.Request(url + "/api/graph", body.encode(), {"Content-Type": "application/json"})
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=150).read()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError):
                if json.loads(urllib.request.urlopen(url + "/api/limits", timeout=5).read()).get("warm"):
                    break
            time.sleep(0.2)
        threading.Thread(target=post, daemon=True).start()
        deadline = time.monotonic() + 60
        while "dot" not in seen.values() and time.monotonic() < deadline:
            seen = descendants(server.pid)
            time.sleep(0.05)
        assert "dot" in seen.values(), f"the worker never started dot: {seen}"
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        deadline = time.monotonic() + 15
        while any(map(alive, seen)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert {pid: name for pid, name in seen.items() if alive(pid)} == {}
    finally:
        for pid in filter(alive, seen):   # only what this test's server started
            os.kill(pid, signal.SIGKILL)
        if server.poll() is None:
            server.kill()


@pytest.mark.skipif(not hasattr(os, "getsid"), reason="POSIX sessions and process groups")
def test_workers_give_way_to_the_event_loop_in_the_servers_own_session():
    """A worker runs at nice 10 in a process group of its own (killed whole, dot included) but in
    the server's session. Linux's autogroup scheduler shares the CPU between sessions as equals:
    four workers in sessions of their own took a third of a core each beside the event loop
    whatever their nice, and a slider's p99 under attack was 120 ms (bench/serve_load.py)."""
    with TestClient(create_app(workers=2), base_url=LOCAL) as c:
        pids = [pid for pool in c.app.state.pools for pid in pool.pids()]
        assert len(pids) == 4
        deadline = time.monotonic() + 30
        while any(os.getpgid(pid) != pid for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)    # a worker leaves its parent's group as its loop starts
        for pid in pids:
            assert os.getpgid(pid) == pid, "a worker shares a process group: a timeout would not kill its dot"
            assert os.getsid(pid) == os.getsid(0), "a worker leads a session: autogroup ignores its nice"
            assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)


# A child under a terminal of its own (pty.fork: it leads the session, its group is in the
# foreground) with `stty tostop` set, as a user's shell may: a worker process logs a line on stderr,
# the terminal, as the server's log of an internal error does.
_TOSTOP_CHILD = """
import asyncio, logging, termios, time
from symgrad.interface.serve.workers import Pool
attrs = termios.tcgetattr(0)
attrs[3] |= termios.TOSTOP
termios.tcsetattr(0, termios.TCSANOW, attrs)
async def main():
    pool = Pool(1, 2, "tostop", processes=True)
    await pool.warm()
    try:
        await pool.run(10.0, logging.getLogger("symgrad.serve").error, "a worker's line for the log")
        print("answered", flush=True)
    except Exception as err:
        print("refused:", err, flush=True)
    finally:
        pool.shutdown()
asyncio.run(main())
"""


@pytest.mark.skipif(not hasattr(os, "setpgid") or sys.platform == "win32", reason="POSIX terminals and job control")
def test_a_worker_writes_its_log_to_a_tostop_terminal_without_being_stopped():
    """A worker leads a process group of its own in the terminal's session, a group never in the
    foreground: under `stty tostop` its first write to the terminal would stop it (SIGTTOU), the
    request would wait for its timeout and the log would lose the line. It ignores SIGTTOU, so it
    writes as a process of the server's own group would."""
    import pty
    import select
    pid, master = pty.fork()
    if pid == 0:    # the child: only exec (the test process's threads are not ours to run here)
        os.execv(sys.executable, [sys.executable, "-c", _TOSTOP_CHILD])
    out = b""
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    chunk = os.read(master, 4096)
                except OSError:     # the child is gone: the terminal reads EIO
                    break
                if not chunk:
                    break
                out += chunk
    finally:
        os.close(master)
        with contextlib.suppress(OSError):
            os.kill(pid, 9)
        os.waitpid(pid, 0)
    text = out.decode(errors="replace")
    assert "a worker's line for the log" in text and "answered" in text, text


# --- the event loop does no heavy parsing -------------------------------------------------------------

def test_a_long_program_of_dead_statements_is_not_parsed_on_the_event_loop():
    dead = "".join(f"d{i} = u*u + {i}\n" for i in range(600)) + "y = x*x"   # 9,987 characters
    assert 9_000 < len(dead) <= actions.WEB_LIMITS.max_chars
    with TestClient(create_app(timeout=60.0), base_url=LOCAL) as client:
        parsed_where(client, dead)


def parsed_where(client, dead: str) -> None:
    assert client.post("/api/program", json={"program": dead, "point": {"x": 1, "u": 1}}).status_code == 200
    actions.COMPILED.items.clear()
    r = client.post("/api/recompute", json={"program": dead, "point": {"x": 3, "u": 1}})
    assert r.json()["value"] == 9.0
    assert all(text != dead for text, _ in actions.COMPILED.items)  # parsed by a worker, not here
    small = "y = x*x + 1"
    assert client.post("/api/program", json={"program": small, "point": {"x": 1}}).status_code == 200
    assert client.post("/api/recompute", json={"program": small, "point": {"x": 2}}).json()["value"] == 5.0
    assert any(text == small for text, _ in actions.COMPILED.items)  # a short one stays on the loop


# --- connections: deadlines, a cap, a client that leaves ---------------------------------------------------

def raw(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def get_limits(url: str) -> int:
    with raw(url) as s:
        s.sendall(f"GET /api/limits HTTP/1.1\r\nHost: {url[7:]}\r\nConnection: close\r\n\r\n".encode())
        return int(s.recv(64).split()[1])


def closed_by_server(s: socket.socket) -> bool:
    s.settimeout(10)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def test_half_open_connections_are_closed_and_cannot_pin_the_server(monkeypatch):
    monkeypatch.setattr(GuardedH11, "head_timeout", 1.0)
    with running(create_app(processes=False)) as url:
        loris = [raw(url) for _ in range(400)]
        for s in loris:
            s.sendall(b"POST /api/program HTTP/1.1\r\nHost: 127.0.0.1\r\n")   # and never the rest
        assert get_limits(url) == 200
        for s in loris[:20]:
            s.sendall(b"X-a: b\r\n")      # a trickle does not extend the deadline
        assert all(closed_by_server(s) for s in loris)
        for s in loris:
            s.close()
        assert get_limits(url) == 200


def test_past_the_connection_cap_the_longest_waiting_is_closed(monkeypatch):
    monkeypatch.setattr(GuardedH11, "max_connections", 30)
    with running(create_app(processes=False)) as url:
        idle = [raw(url) for _ in range(60)]
        time.sleep(0.5)
        assert get_limits(url) == 200
        assert closed_by_server(idle[0])
        for s in idle:
            s.close()


def test_a_trickled_body_is_cut_off_with_408(monkeypatch):
    monkeypatch.setattr(guards, "BODY_TIMEOUT", 1.0)
    with running(create_app(processes=False)) as url, raw(url) as s:
        s.sendall(f"POST /api/program HTTP/1.1\r\nHost: {url[7:]}\r\nContent-Type: application/json\r\n"
                  "Content-Length: 100\r\n\r\n{".encode())
        s.settimeout(10)
        assert s.recv(4096).split()[1] == b"408"


def test_a_client_that_leaves_is_not_an_internal_error(caplog):
    with running(create_app(processes=False)) as url:
        with caplog.at_level(logging.INFO):
            with raw(url) as s:
                s.sendall(f"POST /api/program HTTP/1.1\r\nHost: {url[7:]}\r\nContent-Type: application/json\r\n"
                          "Content-Length: 100\r\n\r\n{".encode())
                time.sleep(0.3)
            time.sleep(0.5)
            assert get_limits(url) == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.text


# --- the command line ------------------------------------------------------------------------------

def serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symgrad", "serve", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


@pytest.mark.parametrize("host", ["10.255.255.1", "203.0.113.9"])   # not this machine's (no DNS asked)
def test_a_bad_host_is_one_line_and_exit_2(host):
    proc = serve("--host", host, "--port", "8765")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("symgrad: error: ") and "Traceback" not in proc.stderr


def test_a_busy_port_is_one_line_and_exit_2():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        proc = serve("--port", str(busy.getsockname()[1]))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("symgrad: error: ") and "in use" in proc.stderr


def test_limits_docs_name_the_digit_bound():
    assert "max_exact_digits" in (ROOT / "docs" / "security.md").read_text()
    assert sg.Limits().max_exact_digits == 4_000


# --- a worker's memory is capped ----------------------------------------------------------------------

def test_a_worker_over_its_memory_cap_answers_503_and_is_replaced():
    """A request that needs more memory than the cap gets 503 LimitError (not the machine's memory),
    its worker process is replaced, and the pool answers the next request at once."""
    import asyncio

    from symgrad.interface.serve.guards import ApiError
    from symgrad.interface.serve.workers import Pool

    async def scenario() -> tuple[ApiError, bytearray, list[int], list[int]]:
        pool = Pool(1, 4, "capped", processes=True, memory=64 << 20)
        try:
            await pool.warm()
            before = pool.pids()
            with pytest.raises(ApiError) as over:
                await pool.run(60.0, bytearray, 512 << 20)     # 512 MiB, over the 64 MiB cap
            small = await pool.run(60.0, bytearray, 16)         # a fresh worker answers
            return over.value, small, before, pool.pids()
        finally:
            pool.shutdown()

    err, small, before, after = asyncio.run(scenario())
    assert err.status == 503 and err.error == "LimitError" and "64 MiB" in err.message
    assert small == bytearray(16) and len(after) == 1 and after != before
