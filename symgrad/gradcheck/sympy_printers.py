"""SymPy's LaTeX and Presentation MathML printers with symgrad's names.

One name printer (``language.printing.latex_name``) serves every column and format, and Euler's
number stays upright and distinct from a variable ``e``. ``symgrad diff --latex`` and the
worksheets' closed forms print through these.
"""

from __future__ import annotations

import re
from typing import Any

from sympy.printing.latex import LatexPrinter
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.str import StrPrinter

from ..language.printing import latex_name, mathml_name

__all__ = ["SympyLatex", "SympyMathML", "SympyText", "sympy_latex", "sympy_mathml", "sympy_text"]


class SympyLatex(LatexPrinter):
    """SymPy's LaTeX printer with symgrad's names and an upright Euler's number."""

    def _print_Symbol(self, expr: Any, style: str = "plain") -> str:
        return latex_name(expr.name)

    def _print_Exp1(self, expr: Any) -> str:
        return r"\mathrm{e}"

    def _print_ExpBase(self, expr: Any, exp: Any = None) -> str:
        tex = r"\mathrm{e}^{%s}" % self._print(expr.args[0])
        return self._do_exponent(tex, exp)


class SympyText(StrPrinter):
    """SymPy's plain text in a program's notation (messages): ``2*x^3``, not ``2.0*x**3.0``; a float
    as Python's shortest repr (0.1, not 0.100000000000000); ``power``: ``^`` or ``**``."""

    def __init__(self, power: str = "^") -> None:
        super().__init__()
        self.power = power

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        return super()._print_Pow(expr, rational).replace("**", self.power)

    def _print_Float(self, expr: Any) -> str:
        return repr(float(expr))


class SympyMathML(MathMLPresentationPrinter):
    """SymPy's Presentation MathML with symgrad's names (a marker is swapped for the name), read as
    the LaTeX columns read: an upright e, ln, a piecewise form as a brace of cases ("otherwise"),
    a step θ(z) as its cases with the value at 0 (½ for max's tie, as SymPy's Heaviside)."""

    def _element(self, tag: str, *children: Any, text: str | None = None) -> Any:
        node = self.dom.createElement(tag)
        if text is not None:
            node.appendChild(self.dom.createTextNode(text))
        for child in children:
            node.appendChild(child)
        return node

    def _print_Symbol(self, sym: Any, style: str = "plain") -> Any:
        return self._element("mi", text=f"@@{sym.name}@@")

    def _print_Exp1(self, expr: Any) -> Any:
        node = self._element("mi", text="e")
        node.setAttribute("mathvariant", "normal")
        return node

    def _print_log(self, expr: Any) -> Any:
        arg = self._element("mrow", self._element("mo", text="("), self._print(expr.args[0]),
                            self._element("mo", text=")"))
        return self._element("mrow", self._element("mi", text="ln"), self._element("mo", text="&#x2061;"), arg)

    def _cases(self, rows: list[tuple[Any, Any]]) -> Any:
        """A brace of cases: (value, condition) per row, condition None for "otherwise"."""
        trs = []
        for value, cond in rows:
            when = self._element("mtext", text="otherwise") if cond is None else \
                self._element("mrow", self._element("mtext", text="if\u2009"), self._print(cond))
            trs.append(self._element("mtr", self._element("mtd", self._print(value)), self._element("mtd", when)))
        table = self._element("mtable", *trs)
        table.setAttribute("columnalign", "left left")
        return self._element("mrow", self._element("mo", text="{"), table)

    def _print_Piecewise(self, expr: Any) -> Any:
        from sympy import true
        return self._cases([(value, None if cond is true else cond) for value, cond in expr.args])

    def _print_DiracDelta(self, expr: Any) -> Any:  # δ(z), as the LaTeX column prints it (not "diracdelta")
        arg = self._element("mrow", self._element("mo", text="("), self._print(expr.args[0]),
                            self._element("mo", text=")"))
        return self._element("mrow", self._element("mi", text="δ"), self._element("mo", text="&#x2061;"), arg)

    def _print_Heaviside(self, expr: Any) -> Any:
        from sympy import Eq, Gt, Integer, Rational
        z, at0 = expr.args[0], expr.args[1] if len(expr.args) > 1 else Rational(1, 2)
        lhs, rhs = z, Integer(0)
        if z.is_Add and len(z.args) == 2:  # θ(x − e): 1 if x > e
            pos = [t for t in z.args if not t.could_extract_minus_sign()]
            if len(pos) == 1:
                lhs, rhs = pos[0], pos[0] - z
        return self._cases([(Integer(1), Gt(lhs, rhs, evaluate=False)), (at0, Eq(lhs, rhs, evaluate=False)),
                            (Integer(0), None)])


_MARKED = re.compile(r"<mi>@@(\w+)@@</mi>")


def sympy_latex(expr: Any) -> str:
    """LaTeX for a SymPy expression of a symgrad program (``symgrad diff --latex`` prints this)."""
    return SympyLatex().doprint(expr)


def sympy_text(expr: Any, power: str = "^") -> str:
    """A SymPy expression in a message, in the program's notation; whole floats become integers."""
    import sympy
    whole = {f: sympy.Integer(int(f)) for f in expr.atoms(sympy.Float) if float(f).is_integer() and abs(f) < 2 ** 53}
    return SympyText(power).doprint(expr.xreplace(whole) if whole else expr)


def sympy_mathml(expr: Any) -> str:
    body = SympyMathML({"mul_symbol": "dot"}).doprint(expr)  # e·eˣ: the variable e never touches Euler's
    body = _MARKED.sub(lambda m: mathml_name(m.group(1)), body)
    body = body.replace("<mo>-</mo>", "<mo>&#x2212;</mo>").replace("<mo><</mo>", "<mo>&lt;</mo>")
    body = body.replace("<mo>></mo>", "<mo>&gt;</mo>")  # SymPy writes relations unescaped
    body = re.sub(r"<mn>-", "<mo>&#x2212;</mo><mn>", body)
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>'
