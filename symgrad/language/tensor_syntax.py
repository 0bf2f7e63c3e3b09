"""The tensor forms of the grammar, read into plain ``Op`` nodes (PyTorch's spelling, one AST).

``a @ b`` is ``matmul``; ``x[i, j]`` is ``index``; ``x.T`` is ``transpose``; ``x.shape[d]`` is
``size(x, d)``; ``x.f(args)`` is the call ``f(x, args)`` (so ``x.sum(1, keepdim=True)`` is
``sum(x, 1, keepdim=True)``), and ``torch.f(...)`` / ``F.f(...)`` is ``f(...)``; ``.values`` after a
max is the max itself. Keyword arguments are read into their positions with the signatures of
``rules.tensor_signatures.SIGNATURES``, so the AST holds only numbers, names and operations:

- ``sum|mean|max|min|logsumexp(x)`` → all elements; ``(x, dim, keepdim)`` over one dim;
- ``var(x, dim, keepdim, correction=1)`` → ``var(x, correction[, dim, keepdim])``;
- ``cat([a, b], dim)`` → ``cat(a, b, dim)``.

``max(a, b)``, ``min(a, b)`` and ``logsumexp(a, b, …)`` stay the scalar rows (elementwise): they are
reductions only with a keyword (``max(x, dim=1)``), with method syntax (``x.max(1)``), or with one
argument (``max(x)``). A flag (``keepdim``, ``unbiased``) is ``True``/``False``/1/0, or the bare word
``keepdim`` as a positional argument. A dim is an integer literal.
"""

from __future__ import annotations

from dataclasses import dataclass

from lark import Token

from .ast import Num, Op, Span, Var
from ..base.errors import ArityError, InputError, ParseError
from .diagnostics import COMPARE_HINT
from ..rules.table import FUNCTIONS
from ..rules.tensor_signatures import REDUCTIONS, SIGNATURES

__all__ = ["TensorSyntax", "Keyword", "ListArg", "NAMESPACES", "tensor_names", "scalar_only"]

NAMESPACES = {"torch", "F", "np", "numpy"}     # torch.cat(...), F.cross_entropy(...): the plain call
_ALIASES = {"keepdims": "keepdim", "axis": "dim"}
_TRUE, _FALSE = {"True", "true", "keepdim", "keepdims", "unbiased"}, {"False", "false"}


@dataclass
class Keyword:
    """``name=value`` in a call, before it is read into its position."""
    name: Token
    value: object


@dataclass
class ListArg:
    """``[a, b, ...]``: only ``cat``'s first argument (and a shape)."""
    items: tuple
    span: Span


def tensor_names() -> set[str]:
    """The call names the tensor forms add to the language."""
    return {name for name in SIGNATURES if "/" not in name}


def scalar_only(rule: str, node=None, feature: str = "this part of symgrad") -> None:
    """Raise for a tensor operation where only scalar rows go (a closed form, a scalar graph)."""
    span = getattr(node, "span", None)
    name = {"amax": "max", "amin": "min", "logsumexp_dim": "logsumexp", "reshape": "view"}.get(rule, rule)
    raise InputError(f"{name} is a tensor operation, and {feature} takes scalar programs",
                     hint="symgrad.backprop and symgrad.check (and the CLI's eval, grad, check) take tensor "
                          "programs", line=span.line if span else None, column=span.column if span else None)


class TensorSyntax:
    """Transformer methods for the tensor forms; mixed into ``parser.ToAst`` (which gives ``_op``,
    ``source``, ``reads`` and ``call``'s scalar path)."""

    def matmul(self, left, _op, right):
        return self._op("matmul", (left, right), left, right)

    def list(self, lsqb, arguments, rsqb):
        self._no_keywords(arguments, lsqb)
        self.lists += 1
        return ListArg(tuple(arguments), Span(lsqb.line, lsqb.column, rsqb.end_line, rsqb.end_column))

    def keyword(self, name: Token, value):
        return Keyword(name, value)

    def index(self, obj, lsqb, arguments, rsqb):
        self._no_keywords(arguments, lsqb)
        if isinstance(obj, Op) and obj.rule == "shape":      # x.shape[d]
            if len(arguments) != 1:
                raise ParseError("x.shape takes one index", source=self.source, line=lsqb.line,
                                 column=lsqb.column, hint="write x.shape[0] for the first size")
            return self._op("size", (obj.args[0], self._dim(arguments[0], lsqb)), obj, rsqb)
        return self._op("index", (obj, *arguments), obj, rsqb)

    def attribute(self, obj, _dot, name: Token):
        if name == "T":
            return self._op("transpose", (obj,), obj, name)
        if name == "shape":
            return self._op("shape", (obj,), obj, name)
        if name == "values":
            return obj
        raise ParseError(f"unknown attribute .{name}", source=self.source, line=name.line, column=name.column,
                         hint="tensors have .T, .shape[d], .values and methods such as .sum(1)")

    def method(self, obj, _dot, name: Token, _lpar, arguments, rpar):
        args = list(arguments or ())
        if isinstance(obj, Var) and obj.name in NAMESPACES:
            self._unread(obj)
            return self.call(name, _lpar, args, rpar)
        return self._call(name, [obj] + args, rpar, method=True, first=obj)

    # -- calls -------------------------------------------------------------------------------
    def tensor_call(self, name: Token, args: list, last, method: bool, first) -> Op | None:
        """The call as a tensor operation, or None when it is a scalar row's call."""
        text = str(name)
        keywords = [a for a in args if isinstance(a, Keyword)]
        if text in REDUCTIONS and (method or keywords or len(args) == 1):
            text = text + "/dim"
        elif text not in SIGNATURES or text in FUNCTIONS:
            if keywords and text == "where":   # where(x = 0, …): a comparison, not a keyword
                at = keywords[0].name
                raise ParseError("unexpected '=' in where()", source=self.source, line=at.line,
                                 column=at.column + self.source.find("=", at.end_pos) - at.start_pos, hint=COMPARE_HINT)
            if keywords:
                raise ParseError(f"{text}() takes no keyword arguments", source=self.source,
                                 line=keywords[0].name.line, column=keywords[0].name.column,
                                 hint="keywords are for tensor functions such as sum(x, 1, keepdim=True)")
            for a in args:
                if isinstance(a, ListArg):
                    raise self._list_error(a)
            return None
        opname, params, defaults = SIGNATURES[text]
        bound = self._bind(name, text.split("/")[0], params, defaults, args)
        return self._op(opname, self._normal(opname, bound, name), first, last)

    def _bind(self, name: Token, shown: str, params: tuple, defaults: dict, args: list) -> dict:
        positional = [p for p in params if not p.startswith("/")]
        bound: dict = {}
        seen_keyword = False
        for i, a in enumerate(args):
            if isinstance(a, Keyword):
                seen_keyword = True
                key = _ALIASES.get(str(a.name), str(a.name))
                if key not in [p.lstrip("/*") for p in params] or key in bound:
                    raise ParseError(f"{shown}() got {'a repeated' if key in bound else 'an unexpected'} "
                                     f"keyword {a.name}", source=self.source, line=a.name.line,
                                     column=a.name.column, hint=f"{shown} takes {', '.join(p.lstrip('/*') for p in params)}")
                bound[key] = a.value
            elif seen_keyword:
                raise ParseError("a positional argument follows a keyword argument", source=self.source,
                                 line=name.line, column=name.column, hint="put keyword arguments last")
            elif positional and positional[-1].startswith("*") and i >= len(positional) - 1:
                bound.setdefault(positional[-1][1:], []).append(a)
            elif i < len(positional):
                bound[positional[i]] = a
            else:
                raise ArityError(f"{shown}() takes at most {len(positional)} positional arguments, got {len(args)}",
                                 source=self.source, line=name.line, column=name.column,
                                 hint=f"write {shown}({', '.join(p.lstrip('/*') for p in params)})")
        for p in params:
            key = p.lstrip("/*")
            if key not in bound:
                if key not in defaults and not p.startswith("*"):
                    raise ArityError(f"{shown}() is missing its argument {key}", source=self.source,
                                     line=name.line, column=name.column,
                                     hint=f"write {shown}({', '.join(q.lstrip('/*') for q in params)})")
                bound[key] = defaults.get(key, [])
        return bound

    def _normal(self, opname: str, b: dict, at: Token) -> tuple:
        """The operation's arguments in the AST's positional form (see the module docstring)."""
        if opname in ("sum", "mean", "amax", "amin", "logsumexp_dim"):
            x = self._tensor(b["input"])
            return (x,) if b["dim"] is None else (x, self._dim(b["dim"], at), self._flag(b["keepdim"], at))
        if opname == "var":
            correction = b["correction"]
            if correction is None:
                unbiased = 1.0 if b["unbiased"] is None else self._flag(b["unbiased"], at).value
                correction = Num(unbiased)
            correction = self._dim(correction, at)
            x = self._tensor(b["input"])
            return (x, correction) if b["dim"] is None else (x, correction, self._dim(b["dim"], at),
                                                           self._flag(b["keepdim"], at))
        if opname == "transpose":
            if b["dim0"] is None and b["dim1"] is None:
                return (self._tensor(b["input"]),)
            if b["dim0"] is None or b["dim1"] is None:
                raise ArityError("transpose(x, dim0, dim1) needs both dims", source=self.source, line=at.line,
                                 column=at.column, hint="write transpose(x, 0, 1) or x.T")
            return (self._tensor(b["input"]), self._dim(b["dim0"], at), self._dim(b["dim1"], at))
        if opname == "reshape":
            shape = b["shape"]
            if len(shape) == 1 and isinstance(shape[0], ListArg):
                shape = list(shape[0].items)
            if not shape:
                raise ArityError("reshape(x, *shape) needs a shape", source=self.source, line=at.line,
                                 column=at.column, hint="write x.view(32, -1)")
            return (self._tensor(b["input"]), *(self._tensor(s) for s in shape))
        if opname == "cat":
            tensors = b["tensors"]
            if not isinstance(tensors, ListArg) or not tensors.items:
                raise ParseError("cat takes a list of tensors", source=self.source, line=at.line, column=at.column,
                                 hint="write cat([a, b], 1)")
            return (*(self._tensor(t) for t in tensors.items), self._dim(b["dim"], at))
        if opname in ("softmax", "log_softmax", "size"):
            return (self._tensor(b["input"]), self._dim(b["dim"], at))
        return tuple(self._tensor(b[p.lstrip("/*")]) for p in SIGNATURES_BY_OP[opname])

    # -- argument kinds ------------------------------------------------------------------------
    def _tensor(self, node):
        if isinstance(node, ListArg):
            raise self._list_error(node)
        if isinstance(node, int):            # a default such as cat's dim 0
            return Num(float(node))
        return node

    def _dim(self, node, at):
        if isinstance(node, int):
            return Num(float(node))
        inner = node.args[0] if isinstance(node, Op) and node.rule == "neg" else node
        if isinstance(inner, Num) and float(inner.value).is_integer():
            return node
        span = getattr(node, "span", None) or at
        raise ParseError("a dim is an integer literal", source=self.source, line=span.line, column=span.column,
                         hint="write sum(x, 1) or sum(x, -1); a size comes from x.shape[0]")

    def _flag(self, node, at) -> Num:
        if isinstance(node, bool):
            return Num(float(node))
        if isinstance(node, Num) and node.value in (0.0, 1.0):
            return Num(node.value, node.span)
        if isinstance(node, Var) and (node.name in _TRUE or node.name in _FALSE):
            self._unread(node)
            return Num(1.0 if node.name in _TRUE else 0.0, node.span)
        span = getattr(node, "span", None) or at
        raise ParseError("a flag is True or False", source=self.source, line=span.line, column=span.column,
                         hint="write keepdim=True")

    def _unread(self, var: Var) -> None:
        for i in range(len(self.reads) - 1, -1, -1):
            if self.reads[i] is var:
                del self.reads[i]
                return

    def _no_keywords(self, arguments, at) -> None:
        for a in arguments or ():
            if isinstance(a, Keyword):
                raise ParseError("keyword arguments go in calls", source=self.source, line=a.name.line,
                                 column=a.name.column, hint="write x[i, j] with positions only")

    def _list_error(self, node: ListArg) -> ParseError:
        return ParseError("a list [...] is only cat's first argument", source=self.source, line=node.span.line,
                          column=node.span.column, hint="write cat([a, b], dim)")


SIGNATURES_BY_OP = {op: params for op, params, _ in SIGNATURES.values()}
