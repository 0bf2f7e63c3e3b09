"""``sg.explore`` in a real JupyterLab, driven by Playwright on Debian's chromium: the lecture's
L = (a·b + c)·f is explored in a notebook cell; a slider is nudged (predicted and real change),
the backward pass is stepped, the check colours the graph. Every number comes from this kernel.

Expected numbers are derived by hand: dL/da = b·f, dL/db = a·f, dL/dc = f, dL/df = a·b + c.
Screenshots are the test's artefacts: they go to $SYMGRAD_SCREENSHOTS/notebook-widget when that is
set (CI keeps the folder), else to a temporary directory (printed with -s); never to the repository.
Only the tests that drive chromium skip, and only when Debian's chromium is not installed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from playwright.sync_api import expect, sync_playwright  # noqa: E402

import symgrad as sg  # noqa: E402
from symgrad.interface.notebook import widget  # noqa: E402
from helpers import ROOT  # noqa: E402
from helpers.browser import drag_right  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
L_PROGRAM = "e = a*b; d = e + c; L = d*f"
expect.set_options(timeout=90_000)   # a loaded 2-core machine starts JupyterLab and a kernel slowly


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(path) -> None:
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": f"import symgrad as sg\nsg.explore({L_PROGRAM!r}, a=2, b=-3, c=10, f=-2)"}
    path.write_text(json.dumps({"cells": [cell], "metadata": {"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (scripts/install-system-deps.sh)")
    home = tmp_path_factory.mktemp("lab")
    _notebook(home / "explore.ipynb")
    port = _free_port()
    # JupyterLab's own settings: no "official Jupyter news?" toast over the widget
    news = home / ".lab-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               JUPYTER_CONFIG_DIR=str(home / ".jupyter"), JUPYTER_RUNTIME_DIR=str(home / ".runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / ".lab-settings"))
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
                             "--ip=127.0.0.1", "--allow-root", "--IdentityProvider.token=", "--ServerApp.password=",
                             "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={home}",
                             "--LabApp.news_url=", "--LabServerApp.extra_labextensions_path=[]"],
                            cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(url + "/api", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        yield url, home
    finally:
        try:   # shut the kernels down with the server: no process of this test outlives it
            urllib.request.urlopen(urllib.request.Request(url + "/api/shutdown", method="POST"), timeout=10)
            proc.wait(timeout=30)
        except Exception:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def notebook_page(lab, tmp_path_factory):
    url, home = lab
    keep = os.environ.get("SYMGRAD_SCREENSHOTS")
    shots = Path(keep) / "notebook-widget" if keep else tmp_path_factory.mktemp("widget-shots")
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {shots}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        page.goto(f"{url}/lab/tree/explore.ipynb", wait_until="domcontentloaded")
        cell = page.locator(".jp-Cell .jp-InputArea-editor").first
        expect(cell).to_be_visible()
        expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible()   # the kernel is up
        page.keyboard.press("Control+b")   # hide it: the notebook gets the width, as a user would
        cell.click()
        page.keyboard.press("Shift+Enter")
        expect(page.locator(".jp-OutputArea-output").first).to_be_attached()
        _shot(page, shots, "0-output")
        yield page, shots
        browser.close()


def _shot(page, shots, name):
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_the_widget_shows_the_graph_computed_in_the_kernel(notebook_page):
    page, shots = notebook_page
    # Playwright's CSS locators pierce the widget's open shadow root
    value = page.locator(".symgrad-explorer #value")
    expect(value).to_have_text("L = -8")
    for i, (data, grad) in enumerate([(2, 6), (-3, -4), (-6, -2), (10, -2), (4, -2), (-2, 4), (-8, 1)]):
        expect(page.locator(f".symgrad-explorer #sg-n{i}-data")).to_have_text(f"data {data:.4f}")
        expect(page.locator(f".symgrad-explorer #sg-n{i}-grad")).to_have_text(f"grad {grad:.4f}")
    expect(page.locator(".symgrad-explorer #grad-a")).to_have_text("6.0000")
    # legible: a node's data line is drawn at least 12 px tall (the graph never shrinks below that)
    assert page.locator(".symgrad-explorer #sg-n0-data").bounding_box()["height"] >= 12
    _shot(page, shots, "1-graph")


def test_a_slider_shows_predicted_and_real_change(notebook_page):
    page, shots = notebook_page
    slider = page.locator(".symgrad-explorer #slider-a")
    hi = float(slider.get_attribute("max"))
    drag_right(page, slider, 2.0)
    a = float(page.locator(".symgrad-explorer #value-a").input_value())
    assert 2.0 < a <= hi
    # L = (a·b + c)·f is linear in a: predicted dL/da·Δa = 6·Δa is the real change
    expect(page.locator(".symgrad-explorer #sg-n6-data")).to_have_text(f"data {(a * -3 + 10) * -2:.4f}")
    expect(page.locator(".symgrad-explorer #delta-a")).to_have_text(f"+{a - 2:.4f}")
    expect(page.locator(".symgrad-explorer #predicted-a")).to_have_text(f"{6 * (a - 2):+.4f}")
    expect(page.locator(".symgrad-explorer #real-a")).to_have_text(f"{6 * (a - 2):+.4f}")
    expect(page.locator(".symgrad-explorer #grad-f")).to_have_text(f"{a * -3 + 10:.4f}")   # dL/df = a·b + c
    _shot(page, shots, "2-slider")


def test_step_backward_fills_the_grads_in_order(notebook_page):
    page, shots = notebook_page
    page.locator(".symgrad-explorer #step").click()
    expect(page.locator(".symgrad-explorer #step-count")).to_contain_text("step 1 of 3")
    expect(page.locator(".symgrad-explorer #sg-n4-grad")).to_have_text("grad -2.0000")  # dL/dd = f
    expect(page.locator(".symgrad-explorer #sg-n0-grad")).to_have_text("grad ?")
    _shot(page, shots, "3-step")
    page.locator(".symgrad-explorer #step-all").click()
    expect(page.locator(".symgrad-explorer #step-count")).to_contain_text("step 3 of 3")
    _shot(page, shots, "4-steps-done")


def test_check_colours_the_graph(notebook_page):
    page, shots = notebook_page
    page.locator(".symgrad-explorer #check").click()
    expect(page.locator(".symgrad-explorer #check-summary")).to_have_text("no mismatch")
    expect(page.locator(".symgrad-explorer #verdict-a")).to_have_text("agree")
    expect(page.locator(".symgrad-explorer #graph g.node.v-agree")).not_to_have_count(0)
    _shot(page, shots, "5-check")


def test_the_widget_reads_the_serve_page_not_a_copy():
    esm = widget.front_end()
    for name in ("app.js", "style.css"):
        text = (widget.STATIC / name).read_text(encoding="utf-8")
        assert (text if name == "app.js" else text.replace(":root", ":host")) in esm or name == "style.css"
    assert (widget.STATIC / "app.js").read_text(encoding="utf-8") in esm
    assert json.dumps((widget.STATIC / "style.css").read_text(encoding="utf-8").replace(":root", ":host")) in esm


def test_the_kernel_answers_as_the_server_does():
    from symgrad.interface.serve import actions
    reply = widget.answer({"id": 7, "path": "/api/recompute", "body": {"program": L_PROGRAM,
                                                                      "point": {"a": 2, "b": -3, "c": 10, "f": -2}}},
                          actions.WEB_LIMITS)
    assert reply["id"] == 7 and reply["ok"]
    assert reply["body"]["grads"] == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0, "L": 1.0}
    bad = widget.answer({"id": 8, "path": "/api/program", "body": {"program": "L = a*", "point": {}}},
                        actions.WEB_LIMITS)
    assert bad["id"] == 8 and not bad["ok"] and bad["body"]["error"] == "ParseError"
    assert not widget.answer({"id": 9, "path": "/api/worksheet", "body": {}}, actions.WEB_LIMITS)["ok"]


def test_explore_refuses_a_bad_program_at_once():
    with pytest.raises(sg.ParseError):
        sg.explore("L = a*", a=1)
    with pytest.raises(sg.InputError):
        sg.explore(3)
    w = sg.explore(L_PROGRAM, {"a": 2}, b=-3)
    assert w.program == L_PROGRAM and w.point == {"a": 2.0, "b": -3.0}
