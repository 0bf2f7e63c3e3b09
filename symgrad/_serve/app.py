"""The explorer's ASGI app (Starlette): the page, its JSON API, and the guards that make it
safe to expose to a class on a LAN.

Guards, in the order a request meets them: a body-size cap (413), JSON and field checks
(400), then the work itself on a bounded pool of worker processes off the event loop — over
capacity answers 503 at once, and past the per-request timeout 503 too (the worker finishes in
the background but its slot stays taken until then, so a slow input cannot pile up work). Only
a slider recompute of a program already accepted, small and compiled, runs in this process.
Inside, every program is bounded by ``symgrad.Limits`` (``model.WEB_LIMITS`` by default).
Errors are JSON ``{"error": type, "message": one line}``; parse errors add ``line``,
``column``, ``details`` (the caret excerpt) and ``hint``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import gc
import json
import logging
import threading
import time
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.schemas import SchemaGenerator
from starlette.staticfiles import StaticFiles

from .._errors import SymgradError
from .._limits import Limits
from .._version import __version__
from . import model

__all__ = ["create_app", "STATIC"]

STATIC = Path(__file__).with_name("static")
MAX_BODY = 128 * 1024       # bytes at least; more if max_chars is raised (a character is ≤ 12 bytes as JSON)
MAX_POINT = 10_000          # names in a point
INLINE_NODES = 400          # a recompute of an accepted graph this small runs on the event loop (< 1 ms)
log = logging.getLogger("symgrad.serve")
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, body: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.body = body or {"error": error, "message": model.one_line(message)}


def _error(status: int, error: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": error, "message": model.one_line(message), **extra}, status_code=status)


class Pool:
    """Workers with a bounded queue: ``capacity`` calls in flight (running or queued) at
    most; the next is refused with 503 at once rather than left to wait. Threads, or
    processes (``processes=True``: heavy work then never holds this process's GIL)."""

    def __init__(self, workers: int, capacity: int, name: str, processes: bool = False) -> None:
        self.workers, self.processes, self.name = workers, processes, name
        self.capacity, self.busy, self.lock = capacity, 0, threading.Lock()
        self.executor = self._executor()

    def _executor(self) -> Any:
        if self.processes:
            import multiprocessing
            return ProcessPoolExecutor(max_workers=self.workers, initializer=model.warm,
                                       mp_context=multiprocessing.get_context("spawn"))
        return ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=f"symgrad-{self.name}")

    def _replace_broken(self, broken: Any) -> None:
        """A worker process died (killed, out of memory): start a fresh pool for what follows."""
        with self.lock:
            if self.executor is broken:
                log.error("a worker process died; starting new workers")
                self.executor = self._executor()
                broken.shutdown(wait=False, cancel_futures=True)

    def _done(self, _future: Any) -> None:
        with self.lock:
            self.busy -= 1

    async def run(self, timeout: float, fn: Callable, *args: Any) -> Any:
        with self.lock:
            if self.busy >= self.capacity:
                raise ApiError(503, "Busy", "the server is busy; try again in a moment")
            self.busy += 1
        executor = self.executor
        try:
            future = executor.submit(fn, *args)
        except BaseException as err:
            self._done(None)
            if isinstance(err, BrokenExecutor):
                self._replace_broken(executor)
                raise ApiError(503, "WorkerLost", "a worker stopped; try again") from None
            raise
        future.add_done_callback(self._done)  # the slot frees when the work really ends
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout)
        except asyncio.TimeoutError:
            future.cancel()  # only helps if it has not started
            raise ApiError(503, "Timeout", f"the request took longer than {timeout:g} s; "
                           "try a smaller program") from None
        except BrokenExecutor:
            self._replace_broken(executor)
            raise ApiError(503, "WorkerLost", "a worker stopped while answering; try again") from None

    async def warm(self, limit: float = 120.0) -> None:
        """Start the worker processes (each runs ``model.warm`` first) and wait, at most
        ``limit`` s, until they answer: the first user's request should not pay for imports."""
        if self.processes:
            futures = [asyncio.wrap_future(self.executor.submit(int)) for _ in range(self.workers)]
            await asyncio.wait(futures, timeout=limit)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def max_body(limits: Limits) -> int:
    return max(MAX_BODY, 12 * int(limits.max_chars) + 4096)


async def _body(request: Request, cap: int) -> dict:
    too_large = ApiError(413, "LimitError", f"the request body is over {cap} bytes; the program may have at most "
                         "max_chars characters")
    size = request.headers.get("content-length")
    if size is not None and (not size.isdigit() or int(size) > cap):
        raise too_large
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > cap:
            raise too_large
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, "BadRequest", "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ApiError(400, "BadRequest", "the body must be a JSON object")
    return data


def _fields(data: dict, *, fmt: tuple[str, ...] = ()) -> tuple:
    program = data.get("program")
    if not isinstance(program, str):
        raise ApiError(400, "BadRequest", 'give "program" as a string')
    point = data.get("point", {})
    if point is None:
        point = {}
    if not isinstance(point, dict) or len(point) > MAX_POINT or not all(
            isinstance(k, str) and isinstance(v, (int, float, str)) and not isinstance(v, bool)
            and (not isinstance(v, str) or len(v) <= 64) for k, v in point.items()):
        raise ApiError(400, "BadRequest", 'give "point" as an object of input name to number, e.g. {"a": 2}')
    if not fmt:
        return program, point
    value = data.get("format")
    if value not in fmt:
        raise ApiError(400, "BadRequest", f'give "format" as one of: {", ".join(fmt)}')
    return program, point, value


def create_app(*, limits: Limits | None = None, timeout: float = 10.0, workers: int = 2,
               queue: int = 64, processes: bool = True) -> Starlette:
    """The explorer app.

    ``limits`` bound every program (default ``model.WEB_LIMITS``); ``timeout`` (s) bounds
    every API request. ``workers`` worker processes (threads with ``processes=False``) do the
    heavy work: parsing a new program, drawing, steps, checks, exports. A slider recompute
    of a program this server has already accepted (``/api/program``: parsed, compiled and
    its graph within ``max_graph_nodes``) stays here: up to ``INLINE_NODES`` nodes it runs on
    the event loop (a few hundred float operations, under a millisecond), above that on two
    threads, so a drag stays fast while checks run. Each pool takes at most ``queue``
    requests in flight; past that, 503 at once.
    """
    limits = limits or model.WEB_LIMITS
    cap = max_body(limits)
    heavy = Pool(workers, queue, "heavy", processes=processes)
    light = Pool(2, queue, "light")
    accepted: collections.OrderedDict[str, int] = collections.OrderedDict()  # text /api/program analysed → nodes

    async def call(request: Request, action: str, *, fmt: tuple[str, ...] = ()) -> tuple[Any, str]:
        args = _fields(await _body(request, cap), fmt=fmt)
        request.state.work_start = time.perf_counter()  # the body is in: from here on it is our time
        size = accepted.get(args[0]) if action == "recompute" else None
        if size is not None and size <= INLINE_NODES:  # a few hundred float operations: no thread hop
            outcome = model.perform(action, *args, limits)
        else:
            pool = light if size is not None else heavy
            outcome = await pool.run(timeout, model.perform, action, *args, limits)
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
        summary: The worksheet at the point (md, html, tex or ipynb)
        description: Body {"program", "point", "format"}; the same bytes as
          symgrad worksheet PROGRAM --at ... -o worksheet.FORMAT (md and tex, which link
          their pictures, as a zip of every file that command writes).
        responses:
          200: {description: the worksheet file}
        """
        (data, name), fmt = await call(request, "worksheet", fmt=tuple(model.WORKSHEET_TYPES))
        media = model.WORKSHEET_TYPES[fmt] if name.endswith(fmt) else "application/zip"
        return Response(data, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})

    async def graph(request: Request) -> Response:
        """A graph download.
        ---
        summary: The graph at the point as SVG or PNG
        description: Body {"program", "point", "format"}; as symgrad graph PROGRAM --at ... -o graph.FORMAT.
        responses:
          200: {description: the picture}
        """
        data, fmt = await call(request, "graph", fmt=tuple(model.GRAPH_TYPES))
        return Response(data, media_type=model.GRAPH_TYPES[fmt],
                        headers={"content-disposition": f'attachment; filename="graph.{fmt}"'})

    async def limits_view(request: Request) -> Response:
        """The limits in force.
        ---
        summary: The symgrad.Limits and request bounds this server applies
        responses:
          200: {description: the limits}
        """
        from dataclasses import asdict
        return JSONResponse({"limits": asdict(limits), "timeout": timeout, "max_body": cap})

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    schemas = SchemaGenerator({"openapi": "3.0.0", "info": {"title": "symgrad serve", "version": __version__}})

    async def openapi(request: Request) -> Response:
        return JSONResponse(schemas.get_schema(routes=app.routes))

    async def not_found(request: Request, err: Exception) -> Response:
        status = getattr(err, "status_code", 404)
        return _error(status, "NotFound" if status == 404 else "MethodNotAllowed" if status == 405 else "HTTPError",
                      getattr(err, "detail", "not found"))

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
        Route("/openapi.json", openapi, include_in_schema=False),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        await heavy.warm()
        model.perform("recompute", "z = x*y", {"x": 1.0, "y": 2.0}, limits)  # import what a slider needs
        gc.freeze()  # what is loaded now is never garbage: later collections skip it (shorter GC pauses)
        yield
        heavy.shutdown()
        light.shutdown()

    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)], lifespan=lifespan,
                    exception_handlers={404: not_found, 405: not_found})
    app.state.pools = (heavy, light)
    return app


def guarded(handler: Callable) -> Callable:
    """Every API error as JSON with a 4xx (or 500 for a bug, logged, never a traceback)."""
    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        start = time.perf_counter()
        try:
            response = await handler(request)
            end = time.perf_counter()
            work = getattr(request.state, "work_start", start)
            response.headers["server-timing"] = f"app;dur={1000 * (end - start):.2f}, work;dur={1000 * (end - work):.2f}"
            return response
        except ApiError as err:
            return JSONResponse(err.body, status_code=err.status)
        except SymgradError as err:
            status, body = model.error_payload(err)
            return JSONResponse(body, status_code=status)
        except Exception:  # a bug: the user gets one line, the log the traceback
            log.exception("internal error on %s", request.url.path)
            return _error(500, "InternalError", "internal error; the server log has the details")
    return run


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response (pure ASGI, streams untouched)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


@contextlib.contextmanager
def running(app: Starlette, host: str = "127.0.0.1"):
    """Serve ``app`` with uvicorn on a free port of ``host`` in a background thread; yields
    its base URL and stops the server on exit (for tests and ``bench/serve_load.py``)."""
    import socket

    import uvicorn
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
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
