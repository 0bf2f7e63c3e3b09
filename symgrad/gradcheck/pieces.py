"""The pieces a program's kinks and switches cut its domain into: points on each, for the claims judge.

A *switch* is a row whose SymPy form changes branch: ``Piecewise`` (relu, elu, leaky_relu),
``Max``/``Min`` (max, min), ``Abs``, ``sign``, ``Heaviside``, ``atan2``. Its *side* at a point is
the sign of each quantity that decides the branch (relu's x, max's a − b), read from the row's
form, so a new row with a ``Piecewise`` form is a switch with no table of its own. The *state*
of a point is whether the claim is defined there and the sides of every switch of the program
and of the claim: two points in different states are on different pieces.

``Pieces.points`` walks each input's axis both ways from the given point, at offsets 4ᵏ from
float64's smallest (2⁻¹⁰⁷⁴) to its largest, and bisects between two offsets whose states differ to
find the crossing: one point is kept for every new state met (``MAX_PIECE_POINTS`` in all), so a
kink at 1e-300 from the point and one at 1e300 are both crossed. The walk evaluates in float64
(the rows' own forwards); the claims judge then compares the claim there exactly.
``Pieces.switch_points`` finds the points *on* each of the claim's switches, which no walk
lands on by chance (``x == 3.5`` holds at one point; ``x*x > 0`` fails at one): the switch's
quantity, built in SymPy from the AST (the claim's literals as exact rationals), is solved
along each input's axis when it is a polynomial there (``MAX_SWITCH_DEGREE``); a switch that
cannot be solved so is named, and the judge says its points were not tried.
``Pieces.conditions`` says, in the program's names, which side of each crossed switch (or of a
domain edge of the claim) the given point is on: ``x < 5``, ``x > z - 10``.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Mapping

import sympy as sp
from flint import arb

from ..base.errors import SymgradError
from .balls import Form, Undefined, Undetermined, UnsupportedForm, known_sign, with_precision
from .dag import Lowered

__all__ = ["Pieces", "MAX_PIECE_POINTS"]

MAX_PIECE_POINTS = 12      # points kept on new pieces, over all axes
MAX_SCAN_INPUTS = 8        # axes walked (the first inputs that reach a switch)
MAX_CROSSINGS = 24         # bisections per axis and direction
MAX_SCAN_WORK = 200_000    # node evaluations (a switch's side counts 4) for the whole walk
OFFSETS = tuple(2.0 ** k for k in range(-1074, 1024, 2))   # 4ᵏ: every magnitude of float64
SIDE_BITS = 128
MAX_SWITCH_DEGREE = 8      # a switch solved exactly only as a polynomial of at most this degree

_SWITCHES: dict[tuple, tuple[Form, ...]] = {}


def _switch_exprs(form: sp.Basic) -> list[sp.Basic]:
    """The quantities whose signs pick the branch of a row's form."""
    out: list[sp.Basic] = []
    for node in sp.preorder_traversal(form):
        if isinstance(node, (sp.Max, sp.Min)):
            out += [a - b for a, b in combinations(node.args, 2)]
        elif isinstance(node, (sp.Abs, sp.sign, sp.Heaviside, sp.atan2)):
            out.append(node.args[0])
        elif isinstance(node, sp.Piecewise):
            out += [c.lhs - c.rhs for _, c in node.args if isinstance(c, sp.core.relational.Relational)]
    seen: list[sp.Basic] = []
    for e in out:
        if e.free_symbols and e not in seen and -e not in seen:
            seen.append(e)
    return seen


def _switches_of(low: Lowered, i: int) -> tuple[Form, ...]:
    forms = low.forms_of(i)
    if forms.key not in _SWITCHES:
        try:
            _SWITCHES[forms.key] = tuple(Form(e, forms.params) for e in _switch_exprs(forms.form))
        except UnsupportedForm:
            _SWITCHES[forms.key] = ()
    return _SWITCHES[forms.key]


class Pieces:
    """The switches of ``low`` (the program with the claim appended as its last statement;
    its first ``n_program`` nodes are the program's)."""

    def __init__(self, low: Lowered, n_program: int) -> None:
        self.low, self.n_program = low, n_program
        self.switches = [(i, f) for i in range(len(low.kind)) if low.kind[i] == "op"
                         for f in [_switches_of(low, i)] if f]
        self.inputs = {v: k for k, v in low.named.items() if low.kind[v] == "input"}
        self.cost = len(low.kind) + 4 * sum(len(f) for _, f in self.switches)   # one state's work
        self.spent = 0
        self.complete = True       # False: the walk stopped at MAX_SCAN_WORK, pieces may be missed

    def values(self, point: Mapping[str, float]) -> list[float | None] | None:
        """Every node's float64 value; for the claim's nodes None where it is out of its domain
        and inf beyond float64's range (a range is no piece: the exact references may still
        compare there); None (the whole list) where the program itself is not a number."""
        low, vals = self.low, []
        for i, kind in enumerate(low.kind):
            if kind == "input":
                v = float(point[self.inputs[i]])
            elif kind in ("literal", "pi"):
                v = low.literal[i]
            else:
                args = [vals[k] for k in low.kids[i]]
                v = None if None in args else math.inf if math.inf in args else _apply(low.rule[i], args)
            if i < self.n_program and (v is None or math.isinf(v)):
                return None
            vals.append(v)
        return vals

    def defined(self, point: Mapping[str, float]) -> bool:
        """Is the program a number at the point (in float64)?"""
        from .reference import LOCK
        with LOCK:
            return self.values(point) is not None

    def state(self, point: Mapping[str, float]) -> tuple | None:
        """(claim defined, sides of every switch) at the point; None outside the program's domain."""
        self.spent += self.cost
        vals = self.values(point)
        if vals is None:
            return None
        return (vals[self.low.root] is not None, self._sides(vals))

    def _sides(self, vals: list) -> tuple:
        out = []
        with with_precision(SIDE_BITS):
            for i, forms in self.switches:
                args = [vals[k] for k in self.low.kids[i]]
                for f in forms:
                    try:
                        out.append(None if None in args or math.inf in args else
                                   known_sign(f.run([arb(a) for a in args])))
                    except (Undefined, Undetermined):
                        out.append(None)
        return tuple(out)

    def points(self, point: Mapping[str, float]) -> list[dict[str, float]]:
        """Points on pieces other than the given point's, nearest first along each axis."""
        from .reference import LOCK
        with LOCK:                       # flint's precision is process-wide
            start = self.state(point)
            return [] if start is None else self._points(point, start)

    def _points(self, point: Mapping[str, float], start: tuple) -> list[dict[str, float]]:
        seen, found = {start}, []
        reach = self._reaching()
        axes = [name for name in self.low.program.inputs if name in reach][:MAX_SCAN_INPUTS]
        # half the work for the grids (a coarser grid on a big program), half for the bisections
        per_ray = max(8, MAX_SCAN_WORK // (4 * max(len(axes), 1) * self.cost))
        self.grid = OFFSETS[::-(-len(OFFSETS) // per_ray)]
        for name in axes:
            for direction in (1.0, -1.0):
                for at, state in self._walk(point, name, direction, start):
                    if 0 not in state[1] and state not in seen and len(found) < MAX_PIECE_POINTS:
                        seen.add(state)
                        found.append(at)
        return found

    def _reaching(self) -> set[str]:
        """Inputs that reach a switch or the claim (whose domain edges are pieces too)."""
        low = self.low
        targets = {i for i, _ in self.switches} | {low.root}
        feeds: list[set[str]] = []
        for i, kind in enumerate(low.kind):
            feeds.append({self.inputs[i]} if kind == "input" else
                         set().union(*[feeds[k] for k in low.kids[i]]) if kind == "op" else set())
        return set().union(*[feeds[i] for i in targets])

    def _walk(self, point: Mapping[str, float], name: str, direction: float, start: tuple):
        x0 = float(point[name])

        def at(s: float) -> dict[str, float]:
            return {**point, name: x0 + direction * s}

        prev_s, prev = 0.0, start
        crossings = 0
        for s in self.grid:
            if self.spent > MAX_SCAN_WORK:
                self.complete = False
                return
            x = x0 + direction * s
            if x == x0:
                continue
            if not math.isfinite(x):
                break
            state = self.state(at(s))
            if state is None:
                continue
            while state != prev and crossings < MAX_CROSSINGS:
                if self.spent > MAX_SCAN_WORK:
                    self.complete = False
                    return
                crossings += 1
                lo, hi = prev_s, s          # prev holds at lo, not at hi: find the first state past lo
                for _ in range(64):
                    mid = lo + (hi - lo) / 2
                    if mid in (lo, hi):
                        break
                    st = self.state(at(mid))
                    if st == prev:
                        lo = mid
                    else:
                        hi = mid
                nxt = self.state(at(hi))
                if nxt is None or nxt == prev:
                    break
                yield at(s if state == nxt else hi), nxt
                prev_s, prev = hi, nxt
            prev_s, prev = s, state

    def switch_points(self, point: Mapping[str, float]) -> tuple[list[tuple[dict[str, float], str]], list[str]]:
        """Points exactly on the claim's switches, with the switch's text (``x == 3.5``), along each
        input's axis with the other inputs at ``point``; and the texts of the switches not solved
        (not a polynomial of degree at most ``MAX_SWITCH_DEGREE`` along an axis): their points were
        not tried. The claim's switches are those its value reads, the program's included."""
        from ..language.printing import to_notation
        low, found, unsolved = self.low, [], []
        from ..language.ast import Var, postorder
        mine, defs = low.reached(), {}
        for i, forms in self.switches:
            if not mine[i]:
                continue
            node = low.source[i]
            text = to_notation(node)
            try:
                read = {n.name for a in node.args for n in postorder(a) if isinstance(n, Var)}
                if not defs and read & set(low.program.intermediates):   # built only when a switch reads one
                    defs = self._definitions()
                args = [_exact(a, defs) for a in node.args]
            except (TypeError, ValueError, AttributeError, ArithmeticError, SymgradError):
                unsolved.append(text)
                continue
            for f in forms:
                e = f.expr.xreplace(dict(zip(f.params, args)))
                if not isinstance(e, sp.Expr) or e.has(sp.Piecewise, sp.Heaviside):
                    continue            # a where's condition: the comparison it reads is its own switch
                roots = _roots(e, self.low.program.inputs, point)
                if roots is None:
                    unsolved.append(text)
                for at in roots or ():
                    if at != dict(point) and all(at != p for p, _ in found) and not self._program_kink(at):
                        found.append((at, text))
        return found[:MAX_PIECE_POINTS], list(dict.fromkeys(unsolved))

    def _program_kink(self, at: Mapping[str, float]) -> bool:
        """Is ``at`` on a switch of the program itself (or out of its domain)? There the derivative
        is the house's convention at a kink, which the kink check judges, not the claims judge."""
        from .reference import LOCK
        with LOCK:
            vals = self.values(at)
            if vals is None:
                return True
            sides = self._sides(vals)
        k = 0
        for i, forms in self.switches:
            if i < self.n_program and any(sides[k + j] in (0, None) for j in range(len(forms))):
                return True
            k += len(forms)
        return False

    def _definitions(self) -> dict[str, sp.Expr]:
        """Each intermediate's SymPy form over the inputs (exact literals)."""
        defs: dict[str, sp.Expr] = {}
        for stmt in self.low.program.statements[:-1]:
            if stmt.name is not None:
                defs[stmt.name] = _exact(stmt.expr, defs)
        return defs

    def conditions(self, given: Mapping[str, float], other: Mapping[str, float]) -> list[str]:
        """Which side of each switch (or domain edge of the claim) separating ``other`` from
        ``given`` the given point is on, in the program's names: ['x < 5']."""
        from .reference import LOCK
        with LOCK:
            a, b = self.values(given), self.values(other)
            if a is None or b is None:
                return []
            sa, sb = self._sides(a), self._sides(b)
        from .symbolic import symbol
        names = {symbol(n): sp.Float(a[i]) for n, i in self.low.named.items() if a[i] is not None}
        out: list[str] = []
        k = 0
        for i, forms in self.switches:
            for f in forms:
                if sa[k] != sb[k] and sa[k] in (-1, 1):
                    out.append(_condition(f.expr, f.params, self.low.source[i], sa[k], names))
                k += 1
        if b[self.low.root] is None and a[self.low.root] is not None:          # the claim's own domain edge
            for i in range(self.n_program, len(a)):
                if self.low.kind[i] == "op" and b[i] is None and all(b[j] is not None for j in self.low.kids[i]):
                    for j, kid in enumerate(self.low.kids[i]):
                        if _sign(a[kid]) != _sign(b[kid]) and _sign(a[kid]) != 0:
                            out.append(_condition(None, (), self.low.source[i], _sign(a[kid]), names, j))
                    break
        return list(dict.fromkeys(c for c in out if c))


    def unreached(self, given: Mapping[str, float], points: list[Mapping[str, float]]) -> str:
        """A switch of the claim (its own where, relu, abs…) on one side at every point tested,
        as the other side's condition in the program's names ('sin(x) - 0.9999999 > 0'); '' when
        each was seen on both sides. The walk crosses what a monotone quantity cuts, but a narrow
        piece of a quantity that turns (sin(x) > 0.9999999) may lie between its grid points, and
        the claim's branch there was then never compared."""
        from .reference import LOCK
        with LOCK:
            a = self.values(given)
            if a is None:
                return ""
            seen = [{side} for side in self._sides(a)]
            for at in points:
                vals = self.values(at)
                if vals is not None:
                    for k, side in enumerate(self._sides(vals)):
                        seen[k].add(side)
        from .symbolic import symbol
        names = {symbol(n): sp.Float(a[i]) for n, i in self.low.named.items() if a[i] is not None}
        k = 0
        for i, forms in self.switches:
            for f in forms:
                if i >= self.n_program and len(seen[k] & {-1, 1}) == 1:
                    return _condition(f.expr, f.params, self.low.source[i], -next(iter(seen[k] & {-1, 1})), names) \
                        or "its other side"
                k += 1
        return ""


def _condition(expr: sp.Basic | None, params: tuple, node, sign: int, names: Mapping, arg: int = 0) -> str:
    """``expr`` (over the row's argument symbols; None: the node's argument ``arg`` itself) > 0
    or < 0, with the node's arguments put in, nested switches replaced by their branch at the
    given point, and solved for one name when it is linear in it."""
    from .symbolic import symbol, to_sympy_expr
    try:
        args = [_active(to_sympy_expr(a, symbol), names) for a in node.args]
        form = sp.expand(args[arg] if expr is None else expr.xreplace(dict(zip(params, args))))
        rel = ">" if sign > 0 else "<"
        for v in sorted(form.free_symbols, key=str):
            a = form.coeff(v)
            rest = sp.expand(form - a * v)
            if a.is_number and a != 0 and v not in rest.free_symbols:
                flip = {">": "<", "<": ">"}[rel] if a < 0 else rel
                return f"{v} {flip} {_text(sp.expand(-rest / a))}"
        return f"{_text(form)} {rel} 0"
    except (TypeError, ValueError, AttributeError, ArithmeticError):   # only words: never fail a verdict
        return ""


def _apply(rule, args: list[float]) -> float | None:
    """The row's float64 forward: None out of its domain, inf beyond float64's range."""
    try:
        v = float(rule.forward(*args))
    except OverflowError:
        return math.inf
    except (ArithmeticError, ValueError, TypeError):
        return None
    return v if math.isfinite(v) else math.inf


def _sign(v: float) -> int:
    return (v > 0) - (v < 0)


def _text(e: sp.Basic) -> str:
    if e.is_Number:
        return f"{float(e):.15g}"
    return sp.sstr(e, full_prec=False).replace("**", "^")


def _active(e: sp.Basic, names: Mapping) -> sp.Basic:
    """``e`` with each Max/Min/Abs/Piecewise replaced by its branch at the given point."""
    values = {k: v for k, v in names.items() if v is not None}

    def value(x):
        return x.xreplace(values).evalf(30)

    def walk(x):
        if not x.args:
            return x
        x = x.func(*[walk(a) for a in x.args])
        if isinstance(x, (sp.Max, sp.Min)):
            vals = [value(a) for a in x.args]
            pick = max if isinstance(x, sp.Max) else min
            return x.args[vals.index(pick(vals))]
        if isinstance(x, sp.Abs):
            return x.args[0] if value(x.args[0]) >= 0 else -x.args[0]
        if isinstance(x, sp.Piecewise):
            for branch, cond in x.args:
                if cond == sp.true or bool(cond.xreplace(values)):
                    return branch
        return x
    return walk(e)


def _exact(node, defs: Mapping[str, sp.Expr]) -> sp.Expr:
    """The SymPy form of an AST expression, literals as the exact rationals of their doubles."""
    from .symbolic import symbol, to_sympy_expr
    return to_sympy_expr(node, lambda name: defs.get(name, symbol(name)), number=lambda n: sp.Rational(n.value))


def _roots(e: sp.Expr, inputs: tuple[str, ...], point: Mapping[str, float]) -> list[dict[str, float]] | None:
    """Float64 points where ``e`` = 0 along each input's axis (others at ``point``); None when it is
    not a polynomial of degree at most MAX_SWITCH_DEGREE with rational coefficients along one."""
    from .symbolic import symbol
    names = {symbol(n): n for n in inputs}
    if not e.free_symbols <= set(names):
        return None
    out: list[dict[str, float]] = []
    for v in sorted(e.free_symbols, key=str):
        line = e.xreplace({u: sp.Rational(float(point[names[u]])) for u in e.free_symbols if u != v})
        try:
            poly = sp.Poly(line, v)
        except sp.PolynomialError:
            return None
        if poly.degree() > MAX_SWITCH_DEGREE or not poly.domain.is_QQ and not poly.domain.is_ZZ:
            return None
        for r in poly.real_roots():
            x = float(r.evalf(30))
            if math.isfinite(x):
                out.append({**point, names[v]: x})
    return out
