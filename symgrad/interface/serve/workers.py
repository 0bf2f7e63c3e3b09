"""The explorer's workers: a bounded pool of worker processes (or threads) that runs the heavy work.

``Pool.run`` answers 503 at once over capacity and 503 past the timeout; a worker process past
the timeout is killed and replaced, and so is one that dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from . import actions
from .guards import ApiError

__all__ = ["Pool"]


class Pool:
    """Workers with a bounded queue: ``capacity`` calls in flight (running or queued) at
    most; the next is refused with 503 at once rather than left to wait. Threads, or
    processes (``processes=True``: heavy work then never holds this process's GIL).

    A worker process past the timeout is killed and replaced, so a timeout frees what it
    stops: the replacement is forked from a fork server that imported and exercised the
    workers' code once (``preload``), so it is ready at once. A worker that dies (killed,
    out of memory) is replaced the same way. Threads cannot be stopped: past the timeout a
    thread's slot stays taken until its work ends.
    """

    def __init__(self, workers: int, capacity: int, name: str, processes: bool = False) -> None:
        self.workers, self.processes, self.name = workers, processes, name
        self.capacity, self.busy, self.lock = capacity, 0, threading.Lock()
        self.threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"symgrad-{name}")
        self.idle: queue.SimpleQueue = queue.SimpleQueue()
        self.live: set[_Worker] = set()
        self.closed = self.started = False

    def pids(self) -> list[int]:
        """The worker processes' ids (for tests)."""
        with self.lock:
            return sorted(w.process.pid for w in self.live)

    def _new_worker(self) -> "_Worker":
        worker = _Worker()
        with self.lock:
            self.live.add(worker)
        return worker

    def _retire(self, worker: "_Worker") -> None:
        with self.lock:
            self.live.discard(worker)
        worker.stop()

    def _start(self) -> None:
        for _ in range(self.workers):
            if self.closed:
                return
            self.idle.put(self._new_worker())

    def _done(self, _future: Any) -> None:
        with self.lock:
            self.busy -= 1

    def _call(self, job: "_Job", fn: Callable, args: tuple) -> Any:
        """On a pool thread: one idle worker process answers, or is replaced if it is stopped or dies."""
        worker = None
        while worker is None:
            if job.cancelled or self.closed:
                return None
            with contextlib.suppress(queue.Empty):
                worker = self.idle.get(timeout=0.5)
        with job.lock:
            job.worker = None if job.cancelled else worker
        lost = False
        try:
            if job.worker is None:
                return None
            return worker.call(fn, args)
        except (EOFError, OSError):
            lost = True
            if job.cancelled:   # stopped past its timeout: the request has its answer already
                return None
            raise _Lost() from None
        finally:
            with job.lock:
                job.worker = None
            if lost or not worker.process.is_alive():
                self._retire(worker)
                if not self.closed:
                    worker = self._new_worker()
            if not self.closed:
                self.idle.put(worker)

    async def run(self, timeout: float, fn: Callable, *args: Any) -> Any:
        with self.lock:
            if self.busy >= self.capacity:
                raise ApiError(503, "Busy", "the server is busy; try again in a moment")
            self.busy += 1
        job = _Job()
        try:
            future = (self.threads.submit(self._call, job, fn, args) if self.processes
                      else self.threads.submit(fn, *args))
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)  # the slot frees when the work really ends
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout)
        except asyncio.TimeoutError:
            future.cancel()  # only helps if it has not started
            job.stop()       # a worker process is killed now, and replaced
            raise ApiError(503, "Timeout", f"the request took longer than {timeout:g} s; "
                           "try a smaller program") from None
        except _Lost:
            raise ApiError(503, "WorkerLost", "a worker stopped while answering; try again") from None

    async def warm(self, limit: float = 120.0) -> None:
        """Start the worker processes, and wait, at most ``limit`` s, until they are ready:
        the first user's request should not pay for imports."""
        if self.processes and not self.started:
            self.started = True
            loop = asyncio.get_running_loop()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(loop.run_in_executor(None, self._start), limit)

    def shutdown(self) -> None:
        self.closed = True
        with self.lock:
            live, self.live = list(self.live), set()
        for worker in live:
            worker.stop()
        self.threads.shutdown(wait=False, cancel_futures=True)


class _Lost(Exception):
    """A worker process died while answering."""


class _Job:
    """One call on a worker process: which worker runs it, so that a timeout can stop it."""

    def __init__(self) -> None:
        self.lock, self.worker, self.cancelled = threading.Lock(), None, False

    def stop(self) -> None:
        with self.lock:
            self.cancelled = True
            if self.worker is not None:
                self.worker.process.kill()   # its thread sees EOF, then starts a replacement


_PRELOAD = "symgrad.interface.serve.preload"


def _context() -> Any:
    """Fork from a warm fork server where there is one (Linux, macOS); spawn elsewhere."""
    import multiprocessing
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([_PRELOAD])
        return ctx
    return multiprocessing.get_context("spawn")


class _Worker:
    """One worker process and this side of its pipe."""

    def __init__(self) -> None:
        ctx = _context()
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_work, args=(child,), name="symgrad-worker", daemon=True)
        self.process.start()
        child.close()

    def call(self, fn: Callable, args: tuple) -> Any:
        self.conn.send((fn, args))
        kind, value = self.conn.recv()
        if kind == "raised":
            raise RuntimeError(f"a worker raised {value}")
        return value

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.conn.close()
        self.process.join(5)


def _work(conn: Any) -> None:
    """A worker process's loop: answer ``(fn, args)`` calls until the pipe closes."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    if _PRELOAD not in sys.modules:  # spawned, not forked from the warm server
        actions.warm()
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("done", fn(*args))
        except Exception as err:  # perform already turns errors into data: this is a bug
            reply = ("raised", type(err).__name__)
        conn.send(reply)
