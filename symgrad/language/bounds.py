"""The parser's limits (``symgrad.Limits``): checked while the text is lexed and as nodes are built.

``NestingGuard`` runs on every token, before the LALR parser stacks anything up (tokens, nodes,
statements, a lower bound on the nesting). ``nest_depth``, ``check_nodes`` and ``check_length``
are what ``language.parser.ToAst`` calls as it reduces; ``check_limits`` holds a Program that did not
come from ``parse`` to the same limits, with an iterative walk. Every failure is a LimitError
naming the limit and the position.
"""

from __future__ import annotations

from lark import Token

from .ast import Const, Node, Op, Program, Var, postorder
from ..base.errors import InputError, LimitError, escape_text
from ..base.limits import Limits
from ..rules.table import RULES
from ..rules.tensor_signatures import OPERATIONS as TENSOR_OPERATIONS

__all__ = ["NestingGuard", "nest_depth", "too_deep", "check_nodes", "check_length", "check_statements", "check_limits"]

_FLAT = {"add": "sum", "sub": "sum", "mul": "product", "div": "product"}  # SymPy flattens these chains


class NestingGuard:
    """Stops over-deep input while it is lexed, before the parser stacks it all up.

    LALR reduces ``- - - … x``, ``x^x^…^x`` and ``f(f(…))`` only at the innermost operand,
    so a million-token chain would sit on the parser's stack (seconds, ~280 MB) before
    ``max_depth`` fires. Each count below is a lower bound on the parse's nesting: a run of
    k signs holds at least k - 1 prefix signs (a ``+`` sign nests in the parse, though the
    AST drops it); k powers with no binary operator between them at one parenthesis level
    nest right; k open call parentheses nest calls. Plain parentheses add no depth.
    """

    _NODES = {"NAME", "NUMBER", "TIMES", "SLASH", "POW", "MINUS", "AT", "COMPARE", "AND", "OR", "NOT"}
    _BREAKS_POWER = {"PLUS", "MINUS", "TIMES", "SLASH", "COMMA", "_SEP", "EQUAL", "AT"}
    _PREFIX_BEFORE = {"POW", "PLUS", "MINUS", "TIMES", "SLASH", "LPAR", "COMMA", "_SEP", "EQUAL", "AT", "LSQB",
                      None}

    def begin(self, limits: Limits) -> None:
        self.limits, self.prev = limits, None
        self.max_tokens, self.max_nodes, self.max_depth = limits.max_tokens, limits.max_nodes, limits.max_depth
        self.tokens = self.nodes = self.statements = 0
        self.sign_run = 0
        self.powers = [0]       # per open parenthesis: powers chained at that level
        self.calls: list[bool] = []  # per open parenthesis: is it a call's?
        self.call_depth = 0

    def __call__(self, tok: Token) -> Token:
        kind, prev, limits = tok.type, self.prev, self.limits
        # Size limits, counted as the lexer goes so that no tree is built past them. The node
        # count is exact: every name and number is a node (except an assignment's target,
        # which the '=' takes back), and so is every operator but a unary plus.
        self.tokens += 1
        if self.tokens > self.max_tokens:
            raise LimitError(f"program has more than {limits.max_tokens} tokens", limit="max_tokens",
                             value=limits.max_tokens, line=tok.line, column=tok.column)
        if kind in self._NODES or (kind == "PLUS" and prev not in self._PREFIX_BEFORE):
            self.nodes += 1
            if self.nodes > self.max_nodes:
                check_nodes(self.nodes, tok, limits)
        elif kind == "EQUAL":
            self.nodes -= 1
        elif kind == "_SEP" and prev not in (None, "_SEP"):
            self.statements += 1
            if self.statements > limits.max_statements:
                raise LimitError(f"program has more than {limits.max_statements} statements",
                                 limit="max_statements", value=limits.max_statements, line=tok.line,
                                 column=tok.column)
        # The three nesting counts start at 0 and grow by one at a token at most, so only the one
        # this token raised can pass max_depth.
        if kind == "MINUS" or kind == "PLUS" or kind == "NOT":
            self.sign_run += 1
            deeper = self.sign_run - 1
        else:
            self.sign_run = deeper = 0
        if kind == "POW":
            self.powers[-1] += 1
            deeper = self.powers[-1]
        elif kind in self._BREAKS_POWER and prev not in self._PREFIX_BEFORE:
            self.powers[-1] = 0  # a binary operator ends the chain
        elif kind == "LPAR":
            self.calls.append(prev == "NAME")
            self.call_depth += self.calls[-1]
            self.powers.append(0)
            deeper = self.call_depth
        elif kind == "RPAR" and self.calls:
            self.call_depth -= self.calls.pop()
            self.powers.pop()
        if deeper > self.max_depth:
            raise too_deep(limits, tok.line, tok.column)
        self.prev = kind
        return tok


def nest_depth(node: Op, depth: dict[int, int], limits: Limits) -> int:
    """Depth of ``node`` from its arguments' depths (keyed by id, only while one walk runs)."""
    group, depth_of, d = _FLAT.get(node.rule), depth.get, 0
    for a in node.args:  # a flat chain (x + y - z) keeps one level, as SymPy flattens it
        k = depth_of(id(a), 1)
        if group is not None and isinstance(a, Op) and _FLAT.get(a.rule) == group:
            k -= 1
        d = k if k > d else d
    d += 1
    if d > limits.max_depth:
        span = node.span
        raise too_deep(limits, span and span.line, span and span.column)
    return d


def too_deep(limits: Limits, line: int | None, column: int | None) -> LimitError:
    """The one max_depth error, whether the lexer's guard or a built node finds it."""
    return LimitError(f"expression nested more than {limits.max_depth} deep", limit="max_depth",
                      value=limits.max_depth, line=line, column=column)


def check_nodes(count: int, node, limits: Limits) -> None:
    if count > limits.max_nodes:
        span = node.span if isinstance(node, Node) else node  # a node, or a token as it is lexed
        raise LimitError(f"program has more than {limits.max_nodes} nodes", limit="max_nodes",
                         value=limits.max_nodes, line=span and span.line, column=span and span.column)


def check_length(text: str, limit: str, what: str, limits: Limits, where=None) -> None:
    cap = getattr(limits, limit)
    if len(text) > cap:
        raise LimitError(f"{what} {escape_text(text, 20)} is {len(text)} characters long", limit=limit,
                         value=cap, line=getattr(where, "line", None), column=getattr(where, "column", None))


def check_statements(count: int, limits: Limits) -> None:
    if count > limits.max_statements:
        raise LimitError(f"program has {count} statements", limit="max_statements", value=limits.max_statements)


def check_limits(program: Program, limits: Limits) -> Program:
    """Hold a Program that did not come from ``parse`` with these limits to them. Iterative."""
    if program.limits is not None and limits.allows(program.limits):
        return program  # parsed under limits at least this strict
    check_statements(len(program.statements), limits)
    depth: dict[int, int] = {}
    count = 0
    for stmt in program.statements:
        if stmt.name is not None:
            check_length(stmt.name, "max_name_length", "name", limits, stmt.span)
        for node in postorder(stmt.expr):
            count += 1
            check_nodes(count, node, limits)
            if isinstance(node, Op):
                if node.rule in TENSOR_OPERATIONS or node.rule == "shape":
                    pass                    # a tensor form: its arguments were read by its signature
                elif node.rule not in RULES or not RULES[node.rule].accepts(len(node.args)) \
                        or len(node.args) < RULES[node.rule].arity:      # the parser fills in defaults
                    raise InputError(f"the AST holds an unknown operation {node.rule!r:.40}",
                                     hint="build programs with symgrad.parse")
                depth[id(node)] = nest_depth(node, depth, limits)
            elif isinstance(node, (Var, Const)):
                check_length(node.name, "max_name_length", "name", limits, node.span)
    return program
