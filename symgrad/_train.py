"""Losses, SGD with a learning-rate schedule, and a small ``fit`` loop with per-step records."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

from ._engine import Value, weighted_sum
from ._errors import InputError, NumericError

__all__ = ["sum_squares", "mse", "hinge", "l2", "accuracy", "LinearSchedule", "linear_schedule", "SGD",
           "StepRecord", "History", "fit", "LOSSES"]


def _total(terms: list[Value]) -> Value:
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def _pairs(scores: Sequence[Value], ys: Sequence[float]) -> list[tuple[Value, float]]:
    if len(scores) != len(ys) or not scores:
        raise InputError(f"a loss needs one target per score, got {len(scores)} scores and {len(ys)} targets")
    return list(zip(scores, ys))


def sum_squares(scores: Sequence[Value], ys: Sequence[float]) -> Value:
    """Σ (score − y)², the lecture's loss."""
    return _total([(s - y) ** 2 for s, y in _pairs(scores, ys)])


def mse(scores: Sequence[Value], ys: Sequence[float]) -> Value:
    """Mean squared error: Σ (score − y)² / n."""
    return sum_squares(scores, ys) / float(len(scores))


def hinge(scores: Sequence[Value], ys: Sequence[float]) -> Value:
    """Mean max-margin loss Σ relu(1 − y·score) / n, as micrograd's demo (labels ±1)."""
    return _total([(1.0 - y * s).relu() for s, y in _pairs(scores, ys)]) / float(len(scores))


def l2(params: Sequence[Value], alpha: float) -> Value:
    """The L2 penalty alpha·Σ p², with Σ p² as one fused node."""
    return alpha * weighted_sum(params, params)


def accuracy(scores: Sequence["Value | float"], ys: Sequence[float]) -> float:
    """Fraction of samples whose score has the target's sign (score > 0 ⇔ y > 0)."""
    hits = [((s.data if isinstance(s, Value) else s) > 0) == (y > 0) for s, y in zip(scores, ys)]
    return sum(hits) / len(hits) if hits else 0.0


LOSSES: dict[str, Callable[[Sequence[Value], Sequence[float]], Value]] = {
    "sum_squares": sum_squares, "mse": mse, "hinge": hinge,
}


@dataclass(frozen=True)
class LinearSchedule:
    """lr(k) = start + (end − start)·k/steps: ``LinearSchedule(1.0, 0.1, 100)`` is micrograd's 1 − 0.9·k/100."""
    start: float
    end: float
    steps: int

    def __call__(self, k: int) -> float:
        return self.start + (self.end - self.start) * k / self.steps


def linear_schedule(start: float, end: float, steps: int) -> LinearSchedule:
    return LinearSchedule(float(start), float(end), int(steps))


class SGD:
    """Plain gradient descent: ``p.data -= lr(k)·p.grad``; ``lr`` is a number or a schedule k ↦ lr."""

    def __init__(self, params: Sequence[Value], lr: "float | Callable[[int], float]" = 0.1) -> None:
        self.params = list(params)
        if not callable(lr) and (not isinstance(lr, (int, float)) or isinstance(lr, bool)):
            raise InputError(f"lr must be a number or a schedule (a function of the step), got {lr!r:.40}")
        self.schedule = lr
        self.k = 0

    @property
    def lr(self) -> float:
        """The learning rate the next ``step()`` uses."""
        return float(self.schedule(self.k)) if callable(self.schedule) else float(self.schedule)

    def step(self) -> None:
        lr = self.lr
        for p in self.params:
            p.data -= lr * p.grad
        self.k += 1

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0


@dataclass(frozen=True)
class StepRecord:
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
        progress: bool = False, callback: Callable[[StepRecord], None] | None = None) -> History:
    """Train ``model`` on (xs, ys) with full-batch SGD; return the per-step loss and accuracy.

    ``loss`` is ``"sum_squares"`` (the lecture), ``"mse"``, ``"hinge"`` (micrograd's demo) or a
    function (scores, ys) -> Value; ``alpha`` adds the L2 penalty alpha·Σp². ``progress``
    shows a tqdm bar with the loss and accuracy; ``callback`` gets each StepRecord.
    """
    loss_fn = LOSSES.get(loss) if isinstance(loss, str) else loss
    if loss_fn is None or not callable(loss_fn):
        raise InputError(f"unknown loss {loss!r}", hint=f"use one of: {', '.join(LOSSES)}, or a function")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise InputError(f"steps must be a positive whole number, got {steps!r:.40}")
    if len(xs) != len(ys) or not xs:
        raise InputError(f"fit needs one target per sample, got {len(xs)} samples and {len(ys)} targets")
    params = model.parameters()
    opt = SGD(params, lr)
    history = History()
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=steps, desc="train", unit="step", leave=True)
    try:
        for k in range(steps):
            scores = [model(x) for x in xs]
            total = loss_fn(scores, ys)
            if alpha:
                total = total + l2(params, alpha)
            if not math.isfinite(total.data):
                raise NumericError(f"training diverged at step {k + 1}: the loss is {total.data}",
                                   hint="lower the learning rate")
            total.backward()
            record = StepRecord(k, total.data, accuracy(scores, ys), opt.lr)
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
