"""Straight-line Python source for one planned program: forward, reverse sweep, check sum.

Each node becomes one line built from its rule-table row's ``py`` (or, for numpy arrays, ``np``)
template, slopes inlined; a gradient that is just another one (``d(a + b)/da = 1``) is that
name, not a copy. User names never appear in the source: values are ``_v3``, gradients ``_g3``,
literals ``repr(float)``. ``build`` runs what this module writes.
"""

from __future__ import annotations

import re
from typing import Any

from .plan import Node, Plan
from ...rules.codegen import templates
from ...rules.table import Rule

__all__ = ["Emitter", "row_call"]

_SUM_TERMS = 64  # terms per line of the check sum: long `a + b + …` chains recurse in CPython's compiler


def _atom(node: Node) -> str:
    if node.literal is not None:
        text = repr(float(node.literal))
        return f"({text})" if text.startswith("-") else text
    return f"_v{node.index}"


class Emitter:
    """Writes the Python source of one program for one backend (``py`` or ``np``)."""

    def __init__(self, plan: Plan, backend: str) -> None:
        self.plan, self.backend = plan, backend
        self.namespace: dict[str, Any] = {}
        self.grads: dict[int, str] = {}

    def template(self, row) -> tuple[str, ...]:
        return templates(row, self.backend)

    def forward(self) -> list[str]:
        lines = []
        for node in self.plan.nodes:
            if node.row is None:
                continue
            args = [_atom(k) for k in node._prev]
            tpl = self.template(node.row)
            expr = tpl[0].format(*args) if tpl else f"{self._fallback(node.row, 'forward', len(args))}({', '.join(args)})"
            lines.append(f"_v{node.index} = {expr}")
        return lines

    def reverse(self) -> list[str]:
        """The reverse sweep. ``self.grads`` maps a node to the expression of its finished
        gradient: a first contribution that is just another gradient (or ±1) is that name,
        so no line copies it (``_g7 = _g8``)."""
        plan, lines, grads = self.plan, [], self.grads
        grads[plan.root.index] = "1.0"
        for node in reversed(plan.topo):
            if node.row is None:
                continue
            g = grads[node.index]
            args = [_atom(k) for k in node._prev]
            out = _atom(node)
            tpl = self.template(node.row)
            if tpl:
                locals_ = [t.format(*args, out=out) for t in tpl[1:]]
            else:
                lines.append(f"_d = {self._fallback(node.row, 'local', len(args))}({', '.join(args + [out])})")
                locals_ = [f"_d[{i}]" for i in range(len(args))]
            for kid, d in zip(node._prev, locals_):
                term = _product(d, g)
                target = f"_g{kid.index}"
                if kid.index in grads:
                    lines.append(f"{target} = {grads[kid.index]} + {term}")
                elif _ALIAS.fullmatch(term):
                    grads[kid.index] = term
                    continue
                else:
                    lines.append(f"{target} = {term}")
                grads[kid.index] = target
        return lines

    def grad_atom(self, node: Node) -> str:
        if node is self.plan.root:
            return "1.0"
        return self.grads.get(node.index, "0.0") if node.index in self.plan.reached else "0.0"

    def check(self, with_grads: bool) -> list[str]:
        values, leaves = self.plan.checked()
        terms = [f"_v{n.index}" for n in values]
        if with_grads:
            atoms = [self.grad_atom(n).lstrip("-") for n in leaves]  # an alias may repeat or be a sign
            terms += [a for a in dict.fromkeys(atoms) if a not in ("1.0", "0.0")]
        if self.backend == "np":  # one fresh array, then in place: no temporaries
            return ["_s = _np.zeros(_n)"] + [f"_s += {t}" for t in terms]
        lines = [f"_s = {' + '.join(terms[:_SUM_TERMS]) or '0.0'}"]
        for i in range(_SUM_TERMS, len(terms), _SUM_TERMS):
            lines.append("_s = _s + " + " + ".join(terms[i:i + _SUM_TERMS]))
        return lines

    def _fallback(self, row, what: str, n: int) -> str:
        return row_call(row, what, self.backend, self.namespace, n)

    def function(self, name: str, with_grads: bool, guarded: bool) -> str:
        """``name(_v0, …)`` → (value, (grads…), check sum); without grads, (value, check sum).

        ``guarded`` (scalars): take any arguments, convert them to float, check, and hand
        every doubtful call to ``_slow``; return (value, (grads…)) or the value alone.
        """
        plan = self.plan
        self.grads = {}
        body = self.forward() + (self.reverse() if with_grads else []) + self.check(with_grads)
        value = _atom(plan.root)
        grads = "".join(f"{_signed_zero_free(self.grad_atom(n), self.backend)}, " for n in plan.targets)
        result = f"{value}, ({grads})" if with_grads else value
        if not guarded:
            params = "".join(f"_v{n.index}, " for n in plan.inputs)
            lines = [f"def {name}({params}_n):"] + ["    " + line for line in body + [f"return {result}, _s"]]
            return "\n".join(lines)
        params = "".join(f"_a{i}=_MISSING, " for i in range(len(plan.inputs)))
        args = "".join(f"_a{i}, " for i in range(len(plan.inputs)))
        # A float passes as it is (one class test); anything else goes through _to_float: int ->
        # float, str fails, a bool becomes nan so the slow path rejects it (InputError).
        convert = [f"_v{n.index} = _a{i} if _a{i}.__class__ is _float else _to_float(_a{i})"
                   for i, n in enumerate(plan.inputs)]
        # `not _s - _s` is False for inf or nan, and raises for arrays (they go to the batch path);
        # a check sum that is not a float (complex, numpy scalars) goes to the exact path too.
        return "\n".join([f"def {name}({params}*_extra):", "    try:"]
                         + ["        " + line for line in convert + body]
                         + ["        if _s.__class__ is _float and not _s - _s and not _extra:",
                            f"            return {result}", "    except _RAISES:", "        pass",
                            f"    return _slow(({args}*_extra,), {with_grads})"])


_ALIAS = re.compile(r"-?(?:_g[0-9]+|1\.0)")  # a gradient that needs no line of its own


def _signed_zero_free(atom: str, backend: str = "py") -> str:
    """A returned gradient as backprop's bits. Backprop sums into a grad that starts at 0.0, and
    0.0 + (−0.0) is 0.0; the sweep here takes a first term as it is, which may be −0.0
    (relu(x)·k at x < 0, k < 0). Adding 0.0 turns −0.0 into 0.0 and changes no other number; for
    a float, ``g or 0.0`` gives the same bits (only ±0.0 is false) without making a new float."""
    if "_g" not in atom:
        return atom
    return f"{atom} or 0.0" if backend == "py" else f"{atom} + 0.0"


def _product(d: str, g: str) -> str:
    """The term ``d · g`` of a chain-rule sum, simplified for slopes ±1 and a gradient of ±1."""
    if d == "1.0":
        return g
    if d == "-1.0":
        return g[1:] if g.startswith("-") else f"-{g}"
    if g == "1.0":
        return f"({d})"
    if g == "-1.0":
        return f"-({d})"
    return f"({d}) * {g}"


def row_call(row: Rule, what: str, backend: str, namespace: dict[str, Any], n: int) -> str:
    """A row without a template: its forward/local (vectorized for arrays) for ``n`` arguments, by key."""
    key = f"_{what[0]}_{row.name}_{n}"
    if key not in namespace:
        fn = getattr(row, what)
        if backend == "np":
            import numpy as np
            fn = np.vectorize(fn, otypes=[float] * (1 if what == "forward" else n))
        namespace[key] = fn
    return key
