r"""The display columns of a rule row, derived from its SymPy form.

A row may give ``latex`` (the function: a ``str.format`` template over ``{0}, {1}, …``),
``dlatex`` (its local derivative per argument, which may also use ``{out}``) and ``text`` (the
worksheet's statement of the rule). What a row does not give is derived here from
``row.sympy`` on first use; SymPy is imported then, never by ``import symgrad``:

- ``latex``: SymPy's LaTeX of the form for an operator row, or for a call row whose form is one
  function of its arguments (``\tanh``, ``\left|…\right|``, ``\sqrt``, ``\max``); otherwise the
  call as the program writes it, ``\operatorname{softplus}\left({0}\right)``;
- ``dlatex[i]``: SymPy's LaTeX of ∂form/∂argᵢ, with the form itself written ``{out}`` where it
  reappears (tanh' = 1 − out², as the worksheet's MathML does); ``0`` for a constant argument;
- ``text``: the same derivatives in plain unicode, ``d(tanh(x))/dx = 1 − tanh²(x)``, in the
  row's argument names, with a note on the kink convention for a row with kinks.

``derive(row, n)`` returns all three; ``Rule.derived`` caches them per row (``rules.rule._Display``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

__all__ = ["Derived", "derive"]

# What a derived statement says at a kink (the local derivative there is PyTorch's choice).
KINK_NOTE = " (at a kink, the slope PyTorch takes)"


@dataclass(frozen=True)
class Derived:
    latex: str
    dlatex: tuple[str, ...]
    text: str


def derive(row: Any, n: int) -> Derived:
    """The row's display columns from its SymPy form, for a call with ``n`` arguments (``arity``,
    or more for a variadic row: then the arguments are x1, x2, …). Imports SymPy."""
    import sympy as sp

    names = row.args if n == row.arity else [f"x{i}" for i in range(1, n + 1)]
    syms = [sp.Symbol(name, real=True) for name in names]
    out = sp.Dummy("out", real=True)
    form = row.sympy(sp, *syms)
    template_printer, prose_printer = _printers()
    tex, prose = template_printer({s: str(i) for i, s in enumerate(syms)} | {out: "out"}), prose_printer()

    named = row.kind == "call" and not _one_function(form, syms)
    if named:
        name = row.spelling.replace("_", r"\_")
        latex = rf"\operatorname{{{{{name}}}}}\left({', '.join(f'{{{i}}}' for i in range(n))}\right)"
    else:
        latex = tex.template(form)

    partials = [sp.Integer(0) if i in row.constant else sp.diff(form, s) for i, s in enumerate(syms)]
    reappears = {} if form.is_Symbol else {form: out}  # id's form is its argument: nothing to rename
    dlatex = tuple(tex.template(d.xreplace(reappears)) for d in partials)

    shown = f"{row.spelling}({', '.join(prose.doprint(s) for s in syms)})" if named else prose.doprint(form)
    said = [(prose.doprint(s), prose.doprint(d)) for i, (s, d) in enumerate(zip(syms, partials))
            if i not in row.constant] or [(prose.doprint(syms[0]), "0")]   # every slope 0 by construction
    if n == 1:
        text = f"d({shown})/d{said[0][0]} = {said[0][1]}"
    else:
        parts = [f"∂({shown})/∂{s} = {d}" for s, d in said]
        text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return Derived(latex, dlatex, text + (KINK_NOTE if row.kink else ""))


def _one_function(form: Any, syms: list) -> bool:
    """``sin(x)``, ``|x|``, ``√x``, ``2^x``, ``max(x, y)``: one function applied to the arguments."""
    return (form.is_Function or form.is_Pow) and set(syms) <= set(form.args) \
        and all(a in syms or a.is_Number for a in form.args)


# Unicode superscripts (there is none for q), for exponents in the worksheet's sentences.
_SUPERSCRIPT = dict(zip("0123456789+−=()abcdefghijklmnoprstuvwxyz",
                        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"))


@functools.cache
def _printers() -> tuple[type, type]:
    """The two printer classes (made on first use: they subclass SymPy's)."""
    from sympy import Rational, true
    from sympy.printing.latex import LatexPrinter
    from sympy.printing.str import StrPrinter

    class TemplatePrinter(LatexPrinter):
        r"""SymPy's LaTeX as a row template: symbols become ``{0}``, ``{out}``; other braces doubled.

        House style: an upright ``\mathrm{e}``, ``\ln``, ``\arctan``, products with ``\cdot`` (a filled-in
        number never touches another), ``\tanh\left(x\right)`` without SymPy's extra group, ``\ln 2``.
        """

        def __init__(self, slot: dict) -> None:
            super().__init__({"ln_notation": True, "inv_trig_style": "full", "mul_symbol": "dot"})
            self.slot = slot  # Symbol -> its field name: "0", "1", …, "out"

        def template(self, expr: Any) -> str:
            text = self.doprint(expr).replace("{", "{{").replace("}", "}}")
            return re.sub("\x00(\\w+)\x01", r"{\1}", text)

        def _print_Symbol(self, expr: Any, style: str = "plain") -> str:
            return f"\x00{self.slot[expr]}\x01"

        def _print(self, expr: Any, **kwargs: Any) -> str:
            text = super()._print(expr, **kwargs)
            # SymPy writes f(x) as \tanh{\left(x \right)}; the house (and the program printer) \tanh\left(x\right)
            if getattr(expr, "is_Function", False) and text.endswith(r" \right)}") and r"{\left(" in text:
                start = text.index(r"{\left(")
                text = text[:start] + r"\left(" + text[start + 7:-9] + r"\right)"
            return text

        _print_Dummy = _print_Symbol

        def _print_Exp1(self, expr: Any) -> str:
            return r"\mathrm{e}"  # upright: an italic e is the program's variable e

        def _print_ExpBase(self, expr: Any, exp: Any = None) -> str:
            return self._do_exponent(rf"\mathrm{{e}}^{{{self._print(expr.args[0])}}}", exp)

        def _print_log(self, expr: Any, exp: Any = None) -> str:
            if expr.args[0].is_Integer:
                tex = rf"\ln {expr.args[0]}"
                return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"
            return super()._print_log(expr, exp)

        def _print_atan2(self, expr: Any, exp: Any = None) -> str:
            tex = rf"\operatorname{{atan2}}\left({self._print(expr.args[0])}, {self._print(expr.args[1])}\right)"
            return tex if exp is None else rf"{tex}^{{{exp}}}"

    class ProsePrinter(StrPrinter):
        """Plain unicode for a worksheet's sentence: ``1 − tanh²(x)``, ``x/√(x² + y²)``, ``e^(−x²)``."""

        _NAMES = {"log": "ln", "asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arsinh",
                  "acosh": "arcosh", "atanh": "artanh", "Max": "max", "Min": "min", "Heaviside": "θ"}

        def _print_MinMaxBase(self, expr: Any) -> str:
            return self._print_Function(expr)

        def _print_Heaviside(self, expr: Any) -> str:
            return f"θ({self._print(expr.args[0])})"

        def doprint(self, expr: Any) -> str:
            return super().doprint(expr).replace("*", "·").replace("-", "−")

        def _print_Symbol(self, expr: Any) -> str:
            try:
                return unicodedata.lookup(f"GREEK SMALL LETTER {expr.name}")  # alpha -> α
            except KeyError:
                return expr.name

        def _print_Pi(self, expr: Any) -> str:
            return "π"

        def _print_Exp1(self, expr: Any) -> str:
            return "e"

        def _group(self, expr: Any) -> str:
            text = self._print(expr)
            return text if expr.is_Atom or expr.is_Function else f"({text})"

        def _print_Function(self, expr: Any) -> str:
            name = self._NAMES.get(expr.func.__name__, expr.func.__name__)
            if name == "ln" and expr.args[0].is_Integer:
                return f"ln {expr.args[0]}"
            return f"{name}({', '.join(self._print(a) for a in expr.args)})"

        def _power(self, base: str, p: Any) -> str:
            """``base`` to the power ``p``: in superscript if every character has one (eˣ, 2⁻ˣ), else base^(p)."""
            text = self._print(p).replace("-", "−")
            if len(text) <= 3 and all(ch in _SUPERSCRIPT for ch in text):
                return base + "".join(_SUPERSCRIPT[ch] for ch in text)
            return f"{base}^{self._group(p)}"

        def _print_exp(self, expr: Any) -> str:
            # eˣ where the exponent has superscript letters; exp(−x²) otherwise (e^(…) reads as
            # a caret accent once typeset)
            shown = self._power("e", expr.args[0])
            return shown if "^" not in shown else f"exp({self._print(expr.args[0])})"

        def _print_Abs(self, expr: Any) -> str:
            return f"|{self._print(expr.args[0])}|"

        def _print_Pow(self, expr: Any, rational: bool = False) -> str:
            base, p = expr.args
            if p.is_Rational and p < 0:
                inner = base ** -p
                compact = inner.is_Atom or inner.is_Function or inner.is_Pow and inner.exp.is_Rational \
                    and (inner.exp.is_Integer or inner.exp.q in (2, 3) and inner.exp.p == 1)
                return f"1/{self._print(inner)}" if compact else f"1/({self._print(inner)})"
            if p == Rational(1, 2) or p == Rational(1, 3):
                return ("√" if p == Rational(1, 2) else "∛") + self._group(base)
            if p.is_Integer:
                sup = "".join(_SUPERSCRIPT[ch] for ch in str(p).replace("-", "−"))
                text = self._print(base)
                if base.is_Function and not base.func.__name__ == "exp" and text.endswith(")"):
                    cut = text.index("(")
                    return text[:cut] + sup + text[cut:]  # tanh²(x)
                return (text if base.is_Atom or base.func.__name__ == "Abs" else f"({text})") + sup
            return self._power(self._group(base), p)

        def _print_Piecewise(self, expr: Any) -> str:
            pieces = [f"{self._print(e)} if {self._print(c)}" for e, c in expr.args[:-1]]
            last, cond = expr.args[-1]
            tail = f"else {self._print(last)}" if cond is true else f"{self._print(last)} if {self._print(cond)}"
            return ", ".join([*pieces, tail])

        def _print_Relational(self, expr: Any) -> str:
            op = {">=": "≥", "<=": "≤", "!=": "≠", "==": "="}.get(expr.rel_op, expr.rel_op)
            return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    return TemplatePrinter, ProsePrinter
