"""The gradient check: backprop (or gradients you computed) against an exact reference.

For every input and named intermediate, d(output)/d(name) three ways:

- ``backprop``: symgrad's float64 reverse sweep, or the values given with ``grads=``;
- ``symbolic``: the exact reference (``_reference``): SymPy's partial of each row, chained
  over the program's graph with arb balls at 200+ bits, rounded to float64;
- ``numeric``: a central finite difference at the same high precision (``_witness``), a
  second line of evidence that never decides against the reference.

The verdict (``_judge``) compares the gradient with the reference on float64's own error
bound for this graph (``_roundoff``). It is a fact about the program at the point: no clock
is read, so the same input gives the same bytes at any load. See docs/check.md.
"""

from __future__ import annotations

import json
import math
import random as _random
from typing import Any, Mapping

from ._ast import Program
from ._backprop import _as_float, backprop, resolve_point
from ._errors import InputError, LimitError, NumericError
from ._fdtape import _Tape  # noqa: F401  (plots and worksheets import the float64 tape from here)
from ._judge import judge_point
from ._limits import DEFAULT_LIMITS, Limits, check_random_points, check_seed
from ._parser import parse
from ._reference import reference
from ._report import CheckReport, CheckRow
from ._witness import Witness

__all__ = ["check", "CheckReport", "CheckRow"]

_DRAWS_PER_POINT = 200  # attempts to find one in-domain random point


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
                out[name] = _as_float(f"grads[{name}]", raw)
    if not out:
        raise InputError("grads is empty", hint="give at least one name=value")
    return out


def check(program: "Program | str", values: Mapping[str, Any] | None = None, /, *,
          grads: Mapping[str, Any] | None = None, rtol: float = 1e-12, atol: float = 0.0,
          random: int | None = None, seed: int | None = None,
          limits: Limits | None = None, claims: Mapping[str, str] | None = None, **kw: Any) -> CheckReport:
    """Check every gradient of ``program`` at a point against its exact reference.

    Give the point as ``values`` (a mapping) or keyword arguments, or ``random=N`` for N
    seeded points inside the domain (``seed`` defaults to 0, so reports repeat; at most
    ``limits.max_random_points``). ``grads={name: value}`` checks gradients computed
    elsewhere (your NumPy, PyTorch or C code) instead of backprop's, one row per name given.
    A gradient agrees when it is within float64's own error bound for this graph, plus
    ``rtol``·|exact| + ``atol``. Raises ParseError, LimitError or InputError for bad input.
    """
    limits = limits or DEFAULT_LIMITS
    prog = parse(program, limits=limits)
    tol = {"rtol": _tolerance("rtol", rtol), "atol": _tolerance("atol", atol)}
    given = _given(prog, grads) if grads is not None else None
    if random is None:
        points = [resolve_point(prog, values, kw)]
    else:
        if values or kw:
            raise InputError("give either input values or random=N, not both")
        if given is not None:
            raise InputError("grads= goes with one point, not random=N")
        random = check_random_points(random, limits)
        seed = check_seed(seed)
        points = _random_points(prog, random, 0 if seed is None else seed, limits)
    rows: list[CheckRow] = []
    for k, point in enumerate(points):
        rows += _check_point(prog, point, k, given, tol, limits)
    report = CheckReport(prog, points, rows, tol, "given" if given is not None else "backprop", limits)
    if claims is not None:  # claimed partials {name: formula}: each becomes its name's row (issue 14)
        from ._claims import apply_claims
        apply_claims(report, claims, limits=limits, seed=seed)
    return report


def __getattr__(name: str):
    if name == "MAX_RANDOM_POINTS":   # the old constant: now Limits.max_random_points
        return DEFAULT_LIMITS.max_random_points
    raise AttributeError(name)


def _random_points(prog: Program, n: int, seed: int, limits: Limits) -> list[dict[str, float]]:
    rng = _random.Random(seed)
    points, draws = [], 0
    for _ in range(n):
        for attempt in range(_DRAWS_PER_POINT):
            draws += 1
            if draws > limits.max_random_draws:
                raise LimitError(f"over {limits.max_random_draws} random draws without finding {n} points "
                                 "inside the domain", limit="max_random_draws", value=limits.max_random_draws)
            lo = -2.0 if attempt % 2 == 0 else 0.05   # every other draw stays positive (log, sqrt, x**y)
            point = {name: round(rng.uniform(lo, 2.0), 6) for name in prog.inputs}
            try:
                backprop(prog, point)
            except NumericError:
                continue
            points.append(point)
            break
        else:
            raise NumericError(f"no point inside the domain found in {_DRAWS_PER_POINT} random draws",
                               hint="give a point with --at / values")
    return points


def _check_point(prog: Program, point: dict[str, float], k: int, given: dict[str, float] | None,
                 tol: dict[str, float], limits: Limits) -> list[CheckRow]:
    if given is None:
        try:
            grads = backprop(prog, point).grads
            given_here: dict = dict(grads)
        except NumericError:
            given_here = {name: None for name in prog.inputs + prog.intermediates}
        source = "backprop"
    else:
        given_here, source = dict(given), "given"
    ref = reference(prog, point, limits=limits)
    witness = Witness(ref) if ref.defined and not ref.failure else None
    return judge_point(ref, given_here, k, tol["rtol"], tol["atol"], witness, source)


# -- command line: `symgrad check` and `symgrad diff` (registered in _cli.COMMANDS) ------------

def setup_check_command(p) -> None:
    from ._cli import program_arguments
    program_arguments(p)
    p.add_argument("--random", type=int, metavar="N", help="check at N seeded random points inside the domain")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="seed for --random (default 0)")
    p.add_argument("--grads", nargs="+", metavar="NAME=VALUE",
                   help="check these gradients (from your own code) instead of backprop's; or one JSON file")
    for name, default in (("rtol", 1e-12), ("atol", 0.0)):
        p.add_argument(f"--{name}", type=float, default=default, metavar="X",
                       help=f"slack on top of float64's own error bound (default {default:g})")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    from ._claims import add_claim_arguments
    add_claim_arguments(p)  # --claim NAME=FORMULA, --claims FILE (issue 14)


def _read_grads(items: list[str] | None) -> dict[str, str] | None:
    if not items:
        return None
    if len(items) == 1 and "=" not in items[0]:
        try:
            with open(items[0], encoding="utf-8") as fh:
                data = json.loads(fh.read(DEFAULT_LIMITS.max_chars + 1))
        except (OSError, UnicodeDecodeError, ValueError) as err:
            raise InputError(f"cannot read the gradients file {items[0]!r:.60}: {type(err).__name__}",
                             hint="give a JSON object such as {\"x\": 1.5}, or NAME=VALUE items") from None
        if not isinstance(data, dict):
            raise InputError(f"{items[0]!s:.60} must hold a JSON object of name: value")
        return data
    from ._cli import read_point
    return read_point(items)


def run_check_command(args) -> int:
    """Exit 0 when every row is verified, 1 on a mismatch, 3 when some row is unverified
    (errors exit 2 in _cli.main)."""
    from ._claims import read_claims
    from ._cli import dump_json, limits_of, read_point, read_program
    if args.random is not None and args.at:
        raise InputError("give either --at or --random N, not both")
    if args.random is None and args.seed is not None:
        raise InputError("--seed goes with --random N")
    report = check(read_program(args), read_point(args.at), grads=_read_grads(args.grads), random=args.random,
                   seed=args.seed, rtol=args.rtol, atol=args.atol, limits=limits_of(args),
                   claims=read_claims(args.claim, args.claims) or None)
    if args.json:
        dump_json(report.to_dict())
    else:
        print(report.table())
    return report.exit_code


def setup_diff_command(p) -> None:
    from ._cli import program_arguments
    program_arguments(p, point=False)
    p.add_argument("--wrt", required=True, metavar="NAME", help="an input or named intermediate")
    p.add_argument("--latex", action="store_true", help="print LaTeX")


def run_diff_command(args) -> int:
    import sympy
    from ._cli import limits_of, read_program
    from ._symbolic import diff
    expr = diff(read_program(args), args.wrt, simplify=True, limits=limits_of(args))
    from ._closed_form import sympy_latex  # symgrad's names: x__2, Beta, e vs Euler's e print as themselves
    print(sympy_latex(expr) if args.latex else sympy.sstr(expr))
    return 0
