"""Imported once, by the worker fork server only: it loads and exercises what the explorer's
workers run (``actions.warm``), so that every worker forked from it starts warm, and a worker
stopped past its timeout is replaced at once (``workers.Pool``)."""

import gc

from . import actions, workers  # noqa: F401  (workers: the worker processes' loop)

actions.warm()
gc.freeze()  # what is loaded now is never collected: a forked worker's GC does not touch (copy) it
