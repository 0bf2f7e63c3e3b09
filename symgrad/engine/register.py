"""``symgrad.register``: add a function to the language at run time, as one validated row.

The new row goes through every check a built-in row passes (``_rule.validate``: floats and
central differences; ``_codegen_check.check_templates``: the generated-code templates;
``_rule_proofs.check_sympy``: the SymPy form and its partials), then into the shared tables in place,
so the parser, did-you-mean, backprop, ``Value``, compile, batch, check, diff, graphs and
worksheets all see it.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any, Callable, Mapping

from .codegen import build as _codegen
from .codegen import templates as _codegen_check
from . import value as _engine
from ..rules import table as _rules
from ..base.errors import InputError, SymgradError
from ..rules.rule import Rule, RowError, validate
from ..rules.proofs import check_rounding, check_sympy

__all__ = ["register"]

_LOCK = threading.Lock()
_CHECKING = threading.local()     # .active: this thread is checking a row (under _LOCK)
_RESERVED = {"pi"}  # the language's constants


def register(name: str, forward: Callable[..., float], local: Callable[..., tuple[float, ...]], *,
             sympy: Callable[..., Any] | None = None, args: tuple[str, ...] | None = None, latex: str = "",
             dlatex: tuple[str, ...] = (), title: str = "", text: str = "",
             domain: Callable[..., bool] | None = None, why: str = "", kink: Callable[..., bool] | bool = False,
             py: tuple[str, ...] = (), np: tuple[str, ...] = (), helpers: Mapping[str, Any] | None = None,
             aliases: tuple[str, ...] = (), samples: tuple[tuple[float, ...], ...] = (),
             variadic: bool = False, sympy_domain: Callable[..., Any] | None = None,
             rounding: tuple[int, int, int] = (8, 16, 2), **unknown: Any) -> Rule:
    r"""Add the function ``name`` to symgrad and return its row.

    ``forward(*xs) -> float`` and ``local(*xs, out) -> tuple`` (one slope per argument) work on
    floats; ``sympy(sp, *symbols)`` builds the same function from SymPy's Add Mul Pow exp log
    sin cos tan sinh cosh tanh asin acos atan asinh acosh atanh erf Abs sign Heaviside Piecewise
    Max Min atan2 sqrt (the check evaluates these). ``args`` names the arguments (default: the
    forward's parameter names). ``domain(*xs) -> bool`` says where it is defined, ``why`` what
    it needs; ``kink(*xs) -> bool`` where it is not differentiable. ``py``/``np`` optional
    generated-code templates, which may name ``math``, ``_np`` and ``helpers``. ``samples``:
    extra points, if the default grid has fewer than three inside the domain.

    The check judges gradients against exact values with float64's own error bound, which
    reads two more columns. ``sympy_domain(sp, *symbols)``: the domain as a SymPy condition,
    needed only where ``sympy`` is real outside ``domain`` (``sp.Or(x > 0, …)``; a row whose
    form is real where ``domain`` says no, without it, is refused). ``rounding``: how many
    float64 roundings (units of 2⁻⁵³ of the result) your forward, your local derivative, and
    arguments computed inside the local derivative make; the default (8, 16, 2) suits a few
    library calls. Both are proved at the sample points against 40-digit SymPy values: a
    forward that is 40 ulp off is refused until it says so (``rounding=(40, 16, 2)``).

    The display is derived from ``sympy``: the LaTeX of the function (``\operatorname{name}(…)``
    unless the form is one SymPy function of the arguments) and of each partial, the worksheet's
    statement ``d(name(x))/dx = …`` and its title ``"name rule"``. Optional overrides, where a
    learner reads them better: ``latex``/``dlatex`` are ``str.format`` templates over ``{0}, {1},
    …`` (``dlatex`` one per argument, may use ``{out}``, the output; an empty one is derived),
    ``title`` and ``text`` unicode.

    Raises RowError (an InputError) if any check fails: the tables are then unchanged.

    >>> import math, symgrad as sg
    >>> def logcosh(x):  # log cosh x to a few ulp: 2·sinh²(x/2) = cosh x − 1 has no cancellation
    ...     a = abs(x)
    ...     return math.log1p(2 * math.sinh(a / 2) ** 2) if a < 20 else a + math.log1p(math.exp(-2 * a)) - math.log(2)
    >>> sg.register("logcosh", logcosh,
    ...             lambda x, out: (math.tanh(x),), sympy=lambda sp, x: sp.log(sp.cosh(x)))
    Rule('logcosh')
    >>> sg.backprop("logcosh(x)", x=0.5).grads["x"] == math.tanh(0.5)
    True
    """
    if sympy is None:  # keyword-only and required, but a missing one gets symgrad's error, not Python's
        raise RowError(f"rule row {name!r:.40}: register needs sympy=, the function built from SymPy",
                       hint="e.g. sympy=lambda sp, x: sp.log(sp.cosh(x)); the check differentiates it")
    if unknown:  # a misspelt or unsupported option gets symgrad's error, not Python's TypeError
        raise RowError(f"rule row {name!r:.40}: register has no option {sorted(unknown)[0]!r:.40}",
                       hint="its options: sympy, args, latex, dlatex, title, text, domain, why, kink, py, np, "
                            "helpers, aliases, samples, variadic")
    if not _is_name(name):  # the grammar's names: ASCII, so the function can be called
        raise InputError(f"a function name must be an ASCII identifier not starting with _, got {name!r:.40}")
    if args is None:
        try:
            params = inspect.signature(forward).parameters.values()
        except (TypeError, ValueError):
            raise InputError(f"cannot read the arguments of {name}'s forward", hint="give args=(...)") from None
        args = tuple(p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
    bad = [a for a in args if not _is_name(a)] if isinstance(args, (tuple, list)) else [args]
    if bad:  # argument names appear in arity errors ("write f(x, y)") and worksheets
        raise InputError(f"{name}: argument names must be ASCII identifiers, got {bad[0]!r:.40}",
                         hint="e.g. args=('x', 'alpha')")
    try:
        row = Rule(name, len(args), _guarded(name, "forward", forward), _guarded(name, "local", local), sympy,
                   latex=latex or "", dlatex=tuple(dlatex or ()),
                   title=title or "", text=text or "", args=tuple(args), domain=domain, why=why, kink=kink,
                   py=tuple(py), np=tuple(np), helpers=dict(helpers or {}), aliases=tuple(aliases),
                   samples=tuple(samples), variadic=variadic, sympy_domain=sympy_domain,
                   rounding=tuple(rounding) if isinstance(rounding, (tuple, list)) else rounding)
        return _register(row)
    except SymgradError:
        raise
    except Exception as err:  # the row's own callables or arguments failed while it was checked
        raise RowError(f"rule row {name!r}: {type(err).__name__} while checking it: {err}"[:300],
                       hint="every callable must take floats (sympy=: the sympy module and symbols) and "
                            "return a float (local=: a tuple, one slope per argument)") from None


def _guarded(name: str, what: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """The row's own ``forward``/``local`` with its failures named: endless recursion, or a
    ``None`` where a value (or a tuple of slopes) belongs, is a RowError, not a raw exception
    from deep inside backprop. Other errors (a domain error) pass through unchanged."""
    def call(*xs: Any) -> Any:
        try:
            out = fn(*xs)
        except RecursionError:
            raise RowError(f"rule row {name!r:.40}: its {what} recursed without end",
                           hint=f"make {name}'s {what} return without calling itself") from None
        if out is None:
            raise RowError(f"rule row {name!r:.40}: its {what} returned None",
                           hint="forward must return a float; local a tuple, one slope per argument")
        return out
    call.__name__, call.__doc__, call.__wrapped__ = getattr(fn, "__name__", what), fn.__doc__, fn
    return call


def _is_name(text: Any) -> bool:
    return isinstance(text, str) and text.isascii() and text.isidentifier() and not text.startswith("_")


def _register(row: Rule) -> Rule:
    """Every check a built-in row passes, then into the shared tables, under the lock."""
    if getattr(_CHECKING, "active", False):   # from a row's own callable: _LOCK would deadlock
        raise RowError(f"rule row {row.name!r:.40}: register was called while another row was being checked",
                       hint="call register at the top level, not from inside a row's forward, local or sympy")
    with _LOCK:
        _CHECKING.active = True
        try:
            return _add_checked(row)
        finally:
            _CHECKING.active = False


def _add_checked(row: Rule) -> Rule:
    for call in (row.name, *row.aliases):
        if call in _rules.FUNCTIONS or call in _rules.RULES or call in _RESERVED:
            raise InputError(f"{call} is already a function or constant of symgrad", hint="choose another name")
        if hasattr(_engine.Value, call):
            raise InputError(f"{call} is already an attribute of Value", hint="choose another name")
    validate(row)
    _codegen.namespace([*_rules.all_rows(), row])  # helper names must not clash
    for backend in ("py", "np"):
        _codegen_check.check_templates(row, backend)
    check_sympy(row)
    check_rounding(row)
    row.derived()  # the display, from the SymPy form: a form SymPy cannot print fails here, not in a worksheet
    _rules._add(row)
    _engine.add_method(row)
    return row


def _unregister(name: str) -> None:
    """Remove a row ``register`` added (tests): from the tables and from Value."""
    with _LOCK:
        row = _rules.RULES.pop(name)
        for call in (name, *row.aliases):
            _rules.FUNCTIONS.pop(call, None)
        for call in (name, *row.aliases):
            if getattr(getattr(_engine.Value, call, None), "_row", None) is row:
                delattr(_engine.Value, call)
