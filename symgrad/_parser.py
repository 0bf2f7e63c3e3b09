"""Text → Program: lark's LALR parser with an inline transformer (no recursion).

The transformer's methods are named after the grammar's rules. It builds AST nodes as the
parser reduces, checks the limits as it goes, and validates calls against the rule table.
"""

from __future__ import annotations

import difflib
import re
import threading
import unicodedata
from pathlib import Path

import lark
from lark import Token, Transformer, v_args

from ._ast import Assign, Const, Num, Op, Program, Span, Var, postorder
from ._errors import (DuplicateAssignmentError, InputError, LimitError, NumericError, ParseError,
                      SymgradError, UnboundNameError, UnknownFunctionError, describe_char, escape_text)
from ._limits import DEFAULT_LIMITS, Limits
from ._rules import FUNCTIONS, RULES

__all__ = ["parse", "grammar_path"]

CONSTANTS = {"pi"}
_FLAT = {"add": "sum", "sub": "sum", "mul": "product", "div": "product"}  # SymPy flattens these chains
_TOKEN_NAMES = {
    "NAME": "a name", "NUMBER": "a number", "LPAR": "'('", "RPAR": "')'", "PLUS": "'+'", "MINUS": "'-'",
    "TIMES": "'*'", "SLASH": "'/'", "POW": "'**' or '^'", "COMMA": "','", "_SEP": "';' or a new line",
    "EQUAL": "'='", "$END": "the end of the input",
}


def grammar_path() -> Path:
    """grammar/symgrad.lark: inside the installed package, or beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "grammar" / "symgrad.lark", here.parent / "grammar" / "symgrad.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("symgrad's grammar file symgrad.lark is missing from the installation")


# A frozen dataclass's __init__ sets each field through object.__setattr__; the parser makes
# a node and a span per token, so it fills their slots directly: the same objects, 2x faster.
_new = object.__new__
_line, _column, _end_line, _end_column = (Span.__dict__[f].__set__ for f in ("line", "column", "end_line",
                                                                               "end_column"))
_op_rule, _op_args, _op_span = (Op.__dict__[f].__set__ for f in ("rule", "args", "span"))
_var_name, _var_span = Var.__dict__["name"].__set__, Var.__dict__["span"].__set__


def _span(first, last=None) -> Span:
    """A span from a token or node ``first`` to a token or node ``last``."""
    a = first if isinstance(first, Token) else first.span
    b = a if last is None else (last if isinstance(last, Token) else last.span)
    span = _new(Span)
    _line(span, a.line), _column(span, a.column), _end_line(span, b.end_line), _end_column(span, b.end_column)
    return span


def _make_op(rule: str, args: tuple, span: Span) -> Op:
    node = _new(Op)
    _op_rule(node, rule), _op_args(node, args), _op_span(node, span)
    return node


def _make_var(name: str, span: Span) -> Var:
    node = _new(Var)
    _var_name(node, name), _var_span(node, span)
    return node


@v_args(inline=True)
class ToAst(Transformer):
    """Builds the AST during the LALR parse; one method per grammar rule."""

    def begin(self, source: str, limits: Limits) -> None:
        self.source, self.limits = source, limits
        self.depth: dict[int, int] = {}  # node id -> nesting depth; ids live only during the parse
        self.nodes = 0
        self.reads: list[Var] = []  # every Var in source order, so names resolve without a walk
        self.marks: list[int] = []  # len(reads) after each assignment

    # -- leaves --------------------------------------------------------------------------
    def number(self, tok: Token) -> Num:
        self._check_length(tok, "max_literal_length", "numeric literal")
        value = float(tok)
        if value == float("inf"):
            raise NumericError(f"the literal {escape_text(tok)} overflows float64 (largest is about 1.8e308)",
                               line=tok.line, column=tok.column)
        return self._count(Num(value, _span(tok)))

    def name(self, tok: Token) -> Var | Const:
        self._check_length(tok, "max_name_length", "name")
        if tok in CONSTANTS:
            node = Const(str(tok), _span(tok))
        else:
            node = _make_var(str(tok), _span(tok))
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
        args = tuple(arguments or ())
        row = FUNCTIONS.get(str(name))
        if row is None:
            raise self._unknown_function(name)
        if not row.accepts(len(args)):
            raise row.arity_error(len(args), source=self.source, line=name.line, column=name.column)
        return self._op(row.name, args, name, rpar)

    def arguments(self, *items):
        return [item for item in items if not isinstance(item, Token)]

    # -- statements ----------------------------------------------------------------------
    def assign(self, name: Token, expr) -> Assign:
        self._check_length(name, "max_name_length", "name")
        if name in CONSTANTS or name in FUNCTIONS:
            kind = "the constant" if name in CONSTANTS else "the function"
            raise ParseError(f"cannot assign to {name}: it is {kind} {name}", source=self.source,
                             line=name.line, column=name.column, hint="choose another name")
        self.marks.append(len(self.reads))
        return Assign(str(name), expr, _span(name, expr))

    def start(self, *statements) -> list:
        return [s if isinstance(s, Assign) else Assign(None, s, s.span) for s in statements]

    # -- helpers -------------------------------------------------------------------------
    def _op(self, rule: str, args: tuple, first, last) -> Op:
        node = _make_op(rule, args, _span(first, last))
        self.depth[id(node)] = _nest_depth(node, self.depth, self.limits)
        return self._count(node)

    def _count(self, node):
        self.nodes += 1
        _check_nodes(self.nodes, node, self.limits)
        return node

    def _check_length(self, tok: Token, limit: str, what: str) -> None:
        _check_length(str(tok), limit, what, self.limits, tok)

    def _unknown_function(self, name: Token) -> UnknownFunctionError:
        close = difflib.get_close_matches(str(name), sorted(FUNCTIONS), n=3, cutoff=0.6)
        close.sort(key=lambda c: sorted(c) != sorted(str(name)))  # a transposition (tahn) first: tanh, not tan
        hint = (f"did you mean {close[0]}?" if close else f"known functions: {', '.join(sorted(FUNCTIONS))}")
        if not close:
            hint += f"; to multiply, write {name}*(...)"
        return UnknownFunctionError(f"unknown function {name}()", source=self.source, line=name.line,
                                    column=name.column, hint=hint)


_local = threading.local()


class NestingGuard:
    """Stops over-deep input while it is lexed, before the parser stacks it all up.

    LALR reduces ``- - - … x``, ``x^x^…^x`` and ``f(f(…))`` only at the innermost operand,
    so a million-token chain would sit on the parser's stack (seconds, ~280 MB) before
    ``max_depth`` fires. Each count below is a lower bound on the parse's nesting: a run of
    k signs holds at least k - 1 prefix signs (a ``+`` sign nests in the parse, though the
    AST drops it); k powers with no binary operator between them at one parenthesis level
    nest right; k open call parentheses nest calls. Plain parentheses add no depth.
    """

    _NODES = {"NAME", "NUMBER", "TIMES", "SLASH", "POW", "MINUS"}
    _BREAKS_POWER = {"PLUS", "MINUS", "TIMES", "SLASH", "COMMA", "_SEP", "EQUAL"}
    _PREFIX_BEFORE = {"POW", "PLUS", "MINUS", "TIMES", "SLASH", "LPAR", "COMMA", "_SEP", "EQUAL", None}

    def begin(self, limits: Limits) -> None:
        self.limits, self.prev = limits, None
        self.tokens = self.nodes = self.statements = 0
        self.sign_run = 0
        self.powers = [0]       # per open parenthesis: powers chained at that level
        self.calls: list[bool] = []  # per open parenthesis: is it a call's?
        self.call_depth = 0

    def __call__(self, tok: Token) -> Token:
        kind, limits = tok.type, self.limits
        # Size limits, counted as the lexer goes so that no tree is built past them. The node
        # count is exact: every name and number is a node (except an assignment's target,
        # which the '=' takes back), and so is every operator but a unary plus.
        self.tokens += 1
        if self.tokens > limits.max_tokens:
            raise LimitError(f"program has more than {limits.max_tokens} tokens", limit="max_tokens",
                             value=limits.max_tokens, line=tok.line, column=tok.column)
        if kind in self._NODES or (kind == "PLUS" and self.prev not in self._PREFIX_BEFORE):
            self.nodes += 1
            _check_nodes(self.nodes, tok, limits)
        elif kind == "EQUAL":
            self.nodes -= 1
        elif kind == "_SEP" and self.prev not in (None, "_SEP"):
            self.statements += 1
            if self.statements > limits.max_statements:
                raise LimitError(f"program has more than {limits.max_statements} statements",
                                 limit="max_statements", value=limits.max_statements, line=tok.line,
                                 column=tok.column)
        self.sign_run = self.sign_run + 1 if kind in ("MINUS", "PLUS") else 0
        if kind == "POW":
            self.powers[-1] += 1
        elif kind in self._BREAKS_POWER and self.prev not in self._PREFIX_BEFORE:
            self.powers[-1] = 0  # a binary operator ends the chain
        elif kind == "LPAR":
            self.calls.append(self.prev == "NAME")
            self.call_depth += self.calls[-1]
            self.powers.append(0)
        elif kind == "RPAR" and self.calls:
            self.call_depth -= self.calls.pop()
            self.powers.pop()
        if max(self.sign_run - 1, self.powers[-1], self.call_depth) > self.limits.max_depth:
            raise LimitError(f"expression nested more than {self.limits.max_depth} deep", limit="max_depth",
                             value=self.limits.max_depth, line=tok.line, column=tok.column)
        self.prev = kind
        return tok


def _parser() -> tuple[lark.Lark, ToAst, NestingGuard]:
    """One parser per thread, built on first use: the transformer and guard hold per-parse state."""
    cached = getattr(_local, "parser", None)
    if cached is None:
        transformer, guard = ToAst(), NestingGuard()
        grammar = grammar_path().read_text(encoding="utf-8")
        callbacks = {name: guard for name in ("NAME", "NUMBER", "POW", "PLUS", "MINUS", "TIMES", "SLASH",
                                              "LPAR", "RPAR", "COMMA", "_SEP", "EQUAL")}
        lark_parser = lark.Lark(grammar, parser="lalr", transformer=transformer, lexer_callbacks=callbacks)
        cached = _local.parser = (lark_parser, transformer, guard)
    return cached


def _nest_depth(node: Op, depth: dict[int, int], limits: Limits) -> int:
    """Depth of ``node`` from its arguments' depths (keyed by id, only while one walk runs)."""
    group, depth_of, d = _FLAT.get(node.rule), depth.get, 0
    for a in node.args:  # a flat chain (x + y - z) keeps one level, as SymPy flattens it
        k = depth_of(id(a), 1) - (group is not None and _FLAT.get(getattr(a, "rule", "")) == group)
        d = k if k > d else d
    d += 1
    if d > limits.max_depth:
        span = node.span
        raise LimitError(f"expression nested more than {limits.max_depth} deep", limit="max_depth",
                         value=limits.max_depth, line=span and span.line, column=span and span.column)
    return d


def _check_nodes(count: int, node, limits: Limits) -> None:
    if count > limits.max_nodes:
        span = node if isinstance(node, Token) else node.span
        raise LimitError(f"program has more than {limits.max_nodes} nodes", limit="max_nodes",
                         value=limits.max_nodes, line=span and span.line, column=span and span.column)


def _check_length(text: str, limit: str, what: str, limits: Limits, where=None) -> None:
    cap = getattr(limits, limit)
    if len(text) > cap:
        raise LimitError(f"{what} {escape_text(text, 20)} is {len(text)} characters long", limit=limit,
                         value=cap, line=getattr(where, "line", None), column=getattr(where, "column", None))


def _check_statements(count: int, limits: Limits) -> None:
    if count > limits.max_statements:
        raise LimitError(f"program has {count} statements", limit="max_statements", value=limits.max_statements)


def check_limits(program: Program, limits: Limits) -> Program:
    """Hold a Program that did not come from ``parse`` with these limits to them. Iterative."""
    if program.limits is not None and limits.allows(program.limits):
        return program  # parsed under limits at least this strict
    _check_statements(len(program.statements), limits)
    depth: dict[int, int] = {}
    count = 0
    for stmt in program.statements:
        if stmt.name is not None:
            _check_length(stmt.name, "max_name_length", "name", limits, stmt.span)
        for node in postorder(stmt.expr):
            count += 1
            _check_nodes(count, node, limits)
            if isinstance(node, Op):
                if node.rule not in RULES or not RULES[node.rule].accepts(len(node.args)):
                    raise InputError(f"the AST holds an unknown operation {node.rule!r:.40}",
                                     hint="build programs with symgrad.parse")
                depth[id(node)] = _nest_depth(node, depth, limits)
            elif isinstance(node, (Var, Const)):
                _check_length(node.name, "max_name_length", "name", limits, node.span)
    return program


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
    parser, transformer, guard = _parser()
    transformer.begin(text, limits)
    guard.begin(limits)
    try:
        statements = parser.parse(text)
    except lark.exceptions.UnexpectedInput as err:
        raise _translate(err, text) from None
    except lark.exceptions.VisitError as err:  # defensive: inline callbacks normally raise directly
        if isinstance(err.orig_exc, SymgradError):
            raise err.orig_exc from None
        raise
    finally:
        found, marks = transformer.reads, [0] + transformer.marks + [len(transformer.reads)]
        transformer.depth, transformer.reads, transformer.marks = {}, [], []
    if not statements:
        line, column = _end_position(text)
        what = "" if not text.strip() else " (it holds only comments, blank lines or separators)"
        raise ParseError(f"the program is empty{what}", source=text, line=line, column=column,
                         hint="write an expression such as x*y + 1")
    _check_statements(len(statements), limits)
    reads = [found[a:b] for a, b in zip(marks, marks[1:])]  # per statement; a bare one is last
    return Program(tuple(statements), _resolve(statements, text, reads), text, limits)


def _resolve(statements: list[Assign], source: str, reads: list[list[Var]] | None = None) -> tuple[str, ...]:
    """Check the naming rules; return the inputs in first-appearance order."""
    assigned: dict[str, Assign] = {}
    for i, stmt in enumerate(statements):
        if stmt.name is None and i != len(statements) - 1:
            raise ParseError("this expression's value is never used", source=source, line=stmt.span.line,
                             column=stmt.span.column, hint="assign it to a name (t = ...) or delete it")
        if stmt.name is not None:
            if stmt.name in assigned:
                first = assigned[stmt.name].span
                raise DuplicateAssignmentError(
                    f"{stmt.name} is assigned twice (first on line {first.line})", source=source,
                    line=stmt.span.line, column=stmt.span.column,
                    hint=f"a name is assigned once; give this one a new name such as {stmt.name}2")
            assigned[stmt.name] = stmt
    inputs: dict[str, None] = {}
    defined: set[str] = set()
    if reads is None:
        reads = [[n for n in postorder(stmt.expr) if isinstance(n, Var)] for stmt in statements]
    for stmt, read in zip(statements, reads):
        for node in read:
            if node.name not in defined:
                if node.name in assigned:
                    later = assigned[node.name].span
                    raise UnboundNameError(
                        f"{node.name} is read before it is assigned (on line {later.line})", source=source,
                        line=node.span.line, column=node.span.column,
                        hint="move the assignment above its first use, or use a new name")
                inputs.setdefault(node.name)
        if stmt.name is not None:
            defined.add(stmt.name)
    return tuple(inputs)


def _translate(err: lark.exceptions.UnexpectedInput, source: str) -> ParseError:
    line, column = err.line, err.column
    if isinstance(err, lark.exceptions.UnexpectedCharacters):
        ch = source[err.pos_in_stream] if 0 <= err.pos_in_stream < len(source) else ""
        return ParseError(f"unexpected character {describe_char(ch)}", source=source, line=line,
                          column=column, hint=_char_hint(ch, source, err.pos_in_stream))
    if isinstance(err, lark.exceptions.UnexpectedToken):
        tok = err.token
        expected = tuple(sorted({_TOKEN_NAMES.get(t, t.lower()) for t in err.expected}))
        if tok.type == "$END":
            line, column = _end_position(source)
            what = "end of the input"
        else:
            kind = {"NAME": "name ", "NUMBER": "number "}.get(tok.type, "")
            what = "new line" if tok == "\n" else f"{kind}'{escape_text(str(tok), 20)}'"
        hint = _token_hint(tok, source) or ("expected " + ", ".join(expected) if expected else None)
        return ParseError(f"unexpected {what}", source=source, line=line, column=column,
                          expected=expected, hint=hint)
    return ParseError(f"cannot parse: {err}", source=source, line=line, column=column)


def _end_position(source: str) -> tuple[int, int]:
    lines = source.split("\n")
    return len(lines), len(lines[-1]) + 1


def _char_hint(ch: str, source: str, pos: int) -> str:
    category = unicodedata.category(ch) if ch else ""
    if ch == "_":
        return "names start with an ASCII letter (no leading underscore)"
    if ch in "'\"`":
        return "strings are not part of the language"
    if ch in "[]{}":
        return "only round parentheses ( ) group expressions"
    if ch == "." and pos > 0 and (source[pos - 1].isalnum() or source[pos - 1] == ")"):
        return "attribute access is not supported; call functions as f(x)"
    if category == "Nd":
        return "write digits as ASCII 0-9"
    if category.startswith("L"):
        return "names use ASCII letters, digits and _ only; this letter is from another script"
    if category.startswith("C") or category == "Zs":
        return "remove the invisible or control character"
    return "operators are + - * / and ** or ^; see the language reference in the README"


def _token_hint(tok: Token, source: str) -> str | None:
    before = source[:tok.start_pos].rstrip(" \t")
    number = re.search(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$", before)
    if tok.type in ("NAME", "LPAR") and (number or before.endswith(")")):
        left = number.group(0) if number else "(…)"
        right = str(tok) if tok.type == "NAME" else "(…)"
        return f"write {left}*{right}: multiplication needs an explicit *"
    if tok.type in ("NAME", "NUMBER") and re.search(r"[A-Za-z0-9_]$", before):
        return "an operator is missing between two terms"
    if tok.type == "EQUAL":
        return "assign with name = expression, one assignment per statement"
    if tok.type == "$END":
        return "the expression is incomplete"
    return None
