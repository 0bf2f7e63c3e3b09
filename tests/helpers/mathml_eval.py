"""Reads the MathML a worksheet's HTML shows, back into LaTeX that helpers/latex_eval.py evaluates.

The HTML page shows its formulas as Presentation MathML (the LaTeX is only an annotation a
reader never sees). ``formula(mathml, names)`` evaluates what is displayed: each element is
read back as the LaTeX it stands for (mfrac → \\frac, msup → ^, msqrt → \\sqrt, a brace and an
mtable → cases, an upright e → \\mathrm{e}, an italic e → the name e), then evaluated by
``latex_eval.formula`` over the program's names. An element it does not know is a SyntaxError.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from helpers.latex_eval import formula as latex_formula

_NS = "{http://www.w3.org/1998/Math/MathML}"
_LETTERS = {"σ": r"\sigma", "Φ": r"\Phi", "π": r"\pi", "θ": r"\theta"}
_GREEK = dict(zip("αβγδεζηικλμνξρτυφχψωΓΔΞΠΥΨΩ",
                  r"\alpha \beta \gamma \delta \epsilon \zeta \eta \iota \kappa \lambda \mu \nu \xi \rho \tau "
                  r"\upsilon \phi \chi \psi \omega \Gamma \Delta \Xi \Pi \Upsilon \Psi \Omega".split()))
_FUNCTIONS = {"ln", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "arctan", "arcsin", "arccos", "arsinh",
              "artanh", "max", "min"}
_MO = {"−": "-", "-": "-", "·": r"\cdot", "×": r"\cdot", "⋅": r"\cdot", "\u2061": "", "\u2062": "", "≥": r"\geq",
       "≤": r"\leq", "≠": r"\neq", "∧": r"\wedge", "∨": r"\vee", "¬": r"\neg"}


def _entities(text: str) -> str:
    """Named entities other than XML's own, as characters (ElementTree knows only the five)."""
    return re.sub(r"&([A-Za-z]+);", lambda m: m.group(0) if m.group(1) in ("lt", "gt", "amp", "quot", "apos")
                  else html.unescape(m.group(0)), text)


def _tag(el: ET.Element) -> str:
    return el.tag.replace(_NS, "")


def _mi(el: ET.Element) -> str:
    text = (el.text or "").strip()
    variant = el.get("mathvariant")
    if text == "e" and variant == "normal":
        return r"\mathrm{e}"
    if text in _LETTERS:
        return _LETTERS[text]
    if text in _GREEK:
        return _GREEK[text]
    if len(text) == 1:
        return text
    if text in _FUNCTIONS:
        return "\\" + text
    if variant == "italic":
        return r"\mathit{" + text.replace("_", r"\_") + "}"
    return r"\operatorname{" + text + "}"


def _children(el: ET.Element) -> str:
    """A row of elements; brackets in it pair as \\left … \\right."""
    out, bars = [], 0
    kids = list(el)
    for k, kid in enumerate(kids):
        text = (kid.text or "").strip() if _tag(kid) == "mo" else None
        if text == "{" and k + 1 < len(kids) and _tag(kids[k + 1]) == "mtable":
            continue  # the brace of cases: the table says it
        if text in ("(", "["):
            out.append(r"\left(")
        elif text in (")", "]"):
            out.append(r"\right)")
        elif text == "|":
            out.append(r"\left|" if bars % 2 == 0 else r"\right|")
            bars += 1
        else:
            out.append(to_latex(kid))
    return " ".join(p for p in out if p)


def to_latex(el: ET.Element | str) -> str:
    """The LaTeX a MathML element (or a ``<math>`` string) stands for."""
    if isinstance(el, str):
        el = ET.fromstring(_entities(el))
    tag = _tag(el)
    kids = list(el)
    if tag in ("math", "mrow", "mstyle", "mpadded", "mtd"):
        return _children(el)
    if tag == "semantics":
        return to_latex(kids[0])  # what is displayed, not the annotation
    if tag == "mi":
        return _mi(el)
    if tag == "mn":
        return (el.text or "").strip()
    if tag == "mo":
        text = (el.text or "").strip()
        return "\\" + text if text in _FUNCTIONS else _MO.get(text, text)  # SymPy's <mo>max</mo>
    if tag == "mtext":  # SymPy's "if x ≥ 0" reads as latex_eval's "for x ≥ 0"
        word = (el.text or "").strip()
        return r"\text{" + ("for" if word == "if" else word) + "}"
    if tag == "mspace":
        return ""
    if tag == "mfrac":
        return r"\frac{" + to_latex(kids[0]) + "}{" + to_latex(kids[1]) + "}"
    if tag == "msqrt":
        return r"\sqrt{" + _children(el) + "}"
    if tag == "mroot":
        return r"\sqrt[" + to_latex(kids[1]) + "]{" + to_latex(kids[0]) + "}"
    if tag == "msup":
        base = to_latex(kids[0])
        if base.startswith("\\") and base[1:] in _FUNCTIONS:  # \tanh^{2}\left(x\right)
            return base + "^{" + to_latex(kids[1]) + "}"
        return "{" + base + "}^{" + to_latex(kids[1]) + "}"
    if tag == "msub":
        return to_latex(kids[0]) + "_{" + to_latex(kids[1]) + "}"
    if tag == "mfenced":
        return r"\left" + el.get("open", "(") + " " + ", ".join(to_latex(k) for k in kids) + r" \right" \
            + el.get("close", ")")
    if tag == "mtable":
        rows = [" & ".join(to_latex(cell) for cell in row) for row in kids]
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"
    raise SyntaxError(f"a MathML element <{tag}> the evaluator does not read")


def formula(mathml: str, names: dict[str, float]) -> float:
    """The displayed value of a ``<math>`` element over the program's names (LaTeX name -> value)."""
    return latex_formula(to_latex(mathml), names)
