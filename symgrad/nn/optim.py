"""Optimisers of the lecture's sequels: SGD (with momentum and weight decay), Adam and AdamW.

Each follows ``torch.optim``'s update to the operation (same defaults, same order of float
operations), so a run matches PyTorch's on the same seeds; ``tests/nn/test_optim.py`` checks
every one against the papers' algorithms, computed independently in mpmath.

- SGD with momentum (PyTorch's form, Sutskever et al. 2013):
  ``g = ∇ + λp;  b = μb + g (b = g at the first step);  p -= lr·b``.
- Adam (Kingma & Ba 2015, Algorithm 1), weight decay as an L2 term added to the gradient:
  ``m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;  p -= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)``.
- AdamW (Loshchilov & Hutter 2019): decoupled decay ``p -= lr·λ·p`` before Adam's step.

``lr`` is a number or a schedule ``k ↦ lr`` (``linear_schedule``), read at every step.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from ..base.errors import InputError
from ..base.validate import real_number
from ..engine.value import Value

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "OPTIMIZERS", "make_optimizer"]


def _rate(lr: object, what: str) -> float:
    value = real_number(lr, what)
    if value < 0:
        raise InputError(f"{what} is {value}: a learning rate cannot be negative",
                         hint="gradient descent with a negative rate climbs the loss; use lr >= 0")
    return value


def _fraction(x: object, what: str, *, closed: bool = False) -> float:
    value = real_number(x, what)
    if not (0.0 <= value <= 1.0 if closed else 0.0 <= value < 1.0):
        raise InputError(f"{what} is {value}: it must lie in [0, 1{']' if closed else ')'}",
                         hint="PyTorch's defaults are momentum=0.9, betas=(0.9, 0.999)")
    return value


class Optimizer:
    """Parameters, a learning rate (number or schedule) and a step count ``k``, as ``torch.optim``."""

    def __init__(self, params: Sequence[Value], lr: "float | Callable[[int], float]",
                 weight_decay: float = 0.0) -> None:
        self.params = list(params)
        if not all(isinstance(p, Value) for p in self.params):
            raise InputError("an optimiser takes a list of Values, e.g. model.parameters()")
        self.schedule = lr if callable(lr) else _rate(lr, "lr")
        self.weight_decay = real_number(weight_decay, "weight_decay")
        if self.weight_decay < 0:
            raise InputError(f"weight_decay is {self.weight_decay}: it cannot be negative")
        self.k = 0
        self.lr  # a schedule that starts negative fails here, not after a step

    @property
    def lr(self) -> float:
        """The learning rate the next ``step()`` uses (a finite number >= 0, else InputError)."""
        return _rate(self.schedule(self.k), f"the schedule's lr at step {self.k}") if callable(self.schedule) \
            else self.schedule

    def step(self) -> None:
        lr = self.lr
        for i, p in enumerate(self.params):
            p.data = self._update(i, p.data, p.grad, lr)
        self.k += 1

    def _update(self, i: int, p: float, g: float, lr: float) -> float:
        raise NotImplementedError

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0


class SGD(Optimizer):
    """``p -= lr·g``; with ``momentum`` μ a velocity ``b = μb + g`` (PyTorch's form, no dampening)
    and ``weight_decay`` λ adding λp to the gradient. ``SGD(params, lr)`` is the lecture's step."""

    def __init__(self, params: Sequence[Value], lr: "float | Callable[[int], float]" = 0.1, *,
                 momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = _fraction(momentum, "momentum")
        self.velocity: list[float | None] = [None] * len(self.params)

    def _update(self, i: int, p: float, g: float, lr: float) -> float:
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            b = self.velocity[i]
            b = g if b is None else self.momentum * b + g
            self.velocity[i] = b
            g = b
        return p - lr * g


class Adam(Optimizer):
    """Adam with bias correction; ``weight_decay`` adds λp to the gradient (PyTorch's Adam)."""

    decoupled = False

    def __init__(self, params: Sequence[Value], lr: "float | Callable[[int], float]" = 1e-3, *,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        if not hasattr(betas, "__len__") or len(betas) != 2:
            raise InputError("betas is a pair (beta1, beta2), e.g. (0.9, 0.999)")
        self.beta1, self.beta2 = _fraction(betas[0], "beta1"), _fraction(betas[1], "beta2")
        self.eps = real_number(eps, "eps")
        if self.eps <= 0:
            raise InputError(f"eps is {self.eps}: it must be > 0 (it keeps the division finite)")
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def _update(self, i: int, p: float, g: float, lr: float) -> float:
        t = self.k + 1
        if self.decoupled:
            p = p * (1 - lr * self.weight_decay)
        elif self.weight_decay:
            g = g + self.weight_decay * p
        m = self.m[i] = self.m[i] + (g - self.m[i]) * (1 - self.beta1)   # torch's lerp
        v = self.v[i] = self.v[i] * self.beta2 + (1 - self.beta2) * g * g
        step_size = lr / (1 - self.beta1 ** t)
        denom = math.sqrt(v) / math.sqrt(1 - self.beta2 ** t) + self.eps
        return p - step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay ``p *= 1 − lr·λ`` (PyTorch's default λ = 0.01)."""

    decoupled = True

    def __init__(self, params: Sequence[Value], lr: "float | Callable[[int], float]" = 1e-3, *,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "adamw": AdamW}


def make_optimizer(optimizer: "str | Optimizer | None", params: Sequence[Value],
                   lr: "float | Callable[[int], float]", weight_decay: float = 0.0,
                   momentum: float = 0.0) -> Optimizer:
    """``fit``'s optimiser: a name from OPTIMIZERS (``"momentum"`` is SGD with μ = 0.9) or an instance."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    name = "sgd" if optimizer is None else optimizer
    if name == "momentum":
        name, momentum = "sgd", momentum or 0.9
    cls = OPTIMIZERS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise InputError(f"unknown optimizer {name!r:.40}",
                         hint=f"use one of: {', '.join(OPTIMIZERS)}, momentum, or a symgrad.nn optimiser")
    if cls is SGD:
        return SGD(params, lr, momentum=momentum, weight_decay=weight_decay)
    return cls(params, lr, weight_decay=weight_decay)
