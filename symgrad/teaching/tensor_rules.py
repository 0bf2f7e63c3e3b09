"""The backward rule of each tensor operation in matrix notation, for worksheets: one record per
operation (``MATRIX_RULES``), each giving, for a node Y = op(A, B, …), the line that adds to each
argument's gradient in both spellings (LaTeX and Presentation MathML), in the lecture's names
(``dA`` is the gradient of A):

- Y = A @ B: dA += dY Bᵀ, dB += Aᵀ dY;
- a broadcast elementwise operation: its local derivative, then Σ over the axes the argument was
  broadcast along (db = Σ_{dim 0} dY for a bias added to every row);
- sum / mean over a dim: dY copied along that dim (÷ the count for mean);
- softmax, log_softmax, logsumexp, cross_entropy ((softmax − onehot)/n), var (2(X − X̄)/(n − c)),
  max (to the maximal element), transpose, reshape, cat, indexing (a scatter-add).

Sources: the textbook vector-Jacobian products (Goodfellow, Bengio and Courville, Deep Learning
§6.5; the makemore part 4 lecture), the same rules as the engine's ``rules.tensor_ops`` records.
An elementwise row's local derivative is its own display record's (``Rule.dlatex_for``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..language.printing import latex_name, mathml_name

__all__ = ["Arg", "RuleLine", "MATRIX_RULES", "matrix_rule", "RULE_TITLES"]


@dataclass(frozen=True)
class Arg:
    """One argument of an operation on the sheet: its name (None for integer data such as a dim),
    its shape, and for integer data its value."""
    name: str | None
    shape: tuple[int, ...] = ()
    value: Any = None
    label: str = ""               # integer data's own name (a target tensor Yb), when it has one


@dataclass(frozen=True)
class RuleLine:
    """dChild += …: the gradient line for one argument, in LaTeX and MathML (no <math> wrapper),
    and ``source``: its right-hand side in symgrad's language (``dlogits @ W2.T``), or None where
    the language has no spelling for it (a slice, a scatter); ``sign`` is −1 for a ``−=`` line."""
    child: str
    latex: str
    mathml: str
    source: str | None = None
    sign: int = 1


class _F:
    """A formula built from pieces, printed in all three spellings at once (``src`` None: none)."""

    def __init__(self, latex: str = "", mathml: str = "", src: str | None = "") -> None:
        self.latex, self.mathml, self.src = latex, mathml, src

    def __add__(self, other: "_F") -> "_F":
        src = None if self.src is None or other.src is None else self.src + other.src
        return _F(self.latex + other.latex, self.mathml + other.mathml, src)


def _name(n: str) -> _F:
    return _F(latex_name(n), mathml_name(n), n)


def _d(n: str) -> _F:
    return _F(r"\mathrm{d}" + latex_name(n), '<mi mathvariant="normal">d</mi>' + mathml_name(n), "d" + n)


def _t(n: str) -> _F:
    return _F(latex_name(n) + r"^{\top}", f"<msup>{mathml_name(n)}<mo>&#x22A4;</mo></msup>", n + ".T")


def _dt(n: str) -> _F:
    return _F(r"\mathrm{d}" + latex_name(n) + r"^{\top}",
              f'<msup><mrow><mi mathvariant="normal">d</mi>{mathml_name(n)}</mrow><mo>&#x22A4;</mo></msup>',
              f"d{n}.T")


def _op(tex: str, mml: str, src: str | None = None) -> _F:
    return _F(f" {tex} ", f"<mo>{mml}</mo>", f" {tex if src is None else src} ")


def _word(w: str, src: str | None = "") -> _F:
    return _F(rf"\operatorname{{{w}}}", f"<mi>{w}</mi>", w if src == "" else src)


def _num(v: Any) -> _F:
    return _F(str(v), f"<mn>{v}</mn>", str(v))


def _operand(arg: Arg) -> _F:
    """An argument in a formula: its name, or its number (a literal)."""
    return _name(arg.name) if arg.name else _num(arg.value)


def _paren(f: _F) -> _F:
    return _F(r"\left(" + f.latex + r"\right)", "<mrow><mo>(</mo>" + f.mathml + "<mo>)</mo></mrow>",
              None if f.src is None else f"({f.src})")


def _text(t: str, src: str | None = None) -> _F:
    return _F(rf"\text{{{t}}}", f"<mtext>{t}</mtext>", src)


def _sum_over(axes: Sequence[int], inner: _F, keepdim: bool = False) -> _F:
    dims = ", ".join(map(str, axes))
    word = "dim" if len(axes) == 1 else "dims"
    dim = dims if len(axes) == 1 else f"({dims})"
    src = None if inner.src is None or len(axes) > 1 else \
        f"({inner.src}).sum({dim}{', keepdim=True' if keepdim else ''})"
    return _F(rf"\sum_{{\text{{{word} {dims}}}}} " + inner.latex,
              f"<mrow><munder><mo>&#x2211;</mo><mtext>{word} {dims}</mtext></munder>{inner.mathml}</mrow>", src)


PLUS, MINUS = _op(r"\mathrel{+}=", "+=", "+="), _op(r"\mathrel{-}=", "&#x2212;=", "-=")
TIMES, ODOT, DIVIDE = _F(r"\,", "<mo>&#x2062;</mo>", " @ "), _op(r"\odot", "&#x2299;", "*"), _op("/", "/")
SUB = _op("-", "&#x2212;")


def _unbroadcast(arg: Arg, out_shape: tuple[int, ...], inner: _F) -> _F:
    """Σ over the axes ``arg`` was broadcast along to reach ``out_shape`` (none: inner itself)."""
    from ..gradcheck.tensor_explain import broadcast_axes
    found = broadcast_axes(tuple(arg.shape), tuple(out_shape))
    if found is None:
        return inner
    axes, keep = found
    if len(axes) > 1 and keep is False and len(arg.shape) == 0:   # a number: sum of every element
        return _F(_sum_over(axes, inner).latex, _sum_over(axes, inner).mathml,
                  None if inner.src is None else f"({inner.src}).sum()")
    return _sum_over(axes, inner, keep)


def _line(child: str, f: _F, op: _F = PLUS) -> RuleLine:
    full = _d(child) + op + f
    return RuleLine(child, full.latex, full.mathml, f.src, -1 if op is MINUS else 1)


RuleFn = Callable[[str, Sequence[Arg], tuple[int, ...]], list[RuleLine]]
MATRIX_RULES: dict[str, RuleFn] = {}
RULE_TITLES: dict[str, str] = {}


def _rule(name: str, title: str) -> Callable[[RuleFn], RuleFn]:
    def register(fn: RuleFn) -> RuleFn:
        MATRIX_RULES[name] = fn
        RULE_TITLES[name] = title
        return fn
    return register


@_rule("matmul", "matrix product: Y = A B gives dA = dY Bᵀ, dB = Aᵀ dY")
def _matmul(out, args, shape):
    a, b = args
    lines = []
    if a.name:
        lines.append(_line(a.name, _d(out) + TIMES + _t(b.name) if b.name else _d(out)))
    if b.name:
        lines.append(_line(b.name, _t(a.name) + TIMES + _d(out) if a.name else _d(out)))
    return lines


@_rule("add", "broadcast add: each argument gets dY, summed over the axes it was broadcast along")
def _add(out, args, shape):
    return [_line(a.name, _unbroadcast(a, shape, _d(out))) for a in args if a.name]


@_rule("sub", "subtraction: dA = dY, dB = −dY, each summed over its broadcast axes")
def _sub(out, args, shape):
    a, b = args
    lines = [_line(a.name, _unbroadcast(a, shape, _d(out)))] if a.name else []
    if b.name:
        lines.append(_line(b.name, _unbroadcast(b, shape, _d(out)), MINUS))
    return lines


@_rule("mul", "elementwise product: dA = dY ⊙ B, dB = A ⊙ dY, each summed over its broadcast axes")
def _mul(out, args, shape):
    a, b = args
    lines = []
    if a.name:
        lines.append(_line(a.name, _unbroadcast(a, shape, _d(out) + ODOT + _operand(b))))
    if b.name:
        lines.append(_line(b.name, _unbroadcast(b, shape, _operand(a) + ODOT + _d(out))))
    return lines


@_rule("div", "elementwise quotient: dA = dY / B, dB = −dY ⊙ Y / B, each summed over its broadcast axes")
def _div(out, args, shape):
    a, b = args
    lines = []
    if a.name:
        lines.append(_line(a.name, _unbroadcast(a, shape, _d(out) + DIVIDE + _operand(b))))
    if b.name:
        lines.append(_line(b.name, _unbroadcast(b, shape, _d(out) + ODOT + _name(out) + DIVIDE + _name(b.name)),
                           MINUS))
    return lines


@_rule("neg", "negation: dX = −dY")
def _neg(out, args, shape):
    return [_line(args[0].name, _d(out), MINUS)]


@_rule("transpose", "transpose: dX = dYᵀ")
def _transpose(out, args, shape):
    return [_line(args[0].name, _dt(out))]


@_rule("reshape", "reshape / view: dX = dY reshaped to X's shape")
def _reshape(out, args, shape):
    x = args[0]
    inner = _d(out) + _F(", ", "<mo>,</mo>", ", ") + _text(_shape(x.shape), ", ".join(map(str, x.shape)))
    return [_line(x.name, _word("reshape") + _paren(inner))]


@_rule("sum", "sum over a dim: dY is copied along the summed dim (broadcast back)")
def _sum(out, args, shape):
    return [_line(args[0].name, _spread(args, _d(out)))]


@_rule("mean", "mean over a dim: dY is copied along the dim and divided by the count n")
def _mean(out, args, shape):
    x = args[0]
    return [_line(x.name, _spread(args, _d(out) + DIVIDE + _num(_count(args))))]


@_rule("amax", "max over a dim: dY goes to the (first) maximal element, 0 elsewhere")
def _amax(out, args, shape):
    x = args[0]
    onehot = _word("onehot", None) + _paren(_word("argmax") + _paren(_name(x.name)))
    return [_line(x.name, _d(out) + ODOT + onehot)]


@_rule("softmax", "softmax: dX = Y ⊙ (dY − Σ_dim dY ⊙ Y)")
def _softmax(out, args, shape):
    x = args[0]
    dim = _dim_of(args)
    inner = _d(out) + SUB + _sum_over((dim,), _d(out) + ODOT + _name(out), keepdim=True)
    return [_line(x.name, _name(out) + ODOT + _paren(inner))]


@_rule("log_softmax", "log-softmax: dX = dY − softmax(X) ⊙ Σ_dim dY")
def _log_softmax(out, args, shape):
    x = args[0]
    dim = _dim_of(args)
    soft = _word("softmax") + _paren(_name(x.name) + _F("", "", f", {dim}"))
    return [_line(x.name, _d(out) + SUB + soft + ODOT + _sum_over((dim,), _d(out), keepdim=True))]


@_rule("logsumexp_dim", "logsumexp over a dim: dX = dY ⊙ softmax(X)")
def _logsumexp(out, args, shape):
    x = args[0]
    return [_line(x.name, _d(out) + ODOT + _word("softmax", None) + _paren(_name(x.name)))]


@_rule("cross_entropy", "softmax-cross-entropy: dX = dY (softmax(X) − onehot(t)) / n")
def _cross_entropy(out, args, shape):
    x, t = args[0], args[1]
    n = x.shape[0] if x.shape else 1
    tname = t.name or t.label
    target = _name(tname) if tname else _text("targets")
    classes = x.shape[-1] if x.shape else 1
    onehot = _F(_word("onehot").latex, _word("onehot").mathml, f"one_hot({tname}, {classes})" if tname else None)
    soft = _F(_word("softmax").latex, _word("softmax").mathml, "softmax") + \
        _paren(_name(x.name) + _F("", "", f", {len(x.shape) - 1}"))
    body = _d(out) + _F(r"\,", "<mo>&#x2062;</mo>", " * ") + _paren(soft + SUB + _F(onehot.latex + _paren(target).latex,
                                                                                    onehot.mathml + _paren(target).mathml,
                                                                                    onehot.src))
    return [_line(x.name, body + DIVIDE + _num(n))]


@_rule("var", "variance: dX = dY ⊙ 2 (X − mean(X)) / (n − c), c = 1 with Bessel's correction")
def _var(out, args, shape):
    x = args[0]
    c = int(args[1].value) if len(args) > 1 and args[1].value is not None else 1
    n = _count([x] + list(args[2:])) if len(args) > 2 else _size(x.shape)
    mean = _F(r"\bar{" + latex_name(x.name) + "}", f"<mover>{mathml_name(x.name)}<mo>&#x00AF;</mo></mover>",
              f"{x.name}.mean({_dim_of([x] + list(args[2:]))}, keepdim=True)" if len(args) > 2 else f"{x.name}.mean()")
    two = _F("2", "<mn>2</mn>", "2 * ")
    body = _d(out) + ODOT + two + _paren(_name(x.name) + SUB + mean) + DIVIDE + _num(n - c)
    if len(args) > 3 and not args[3].value:          # keepdim=False: dY lacks the reduced dim
        body = _F(body.latex, body.mathml, None)
    return [_line(x.name, body)]


@_rule("cat", "concatenation: each argument gets its slice of dY along the dim")
def _cat(out, args, shape):
    parts = [a for a in args if a.name]
    return [_line(a.name, _d(out) + _F(rf"\big[\text{{slice {k + 1}}}\big]", f"<mtext>[slice {k + 1}]</mtext>", None))
            for k, a in enumerate(parts)]


@_rule("index", "indexing (gather): dY is added back at the indices (a scatter-add; repeats accumulate)")
def _index(out, args, shape):
    x, idx = args[0], [a for a in args[1:]]
    where = ", ".join(a.name or "…" for a in idx)
    return [_line(x.name, _F(r"\mathrm{d}" + latex_name(out) + r"\ \text{added at}\ [" + where.replace("_", r"\_") + "]",
                             '<mi mathvariant="normal">d</mi>' + mathml_name(out) + f"<mtext> added at [{where}]</mtext>",
                             None))]


def _shape(s: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _dim_of(args: Sequence[Arg]) -> int:
    x = args[0]
    d = int(args[1].value) if len(args) > 1 and args[1].value is not None else -1
    return d + len(x.shape) if d < 0 else d


def _count(args: Sequence[Arg]) -> int:
    """Elements per reduced slot: the reduced dim's size, or every element."""
    x = args[0]
    if len(args) < 2 or args[1].value is None:
        return _size(x.shape)
    return x.shape[_dim_of(args)]


def _spread(args: Sequence[Arg], g: _F) -> _F:
    """``g`` copied back over the reduced dim: in the language, ones of X's shape times g (with
    the reduced dim put back when the sum dropped it)."""
    x = args[0]
    ones = f"ones_like({x.name}) * "
    if len(args) < 2 or args[1].value is None:
        return g + _F(r"\ \text{(every element)}", "<mtext> (every element)</mtext>", "") if g.src is None else \
            _F(g.latex + r"\ \text{(every element)}", g.mathml + "<mtext> (every element)</mtext>", ones + f"({g.src})")
    dim = _dim_of(args)
    keep = len(args) > 2 and bool(args[2].value)
    src = None if g.src is None else ones + (f"({g.src})" if keep else
                                             f"({g.src}).view({', '.join('1' if i == dim else str(n) for i, n in enumerate(x.shape))})")
    return _F(g.latex + rf"\ \text{{(copied along dim {dim})}}", g.mathml + f"<mtext> (copied along dim {dim})</mtext>", src)


def matrix_rule(op: str, out: str, args: Sequence[Arg], shape: tuple[int, ...], elementwise: Any = None) -> list[RuleLine]:
    """The gradient lines of Y = op(args) (Y named ``out``, of ``shape``). ``elementwise`` is a
    rule row of the scalar table acting elementwise: dX += dY ⊙ f′(X), its derivative from the row's
    display record, summed over broadcast axes. Returns [] for an operation without a gradient, or
    whose arguments are all integer data (the -1 of ``view(n, -1)``)."""
    if not any(a.name for a in args):
        return []
    if op in MATRIX_RULES:
        return MATRIX_RULES[op](out, args, shape)
    if elementwise is None:
        return []
    return _elementwise(elementwise, out, args, shape)


def _elementwise(row: Any, out: str, args: Sequence[Arg], shape: tuple[int, ...]) -> list[RuleLine]:
    import sympy
    from ..gradcheck.sympy_printers import sympy_mathml, sympy_text
    from ..language.printing import template_latex
    names = [a.name or str(a.value) for a in args]
    texs = [latex_name(n) if a.name else str(a.value) for n, a in zip(names, args)]
    lines = []
    for k, a in enumerate(args):
        if not a.name:
            continue
        latex = template_latex(row.dlatex_for(k, len(args))).format(*texs, out=latex_name(out))
        slots = [sympy.Symbol(f"_u{j}", real=True) for j in range(len(args))]
        expr = row.sympy(sympy, *slots)
        d = sympy.diff(expr, slots[k]).xreplace({expr: sympy.Symbol(out, real=True)})
        d = d.xreplace({s: (sympy.Symbol(n, real=True) if arg.name else sympy.Float(arg.value))
                        for s, n, arg in zip(slots, names, args)})
        mml = sympy_mathml(d)
        mml = mml.split(">", 1)[1].rsplit("</math>", 1)[0] if mml.startswith("<math") else mml
        local = _F(latex, mml, sympy_text(d, "**"))
        lines.append(_line(a.name, _unbroadcast(a, shape, _d(out) + ODOT + _paren(local))))
    return lines


def formula(op: str, surface: str, args: Sequence[Arg]) -> tuple[str, str]:
    """A tensor operation over its arguments' names in LaTeX and MathML, for the forward table:
    A B for a matrix product, Aᵀ, A[i], and the call as PyTorch names it (sum(X, dim=1))."""
    parts = [(latex_name(a.name or a.label), mathml_name(a.name or a.label)) if (a.name or a.label)
             else (_plain_number(a.value), f"<mn>{_plain_number(a.value)}</mn>") for a in args]
    if op == "matmul":
        (la, ma), (lb, mb) = parts
        return rf"{la}\,{lb}", f"{ma}<mo>&#x2062;</mo>{mb}"
    if op == "transpose" and len(parts) == 1:
        return parts[0][0] + r"^{\top}", f"<msup>{parts[0][1]}<mo>&#x22A4;</mo></msup>"
    if op == "index":
        return (parts[0][0] + "[" + ", ".join(p[0] for p in parts[1:]) + "]",
                parts[0][1] + "<mo>[</mo>" + "<mo>,</mo>".join(p[1] for p in parts[1:]) + "<mo>]</mo>")
    word = surface.replace("_", r"\_")
    return (rf"\operatorname{{{word}}}\left(" + ", ".join(p[0] for p in parts) + r"\right)",
            f"<mi>{surface}</mi><mo>(</mo>" + "<mo>,</mo>".join(p[1] for p in parts) + "<mo>)</mo>")


def _plain_number(v: Any) -> str:
    if v is None:
        return "…"
    f = float(v)
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
