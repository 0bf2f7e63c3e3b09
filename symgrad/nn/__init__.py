"""Neural nets from the lecture on ``symgrad.Value``: micrograd's API shape, seeded and fast.

>>> from symgrad.nn import MLP, lecture_data
>>> xs, ys = lecture_data()
>>> net = MLP(3, [4, 4, 1], seed=0)
>>> net(xs[0])                       # a single Value, as in the lecture
Value(data=..., grad=0.0)

Differences from micrograd, each on purpose:

- ``nonlin`` names a function: ``"tanh"`` (the lecture), ``"relu"`` (micrograd), ``"linear"``,
  or any other one-argument row of the rule table (``"sigmoid"``, ``"softplus"``…).
  micrograd's ``nonlin=True``/``False`` still mean relu/linear.
- A neuron is one fused weighted-sum node ``b + Σ wᵢxᵢ`` (as PyTorch fuses a linear layer)
  plus its activation: 2 nodes instead of micrograd's 2·nin + 1.
- A layer of one neuron returns a single Value, as in the lecture, and every layer also
  accepts a single Value as its input, so ``MLP(3, [4, 1, 1])`` works (micrograd's trap).
- Weights are drawn from ``seed`` (an int or a ``random.Random``); without it from the
  ``random`` module, as micrograd does. Biases start at uniform(-1, 1) for tanh neurons (the
  lecture) and at 0 otherwise (micrograd).
"""

from __future__ import annotations

import numbers
import random
from typing import Sequence

from .datasets import lecture_data, make_moons
from ..engine.value import Value, _apply1, _weighted_sum
from ..base.errors import InputError, LimitError, quote
from ..base.limits import DEFAULT_LIMITS, Limits
from ..base.validate import real_number, seed_rng, whole_number
from .expression import Expression, network_expression, parameter_names
from .plots import plot_boundary, plot_loss
from ..rules.table import INTERNAL, RULES
from .optim import SGD, Adam, AdamW, Optimizer
from .train import History, StepRecord, accuracy, cross_entropy, fit, hinge, l2, linear_schedule, mse, sum_squares

__all__ = [
    "Module", "Neuron", "Layer", "MLP", "Expression",
    "mse", "sum_squares", "hinge", "cross_entropy", "l2", "accuracy", "SGD", "Adam", "AdamW", "Optimizer", "linear_schedule", "fit", "History", "StepRecord",
    "lecture_data", "make_moons", "plot_loss", "plot_boundary",
]

ACTIVATIONS = tuple(name for name, row in RULES.items() if row.kind == "call" and row.arity == 1)


def _rng(seed: "int | random.Random | None"):
    if seed is None or seed is random:
        return random  # the module's global generator, as micrograd
    return seed_rng(seed)


def _nonlin(nonlin: "str | bool") -> str:
    if nonlin is True:
        return "relu"   # micrograd's Neuron(nin, nonlin=True)
    if nonlin is False:
        return "linear"
    if nonlin == "linear" or nonlin in ACTIVATIONS:
        return nonlin
    raise InputError(f"unknown nonlin {quote(nonlin)}", hint=f"use 'linear' or one of: {', '.join(ACTIVATIONS)}")


def _count(n: object, what: str) -> int:
    return whole_number(n, what, minimum=1)


def _check_parameters(count: int, limits: Limits | None) -> None:
    """Refuse a module over ``max_parameters`` before any weight is drawn."""
    if limits is not None and not isinstance(limits, Limits):
        raise InputError(f"limits must be a symgrad.Limits, got {type(limits).__name__}")
    cap = (limits or DEFAULT_LIMITS).max_parameters
    if count > cap:
        raise LimitError(f"the module would have {count} parameters", limit="max_parameters", value=cap,
                         hint="use fewer or smaller layers, or pass limits=symgrad.Limits(max_parameters=...)")


def _as_inputs(x: object, nin: int, owner: "Module") -> tuple[Value, ...]:
    """A sample as a tuple of Values: numbers are wrapped, one number or Value is a 1-vector.
    Any sequence or array-like of real numbers works (numpy rows and scalars included)."""
    if isinstance(x, (Value, numbers.Real)) or getattr(x, "ndim", None) == 0:
        x = (x,)
    try:
        items = tuple(v if isinstance(v, Value) else Value(real_number(v, "an input")) for v in x)  # type: ignore
    except TypeError:
        raise InputError(f"{owner!r} takes a sequence of {nin} numbers, got {type(x).__name__}") from None
    if len(items) != nin:
        raise InputError(f"{owner!r} takes {nin} input{'s' * (nin != 1)}, got {len(items)}")
    return items


class Module:
    """Anything with parameters: ``parameters()`` and ``zero_grad()``, as in micrograd and PyTorch."""

    def parameters(self) -> list[Value]:
        return []

    def named_parameters(self) -> dict[str, Value]:
        """Parameters by name: ``w<i>``/``b`` in a neuron; ``w<layer>_<neuron>_<i>``/``b<layer>_<neuron>`` in an MLP."""
        return {}

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.

        ``loss.backward()`` resets (then fills) the grad of every node reachable from
        ``loss``, so with one loss over the whole model, as in ``fit``, this call is not
        needed. It *is* needed before stepping parameters that the last loss did not reach
        (alternating losses, a loss over part of the model, a layer used only sometimes):
        those keep the grads of an earlier ``backward()``. ``fit`` calls it every step.
        """
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """``nonlin(b + Σ wᵢxᵢ)`` with ``nin`` weights ``w`` and a bias ``b``."""

    def __init__(self, nin: int, nonlin: "str | bool" = "tanh", *, seed: "int | random.Random | None" = None,
                 limits: Limits | None = None) -> None:
        self.nin = _count(nin, "nin")
        _check_parameters(self.nin + 1, limits)
        self.nonlin = _nonlin(nonlin)
        rng = _rng(seed)
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(self.nin)]
        self.b = Value(rng.uniform(-1, 1) if self.nonlin == "tanh" else 0.0)
        self._act = RULES.get(self.nonlin)

    def __call__(self, x: "Sequence[Value | float] | Value | float") -> Value:
        return self._forward(_as_inputs(x, self.nin, self))

    def _forward(self, xs: tuple[Value, ...]) -> Value:
        out = _weighted_sum(self.b, tuple(self.w), xs)
        return out if self._act is None else _apply1(self._act, out)

    def _predict(self, xd: Sequence[float]) -> float:
        s = INTERNAL["wsum"].forward(self.b.data, *[w.data for w in self.w], *xd)
        return s if self._act is None else self._act.forward(s)

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def named_parameters(self) -> dict[str, Value]:
        return parameter_names([[self]])

    def expression(self, x: "Sequence[float] | float", *, name: str = "o") -> Expression:
        """This neuron at input ``x`` as a symgrad program, with its weights as named inputs."""
        return network_expression([[self]], [x], None, output=name)

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, nonlin={self.nonlin!r})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs."""

    def __init__(self, nin: int, nout: int, nonlin: "str | bool" = "tanh", *,
                 seed: "int | random.Random | None" = None, limits: Limits | None = None) -> None:
        self.nin, self.nout = _count(nin, "nin"), _count(nout, "nout")
        _check_parameters(self.nout * (self.nin + 1), limits)
        rng = _rng(seed)
        self.neurons = [Neuron(self.nin, nonlin, seed=rng, limits=limits) for _ in range(self.nout)]
        self.nonlin = self.neurons[0].nonlin

    def __call__(self, x: "Sequence[Value | float] | Value | float") -> "Value | list[Value]":
        out = self._forward(_as_inputs(x, self.nin, self))
        return out[0] if len(out) == 1 else list(out)

    def _forward(self, xs: tuple[Value, ...]) -> tuple[Value, ...]:
        return tuple(n._forward(xs) for n in self.neurons)

    def _predict(self, xd: Sequence[float]) -> list[float]:
        return [n._predict(xd) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, nonlin={self.nonlin!r})"


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs: hidden layers use ``nonlin``, the last ``out_nonlin``.

    ``MLP(3, [4, 4, 1])(x)`` returns a single Value; a wider last layer returns a list.
    """

    def __init__(self, nin: int, nouts: Sequence[int], nonlin: "str | bool" = "tanh",
                 out_nonlin: "str | bool" = "linear", *, seed: "int | random.Random | None" = None,
                 limits: Limits | None = None) -> None:
        if isinstance(nouts, (numbers.Number, str, bytes)) or not hasattr(nouts, "__iter__"):
            raise InputError("nouts is a list of layer sizes, e.g. MLP(3, [4, 4, 1])")
        self.nin = _count(nin, "nin")
        self.nouts = [_count(n, "a layer size") for n in list(nouts)]  # any sequence or array of ints
        if not self.nouts:
            raise InputError("nouts is a list of layer sizes, e.g. MLP(3, [4, 4, 1])")
        sizes = [self.nin] + self.nouts
        _check_parameters(sum(sizes[i + 1] * (sizes[i] + 1) for i in range(len(self.nouts))), limits)
        self.nonlin, self.out_nonlin = _nonlin(nonlin), _nonlin(out_nonlin)
        rng = _rng(seed)
        last = len(self.nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], self.out_nonlin if i == last else self.nonlin, seed=rng,
                             limits=limits) for i in range(len(self.nouts))]

    def __call__(self, x: "Sequence[Value | float] | Value | float") -> "Value | list[Value]":
        xs = _as_inputs(x, self.nin, self)
        for layer in self.layers:
            xs = layer._forward(xs)
        return xs[0] if len(xs) == 1 else list(xs)

    def predict(self, x: "Sequence[float] | float") -> "float | list[float]":
        """The output as plain floats, without building a graph (for plots and evaluation)."""
        xd = [v.data for v in _as_inputs(x, self.nin, self)]
        for layer in self.layers:
            xd = layer._predict(xd)
        return xd[0] if len(xd) == 1 else xd

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> dict[str, Value]:
        return parameter_names([layer.neurons for layer in self.layers])

    def expression(self, inputs: "Sequence[float] | Sequence[Sequence[float]]", targets: Sequence[float] | None = None,
                   *, loss: str = "sum_squares", alpha: float = 0.0) -> Expression:
        """The network as a symgrad program, with every weight and bias as a named input.

        Without ``targets``: the output at the one input ``inputs``. With ``targets``: the
        ``loss`` (``"sum_squares"``, ``"mse"`` or ``"hinge"``, plus ``alpha``·Σp² if
        ``alpha``) over the samples ``inputs``, exactly as ``fit`` computes it.
        """
        layers = [layer.neurons for layer in self.layers]
        if targets is None:
            return network_expression(layers, [inputs], None)
        return network_expression(layers, list(inputs), list(targets), loss=loss, alpha=alpha)

    def __repr__(self) -> str:
        return (f"MLP({self.nin}, {self.nouts}, nonlin={self.nonlin!r}, out_nonlin={self.out_nonlin!r})")
