"""``symgrad serve``: an interactive backprop explorer in the browser.

``actions`` computes (symgrad's public API, one adapter per internal read), ``app`` serves
(Starlette: the page from package data, a JSON API), ``guards`` bounds every request (own
page only, body cap, field checks, a bounded worker pool, JSON errors), ``server`` runs it
(uvicorn with deadlines and a connection cap), ``workers`` does the heavy work in processes, ``static/`` is the page (plain HTML,
CSS and JavaScript: no CDN, works offline).

May import: every layer below ``interface`` (through symgrad's public API where it can).
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
import threading
import time
import urllib.request
import webbrowser

__all__ = ["setup_serve_command", "run_serve_command"]


def setup_serve_command(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for a LAN)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--open", action="store_true", help="open the page in a web browser")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds one request may take (default 10)")
    p.add_argument("--workers", type=int, default=2, help="worker processes for heavy requests (default 2)")
    p.add_argument("--allow-host", action="append", metavar="NAME", default=[],
                   help="also answer requests for this host name (the bound address and localhost always are)")
    p.add_argument("--limit", action="append", metavar="NAME=VALUE",
                   help="raise or lower a limit of the web defaults, e.g. --limit max_chars=20000")


def run_serve_command(args: argparse.Namespace) -> int:
    from ...base.errors import InputError
    from ...base.limits import Limits
    try:
        from .app import create_app
        from .server import listen, server
    except ImportError as err:  # pragma: no cover - starlette and uvicorn are dependencies
        raise InputError(f"symgrad serve needs {err.name}", hint="pip install starlette uvicorn") from None
    from .actions import WEB_LIMITS
    if not 0 < args.port < 65536 or not args.timeout > 0 or args.workers < 1:
        raise InputError("--port must be 1-65535, --timeout > 0 and --workers >= 1")
    limits = Limits.parse_option(args.limit or [], base=WEB_LIMITS)
    host = args.host
    sock = listen(host, args.port)  # a bad --host or a busy port: one InputError line, before any worker starts
    app = create_app(limits=limits, timeout=args.timeout, workers=args.workers, host=host,
                     allow_hosts=tuple(args.allow_host), wait=False)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{args.port}/"
    if not _is_loopback(host):
        print(f"symgrad serve: listening on {host}: anyone on the network can use it", file=sys.stderr)
    print(f"symgrad serve: {url} (Ctrl-C to stop)", file=sys.stderr)
    if args.open:  # once the page gets its first answer (not when the workers are warm: that is later)
        threading.Thread(target=_open_when_ready, args=(url.replace("0.0.0.0", "127.0.0.1"), app),
                         name="symgrad-open", daemon=True).start()
    server(app).run(sockets=[sock])
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except OSError:
        return False


def _open_when_ready(url: str, app=None, tries: int = 600) -> None:
    """Open ``url`` in a web browser once the server answers it (starting the worker processes
    can take seconds: a browser opened earlier shows "connection refused"): once ``app`` has
    answered its first request, or without ``app`` once ``url`` answers. If no browser can be
    opened (no display, no $BROWSER), say so on stderr with the address to open by hand."""
    def ready() -> bool:   # each try takes about a fifth of a second
        if app is not None:
            return app.state.answering.wait(0.2)
        if _answers(url):
            return True
        time.sleep(0.2)
        return False

    for _ in range(tries):   # about two minutes of tries
        if ready():
            break
    else:
        print(f"symgrad serve: the server did not answer {url}; not opening a browser", file=sys.stderr)
        return
    if not webbrowser.open(url):
        print(f"symgrad serve: could not open a web browser (no display?); open {url} yourself",
              file=sys.stderr, flush=True)
