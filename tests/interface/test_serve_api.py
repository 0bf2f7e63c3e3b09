"""`symgrad serve`'s JSON API through Starlette's TestClient: answers, errors, limits,
timeouts, capacity, and the hostile corpus (no 500, no raw exception, ever)."""

import io
import json
import math
import os
import subprocess
import sys
import threading
import time
import warnings
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
with warnings.catch_warnings():  # Starlette 1.x suggests httpx2; httpx is what its TestClient runs on here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

import symgrad as sg  # noqa: E402
from symgrad.interface.serve import app as app_module  # noqa: E402
from symgrad.interface.serve import actions  # noqa: E402
from symgrad.interface.serve.app import STATIC, create_app  # noqa: E402
from symgrad.teaching.sheets import RENDERERS  # noqa: E402

from helpers.hostile_corpus import CASES  # noqa: E402

from helpers import ROOT  # noqa: E402
L_PROGRAM = "e = a*b; d = e + c; L = d*f"
L_POINT = {"a": 2, "b": -3, "c": 10, "f": -2}
NEURON = "n = x1*w1 + x2*w2 + b; o = tanh(n)"
LOCAL = "http://127.0.0.1"   # the Host the explorer answers to (it refuses other names: DNS rebinding)


@pytest.fixture(scope="module")
def client():
    # A long timeout: under a loaded machine (xdist) the worker processes' warm-up can take
    # seconds; the timeout itself is tested with its own app below.
    with TestClient(create_app(timeout=120.0), raise_server_exceptions=False, base_url=LOCAL) as c:
        yield c


def assert_error(response, status: int, error: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert isinstance(body["message"], str) and body["message"] and "\n" not in body["message"]
    assert "Traceback" not in response.text
    return body


def test_program_gives_value_grads_nodes_ranges_and_a_graph_with_stable_ids(client):
    r = client.post("/api/program", json={"program": L_PROGRAM, "point": L_POINT})
    assert r.status_code == 200
    data = r.json()
    assert data["value"] == -8.0 and data["output"] == "L"
    assert data["grads"] == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0, "L": 1.0}
    # the lecture's numbers in sg.draw's node order: a, b, e, c, d, f, L
    assert [n["data"] for n in data["nodes"]] == ["2.0000", "-3.0000", "-6.0000", "10.0000", "4.0000", "-2.0000",
                                                  "-8.0000"]
    assert [n["grad"] for n in data["nodes"]] == ["6.0000", "-4.0000", "-2.0000", "-2.0000", "-2.0000", "4.0000",
                                                  "1.0000"]
    svg = data["svg"]
    assert svg.startswith("<svg") and "<!--" not in svg and "id=\"node" not in svg
    for i, label in enumerate("abecdfL"):
        assert f'<text id="sg-n{i}-label" ' in svg and f'>{label}</text>' in svg
        assert f'id="sg-n{i}-grad"' in svg and f'id="sg-n{i}-data"' in svg
    assert f'id="sg-n0-grad" text-anchor="middle"' in svg and ">grad 6.0000<" in svg
    assert client.post("/api/program", json={"program": L_PROGRAM, "point": L_POINT}).json()["svg"] == svg
    assert [i["name"] for i in data["inputs"]] == ["a", "b", "c", "f"]
    a = data["inputs"][0]
    assert a["min"] < 2.0 < a["max"] and a["step"] > 0


def test_slider_range_follows_the_domain(client):
    """The slider stays in the stretch of the domain that holds the value."""
    data = client.post("/api/program", json={"program": "y = log(x) + sqrt(u - 1) + 1/w + z*z",
                                             "point": {"x": 1, "u": 3, "w": -2, "z": 0.5}}).json()
    ranges = {i["name"]: (i["min"], i["max"]) for i in data["inputs"]}
    assert 0 < ranges["x"][0] <= 1.0 < ranges["x"][1]       # log: x > 0
    assert 1 < ranges["u"][0] <= 3.0 < ranges["u"][1]       # sqrt(u - 1): u >= 1
    assert ranges["w"][0] < -2.0 <= ranges["w"][1] < 0     # 1/w: the side of the pole w is on
    assert ranges["z"][0] < 0 < ranges["z"][1]             # z*z: everywhere


def test_a_new_program_starts_missing_inputs_at_one_and_drops_stale_names(client):
    data = client.post("/api/program", json={"program": "y = x*x", "point": {"gone": 5}}).json()
    assert data["point"] == {"x": 1.0} and data["value"] == 1.0 and data["grads"]["x"] == 2.0
    # every other endpoint takes the point as given: the library names the problem
    for path in ("/api/recompute", "/api/steps", "/api/check", "/api/worksheet", "/api/graph"):
        body = {"program": "y = x*z", "point": {"x": 1}, "format": "svg" if path == "/api/graph" else "md"}
        assert "z" in assert_error(client.post(path, json=body), 422, "MissingInputError")["message"]
        body["point"] = {"x": 1, "z": 2, "gone": 5}
        assert "gone" in assert_error(client.post(path, json=body), 422, "InputError")["message"]


def test_recompute_matches_a_hand_derivation_of_the_neuron(client):
    for x1, w1, b in [(2.0, -3.0, 6.8813735870195432), (0.5, 1.25, -0.3), (-1.0, 0.1, 2.0)]:
        point = {"x1": x1, "x2": 0.0, "w1": w1, "w2": 1.0, "b": b}
        data = client.post("/api/recompute", json={"program": NEURON, "point": point}).json()
        o = math.tanh(x1 * w1 + b)
        assert data["value"] == pytest.approx(o, rel=1e-15)
        assert data["grads"]["x1"] == pytest.approx((1 - o * o) * w1, rel=1e-12)
        assert data["grads"]["w2"] == 0.0
        assert data["nodes"][-1] == {"data": f"{o:.4f}", "grad": "1.0000"}


def test_steps_walk_the_backward_pass_in_reverse_topological_order(client):
    data = client.post("/api/steps", json={"program": L_PROGRAM, "point": L_POINT}).json()
    assert data["names"] == ["a", "b", "e", "c", "d", "f", "L"]
    assert [(s["node"], s["index"], s["rule"]) for s in data["steps"]] == [
        ("L", 6, "product rule"), ("d", 4, "sum rule"), ("e", 2, "product rule")]
    e = data["steps"][2]
    assert [(t["child"], t["child_index"], t["local"], t["upstream"], t["product"]) for t in e["terms"]] == [
        ("a", 0, -3.0, -2.0, 6.0), ("b", 1, 2.0, -2.0, -4.0)]


def test_check_rows_and_verdicts(client):
    data = client.post("/api/check", json={"program": L_PROGRAM, "point": L_POINT}).json()
    assert data["ok"] is True
    assert [(r["name"], r["verdict"]) for r in data["rows"]] == [(n, "agree") for n in "abcfedL"]


def test_the_formats_are_the_renderer_table(client):
    """The page's menu comes from /api/formats, which reads the renderer table: a new renderer shows
    up in the menu, the download and the CLI without another list to edit."""
    shown = client.get("/api/formats").json()
    assert [f["format"] for f in shown["worksheet"]] == list(RENDERERS)
    assert all(f["label"] == RENDERERS[f["format"]].label != "" for f in shown["worksheet"])
    assert [f["format"] for f in shown["graph"]] == list(actions.GRAPH_TYPES)
    page = (STATIC / "index.html").read_text(encoding="utf-8") + (STATIC / "app.js").read_text(encoding="utf-8")
    assert "<option" not in page and not any(f'"{fmt}"' in page for fmt in RENDERERS if fmt != "html"), \
        "the page keeps no format list of its own"


@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_worksheet_export_is_the_cli_output_byte_for_byte(client, fmt, tmp_path):
    r = client.post("/api/worksheet", json={"program": L_PROGRAM, "point": L_POINT, "format": fmt})
    assert r.status_code == 200
    out = tmp_path / f"worksheet.{fmt}"
    subprocess.run([sys.executable, "-m", "symgrad", "worksheet", L_PROGRAM, "--at", "a=2", "b=-3", "c=10", "f=-2",
                    "-o", str(out)], check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    written = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    if len(written) == 1:  # one self-contained file (html, ipynb)
        assert r.headers["content-disposition"] == f'attachment; filename="worksheet.{fmt}"'
        assert list(written) == [f"worksheet.{fmt}"]
        assert r.content == written[f"worksheet.{fmt}"]
    else:  # the text links its pictures: a zip of every file the command wrote, byte for byte
        assert r.headers["content-disposition"] == f'attachment; filename="worksheet-{fmt}.zip"'
        with zipfile.ZipFile(io.BytesIO(r.content)) as bundle:
            assert {name: bundle.read(name) for name in bundle.namelist()} == written
        assert len(written) >= 2
        again = client.post("/api/worksheet", json={"program": L_PROGRAM, "point": L_POINT, "format": fmt})
        assert again.content == r.content  # same input, same bytes


def test_graph_export_svg_and_png(client):
    svg = client.post("/api/graph", json={"program": L_PROGRAM, "point": L_POINT, "format": "svg"})
    assert svg.headers["content-type"] == "image/svg+xml" and b"grad 6.0000" in svg.content
    assert svg.content == sg.draw(L_PROGRAM, L_POINT).pipe(format="svg")
    png = client.post("/api/graph", json={"program": L_PROGRAM, "point": L_POINT, "format": "png"})
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG\r\n\x1a\n")


# --- errors -------------------------------------------------------------------------------------

def test_parse_error_carries_line_column_caret_and_hint(client):
    body = assert_error(client.post("/api/program", json={"program": "x = 1\ny = 2x + 1"}), 422, "ParseError")
    assert (body["line"], body["column"]) == (2, 6)
    assert body["details"] == "  y = 2x + 1\n       ^"
    assert "2*x" in body["hint"] and body["message"].startswith("2:6: ")


@pytest.mark.parametrize("program, point, error", [
    ("y = log(x)", {"x": -1}, "DomainError"),
    ("y = 1/x", {"x": 0}, "DomainError"),
    ("y = x*z", {"x": "abc", "z": 1}, "InputError"),
    ("y = foo(x)", {}, "UnknownFunctionError"),
    ("y = x; y = 2", {}, "DuplicateAssignmentError"),
])
def test_program_and_point_errors_are_422_json(client, program, point, error):
    paths = ["/api/program", "/api/recompute", "/api/steps", "/api/worksheet", "/api/graph"]
    if error != "DomainError":  # the check reports a point outside the domain as a verdict, not an error
        paths.append("/api/check")
    for path in paths:
        assert_error(client.post(path, json={"program": program, "point": point, "format": "svg"
                                             if path == "/api/graph" else "md"}), 422, error)


@pytest.mark.parametrize("body, content", [
    (b"{not json", "application/json"), (b"[1, 2]", "application/json"), (b'{"program": 3}', "application/json"),
    (b'{"program": "x", "point": [1]}', "application/json"), (b'{"program": "x", "point": {"x": true}}', "application/json; charset=utf-8"),
    (b"\xff\xfe", "application/json"), (b"[" * 100_000, "application/json"),
])
def test_malformed_requests_are_400_json(client, body, content):
    assert_error(client.post("/api/program", content=body, headers={"content-type": content}), 400, "BadRequest")


def test_bad_format_and_unknown_routes(client):
    assert_error(client.post("/api/worksheet", json={"program": "x", "format": "exe"}), 400, "BadRequest")
    assert_error(client.post("/api/graph", json={"program": "x", "format": "pdf"}), 400, "BadRequest")
    assert_error(client.get("/api/nothing"), 404, "NotFound")
    assert_error(client.get("/api/program"), 405, "MethodNotAllowed")


def test_limits_answer_413(client):
    big = "y = " + " + ".join(["x"] * 6000)            # 18,000 characters > max_chars 10,000
    body = assert_error(client.post("/api/program", json={"program": big}), 413, "LimitError")
    assert "max_chars" in body["message"]
    wide = "y = " + " + ".join(f"x{i}" for i in range(400))  # 799 graph nodes > max_graph_nodes
    body = assert_error(client.post("/api/program", json={"program": wide}), 413, "LimitError")
    assert "max_graph_nodes" in body["message"]
    huge = {"program": "x", "pad": "x" * (app_module.MAX_BODY + 1)}
    assert "over 131072 bytes" in assert_error(client.post("/api/program", json=huge), 413, "LimitError")["message"]

    def chunks():  # no content-length: the stream is cut at the cap
        for _ in range(200):
            yield b" " * 1024
    assert_error(client.post("/api/program", content=chunks(), headers={"content-type": "application/json"}), 413,
                 "LimitError")


def test_limits_are_configurable_and_shown():
    with TestClient(create_app(limits=sg.Limits(max_chars=50), processes=False), base_url=LOCAL) as c:
        assert_error(c.post("/api/program", json={"program": "y = " + "x + " * 20 + "x"}), 413, "LimitError")
        shown = c.get("/api/limits").json()
        assert shown["limits"]["max_chars"] == 50 and shown["timeout"] == 10.0
    assert actions.WEB_LIMITS.max_chars == 10_000 and actions.WEB_LIMITS.max_nodes == 10_000


def test_timeout_answers_503_and_keeps_the_slot_until_the_work_ends(monkeypatch):
    release = threading.Event()

    def slow(text, point, limits):
        release.wait(5)
        return {"ok": True, "rows": []}

    monkeypatch.setattr(actions, "check", slow)
    with TestClient(create_app(timeout=1.0, workers=1, queue=1, processes=False), base_url=LOCAL) as c:
        assert c.post("/api/program", json={"program": "y = x*x", "point": {"x": 1}}).status_code == 200
        t0 = time.monotonic()
        assert_error(c.post("/api/check", json={"program": "x"}), 503, "Timeout")
        assert 1.0 <= time.monotonic() - t0 < 3.0
        t0 = time.monotonic()
        assert_error(c.post("/api/check", json={"program": "x"}), 503, "Busy")  # the slot is still taken
        assert time.monotonic() - t0 < 0.5
        # sliders of an accepted program run on the light pool: recompute still answers
        assert c.post("/api/recompute", json={"program": "y = x*x", "point": {"x": 3}}).json()["value"] == 9.0
        release.set()
        deadline = time.monotonic() + 5
        while c.app.state.pools[0].busy and time.monotonic() < deadline:
            time.sleep(0.01)
        assert c.post("/api/check", json={"program": "x"}).json() == {"ok": True, "rows": []}


def test_an_internal_bug_is_a_one_line_500_without_traceback(monkeypatch):
    def broken(text, point, limits):
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(actions, "recompute", broken)
    with TestClient(create_app(processes=False), raise_server_exceptions=False, base_url=LOCAL) as c:
        r = c.post("/api/recompute", json={"program": "x"})
        body = assert_error(r, 500, "InternalError")
        assert "secret" not in r.text and "ZeroDivision" not in body["message"]


def graph_size(root) -> int:
    """Values reachable from root (micrograd's ``_prev``), walked without recursion."""
    seen, todo = {id(root)}, [root]
    while todo:
        for kid in todo.pop()._prev:
            if id(kid) not in seen:
                seen.add(id(kid))
                todo.append(kid)
    return len(seen)


def test_every_hostile_case_answers_fast_with_its_error_or_a_value(client):
    """Each corpus case: 200, or the JSON error the library itself raises under the web limits."""
    for case in CASES:
        point = case.point or {}
        try:
            program = sg.parse(case.source, limits=actions.WEB_LIMITS)
            sg.compile(program)     # the explorer runs compiled scalar code: a tensor form is refused here
            point = case.point if case.point is not None else {n: 1.0 for n in program.inputs}
            root = sg.backprop(program, point, limits=actions.WEB_LIMITS).root
            expected = "LimitError" if graph_size(root) > actions.WEB_LIMITS.max_graph_nodes else None
        except sg.SymgradError as err:
            expected = type(err).__name__
        t0 = time.monotonic()
        body = json.dumps({"program": case.source, "point": point})  # \ud800 stays escaped
        r = client.post("/api/recompute", content=body, headers={"content-type": "application/json"})
        assert time.monotonic() - t0 < 30.0, case.id  # no hang (web limits: well under 0.1 s on an idle CPU)
        assert r.status_code in (200, 413, 422), (case.id, r.status_code, r.text[:200])
        if expected is None:
            assert r.status_code == 200, (case.id, r.text[:300])
        else:
            assert r.json()["error"] == expected, case.id
            assert "\n" not in r.json()["message"] and "\x1b" not in r.text


# --- page, headers, OpenAPI, CLI -----------------------------------------------------------------

def test_page_is_served_from_package_data_and_loads_nothing_from_outside(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    for path in ("/static/app.js", "/static/style.css"):
        assert client.get(path).status_code == 200
    static = Path(app_module.STATIC)
    for f in static.iterdir():
        text = f.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text.replace("https://graphviz", ""), f.name


def test_openapi_documents_every_api_route(client):
    schema = client.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in ("/api/program", "/api/recompute", "/api/steps", "/api/check", "/api/worksheet", "/api/graph"):
        assert paths[path]["post"]["summary"], path
    assert paths["/api/limits"]["get"]["summary"]


def test_cli_defaults_to_loopback_and_rejects_bad_ports():
    from symgrad.interface.cli.main import build_parser
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.open) == ("127.0.0.1", 8000, False)
    proc = subprocess.run([sys.executable, "-m", "symgrad", "serve", "--port", "70000"], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--port" in proc.stderr


def test_serve_command_answers_on_loopback(tmp_path):
    import socket
    import urllib.request
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "symgrad", "serve", "--port", str(port)], stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stderr.readline().strip() == f"symgrad serve: http://127.0.0.1:{port}/ (Ctrl-C to stop)"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/limits", timeout=5) as r:
                    assert json.load(r)["limits"]["max_chars"] == 10_000
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.slow
def test_wheel_carries_the_page(tmp_path):
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("symgrad-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for f in ("index.html", "app.js", "style.css"):
        assert f"symgrad/interface/serve/static/{f}" in names


def test_a_killed_worker_process_is_replaced():
    import os
    import signal
    with TestClient(create_app(timeout=120.0, workers=1), base_url=LOCAL) as c:
        assert c.post("/api/check", json={"program": "y = x*x", "point": {"x": 3}}).status_code == 200
        pool = c.app.state.pools[0]
        (pid,) = pool.pids()  # the one worker process
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        statuses = []
        while time.monotonic() < deadline:
            r = c.post("/api/check", json={"program": "y = x*x", "point": {"x": 3}})
            statuses.append(r.status_code)
            if r.status_code == 200:
                break
            assert_error(r, 503, "WorkerLost")
        assert statuses[-1] == 200 and len(statuses) <= 3
        assert r.json()["rows"][0]["backprop"] == 6.0
