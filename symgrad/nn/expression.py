"""Neurons as expressions: a network (or its loss) written as a symgrad program.

The weights and biases become named inputs, the sample's numbers are literals and every
hidden activation is a named intermediate, so ``sg.backprop`` (and the symbolic check)
see the same function as ``symgrad.nn`` and report a gradient for every parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..engine.value import Value
from ..base.errors import InputError
from ..base.validate import real_number

__all__ = ["Expression", "network_expression", "parameter_names"]

LOSSES = ("sum_squares", "mse", "hinge")


@dataclass(frozen=True)
class Expression:
    """A program for a network's output or loss, and the point (parameter values) to evaluate it at."""
    source: str
    point: dict[str, float]
    parameters: dict[str, Value] = field(repr=False)   # name -> the network's parameter

    @property
    def limits(self):
        """Limits that fit this text: symgrad wrote it, so its size is not an attack (a moons
        network over 100 samples is far over the default ``max_tokens``)."""
        from ..base.limits import DEFAULT_LIMITS
        size = len(self.source) + 1
        return DEFAULT_LIMITS.with_(**{name: max(getattr(DEFAULT_LIMITS, name), size) for name in
                                       ("max_chars", "max_tokens", "max_nodes", "max_statements")})

    @property
    def program(self):
        from ..language.parser import parse
        return parse(self.source, limits=self.limits)

    def backprop(self):
        """``sg.backprop`` of the program at the parameters' current values."""
        from ..engine.backprop import backprop
        return backprop(self.source, self.point, limits=self.limits)

    def __str__(self) -> str:
        return self.source


def parameter_names(layers: Sequence[Sequence[Any]]) -> dict[str, Value]:
    """``w1…, b`` for a lone neuron; ``w<layer>_<neuron>_<input>``, ``b<layer>_<neuron>`` otherwise."""
    if len(layers) == 1 and len(layers[0]) == 1:
        neuron = layers[0][0]
        return {**{f"w{i}": w for i, w in enumerate(neuron.w, 1)}, "b": neuron.b}
    named: dict[str, Value] = {}
    for li, neurons in enumerate(layers, 1):
        for ni, neuron in enumerate(neurons, 1):
            named.update({f"w{li}_{ni}_{i}": w for i, w in enumerate(neuron.w, 1)})
            named[f"b{li}_{ni}"] = neuron.b
    return named


def _number(x: object) -> str:
    value = real_number(x.data if isinstance(x, Value) else x, "a sample's value")
    text = repr(value)
    return f"({text})" if value < 0 else text


def _sample(x: object, nin: int) -> list[str]:
    items = [x] if isinstance(x, (int, float, Value)) else list(x)  # type: ignore[call-overload]
    if len(items) != nin:
        raise InputError(f"the network takes {nin} input{'s' * (nin != 1)}, a sample has {len(items)}")
    return [_number(v) for v in items]


def network_expression(layers: Sequence[Sequence[Any]], samples: Sequence[object], targets: Sequence[float] | None,
                       *, loss: str = "sum_squares", alpha: float = 0.0, output: str = "out") -> Expression:
    """Write the network over ``samples`` (with ``loss`` against ``targets``, if given)."""
    named = parameter_names(layers)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", output) or output in named or output == "L":
        raise InputError(f"cannot name the output {output!r:.40}",
                         hint="use letters and digits, not a parameter's name (w1, b, …) or L")
    names = iter(named)
    weights = [[([next(names) for _ in n.w], next(names)) for n in neurons] for neurons in layers]
    if targets is not None:
        if loss not in LOSSES:
            raise InputError(f"unknown loss {loss!r}", hint=f"use one of: {', '.join(LOSSES)}")
        if len(targets) != len(samples) or not samples:
            raise InputError(f"{len(samples)} samples but {len(targets)} targets")
    single = len(samples) == 1 and targets is None
    lines: list[str] = []
    outputs: list[list[str]] = []
    for k, x in enumerate(samples, 1):
        prefix = "" if single else f"p{k}_"
        acts = _sample(x, len(layers[0][0].w))
        last = len(layers) - 1
        for li, (neurons, params) in enumerate(zip(layers, weights)):
            new = []
            for ni, (neuron, (ws, b)) in enumerate(zip(neurons, params), 1):
                total = " + ".join([f"{a}*{w}" for a, w in zip(acts, ws)] + [b])
                body = total if neuron.nonlin == "linear" else f"{neuron.nonlin}({total})"
                if li < last:
                    name = f"{prefix}h{li + 1}_{ni}"
                else:
                    name = f"{prefix}{output}{ni if len(neurons) > 1 else ''}"
                lines.append(f"{name} = {body}")
                new.append(name)
            acts = new
        outputs.append(acts)
    if targets is not None:
        if any(len(o) != 1 for o in outputs):
            raise InputError("a loss needs a network with one output")
        lines.append(f"L = {_loss_text(loss, [o[0] for o in outputs], [_number(y) for y in targets], alpha, named)}")
    point = {name: p.data for name, p in named.items()}
    return Expression("\n".join(lines), point, named)


def _loss_text(loss: str, outs: list[str], ys: list[str], alpha: float, named: dict[str, Value]) -> str:
    """The same formulas as symgrad.nn's losses (``nn.train``), term by term."""
    if loss == "hinge":
        terms = " + ".join(f"relu(1 - {y}*{o})" for o, y in zip(outs, ys))
    else:
        terms = " + ".join(f"({o} - {y})^2" for o, y in zip(outs, ys))
    text = f"({terms})/{float(len(outs))!r}" if loss in ("mse", "hinge") else terms
    if alpha:
        text = f"{text} + {_number(alpha)}*({' + '.join(f'{p}^2' for p in named)})"
    return text
