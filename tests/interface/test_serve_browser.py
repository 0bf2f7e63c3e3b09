"""`symgrad serve` in real headless Chromium (Debian's, never `playwright install`): the
lecture's L program typed in, nudged, stepped backward, checked and exported.

Expected numbers are derived by hand here, not read from symgrad: for
L = (a·b + c)·f, dL/da = b·f, dL/db = a·f, dL/dc = f, dL/df = a·b + c.
Screenshots of every state go to a temporary directory (printed with -s).
"""

import contextlib
import http.server
import json
import os
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from symgrad.interface.serve.app import create_app, running  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
expect.set_options(timeout=30_000)  # the first answer waits for the worker processes to warm up
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
L_PROGRAM = "e = a*b; d = e + c; L = d*f"
B, C, F = -3.0, 10.0, -2.0
from helpers import ROOT  # noqa: E402
from helpers.browser import drag_right  # noqa: E402

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed "
                                "(scripts/install-system-deps.sh)")


def lecture(a: float) -> dict:
    """Every node of the L program at (a, -3, 10, -2), by hand."""
    e = a * B
    d = e + C
    return {"a": (a, B * F), "b": (B, a * F), "e": (e, F), "c": (C, F), "d": (d, F), "f": (F, d), "L": (d * F, 1.0)}


ORDER = ["a", "b", "e", "c", "d", "f", "L"]  # sg.draw's n0…n6 for this program (topological order)


@pytest.fixture(scope="module")
def playwright():
    with sync_playwright() as p:  # one per module: the sync API cannot nest
        yield p


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory, playwright):
    shots = tmp_path_factory.mktemp("serve-shots")
    with running(create_app(timeout=60.0)) as url:  # slack for a loaded machine
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        log = {"outside": [], "console": [], "errors": []}
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url)
                      or route.request.url.startswith(("data:", "blob:")) else
                      (log["outside"].append(route.request.url), route.abort()))
        page.on("console", lambda m: log["console"].append((m.type, m.text)))
        page.on("pageerror", lambda e: log["errors"].append(str(e)))
        yield page, url, shots, log
        browser.close()
    print(f"\nscreenshots in {shots}")


def node_text(page, name: str, part: str) -> str:
    return page.locator(f"#sg-n{ORDER.index(name)}-{part}").text_content()


def test_lecture_program_nudge_steps_check_and_export(browser_page, tmp_path):
    page, url, shots, log = browser_page
    page.goto(url + "/")
    expect(page.locator("#sg-n0-grad")).to_be_visible()  # the example program; then type ours
    page.fill("#program", "")
    page.type("#program", L_PROGRAM)
    page.fill("#at", "a=2 b=-3 c=10 f=-2")
    page.click("#run")
    expect(page.locator("#sg-n0-label")).to_have_text("a")  # the example neuron is gone
    expect(page.locator("#sg-n0-grad")).to_have_text("grad 6.0000")
    assert node_text(page, "a", "label") == "a"
    for name, (data, grad) in lecture(2.0).items():
        assert node_text(page, name, "data") == f"data {data:.4f}"
        assert node_text(page, name, "grad") == f"grad {grad:.4f}"
    page.screenshot(path=shots / "1-typed.png")
    svg_before = page.locator("#graph svg").get_attribute("viewBox")

    # drag a's slider right with the mouse: the numbers change in place, the layout stays
    slider = page.locator("#slider-a")
    hi = float(slider.get_attribute("max"))
    drag_right(page, slider, 2.0)
    a = float(page.input_value("#value-a"))
    assert 2.5 < a < hi
    expected = lecture(a)
    expect(page.locator("#sg-n0-data")).to_have_text(f"data {a:.4f}")
    expect(page.locator("#sg-n6-data")).to_have_text(f"data {expected['L'][0]:.4f}")
    for name, (data, grad) in expected.items():
        assert node_text(page, name, "data") == f"data {data:.4f}"
        assert node_text(page, name, "grad") == f"grad {grad:.4f}"
    assert page.locator("#graph svg").get_attribute("viewBox") == svg_before  # no new layout
    assert page.locator("#graph svg").count() == 1
    # predicted change (grad at the start × step) next to the real change; L is linear in a
    step = a - 2.0
    assert page.text_content("#delta-a") == f"+{step:.4f}"
    assert page.text_content("#predicted-a") == f"{6.0 * step:+.4f}"
    assert page.text_content("#real-a") == f"{expected['L'][0] - (-8.0):+.4f}"
    assert page.text_content("#grad-b") == f"{a * F:.4f}"
    page.screenshot(path=shots / "2-nudged.png")

    # step backward three times: L (product), d (sum), e (product rule, fills a and b)
    for _ in range(3):
        page.click("#step")
    expect(page.locator("#step-count")).to_have_text("step 3 of 3")
    panel = page.text_content("#step-panel")
    assert "e: product rule" in panel
    assert "∂e/∂a" in panel and "∂e/∂b" in panel
    cells = page.locator("#step-panel td.num").all_text_contents()
    # ∂e/∂a = b = -3, upstream dL/de = f = -2, product 6; ∂e/∂b = a, product a·f
    assert cells == [f"{B:.4f}", f"{F:.4f}", f"{B * F:.4f}", f"{a:.4f}", f"{F:.4f}", f"{a * F:.4f}"]
    assert "current" in page.locator("#sg-n2").get_attribute("class")
    assert node_text(page, "a", "grad") == f"grad {B * F:.4f}"
    assert node_text(page, "b", "grad") == f"grad {a * F:.4f}"
    page.screenshot(path=shots / "3-stepped.png")

    page.click("#check")
    expect(page.locator("#check-table")).to_be_visible()
    verdicts = page.locator("#check-table .verdict").all_text_contents()
    assert verdicts == ["agree"] * 7
    for name in "abcf":
        assert page.text_content(f"#verdict-{name}") == "agree"
        assert "v-agree" in page.locator(f"#input-{name}").get_attribute("class")
    page.screenshot(path=shots / "4-checked.png")

    page.select_option("#ws-format", "html")
    with page.expect_download() as info:
        page.click("#export-worksheet")
    exported = tmp_path / "page.html"
    info.value.save_as(exported)
    cli = tmp_path / "cli.html"
    at = ["--at", f"a={page.input_value('#value-a')}", "b=-3", "c=10", "f=-2"]
    subprocess.run([sys.executable, "-m", "symgrad", "worksheet", L_PROGRAM, *at, "-o", str(cli)], check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tmp_path, capture_output=True)
    assert exported.read_bytes() == cli.read_bytes()
    assert f"{a:g}".encode() in cli.read_bytes()  # the nudged point, not the typed one

    assert log["outside"] == [] and log["errors"] == []
    assert [m for m in log["console"] if m[0] in ("error", "warning")] == []


def test_fast_arrow_keys_on_a_slider_keep_step_predicted_and_real_together(browser_page):
    """Five ArrowRight presses faster than the server answers: the step, the predicted change
    (dL/da × step = b·f × step = 6 × step by hand) and the real change shown are of one answer."""
    page, url, shots, log = browser_page
    page.goto(url + "/")
    expect(page.locator("#sg-n0-grad")).to_be_visible()
    page.fill("#program", L_PROGRAM)
    page.fill("#at", "a=2 b=-3 c=10 f=-2")
    page.click("#run")
    expect(page.locator("#sg-n0-grad")).to_have_text("grad 6.0000")
    # a slow network: each recompute answers 0.4 s late, so the presses outrun the answers
    page.evaluate("""() => { const fetch0 = window.fetch;
        window.fetch = (u, o) => new Promise(r => setTimeout(r, String(u).includes('recompute') ? 400 : 0))
            .then(() => fetch0(u, o)); }""")
    slider = page.locator("#slider-a")
    slider.focus()
    for _ in range(5):
        slider.press("ArrowRight")
    a = float(slider.input_value())
    assert a == pytest.approx(2.0 + 5 * float(slider.get_attribute("step")))   # the keys moved it
    expect(page.locator(f"#sg-n{ORDER.index('L')}-data")).to_have_text(f"data {lecture(a)['L'][0]:.4f}")
    step = float(page.locator("#delta-a").text_content())
    predicted = float(page.locator("#predicted-a").text_content())
    real = float(page.locator("#real-a").text_content())
    assert step > 0 and predicted == pytest.approx(6 * step, abs=1e-4) and real == pytest.approx(predicted, abs=1e-4)
    page.screenshot(path=shots / "6-arrow-keys.png")


def test_parse_error_is_shown_inline_with_caret_and_hint(browser_page):
    page, url, shots, _ = browser_page
    page.goto(url + "/")
    expect(page.locator("#sg-n0-grad")).to_be_visible()
    page.fill("#program", "x = 2y + 1")
    page.click("#run")
    expect(page.locator("#error")).to_be_visible()
    assert page.text_content("#error-message").startswith("ParseError at line 1, column 6")
    assert page.text_content("#error-details") == "  x = 2y + 1\n       ^"
    assert "2*y" in page.text_content("#error-hint")
    page.screenshot(path=shots / "5-parse-error.png")


def test_share_link_restores_program_and_point(browser_page):
    page, url, shots, _ = browser_page
    page.goto(url + "/")
    expect(page.locator("#sg-n0-grad")).to_be_visible()
    page.fill("#program", "y = log(x) * w")
    page.fill("#at", "x=3 w=0.5")
    page.click("#run")
    expect(page.locator("#sg-n0-label")).to_have_text("x")
    assert float(page.locator("#slider-x").get_attribute("min")) > 0  # log needs x > 0
    page.click("#share")
    link = page.input_value("#share-url")
    assert link.startswith(url + "/#")
    page.goto("about:blank")
    page.goto(link)
    expect(page.locator("#sg-n0-label")).to_have_text("x")
    assert page.input_value("#program") == "y = log(x) * w"
    assert page.input_value("#value-x") == "3" and page.input_value("#value-w") == "0.5"
    page.screenshot(path=shots / "6-shared.png")


BOMB = {"program": "y = x * ((3^-999)^999)^200", "point": {"x": 1}, "format": "md"}
ATTACKER_PAGE = b'<!doctype html><title>elsewhere</title><iframe name="sink"></iframe>'
ATTACK = """async ([url, bomb]) => {
  const tried = [];
  for (const [mode, type] of [["no-cors", "text/plain"], ["no-cors", "application/x-www-form-urlencoded"],
                              ["cors", "application/json"]]) {
    try {
      const r = await fetch(url + "/api/worksheet", {method: "POST", mode, headers: {"content-type": type}, body: bomb});
      tried.push(`${mode} ${type}: ${r.type} ${r.status}`);
    } catch (e) { tried.push(`${mode} ${type}: refused`); }
  }
  const form = document.createElement("form");   // a form needs no permission at all
  Object.assign(form, {method: "POST", action: url + "/api/worksheet", enctype: "text/plain", target: "sink"});
  const field = document.createElement("input");
  Object.assign(field, {name: bomb.slice(0, -1) + ', "pad": "', value: '"}'});
  form.append(field);
  document.body.append(form);
  form.submit();
  return tried;
}"""


class Recorder:
    """ASGI wrapper: (method, path, Origin, status) of every request the explorer answers."""

    def __init__(self, app):
        self.app, self.seen = app, []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        origin = dict(scope["headers"]).get(b"origin", b"").decode()

        async def record(message):
            if message["type"] == "http.response.start":
                self.seen.append((scope["method"], scope["path"], origin, message["status"]))
            await send(message)
        await self.app(scope, receive, record)


@contextlib.contextmanager
def another_origin():
    """A page on another origin: a plain HTTP server on another loopback port (a public site's
    page could not reach 127.0.0.1 at all: Chromium's local network access rules)."""
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(ATTACKER_PAGE)

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_a_page_on_another_origin_is_refused_and_the_explorer_answers_its_own_page_at_once(tmp_path, playwright):
    recorder = Recorder(create_app(timeout=60.0))
    with running(recorder) as url, another_origin() as attacker:
        p = playwright
        port = url.rsplit(":", 1)[1]
        rebound = f"http://rebind.test:{port}"   # DNS rebinding: another site's name, resolved to us
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=ARGS + ["--host-resolver-rules=MAP rebind.test 127.0.0.1"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
            (url, attacker, rebound)) else route.abort())
        page = context.new_page()
        assert page.goto(rebound + "/").status == 403      # the explorer does not answer to that name
        assert "ForbiddenHost" in page.content()
        page.goto(attacker + "/")
        tried = page.evaluate(ATTACK, [url, json.dumps(BOMB)])
        assert tried[2].endswith("refused")  # JSON from another origin needs a CORS preflight: never granted
        ATTACKER = attacker
        deadline = time.monotonic() + 30
        while len([s for s in recorder.seen if s[2] == ATTACKER]) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)   # the form's navigation arrives on its own
        from_attacker = [s for s in recorder.seen if s[2] == ATTACKER]
        assert [s for s in from_attacker if s[0] == "POST"] == [("POST", "/api/worksheet", ATTACKER, 403)] * 3
        assert all(status in (403, 405) for _, _, _, status in from_attacker)  # the preflight: 405, no CORS

        page.goto(url + "/")     # the explorer's own page: the two bombs, then a program at once
        expect(page.locator("#sg-n0-grad")).to_be_visible()
        statuses = page.evaluate("""async (bomb) => Promise.all([0, 1].map(() => fetch("/api/worksheet",
            {method: "POST", headers: {"content-type": "application/json"}, body: bomb}).then(r => r.status)))""",
                                 json.dumps(BOMB))
        assert statuses == [413, 413]
        page.fill("#program", L_PROGRAM)
        page.fill("#at", "a=2 b=-3 c=10 f=-2")
        page.click("#run")
        expect(page.locator("#sg-n0-grad")).to_have_text("grad 6.0000", timeout=10_000)
        for name, (data, grad) in lecture(2.0).items():
            assert node_text(page, name, "grad") == f"grad {grad:.4f}"
        page.screenshot(path=tmp_path / "own-page-after-bombs.png")
        print(f"\nscreenshot: {tmp_path / 'own-page-after-bombs.png'}")
        browser.close()
