"""A fast, safe float evaluator for SymPy trees (no evalf, no lambdify, no recursion).

It maps SymPy heads to ``math`` functions and walks the tree with an explicit stack,
sharing equal subtrees. ``Piecewise`` (and ``ITE``) is lazy: only the chosen branch is evaluated, so
the branch that is undefined at the point never fails. Every domain failure (log of a
non-positive number, division by zero, overflow, a non-finite result) raises
``SymbolicDomain`` with a reason; nothing else escapes.
"""

from __future__ import annotations

import math
from typing import Mapping

import sympy as sp
from sympy.logic.boolalg import ITE, BooleanFalse, BooleanTrue

from ._errors import CheckError

__all__ = ["SymbolicDomain", "evaluate", "compile_expr"]


class SymbolicDomain(ArithmeticError):
    """The expression has no finite real value at the point (internal; checks report it)."""


def _log(x: float) -> float:
    if x <= 0.0:
        raise SymbolicDomain(f"log({x!r}) is undefined")
    return math.log(x)


def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


def _pow(base: float, exponent: float) -> float:
    if base == 0.0 and exponent < 0.0:
        raise SymbolicDomain(f"0 ** {exponent!r} divides by zero")
    if base < 0.0 and not exponent.is_integer():
        raise SymbolicDomain(f"({base!r}) ** {exponent!r} is not real")
    return math.pow(base, exponent)


def _mul(*xs: float) -> float:
    out = 1.0
    for x in xs:
        out *= x
    return out


def _heaviside(x: float, h0: float = 0.0) -> float:
    return 1.0 if x > 0.0 else 0.0 if x < 0.0 else h0


# SymPy head -> float function of the evaluated arguments.
_HEADS = {
    sp.Add: lambda *xs: math.fsum(xs),
    sp.Mul: _mul,
    sp.Pow: _pow,
    sp.exp: math.exp,
    sp.log: _log,
    sp.tanh: math.tanh,
    sp.sinh: math.sinh,
    sp.cosh: math.cosh,
    sp.sin: math.sin,
    sp.cos: math.cos,
    sp.tan: math.tan,
    sp.Abs: abs,
    sp.sign: _sign,
    sp.re: lambda x: x,        # every symbol is real, so re and im are trivial here
    sp.im: lambda x: 0.0,
    sp.Heaviside: _heaviside,
    sp.Max: max,
    sp.atan2: math.atan2,        # from the derivative of Abs or arg of a symbol SymPy cannot prove real
    sp.arg: lambda x: 0.0 if x >= 0.0 else math.pi,
    sp.Min: min,
}
_RELATIONS = {
    sp.StrictGreaterThan: lambda a, b: a > b,
    sp.GreaterThan: lambda a, b: a >= b,
    sp.StrictLessThan: lambda a, b: a < b,
    sp.LessThan: lambda a, b: a <= b,
    sp.Equality: lambda a, b: a == b,
    sp.Unequality: lambda a, b: a != b,
    sp.And: lambda *xs: all(xs),
    sp.Or: lambda *xs: any(xs),
    sp.Not: lambda x: not x,
}


def compile_expr(expr: sp.Basic):
    """A faster evaluator for an expression that will be evaluated many times: its DAG
    flattened once into instructions. Piecewise subtrees stay lazy (``evaluate``)."""
    slot: dict = {}
    code: list[tuple] = []
    for node in _dag_postorder(expr):
        if node.is_Symbol:
            code.append((_SYMBOL, node))
        elif node.is_Atom and node.is_number and node.is_extended_real and node.is_finite:
            code.append((_CONST, float(node)))
        elif isinstance(node, sp.Piecewise) or node.func not in _HEADS:
            code.append((_TREE, node))
        else:
            code.append((_HEADS[node.func], tuple(slot[a] for a in node.args)))
        slot[node] = len(code) - 1

    def run(env: Mapping[sp.Symbol, float]) -> float:
        vals: list = []
        for op, arg in code:
            if op is _SYMBOL:
                vals.append(env[arg])
            elif op is _CONST:
                vals.append(arg)
            elif op is _TREE:
                vals.append(evaluate(arg, env))
            else:
                vals.append(_apply(op, [vals[i] for i in arg], _NAMES[op]))
        return vals[-1]
    return run


_SYMBOL, _CONST, _TREE = object(), object(), object()
_NAMES = {f: head.__name__ for head, f in _HEADS.items()}


def _dag_postorder(expr: sp.Basic):
    """Each distinct subexpression once, children first (numbers and symbols are leaves)."""
    seen: set = set()
    stack = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if node in seen:
            continue
        if expanded or not node.args or node.is_Number or isinstance(node, sp.Piecewise) \
                or node.func not in _HEADS:
            seen.add(node)
            yield node
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in reversed(node.args) if a not in seen)


def evaluate(expr: sp.Basic, env: Mapping[sp.Symbol, float]) -> float:
    """The value of ``expr`` with symbols bound by ``env``. Raises SymbolicDomain or CheckError."""
    memo: dict = {}
    stack = [expr]
    while stack:
        node = stack[-1]
        if node in memo:
            stack.pop()
            continue
        need = _step(node, memo, env)
        if need is None:
            stack.pop()
        else:
            stack.append(need)
    return memo[expr]


def _step(node, memo: dict, env: Mapping) -> "sp.Basic | None":
    """Store node's value in memo, or return a child that must be evaluated first."""
    if node.is_Symbol:
        if node not in env:
            raise CheckError(f"no value for {node} in a symbolic evaluation")
        memo[node] = env[node]
        return None
    if node.is_Atom and node.is_number:   # numbers, pi, but also zoo, nan, oo and I
        if not (node.is_extended_real and node.is_finite):
            raise SymbolicDomain(f"the expression is {node} here (not a finite real number)")
        memo[node] = float(node)
        return None
    if isinstance(node, (BooleanTrue, BooleanFalse)):
        memo[node] = bool(node)
        return None
    if isinstance(node, sp.Piecewise):
        for branch, cond in node.args:
            if cond not in memo:
                return cond
            if memo[cond]:
                if branch not in memo:
                    return branch
                memo[node] = memo[branch]
                return None
        raise SymbolicDomain("no branch of a Piecewise applies here")
    if isinstance(node, ITE):  # if-then-else, inside conditions of nested Piecewise
        cond, then, other = node.args
        if cond not in memo:
            return cond
        branch = then if memo[cond] else other
        if branch not in memo:
            return branch
        memo[node] = memo[branch]
        return None
    func = _HEADS.get(node.func)
    relation = None if func is not None else _RELATIONS.get(node.func)
    if func is None and relation is None:
        raise CheckError(f"cannot evaluate the SymPy function {node.func.__name__}")
    for arg in node.args:
        if arg not in memo:
            return arg
    args = [memo[a] for a in node.args]
    if relation is not None:
        memo[node] = relation(*args)
        return None
    memo[node] = _apply(func, args, node.func.__name__)
    return None


def _apply(func, args: list, name: str) -> float:
    """func(*args) as a finite float, or SymbolicDomain naming the function."""
    try:
        value = func(*args)
    except OverflowError:
        raise SymbolicDomain(f"{name} overflows float64 here") from None
    except (ValueError, ZeroDivisionError) as err:
        raise SymbolicDomain(f"{name} is undefined here ({err})") from None
    if not math.isfinite(value):
        raise SymbolicDomain(f"{name} is not finite here")
    return value
