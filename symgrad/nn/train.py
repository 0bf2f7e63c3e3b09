"""Losses, SGD with a learning-rate schedule, and a small ``fit`` loop with per-step records."""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

from ..engine.value import Value, weighted_sum
from ..base.errors import InputError, NumericError, quote
from ..base.validate import real_number, seed_rng, whole_number
from .optim import SGD, Optimizer, make_optimizer

_LOCKS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()
_GLOBAL_LOCK = threading.RLock()


def _model_lock(model) -> threading.RLock:
    """One lock per model: ``fit`` from several threads on one model takes turns step by step."""
    with _LOCKS_GUARD:
        try:
            return _LOCKS.setdefault(model, threading.RLock())
        except TypeError:  # a model that cannot be weakly referenced: one lock for all of them
            return _GLOBAL_LOCK

__all__ = ["sum_squares", "mse", "hinge", "cross_entropy", "l2", "accuracy", "LinearSchedule", "linear_schedule", "SGD",
           "StepRecord", "History", "fit", "LOSSES"]


def _total(terms: list[Value]) -> Value:
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def _targets(ys: object) -> list[float]:
    """Targets as plain floats: any sequence or array-like of real numbers (numpy's too)."""
    if isinstance(ys, (str, bytes)) or not hasattr(ys, "__iter__"):
        raise InputError(f"targets must be a sequence of numbers, got {type(ys).__name__}")
    return [real_number(y, "a target") for y in ys]  # type: ignore[union-attr]


def _pairs(scores: Sequence[Value], ys: Sequence[float]) -> list[tuple[Value, float]]:
    scores, targets = list(scores), _targets(ys)
    if len(scores) != len(targets) or not scores:
        raise InputError(f"a loss needs one target per score, got {len(scores)} scores and {len(targets)} targets")
    return list(zip(scores, targets))


def sum_squares(scores: Sequence[Value], ys: Sequence[float]) -> Value:
    """Σ (score − y)², the lecture's loss."""
    return _total([(s - y) ** 2 for s, y in _pairs(scores, ys)])


def mse(scores: Sequence[Value], ys: Sequence[float]) -> Value:
    """Mean squared error: Σ (score − y)² / n."""
    return sum_squares(scores, ys) / float(len(scores))


def hinge(scores: Sequence[Value], ys: Sequence[float]) -> Value:
    """Mean max-margin loss Σ relu(1 − y·score) / n, as micrograd's demo. Targets must be −1 or
    +1 (0/1 labels would train to nothing: map them with ``2*y - 1``)."""
    pairs = _pairs(scores, ys)
    bad = next((y for _, y in pairs if y not in (-1.0, 1.0)), None)
    if bad is not None:
        raise InputError(f"hinge needs targets of -1 or +1, got {bad!r}",
                         hint="map 0/1 labels with 2*y - 1, as micrograd's demo does")
    return _total([(1.0 - y * s).relu() for s, y in pairs]) / float(len(pairs))


def _class_index(y: object, classes: int) -> int:
    value = real_number(y, "a class target")
    if not value.is_integer() or not 0 <= value < classes:
        raise InputError(f"cross_entropy needs class indices 0..{classes - 1}, got {y!r:.40}",
                         hint="targets are integer class labels, as torch.nn.functional.cross_entropy")
    return int(value)


def cross_entropy(scores: Sequence[Sequence[Value]], ys: Sequence[int]) -> Value:
    """Mean softmax cross-entropy over samples: (1/n) Σ [logsumexp(z) − z_y], PyTorch's
    ``F.cross_entropy`` with integer targets. ``logsumexp`` is one node computing
    m + ln Σ e^(zᵢ − m), m = max zᵢ (the log-sum-exp trick: no exponent is positive, so logits
    of 1000 do not overflow); its gradient is softmax(z) − onehot(y), per sample over n."""
    if isinstance(ys, (str, bytes)) or not hasattr(ys, "__iter__"):
        raise InputError(f"targets must be a sequence of class indices, got {type(ys).__name__}")
    rows, targets = [list(z) if not isinstance(z, Value) else [z] for z in scores], list(ys)
    if len(rows) != len(targets) or not rows:
        raise InputError(f"a loss needs one target per sample, got {len(rows)} samples and {len(targets)} targets")
    terms = []
    for z, y in zip(rows, targets):
        if len(z) < 2:
            raise InputError(f"cross_entropy needs at least 2 logits per sample, got {len(z)}",
                             hint="give the model one output per class, e.g. MLP(2, [16, 3])")
        terms.append(z[0].logsumexp(*z[1:]) - z[_class_index(y, len(z))])
    return _total(terms) / float(len(terms))


def l2(params: Sequence[Value], alpha: float) -> Value:
    """The L2 penalty alpha·Σ p², with Σ p² as one fused node."""
    return alpha * weighted_sum(params, params)


def accuracy(scores: Sequence["Value | float"], ys: Sequence[float]) -> float:
    """Fraction of samples whose score has the target's sign (score > 0 ⇔ y > 0); for a sample
    with several scores (logits), whose largest score is at the target class index."""
    if scores and isinstance(scores[0], (list, tuple)):
        hits = [max(range(len(z)), key=lambda i: z[i].data if isinstance(z[i], Value) else z[i]) == y
                for z, y in zip(scores, ys)]
        return sum(hits) / len(hits)
    hits = [((s.data if isinstance(s, Value) else s) > 0) == (y > 0) for s, y in zip(scores, _targets(ys))]
    return sum(hits) / len(hits) if hits else 0.0


LOSSES: dict[str, Callable[[Sequence[Value], Sequence[float]], Value]] = {
    "sum_squares": sum_squares, "mse": mse, "hinge": hinge, "cross_entropy": cross_entropy,
}


@dataclass(frozen=True)
class LinearSchedule:
    """lr(k) = start + (end − start)·k/steps for k ≤ steps, then ``end`` (as PyTorch's LinearLR
    holds its end factor): ``LinearSchedule(1.0, 0.1, 100)`` is micrograd's 1 − 0.9·k/100."""
    start: float
    end: float
    steps: int

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            if real_number(getattr(self, name), f"the schedule's {name}") < 0:
                raise InputError(f"a learning rate cannot be negative: {name}={getattr(self, name)}",
                                 hint="gradient descent with a negative rate climbs the loss")
        whole_number(self.steps, "the schedule's steps", minimum=1)

    def __call__(self, k: int) -> float:
        if k >= self.steps:
            return self.end
        return self.start + (self.end - self.start) * k / self.steps


def linear_schedule(start: float, end: float, steps: int) -> LinearSchedule:
    return LinearSchedule(real_number(start, "start"), real_number(end, "end"), whole_number(steps, "steps", minimum=1))


@dataclass(frozen=True)
class StepRecord:
    """One step of ``fit``: ``step`` counts from 1 (as ``symgrad train`` prints it, in text and
    JSON alike); loss, accuracy and lr are the ones that step used, before its update."""
    step: int
    loss: float
    accuracy: float
    lr: float


@dataclass
class History:
    """What ``fit`` saw: one record per step, taken before that step's update."""
    records: list[StepRecord] = field(default_factory=list)

    @property
    def losses(self) -> list[float]:
        return [r.loss for r in self.records]

    @property
    def accuracies(self) -> list[float]:
        return [r.accuracy for r in self.records]

    def to_dict(self) -> dict:
        return {"steps": len(self.records), "final_loss": self.records[-1].loss if self.records else None,
                "final_accuracy": self.records[-1].accuracy if self.records else None,
                "history": [asdict(r) for r in self.records]}


def fit(model, xs: Sequence[Sequence[float]], ys: Sequence[float], *, loss: "str | Callable" = "sum_squares",
        steps: int = 100, lr: "float | Callable[[int], float]" = 0.1, alpha: float = 0.0,
        progress: bool = False, callback: Callable[[StepRecord], None] | None = None,
        optimizer: "str | Optimizer | None" = None, weight_decay: float = 0.0, momentum: float = 0.0,
        batch_size: int | None = None, seed: int = 0,
        method: str = "sgd", damping: float = 1e-3, cg_steps: int = 20) -> History:
    """Train ``model`` on (xs, ys); return the per-step loss and accuracy.

    ``optimizer`` is ``"sgd"`` (the default, the lecture's), ``"momentum"``, ``"adam"``,
    ``"adamw"`` or a ``symgrad.nn.optim.Optimizer`` (then ``lr``, ``weight_decay`` and
    ``momentum`` are its own). ``batch_size`` draws that many samples per step without
    replacement, from ``random.Random(seed)`` (micrograd's demo); the record's loss and
    accuracy are the batch's. Without it every step uses every sample.

    ``method="newton-cg"`` takes second-order steps instead (``nn.newton``): each step solves
    (H + ``damping``·I)·d = −grad by at most ``cg_steps`` conjugate-gradient iterations on
    Hessian-vector products, then moves by ``lr``·d (``lr`` 1.0 is the full Newton step). For
    small MLPs and the smooth losses (sum_squares, mse).

    ``loss`` is ``"sum_squares"`` (the lecture), ``"mse"``, ``"hinge"`` (micrograd's demo) or a
    function (scores, ys) -> Value; ``alpha`` adds the L2 penalty alpha·Σp². ``progress``
    shows a tqdm bar with the loss and accuracy; ``callback`` gets each StepRecord.
    """
    loss_fn = LOSSES.get(loss) if isinstance(loss, str) else loss
    if loss_fn is None or not callable(loss_fn):
        raise InputError(f"unknown loss {quote(loss)}", hint=f"use one of: {', '.join(LOSSES)}, or a function")
    steps = whole_number(steps, "steps", minimum=1)
    alpha = real_number(alpha, "alpha")
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__iter__"):
        raise InputError(f"samples must be a sequence of samples, got {type(xs).__name__}")
    xs, ys = list(xs), _targets(ys)  # numpy arrays (sklearn's make_moons) become plain lists
    if len(xs) != len(ys) or not xs:
        raise InputError(f"fit needs one target per sample, got {len(xs)} samples and {len(ys)} targets")
    if method not in ("sgd", "newton-cg"):
        raise InputError(f"unknown method {quote(method)}", hint="use 'sgd' or 'newton-cg'")
    if method == "newton-cg" and optimizer not in (None, "sgd"):
        raise InputError(f"method='newton-cg' takes its own steps, so optimizer={quote(optimizer)} would go unused",
                         hint="leave optimizer unset with method='newton-cg'")
    damping = real_number(damping, "damping")
    cg_steps = whole_number(cg_steps, "cg_steps", minimum=1)
    params = model.parameters()
    opt = make_optimizer(optimizer, params, lr, weight_decay, momentum)
    if batch_size is not None:
        batch_size = whole_number(batch_size, "batch_size", minimum=1, maximum=len(xs))
    rng = seed_rng(seed)
    all_xs, all_ys = xs, ys
    history = History()
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=steps, desc="train", unit="step", leave=True)
    try:
        for k in range(steps):
            with _model_lock(model):  # one step at a time on a shared model (docs/security.md)
                if batch_size is not None:
                    picked = rng.sample(range(len(all_xs)), batch_size)
                    xs, ys = [all_xs[i] for i in picked], [all_ys[i] for i in picked]
                try:
                    scores = [model(x) for x in xs]
                    total = loss_fn(scores, ys)
                    if alpha:
                        total = total + l2(params, alpha)
                    if not math.isfinite(total.data):
                        raise NumericError(f"the loss is {total.data}")
                    opt.zero_grad()  # parameters the loss does not reach keep no stale grads
                    total.backward()
                    if not all(math.isfinite(p.grad) for p in params):
                        raise NumericError("a gradient is not finite")
                except NumericError as err:  # overflow anywhere: the forward pass, the loss, backward
                    raise NumericError(f"training diverged at step {k + 1}: {err.message}",
                                       hint=f"lower the learning rate (it was {opt.lr:.4g})") from None
                record = StepRecord(k + 1, total.data, accuracy(scores, ys), opt.lr)
                if method == "newton-cg":
                    from .newton import newton_direction
                    rate = opt.lr
                    for p, d in newton_direction(model, xs, ys, loss=loss, alpha=alpha, damping=damping,
                                                 cg_steps=cg_steps).items():
                        p.data += rate * d
                else:
                    opt.step()
            history.records.append(record)
            if bar is not None:
                bar.set_postfix(loss=f"{record.loss:.4g}", acc=f"{record.accuracy:.0%}", refresh=False)
                bar.update()
            if callback is not None:
                callback(record)
    finally:
        if bar is not None:
            bar.close()
    return history
