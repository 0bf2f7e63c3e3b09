"""Judging a class's distinct formula answers on every core, through a replaceable executor.

``sg.grade`` marks a class in two passes. First every distinct formula answer is parsed once
in this process and reduced to its canonical text (``b*f``, ``(b)*f`` and ``b * f`` are one
claim); the first answer of each (blank, canonical claim), in the order one-at-a-time marking
meets them, is a job. The jobs are independent: each is judged by ``_Marker._mark`` exactly as
the one-at-a-time path judges it (the same seed, the same structural ``CellBudget``, never a
clock), so the grades are the same bytes whichever executor ran them and in whatever order
the jobs finished. Then the class is marked row by row from the two caches.

The executor is anything with ``map(fn, iterable)`` returning results in order:

- the default, a ``concurrent.futures.ProcessPoolExecutor`` on every core;
- ``dask.distributed.Client(...).get_executor()`` (a cluster of machines);
- ``ray.util.multiprocessing.Pool()`` (Ray's drop-in for ``multiprocessing.Pool``).

``fn`` and its arguments are plain picklable data (the marker's class by name, the key as a
dict), so a remote worker needs only ``symgrad`` installed. See docs/grading.md.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Iterable

from ..base.validate import whole_number

__all__ = ["prejudge", "MIN_PARALLEL_JOBS"]

MIN_PARALLEL_JOBS = 24   # fewer distinct formulas are judged here: starting processes costs more
_WORKER_MARKERS: dict[str, Any] = {}   # per worker process: the key's parsed program, once per key


def _token(make: type, payload: tuple) -> str:
    key, rtol, atol, seed, budget = payload
    return json.dumps([make.__qualname__, key, rtol, atol, seed, repr(budget)], sort_keys=True)


def _judge_chunk(job: tuple[type, tuple, list[tuple[str, str]]]) -> list[tuple[Any, bool]]:
    """In a worker: judge (blank, answer) pairs of one key; returns (CellMark, cached?) each.
    ``make`` is the marker's class (``grading._Marker``, pickled by name), so this module never
    imports ``grading``, which imports it."""
    make, payload, items = job
    token = _token(make, payload)
    marker = _WORKER_MARKERS.get(token)
    if marker is None:
        _WORKER_MARKERS.clear()   # one key at a time keeps a worker's memory flat
        marker = _WORKER_MARKERS[token] = make(*payload)
    out = []
    for bid, raw in items:
        before = len(marker.cache)
        mark = marker._mark(bid, raw)
        out.append((mark, len(marker.cache) > before))
    return out


def _default_executor(workers: int):
    # fork starts a worker in milliseconds with symgrad already imported; with other threads
    # running (a server), forkserver, which never copies a lock another thread holds.
    method = "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() \
        else "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method))


def _chunks(items: list, n: int) -> Iterable[list]:
    size = max(1, -(-len(items) // n))
    for i in range(0, len(items), size):
        yield items[i:i + size]


def prejudge(markers: dict, wanted: dict, *, workers: int | None = None, executor: Any = None) -> int:
    """Judge the distinct formula answers in ``wanted`` ({sheet: [(blank, answer), …]} in the
    order one-at-a-time marking meets them) and fill each marker's caches. Returns the number
    of claims judged here. ``workers`` (default: every core) is the process count of the
    default executor; ``workers=1`` judges nothing here (marking then judges one at a time)."""
    jobs: list[tuple[type, Any, list[tuple[str, str]]]] = []
    for sheet, items in wanted.items():
        marker = markers[sheet]
        first: dict[tuple[str, str], str] = {}
        for bid, raw in items:
            canonical = marker.canonical(bid, raw)
            if canonical is not None:
                first.setdefault((bid, canonical), raw)
        if first:
            jobs.append((type(marker), marker.payload, [(bid, raw) for (bid, _), raw in first.items()]))
    total = sum(len(items) for _, _, items in jobs)
    workers = (os.cpu_count() or 1) if workers is None else whole_number(workers, "workers", minimum=1)
    if total < MIN_PARALLEL_JOBS and executor is None or (workers <= 1 and executor is None):
        return 0
    own = executor is None
    if own:   # import the judge's modules once here: forked workers start with them loaded
        from ..gradcheck import claim_proof, claims, reference  # noqa: F401
    pool = _default_executor(workers) if own else executor
    spread = [(make, payload, chunk) for make, payload, items in jobs
              for chunk in _chunks(items, 4 * max(workers, 1))]
    try:
        results = list(pool.map(_judge_chunk, spread))
    finally:
        if own:
            pool.shutdown()
    for (_, payload, chunk), marks in zip(spread, results):
        marker = next(m for m in markers.values() if m.payload is payload)
        for (bid, raw), (mark, cached) in zip(chunk, marks):
            marker.seen[(bid, raw)] = mark
            if cached:
                marker.cache[(bid, marker.canonical(bid, raw))] = mark
    return total
