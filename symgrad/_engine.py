"""A micrograd-compatible scalar autograd engine.

``Value`` keeps its children in a tuple and its op as a reference to a ``Rule`` row, so
the forward and the local derivative both come from the rule table. It holds no closure
over itself: graphs are freed by reference counting alone, never by the cyclic GC.
"""

from __future__ import annotations

from ._errors import InputError
from ._rules import RULES, Rule

__all__ = ["Value", "topo_order", "backpropagate"]

_ADD, _SUB, _MUL, _DIV, _NEG = (RULES[n] for n in ("add", "sub", "mul", "div", "neg"))
_POW, _POWC = RULES["pow"], RULES["powc"]


class Value:
    """A scalar in a computation graph: ``data``, ``grad``, ``label``, ``_op``, ``_prev``."""

    __slots__ = ("data", "grad", "label", "_op", "_prev")

    def __init__(self, data: float, _children: tuple["Value", ...] = (), _op: Rule | None = None,
                 label: str = "") -> None:
        try:
            self.data = float(data)
        except (TypeError, ValueError):
            raise InputError(f"Value needs a real number, got {type(data).__name__} {data!r:.40}") from None
        self.grad = 0.0
        self.label = label
        self._op = _op
        self._prev = tuple(_children)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # -- arithmetic: each dunder names its rule; derived ops are rows of their own ------

    def __add__(self, other: "Value | float") -> "Value":
        return _apply2(_ADD, self, other)

    def __radd__(self, other: float) -> "Value":
        return _apply2(_ADD, other, self)

    def __sub__(self, other: "Value | float") -> "Value":
        return _apply2(_SUB, self, other)

    def __rsub__(self, other: float) -> "Value":
        return _apply2(_SUB, other, self)

    def __mul__(self, other: "Value | float") -> "Value":
        return _apply2(_MUL, self, other)

    def __rmul__(self, other: float) -> "Value":
        return _apply2(_MUL, other, self)

    def __truediv__(self, other: "Value | float") -> "Value":
        return _apply2(_DIV, self, other)

    def __rtruediv__(self, other: float) -> "Value":
        return _apply2(_DIV, other, self)

    def __pow__(self, other: "Value | float") -> "Value":
        # A plain-number exponent is a constant: it gets the power rule, not x^y·ln x.
        return _apply2(_POW if isinstance(other, Value) else _POWC, self, other)

    def __rpow__(self, other: float) -> "Value":
        return _apply2(_POW, other, self)

    def __neg__(self) -> "Value":
        return Value(_NEG.forward(self.data), (self,), _NEG)

    def __pos__(self) -> "Value":
        return self

    def __abs__(self) -> "Value":
        return self.abs()

    # relu(), tanh(), exp(), log(), sigmoid(), sin(), cos(), sqrt(), abs(), softplus()
    # are made below from the rule table's one-argument functions.

    def backward(self) -> None:
        """Fill ``grad`` on every node reachable from here with d(self)/d(node).

        Unlike micrograd, this is idempotent: it first resets every reachable grad to 0,
        so calling it twice gives the same grads, not doubled ones. Zeroing parameters
        between steps (``zero_grad``) is therefore optional.
        """
        backpropagate(self)


def _as_value(x: "Value | float") -> Value:
    return x if isinstance(x, Value) else Value(x)


def _apply2(rule: Rule, a: "Value | float", b: "Value | float") -> Value:
    a, b = _as_value(a), _as_value(b)
    return Value(rule.forward(a.data, b.data), (a, b), rule)


def _unary_method(rule: Rule):
    def method(self: Value) -> Value:
        return Value(rule.forward(self.data), (self,), rule)
    method.__name__ = rule.name
    method.__doc__ = f"{rule.title}: {rule.text}"
    return method


for _rule in RULES.values():
    if _rule.kind == "call" and _rule.arity == 1:
        assert not hasattr(Value, _rule.name), _rule.name
        setattr(Value, _rule.name, _unary_method(_rule))


def backpropagate(root: Value) -> list[Value]:
    """Reset, then fill every reachable grad; return the topological order it used."""
    topo = topo_order(root)
    for node in topo:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(topo):
        op = node._op
        if op is not None:
            kids = node._prev
            g = node.grad
            for kid, d in zip(kids, op.local(*[k.data for k in kids], node.data)):
                kid.grad += d * g
    return topo


def topo_order(root: Value) -> list[Value]:
    """Nodes reachable from ``root``, children before parents, in a deterministic order.

    Iterative depth-first search, so a million-node chain needs no recursion.
    """
    order: list[Value] = []
    seen: set[int] = set()  # ids are only used here, never shown
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((kid, False) for kid in reversed(node._prev) if id(kid) not in seen)
    return order

