"""Tensor operations whose values are data, not differentiable results: records of ``rules.tensor_ops``
for writing gradients the way the makemore part 4 lecture does.

- ``one_hot(tensor, num_classes)``: PyTorch's ``F.one_hot``, a float tensor (0 and 1) one dim longer
  (``dlogprobs = -one_hot(Yb, 27) / n``; ``dC = one_hot(Xb, 27).view(-1, 27).T @ demb.view(-1, 10)``);
- ``argmax(x, dim)``: the index of the first maximal element along ``dim``, as ``torch.argmax``
  (``logits.max(1).indices`` in the lecture: ``one_hot(argmax(logits, 1), 27)``);
- ``ones_like(x)`` / ``zeros_like(x)``: float tensors of ``x``'s shape.

None takes a gradient (their vjps return None): their values do not move with their arguments
almost everywhere (one_hot and argmax are piecewise constant; ones_like ignores its values).
"""

from __future__ import annotations

import numpy as np

from .tensor_ops import axis, integer, op

__all__: list[str] = []


def _one_hot(xp, t, k):
    t, k = np.asarray(t), integer(k)      # integers: the evaluator checked them (``data``)
    if t.size and (t.min() < 0 or t.max() >= k):
        from ..base.errors import ShapeError
        raise ShapeError(f"one_hot: a class index {int(t.max()) if t.max() >= k else int(t.min())} is outside "
                         f"0 … {k - 1}", hint="num_classes must exceed every index")
    return (np.arange(k) == t[..., None]).astype(np.float64)


def _argmax(xp, x, dim):
    return np.asarray(xp.argmax(x, axis(dim, np.ndim(x))), dtype=np.int64)


def _like(fill):
    def forward(xp, x):
        return np.full(np.shape(x), fill, dtype=np.float64)
    return forward


def _no_grad_xp(xp, g, out, *args):
    return (None,) * len(args)


op("one_hot", _one_hot, _no_grad_xp, diff=(), data=(0, 1), doc="one_hot(t, num_classes): 1.0 at each index, 0.0 elsewhere",
   scalar_ops=lambda out, *args: 0)
op("argmax", _argmax, _no_grad_xp, diff=(), data=(1,), doc="argmax(x, dim): the index of the first largest element along dim",
   scalar_ops=lambda out, *args: 0)
op("ones_like", _like(1.0), _no_grad_xp, diff=(), data=(), doc="ones_like(x): ones of x's shape", scalar_ops=lambda out, *a: 0)
op("zeros_like", _like(0.0), _no_grad_xp, diff=(), data=(), doc="zeros_like(x): zeros of x's shape",
   scalar_ops=lambda out, *a: 0)
