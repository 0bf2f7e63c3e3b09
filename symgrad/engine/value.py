"""A micrograd-compatible scalar autograd engine.

``Value`` keeps its children in a tuple (``_prev``) and its row of the rule table in ``_rule``,
so the forward and the local derivative both come from the table; ``_op`` is the operation's
symbol (``'+'``, ``'*'``, ``'tanh'``; ``''`` for a leaf), as micrograd's is. ``_backward()``
adds one node's local step into its children's grads, as micrograd's closure does, but it is
a method reading ``_rule``, not a closure over the node: graphs are freed by reference counting
alone, never by the cyclic GC.

A Value made by ``Value(…)`` (an input, a parameter) takes attributes of the user's own
(``p.m = 0``, as an optimizer keeps its moments): it is a ``UserValue``, the subclass with a
``__dict__``. The op nodes and constants (the 2 of ``x * 2``) that arithmetic makes are plain
``Value``s without one, because on CPython 3.11 a ``__dict__`` costs 32 bytes per object even
unused (a managed-dict pre-header and its preallocated values), 20% of an interior node.

Speed and memory: an op node is one slotted object, a float and a children tuple (144 bytes with
one child, 160 with two). Internal nodes skip ``__init__``'s input checks (a row's forward already returns a
float). ``topo_order`` writes to no node (its visits are a set), so reading one graph from many
threads is safe. Backward, which owns the grads anyway, sorts with its visit marks in the
``grad`` slots instead (no per-node memory), and its loop is specialised by arity. A row may provide ``accumulate`` to add its gradients in
place, as the fused weighted-sum row (one node per neuron) does.
"""

from __future__ import annotations

import math
import numbers
from operator import attrgetter
from typing import Sequence

from ..base.errors import InputError, NumericError
from .nonfinite import cause
from ..rules.rule import arity_error
from ..rules.table import INTERNAL, RULES, Rule, calls

__all__ = ["Value", "topo_order", "backpropagate", "weighted_sum", "where"]

_ADD, _SUB, _MUL, _DIV, _NEG = (RULES[n] for n in ("add", "sub", "mul", "div", "neg"))
_POW, _POWC, _WSUM, _TAKEN = RULES["pow"], RULES["powc"], INTERNAL["wsum"], INTERNAL["taken"]


class Value:
    """A scalar in a computation graph: ``data``, ``grad``, ``label``, ``_op``, ``_prev``, ``_backward()``.

    ``_op`` is the operation's symbol string (``''`` for a leaf); the row itself is ``_rule``
    (None for a leaf). ``Value(data, children, _op=row)`` takes a row of ``symgrad.RULES``, or
    ``''`` for a leaf (a symbol string alone would not say how to differentiate).
    """

    __slots__ = ("data", "grad", "label", "_rule", "_prev")

    def __new__(cls, *args: object, **kwargs: object) -> "Value":
        return _new(UserValue if cls is Value else cls)

    def __init__(self, data: float, _children: tuple["Value", ...] = (), _op: "Rule | str" = "",
                 label: str = "") -> None:
        if type(data) is not float:
            try:
                data = float(data)
            except (TypeError, ValueError):
                raise InputError(f"Value needs a real number, got {type(data).__name__} {data!r:.40}") from None
        self.data = data
        self.grad = 0.0
        self.label = label
        _op = _op or None   # micrograd's leaf has _op ''
        if _op is not None and not isinstance(_op, Rule):
            raise InputError(f"_op must be a row of symgrad.RULES, got {_op!r:.40}",
                             hint="build op nodes with operators and methods (a * b, a.tanh())")
        self._rule = _op
        self._prev = ()
        if _children:
            self._prev = tuple(_children)
            for kid in self._prev:
                if not isinstance(kid, Value):
                    raise InputError("a Value's children must be Values", hint="wrap numbers as Value(x)")

    @property
    def _op(self) -> str:
        """The operation's symbol, as micrograd's ``_op``: ``'+'``, ``'**'``, ``'tanh'``; ``''`` for a leaf."""
        rule = self._rule
        return "" if rule is None else str(rule)

    def _backward(self) -> None:
        """Add this node's local step to its children's grads: each child's grad += d(self)/d(child)·self.grad.

        micrograd's per-node closure, as a method (no reference cycle). ``backward()`` runs the
        same step for every node in reverse topological order, after resetting the grads.
        """
        rule = self._rule
        if rule is None:
            return
        kids, g = self._prev, self.grad
        if rule.accumulate is not None:
            rule.accumulate(kids, g)
            return
        for kid, d in zip(kids, rule.local(*[k.data for k in kids], self.data)):
            kid.grad += d * g

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # -- arithmetic: each dunder names its rule; derived ops are rows of their own ------

    def __add__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else _constant(other)
        return _node(_ADD.forward(self.data, other.data), (self, other), _ADD)

    def __radd__(self, other: float) -> "Value":
        other = _constant(other)
        return _node(_ADD.forward(other.data, self.data), (other, self), _ADD)

    def __sub__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else _constant(other)
        return _node(_SUB.forward(self.data, other.data), (self, other), _SUB)

    def __rsub__(self, other: float) -> "Value":
        other = _constant(other)
        return _node(_SUB.forward(other.data, self.data), (other, self), _SUB)

    def __mul__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else _constant(other)
        return _node(_MUL.forward(self.data, other.data), (self, other), _MUL)

    def __rmul__(self, other: float) -> "Value":
        other = _constant(other)
        return _node(_MUL.forward(other.data, self.data), (other, self), _MUL)

    def __truediv__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else _constant(other)
        return _node(_DIV.forward(self.data, other.data), (self, other), _DIV)

    def __rtruediv__(self, other: float) -> "Value":
        other = _constant(other)
        return _node(_DIV.forward(other.data, self.data), (other, self), _DIV)

    def __pow__(self, other: "Value | float") -> "Value":
        # A plain-number exponent is a constant: it gets the power rule, not x^y·ln x.
        rule = _POW if isinstance(other, Value) else _POWC
        other = other if isinstance(other, Value) else _constant(other)
        return _node(rule.forward(self.data, other.data), (self, other), rule)

    def __rpow__(self, other: float) -> "Value":
        other = _constant(other)
        return _node(_POW.forward(other.data, self.data), (other, self), _POW)

    def __neg__(self) -> "Value":
        return _node(_NEG.forward(self.data), (self,), _NEG)

    def __pos__(self) -> "Value":
        return self

    def __abs__(self) -> "Value":
        return self.abs()

    # -- comparisons: plain bools on ``data`` (for ``where`` and ``if``); no gradient flows
    # through a comparison. ``==`` stays identity: Values are graph nodes, kept in sets.
    def __lt__(self, other: "Value | float") -> bool:
        return self.data < _compared(self, "<", other)

    def __le__(self, other: "Value | float") -> bool:
        return self.data <= _compared(self, "<=", other)

    def __gt__(self, other: "Value | float") -> bool:
        return self.data > _compared(self, ">", other)

    def __ge__(self, other: "Value | float") -> bool:
        return self.data >= _compared(self, ">=", other)

    # relu(), tanh(), …, max(other), atan2(x), logsumexp(*others): one method per call row of
    # the rule table, made below by ``add_method``.

    def backward(self) -> None:
        """Fill ``grad`` on every node reachable from here with d(self)/d(node).

        Unlike micrograd, this is idempotent: it first resets every reachable grad to 0,
        so calling it twice gives the same grads, not doubled ones. Zeroing parameters
        between steps (``zero_grad``) is therefore optional.

        Raises NumericError, naming the node and its arguments, if a grad is not finite (a
        singular slope such as sqrt'(0), or an overflow), as ``backprop`` does for a program;
        the grads are filled all the same.
        """
        topo = backpropagate(self)
        if not math.isfinite(sum(map(_GRAD, topo))) and not all(math.isfinite(v.grad) for v in topo):
            node, err = cause(topo)  # a finite sum rules out inf and nan; an overflowing one is checked
            rule = node._rule
            where = rule.show(*[k.data for k in node._prev]) if rule is not None else repr(node)
            where = f"{node.label} = {where}" if node.label else where
            raise NumericError(f"{err.message} in {where}", hint=err.hint)


class UserValue(Value):
    """A Value made by ``Value(…)``: the same node, plus a ``__dict__`` for attributes of the
    user's own (``p.m = 0``). ``isinstance(v, Value)`` holds; op nodes are plain ``Value``s."""

    __slots__ = ("__dict__",)


_new = object.__new__
_GRAD = attrgetter("grad")


def _compared(self: Value, op: str, other: object) -> object:
    """What a Value's data is compared with: another Value's data, or a real number as it is (an
    int stays exact). Anything else (text, None, an array) is an InputError, not Python's TypeError."""
    if isinstance(other, Value):
        return other.data
    if isinstance(other, numbers.Real):
        return other
    raise InputError(f"cannot compare a Value with {type(other).__name__} {other!r:.40}: Value({self.data!r}) {op} …",
                     hint="compare with a number or a Value (x > 0, x <= y); convert text first: x > float(s)")


def _constant(x: float) -> Value:
    """A number met in arithmetic (the 2 of ``x * 2``) as a Value: ``Value(x)``'s checks, without
    the ``__dict__`` of a user's own Value (32 bytes a constant)."""
    v = _new(Value)
    v.__init__(x)
    return v


def _node(data: float, kids: tuple, op: Rule) -> Value:
    """An op node. ``data`` is a row's forward output (a float): no checks needed."""
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    v._rule = op
    v._prev = kids
    return v


def _method(rule: Rule, *overloads: Rule):
    """``x.tanh()``, ``x.max(y)``, ``x.atan2(y)``, ``x.logsumexp(y, z)``: the row applied to
    ``self`` and the other arguments (plain numbers become constant Values). With ``overloads``
    the number of arguments picks the row (``x.softplus()``, ``x.softplus(beta)``), and a left-out
    trailing argument takes its default."""
    forward, arity, variadic = rule.forward, rule.arity, rule.variadic

    if arity == 1 and not variadic and not overloads:
        def method(self: Value) -> Value:
            return _node(forward(self.data), (self,), rule)
    else:
        rows = (rule, *overloads)

        def method(self: Value, *others: "Value | float") -> Value:
            n = 1 + len(others)
            row = next((r for r in rows if r.accepts(n)), None)
            if row is None:
                raise arity_error(rows, n)
            kids = (self, *[o if isinstance(o, Value) else _constant(o) for o in (*others, *row.left_out(n))])
            return _node(row.forward(*[k.data for k in kids]), kids, row)
    method.__name__ = rule.name
    said = " or ".join(s for r in rows for s in r.signatures()) if overloads else rule.signature()
    method.__doc__ = f"{said} with self as {rule.args[0]}: the {rule.title} of the rule table."
    return method


def add_method(rule: Rule) -> None:
    """Give ``Value`` the method of a call row (at import for the table, and by ``symgrad.register``)."""
    if rule.kind != "call":
        return
    if rule.overloads:   # softplus_beta answers x.softplus(beta[, threshold]) beside softplus's x.softplus()
        base, *overloads = calls(rule.overloads)    # the table's rows for that call, this one included
        method = _method(base, *overloads)
        method._row = base
        for name in (base.name, *base.aliases):
            setattr(Value, name, method)
        return
    for name in (rule.name, *rule.aliases):   # ln is log, in the language and on Value
        current = getattr(Value, name, None)
        if current is not None and getattr(current, "_row", None) is None:
            raise InputError(f"Value already has an attribute {name!r}", hint="choose another function name")
    method = _method(rule)
    method._row = rule
    for name in (rule.name, *rule.aliases):
        setattr(Value, name, method)


for _rule in RULES.values():
    add_method(_rule)


def weighted_sum(weights: Sequence[Value], inputs: Sequence["Value | float"], bias: "Value | float" = 0.0) -> Value:
    """One node for ``bias + Σ weights[i]·inputs[i]``, as a neuron (or PyTorch's linear) computes it.

    Its children are ``(bias, *weights, *inputs)``; micrograd would build 2n nodes instead.
    """
    if len(weights) != len(inputs):
        raise InputError(f"weighted_sum needs as many inputs as weights, got {len(inputs)} and {len(weights)}")
    bias = bias if isinstance(bias, Value) else Value(bias)
    ws = tuple(w if isinstance(w, Value) else Value(w) for w in weights)
    xs = tuple(x if isinstance(x, Value) else Value(x) for x in inputs)
    return _weighted_sum(bias, ws, xs)


def where(condition: object, x: "Value | float", y: "Value | float") -> Value:
    """``x`` if ``condition`` else ``y``, as a node whose only child is the taken branch: backward
    sends the gradient there alone, so the other branch (a sqrt at 0, a log of 0) never turns it
    into NaN by 0·inf. ``condition`` is a bool (``x > 0`` on Values compares their data).
    As ``torch.where`` and ``jnp.where``, but without their NaN gradient from the untaken branch."""
    if isinstance(condition, Value):
        raise InputError("where's condition must be a bool, got a Value",
                         hint="compare it: where(x > 0, a, b), or where(x.data != 0, a, b)")
    try:
        take = bool(condition)
    except Exception:  # noqa: BLE001 -- numpy arrays and other ambiguous truths
        raise InputError(f"where's condition must be a bool, got {type(condition).__name__}",
                         hint="compare it: where(x > 0, a, b)") from None
    for name, branch in (("x", x), ("y", y)):     # both, though one is taken: a wrong type is a mistake
        if not isinstance(branch, (Value, numbers.Real)):
            raise InputError(f"where's {name} must be a Value or a real number, got {type(branch).__name__} "
                             f"{branch!r:.40}", hint="where(x > 0, x, 0.0): each branch a Value or a number")
    taken = x if take else y
    taken = taken if isinstance(taken, Value) else _constant(taken)
    return _node(taken.data, (taken,), _TAKEN)


def _where_method(self: "Value | object", x: "Value | float", y: "Value | float") -> Value:
    """``c.where(x, y)``: ``where(c.data != 0, x, y)``, a condition Value (1.0 or 0.0) choosing the
    branch; only the taken branch gets a gradient, as for the module function. Called on the
    class, ``Value.where(v > 0, a, b)`` is the module function ``where`` (a bool condition)."""
    return where(self.data != 0.0 if isinstance(self, Value) else self, x, y)


_where_method._row = RULES["where"]
Value.where = _where_method


def topo_order(root: Value) -> list[Value]:
    """Nodes reachable from ``root``, children before parents, in micrograd's ``build_topo`` order
    (a depth-first walk of each ``_prev`` tuple in order: deterministic). The one sort of the
    package: drawings, worksheets, the check's DAG and the generated code's plan (any node with a
    ``_prev`` tuple) all use it; only ``backward``'s own fast path (``_mark_topo``) is separate.

    Iterative depth-first search (a million-node chain needs no recursion) that writes to no
    node: visits are kept in a set of the nodes, so any number of threads may sort, draw or read
    one shared graph at once. A node can be on the stack more than once (pushed by two parents);
    only its first pop expands it. The _EMIT marker sits below a node's children on the stack.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list = [root]
    push, pop, emit, visit = stack.append, stack.pop, order.append, seen.add
    emit_mark = _EMIT
    while stack:
        node = pop()
        if node is emit_mark:          # every child of the node below is emitted
            emit(pop())
        elif node not in seen:         # first pop: expand
            visit(node)
            push(node)
            push(emit_mark)
            kids = node._prev
            for i in range(len(kids) - 1, -1, -1):
                if kids[i] not in seen:
                    push(kids[i])
    return order


_EMIT = object()


_OPEN, _DONE = object(), object()  # visit marks kept in ``grad`` while sorting


def _mark_topo(root: Value, saved: list | None = None) -> list[Value]:
    """``topo_order`` for backward only, which owns every grad: the same order, with the visit
    marks kept in the ``grad`` slots (no per-node memory; backward resets them all next). Leaves
    every reachable ``grad`` set to the _DONE mark.

    Iterative depth-first search, so a million-node chain needs no recursion. A node can be
    on the stack more than once (pushed by two parents); only its first pop expands it.
    ``saved``, if given, receives (node, grad) for each node as it is first reached.
    """
    order: list[Value] = []
    stack = [root]
    push, pop, emit = stack.append, stack.pop, order.append
    open_, done = _OPEN, _DONE
    while stack:
        node = pop()
        mark = node.grad
        if mark is open_:          # second pop: every child is emitted
            node.grad = done
            emit(node)
        elif mark is not done:     # first pop: expand
            if saved is not None:
                saved.append((node, mark))
            node.grad = open_
            push(node)
            kids = node._prev
            for i in range(len(kids) - 1, -1, -1):
                kid = kids[i]
                g = kid.grad
                if g is not open_ and g is not done:
                    push(kid)
    return order


def _clear_marks(root: Value) -> None:
    """After an interrupted sort: set every mark left in a reachable grad back to 0."""
    stack = [root]
    while stack:
        node = stack.pop()
        mark = getattr(node, "grad", None)
        if mark is _OPEN or mark is _DONE:
            node.grad = 0.0
            stack.extend(node._prev)


def backpropagate(root: Value) -> list[Value]:
    """Reset, then fill every reachable grad; return the topological order it used.

    A writer: it owns the grads of the graph while it runs (readers use ``topo_order``)."""
    try:
        topo = _mark_topo(root)
    except BaseException:  # MemoryError, KeyboardInterrupt: never leave marks in grads
        _clear_marks(root)
        raise
    for node in topo:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(topo):   # each node's _backward(), unrolled by arity
        op = node._rule
        if op is None:
            continue
        kids = node._prev
        g = node.grad
        if op.accumulate is not None:
            op.accumulate(kids, g)
        elif len(kids) == 2:
            a, b = kids
            da, db = op.local(a.data, b.data, node.data)
            a.grad += da * g
            b.grad += db * g
        elif len(kids) == 1:
            a = kids[0]
            a.grad += op.local(a.data, node.data)[0] * g
        else:
            for kid, d in zip(kids, op.local(*[k.data for k in kids], node.data)):
                kid.grad += d * g
    return topo


def _weighted_sum(bias: Value, ws: tuple, xs: tuple) -> Value:
    """``weighted_sum`` without input checks, for symgrad.nn (all Values, equal lengths)."""
    return _node(_WSUM.forward(bias.data, *[w.data for w in ws], *[x.data for x in xs]), (bias, *ws, *xs), _WSUM)


def _apply1(rule: Rule, x: Value) -> Value:
    """A one-argument row applied to a Value (what ``x.tanh()`` does, by row)."""
    return _node(rule.forward(x.data), (x,), rule)
