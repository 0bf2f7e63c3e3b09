"""A worksheet page in real headless Chromium, offline: every request but the page's own is aborted;
the console, page errors, facts a script measures, and a screenshot are returned; and a user's
slider drag on the explorer's page (serve's page and the notebook widget's are one)."""

from __future__ import annotations

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"  # Debian's chromium, from scripts/install-system-deps.sh
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


def load_page(path, script: str, *, before_shot=None, full_page: bool = False) -> dict:
    """Open ``path`` (a file) at 1200×900, run ``script`` (a JS function) for its facts, call
    ``before_shot(page, facts)`` if given, and take a screenshot."""
    url = path.as_uri()
    requests, console, errors = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: console.append((m.type, m.text)))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
        page.goto(url, wait_until="load")
        facts = page.evaluate(script)
        if before_shot is not None:
            before_shot(page, facts)
        shot = page.screenshot(full_page=full_page)
        browser.close()
    return {"requests": requests, "console": console, "errors": errors, "facts": facts, "shot": shot, "url": url}


def drag_right(page, slider, start: float) -> None:
    """Drag ``slider`` with the mouse from the value ``start`` rightwards, in five moves ending
    about three quarters along (a user's drag: ``input`` events on the way, not one jump)."""
    box = slider.bounding_box()
    lo, hi = float(slider.get_attribute("min")), float(slider.get_attribute("max"))
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * (start - lo) / (hi - lo), y)
    page.mouse.down()
    for k in range(1, 6):
        page.mouse.move(box["x"] + box["width"] * (0.5 + 0.05 * k), y)
    page.mouse.up()
