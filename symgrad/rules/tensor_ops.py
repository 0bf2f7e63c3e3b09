"""Tensor operations: one small record per operation, its forward beside its vector-Jacobian product.

micrograd's rule, one level up: each record says how to compute its output from numpy arrays and how
to pull an output gradient ``g`` back to each argument (``vjp(xp, g, out, *args) -> grads``, one per
argument, None for an argument that takes no gradient: an index, a dim, a size). ``xp`` is the array
namespace the arithmetic runs in (the array-API idea): ``numpy`` itself for float64 backprop, and the
check's ball namespaces (``gradcheck.tensor_balls``) for the exact reference and for float64's error
envelope. So one rule serves all three: sums go through ``xp.sum``, products through ``xp.matmul``,
``exp``/``log`` through ``xp``; moving elements around (transpose, reshape, index) is plain numpy.

The scalar rows of ``rules.table`` act elementwise through ``rules.tensor_elementwise``; the reductions
and the softmax family live in ``rules.tensor_reduce``. Names and argument order are PyTorch's (sources:
the PyTorch reference, ``torch.sum``, ``torch.matmul``, ``torch.cat``, ``Tensor.view``); broadcasting is
NumPy's. ``rules.tensor_table`` gathers the records and the float64 namespace. ``TENSOR_OPS`` maps the AST's operation name to its record; The call names the parser reads
(``SIGNATURES``) are in ``rules.tensor_signatures``, which loads no numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .tensor_signatures import SIGNATURES

__all__ = ["TensorOp", "TENSOR_OPS", "SIGNATURES", "op", "unbroadcast", "integer", "axis"]


@dataclass(frozen=True, eq=False)
class TensorOp:
    """One tensor operation of the language.

    ``forward(xp, *args)`` takes numpy arrays (float64, int64 or object arrays of balls) and returns one;
    ``vjp(xp, g, out, *args)`` returns one gradient per argument (None where ``diff`` excludes it).
    ``diff`` lists the arguments a gradient flows to; the others are integer data (dims, flags, sizes,
    indices). ``surface`` is the call name printers write; ``doc`` is its one-line meaning.
    """
    name: str
    forward: Callable[..., Any]
    vjp: Callable[..., tuple]
    diff: "tuple[int, ...] | str" = (0,)    # "all"; "init": every argument but the last (cat's tensors)
    surface: str = ""
    doc: str = ""
    data: tuple[int, ...] | None = None      # integer arguments; None: every one ``diff`` leaves out
    scalar_ops: Callable[..., int] = field(default=lambda out, *args: out.size)  # ~ scalar operations, for sizing

    def __repr__(self) -> str:
        return f"TensorOp({self.name!r})"

    def takes_grad(self, i: int, n: int) -> bool:
        """Whether argument ``i`` of ``n`` is a tensor a gradient flows to (else integer data)."""
        return True if self.diff == "all" else i < n - 1 if self.diff == "init" else i in self.diff

    def is_data(self, i: int, n: int) -> bool:
        """Whether argument ``i`` of ``n`` is integer data (a dim, flag, size or index)."""
        return not self.takes_grad(i, n) if self.data is None else i in self.data


TENSOR_OPS: dict[str, TensorOp] = {}


def op(name: str, forward: Callable, vjp: Callable, **kw: Any) -> TensorOp:
    record = TensorOp(name, forward, vjp, surface=kw.pop("surface", name), **kw)
    TENSOR_OPS[name] = record
    return record


# --- helpers shared by the vjps --------------------------------------------------------------
def integer(value: Any) -> int:
    """A 0-d integer argument (a dim, a flag, a size) as a Python int; the evaluator has checked it."""
    return int(np.asarray(value).reshape(()).item())


def axis(value: Any, ndim: int) -> int:
    """A PyTorch dim (negative counts from the end) as a non-negative axis; the evaluator checked range."""
    d = integer(value)
    return d + ndim if d < 0 else d


def unbroadcast(g: np.ndarray, shape: tuple[int, ...], xp: Any = np) -> np.ndarray:
    """Sum ``g`` over the axes broadcasting added or stretched, back to ``shape`` (NumPy's rule run
    backwards: db = Σ over the broadcast axes of dY)."""
    g = np.asarray(g)                   # numpy gives a bare object for a 0-d object result
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead:
        g = xp.sum(g, axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return xp.sum(g, axis=stretched, keepdims=True) if stretched else g


# --- matmul: Y = A B, dA = dY Bᵀ, dB = Aᵀ dY (with NumPy's 1-d promotion and batch broadcasting) ---
def _matmul_vjp(xp, g, out, a, b):
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = g2[..., None, :]
    if b.ndim == 1:
        g2 = g2[..., None]
    da = xp.matmul(g2, np.swapaxes(b2, -1, -2))
    db = xp.matmul(np.swapaxes(a2, -1, -2), g2)
    return unbroadcast(da, a2.shape, xp).reshape(a.shape), unbroadcast(db, b2.shape, xp).reshape(b.shape)


op("matmul", lambda xp, a, b: xp.matmul(a, b), _matmul_vjp, diff=(0, 1), doc="matrix product A @ B (NumPy's matmul)",
   scalar_ops=lambda out, a, b: 2 * out.size * (a.shape[-1] if a.ndim else 1))


# --- layout: transpose, reshape/view, cat ---------------------------------------------------------
def _transpose(xp, x, *dims):
    if not dims:
        return np.transpose(x)          # .T: every axis reversed, as NumPy's (a matrix's transpose)
    return np.swapaxes(x, axis(dims[0], x.ndim), axis(dims[1], x.ndim))


def _transpose_vjp(xp, g, out, x, *dims):
    return (_transpose(xp, g, *dims),) + (None,) * len(dims)


op("transpose", _transpose, _transpose_vjp, doc="x.T reverses the axes; transpose(x, d0, d1) swaps two")


def _reshape(xp, x, *shape):
    return np.reshape(x, tuple(integer(s) for s in shape))


def _reshape_vjp(xp, g, out, x, *shape):
    return (np.reshape(g, x.shape),) + (None,) * len(shape)


op("reshape", _reshape, _reshape_vjp, doc="reshape(x, *shape) / x.view(*shape); one size may be -1",
   scalar_ops=lambda out, *args: 0)


def _cat(xp, *args):
    *xs, dim = args
    return np.concatenate(xs, axis=axis(dim, xs[0].ndim))


def _cat_vjp(xp, g, out, *args):
    *xs, dim = args
    cuts = np.cumsum([x.shape[axis(dim, x.ndim)] for x in xs])[:-1]
    return tuple(np.split(g, cuts, axis=axis(dim, g.ndim))) + (None,)


op("cat", _cat, _cat_vjp, diff="init", doc="cat([a, b, ...], dim): join along an existing dim",
   scalar_ops=lambda out, *args: 0)


# --- indexing: x[i, j] with integer tensors (C[X], logprobs[range(n), Y]) -------------------------
def _index(xp, x, *idx):
    return x[tuple(idx)]


def _index_vjp(xp, g, out, x, *idx):
    return (xp.scatter_add(x.shape, tuple(idx), g),) + (None,) * len(idx)


op("index", _index, _index_vjp, doc="x[i, j, ...] with integer tensors: gather; its vjp scatters and adds",
   scalar_ops=lambda out, *args: out.size)


# --- integer data: sizes and ranges (no gradient) --------------------------------------------------
op("size", lambda xp, x, d: np.asarray(x.shape[axis(d, x.ndim)], dtype=np.int64),
   lambda xp, g, out, x, d: (None, None),
   diff=(), data=(1,), doc="size(x, d) / x.shape[d]: an integer, no gradient", scalar_ops=lambda out, *args: 0)
op("range", lambda xp, n: np.arange(integer(n), dtype=np.int64), lambda xp, g, out, n: (None,), diff=(),
   doc="range(n): the integers 0 … n-1 (an index tensor)", scalar_ops=lambda out, *args: 0)
