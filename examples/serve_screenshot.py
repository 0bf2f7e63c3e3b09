"""The README's picture of `symgrad serve` (needs Debian's chromium).

    python examples/serve_screenshot.py docs/serve.png    # regenerate the README's copy
    python examples/serve_screenshot.py                   # serve.png in the current directory

The lecture's L program at a = 2.5, stepped backward three times and checked.
"""

import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from symgrad.interface.serve.app import create_app, running

expect.set_options(timeout=30_000)  # the first answer waits for the worker processes to warm up
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
SHARED = "#program=e+%3D+a*b%3B+d+%3D+e+%2B+c%3B+L+%3D+d*f&at=a%3D2+b%3D-3+c%3D10+f%3D-2"


def main(out: Path) -> None:
    with running(create_app(timeout=60.0)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 760})
        page.goto(url + "/" + SHARED)
        expect(page.locator("#sg-n0-label")).to_have_text("a")
        box = page.locator("#value-a")
        box.dispatch_event("focus")
        box.fill("2.5")
        box.dispatch_event("change")
        expect(page.locator("#sg-n0-data")).to_have_text("data 2.5000")
        for _ in range(3):
            page.click("#step")
        expect(page.locator("#step-count")).to_have_text("step 3 of 3")
        page.click("#check")
        expect(page.locator("#check-table")).to_be_visible()
        page.screenshot(path=out)
        browser.close()
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "serve.png"))
