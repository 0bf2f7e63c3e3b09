"""``symgrad.register``: add a function to the language at run time, as one validated row.

The new row goes through every check a built-in row passes (``records.require``: its records;
``rule.validate``: floats and central differences; ``codegen.template_proofs.check_templates``: the
generated-code templates; ``proofs.check_sympy``: the SymPy form and its partials;
``proofs.check_rounding``: its rounding counts), then into the shared tables in place,
so the parser, did-you-mean, backprop, ``Value``, compile, batch, check, diff, graphs and
worksheets all see it.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any, Callable, Mapping

from .codegen.build import namespace
from .codegen.template_proofs import check_templates
from .value import Value, add_method
from ..language.tensor_syntax import tensor_names
from ..base.errors import InputError, SymgradError
from ..rules import records, table
from ..rules.rule import Rule, RowError, validate
from ..rules.proofs import check_rounding, check_sympy

__all__ = ["register"]

_LOCK = threading.Lock()
_CHECKING = threading.local()     # .active: this thread is checking a row (under _LOCK)
_RESERVED = {"pi"} | tensor_names()  # the language's constants and its tensor functions (sum, softmax, …)


def register(name: str, forward: Callable[..., float], local: Callable[..., tuple[float, ...]],
             **options: Any) -> Rule:
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
    library calls. Both are proved at the sample points against exact references (arb balls): a
    forward that is 40 ulp off is refused until it says so (``rounding=(40, 16, 2)``).

    The display is derived from ``sympy``: the LaTeX of the function (``\operatorname{name}(…)``
    unless the form is one SymPy function of the arguments) and of each partial, the worksheet's
    statement ``d(name(x))/dx = …`` and its title ``"name rule"``. Optional overrides, where a
    learner reads them better: ``latex``/``dlatex`` are ``str.format`` templates over ``{0}, {1},
    …`` (``dlatex`` one per argument, may use ``{out}``, the output; an empty one is derived),
    ``title`` and ``text`` unicode.

    Every keyword option is a field of the row (``rules.rule.Rule``) or of one of its records
    (``rules.records``: ``Codegen``, ``Display``, ``Rounding``); the signature is generated from them.

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
    given = {k: _normal(OPTIONS[k][1], v) for k, v in options.items() if k in OPTIONS}
    sympy, args = given.pop("sympy", None), given.pop("args", None) or None
    if sympy is None:  # keyword-only and required, but a missing one gets symgrad's error, not Python's
        raise RowError(f"rule row {name!r:.40}: register needs sympy=, the function built from SymPy",
                       hint="e.g. sympy=lambda sp, x: sp.log(sp.cosh(x)); the check differentiates it")
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:  # a misspelt or unsupported option gets symgrad's error, not Python's TypeError
        raise RowError(f"rule row {name!r:.40}: register has no option {unknown[0]!r:.40}", hint=HINT)
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
                   args=tuple(args),
                   **{k: v for k, v in given.items() if OPTIONS[k][0] == "row"})
        return _register(row, {k: v for k, v in given.items() if OPTIONS[k][0] != "row"})
    except SymgradError:
        raise
    except Exception as err:  # the row's own callables or arguments failed while it was checked
        raise RowError(f"rule row {name!r}: {type(err).__name__} while checking it: {err}"[:300],
                       hint="every callable must take floats (sympy=: the sympy module and symbols) and "
                            "return a float (local=: a tuple, one slope per argument)") from None


# The keyword options, from the dataclasses: the row's fields and its records' (``rules.records``).
OPTIONS = records.options()
HINT = f"its options: {', '.join(OPTIONS)}"
register.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in ("name", "forward", "local")]
    + [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=d) for k, (_, d) in OPTIONS.items()],
    return_annotation=Rule)


def _normal(default: Any, value: Any) -> Any:
    """An option as its field holds it: None for the default, a list as a tuple, a mapping as a dict."""
    if value is None:
        return default
    if isinstance(default, tuple) and isinstance(value, list):
        return tuple(value)
    if isinstance(default, dict) and isinstance(value, Mapping):
        return dict(value)
    return value


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


def _register(row: Rule, given: dict[str, Any]) -> Rule:
    """Every check a built-in row passes, then into the shared tables, under the lock. The row's
    records (``given``: codegen, display and rounding options) are in place while it is checked,
    and taken out again if a check fails."""
    if getattr(_CHECKING, "active", False):   # from a row's own callable: _LOCK would deadlock
        raise RowError(f"rule row {row.name!r:.40}: register was called while another row was being checked",
                       hint="call register at the top level, not from inside a row's forward, local or sympy")
    with _LOCK:
        _CHECKING.active = True
        try:
            return _add_checked(row, given)
        finally:
            _CHECKING.active = False


def _add_checked(row: Rule, given: dict[str, Any]) -> Rule:
    for call in (row.name, *row.aliases):
        if call in table.FUNCTIONS or call in table.RULES or call in _RESERVED:
            raise InputError(f"{call} is already a function or constant of symgrad", hint="choose another name")
        if hasattr(Value, call):
            raise InputError(f"{call} is already an attribute of Value", hint="choose another name")
    records.add(row.name, given)
    try:
        records.require(row)
        validate(row)
        namespace([*table.all_rows(), row])  # helper names must not clash
        for backend in ("py", "np"):
            check_templates(row, backend)
        check_sympy(row)
        check_rounding(row)
        row.derived()  # the display, from the SymPy form: a form SymPy cannot print fails here, not in a worksheet
    except BaseException:
        records.remove(row.name)
        raise
    table._add(row)
    add_method(row)
    return row
