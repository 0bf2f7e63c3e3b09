"""Names and numbers as every format prints them: one printer for each identifier, in text, LaTeX and MathML.

Each identifier prints as itself and distinct from every other one:
  x → x            x1, w11 → x_{1}, w_{11}        w_out → w_{out}      alpha → α, Gamma → Γ
  Beta, PI, yhat → \\mathit{Beta} …  (one italic word; capital Beta has no glyph of its own)
  x_1, x_, x__2   → \\mathit{x\\_1} …  (the underscore kept, so x_1 ≠ x1 and x_ ≠ x)
Euler's number is upright (\\mathrm{e}) wherever a template or closed form writes it, so the
variable e stays distinct. A number in a message is written as a program writes it (``number_text``).
"""

from __future__ import annotations

import re

__all__ = ["GREEK", "name_parts", "latex_name", "mathml_name", "mathml_number", "number_text"]

GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma "
         "tau upsilon phi chi psi omega").split()
_GREEK_LETTERS = "αβγδεζηθικλμνξπρστυφχψω"
_CAPITAL_GREEK = {"Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
                  "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω"}
_DIGITS = re.compile(r"([A-Za-z]+?)([0-9]+)")
_LETTERS = re.compile(r"[A-Za-z]+")


def name_parts(name: str) -> tuple[str, str | None, bool]:
    """(base, subscript, literal) for an identifier; ``literal`` keeps the name as one word."""
    if "_" not in name:
        m = _DIGITS.fullmatch(name)
        return (m.group(1), m.group(2), False) if m else (name, None, False)
    base, _, sub = name.partition("_")
    if _LETTERS.fullmatch(base) and _LETTERS.fullmatch(sub):
        return base, sub, False
    return name, None, True


def _tex_word(word: str) -> str:
    if len(word) == 1:
        return word
    if word in GREEK or word in _CAPITAL_GREEK:
        return "\\" + word
    return r"\mathit{" + word + "}"


def latex_name(name: str) -> str:
    """An identifier (or a number, for a constant node) in LaTeX, valid in TeX and MathJax."""
    if not name[:1].isalpha():
        return name
    base, sub, literal = name_parts(name)
    if literal:
        return r"\mathit{" + name.replace("_", r"\_") + "}"
    tex = _tex_word(base)
    if sub is None:
        return tex
    return f"{tex}_{{{sub if sub.isdigit() else _tex_word(sub)}}}"


def _mml_word(word: str) -> str:
    if len(word) == 1:
        return f"<mi>{word}</mi>"
    if word in GREEK:
        return f"<mi>{_GREEK_LETTERS[GREEK.index(word)]}</mi>"
    if word in _CAPITAL_GREEK:
        return f'<mi mathvariant="normal">{_CAPITAL_GREEK[word]}</mi>'
    return f'<mi mathvariant="italic">{word}</mi>'


def mathml_name(name: str) -> str:
    """The same name as a Presentation MathML fragment (no <math> wrapper)."""
    if not name[:1].isalpha():
        return mathml_number(name)
    base, sub, literal = name_parts(name)
    if literal:
        return f'<mi mathvariant="italic">{name}</mi>'
    if sub is None:
        return _mml_word(base)
    low = f"<mn>{sub}</mn>" if sub.isdigit() else _mml_word(sub)
    return f"<msub>{_mml_word(base)}{low}</msub>"


def mathml_number(text: str) -> str:
    """A number as MathML; a negative one with the minus sign U+2212."""
    if text.startswith("-"):
        return f"<mrow><mo>&#x2212;</mo><mn>{text[1:]}</mn></mrow>"
    return f"<mn>{text}</mn>"


def number_text(value: float) -> str:
    """A number as a program writes it: whole numbers without ``.0`` (``x=2``, not ``x=2.0``), else its repr."""
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)
