"""Reductions over a dim, the softmax family and cross-entropy: records of ``rules.tensor_ops``.

Arguments as the parser normalizes them (PyTorch's order, keywords read into positions):
``sum(x)`` / ``sum(x, dim, keepdim)`` (also ``mean``, ``amax``, ``amin``, ``logsumexp_dim``);
``var(x, correction)`` / ``var(x, correction, dim, keepdim)``; ``softmax(x, dim)``,
``log_softmax(x, dim)``; ``cross_entropy(logits, targets)`` with integer class targets and PyTorch's
mean reduction. Formulas: the softmax vjp y ⊙ (g − Σ g ⊙ y); log_softmax's g − softmax · Σ g;
cross-entropy's (softmax − onehot)/N; var's 2(x − x̄)/(N − correction) (Bessel's correction when
correction = 1, as ``torch.var``'s default); max's gradient goes to the first maximal element, as
``torch.max(x, dim)``'s ``indices`` (at a tie the check says ``unverified``: a kink).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor_ops import axis, integer, op

__all__ = ["reduced_axes"]


def reduced_axes(x: np.ndarray, rest: tuple) -> tuple[int | None, bool]:
    """(axis, keepdim) from a reduction's trailing arguments: () for all elements, (dim, keepdim)."""
    if not rest:
        return None, False
    return axis(rest[0], x.ndim), bool(integer(rest[1]))


def _count(x: np.ndarray, ax: int | None) -> int:
    return x.size if ax is None else x.shape[ax]


def _expand(g: Any, x: np.ndarray, ax: int | None, keep: bool) -> np.ndarray:
    """A reduced gradient broadcast back over the reduced axis (or every axis)."""
    if ax is not None and not keep:
        g = np.expand_dims(g, ax)
    return np.broadcast_to(g, x.shape)


def _none(rest: tuple) -> tuple:
    return (None,) * len(rest)


# --- sum and mean -----------------------------------------------------------------------------------
def _sum(xp, x, *rest):
    ax, keep = reduced_axes(x, rest)
    return np.asarray(xp.sum(x, axis=ax, keepdims=keep))


def _sum_vjp(xp, g, out, x, *rest):
    ax, keep = reduced_axes(x, rest)
    return (np.array(_expand(g, x, ax, keep)),) + _none(rest)   # a writable copy


def _mean(xp, x, *rest):
    ax, keep = reduced_axes(x, rest)
    return np.asarray(xp.sum(x, axis=ax, keepdims=keep) / _count(x, ax))


def _mean_vjp(xp, g, out, x, *rest):
    ax, keep = reduced_axes(x, rest)
    return (np.array(_expand(g / _count(x, ax), x, ax, keep)),) + _none(rest)


op("sum", _sum, _sum_vjp, doc="sum(x, dim, keepdim=False); sum(x) adds every element")
op("mean", _mean, _mean_vjp, doc="mean(x, dim, keepdim=False); mean(x) over every element")


# --- var with a correction (Bessel's when 1) ------------------------------------------------------
def _var(xp, x, correction, *rest):
    ax, keep = reduced_axes(x, rest)
    d = x - xp.sum(x, axis=ax, keepdims=True) / _count(x, ax)
    return np.asarray(xp.sum(d * d, axis=ax, keepdims=keep) / (_count(x, ax) - integer(correction)))


def _var_vjp(xp, g, out, x, correction, *rest):
    ax, keep = reduced_axes(x, rest)
    d = x - xp.sum(x, axis=ax, keepdims=True) / _count(x, ax)
    return (_expand(g, x, ax, keep) * (d * 2 / (_count(x, ax) - integer(correction))), None) + _none(rest)


op("var", _var, _var_vjp, doc="var(x, dim, keepdim=False, correction=1): Σ(x − x̄)²/(N − correction)")


# --- max and min over a dim (the gradient goes to the first maximal element) --------------------------
def _select(xp, x, rest, sign):
    ax, keep = reduced_axes(x, rest)
    flat = x.reshape(-1) if ax is None else x
    idx = xp.argmax(flat if sign > 0 else -flat, 0 if ax is None else ax)
    where = np.expand_dims(idx, 0 if ax is None else ax)
    return ax, keep, where


def _extreme(sign):
    def forward(xp, x, *rest):
        ax, keep, where = _select(xp, x, rest, sign)
        if ax is None:
            return x.reshape(-1)[where].reshape(())
        out = np.take_along_axis(x, where, ax)
        return out if keep else np.squeeze(out, ax)

    def vjp(xp, g, out, x, *rest):
        ax, keep, where = _select(xp, x, rest, sign)
        if ax is None:
            return (xp.scatter_add(x.shape, np.unravel_index(where, x.shape), np.reshape(g, (1,))),) + _none(rest)
        full = np.indices(where.shape, sparse=True)
        idx = tuple(where if i == ax else full[i] for i in range(x.ndim))
        gk = g if keep else np.expand_dims(g, ax)
        return (xp.scatter_add(x.shape, idx, np.broadcast_to(gk, where.shape)),) + _none(rest)
    return forward, vjp


op("amin", *_extreme(-1), surface="min", doc="min(x, dim=d, keepdim) / x.min(d): the smallest element along d")


# --- logsumexp over a dim, softmax, log_softmax ----------------------------------------------------
def _stable_max(xp, x, ax):
    """max(x) along ax, kept, as a shift for stability: it cancels exactly in the mathematics, so a
    tie there is no kink (``xp.argmax(shift=True)``)."""
    return np.take_along_axis(x, np.expand_dims(xp.argmax(x, ax, shift=True), ax), ax)


def _shift(xp, x, ax):
    """x − max(x) along ax: the stable form."""
    return x - _stable_max(xp, x, ax)


def _logsumexp(xp, x, *rest):
    ax, keep = reduced_axes(x, rest)
    if ax is None:
        return _logsumexp(xp, x.reshape(-1), 0, 0)
    m = _stable_max(xp, x, ax)
    out = m + xp.log(xp.sum(xp.exp(x - m), axis=ax, keepdims=True))
    return out if keep else np.squeeze(out, ax)


def _logsumexp_vjp(xp, g, out, x, *rest):
    ax, keep = reduced_axes(x, rest)
    if ax is None:
        return (xp.exp(x - out) * g,) + _none(rest)
    o = out if keep else np.expand_dims(out, ax)
    return (xp.exp(x - o) * _expand(g, x, ax, keep),) + _none(rest)


def _softmax(xp, x, dim):
    ax = axis(dim, x.ndim)
    e = xp.exp(_shift(xp, x, ax))
    return e / xp.sum(e, axis=ax, keepdims=True)


def _softmax_vjp(xp, g, out, x, dim):
    return out * (g - xp.sum(g * out, axis=axis(dim, x.ndim), keepdims=True)), None


def _log_softmax(xp, x, dim):
    ax = axis(dim, x.ndim)
    z = _shift(xp, x, ax)
    return z - xp.log(xp.sum(xp.exp(z), axis=ax, keepdims=True))


def _log_softmax_vjp(xp, g, out, x, dim):
    return g - xp.exp(out) * xp.sum(g, axis=axis(dim, x.ndim), keepdims=True), None


TENSOR_MAX = op("amax", *_extreme(1), surface="max",
                doc="max(x, dim=d, keepdim) / x.max(d): the largest element along d")
op("logsumexp_dim", _logsumexp, _logsumexp_vjp, surface="logsumexp",
   doc="logsumexp(x, dim=d, keepdim) / x.logsumexp(d): log Σ exp along d, stably")
op("softmax", _softmax, _softmax_vjp, doc="softmax(x, dim): exp(x) / Σ exp(x) along dim")
op("log_softmax", _log_softmax, _log_softmax_vjp, doc="log_softmax(x, dim): x − logsumexp(x, dim)")


# --- cross-entropy with integer class targets, mean reduction (PyTorch's F.cross_entropy) -----------
def _rows(logits, targets):
    if logits.ndim == 1:
        return (np.asarray(targets).reshape(()),)
    return (np.arange(logits.shape[0]), np.asarray(targets))


def _cross_entropy(xp, logits, targets):
    lp = _log_softmax(xp, logits, -1 if logits.ndim == 1 else 1)
    picked = np.asarray(lp[_rows(logits, targets)])
    return np.asarray(-(xp.sum(picked) / picked.size))


def _cross_entropy_vjp(xp, g, out, logits, targets):
    lp = _log_softmax(xp, logits, -1 if logits.ndim == 1 else 1)
    onehot = np.zeros(logits.shape)
    onehot[_rows(logits, targets)] = 1.0
    n = 1 if logits.ndim == 1 else logits.shape[0]
    return (xp.exp(lp) - onehot) * (g / n), None


op("cross_entropy", _cross_entropy, _cross_entropy_vjp,
   doc="cross_entropy(logits, targets): −mean log softmax(logits)[i, targets[i]] (integer targets)")
