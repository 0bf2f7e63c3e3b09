"""The tensor table: every tensor operation's record, the call signatures, and float64's namespace.

``TENSOR_OPS`` (structural ops and matmul from ``rules.tensor_ops``, reductions and the softmax family
from ``rules.tensor_reduce``), ``elementwise(row)`` for the scalar rows, ``SIGNATURES`` for the
parser, and ``FLOAT64``: the array namespace the rules compute in for backprop (numpy itself; the
check supplies ball namespaces with the same methods).
"""

from __future__ import annotations

import numpy as np

from .tensor_elementwise import apply_row, elementwise, local_row
from .tensor_ops import TENSOR_OPS, TensorOp, unbroadcast
from .tensor_signatures import OPERATIONS, REDUCTIONS, SIGNATURES
from . import tensor_reduce  # noqa: F401  (reductions, the softmax family, cross-entropy)
from . import tensor_data  # noqa: F401  (one_hot, argmax, ones_like, zeros_like: data for written gradients)

if set(TENSOR_OPS) != OPERATIONS:       # the parser's names (no numpy) and the records name the same operations
    raise ImportError(f"tensor operations without a record or a name: {sorted(set(TENSOR_OPS) ^ OPERATIONS)}")

__all__ = ["TENSOR_OPS", "SIGNATURES", "REDUCTIONS", "FLOAT64", "Float64", "TensorOp", "elementwise", "unbroadcast"]


class Float64:
    """The float64 array namespace: numpy's own operations (the rules call only these)."""
    sum = staticmethod(np.sum)
    matmul = staticmethod(np.matmul)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)

    @staticmethod
    def argmax(x: np.ndarray, axis: int, shift: bool = False) -> np.ndarray:
        """The first largest element's index (``shift``: the max is only subtracted for stability)."""
        return np.argmax(x, axis=axis)

    apply = staticmethod(apply_row)
    local = staticmethod(local_row)

    @staticmethod
    def scatter_add(shape: tuple[int, ...], idx: tuple, g: np.ndarray) -> np.ndarray:
        out = np.zeros(shape, dtype=np.float64)
        np.add.at(out, idx, g)
        return out


FLOAT64 = Float64()
