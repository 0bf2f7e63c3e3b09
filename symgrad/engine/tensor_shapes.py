"""The shape rules of the tensor operations, checked before each one runs.

Each failure is a ShapeError naming the operation, the shapes and the rule: NumPy's broadcasting
(sizes line up from the last dim; two sizes fit when equal or one of them is 1), matmul's inner
sizes, a dim's range, an index's range, reshape's element count, cat's matching sizes,
cross-entropy's (N, C) logits with (N,) integer targets. Integer data (dims, sizes, indices) is read
as int64 here; a fractional index is an error. Sizes an operation would make are held to the limits
before it allocates anything.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base.errors import LimitError, ShapeError
from ..base.limits import Limits
from ..rules.tensor_ops import TensorOp, integer

__all__ = ["check_arguments", "broadcast_error"]

_REDUCE_DIM = {"sum": 1, "mean": 1, "amax": 1, "amin": 1, "logsumexp_dim": 1, "var": 2, "softmax": 1,
               "log_softmax": 1, "size": 1}


def broadcast_error(name: str, shapes: list[tuple[int, ...]]) -> ShapeError | None:
    """The ShapeError when ``shapes`` do not broadcast (NumPy's rule), else None."""
    for a_i, a in enumerate(shapes):
        for b in shapes[a_i + 1:]:
            for k in range(1, min(len(a), len(b)) + 1):
                x, y = a[-k], b[-k]
                if x != y and x != 1 and y != 1:
                    return ShapeError(
                        f"{name}: shapes {a} and {b} do not broadcast: NumPy's rule lines sizes up from the "
                        f"last dim, and at dim -{k} the sizes {x} and {y} differ and neither is 1",
                        hint="sum over the extra axis, add keepdim=True, or transpose one side")
    return None


def _data(record: TensorOp, i: int, value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == object:            # a ball from the check's namespaces: its midpoint, if whole
        array = np.asarray(np.frompyfunc(lambda b: float(getattr(b, "b", b).mid()), 1, 1)(array), dtype=np.float64)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    if array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        return array.astype(np.int64)
    raise ShapeError(f"{record.surface}: argument {i + 1} must hold integers (an index, a dim or a size)",
                     hint="indices and targets are whole numbers; bind them as an integer array")


def _dim(record: TensorOp, d: Any, ndim: int) -> int:
    k = integer(d)
    if not -max(ndim, 1) <= k < max(ndim, 1):
        raise ShapeError(f"{record.surface}: dim {k} is out of range for a tensor of {ndim} dims",
                         hint=f"a dim is between {-ndim} and {ndim - 1}" if ndim else "a number has no dims")
    return k


def check_arguments(record: TensorOp, args: tuple, limits: Limits | None = None) -> tuple:
    """``args`` with integer data as int64, after the operation's shape rule; a ShapeError if not."""
    n = len(args)
    args = tuple(_data(record, i, a) if record.is_data(i, n) else a for i, a in enumerate(args))
    name, surface = record.name, record.surface
    shapes = [tuple(np.shape(a)) for a in args]
    if record.diff == "all":
        err = broadcast_error(surface, shapes)
        if err is not None:
            raise err
    elif name in _REDUCE_DIM and n > _REDUCE_DIM[name]:
        if not shapes[0]:
            raise ShapeError(f"{surface}: a number has no dim {integer(args[_REDUCE_DIM[name]])}",
                             hint=f"write {surface}(x) for a number")
        _dim(record, args[_REDUCE_DIM[name]], len(shapes[0]))
    if name == "matmul":
        _matmul(shapes, limits)
    elif name == "transpose" and n == 3:
        _dim(record, args[1], len(shapes[0]))
        _dim(record, args[2], len(shapes[0]))
    elif name == "index":
        _index(shapes[0], args[1:])
    elif name == "reshape":
        _reshape(shapes[0], [integer(a) for a in args[1:]])
    elif name == "cat":
        _cat(record, shapes[:-1], args[-1])
    elif name == "cross_entropy":
        _cross_entropy(shapes, args[1])
    elif name == "var" and n > 2:
        count = shapes[0][_dim(record, args[2], len(shapes[0]))] if shapes[0] else 1
        if count - integer(args[1]) <= 0:
            raise ShapeError(f"var: {count} element(s) along dim with correction {integer(args[1])} divide by "
                             f"{count - integer(args[1])}", hint="use correction=0, or more elements")
    elif name == "range":
        end = integer(args[0])
        if end < 0:
            raise ShapeError(f"range({end}): the end must be 0 or more")
        if limits is not None and end > limits.max_tensor_elements:
            raise LimitError(f"range({end}) has {end} elements", limit="max_tensor_elements",
                             value=limits.max_tensor_elements)
    return args


def _matmul(shapes: list, limits: Limits | None) -> None:
    a, b = shapes
    if not a or not b:
        raise ShapeError(f"matmul: {a} @ {b}: both sides need a dim (a number multiplies with *)",
                         hint="write x * y for numbers")
    inner_b = b[0] if len(b) == 1 else b[-2]
    if a[-1] != inner_b:
        raise ShapeError(f"matmul: {a} @ {b}: the inner sizes {a[-1]} and {inner_b} differ (A @ B needs "
                         f"A's last size to equal B's {'only' if len(b) == 1 else 'second-to-last'} size)",
                         hint="transpose one side (x.T), or check which matrix goes first")
    err = broadcast_error("matmul", [a[:-2], b[:-2]])
    if err is not None:
        raise err
    if limits is not None:
        size = math.prod(np.broadcast_shapes(a[:-2], b[:-2])) * (a[-2] if len(a) > 1 else 1) * \
            (b[-1] if len(b) > 1 else 1)
        if size > limits.max_tensor_elements:
            raise LimitError(f"matmul would make {size} elements", limit="max_tensor_elements",
                             value=limits.max_tensor_elements)


def _index(shape: tuple, idx: tuple) -> None:
    if len(idx) > len(shape):
        raise ShapeError(f"index: {len(idx)} indices for a tensor of shape {shape}",
                         hint=f"a tensor of {len(shape)} dims takes at most {len(shape)} indices")
    for d, (size, i) in enumerate(zip(shape, idx)):
        if np.size(i) and (np.max(i) >= size or np.min(i) < -size):
            bad = int(np.max(i)) if np.max(i) >= size else int(np.min(i))
            raise ShapeError(f"index: {bad} is out of range for dim {d} of size {size} (shape {shape})",
                             hint=f"indices along dim {d} run from 0 to {size - 1}")
    err = broadcast_error("index", [tuple(np.shape(i)) for i in idx])
    if err is not None:
        raise err


def _reshape(shape: tuple, sizes: list[int]) -> None:
    count = math.prod(shape)
    free = [s for s in sizes if s == -1]
    known = math.prod(s for s in sizes if s != -1)
    if len(free) > 1 or any(s < -1 for s in sizes) or (free and (known == 0 or count % known)) or \
            (not free and known != count):
        raise ShapeError(f"view: a tensor of shape {shape} ({count} elements) cannot become shape "
                         f"{tuple(sizes)}", hint="the sizes must multiply to the element count; one may be -1")


def _cat(record: TensorOp, shapes: list, dim: Any) -> None:
    first = shapes[0]
    d = _dim(record, dim, len(first)) % max(len(first), 1)
    for s in shapes[1:]:
        if len(s) != len(first) or any(x != y for k, (x, y) in enumerate(zip(s, first)) if k != d):
            raise ShapeError(f"cat: shapes {first} and {s} differ off dim {d}",
                             hint="tensors joined along a dim must match in every other dim")


def _cross_entropy(shapes: list, targets: np.ndarray) -> None:
    logits, t = shapes
    if len(logits) == 2 and t == (logits[0],) or len(logits) == 1 and t == ():
        classes = logits[-1]
        if np.size(targets) and (np.min(targets) < 0 or np.max(targets) >= classes):
            raise ShapeError(f"cross_entropy: a target is out of range for {classes} classes",
                             hint=f"targets are class numbers from 0 to {classes - 1}")
        return
    raise ShapeError(f"cross_entropy: logits of shape {logits} with targets of shape {t}: PyTorch's rule is "
                     "logits (N, C) with integer targets (N,)", hint="give one class number per row of logits")
