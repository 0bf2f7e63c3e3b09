"""Text → Program: lark's LALR parser (set up in ``language.lalr``) with an inline transformer (no recursion).

The transformer's methods are named after the grammar's rules. It builds AST nodes as the
parser reduces, checks the limits as it goes, and validates calls against the rule table; after
the parse, names are resolved (inputs in first-appearance order, each name assigned once).
The limit checks live in ``language.bounds`` and the error messages in ``language.diagnostics``.
"""

from __future__ import annotations

import threading

import lark
from lark import Token

from .ast import Assign, Const, Node, Num, Op, Program, Span, Var, postorder
from ..base.errors import (DuplicateAssignmentError, InputError, LimitError, NumericError, ParseError,
                      UnboundNameError, escape_text)
from ..base.limits import DEFAULT_LIMITS, Limits
from .conditions import check_operands, check_statement
from .diagnostics import KEYWORDS, end_position, keyword_as_name, translate, unknown_function
from .bounds import NestingGuard, check_length, check_limits, check_nodes, check_statements, nest_depth
from .tensor_syntax import Keyword, ListArg, TensorSyntax
from ..rules.rule import arity_error
from ..rules.table import COMPARISONS, FUNCTIONS, calls
from .lalr import build
from .tables import grammar_path

__all__ = ["parse", "grammar_path"]

CONSTANTS = {"pi"}


# A frozen dataclass's __init__ sets each field through object.__setattr__; the parser makes
# a node and a span per token, so it fills their slots directly: the same objects, 2x faster.
_new = object.__new__
_line, _column, _end_line, _end_column = (Span.__dict__[f].__set__ for f in ("line", "column", "end_line",
                                                                               "end_column"))
_op_rule, _op_args, _op_span = (Op.__dict__[f].__set__ for f in ("rule", "args", "span"))
_var_name, _var_span = Var.__dict__["name"].__set__, Var.__dict__["span"].__set__


def _span(first, last=None) -> Span:
    """A span from a token or node ``first`` to a token or node ``last``."""
    a = first.span if isinstance(first, Node) else first
    b = a if last is None else (last.span if isinstance(last, Node) else last)
    span = _new(Span)
    _line(span, a.line), _column(span, a.column), _end_line(span, b.end_line), _end_column(span, b.end_column)
    return span


def _make_var(name: str, span: Span) -> Var:
    node = _new(Var)
    _var_name(node, name), _var_span(node, span)
    return node


_ARGUMENT = (Node, ListArg, Keyword)   # what a call's argument can be (lark-cython's tokens are no str)


class ToAst(TensorSyntax):
    """Builds the AST during the LALR parse; one method per grammar rule, called with the rule's
    children (the tensor forms' in ``language.tensor_syntax``). A token is lark's or lark-cython's
    (no ``str`` subclass): its text is ``tok.value``."""

    def begin(self, source: str, limits: Limits) -> None:
        self.source, self.limits = source, limits
        self.depth: dict[int, int] = {}  # node id -> nesting depth; ids live only during the parse
        self.nodes = 0
        self.reads: list[Var] = []  # every Var in source order, so names resolve without a walk
        self.marks: list[int] = []  # len(reads) after each assignment
        self.lists = 0              # list literals made: cat's argument, checked wherever else they land

    # -- leaves --------------------------------------------------------------------------
    def number(self, tok: Token) -> Num:
        if len(tok.value) > self.limits.max_literal_length:
            self._check_length(tok, "max_literal_length", "numeric literal")
        value = float(tok.value)
        if value == float("inf"):
            raise NumericError(f"the literal {escape_text(tok.value)} overflows float64 (largest is about 1.8e308)",
                               line=tok.line, column=tok.column)
        return self._count(Num(value, _span(tok)))

    def name(self, tok: Token) -> Var | Const:
        if len(tok.value) > self.limits.max_name_length:
            self._check_length(tok, "max_name_length", "name")
        if tok.value in CONSTANTS:
            node = Const(tok.value, _span(tok))
        else:
            node = _make_var(tok.value, _span(tok))
            self.reads.append(node)
        return self._count(node)

    # -- operators -----------------------------------------------------------------------
    def add(self, left, _op, right): return self._op("add", (left, right), left, right)
    def sub(self, left, _op, right): return self._op("sub", (left, right), left, right)
    def mul(self, left, _op, right): return self._op("mul", (left, right), left, right)
    def div(self, left, _op, right): return self._op("div", (left, right), left, right)
    def pow(self, base, _op, exponent): return self._op("pow", (base, exponent), base, exponent)
    def neg(self, op, operand): return self._op("neg", (operand,), op, operand)
    def pos(self, _op, operand): return operand
    def group(self, _lpar, expr, _rpar): return expr

    def call(self, name: Token, _lpar, arguments, rpar):
        return self._call(name, list(arguments or ()), rpar, method=False, first=name)

    def _call(self, name: Token, args: list, last, *, method: bool, first):
        node = self.tensor_call(name, args, last, method, first)
        if node is not None:
            return node
        rows = calls(name.value)
        if not rows:
            raise unknown_function(name, self.source)
        row = next((r for r in rows if r.accepts(len(args))), None)
        if row is None:
            raise arity_error(rows, len(args), source=self.source, line=name.line, column=name.column)
        filled = tuple(self._count(Num(d, _span(last))) for d in row.left_out(len(args)))  # at the ')'
        return self._op(row.name, (*args, *filled), first, last)

    # -- conditions: only where's first argument (``conditions`` checks) ------------------
    def compare(self, left, op, right): return self._op(COMPARISONS[op.value], (left, right), left, right)
    def and_(self, left, _op, right): return self._op("and", (left, right), left, right)
    def or_(self, left, _op, right): return self._op("or", (left, right), left, right)
    def not_(self, op, operand): return self._op("not", (operand,), op, operand)

    def arguments(self, *items):
        return [item for item in items if isinstance(item, _ARGUMENT)]   # the commas are tokens

    # -- statements ----------------------------------------------------------------------
    def assign(self, name: Token, expr) -> Assign:
        self._check_length(name, "max_name_length", "name")
        if name.value in CONSTANTS or name.value in FUNCTIONS:
            kind = "the constant" if name.value in CONSTANTS else "the function"
            raise ParseError(f"cannot assign to {name}: it is {kind} {name}", source=self.source,
                             line=name.line, column=name.column, hint="choose another name")
        self.marks.append(len(self.reads))
        if self.lists and isinstance(expr, ListArg):
            raise self._list_error(expr)
        check_statement(expr, self.source)
        return Assign(name.value, expr, _span(name, expr))

    def start(self, *statements) -> list:
        for s in statements:
            if self.lists and isinstance(s, ListArg):
                raise self._list_error(s)
            check_statement(s, self.source)
        return [s if isinstance(s, Assign) else Assign(None, s, s.span) for s in statements]

    # -- helpers -------------------------------------------------------------------------
    def _op(self, rule: str, args: tuple, first, last) -> Op:
        if self.lists:
            for a in args:
                if isinstance(a, ListArg):
                    raise self._list_error(a)
        check_operands(rule, args, self.source)
        node = _new(Op)
        _op_rule(node, rule), _op_args(node, args), _op_span(node, _span(first, last))
        self.depth[id(node)] = nest_depth(node, self.depth, self.limits)
        return self._count(node)

    def _count(self, node):
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:  # the lexer's guard counts the same nodes first
            check_nodes(self.nodes, node, self.limits)
        return node

    def _check_length(self, tok: Token, limit: str, what: str) -> None:
        check_length(tok.value, limit, what, self.limits, tok)


_local = threading.local()


def _parser(compiled: bool = True) -> tuple[lark.Lark, ToAst, NestingGuard]:
    """One parser per thread, built on first use: the transformer and guard hold per-parse state.
    ``compiled`` runs lark's lexer and LALR loop from lark-cython where it is installed (``language.lalr``)."""
    key = "compiled" if compiled else "pure"
    cached = getattr(_local, key, None)
    if cached is None:
        transformer, guard = ToAst(), NestingGuard()
        callbacks = {name: guard for name in ("NAME", "NUMBER", "POW", "PLUS", "MINUS", "TIMES", "SLASH",
                                              "LPAR", "RPAR", "COMMA", "_SEP", "EQUAL", "AT", "DOT", "LSQB", "RSQB",
                                              "COMPARE", "AND", "OR", "NOT")}
        callbacks["NAME"] = _names(transformer, guard)
        lark_parser = build(grammar_path(), transformer, callbacks, compiled=compiled)
        cached = (lark_parser, transformer, guard)
        setattr(_local, key, cached)
    return cached


def _names(transformer: ToAst, guard: NestingGuard):
    """The NAME token's callback: a keyword is no name (the lexer reads ``and`` as a name where the
    operator cannot stand, as in ``and = 3``), then the guard's counts."""
    def name(tok: Token) -> Token:
        if tok.value in KEYWORDS:
            raise keyword_as_name(tok.value, transformer.source, tok.line, tok.column)
        return guard(tok)
    return name


def parse(text: "str | Program", *, limits: Limits | None = None) -> Program:
    """Parse symgrad source into a Program. Raises ParseError (or another SymgradError).

    A Program passes through; when ``limits`` are given it is checked against them,
    unless it was parsed under limits at least as strict. (Internal calls pass no limits:
    a Program keeps the limits it was parsed under, and a hand-built one is trusted.)
    """
    if limits is not None and not isinstance(limits, Limits):
        raise InputError(f"limits must be a symgrad.Limits, got {type(limits).__name__}",
                         hint="write limits=symgrad.Limits(max_depth=500)")
    if isinstance(text, Program):
        return text if limits is None else check_limits(text, limits)
    if not isinstance(text, str):
        raise InputError(f"a program is text, got {type(text).__name__}")
    limits = limits or DEFAULT_LIMITS
    if len(text) > limits.max_chars:
        raise LimitError(f"program is {len(text)} characters long", limit="max_chars", value=limits.max_chars)
    return _parse_text(text, limits)


def _parse_text(text: str, limits: Limits, compiled: bool = True) -> Program:
    """The parse itself; ``compiled=False`` runs pure lark (a test holds both to the same answers)."""
    parser, transformer, guard = _parser(compiled)
    transformer.begin(text, limits)
    guard.begin(limits)
    try:
        statements = parser.parse(text)
    except lark.exceptions.UnexpectedInput as err:
        raise translate(err, text) from None
    finally:
        found, marks = transformer.reads, [0] + transformer.marks + [len(transformer.reads)]
        transformer.depth, transformer.reads, transformer.marks = {}, [], []
    if not statements:
        line, column = end_position(text)
        what = "" if not text.strip() else " (it holds only comments, blank lines or separators)"
        raise ParseError(f"the program is empty{what}", source=text, line=line, column=column,
                         hint="write an expression such as x*y + 1")
    check_statements(len(statements), limits)
    reads = [found[a:b] for a, b in zip(marks, marks[1:])]  # per statement; a bare one is last
    return Program(tuple(statements), _resolve(statements, text, reads), text, limits)


def _at(kind: type, message: str, node: Assign | Var, source: str, hint: str) -> Exception:
    """A naming error located at ``node``'s span."""
    return kind(message, source=source, line=node.span.line, column=node.span.column, hint=hint)


def _resolve(statements: list[Assign], source: str, reads: list[list[Var]] | None = None) -> tuple[str, ...]:
    """Check the naming rules; return the inputs in first-appearance order."""
    assigned: dict[str, Assign] = {}
    for i, stmt in enumerate(statements):
        if stmt.name is None and i != len(statements) - 1:
            raise _at(ParseError, "this expression's value is never used", stmt, source,
                      "assign it to a name (t = ...) or delete it")
        if stmt.name is not None:
            if stmt.name in assigned:
                raise _at(DuplicateAssignmentError, f"{stmt.name} is assigned twice (first on line "
                          f"{assigned[stmt.name].span.line})", stmt, source,
                          f"a name is assigned once; give this one a new name such as {stmt.name}2")
            assigned[stmt.name] = stmt
    inputs: dict[str, None] = {}
    defined: set[str] = set()
    if reads is None:
        reads = [[n for n in postorder(stmt.expr) if isinstance(n, Var)] for stmt in statements]
    for stmt, read in zip(statements, reads):
        for node in read:
            if node.name not in defined:
                if node.name in assigned:
                    raise _at(UnboundNameError, f"{node.name} is read before it is assigned (on line "
                              f"{assigned[node.name].span.line})", node, source,
                              "move the assignment above its first use, or use a new name")
                inputs.setdefault(node.name)
        if stmt.name is not None:
            defined.add(stmt.name)
    return tuple(inputs)
