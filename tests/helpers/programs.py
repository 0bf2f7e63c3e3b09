"""Random programs over the rule table (every row and operator, nesting and reuse), from a seed.

Used by tests/gradcheck/test_corpus.py (the three-way corpus) and tests/gradcheck/test_detection.py.
Nothing here names a row: each row's arguments are derived from the row itself (``guard``), so a
new row is in the corpus by being in the table.
"""

import functools
import itertools
import math
import random

from symgrad.rules.rule import inside
from symgrad.rules.table import CONDITIONS, RULES

_RADII = (1.0, 0.5, 0.25, 0.1)
_STEPS = 9   # probes per argument across a box, plus its 0 and ±1 (where domains end)


def _box_is_safe(row, center, radius) -> bool:
    """The row is defined, finite and with moderate slopes on a grid over the box ``center ±
    radius`` (constant arguments fixed), and at 0 and ±1 inside it (where domains end). A kink
    may cross the box (relu's, max's tie: both sides are exercised); the center is off it."""
    if row.kinked(*center):
        return False
    axes = []
    for i, c in enumerate(center):
        if i in row.constant:
            axes.append((c,))
            continue
        lo, hi = c - radius, c + radius
        grid = [lo + (hi - lo) * k / (_STEPS - 1) for k in range(_STEPS)]
        axes.append(tuple(grid) + tuple(v for v in (0.0, 1.0, -1.0) if lo <= v <= hi))
    for p in itertools.product(*axes):
        if row.domain is not None and not row.domain(*p):
            return False
        if row.kinked(*p):
            continue
        try:
            out = row.forward(*p)
            slopes = row.local(*p, out)
        except Exception:  # noqa: BLE001 -- a failure at a probe: not a safe box
            return False
        if not all(math.isfinite(v) and abs(v) < 1e6 for v in (out, *slopes)):
            return False
    return True


def guard(row) -> tuple[tuple[float, ...], float]:
    """(center, radius): a box inside the row's domain, with moderate values and slopes; each argument of the row in a program is center_i + radius·tanh(…) (a constant
    argument is center_i itself). Centers: the row's sample points, nearest the origin first."""
    n = row.arity + (1 if row.variadic else 0)
    points = [p for p in inside(row) if len(p) == row.arity]
    if row.variadic:
        points = [p + (p[-1] + 0.35,) for p in points]
    for center in sorted(points, key=lambda p: (max(map(abs, p)), p)):
        for radius in _RADII:
            if _box_is_safe(row, center, radius) and len(center) == n:
                return center, radius
    raise AssertionError(f"no box inside the domain of {row.name} among its sample points: give it samples=")


OPS = sorted(RULES)   # every row of the language; powc is a pow with a constant exponent
NUMBERS = [name for name in OPS if name not in CONDITIONS]   # a condition stands only as where's first argument


class Generator:
    """Random programs over the rule table. Each row's arguments are squashed into a box inside
    its domain (``guard``), so every program is defined at every point and nests without overflow."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def leaf(self, names: list[str]) -> str:
        if self.rng.random() < 0.2:
            return self.rng.choice(["2", "0.5", "3", "1.5", "pi"])
        return self.rng.choice(names)

    def condition(self, names: list[str], depth: int, op: str | None = None) -> str:
        """A condition row (a comparison, and, or, not) over numbers: where's first argument."""
        row = RULES[op or self.rng.choice(sorted(CONDITIONS))]
        if row.arity == 1:
            return f"({row.symbol}{self.condition(names, max(depth - 1, 0), 'gt')})"
        if row.name in ("and", "or"):
            return f"({self.condition(names, depth - 1, 'lt')} {row.symbol} {self.condition(names, depth - 1, 'ge')})"
        left, right = self.expr(names, max(depth - 1, 0)), self.expr(names, max(depth - 1, 0))
        if right == left:   # a value compared with itself ties everywhere: the switch corpus tests ties
            right = f"({left} + 0.5)"
        return f"({left} {row.symbol} {right})"

    def expr(self, names: list[str], depth: int, op: str | None = None) -> str:
        if op in CONDITIONS:     # a condition row enters a program as where's first argument
            return f"where({self.condition(names, depth, op)}, {self.expr(names, depth)}, {self.expr(names, depth)})"
        if depth == 0:
            return self.leaf(names)
        row = RULES[op or self.rng.choice(NUMBERS)]
        center, radius = guard(row)
        args = [self.condition(names, depth - 1) if a == "condition" else
                f"({c!r})" if i in row.constant else f"({c!r} + {radius!r}*tanh({self.expr(names, depth - 1)}))"
                for i, (c, a) in enumerate(zip(center, row.args))]
        if row.kind == "infix":
            return f"({args[0]} {row.symbol} {args[1]})"
        if row.kind == "prefix":
            return f"({row.symbol}{args[0]})"
        return f"{row.spelling}({', '.join(args)})"

    def program(self, i: int) -> str:
        inputs = [f"x{k}" for k in range(self.rng.randint(1, 3))]
        first = OPS[i % len(OPS)]                   # cycle through every row
        if i % 3 == 0:
            text = self.expr(inputs, self.rng.randint(1, 3), first)
            if first not in CONDITIONS and set(range(RULES[first].arity)) <= set(RULES[first].constant):
                text = f"{text}*{inputs[0]}"   # every argument a constant (stop_gradient): read an input beside it
            return text
        # Reuse: named intermediates read several times, and by later statements.
        lines, names = [], list(inputs)
        for k in range(self.rng.randint(1, 3)):
            name = f"t{k}"
            lines.append(f"{name} = {self.expr(names, self.rng.randint(1, 2), first if k == 0 else None)}")
            names.append(name)
        last = names[-1]
        lines.append(f"out = {last}*{self.rng.choice(names)} + {self.expr(names, 1)} - {last}")
        return "\n".join(lines)


CORPUS_SIZE = 120
CORPUS_SEED = 20261122


def programs(n: int, seed: int = 20261130) -> list[str]:
    """``n`` generated programs, each with an input (a draw whose leaves all came out constant is
    drawn again); used by the detection test and ``bench/check_bench.py``."""
    import symgrad as sg
    gen, out = Generator(seed), []
    for i in range(n):
        text = gen.program(i)
        while not sg.parse(text).inputs:
            text = gen.program(i)
        out.append(text)
    return out


@functools.cache
def corpus(size: int = CORPUS_SIZE, seed: int = CORPUS_SEED) -> tuple[str, ...]:
    """The truth corpus: ``size`` seeded programs cycling through every row, each with an input."""
    return tuple(programs(size, seed))


_MP_ROWS: dict = {}


def _mp_row(name: str, n: int):
    """A row's SymPy form (fresh symbols: a few nodes) as an mpmath function, made once."""
    import sympy as sp
    key = (name, n)
    if key not in _MP_ROWS:
        syms = sp.symbols(f"u0:{n}", real=True)
        _MP_ROWS[key] = sp.lambdify(syms, RULES[name].sympy(sp, *syms), "mpmath")
    return _MP_ROWS[key]


# Conditions and where, written out: a comparison is 1 or 0; where reads only its taken branch.
_CONDITIONS = {"lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b,
               "ge": lambda a, b: a >= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
               "and": lambda p, q: bool(p) and bool(q), "or": lambda p, q: bool(p) or bool(q),
               "not": lambda p: not p}


def mpmath_program(text: str, point: dict | None = None):
    """(f, input names): the program's output as an mpmath function of its inputs, row by row from
    each row's SymPy form (not symgrad's float code, nor its ball arithmetic), for mpmath.diff.
    ``stop_gradient(e)`` is e frozen at ``point`` (its meaning: a constant to differentiation)."""
    import mpmath
    import symgrad as sg
    from symgrad.language.ast import Const, Num, Var, postorder
    prog = sg.parse(text)
    frozen: dict[int, object] = {}

    def f(*xs, record: bool = False):
        env = dict(zip(prog.inputs, xs))
        out = None
        for stmt in prog.statements:
            stack = []
            for node in postorder(stmt.expr):
                if isinstance(node, Num):
                    stack.append(mpmath.mpf(node.value))
                elif isinstance(node, Const):
                    stack.append(mpmath.mpf(math.pi))     # the float64 π the program computes with
                elif isinstance(node, Var):
                    stack.append(env[node.name])
                else:
                    n = len(node.args)
                    args, stack[-n:] = stack[-n:], []
                    if node.rule in _CONDITIONS:
                        stack.append(mpmath.mpf(1 if _CONDITIONS[node.rule](*args) else 0))
                    elif node.rule == "where":
                        stack.append(args[1] if args[0] else args[2])
                    elif node.rule == "stop_gradient":
                        if record:
                            frozen[id(node)] = args[0]
                        stack.append(frozen.get(id(node), args[0]))
                    else:
                        stack.append(_mp_row(node.rule, n)(*args))
            out = stack[0]
            if stmt.name is not None:
                env[stmt.name] = out
        return out
    if point is not None:
        with mpmath.workdps(50):
            f(*[mpmath.mpf(point[n]) for n in prog.inputs], record=True)
    return f, list(prog.inputs)


_TORCH_OPS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
              "div": lambda a, b: a / b, "neg": lambda a: -a, "pow": lambda a, b: a ** b,
              "powc": lambda a, b: a ** b,
              **{name: (lambda c: lambda *a: c(*a) * 1.0)(c) for name, c in _CONDITIONS.items()
                 if name not in ("and", "or", "not")},
              "and": lambda p, q: ((p != 0) & (q != 0)) * 1.0, "or": lambda p, q: ((p != 0) | (q != 0)) * 1.0,
              "not": lambda p: (p == 0) * 1.0}


# torch takes these parameters only as Python floats (no gradient through them): written in torch's ops
_TORCH_PARAMETRIC = {
    "elu": lambda torch, x, a: torch.where(x > 0, x, a * torch.expm1(x)),
    "leaky_relu": lambda torch, x, a: torch.where(x > 0, x, a * x),
    "softplus_beta": lambda torch, x, b, t: torch.where(b * x > t, x, torch.log1p(torch.exp(b * x)) / b),
}


def torch_program(torch, text: str):
    """(f, input names): the program's output as a function of one float64 tensor of its inputs,
    row by row in PyTorch's own operations (helpers.torch_names), for torch.func transforms."""
    from helpers.torch_names import torch_function
    import symgrad as sg
    from symgrad.language.ast import Const, Num, Var, postorder
    prog = sg.parse(text)

    def call(name: str, args: list):
        if name in _TORCH_OPS:
            return _TORCH_OPS[name](*args)
        fn = torch_function(torch, name)
        if RULES[name].variadic:
            return fn(torch.stack(args), dim=0)
        if name in _TORCH_PARAMETRIC and len(args) > 1:
            return _TORCH_PARAMETRIC[name](torch, *args)
        return fn(*args)

    def f(z):
        env = {name: z[i] for i, name in enumerate(prog.inputs)}
        out = None
        for stmt in prog.statements:
            stack = []
            for node in postorder(stmt.expr):
                if isinstance(node, Num):
                    stack.append(torch.tensor(node.value, dtype=torch.float64))
                elif isinstance(node, Const):
                    stack.append(torch.tensor(math.pi, dtype=torch.float64))
                elif isinstance(node, Var):
                    stack.append(env[node.name])
                else:
                    n = len(node.args)
                    args, stack[-n:] = stack[-n:], []
                    stack.append(call(node.rule, args))
            out = stack[0]
            if stmt.name is not None:
                env[stmt.name] = out
        return out
    return f, list(prog.inputs)
