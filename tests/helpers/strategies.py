"""Generators for fuzzing symgrad: grammar-generated text, mutated programs, and valid
programs with in-domain points. Shared by tests/language/test_fuzz.py (through Hypothesis)
and scripts/fuzz.py (through a seeded random.Random, for 100,000+ inputs).

Every generator takes a *source* of choices, so one generator serves both drivers.
"""

from __future__ import annotations

import functools
import math
import random

import lark
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import symgrad as sg
from symgrad.language.parser import grammar_path
from symgrad.rules.table import FUNCTIONS

NAMES = ("x", "y", "w1", "b", "e", "L", "pi", "q_2") + tuple(sorted(FUNCTIONS))
SEPARATORS = (";", "\n", " ; ", "\n\n")
WHITESPACE = (" ", "\t", "  ", "\r", "\f")
COMMENTS = ("# note", "#", "# x = 1; y", "#\u00e9\u202e\x00")
EXOTIC = "\x00\u202e\u200d\u200b\ufeff\u0445\uff11\u0663\u2212\u00a0\ud800\U0001f600\r\t\n;#()*^_.'\"[]{}=,-+/e"


# --- sources of choices ------------------------------------------------------------------

class RandomSource:
    """Choices from a seeded random.Random (scripts/fuzz.py)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, options):
        return options[self.rng.randrange(len(options))]

    def char(self) -> str:
        if self.rng.random() < 0.5:
            return self.choice(EXOTIC)
        return chr(self.rng.choice([self.rng.randrange(0x20, 0x7f), self.rng.randrange(0x110000)]))


class DrawSource:
    """Choices from Hypothesis's ``draw`` (tests), so failures shrink."""

    def __init__(self, draw) -> None:
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def choice(self, options):
        return options[self.draw(st.integers(0, len(options) - 1))]

    def char(self) -> str:
        return self.draw(st.one_of(st.sampled_from(EXOTIC), st.characters()))


# --- terminals -----------------------------------------------------------------------------

def _name(src) -> str:
    if src.integer(0, 3):
        return src.choice(NAMES)
    alphabet = "abcxyzABZ019_"
    return src.choice("aZxq") + "".join(src.choice(alphabet) for _ in range(src.integer(0, 6)))


def _number(src) -> str:
    digits = lambda n: "".join(src.choice("0123456789") for _ in range(n))  # noqa: E731
    body = src.choice([lambda: digits(src.integer(1, 4)), lambda: digits(src.integer(1, 3)) + ".",
                       lambda: digits(src.integer(1, 3)) + "." + digits(src.integer(1, 3)),
                       lambda: "." + digits(src.integer(1, 3))])()
    if not src.integer(0, 3):
        body += src.choice("eE") + src.choice(["", "+", "-"]) + digits(src.integer(1, 3))
    return body


_TERMINALS = {
    "NAME": _name,
    "NUMBER": _number,
    "_SEP": lambda src: src.choice(SEPARATORS),
    "POW": lambda src: src.choice(["**", "^"]),
    "COMPARE": lambda src: src.choice(["<", "<=", ">", ">=", "==", "!="]),
    "AND": lambda src: "and",       # keywords are patterns (they end where a name would)
    "OR": lambda src: "or",
    "NOT": lambda src: "not",
}


class _Grammar:
    """The compiled rules of grammar/symgrad.lark, for depth-bounded generation.

    ``from_lark`` expands recursive rules without a bound, so most of its attempts overrun
    and are retried (about 0.3 s per program here). This walks the same rules, but past
    ``max_depth`` takes an expansion that closes soonest.
    """

    def __init__(self) -> None:
        self.lark = lark.Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr")
        terminals, rules, _ = self.lark.grammar.compile(["start"], ())
        self.literals = {t.name: t.pattern.value for t in terminals if t.pattern.type == "str"}
        self.rules: dict[str, list[tuple[str, ...]]] = {}
        for r in rules:
            self.rules.setdefault(str(r.origin.name), []).append(tuple(str(s.name) for s in r.expansion))
        height = {name: math.inf for name in self.rules}
        changed = True
        while changed:  # fixpoint: the least height at which each rule can close
            changed = False
            for name, expansions in self.rules.items():
                best = min(self._height(e, height) for e in expansions)
                if best < height[name]:
                    height[name], changed = best, True
        self.short = {name: [e for e in exps if self._height(e, height) == height[name]]
                      for name, exps in self.rules.items()}

    @staticmethod
    def _height(expansion, height) -> float:
        return 1 + max((height.get(s, 0) for s in expansion), default=0)


@functools.lru_cache(maxsize=None)
def _grammar() -> _Grammar:
    return _Grammar()


def grammar_text(src, max_depth: int = 9) -> str:
    """A program from the grammar's rules (iterative expansion, nesting capped)."""
    g = _grammar()
    out: list[str] = []
    stack: list[tuple[str, int]] = [("start", 0)]
    while stack:
        symbol, depth = stack.pop()
        if symbol in g.rules:
            expansion = src.choice(g.rules[symbol] if depth < max_depth else g.short[symbol])
            stack.extend((s, depth + 1) for s in reversed(expansion))
            continue
        out.append(_TERMINALS[symbol](src) if symbol in _TERMINALS else g.literals[symbol])
        if not src.integer(0, 7):  # ignored whitespace; a comment only where a line ends
            out.append(src.choice(WHITESPACE))
        if symbol == "_SEP" and not src.integer(0, 5):
            out.append(src.choice(COMMENTS) + "\n")
    return "".join(out)


SEEDS = (
    "e = a*b; d = e + c; L = d*f",
    "tanh(x1*w1 + x2*w2 + b)",
    "n = x1*w1 + x2*w2 + b\ne = exp(2*n)\no = (e - 1)/(e + 1)",
    "-x^2 + 2^3^2 - sigmoid(-y) / softplus(z)",
    "a = sqrt(abs(x) + 1) # comment\nb = log(a) ** 0.5\nrelu(b - cos(sin(a)))",
    "x0 = w\nx1 = x0 + x0\nx2 = x1 + x1",
    "1e-3*x + .5 - 2.5E+4/y",
    "(((x)))*(-(-y))",
)


def mutate(src, text: str) -> str:
    """A few edits: delete, duplicate, swap, insert exotic characters, or repeat a piece."""
    chars = list(text)
    for _ in range(src.integer(1, 4)):
        op = src.choice(["delete", "duplicate", "swap", "insert", "repeat"])
        i = src.integer(0, max(len(chars) - 1, 0))
        if op == "insert" or not chars:
            chars[i:i] = [src.char() for _ in range(src.integer(1, 3))]
        elif op == "delete":
            del chars[i:i + src.integer(1, 3)]
        elif op == "duplicate":
            chars[i:i] = chars[i:i + src.integer(1, 8)]
        elif op == "swap":
            j = src.integer(0, len(chars) - 1)
            chars[i], chars[j] = chars[j], chars[i]
        else:  # a piece repeated many times: deep or long input
            chars[i:i] = chars[i:i + src.integer(1, 3)] * src.integer(2, 300)
    return "".join(chars)


def mutated_text(src) -> str:
    return mutate(src, src.choice(SEEDS) if src.integer(0, 1) else grammar_text(src))


# --- valid programs: expressions over x, y, z with every function of the rule table -----

def expression(src, budget: int = 8) -> str:
    """A random expression with at most ``budget`` leaves, built without recursion."""
    leaves = src.integer(1, budget)
    parts = [src.choice(["x", "y", "z", "pi", "0.5", "2", "3", "1.5", "1e-1", ".25"]) for _ in range(leaves)]
    while len(parts) > 1 or src.integer(0, 2) == 2:  # choice 0 always leads to the end (shrinks)
        kind = src.integer(0, 3) if len(parts) > 1 else src.integer(2, 3)
        if kind <= 1:  # join two neighbours with an operator
            i = src.integer(0, len(parts) - 2)
            parts[i:i + 2] = [f"({parts[i]} {src.choice(['+', '-', '*', '/', '^'])} {parts[i + 1]})"]
        elif kind == 2:
            i = src.integer(0, len(parts) - 1)
            fn = src.choice(sorted(FUNCTIONS))
            # as many arguments as its row takes; one it names "condition" (where's) is a comparison
            args = [f"{parts[i]} {src.choice(['<', '>=', '!='])} 0.5" if a == "condition" else parts[i]
                    for a in FUNCTIONS[fn].args[:FUNCTIONS[fn].arity]]
            parts[i] = f"{fn}({', '.join(args)})"
        else:
            i = src.integer(0, len(parts) - 1)
            parts[i] = f"-{parts[i]}"
        if len(parts) == 1 and not src.integer(0, 1):
            break
    return parts[0]


def valid_program(src) -> str:
    """One to three statements; later ones may read earlier names."""
    lines = []
    for i in range(src.integer(0, 2)):
        expr = expression(src)  # may be a bare alias (t0 = x): it gets its own node
        lines.append(f"t{i} = " + (f"t{i - 1} * {expr}" if i and src.integer(0, 1) else expr))
    last = expression(src)
    return "\n".join(lines + [f"t{len(lines) - 1} + {last}" if lines else last])


def point_for(src, program: sg.Program) -> dict[str, float]:
    values = {}
    for name in program.inputs:
        v = src.integer(-3000, 3000) / 1000.0
        values[name] = v if abs(v) > 1e-3 else 0.5
    return values


def _stops_gradients(row) -> bool:
    """A row whose gradient is not its derivative by design: its value moves with an argument
    that takes no gradient (stop_gradient), so finite differences judge nothing there."""
    from symgrad.rules.rule import inside
    return any(d == 0.0 and row.forward(*p[:i], p[i] + 0.125, *p[i + 1:]) != row.forward(*p)
               for p in inside(row)[:3] for i, d in enumerate(row.local(*p, row.forward(*p))))


_STOPS = {name for name, row in FUNCTIONS.items() if _stops_gradients(row)}


def finite_difference_agrees(program: sg.Program, point: dict, result) -> bool | None:
    """Central differences at two steps. None when the two disagree with each other (a kink,
    a pole or cancellation nearby: nothing to judge), or where a row stops gradients; else
    whether backprop matches them."""
    if any(name in program.source for name in _STOPS):
        return None
    def f(name, delta):
        try:
            return sg.backprop(program, dict(point, **{name: point[name] + delta})).value
        except sg.SymgradError:
            return None

    for name in program.inputs:
        h = 1e-5 * max(1.0, abs(point[name]))
        estimates = []
        for step in (h, h / 4):
            up, down = f(name, step), f(name, -step)
            if up is None or down is None:
                return None
            estimates.append((up - down) / (2 * step))
        coarse, fine = estimates
        noise = 1e-9 * max(1.0, abs(result.value)) / h  # rounding in f, amplified by 1/h
        if not math.isclose(coarse, fine, rel_tol=1e-4, abs_tol=noise):
            return None
        if not math.isclose(result.grads[name], fine, rel_tol=1e-4, abs_tol=noise):
            return False
    return True


# --- Hypothesis strategies ---------------------------------------------------------------

def lark_programs() -> st.SearchStrategy[str]:
    """``hypothesis.extra.lark.from_lark`` over grammar/symgrad.lark, with short terminals."""
    draw_terminal = lambda f: st.composite(lambda draw: f(DrawSource(draw)))()  # noqa: E731
    explicit = {"NAME": draw_terminal(_name), "NUMBER": draw_terminal(_number),
                "_SEP": st.sampled_from(SEPARATORS), "WHITESPACE": st.sampled_from(WHITESPACE),
                # A comment runs to the end of the line; from_lark knows nothing of lines.
                "COMMENT": st.sampled_from(COMMENTS)}
    return from_lark(_grammar().lark, start="start", explicit=explicit)


def _strategy(generator):
    return st.composite(lambda draw: generator(DrawSource(draw)))()


grammar_programs = _strategy(grammar_text)
mutated_programs = _strategy(mutated_text)
valid_programs = _strategy(valid_program)
