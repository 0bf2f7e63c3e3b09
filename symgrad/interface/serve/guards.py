"""The explorer's guards: what a request meets before and around the work.

A body-size cap (413) and JSON and field checks (400: ``read_body``, ``fields``); a bounded
pool of workers (``Pool``: over capacity 503 at once, past the timeout 503, a dead worker
process replaced); ``guarded``, which turns every error into JSON (``{"error": type,
"message": one line}``; a bug is a logged 500, never a traceback); and ``SecurityHeaders`` on
every response. ``app`` wires them to the routes.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
import time
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...base.errors import SymgradError
from . import actions

__all__ = ["ApiError", "error_response", "Pool", "read_body", "fields", "guarded", "SecurityHeaders",
           "SECURITY_HEADERS", "MAX_POINT"]

MAX_POINT = 10_000          # names in a point
log = logging.getLogger("symgrad.serve")
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class ApiError(Exception):
    """A refused request: its HTTP status and the JSON body the client gets."""

    def __init__(self, status: int, error: str, message: str, body: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.body = body or {"error": error, "message": actions.one_line(message)}


def error_response(err: ApiError) -> JSONResponse:
    """The error's JSON body with its status."""
    return JSONResponse(err.body, status_code=err.status)


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
            return ProcessPoolExecutor(max_workers=self.workers, initializer=actions.warm,
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
        """Start the worker processes (each runs ``actions.warm`` first) and wait, at most
        ``limit`` s, until they answer: the first user's request should not pay for imports."""
        if self.processes:
            futures = [asyncio.wrap_future(self.executor.submit(int)) for _ in range(self.workers)]
            await asyncio.wait(futures, timeout=limit)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


async def read_body(request: Request, cap: int) -> dict:
    """The request's JSON object, read no further than ``cap`` bytes (413 past it, 400 if not an object)."""
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


def fields(data: dict, *, fmt: tuple[str, ...] = ()) -> tuple:
    """``(program, point)``, or ``(program, point, format)`` when ``fmt`` lists the formats; 400 on a bad field."""
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
            return error_response(err)
        except SymgradError as err:
            status, body = actions.error_payload(err)
            return JSONResponse(body, status_code=status)
        except Exception:  # a bug: the user gets one line, the log the traceback
            log.exception("internal error on %s", request.url.path)
            return error_response(ApiError(500, "InternalError", "internal error; the server log has the details"))
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
