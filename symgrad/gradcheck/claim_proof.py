"""A symbolic proof that claim − truth = 0, within a structural budget (never a clock).

SymPy's ``simplify`` has no bound of its own: ``(sin(b)^2 + cos(b)^2)^1000`` expands to a
thousand-term sum, five nested tanh rewritten as exponentials grow past any size, and the
lecture neuron's ``sinh(n)/cosh(n)^3`` took minutes. So the difference is measured first and
``simplify`` only runs on one that is small in every way that makes it slow:

- ``MAX_PROOF_NODES``: nodes of the claim or truth once the program's names are substituted;
- ``MAX_SIMPLIFY_OPS``: operations of the difference (SymPy's ``count_ops``), also after
  rewriting in exponentials;
- ``MAX_PROOF_EXPONENT``: an integer power larger than this would be expanded term by term;
- ``MAX_PROOF_DEPTH``: functions nested deeper than this (tanh of tanh of …) blow up when
  rewritten.

Over the budget there is no proof, and the claims judge decides from the exact references at
its points alone, saying so. The symbols are real, as the program's own domain: a claim equal to
the truth only where it is defined (``sqrt(x)^2`` for ``x``) is caught by the points, where it is
undefined, never hidden by the proof.
"""

from __future__ import annotations

from typing import Any

from ..language.ast import Expr, Program, Var, children, postorder
from ..base.errors import SymgradError

__all__ = ["prove", "PROVED", "MAX_PROOF_NODES", "MAX_SIMPLIFY_OPS", "MAX_PROOF_EXPONENT", "MAX_PROOF_DEPTH"]

PROVED = "SymPy proves claim − truth = 0"
MAX_PROOF_NODES = 2_000   # substituted claim or truth larger than this: no symbolic proof
MAX_SIMPLIFY_OPS = 80     # simplify() only sees differences at most this big
MAX_PROOF_EXPONENT = 8    # (…)^n with |n| over this is not expanded
MAX_PROOF_DEPTH = 3       # functions nested deeper than this are not rewritten


def prove(prog: Program, claim: Expr, form: Any) -> str:
    """``PROVED``, or 'no symbolic proof (why)' / 'SymPy does not simplify …'. ``form`` is the
    truth as SymPy over the program's names (intermediates as symbols), or None."""
    import sympy as sp
    from .symbolic import symbol, to_sympy_expr
    if form is None:
        return "no symbolic proof (no closed form)"
    defs = {s.name: s.expr for s in prog.statements if s.name is not None}

    def kids(node):
        return (defs[node.name],) if isinstance(node, Var) and node.name in defs else children(node)

    def size_ok(root) -> bool:
        return all(k < MAX_PROOF_NODES for k, _ in enumerate(postorder(root, kids)))

    over = f"no symbolic proof (over the proof's budget of {MAX_PROOF_NODES} nodes once substituted)"
    if not size_ok(claim):
        return over
    try:
        full_of = {}
        for name in sorted(defs):
            if not size_ok(Var(name)):
                return over
            full_of[symbol(name)] = to_sympy_expr(Var(name), symbol, kids)
        named = form.xreplace({v: k for k, v in full_of.items()})
        # First over the program's names as independent symbols (an identity there holds at
        # every point), then with every name substituted down to the inputs.
        attempts = [(to_sympy_expr(claim, symbol) - named, True),
                    (to_sympy_expr(claim, symbol, kids) - form.xreplace(full_of), False)]
    except SymgradError as err:
        return f"no symbolic proof ({err.message})"
    if any(diff == 0 for diff, _ in attempts):
        return PROVED
    why = _over_budget(sp, attempts[-1][0])
    if why:
        return f"no symbolic proof (over the proof's budget: {why})"
    for diff, first in attempts:
        # plain simplify() of a function of a sum can take minutes: only on "flat" forms
        tries = (diff.rewrite(sp.exp), diff) if first and _flat(sp, diff) else \
            () if first else (diff.rewrite(sp.exp),)
        for attempt in tries:
            try:
                if not _over_budget(sp, attempt) and sp.simplify(attempt) == 0:
                    return PROVED
            except _SYMPY_FAILS as err:  # e.g. an inequality in exponentials SymPy cannot reduce
                return f"no symbolic proof (SymPy fails on the difference: {type(err).__name__})"
    return "SymPy does not simplify claim − truth to 0"


# What SymPy raises when it cannot handle a form (a relation with imaginary parts after a rewrite,
# a Piecewise it cannot fold): no proof, and the points decide.
_SYMPY_FAILS = (ValueError, TypeError, NotImplementedError, AttributeError, ZeroDivisionError)


def _flat(sp: Any, expr: Any) -> bool:
    """No function of a sum of names (tanh(x*w + b)): the forms simplify() handles quickly."""
    return not any(isinstance(node, sp.Function) and any(isinstance(a, sp.Add) and a.free_symbols
                                                         for a in node.args)
                   for node in sp.preorder_traversal(expr))

def _over_budget(sp: Any, expr: Any) -> str:
    """Why simplify() might not finish on ``expr`` ('' when it is within the budget)."""
    if sp.count_ops(expr) > MAX_SIMPLIFY_OPS:
        return f"the difference has over {MAX_SIMPLIFY_OPS} operations"
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow) and node.exp.is_Number and abs(node.exp) > MAX_PROOF_EXPONENT:
            return f"a power {sp.sstr(node.exp)} over {MAX_PROOF_EXPONENT}"
    if _depth(sp, expr) > MAX_PROOF_DEPTH:
        return f"functions nested over {MAX_PROOF_DEPTH} deep"
    return ""


def _depth(sp: Any, expr: Any) -> int:
    """How deep functions (sin, tanh, exp, …) nest in ``expr``."""
    best, stack = 0, [(expr, 0)]
    while stack:
        node, d = stack.pop()
        d += isinstance(node, sp.Function)
        best = max(best, d)
        stack += [(a, d) for a in node.args]
    return best
