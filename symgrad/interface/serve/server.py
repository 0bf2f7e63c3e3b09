"""The explorer's HTTP server: uvicorn on a socket bound here, with deadlines and a connection cap.

uvicorn's h11 protocol waits for a request's head for ever and accepts every connection, so
400 half-open connections (slow-loris) stay open and 1,100 exhaust the file descriptors.
``GuardedH11`` gives every connection ``HEAD_TIMEOUT`` seconds to send a complete request
head, counted from when it starts waiting for one (a trickle of bytes does not extend it), and
keeps at most ``max_connections`` open: a new connection over the cap closes the one that has
waited longest for its head, so people who send whole requests always get in. Bodies have their
own deadline (``guards.BODY_TIMEOUT``). ``listen`` binds the socket itself, so a bad ``--host``
or a busy port is one ``InputError`` line, not uvicorn's exit.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ...base.errors import InputError, quote

__all__ = ["GuardedH11", "listen", "server", "HEAD_TIMEOUT", "MAX_CONNECTIONS", "MAX_HEAD"]

HEAD_TIMEOUT = 5.0          # seconds to send a request's head (a browser sends it at once)
MAX_CONNECTIONS = 512       # open connections at most (below the usual 1,024 file descriptors)
MAX_HEAD = 16 * 1024        # bytes of one request head


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head and a cap on connections."""

    max_connections = MAX_CONNECTIONS
    head_timeout = HEAD_TIMEOUT

    def __init__(self, config: Any, server_state: Any, *args: Any, **kw: Any) -> None:
        super().__init__(config, server_state, *args, **kw)
        if not hasattr(server_state, "waiting"):
            server_state.waiting = {}           # this server's connections waiting for a head, oldest first
        self.waiting: dict[int, GuardedH11] = server_state.waiting
        self.head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        while len(self.connections) > self.max_connections and self.waiting:
            oldest = next(iter(self.waiting.values()))
            oldest._close()
        self._await_head()

    def _await_head(self) -> None:
        self._head_arrived()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self.head_timer = self.loop.call_later(self.head_timeout, self._close)
            self.waiting[id(self)] = self

    def _head_arrived(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None
        self.waiting.pop(id(self), None)

    def _close(self) -> None:
        self._head_arrived()
        self.connections.discard(self)
        if not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.head_timer is not None and self.conn.their_state is not h11.IDLE:
            self._head_arrived()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():  # keep-alive: the next head has the same deadline
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_arrived()
        super().connection_lost(exc)


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port``; InputError (one line) if it cannot be had."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError, ValueError) as err:
        raise InputError(f"--host {quote(host)} is not an address of this machine ({err})",
                         hint="use 127.0.0.1 (this machine only) or 0.0.0.0 (the LAN)") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        why = "the port is in use" if err.errno in (98, 48, 10048) else (err.strerror or str(err))
        raise InputError(f"cannot listen on {quote(host)} port {port}: {why}",
                         hint="choose another --port or --host") from None
    sock.set_inheritable(True)
    return sock


def server(app: Any) -> uvicorn.Server:
    """A uvicorn server for ``app`` with the guards above (give it sockets from ``listen``)."""
    _raise_file_limit()
    return uvicorn.Server(uvicorn.Config(
        app, http=GuardedH11, log_level="warning", access_log=False, lifespan="on",
        timeout_keep_alive=int(HEAD_TIMEOUT), h11_max_incomplete_event_size=MAX_HEAD))


def _raise_file_limit() -> None:
    """Room for MAX_CONNECTIONS and the workers' pipes: raise the soft file limit to the hard one."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 4096, hard))
    except (ImportError, ValueError, OSError):
        pass
