"""The makemore "backprop ninja" network lowered to scalars: the lecture's forward written element by
element with symgrad's scalar ``Value`` engine (micrograd's), so its backward pass is an independent
reference for the tensor engine's gradients. Loops follow the lecture's lines one to one."""

from __future__ import annotations

import numpy as np

from symgrad import Value

NAMES = ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2", "emb", "embcat", "hprebn", "bnmeani", "bndiff",
         "bndiff2", "bnvar", "bnvar_inv", "bnraw", "hpreact", "h", "logits", "logit_maxes", "norm_logits",
         "counts", "counts_sum", "counts_sum_inv", "probs", "logprobs")


def _values(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    for k in np.ndindex(a.shape):
        out[k] = Value(float(a[k]))
    return out


def _total(items):
    items = list(items)
    acc = items[0]
    for v in items[1:]:
        acc = acc + v
    return acc


def scalar_gradients(point: dict) -> dict[str, np.ndarray]:
    """dloss/dname for every float input and intermediate, from Value backprop."""
    P = {k: _values(point[k]) for k in ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2")}
    Xb, Yb = point["Xb"], point["Yb"]
    n, block = Xb.shape
    vocab, emb_dim = point["C"].shape
    hidden = point["W1"].shape[1]
    T: dict[str, np.ndarray] = dict(P)
    T["emb"] = np.array([[[Value(0.0) + P["C"][Xb[i, j], d] for d in range(emb_dim)] for j in range(block)]
                         for i in range(n)], dtype=object)
    T["embcat"] = np.array([[T["emb"][i, k // emb_dim, k % emb_dim] + 0.0 for k in range(block * emb_dim)]
                            for i in range(n)], dtype=object)
    T["hprebn"] = np.array([[_total(T["embcat"][i, k] * P["W1"][k, j] for k in range(block * emb_dim)) + P["b1"][j]
                             for j in range(hidden)] for i in range(n)], dtype=object)
    T["bnmeani"] = np.array([[(1.0 / n) * _total(T["hprebn"][i, j] for i in range(n)) for j in range(hidden)]],
                            dtype=object)
    T["bndiff"] = np.array([[T["hprebn"][i, j] - T["bnmeani"][0, j] for j in range(hidden)] for i in range(n)],
                           dtype=object)
    T["bndiff2"] = np.array([[T["bndiff"][i, j] ** 2 for j in range(hidden)] for i in range(n)], dtype=object)
    T["bnvar"] = np.array([[(1.0 / (n - 1)) * _total(T["bndiff2"][i, j] for i in range(n)) for j in range(hidden)]],
                          dtype=object)
    T["bnvar_inv"] = np.array([[(T["bnvar"][0, j] + 1e-5) ** -0.5 for j in range(hidden)]], dtype=object)
    T["bnraw"] = np.array([[T["bndiff"][i, j] * T["bnvar_inv"][0, j] for j in range(hidden)] for i in range(n)],
                          dtype=object)
    T["hpreact"] = np.array([[P["bngain"][0, j] * T["bnraw"][i, j] + P["bnbias"][0, j] for j in range(hidden)]
                             for i in range(n)], dtype=object)
    T["h"] = np.array([[T["hpreact"][i, j].tanh() for j in range(hidden)] for i in range(n)], dtype=object)
    T["logits"] = np.array([[_total(T["h"][i, k] * P["W2"][k, j] for k in range(hidden)) + P["b2"][j]
                             for j in range(vocab)] for i in range(n)], dtype=object)
    best = [int(np.argmax([T["logits"][i, j].data for j in range(vocab)])) for i in range(n)]
    T["logit_maxes"] = np.array([[T["logits"][i, best[i]] + 0.0] for i in range(n)], dtype=object)
    T["norm_logits"] = np.array([[T["logits"][i, j] - T["logit_maxes"][i, 0] for j in range(vocab)]
                                 for i in range(n)], dtype=object)
    T["counts"] = np.array([[T["norm_logits"][i, j].exp() for j in range(vocab)] for i in range(n)], dtype=object)
    T["counts_sum"] = np.array([[_total(T["counts"][i, j] for j in range(vocab))] for i in range(n)], dtype=object)
    T["counts_sum_inv"] = np.array([[T["counts_sum"][i, 0] ** -1] for i in range(n)], dtype=object)
    T["probs"] = np.array([[T["counts"][i, j] * T["counts_sum_inv"][i, 0] for j in range(vocab)] for i in range(n)],
                          dtype=object)
    T["logprobs"] = np.array([[T["probs"][i, j].log() for j in range(vocab)] for i in range(n)], dtype=object)
    loss = -((1.0 / n) * _total(T["logprobs"][i, int(Yb[i])] for i in range(n)))
    loss.backward()
    return {name: np.vectorize(lambda v: v.grad, otypes=[float])(T[name]) for name in NAMES}
