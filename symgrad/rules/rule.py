"""``Rule``: one primitive of the language, and the checks every row passes.

A row holds a primitive's mathematics: its forward, its local derivative, its domain
(declared once, as a predicate with a reason), its kinks, its SymPy form and its syntax
(``kind``, ``symbol``, ``prec``). Every other concern is a small record of its own, keyed by
the row's name (``records``): the generated-code templates (``codegen.CODEGEN``), the display
overrides (``overrides.DISPLAY``) and the round-off counts (``rounding.ROUNDING``). A row's
display (the LaTeX of the function and of its derivatives, the worksheet's title and
statement) is derived from the SymPy form on first read (``display``), unless its display
record overrides a column. ``validate`` proves a row consistent with itself with float
arithmetic only (it runs for every row at import, after ``records.require`` checks its records);
``proofs`` proves it with SymPy (its form, its domain as the check sees it, its rounding
counts: a test runs them over every row, and ``symgrad.register`` on each new row).
"""

from __future__ import annotations

import itertools
import math
import operator
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Callable

from ..base.errors import ArityError, DomainError, InputError, NumericError
from .overrides import DISPLAY, Display

__all__ = ["Rule", "RowError", "validate", "inside", "outside", "arity_error"]


class RowError(InputError):
    """A row of the rule table is inconsistent (raised at import, or by ``symgrad.register``)."""


# Fields of a row that ``symgrad.register`` does not take (the language's own syntax and the
# engine's fast path): its signature is generated from the other fields.
_BUILT_IN = {"register": False}
_NO_OVERRIDES = Display()


class _Display:
    """A display column of a row (``latex``, ``dlatex``, ``title``, ``text``): the override in
    its display record (``overrides.DISPLAY``) if it gives one, else the one derived from its
    SymPy form (``display.derive``, made on the first read and kept; SymPy is imported then).
    A ``dlatex`` override may leave an argument's template empty to derive that one."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, row: "Rule | None", owner: type | None = None) -> Any:
        if row is None:
            return self
        given = getattr(DISPLAY.get(row.name, _NO_OVERRIDES), self.name)
        if self.name == "title":
            return given or f"{row.name} rule"
        if self.name == "dlatex":
            if len(given) == row.arity and all(given):
                return given
            return tuple(g or d for g, d in itertools.zip_longest(given, row.derived().dlatex, fillvalue=""))
        return given or getattr(row.derived(), self.name)


@dataclass(frozen=True, eq=False)
class Rule:
    name: str                                   # row key; the call name for kind="call"
    arity: int                                  # number of arguments (the minimum, if variadic)
    forward: Callable[..., float]               # (*inputs) -> output; raises DomainError outside ``domain``
    local: Callable[..., tuple[float, ...]]     # (*inputs, output) -> d output / d input_i
    sympy: Callable[..., Any]                   # (sympy module, *args) -> sympy.Expr, of SYMPY_CLASSES only
    _: KW_ONLY
    # --- syntax: how the language writes the row (the parser's and the printers') --------------
    kind: str = field(default="call", metadata=_BUILT_IN)  # "infix" | "prefix" | "call" (| "fused" | "internal")
    symbol: str = field(default="", metadata=_BUILT_IN)    # operator in text and graphs
    prec: int = field(default=9, metadata=_BUILT_IN)       # binding strength for printers
    # Not differentiable where ``kink(*args)`` is true (relu at 0, the tie of max); the local
    # derivative there is PyTorch's convention. ``False`` for smooth rows. Truthy iff the row has kinks.
    kink: Callable[..., bool] | bool = False
    # Optional fast path for the engine: accumulate(children, grad) adds each child's
    # d(output)/d(child)·grad to child.grad in place (same numbers as ``local``).
    accumulate: Callable[..., None] | None = field(default=None, metadata=_BUILT_IN)
    variadic: bool = False                      # takes ``arity`` or more arguments (see the row)
    # An overload: the call name of another row that this row answers with more arguments
    # (``softplus_beta`` is ``softplus(x, beta[, threshold])``; ``softplus(x)`` stays its own row).
    # Calls, printers and messages spell the row by it (``spelling``).
    overloads: str = field(default="", metadata=_BUILT_IN)
    # Values of trailing arguments a call may leave out (softplus's threshold 20, as PyTorch's):
    # the parser fills them in, and the printers leave out a trailing argument equal to its default.
    defaults: tuple[float, ...] = field(default=(), metadata=_BUILT_IN)
    # --- added with the open table (all optional) ------------------------------------------
    args: tuple[str, ...] = ()                  # argument names, for hints and errors; default x / x, y
    domain: Callable[..., bool] | None = None   # float predicate: true inside the domain; None: every float
    why: str = ""                               # what the domain needs, said once (the DomainError's hint)
    constant: tuple[int, ...] = field(default=(), metadata=_BUILT_IN)  # constant arguments by construction: slope 0
    propagates: bool = field(default=False, metadata=_BUILT_IN)  # a non-finite argument gives a non-finite output
    aliases: tuple[str, ...] = ()               # other call names (``ln`` for ``log``)
    samples: tuple[tuple[float, ...], ...] = () # extra points for validation (inside or outside the domain)
    # --- read by the check (all optional) -------------------------------------------------
    # Where the domain is narrower than the SymPy form's own (pow: SymPy's a**b is real at a < 0
    # for an integer b, the row is not): (sympy module, *args) -> SymPy condition, true inside.
    # The check evaluates it in ball arithmetic; ``check_sympy`` proves it agrees with ``domain``.
    sympy_domain: Callable[..., Any] | None = None
    raw: Callable[..., float] = field(init=False, repr=False, compare=False)  # forward without the domain check

    def __post_init__(self) -> None:
        if not self.args:
            names = ("x",) if self.arity == 1 else ("x", "y") if self.arity == 2 else \
                tuple(f"x{i}" for i in range(1, self.arity + 1))
            object.__setattr__(self, "args", names)
        object.__setattr__(self, "raw", self.forward)
        if self.domain is not None or self.forward not in _TOTAL:
            object.__setattr__(self, "forward", _checked(self))

    def __repr__(self) -> str:
        return f"Rule({self.name!r})"

    # --- display: each is its display record's override, else derived from ``sympy`` on first read --
    latex = _Display()                          # str.format template over the arguments {0}, {1}, …
    dlatex = _Display()                         # local derivative per argument: {0},{1} args, {out} output
    title = _Display()                          # worksheet rule name (default "<name> rule")
    text = _Display()                           # worksheet rule statement, unicode

    def overrides(self) -> dict[str, Any]:
        """The display columns this row's display record gives (the rest are derived): {"latex": …, "dlatex": …}."""
        record = DISPLAY.get(self.name, _NO_OVERRIDES)
        return {k: getattr(record, k) for k in ("latex", "dlatex", "title", "text") if any(getattr(record, k))}

    def derived(self, n: int | None = None) -> Any:
        """The display columns derived from the SymPy form (``_rule_display.Derived``), whatever the
        row overrides, for a call with ``n`` arguments (default ``arity``; more only if variadic);
        made once per row and ``n``. Imports SymPy."""
        made = self.__dict__.setdefault("_derived", {})
        n = self.arity if n is None else n
        if n not in made:
            from .display import derive
            made[n] = derive(self, n)
        return made[n]

    def __str__(self) -> str:
        return self.symbol or self.spelling

    @property
    def spelling(self) -> str:
        """The name a call, a printer and a message spell this row by (an overload's call name)."""
        return self.overloads or self.name

    @property
    def fewest(self) -> int:
        """The fewest arguments a call may give: ``arity`` less the trailing ``defaults``."""
        return self.arity - len(self.defaults)

    def accepts(self, n: int) -> bool:
        """Whether a call with ``n`` arguments fits this row (trailing ``defaults`` may be left out)."""
        return n >= self.arity if self.variadic else self.fewest <= n <= self.arity

    def left_out(self, n: int) -> tuple[float, ...]:
        """The values of the trailing arguments a call with ``n`` arguments leaves out (``defaults``)."""
        return self.defaults[len(self.defaults) + n - self.arity:] if n < self.arity else ()

    def signatures(self) -> list[str]:
        """Every call this row takes, shortest first: ``softplus(x, beta)``, ``softplus(x, beta, threshold)``."""
        return [f"{self.spelling}({', '.join(self.args[:n])}{', …' if self.variadic else ''})"
                for n in range(self.fewest, self.arity + 1)]

    def signature(self) -> str:
        """``atan2(y, x)``, ``logsumexp(x1, x2, …)``: the call as the row's argument names spell it."""
        return self.signatures()[-1]

    def arity_error(self, n: int, **where: Any) -> ArityError:
        """The error for a call with ``n`` arguments, naming the row's arguments (``where``: source, line, column)."""
        return arity_error((self,), n, **where)

    def latex_for(self, n: int) -> str:
        """``latex`` for a call with ``n`` arguments: a variadic call row lists them all."""
        if n == self.arity or not self.variadic or self.kind != "call":
            return self.latex
        return rf"\operatorname{{{{{self.name}}}}}\left({', '.join(f'{{{i}}}' for i in range(n))}\right)"

    def dlatex_for(self, i: int, n: int) -> str:
        """``dlatex[i]`` for a call with ``n`` arguments. A longer call of a variadic row: derived for
        ``n`` arguments, or the last override moved to argument i."""
        given = DISPLAY.get(self.name, _NO_OVERRIDES).dlatex
        if n != self.arity and self.variadic and not (len(given) == self.arity and given[-1]):
            return given[i] if i < len(given) and given[i] else self.derived(n).dlatex[i]
        if i < self.arity:
            return self.dlatex[i]
        last = self.arity - 1
        return self.dlatex[last].replace(f"{{{last}}}", f"{{{i}}}")

    def kinked(self, *args: float) -> bool:
        """Whether ``args`` sit on a kink of this row."""
        return bool(self.kink(*args)) if callable(self.kink) else False

    def show(self, *args: float) -> str:
        """The operation at these numbers, as an error message prints it: ``1.0 / 0.0``, ``log(-1.0)``."""
        text = [repr(float(a)) for a in args]
        if self.kind == "infix":
            return f"{text[0]} {self.symbol} {text[1]}"
        if self.kind == "prefix":
            return f"{self.symbol}{text[0]}"
        return f"{self.spelling}({', '.join(text)})"


def arity_error(rows: tuple[Rule, ...], n: int, **where: Any) -> ArityError:
    """The error for a call with ``n`` arguments that none of ``rows`` (one call name: a row and
    its overloads) takes, naming every call they take (``where``: source, line, column)."""
    counts = sorted({k for r in rows for k in range(r.fewest, r.arity + 1)})
    takes = f"{counts[-1]} or more" if any(r.variadic for r in rows) else \
        " or ".join([", ".join(map(str, counts[:-1])), str(counts[-1])] if len(counts) > 1 else [str(counts[0])])
    calls = [c for r in rows for c in r.signatures()]
    s = "" if takes == "1" else "s"
    if len(calls) == 1:
        return ArityError(f"{rows[0].spelling}() takes {takes} argument{s} ({', '.join(rows[0].args)}), got {n}",
                          hint=f"write {calls[0]}", **where)
    return ArityError(f"{rows[0].spelling}() takes {takes} argument{s}, got {n}",
                      hint=f"write {', '.join(calls[:-1])} or {calls[-1]}", **where)


# Forwards that never raise and need no domain check: the engine calls them bare.
_TOTAL = {operator.add, operator.sub, operator.mul, operator.neg}


def _checked(row: Rule) -> Callable[..., float]:
    """``row.raw`` behind the row's one domain declaration; overflow becomes NumericError."""
    raw, domain, name = row.raw, row.domain, row.name

    def forward(*args: float) -> float:
        if domain is not None and not domain(*args):
            raise DomainError(f"{row.show(*args)} is undefined", hint=row.why or f"{name} is undefined here")
        try:
            return raw(*args)
        except OverflowError:
            raise NumericError(f"{row.show(*args)} overflows float64") from None
        except (ValueError, ZeroDivisionError):  # the raw forward disagrees with the domain: a row bug
            raise NumericError(f"{row.show(*args)} failed inside the declared domain of {name}",
                               hint="report this: the row's domain is wrong") from None
    forward.__name__ = name
    forward.__doc__ = getattr(raw, "__doc__", None)
    return forward


# --- sample points ----------------------------------------------------------------------

_GRID = (-2.3, -0.7, -0.15, 0.35, 0.8, 1.7, 3.1)


def _points(row: Rule) -> list[tuple[float, ...]]:
    n = row.arity  # a variadic row gets its longer calls from ``samples``
    grid = itertools.product(_GRID, repeat=n) if n <= 2 else \
        [tuple(_GRID[(i + 3 * k) % len(_GRID)] for k in range(n)) for i in range(len(_GRID))]
    return [tuple(p) for p in grid] + [tuple(p) for p in row.samples]


def _inside(row: Rule, p: tuple[float, ...]) -> bool:
    return row.domain is None or bool(row.domain(*p))


def inside(row: Rule) -> list[tuple[float, ...]]:
    """Sample points in the domain, away from kinks (validation and tests)."""
    return [p for p in _points(row) if _inside(row, p) and not row.kinked(*p)]


def outside(row: Rule) -> list[tuple[float, ...]]:
    """Sample points outside the domain."""
    return [p for p in _points(row) if not _inside(row, p)]


# --- validation with floats (import time) -------------------------------------------------

def _fail(row: Rule, message: str) -> RowError:
    return RowError(f"rule row {row.name!r}: {message}", hint="fix the row or its records (see "
                    "docs/adding-a-function.md) or the arguments of symgrad.register")


def validate(row: Rule) -> None:
    """Float checks of one row: shape, names, domain, and forward vs local by central differences.

    Raises RowError naming the row and the point. Cheap: a few hundred float calls.
    """
    if not row.name.isidentifier():
        raise _fail(row, "the name must be an identifier")
    if len(row.args) != row.arity or len(set(row.args)) != len(row.args):
        raise _fail(row, f"args {row.args} must name each of the {row.arity} arguments once")
    if len(row.defaults) >= row.arity or (row.defaults and row.variadic) or \
            not all(type(d) is float and math.isfinite(d) for d in row.defaults):
        raise _fail(row, "defaults are finite floats for some of the trailing arguments (not the first)")
    given = row.overrides()
    if "dlatex" in given and len(given["dlatex"]) != row.arity:
        raise _fail(row, f"dlatex needs one template per argument ({row.arity}; an empty one is derived)")
    if row.sympy_domain is not None and not callable(row.sympy_domain):
        raise _fail(row, "sympy_domain must be a function (sympy module, *symbols) -> SymPy condition")
    try:  # the overrides; the derived templates format by construction (and are tested)
        given.get("latex", "").format(*row.args)
        for template in given.get("dlatex", ()):
            template.format(*row.args, out="o")
    except (IndexError, KeyError, ValueError) as err:
        raise _fail(row, f"a LaTeX template does not format: {err}") from None
    points = inside(row)
    if len(points) < 3:
        raise _fail(row, "fewer than 3 sample points inside the domain: give samples=")
    for p in points:
        _check_point(row, p)
    for p in outside(row):
        try:
            row.forward(*p)
        except DomainError:
            continue
        raise _fail(row, f"forward{p} is outside the domain but raised no DomainError")


def _check_point(row: Rule, p: tuple[float, ...]) -> None:
    try:
        out = row.forward(*p)
        slopes = row.local(*p, out)
    except Exception as err:  # noqa: BLE001 -- any failure inside the domain is a row bug
        raise _fail(row, f"at {p} inside the domain: {type(err).__name__}: {err}") from None
    if type(out) is not float or not math.isfinite(out):
        raise _fail(row, f"forward{p} = {out!r} is not a finite float")
    if len(slopes) != len(p) or not all(type(d) is float and math.isfinite(d) for d in slopes):
        raise _fail(row, f"local{p} = {slopes!r} is not {len(p)} finite floats")
    for i, d in enumerate(slopes):
        if i in row.constant:
            if d != 0.0:
                raise _fail(row, f"argument {i} is a constant, so its slope must be 0, got {d!r}")
            continue
        h = 1e-6 * max(1.0, abs(p[i]))
        up, down = list(p), list(p)
        up[i] += h
        down[i] -= h
        if not (_inside(row, tuple(up)) and _inside(row, tuple(down))) or row.kinked(*up) or row.kinked(*down):
            continue
        fd = (row.forward(*up) - row.forward(*down)) / (2 * h)
        if abs(fd - d) > 1e-4 * max(abs(fd), abs(d), 1e-3):
            raise _fail(row, f"the local derivative in {row.args[min(i, len(row.args) - 1)]} at {p} "
                        f"is {d!r}, central differences give {fd!r}")
