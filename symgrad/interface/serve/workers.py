"""The explorer's workers: a bounded pool of worker processes (or threads) that runs the heavy work.

``Pool.run`` answers 503 at once over capacity and 503 past the timeout; a worker process past
the timeout is killed and replaced, and so is one that dies. Each worker process's address space
is capped (``WORKER_MEMORY`` beyond what a warm worker holds, ``resource.RLIMIT_AS``): a request
that needs more gets 503 ``LimitError`` and its worker is replaced.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import pickle
import signal
import struct
import sys
import select
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from . import actions
from .guards import ApiError

__all__ = ["Pool", "WORKER_MEMORY"]

WORKER_MEMORY = 1 << 30     # bytes a worker process may add to its warm address space (1 GiB)


class Pool:
    """Workers with a bounded queue: ``capacity`` calls in flight (running or queued) at
    most; the next is refused with 503 at once rather than left to wait. Threads, or
    processes (``processes=True``: heavy work then never holds this process's GIL).

    With processes, the event loop itself sends each call down an idle worker's pipe and
    reads the answer when the pipe is readable: no thread of this process waits on a worker,
    so a slider answered on the event loop never waits for the GIL behind a thread that
    unpickles a worker's answer (under CPU contention such a thread can be descheduled while it
    holds the GIL). Calls wait for an idle worker in arrival order.

    A worker process past the timeout is killed and replaced, with every process it started
    (it leads its own process group: Graphviz's ``dot`` dies with it), so a timeout frees what it
    stops: the replacement is forked (on a helper thread) from a fork server that imported and
    exercised the workers' code once (``preload``), so it is ready at once. A worker that dies
    (killed, out of memory) is replaced the same way. Threads cannot be stopped: past the
    timeout a thread's slot stays taken until its work ends.
    """

    def __init__(self, workers: int, capacity: int, name: str, processes: bool = False,
                 memory: int | None = WORKER_MEMORY) -> None:
        self.workers, self.processes, self.name, self.memory = workers, processes, name, memory
        self.capacity, self.busy, self.lock = capacity, 0, threading.Lock()
        self.threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"symgrad-{name}")
        self.ready: collections.deque[_Worker] = collections.deque()       # idle worker processes
        self.waiters: collections.deque[asyncio.Future] = collections.deque()  # calls waiting for one
        self.live: set[_Worker] = set()
        self.closed = self.started = False
        self.warmed = not processes  # processes: once every worker is forked from the warm fork server

    def pids(self) -> list[int]:
        """The worker processes' ids (for tests)."""
        with self.lock:
            return sorted(w.process.pid for w in self.live)

    # -- worker processes: started and replaced on helper threads, handed to waiting calls ------

    def _start(self) -> None:
        for _ in range(self.workers):
            if self.closed:
                return
            self._release(self._new_worker())  # the first waits for the fork server's preload
        self.warmed = True

    def _new_worker(self) -> "_Worker":
        worker = _Worker(self.memory)
        with self.lock:
            self.live.add(worker)
        return worker

    def _replace(self, worker: "_Worker") -> None:
        """On a helper thread: stop ``worker`` (killed, or dead already) and start a warm one."""
        with self.lock:
            self.live.discard(worker)
        worker.stop()
        if not self.closed:
            self._release(self._new_worker())

    def _release(self, worker: "_Worker") -> None:
        """An idle worker: to the first call waiting for one, else to the ready queue (any thread)."""
        with self.lock:
            while self.waiters:
                waiter = self.waiters.popleft()
                if not waiter.done():
                    waiter.get_loop().call_soon_threadsafe(self._hand, waiter, worker)
                    return
            self.ready.append(worker)

    def _hand(self, waiter: asyncio.Future, worker: "_Worker") -> None:
        if waiter.done():           # it gave up (timeout) meanwhile: the next one gets the worker
            self._release(worker)
        else:
            waiter.set_result(worker)

    async def _acquire(self) -> "_Worker":
        loop = asyncio.get_running_loop()
        with self.lock:
            if self.ready:
                return self.ready.popleft()
            waiter = loop.create_future()
            self.waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            with self.lock:
                if waiter in self.waiters:
                    self.waiters.remove(waiter)
            if waiter.done() and not waiter.cancelled():  # handed a worker as it gave up: pass it on
                self._release(waiter.result())
            raise

    async def _call(self, fn: Callable, args: tuple) -> Any:
        """One call on an idle worker process, its pipe read by the event loop. Cancelled (past
        the timeout) while the worker runs it: the worker is killed and replaced."""
        loop = asyncio.get_running_loop()
        worker = await self._acquire()
        fd, answered = worker.conn.fileno(), loop.create_future()
        loop.add_reader(fd, worker.read, answered)
        healthy = False   # answered (or raised a bug it reported): the worker can take the next call
        try:
            worker.conn.send((fn, args))
            message = await answered
            try:
                value = worker.answer(message)
            except RuntimeError:  # a bug the worker reported: it is well and takes the next call
                healthy = True
                raise
            healthy = True
            return value
        except (EOFError, OSError):
            raise _Lost() from None
        finally:
            loop.remove_reader(fd)
            if healthy and not self.closed:
                self._release(worker)
            elif not self.closed:  # past its timeout, dead, or out of memory: a warm one replaces it
                worker.kill()
                self.threads.submit(self._replace, worker)

    async def run(self, timeout: float, fn: Callable, *args: Any) -> Any:
        with self.lock:
            if self.busy >= self.capacity:
                raise ApiError(503, "Busy", "the server is busy; try again in a moment")
            self.busy += 1
        if not self.processes:
            return await self._run_thread(timeout, fn, args)
        try:
            return await asyncio.wait_for(self._call(fn, args), timeout)
        except asyncio.TimeoutError:
            raise _timeout(timeout) from None
        except _Lost:
            raise ApiError(503, "WorkerLost", "a worker stopped while answering; try again") from None
        except _OverMemory:
            raise ApiError(503, "LimitError", f"the request needed more than {self.memory >> 20} MiB of memory "
                           "(the server's cap per worker); try a smaller program") from None
        finally:
            self._done(None)

    async def _run_thread(self, timeout: float, fn: Callable, args: tuple) -> Any:
        try:
            future = self.threads.submit(fn, *args)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)  # the slot frees when the work really ends
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout)
        except asyncio.TimeoutError:
            future.cancel()  # only helps if it has not started
            raise _timeout(timeout) from None

    def _done(self, _future: Any) -> None:
        with self.lock:
            self.busy -= 1

    async def warm(self, limit: float = 120.0) -> None:
        """Start the worker processes, and wait, at most ``limit`` s, until they are ready:
        the first user's request should not pay for imports."""
        if self.processes and not self.started:
            self.started = True
            loop = asyncio.get_running_loop()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(loop.run_in_executor(self.threads, self._start), limit)

    def shutdown(self) -> None:
        self.closed = True
        with self.lock:
            live, self.live = list(self.live), set()
            waiters, self.waiters = list(self.waiters), collections.deque()
        for waiter in waiters:
            waiter.get_loop().call_soon_threadsafe(waiter.cancel)
        for worker in live:
            worker.stop()
        self.threads.shutdown(wait=False, cancel_futures=True)


def _timeout(timeout: float) -> ApiError:
    return ApiError(503, "Timeout", f"the request took longer than {timeout:g} s; try a smaller program")


class _Lost(Exception):
    """A worker process died while answering."""


class _OverMemory(Exception):
    """A worker process ran out of its capped memory (it is replaced)."""


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

    def __init__(self, memory: int | None = None) -> None:
        ctx = _context()
        self.conn, child = ctx.Pipe()
        self.spent = False   # out of memory once: replaced after its answer
        self.inbox = bytearray()  # the answer's bytes so far
        self.process = ctx.Process(target=_work, args=(child, memory), name="symgrad-worker", daemon=True)
        self.process.start()
        child.close()

    def read(self, answered: "asyncio.Future") -> None:
        """The pipe is readable: take what has arrived, without waiting for the rest (a worker at
        low priority may be descheduled halfway through a long answer; the event loop must not
        wait with it). The whole message (``Connection.send``'s framing: a 4-byte length, or -1
        and an 8-byte length, then the pickle) completes ``answered``."""
        if answered.done():
            return
        try:
            chunk = os.read(self.conn.fileno(), 1 << 20)
        except BlockingIOError:
            return
        except OSError as err:
            answered.set_exception(err)
            return
        if not chunk:
            answered.set_exception(EOFError())
            return
        self.inbox += chunk
        head = 4 if len(self.inbox) < 4 or struct.unpack("!i", self.inbox[:4])[0] != -1 else 12
        if len(self.inbox) < head:
            return
        size = struct.unpack("!i", self.inbox[:4])[0] if head == 4 else struct.unpack("!Q", self.inbox[4:12])[0]
        if len(self.inbox) >= head + size:
            message, self.inbox = bytes(self.inbox[head:head + size]), bytearray(self.inbox[head + size:])
            answered.set_result(message)

    def answer(self, message: bytes) -> Any:
        """The answer to the call, from its message (unpickled)."""
        kind, value = pickle.loads(message)
        if kind == "memory":
            self.spent = True
            raise _OverMemory()
        if kind == "raised":
            raise RuntimeError(f"a worker raised {value}")
        return value

    def kill(self) -> None:
        """Kill the worker and every process it started: it leads its own process group (``_work``), so
        Graphviz's ``dot`` running under it dies with it rather than running on, orphaned."""
        if hasattr(os, "killpg"):
            with contextlib.suppress(OSError):  # not a leader yet (just started) or gone: kill it alone
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.is_alive():
            self.process.kill()

    def stop(self) -> None:
        self.kill()
        self.conn.close()
        self.process.join(5)


def _cap_memory(memory: int | None) -> None:
    """Cap this process's address space at its present size plus ``memory`` bytes (where the
    platform has RLIMIT_AS): past it an allocation fails with MemoryError instead of taking the machine."""
    try:
        import resource
        with open("/proc/self/statm", encoding="ascii") as fh:
            size = int(fh.read().split()[0]) * resource.getpagesize()
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        cap = size + memory if hard == resource.RLIM_INFINITY else min(size + memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, OSError, ValueError, AttributeError):
        pass  # no /proc or no RLIMIT_AS (macOS, Windows): uncapped, as before


def _orphaned(fd: int) -> None:
    """Kill this worker's process group, Graphviz's dot included, once the server's end of its pipe
    (a socket pair) closes: a server killed mid-request (kill -9, a closed terminal) then leaves no
    work running. The worker's loop would see the closed pipe only when it next waits for work,
    after dot's layout (minutes under raised limits); the fork server, which every worker keeps
    alive, does not end first. POLLRDHUP reports the peer's close without reading a call."""
    watch = select.poll()
    watch.register(fd, select.POLLRDHUP)
    while True:
        events = [event for _, event in watch.poll()]
        if any(event & select.POLLNVAL for event in events):
            return      # our own end is closed: the worker is on its way out
        if any(event & (select.POLLRDHUP | select.POLLHUP | select.POLLERR) for event in events):
            os.killpg(0, signal.SIGKILL)


def _work(conn: Any, memory: int | None = None) -> None:
    """A worker process's loop: answer ``(fn, args)`` calls until the pipe closes."""
    if hasattr(os, "setpgid"):
        # A process group of our own, so the pool kills it whole, dot included. Not a session of
        # our own: Linux's autogroup scheduler shares the CPU between sessions as equals, which
        # would give every niced worker as much CPU as the server's event loop.
        os.setpgid(0, 0)
    if hasattr(os, "killpg") and hasattr(select, "POLLRDHUP"):   # Linux
        threading.Thread(target=_orphaned, args=(conn.fileno(),), name="symgrad-orphan-watch", daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    if hasattr(signal, "SIGTTOU"):
        # Our group is never the terminal's foreground: under `stty tostop` a write to the
        # terminal (the log of an internal error) would stop us until the timeout killed us.
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    if _PRELOAD not in sys.modules:  # spawned, not forked from the warm server
        actions.warm()
    if memory is not None:
        _cap_memory(memory)
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("done", fn(*args))
        except MemoryError:  # over the cap: say so, then stop (the pool starts a fresh worker)
            reply = ("memory", None)
        except Exception as err:  # perform already turns errors into data: this is a bug
            reply = ("raised", type(err).__name__)
        conn.send(reply)
        if reply[0] == "memory":
            return
