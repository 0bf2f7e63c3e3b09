"""The tensor forms' call names: one record the parser reads, with no numpy.

``SIGNATURES`` maps a call name of the language to (operation, parameter names, defaults): the parser
(``language.tensor_syntax``) reads keyword arguments into their positions with it. ``*`` marks a
variadic tail (reshape's sizes, cat's list); a parameter after ``/`` is keyword-only; a name with
``/dim`` is the reduction meaning of a name that is also a scalar row (``max(x, dim=1)``: see
``REDUCTIONS``). ``OPERATIONS`` is every tensor operation's name in the AST. The operations' records
(forward, vjp) are in ``rules.tensor_ops``, ``rules.tensor_reduce`` and ``rules.tensor_data``, which
load numpy; this module does not, so parsing a scalar program never loads numpy. Names and argument
order are PyTorch's (``torch.sum``, ``torch.cat``, ``Tensor.view``, ``F.cross_entropy``, ``F.one_hot``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["SIGNATURES", "REDUCTIONS", "OPERATIONS"]

_DIM = (("input", "dim", "keepdim"), {"dim": None, "keepdim": False})

SIGNATURES: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {
    # structure and matmul (rules.tensor_ops)
    "matmul": ("matmul", ("input", "other"), {}),
    "transpose": ("transpose", ("input", "dim0", "dim1"), {"dim0": None, "dim1": None}),
    "reshape": ("reshape", ("input", "*shape"), {}),
    "view": ("reshape", ("input", "*shape"), {}),
    "cat": ("cat", ("tensors", "dim"), {"dim": 0}),
    "concat": ("cat", ("tensors", "dim"), {"dim": 0}),
    "concatenate": ("cat", ("tensors", "dim"), {"dim": 0}),
    "size": ("size", ("input", "dim"), {}),
    "range": ("range", ("end",), {}),
    "arange": ("range", ("end",), {}),
    # reductions, the softmax family, cross-entropy (rules.tensor_reduce)
    "sum": ("sum", *_DIM),
    "mean": ("mean", *_DIM),
    "max/dim": ("amax", *_DIM),
    "min/dim": ("amin", *_DIM),
    "logsumexp/dim": ("logsumexp_dim", *_DIM),
    "amax": ("amax", *_DIM),
    "amin": ("amin", *_DIM),
    "var": ("var", ("input", "dim", "unbiased", "keepdim", "/correction"),
            {"dim": None, "unbiased": None, "keepdim": False, "correction": None}),
    "softmax": ("softmax", ("input", "dim"), {}),
    "log_softmax": ("log_softmax", ("input", "dim"), {}),
    "cross_entropy": ("cross_entropy", ("input", "target"), {}),
    # data for written gradients (rules.tensor_data)
    "one_hot": ("one_hot", ("input", "num_classes"), {}),
    "argmax": ("argmax", ("input", "dim"), {}),
    "ones_like": ("ones_like", ("input",), {}),
    "zeros_like": ("zeros_like", ("input",), {}),
}

# Call names whose meaning is the reduction only by keyword or method (``max(a, b)`` is the scalar row).
REDUCTIONS = {"max": "amax", "min": "amin", "logsumexp": "logsumexp_dim"}

# ``x[i]`` has no call name: it is the operation ``index``.
OPERATIONS = frozenset({op for op, _, _ in SIGNATURES.values()} | {"index"})
