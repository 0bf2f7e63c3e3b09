"""A rule row's LaTeX template as Presentation MathML, so the HTML shows the formula the other formats print.

The rule rows write their local derivatives as LaTeX templates (``rules.table``: ``\\frac``,
``\\sqrt``, ``^``, ``\\cdot``, ``\\left( \\right)``, ``|.|``, ``cases``, ``\\mathrm{e}``, named
operators). ``template_mathml(template, args, out)`` reads that small language and writes the
same formula as MathML, with each ``{k}`` (and ``{out}``) replaced by the MathML of that name.
So the visible HTML formula is the row's own, at a kink or a tie too (hypot's cases at (0, 0)),
not SymPy's derivative beside it.
"""

from __future__ import annotations

import re

from ..language.printing import template_latex

__all__ = ["template_mathml"]

_TOKEN = re.compile(r"\\(?:text|mathrm|operatorname)\{[^}]*\}|\\slot\{\w+\}|\\\\|\\[A-Za-z]+|\\.|"
                    r"[0-9]+(?:\.[0-9]+)?|\S")
_FUNCTIONS = {"ln", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh"}
_LETTERS = {"sigma": "σ", "Phi": "Φ", "pi": "π"}
_MO = {"-": "&#x2212;", "<": "&lt;", ">": "&gt;", r"\cdot": "&#xB7;", r"\le": "≤", r"\leq": "≤", r"\ge": "≥",
       r"\geq": "≥", r"\ne": "≠", r"\neq": "≠", r"\land": "∧", r"\lor": "∨", r"\lnot": "¬"}  # a condition's
_APPLY = "<mo>&#x2061;</mo>"


def template_mathml(template: str, args: list[str], out: str) -> str:
    """The row template ``template`` (a ``str.format`` template, as ``Rule.dlatex_for`` gives it)
    as a MathML fragment; ``args`` and ``out`` are the MathML of its arguments and output."""
    latex = template_latex(template).format(*[rf"\slot{{{k}}}" for k in range(len(args))], out=r"\slot{out}")
    slots = {str(k): a for k, a in enumerate(args)} | {"out": out}
    reader = _Reader(_TOKEN.findall(latex), slots)
    return _row(reader.sequence(()))


def _row(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "<mrow>" + "".join(items) + "</mrow>"


class _Reader:
    def __init__(self, tokens: list[str], slots: dict[str, str]) -> None:
        self.tokens, self.i, self.slots = tokens, 0, slots

    def take(self) -> str:
        if self.i >= len(self.tokens):
            raise ValueError("a rule template ended early")
        self.i += 1
        return self.tokens[self.i - 1]

    def sequence(self, stops: tuple[str, ...]) -> list[str]:
        items: list[str] = []
        while self.i < len(self.tokens) and self.tokens[self.i] not in stops:
            item = self.atom(self.take())
            while self.i < len(self.tokens) and self.tokens[self.i] in ("^", "_"):
                tag = "msup" if self.take() == "^" else "msub"
                item = f"<{tag}>{item}{self.group()}</{tag}>"
            items.append(item)
        return items

    def group(self) -> str:
        tok = self.take()
        if tok != "{":
            return self.atom(tok)
        inner = self.sequence(("}",))
        self.take()
        return _row(inner)

    def atom(self, tok: str) -> str:
        if tok == "{":
            self.i -= 1
            return self.group()
        if tok.startswith(r"\slot"):
            return self.slots[tok[6:-1]]
        if tok.startswith(r"\text"):
            return f"<mtext>{tok[6:-1]}</mtext>"
        if tok.startswith(r"\mathrm"):
            return f'<mi mathvariant="normal">{tok[8:-1]}</mi>'
        if tok.startswith(r"\operatorname"):
            return f"<mi>{tok[14:-1]}</mi>{_APPLY}"
        if tok == r"\frac":
            return f"<mfrac>{self.group()}{self.group()}</mfrac>"
        if tok == r"\sqrt":
            return f"<msqrt>{self.group()}</msqrt>"
        if tok == r"\left":
            bracket = self.take()
            inner = self.sequence((r"\right",))
            self.take()
            closing = self.take()
            return f"<mrow><mo>{bracket}</mo>{''.join(inner)}<mo>{closing}</mo></mrow>"
        if tok == r"\begin":
            return self.cases()
        if tok == r"\:":
            return '<mspace width="0.2222em"/>'
        if tok[1:] in _FUNCTIONS:  # SymPy's \tanh^{2}\left(x\right): the power on the name
            name = f"<mi>{tok[1:]}</mi>"
            if self.i < len(self.tokens) and self.tokens[self.i] == "^":
                self.take()
                name = f"<msup>{name}{self.group()}</msup>"
            return name + _APPLY
        if tok[1:] in _LETTERS:  # \sigma\left(x\right) is a function applied
            called = tok != r"\pi" and self.i < len(self.tokens) and self.tokens[self.i] == r"\left"
            return f"<mi>{_LETTERS[tok[1:]]}</mi>" + (_APPLY if called else "")
        if tok[0].isdigit():
            return f"<mn>{tok}</mn>"
        if tok.isalpha() and len(tok) == 1:
            return f"<mi>{tok}</mi>"
        if tok in _MO or tok in "+=/,":
            return f"<mo>{_MO.get(tok, tok)}</mo>"
        raise ValueError(f"a rule template has {tok!r}, which template_mathml does not read")

    def cases(self) -> str:
        """``\\begin{cases} a & cond \\\\ … \\end{cases}``: a brace and a two-column table."""
        self.group()  # {cases}
        rows, cells = [], []
        while True:
            cells.append("<mtd>" + _row(self.sequence(("&", r"\\", r"\end")) or ["<mrow/>"]) + "</mtd>")
            tok = self.take()
            if tok == "&":
                continue
            rows.append("<mtr>" + "".join(cells) + "</mtr>")
            cells = []
            if tok == r"\end":
                self.group()  # {cases}
                return ('<mrow><mo>{</mo><mtable columnalign="left left">' + "".join(rows)
                        + "</mtable></mrow>")
