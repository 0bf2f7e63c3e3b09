"""The gradient check: backprop (or gradients you computed) against an exact reference.

For every input and named intermediate, d(output)/d(name) three ways:

- ``backprop``: symgrad's float64 reverse sweep, or the values given with ``grads=``;
- ``symbolic``: the exact reference (``gradcheck.reference``): SymPy's partial of each row, chained
  over the program's graph with arb balls at 200+ bits, rounded to float64;
- ``numeric``: a central finite difference at the same high precision (``gradcheck.fd_witness``), a
  second line of evidence that never decides against the reference.

The verdict (``gradcheck.judge``) compares the gradient with the reference on float64's own error
bound for this graph (``gradcheck.error_bound``). It is a fact about the program at the point: no clock
is read, so the same input gives the same bytes at any load. See docs/check.md.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from ..language.ast import Program
from ..engine.backprop import backprop, resolve_point
from ..base.errors import InputError, NumericError
from .judge import judge_point
from ..base.limits import DEFAULT_LIMITS, Limits, check_random_points
from .exact_size import bound_program
from ..base.validate import check_seed, real_number
from ..language.parser import parse
from .points import random_points
from .reference import LOCK, reference
from .report import CheckReport, CheckRow
from .fd_witness import Witness
from .tensor_check import tensor_check
from ..engine.point import is_tensor_program, is_tensor_value

__all__ = ["check", "CheckReport", "CheckRow"]

def _tolerance(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise InputError(f"{name} must be a finite non-negative number, got {value!r:.40}")
    return float(value)


def _given(prog: Program, grads: Mapping[str, Any]) -> dict[str, float]:
    if not isinstance(grads, Mapping):
        raise InputError(f"grads must be a mapping of name to value, got {type(grads).__name__}")
    names = prog.inputs + prog.intermediates
    known = set(names)
    for key in grads:
        if key not in known:
            raise InputError(f"{key!s:.40} in grads is not an input or a named intermediate of this program",
                             hint=f"names are: {', '.join(names) or '(none)'}")
    out = {}
    for name in names:
        if name in grads:
            raw = grads[name]
            if isinstance(raw, float) and not math.isfinite(raw):
                out[name] = raw         # a NaN from the user's code is checked (a mismatch), not refused
            else:
                out[name] = real_number(raw, f"grads[{name}]", text=True)
    if not out:
        raise InputError("grads is empty", hint="give at least one name=value")
    return out


def _arrays(values: Mapping[str, Any] | None, kw: Mapping[str, Any], grads: Any) -> bool:
    given = [*(values.values() if isinstance(values, Mapping) else ()), *kw.values(),
             *(grads.values() if isinstance(grads, Mapping) else ())]
    return any(is_tensor_value(v) for v in given)


def check(program: "Program | str", values: Mapping[str, Any] | None = None, /, *,
          grads: Mapping[str, Any] | None = None, rtol: float = 1e-12, atol: float = 0.0,
          random: int | None = None, seed: int | None = None,
          limits: Limits | None = None, claims: Mapping[str, str] | None = None, order: int = 1,
          hessian: Any = None, **kw: Any) -> CheckReport:
    """Check every gradient of ``program`` at a point against its exact reference.

    Give the point as ``values`` (a mapping) or keyword arguments, or ``random=N`` for N
    seeded points inside the domain (``seed`` defaults to 0, so reports repeat; at most
    ``limits.max_random_points``). ``grads={name: value}`` checks gradients computed
    elsewhere (your NumPy, PyTorch or C code) instead of backprop's, one row per name given.
    A gradient agrees when it is within float64's own error bound for this graph, plus
    ``rtol``·|exact| + ``atol``. ``order=2`` adds a row per Hessian entry (named "a,b"),
    judged the same way (``gradcheck.hessian_check``); ``hessian=`` (n×n, in the order of the
    inputs) checks a Hessian computed elsewhere instead of symgrad's, and implies ``order=2``.
    A tensor program (or a point of arrays) is checked element by element
    (``gradcheck.tensor_check``) and gives a ``TensorCheckReport``; ``grads=`` then takes
    arrays of any shape. Raises ParseError, LimitError or InputError for bad input.
    """
    limits = limits or DEFAULT_LIMITS
    prog = parse(program, limits=limits)
    if is_tensor_program(prog) or _arrays(values, kw, grads):
        if random is not None:
            raise InputError("a tensor program is checked at one point",
                             hint="give the point's arrays; random=N takes scalar programs")
        tol = {"rtol": _tolerance("rtol", rtol), "atol": _tolerance("atol", atol)}
        report = tensor_check(prog, values, kw, grads=grads, limits=limits, **tol)
        if claims is not None:  # claimed gradients {dname: formula}: each becomes its name's row
            from .tensor_claims import apply_tensor_claims
            apply_tensor_claims(report, claims, limits=limits, seed=seed)
        return report
    bound_program(prog, limits)  # the same exact-number bound as diff, claims and worksheets
    tol = {"rtol": _tolerance("rtol", rtol), "atol": _tolerance("atol", atol)}
    given = _given(prog, grads) if grads is not None else None
    if order not in (1, 2) or isinstance(order, bool):
        raise InputError(f"order must be 1 (gradients) or 2 (gradients and the Hessian), got {order!r:.20}")
    given_h = None
    if hessian is not None:
        from .hessian_check import given_hessian
        given_h, order = given_hessian(prog.inputs, hessian), 2
    if random is None:
        points = [resolve_point(prog, values, kw)]
    else:
        if values or kw:
            raise InputError("give either input values or random=N, not both")
        if given is not None or given_h is not None:
            raise InputError("grads= and hessian= go with one point, not random=N")
        random = check_random_points(random, limits)
        seed = check_seed(seed)
        points = random_points(prog, random, 0 if seed is None else seed, limits)
    rows: list[CheckRow] = []
    for k, point in enumerate(points):
        rows += _check_point(prog, point, k, given, tol, limits, order, given_h)
    report = CheckReport(prog, points, rows, tol, "given" if given is not None else "backprop", limits)
    if claims is not None:  # claimed partials {name: formula}: each becomes its name's row
        from .claims import apply_claims
        apply_claims(report, claims, limits=limits, seed=seed)
    return report


def _check_point(prog: Program, point: dict[str, float], k: int, given: dict[str, float] | None,
                 tol: dict[str, float], limits: Limits, order: int = 1, given_h=None) -> list[CheckRow]:
    if given is None:
        try:
            grads = backprop(prog, point).grads
            given_here: dict = dict(grads)
        except NumericError:
            given_here = {name: None for name in prog.inputs + prog.intermediates}
        source = "backprop"
    else:
        given_here, source = dict(given), "given"
    with LOCK:   # flint's precision is process-wide: the reference, the witness and the verdicts at once
        ref = reference(prog, point, limits=limits)
        witness = Witness(ref) if ref.defined and not ref.failure else None
        rows = judge_point(ref, given_here, k, tol["rtol"], tol["atol"], witness, source)
        if order == 2:
            from .hessian_check import hessian_rows
            rows += hessian_rows(ref, given_h, k, tol["rtol"], tol["atol"], "given" if given_h else "symgrad")
        return rows
