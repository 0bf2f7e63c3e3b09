"""Every scalar row of ``rules.table`` acting elementwise on tensors, with NumPy's broadcasting.

No function is written twice: the forward is the row's own ``forward`` and the local derivative its
own ``local``, applied to each element (``numpy.frompyfunc``); the rows whose forward is Python's
``+ − × ÷`` and negation run on whole arrays (the same IEEE operations, so the same numbers). The vjp
of an elementwise row is ∂out/∂argᵢ ⊙ g, summed back over the axes broadcasting stretched
(``unbroadcast``). ``elementwise(row)`` is the row's tensor record (made once, kept).
"""

from __future__ import annotations

import operator
import numpy as np

from ..base.errors import DomainError
from .rule import Rule
from .tensor_ops import TensorOp, unbroadcast

__all__ = ["elementwise", "apply_row", "local_row", "ARRAY_SAFE"]

ARRAY_SAFE = {operator.add, operator.sub, operator.mul, operator.truediv, operator.neg}
_CACHE: dict[int, TensorOp] = {}


def _floats(args: tuple) -> tuple:
    return tuple(np.asarray(a, dtype=np.float64) for a in args)


def apply_row(row: Rule, *args: np.ndarray) -> np.ndarray:
    """The row's forward on every element of the broadcast arguments (float64; integer arrays stay
    integer under + − ×, as in NumPy). Raises the row's DomainError for the first element outside
    its domain, with that element's index in the message."""
    if row.domain is not None:
        inside = np.asarray(np.frompyfunc(row.domain, len(args), 1)(*_floats(args)), dtype=bool)
        if not inside.all():
            where = tuple(int(i) for i in np.argwhere(~inside)[0])
            bad = np.broadcast_arrays(*_floats(args))
            try:
                row.forward(*(float(b[where]) for b in bad))   # raises the row's own DomainError
            except DomainError as err:
                raise type(err)(f"{err.message} at element {list(where)}", hint=err.hint) from None
    if row.raw in ARRAY_SAFE:
        return np.asarray(row.raw(*args))
    return np.asarray(np.frompyfunc(row.forward, len(args), 1)(*_floats(args)), dtype=np.float64)


def local_row(row: Rule, *args: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, ...]:
    """The row's local derivatives ∂out/∂argᵢ at every element, each of the output's shape."""
    floats = _floats(args) + (np.asarray(out, dtype=np.float64),)
    if row.raw in ARRAY_SAFE:
        return tuple(np.broadcast_to(np.asarray(d, dtype=np.float64), np.shape(out)) for d in row.local(*floats))
    n = len(args)
    parts = np.frompyfunc(row.local, n + 1, n)(*floats) if n > 1 else \
        (np.frompyfunc(lambda *a: row.local(*a)[0], n + 1, 1)(*floats),)
    return tuple(np.asarray(p, dtype=np.float64) for p in parts)


def _vjp_of(row: Rule):
    def vjp(xp, g, out, *args):
        slopes = xp.local(row, *args, out=out)
        return tuple(None if i in row.constant else unbroadcast(g * d, np.shape(a), xp)
                     for i, (a, d) in enumerate(zip(args, slopes)))
    return vjp


def elementwise(row: Rule) -> TensorOp:
    """The tensor record of a scalar row: ``xp.apply(row, …)`` forward, slope ⊙ g backward."""
    found = _CACHE.get(id(row))
    if found is None or found.name != row.name:
        found = _CACHE[id(row)] = TensorOp(row.name, lambda xp, *a: xp.apply(row, *a), _vjp_of(row),
                                           diff="all", surface=row.name, doc=f"{row.name} on every element")
    return found

