"""The explorer's guards: what a request meets before and around the work.

``LocalOnly`` (this server's own page only: Host, Origin, JSON); a body-size cap (413), a
body deadline (408) and JSON and field checks (400: ``read_body``, ``fields``); ``guarded``, which turns every error into JSON (``{"error": type,
"message": one line}``; a bug is a logged 500, never a traceback); and ``SecurityHeaders`` on
every response. ``app`` wires them to the routes; ``workers.Pool`` runs the work.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from ...base.errors import SymgradError, escape_text
from ...base.validate import NumberTooLong, json_loads
from . import actions

__all__ = ["ApiError", "error_response", "read_body", "fields", "guarded", "SecurityHeaders",
           "LocalOnly", "SECURITY_HEADERS", "MAX_POINT", "BODY_TIMEOUT"]

MAX_POINT = 10_000          # names in a point
BODY_TIMEOUT = 10.0         # seconds a client has to send a request's body
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


async def read_body(request: Request, cap: int, limit: float | None = None) -> dict:
    """The request's JSON object, read no further than ``cap`` bytes (413 past it, 400 if not
    an object) and within ``limit`` seconds (``BODY_TIMEOUT``; 408: a client that trickles its
    body is cut off)."""
    limit = BODY_TIMEOUT if limit is None else limit
    too_large = ApiError(413, "LimitError", f"the request body is over {cap} bytes; the program may have at most "
                         "max_chars characters")
    size = request.headers.get("content-length")
    if size is not None and (not size.isdigit() or int(size) > cap):
        raise too_large

    async def read() -> list[bytes]:
        chunks, total = [], 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > cap:
                raise too_large
            chunks.append(chunk)
        return chunks
    try:
        chunks = await asyncio.wait_for(read(), limit)
    except asyncio.TimeoutError:
        raise ApiError(408, "RequestTimeout", f"the request body did not arrive within {limit:g} s") from None
    try:
        data = json_loads(b"".join(chunks).decode("utf-8"))
    except NumberTooLong as err:
        raise ApiError(400, "BadRequest", escape_text(str(err), 160)) from None
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
        except ClientDisconnect:  # the client left before sending its body: nobody to answer, nothing wrong
            return Response(status_code=400)
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


class LocalOnly:
    """The explorer answers its own page only (pure ASGI; docs/security.md, "symgrad serve").

    - ``Host`` must name this server: the bound address, ``localhost`` or a loopback address,
      a name given with ``--allow-host``, or, when bound to every address (``0.0.0.0``,
      ``::``), any IP address. A DNS-rebinding page sends its own name, so it gets 403.
    - A POST (every API call that works) must come from this server's own page: its
      ``Origin``, when sent, must be ``http://`` + its ``Host``; without one, its
      ``Sec-Fetch-Site``, when sent, must be ``same-origin`` or ``none``. A client that
      sends neither (curl, a script) is no browser, so no other site is speaking through it.
    - A POST's body must be declared JSON (``Content-Type: application/json``): a form or a
      ``text/plain`` fetch from another site cannot declare it without a CORS preflight,
      which this server never grants (415 otherwise).
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", allow_hosts: tuple[str, ...] = ()) -> None:
        self.app = app
        self.names = {_host_name(host), "localhost", *(_host_name(h) for h in allow_hosts)}
        self.any_ip = _ip(_host_name(host)) is not None and _ip(_host_name(host)).is_unspecified

    def refusal(self, method: str, headers: dict[str, str]) -> ApiError | None:
        host = headers.get("host", "")
        name = _host_name(host)
        address = _ip(name)
        if not (name in self.names or (address is not None and (address.is_loopback or self.any_ip))):
            return ApiError(403, "ForbiddenHost", "this server does not answer to that host name; "
                            "start it with --allow-host NAME to add one")
        if method != "POST":
            return None
        origin, site = headers.get("origin"), headers.get("sec-fetch-site")
        if (origin is not None and origin.lower() != f"http://{host.lower()}") or (
                origin is None and site is not None and site not in ("same-origin", "none")):
            return ApiError(403, "CrossSiteRequest", "the explorer answers requests from its own page only")
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            return ApiError(415, "UnsupportedMediaType", "send the body as JSON (Content-Type: application/json)")
        return None

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            refused = self.refusal(scope["method"], headers)
            if refused is not None:
                return await error_response(refused)(scope, receive, send)
        await self.app(scope, receive, send)


def _host_name(host: str) -> str:
    """The name or address in a Host header or a --host value, without port or brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def _ip(name: str) -> Any:
    import ipaddress
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None
