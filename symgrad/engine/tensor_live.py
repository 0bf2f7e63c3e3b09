"""Which elements of a tensor program's values the output reads: ``where`` element by element.

A ``where(c, a, b)`` on tensors takes, at each element, ``a`` where ``c`` holds and ``b`` elsewhere;
as for scalars (``engine.backprop``), an element of a branch that no taken path reads may fail (an
untaken sqrt(-1) is no error) and gets gradient exactly 0 (never 0·inf). This module holds the
three pieces ``engine.tensor`` uses when a program has a ``where``:

- ``evaluate_elements``: an elementwise row evaluated element by element, each failure kept with
  its element (the value there is a placeholder, NaN) instead of raised;
- ``mark_live``: liveness, from the output back: an elementwise row passes each element's
  liveness to the same element of its arguments (a broadcast argument's element is live if any
  element it was stretched to is); ``where`` passes it to the condition and to the branch the
  condition takes there; any other operation (a sum, a matmul, an index) conservatively makes
  all of its arguments live if any of its elements is;
- ``masked_vjp``: an elementwise row's vjp at its live elements only, 0 at the others.

An error is raised only where a failed element is live: the first such node in evaluation order,
naming the element.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..base.errors import NumericError
from ..rules.tensor_ops import unbroadcast

__all__ = ["ELEMENT_ERRORS", "truth", "inherited", "evaluate_elements", "mark_live", "masked_vjp", "live_error"]

# The failures of one element: a domain error or overflow in float64 (NumericError is an
# ArithmeticError), a ball certainly or possibly outside a domain in the check (Undefined, Undetermined).
ELEMENT_ERRORS = (ArithmeticError,)
_ELEMENT = re.compile(r" at element \[[0-9, ]*\]")


def _zeros(xp: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.array(xp.lift(np.zeros(shape)), dtype=object) if hasattr(xp, "lift") else np.zeros(shape)


def _placeholder(xp: Any) -> Any:
    """The value of a failed element: NaN (a NaN ball in the check's namespaces)."""
    return np.asarray(xp.lift(np.full((1,), np.nan)), dtype=object)[0] if hasattr(xp, "lift") else np.nan


def truth(c: Any) -> tuple[np.ndarray, np.ndarray]:
    """(certainly true, certainly false) of a condition's elements (1.0/0.0, or exact balls)."""
    c = np.asarray(c)
    if c.dtype != object:
        return (c != 0) & ~np.isnan(c), c == 0

    def sides(x):
        b = getattr(x, "b", x)
        return bool(b != 0), bool(b == 0)
    flat = [sides(x) for x in c.flat]
    return (np.array([t for t, _ in flat], dtype=bool).reshape(c.shape),
            np.array([f for _, f in flat], dtype=bool).reshape(c.shape))


def inherited(row: Any, kids: tuple, shape: tuple[int, ...]) -> np.ndarray | None:
    """The elements of an elementwise row's result that read a failed element of an argument (for
    ``where``: of its condition or of the branch taken there); None if there are none."""
    bad = [None if k.bad is None else np.broadcast_to(k.bad, shape) for k in kids]
    if all(b is None for b in bad):
        return None
    if row.name == "where":
        yes, no = (np.broadcast_to(s, shape) for s in truth(kids[0].value))
        out = np.zeros(shape, dtype=bool)
        for b, mask in zip(bad, (np.ones(shape, dtype=bool), ~no, ~yes)):
            if b is not None:
                out |= b & mask
        return out
    return np.logical_or.reduce([b for b in bad if b is not None])


def evaluate_elements(record: Any, row: Any, xp: Any, args: tuple, shape: tuple[int, ...],
                      skip: np.ndarray | None) -> tuple[np.ndarray, list]:
    """The row at each element of the broadcast ``args`` (``skip``: elements left as placeholders).
    In float64 the row's domain picks out the failing elements at once (their errors are made
    when one is raised); otherwise a run that fails is split in halves down to the failing
    elements, so k failures among n elements cost about k·log₂(n/k) runs.
    Returns (values, [(element index, error or a function making it), …])."""
    spread = [np.broadcast_to(np.asarray(a), shape) for a in args]
    out = np.empty(shape, dtype=object)
    out.fill(_placeholder(xp))
    errors: list = []
    todo = np.argwhere(np.ones(shape, dtype=bool) if skip is None else ~skip)
    if row.domain is not None and not hasattr(xp, "lift") and len(todo):
        floats = [np.asarray(s[tuple(todo.T)], dtype=np.float64) for s in spread]
        inside = np.asarray(np.frompyfunc(row.domain, len(floats), 1)(*floats), dtype=bool).reshape(-1)
        errors += [(index, _failure(record, xp, spread, index))
                   for index in (tuple(int(i) for i in e) for e in todo[~inside])]
        todo = todo[inside]
    runs = [todo] if len(todo) else []
    while runs:
        run = runs.pop()
        index = tuple(run.T)
        try:
            with np.errstate(all="ignore"):
                value = record.forward(xp, *(s[index] for s in spread))
            out[index] = np.asarray(value, dtype=object)
        except ELEMENT_ERRORS as err:
            if len(run) == 1:
                errors.append((tuple(int(i) for i in run[0]), _at(err, tuple(int(i) for i in run[0]))))
            else:
                runs += [run[len(run) // 2:], run[:len(run) // 2]]
    if not hasattr(xp, "lift"):
        kinds = {np.asarray(v).dtype.kind for v in out.flat}
        out = out.astype(np.int64 if kinds <= {"i", "u"} else np.float64)
    return out, errors


def _failure(record: Any, xp: Any, spread: list, index: tuple):
    """The error of an element outside the row's domain, made when it is needed."""
    def error() -> BaseException:
        try:
            record.forward(xp, *(np.asarray(s[index]) for s in spread))
        except ELEMENT_ERRORS as err:
            return _at(err, index)
        return NumericError(f"{record.surface} is undefined at element {list(index)}")
    return error


def _at(err: BaseException, index: tuple) -> BaseException:
    """The error of one element, naming it (the row's message names its place in the run)."""
    message = getattr(err, "message", None)
    if message is None:
        return err
    where = f" at element {list(index)}"
    text, n = _ELEMENT.subn(where, message, count=1)
    return type(err)(text if n else message + where, hint=err.hint)


def mark_live(tape: list, root: Any, named: dict) -> None:
    """Set every tape node's ``live`` mask (see the module docstring)."""
    read = {id(k) for n in tape for k in n.kids}
    unread = {id(v) for v in named.values()} - read     # a named value nothing reads is shown: live
    for node in tape:
        node.live = np.zeros(node.shape, dtype=bool)
        if node is root or id(node) in unread:
            node.live[...] = True
    for node in reversed(tape):
        live = node.live
        if not live.any():
            continue
        if node.row is None:
            masks = [np.ones(k.shape, dtype=bool) for k in node.kids]
        elif node.row.name == "where":
            yes, no = truth(node.kids[0].value)
            masks = [live, live & ~np.broadcast_to(no, live.shape), live & ~np.broadcast_to(yes, live.shape)]
        else:
            masks = [live] * len(node.kids)
        for kid, mask in zip(node.kids, masks):
            if kid.live is None:        # an input or a literal: nothing of its own can fail
                continue
            kid.live |= unbroadcast(np.asarray(mask, dtype=np.int64), kid.shape) > 0


def live_error(tape: list) -> tuple[Any, BaseException] | None:
    """The first failure, in evaluation order, of an element the output reads (None if none does)."""
    for node in tape:
        for index, err in node.errors:
            if node.live[index]:
                return node, err if isinstance(err, BaseException) else err()
    return None


def masked_vjp(node: Any, xp: Any) -> tuple:
    """An elementwise row's vjp at its live elements only; exactly 0 at the others."""
    live = node.live
    shape = node.shape
    index = np.nonzero(live)
    g = np.broadcast_to(np.asarray(node.grad), shape)[index]
    args = [np.broadcast_to(np.asarray(k.value), shape)[index] for k in node.kids]
    grads = node.op.vjp(xp, g, np.asarray(node.value)[index], *args)
    out = []
    for kid, part in zip(node.kids, grads):
        if part is None:
            out.append(None)
            continue
        full = _zeros(xp, shape) if np.asarray(part).dtype == object else np.zeros(shape)
        full[index] = np.asarray(part)
        out.append(unbroadcast(full, kid.shape, xp))
    return tuple(out)
