"""The explorer's ASGI app (Starlette): the page, its JSON API and the test server.

``create_app`` wires the routes (``/``, ``/api/program``, ``recompute``, ``steps``, ``check``,
``worksheet``, ``graph``, ``limits``, ``formats``, ``/openapi.json`` from the handlers' docstrings, ``/static``)
to the guards in ``guards`` that make it safe to expose to a class on a LAN. Guards, in the
order a request meets them: a body-size cap (413), JSON and field checks (400), then the work
itself on a bounded pool of worker processes off the event loop — over capacity answers 503 at
once, and past the per-request timeout 503 too (the worker process is killed and replaced by a
warm one at once). Before all of them, ``LocalOnly`` answers only this server's own page (Host,
Origin, JSON content type; docs/security.md). Only a slider recompute of a
program already accepted, small and compiled, runs in this process. Inside, every program is
bounded by ``symgrad.Limits`` (``actions.WEB_LIMITS`` by default). Errors are JSON ``{"error":
type, "message": one line}``; parse errors add ``line``, ``column``, ``details`` (the caret
excerpt) and ``hint``. ``running`` serves an app on a free port for tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import threading
import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ...base.limits import Limits
from ...base.version import __version__
from . import actions
from .guards import ApiError, LocalOnly, SecurityHeaders, error_response, fields, guarded, read_body
from .workers import Pool

__all__ = ["create_app", "STATIC"]

STATIC = Path(__file__).with_name("static")
MAX_BODY = 128 * 1024       # bytes at least; more if max_chars is raised (a character is ≤ 12 bytes as JSON)
INLINE_NODES = 400          # a recompute of an accepted graph this small runs on the event loop (< 1 ms)
INLINE_CHARS = 2_000        # its first parse and compile, on a thread here; a longer text goes to a worker process
# While the worker processes warm up (the fork server imports and exercises SymPy, jinja2, matplotlib
# and Graphviz once: seconds on a busy machine), these run on the thread here instead, so the page's
# first answer does not wait for them (texts of at most INLINE_CHARS characters); a check or a worksheet
# (SymPy, jinja2) or a longer text waits for a warm worker.
WARMUP_ACTIONS = frozenset({"analyse", "recompute", "steps", "graph"})


def max_body(limits: Limits) -> int:
    """The body cap for these limits: room for a program of max_chars characters, escaped as JSON."""
    return max(MAX_BODY, 12 * int(limits.max_chars) + 4096)


def create_app(*, limits: Limits | None = None, timeout: float = 10.0, workers: int = 2,
               queue: int = 64, processes: bool = True, host: str = "127.0.0.1",
               allow_hosts: tuple[str, ...] = (), wait: bool = True) -> Starlette:
    """The explorer app.

    ``limits`` bound every program (default ``actions.WEB_LIMITS``); ``timeout`` (s) bounds
    every API request. ``workers`` worker processes (threads with ``processes=False``) do the
    heavy work: parsing a new program, drawing, steps, checks, exports. A slider recompute
    of a program this server has already accepted (``/api/program``: parsed, compiled and
    its graph within ``max_graph_nodes``) stays near: up to ``INLINE_NODES`` nodes and
    ``INLINE_CHARS`` characters it is parsed and compiled once on a thread here, then runs on
    the event loop (a few hundred float operations, under a millisecond); a larger one runs on
    two "light" worker processes, so a drag stays fast while checks run. Each pool takes at most ``queue``
    requests in flight; past that, 503 at once. ``host`` (the address it is served on) and
    ``allow_hosts`` are the Host names it answers to (``guards.LocalOnly``). ``wait=False``
    answers at once while the worker processes warm up: the page, and ``WARMUP_ACTIONS`` on the
    thread here (a check or a worksheet waits for a warm worker); ``app.state.answering`` is set
    once this process has imported what a slider needs.
    """
    limits = limits or actions.WEB_LIMITS
    cap = max_body(limits)
    heavy = Pool(workers, queue, "heavy", processes=processes)
    light = Pool(2, queue, "light", processes=processes)
    local = Pool(1, queue, "local")
    accepted: collections.OrderedDict[str, int] = collections.OrderedDict()  # text /api/program analysed → nodes

    async def call(request: Request, action: str, *, fmt: tuple[str, ...] = ()) -> tuple[Any, str]:
        args = fields(await read_body(request, cap), fmt=fmt)
        request.state.work_start = time.perf_counter()  # the body is in: from here on it is our time
        size = accepted.get(args[0]) if action == "recompute" else None
        if size is not None:  # in use: a flood of new programs does not push it off the fast path
            accepted.move_to_end(args[0])
        small = size is not None and size <= INLINE_NODES
        if small and actions.COMPILED.has(args[0], limits):  # a few hundred float operations: no hop at all
            outcome = actions.perform(action, *args, limits)
        else:  # a short text is parsed and compiled once on a thread here (then inline), the rest elsewhere
            pool = (local if small and len(args[0]) <= INLINE_CHARS else light) if size is not None else heavy
            if not pool.warmed and action in WARMUP_ACTIONS and len(args[0]) <= INLINE_CHARS:
                pool = local  # the workers are still warming up: a short text is answered now, on the thread here
            outcome = await pool.run(timeout, actions.perform, action, *args, limits)
        if outcome[0] == "error":
            raise ApiError(outcome[1], outcome[2]["error"], outcome[2]["message"], outcome[2])
        if action == "analyse":
            accepted[args[0]] = len(outcome[1]["nodes"])
            accepted.move_to_end(args[0])
            while len(accepted) > 256:
                accepted.popitem(last=False)
        return outcome[1], (args[2] if fmt else "")

    async def program(request: Request) -> Response:
        """Parse, evaluate and draw a program.
        ---
        summary: Parse, evaluate and draw a program at a point
        description: >
          Body {"program": text, "point": {name: number}}; inputs without a value start at 1.0.
          Returns value, grads (through symgrad.compile), per-node data and grad texts in the
          graph's order, one slider range per input (narrowed to where the program is defined),
          and the Graphviz SVG whose node texts have ids sg-nK-label/data/grad.
          Errors are {"error": type, "message": one line} with 400, 413 (a limit), 422 (a parse,
          name or domain error, with line, column, details and hint) or 503 (busy or timeout).
        responses:
          200: {description: the analysed program}
        """
        return JSONResponse((await call(request, "analyse"))[0])

    async def recompute(request: Request) -> Response:
        """Recompute the value and every grad at a new point.
        ---
        summary: Value and every grad at a new point (the sliders)
        description: Body {"program", "point"}. Returns value, grads, point and per-node texts.
        responses:
          200: {description: the numbers}
        """
        return JSONResponse((await call(request, "recompute"))[0])

    async def steps(request: Request) -> Response:
        """The backward pass step by step.
        ---
        summary: The backward pass step by step, as the worksheet shows it
        description: Per op node in reverse topological order, its rule and per child the local
          derivative, upstream grad and chain-rule product; node indices match the SVG's nK.
        responses:
          200: {description: the steps}
        """
        return JSONResponse((await call(request, "steps"))[0])

    async def check(request: Request) -> Response:
        """The three-way gradient check.
        ---
        summary: Backprop vs SymPy vs finite differences at the point
        description: Returns ok and one row per input and named intermediate with its verdict.
        responses:
          200: {description: the check report}
        """
        return JSONResponse((await call(request, "check"))[0])

    async def worksheet(request: Request) -> Response:
        """A worksheet download.
        ---
        summary: The worksheet at the point, in a format of /api/formats
        description: Body {"program", "point", "format"}; the same bytes as
          symgrad worksheet PROGRAM --at ... -o worksheet.FORMAT (md and tex, which link
          their pictures, as a zip of every file that command writes).
        responses:
          200: {description: the worksheet file}
        """
        types = actions.worksheet_types()
        (data, name), fmt = await call(request, "worksheet", fmt=tuple(types))
        media = types[fmt] if name.endswith(fmt) else "application/zip"
        return Response(data, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})

    async def graph(request: Request) -> Response:
        """A graph download.
        ---
        summary: The graph at the point as SVG or PNG
        description: Body {"program", "point", "format"}; as symgrad graph PROGRAM --at ... -o graph.FORMAT.
        responses:
          200: {description: the picture}
        """
        data, fmt = await call(request, "graph", fmt=tuple(actions.GRAPH_TYPES))
        return Response(data, media_type=actions.GRAPH_TYPES[fmt],
                        headers={"content-disposition": f'attachment; filename="graph.{fmt}"'})

    async def limits_view(request: Request) -> Response:
        """The limits in force.
        ---
        summary: The symgrad.Limits and request bounds this server applies
        description: Also "warm", whether every worker process has started (until then, checks and
          worksheets wait for one, and the light requests are answered in the server's own process).
        responses:
          200: {description: the limits}
        """
        from dataclasses import asdict
        return JSONResponse({"limits": asdict(limits), "timeout": timeout, "max_body": cap,
                             "warm": heavy.warmed and light.warmed})

    async def formats_view(request: Request) -> Response:
        """The download formats.
        ---
        summary: The worksheet formats (from the renderer table, with their menu labels) and the graph formats
        responses:
          200: {description: the formats}
        """
        return JSONResponse(actions.formats())

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    async def openapi(request: Request) -> Response:
        from starlette.schemas import SchemaGenerator  # it imports yaml: not before the first answer
        schemas = SchemaGenerator({"openapi": "3.0.0", "info": {"title": "symgrad serve", "version": __version__}})
        return JSONResponse(schemas.get_schema(routes=app.routes))

    async def not_found(request: Request, err: Exception) -> Response:
        status = getattr(err, "status_code", 404)
        error = "NotFound" if status == 404 else "MethodNotAllowed" if status == 405 else "HTTPError"
        return error_response(ApiError(status, error, getattr(err, "detail", "not found")))

    api = guarded
    routes = [
        Route("/", index, include_in_schema=False),
        Route("/api/program", api(program), methods=["POST"]),
        Route("/api/recompute", api(recompute), methods=["POST"]),
        Route("/api/steps", api(steps), methods=["POST"]),
        Route("/api/check", api(check), methods=["POST"]),
        Route("/api/worksheet", api(worksheet), methods=["POST"]),
        Route("/api/graph", api(graph), methods=["POST"]),
        Route("/api/limits", api(limits_view), methods=["GET"]),
        Route("/api/formats", api(formats_view), methods=["GET"]),
        Route("/openapi.json", openapi, include_in_schema=False),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    answering = threading.Event()  # set once this process answers a slider without importing anything

    def warm_here() -> None:
        actions.perform("recompute", "z = x*y", {"x": 1.0, "y": 2.0}, limits)  # import what a slider needs
        gc.freeze()  # what is loaded now is never garbage: later collections skip it (shorter GC pauses)
        answering.set()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        warming = asyncio.gather(heavy.warm(), light.warm())
        warming.add_done_callback(lambda f: f.cancelled() or f.exception())  # stopped while warming: not an error
        if wait:
            await warming
            warm_here()
        else:  # serve at once: the page meanwhile, and WARMUP_ACTIONS on the thread here
            asyncio.get_running_loop().run_in_executor(local.threads, warm_here)
        yield
        warming.cancel()
        for pool in (heavy, light, local):
            pool.shutdown()

    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(SecurityHeaders), Middleware(LocalOnly, host=host, allow_hosts=allow_hosts)],
                    exception_handlers={404: not_found, 405: not_found})
    app.state.pools = (heavy, light)
    app.state.answering = answering
    return app


@contextlib.contextmanager
def running(app: Starlette, host: str = "127.0.0.1"):
    """Serve ``app`` with uvicorn on a free port of ``host`` in a background thread; yields
    its base URL and stops the server on exit (for tests and ``bench/serve_load.py``)."""
    from .server import listen, server as make_server
    sock = listen(host, 0)
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="symgrad-serve", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server did not start")
            thread.join(0.01)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
