"""The worksheet's final table: backprop next to SymPy's closed form and finite differences.

The SymPy side is built from the AST with the rule table's ``sympy`` builders (never from
text) and differentiated by SymPy itself, so it is independent of symgrad's chain rule.
"""

from __future__ import annotations

import math
import time
from typing import Any

import sympy

from ._ast import Const, Num, Program, Var, postorder
from ._engine import Value
from ._errors import NumericError
from ._rules import RULES

__all__ = ["final_rows", "sympy_output"]

FD_EPS, FD_ATOL, FD_RTOL = 1e-6, 1e-5, 1e-3      # as torch.autograd.gradcheck
SYM_ATOL, SYM_RTOL = 1e-9, 1e-7
MAX_LATEX = 1500                                # longer closed forms are summarised
# SymPy's cost for one partial grows about as tree size × depth (shared names expanded). Budgets in
# that unit are deterministic: the same worksheet bytes on every machine.
MAX_COST = 3_000           # a partial that costs more is skipped
WORK_BUDGET = 12_000       # over all partials
BUDGET_SECONDS = 20.0      # a safety net only


def sympy_output(program: Program, keep: str | None = None) -> Any:
    """The output as a SymPy expression of the inputs (and of ``keep``, held as a symbol)."""
    env: dict[str, Any] = {name: sympy.Symbol(name, real=True) for name in program.inputs}
    expr = None
    for stmt in program.statements:
        stack: list = []
        for node in postorder(stmt.expr):
            if isinstance(node, Num):
                v = node.value
                stack.append(sympy.Integer(int(v)) if v.is_integer() and abs(v) < 1e15 else sympy.Float(repr(v)))
            elif isinstance(node, Const):
                stack.append(sympy.pi)
            elif isinstance(node, Var):
                stack.append(env[node.name])
            else:
                n = len(node.args)
                args, stack[-n:] = stack[-n:], []
                stack.append(RULES[node.rule].sympy(sympy, *args))
        expr = stack[0]
        if stmt.name is not None:
            env[stmt.name] = sympy.Symbol(stmt.name, real=True) if stmt.name == keep else expr
    return env[keep] if keep is not None and program.output == keep else expr


def _value(expr: Any, at: dict[Any, float]) -> float | None:
    try:
        v = complex(expr.xreplace({k: sympy.Float(repr(x)) for k, x in at.items()}).evalf())
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return v.real if v.imag == 0 and math.isfinite(v.real) else None


def _central_difference(tape: Any, i: int) -> float | None:
    x = tape.data[i]
    try:
        return (tape.forward({i: x + FD_EPS}) - tape.forward({i: x - FD_EPS})) / (2 * FD_EPS)
    except (NumericError, OverflowError, ZeroDivisionError):
        return None


def _close(a: float, b: float, atol: float, rtol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


def _cost(tape: Any, keep: int | None, cap: int = 10 ** 9) -> int:
    """Size × depth of the output's expression tree, shared names expanded (``keep`` stays a leaf)."""
    sizes, depths = [1] * len(tape.data), [1] * len(tape.data)
    for i, _, kids in tape.steps:
        if i != keep:
            sizes[i] = min(cap, 1 + sum(sizes[k] for k in kids))
            depths[i] = 1 + max(depths[k] for k in kids)
    return sizes[-1] * depths[-1]


def _partial(expr: Any, wrt: Any, at: dict) -> tuple[Any, float | None]:
    """SymPy's derivative, shown (LaTeX and MathML, summarised when long) and evaluated at the point."""
    from ._worksheet import Math, _mathml
    d = sympy.diff(expr, wrt)
    latex = sympy.latex(d)
    closed = (Math(latex, _mathml(d)) if len(latex) <= MAX_LATEX else
              Math(rf"\text{{({len(latex)} characters, not shown)}}",
                   f"<math><mtext>({len(latex)} characters, not shown)</mtext></math>"))
    return closed, _value(d, at)


def _verdict(bp: float, sym: float | None, fd: float | None, reason: str) -> str:
    fd_ok = fd is not None and _close(bp, fd, FD_ATOL, FD_RTOL)
    if reason or sym is None:
        prefix = f"skipped ({reason})" if reason else "symbolic undefined"
        return f"{prefix}; finite differences {'agree' if fd_ok else 'differ'}"
    if not _close(bp, sym, SYM_ATOL, SYM_RTOL):
        return "mismatch"
    return "agree" if fd_ok else "agree (finite differences differ: a kink?)"


def final_rows(result, topo: list[Value], *, symbolic: bool = True, budget: float = BUDGET_SECONDS) -> list:
    """One row per input and named intermediate: backprop, closed form, its value, FD, verdict."""
    from ._printing import latex_name
    from ._worksheet import FinalRow, Tape
    tape = Tape(topo)
    prog = result.program
    where = {}
    for i, node in enumerate(topo):
        if node.label and node.label not in where:
            where[node.label] = i
    named = result.graph.named
    start = time.monotonic()
    at = {sympy.Symbol(n, real=True): v for n, v in result.point.items()}
    whole = None
    too_deep = ""  # once SymPy hits its recursion limit, deeper partials would too
    symbolic_of: dict[str, tuple] = {}
    work = 0
    # Shallow first: the intermediates nearest the output, then the inputs (the whole program).
    for name in tuple(reversed(prog.intermediates)) + prog.inputs:
        size = _cost(tape, where[named[name].label] if name in prog.intermediates else None)
        over = size > MAX_COST or work + size > WORK_BUDGET or time.monotonic() - start > budget
        reason = "symbolic stage off" if not symbolic else too_deep or ("symbolic budget" if over else "")
        if not reason:
            try:
                if name in prog.inputs:
                    whole = sympy_output(prog) if whole is None else whole
                    closed, sym = _partial(whole, sympy.Symbol(name, real=True), at)
                else:
                    s = sympy.Symbol(name, real=True)
                    closed, sym = _partial(sympy_output(prog, keep=name), s, {**at, s: named[name].data})
                work += size
                symbolic_of[name] = (closed, sym, "")
                continue
            except RecursionError:  # SymPy recurses over the expression: deep nesting is out of its reach
                reason = too_deep = "too deep for SymPy"
        symbolic_of[name] = (None, None, reason)
    rows = []
    for name in prog.inputs + prog.intermediates:
        bp = result.grads[name]
        i = where.get(named[name].label)
        fd = _central_difference(tape, i) if i is not None else None
        closed, sym, reason = symbolic_of[name]
        rows.append(FinalRow(name, latex_name(name), bp, closed, sym, fd, _verdict(bp, sym, fd, reason)))
    return rows
