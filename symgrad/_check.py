"""The three-way gradient check: backprop vs SymPy vs central finite differences.

Tolerance policy (also in the README):

- backprop vs symbolic: ``|b − s| ≤ atol + rtol·|s|`` (defaults atol 1e-9, rtol 1e-7);
  where both are at most ``atol`` (so atol alone would decide), SymPy's partial is
  re-evaluated at 50 digits and atol shrinks to ``rtol`` × the gradient's roundoff scale (the
  sum over paths of |product of local derivatives|): a gradient tiny along its only path is
  compared relatively, so a wrong 1e-300 gradient, or a slope lost to cancellation, is a
  mismatch; roundoff where paths cancel, or an exact symbolic 0 (``sin(pi)``), keeps atol;
- backprop vs finite differences, as ``torch.autograd.gradcheck``:
  central difference with step ``fd_eps`` (1e-6), then ``|b − n| ≤ fd_atol + fd_rtol·|n|``
  (1e-5, 1e-3), plus the difference's own rounding, ``10·ε·|output|/fd_eps``, which only
  matters for large outputs;
- a finite difference that steps out of the domain is shown as undefined and does not
  decide the verdict.

Verdicts: ``agree``; ``mismatch``; ``kink`` (relu or abs meets 0 on the way from the
name to the output, where all three sides follow relu'(0) = abs'(0) = 0 except finite
differences, which see the average slope); ``both-domain`` (backprop and SymPy are both
undefined there); ``skipped (symbolic budget)``. A non-finite value is never ``agree``.
"""

from __future__ import annotations

import math
import random as _random
import time
from typing import Any, Mapping

from ._ast import Program
from ._backprop import Graph, backprop, build_graph, resolve_point
from ._engine import topo_order
from ._errors import CheckError, InputError, NumericError
from ._fasteval import SymbolicDomain
from ._limits import DEFAULT_LIMITS, Limits
from ._parser import parse
from ._report import CheckReport, CheckRow, SKIPPED
from ._symbolic import Partials

__all__ = ["check", "CheckReport", "CheckRow"]

MAX_RANDOM_POINTS = 10_000
_DRAWS = 200  # attempts to find one in-domain random point


_SIGNS = {"add": (1.0, 1.0), "sub": (1.0, -1.0), "neg": (-1.0,)}  # how + - and unary - pass a change on


class _Tape:
    """The Value graph flattened for finite differences: perturb one node, recompute only
    the nodes downstream of it.

    Trees of + and - (and unary -) are fused into one sum node, updated by the change of
    the terms that moved. Perturbing one of N summands then costs O(1), not O(N), so the
    check stays linear in the length of a sum.
    """

    def __init__(self, graph: Graph) -> None:
        topo = topo_order(graph.root)
        at = self.at = {id(v): i for i, v in enumerate(topo)}  # ids are internal, never shown
        self.data = [v.data for v in topo]
        kids = [tuple(at[id(k)] for k in v._prev) for v in topo]
        linear = [v._op is not None and v._op.name in _SIGNS for v in topo]
        readers: list[list[int]] = [[] for _ in topo]
        for i, ks in enumerate(kids):
            for k in ks:
                readers[k].append(i)
        named = {id(v) for v in graph.named.values()}
        # A linear node read once, by a linear node, and not named, is folded into its reader.
        folded = [linear[i] and len(readers[i]) == 1 and linear[readers[i][0]] and id(v) not in named
                  for i, v in enumerate(topo)]
        self.ops: list = [None] * len(topo)   # (forward, kids) or {kid: coefficient} for a sum
        self.users: list[list[tuple[int, float]]] = [[] for _ in topo]  # (user, coefficient or nan)
        for i, v in enumerate(topo):
            if v._op is None or folded[i]:
                continue
            if linear[i]:
                coef: dict[int, float] = {}
                stack = [(i, 1.0)]
                while stack:
                    j, c = stack.pop()
                    for k, sign in zip(kids[j], _SIGNS[topo[j]._op.name]):
                        if folded[k]:
                            stack.append((k, c * sign))
                        else:
                            coef[k] = coef.get(k, 0.0) + c * sign
                self.ops[i] = coef
                self.users_add(i, coef.items())
            else:
                self.ops[i] = (v._op.forward, kids[i])
                self.users_add(i, ((k, math.nan) for k in dict.fromkeys(kids[i])))

    def users_add(self, user: int, kids) -> None:
        for k, c in kids:
            self.users[k].append((user, c))

    def cone(self, start: int) -> list[int]:
        seen, stack = {start}, [start]
        while stack:
            for j, _ in self.users[stack.pop()]:
                if j not in seen:
                    seen.add(j)
                    stack.append(j)
        seen.discard(start)
        return sorted(seen)

    def output_with(self, start: int, value: float, cone: list[int]) -> float:
        base, ops, users = self.data, self.ops, self.users
        data = base.copy()
        moved: dict[int, float] = {}   # sum node -> change pushed by its moved terms
        data[start] = value
        for j in [start] + cone:
            op = ops[j]
            if j == start:
                pass
            elif isinstance(op, dict):
                data[j] = base[j] + moved.get(j, 0.0)
            else:
                forward, kids = op
                data[j] = forward(*[data[k] for k in kids])
            change = data[j] - base[j]
            for user, c in users[j]:
                if c == c:  # a sum node (nan marks other readers)
                    moved[user] = moved.get(user, 0.0) + c * change
        out = data[-1]
        if not math.isfinite(out):
            raise NumericError("the output is not finite")
        return out

    def central_difference(self, start: int, eps: float) -> float:
        cone = self.cone(start)
        x = self.data[start]
        slope = (self.output_with(start, x + eps, cone) - self.output_with(start, x - eps, cone)) / (2 * eps)
        if not math.isfinite(slope):
            raise NumericError("the finite difference is not finite")
        return slope


def _roundoff_scale(graph: Graph) -> dict[int, float]:
    """Per Value id: the sum over paths to the output of |product of local derivatives|.

    It is the scale of float64 roundoff in that gradient: paths that cancel (1 − 1) keep it at
    the size of the paths, while a gradient that is tiny along its only path keeps it tiny.
    """
    topo = topo_order(graph.root)
    scale = {id(v): 0.0 for v in topo}  # ids are internal, never shown
    scale[id(graph.root)] = 1.0
    for v in reversed(topo):
        if v._op is not None and scale[id(v)]:
            for kid, d in zip(v._prev, v._op.local(*[k.data for k in v._prev], v.data)):
                scale[id(kid)] += abs(d) * scale[id(v)]
    return scale


def _kink_affected(graph: Graph) -> set[int]:
    """ids of the Values upstream of a relu/abs whose argument is exactly 0 here."""
    stack = [v._prev[0] for v in topo_order(graph.root) if v._op is not None and v._op.kink and v._prev[0].data == 0.0]
    affected = {id(v) for v in stack}
    while stack:
        for k in stack.pop()._prev:
            if id(k) not in affected:
                affected.add(id(k))
                stack.append(k)
    return affected


def _tolerance(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise InputError(f"{name} must be a finite non-negative number, got {value!r:.40}")
    return float(value)


def check(program: "Program | str", values: Mapping[str, Any] | None = None, /, *,
          rtol: float = 1e-7, atol: float = 1e-9, fd_eps: float = 1e-6, fd_atol: float = 1e-5,
          fd_rtol: float = 1e-3, random: int | None = None, seed: int | None = None,
          limits: Limits | None = None, **kw: Any) -> CheckReport:
    """Check every gradient of ``program`` three ways: backprop, SymPy, finite differences.

    Give the point as ``values`` (a mapping) or keyword arguments, or ``random=N`` for N
    seeded points drawn inside the domain (``seed`` defaults to 0, so reports repeat).
    One row per input and named intermediate per point. ``limits.symbolic_budget``
    bounds the SymPy stage in seconds; rows it does not reach say
    ``skipped (symbolic budget)``. Tolerances are described in the module docstring.
    """
    limits = limits or DEFAULT_LIMITS
    prog = parse(program, limits=limits)
    tol = {"rtol": _tolerance("rtol", rtol), "atol": _tolerance("atol", atol),
           "fd_eps": _tolerance("fd_eps", fd_eps), "fd_atol": _tolerance("fd_atol", fd_atol),
           "fd_rtol": _tolerance("fd_rtol", fd_rtol)}
    if tol["fd_eps"] == 0:
        raise InputError("fd_eps must be positive")
    if random is None:
        points = [resolve_point(prog, values, kw)]
    else:
        if values or kw:
            raise InputError("give either input values or random=N, not both")
        if isinstance(random, bool) or not isinstance(random, int) or not 1 <= random <= MAX_RANDOM_POINTS:
            raise InputError(f"random must be a whole number from 1 to {MAX_RANDOM_POINTS}, got {random!r:.40}")
        points = _random_points(prog, random, 0 if seed is None else seed)
    partials = Partials(prog, time.monotonic() + limits.symbolic_budget)
    rows: list[CheckRow] = []
    for k, point in enumerate(points):
        rows += _check_point(prog, point, k, partials, tol)
    report = CheckReport(prog, points, rows, tol)
    report._partials = partials  # the worksheet reads its closed forms from the same derivatives
    return report


def _random_points(prog: Program, n: int, seed: int) -> list[dict[str, float]]:
    rng = _random.Random(seed)
    points = []
    for _ in range(n):
        for attempt in range(_DRAWS):
            lo = -2.0 if attempt % 2 == 0 else 0.05   # every other draw stays positive (log, sqrt, x**y)
            point = {name: round(rng.uniform(lo, 2.0), 6) for name in prog.inputs}
            try:
                backprop(prog, point)
            except NumericError:
                continue
            points.append(point)
            break
        else:
            raise NumericError(f"no point inside the domain found in {_DRAWS} random draws",
                               hint="give a point with --at / values")
    return points


def _check_point(prog: Program, point: dict[str, float], k: int, partials: Partials,
                 tol: dict[str, float]) -> list[CheckRow]:
    names = prog.inputs + prog.intermediates
    grads: dict[str, float] = {}
    backprop_error = ""
    graph = None
    try:
        result = backprop(prog, point)
        grads, graph = result.grads, result.graph
    except NumericError as err:
        backprop_error = err.message
        try:
            graph = build_graph(prog, point)
        except NumericError:
            graph = None
    tape = _Tape(graph) if graph is not None else None
    affected = _kink_affected(graph) if graph is not None else set()
    roundoff = _roundoff_scale(graph) if graph is not None and grads else {}
    try:
        partials.output_value(point)
        undefined = ""
    except SymbolicDomain as err:
        undefined = f"undefined (the output is: {err})"
    except CheckError:
        undefined = ""        # over budget: the rows say so one by one
    values = dict(point)
    if graph is not None:
        values.update({name: graph.named[name].data for name in prog.intermediates})

    # The SymPy side works back from the output, like backprop: names near the output are
    # the cheapest to substitute, so a tight budget still checks as many rows as it can.
    order = tuple(reversed(prog.intermediates)) + prog.inputs
    symbolic = {name: (None, undefined) if undefined else _symbolic(partials, name, values, graph is not None)
                for name in order}
    rows = []
    for name in names:
        at = tape.at.get(id(graph.named[name])) if tape is not None else None
        kink = graph is not None and id(graph.named[name]) in affected
        b = grads.get(name)
        n, n_note = _finite_difference(tape, at, tol["fd_eps"]) if tape is not None else \
            (None, "undefined (the forward pass fails here)")
        s, s_note = symbolic[name]
        scale = roundoff.get(id(graph.named[name]), math.inf) if graph is not None else math.inf
        if b is not None and s is not None and _tiny(b, s, tol):
            precise = _symbolic(partials, name, values, True, precise=True)
            if precise[1].startswith(SKIPPED):  # no guaranteed digits in time: plain atol decides
                scale = math.inf
            else:
                s, s_note = precise
        fd_noise = _FD_ROUNDOFF * abs(graph.root.data) / tol["fd_eps"] if graph is not None else 0.0
        verdict = _verdict(b, s, n, kink, s_note, tol, scale, fd_noise)
        note = "; ".join(x for x in (
            f"backprop: {backprop_error}" if b is None else "",
            f"symbolic: {s_note}" if s_note else "",
            f"finite difference: {n_note}" if n_note else "") if x)
        rows.append(CheckRow(name, b, s, n, verdict, k, note))
    return rows


def _finite_difference(tape: _Tape, at: int | None, eps: float) -> tuple[float | None, str]:
    if at is None:           # the name does not reach the output
        return 0.0, ""
    try:
        return tape.central_difference(at, eps), ""
    except NumericError as err:
        return None, f"undefined ({err.message})"


def _symbolic(partials: Partials, name: str, values: Mapping[str, float], forward_ok: bool,
              precise: bool = False) -> tuple[float | None, str]:
    try:
        pieces = partials.pieces(name)
        if not pieces:
            return 0.0, ""
        if not forward_ok and name in partials.index:
            return None, "undefined (the forward pass fails here)"
        return (partials.precise_value if precise else partials.value)(name, values), ""
    except SymbolicDomain as err:
        return None, f"undefined ({err})"
    except CheckError as err:
        return None, SKIPPED + f": {err.message}"


def _close(a: float, b: float, atol: float, rtol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


# A central difference of f carries about ε·|f|/h of rounding (ε = 2.2e-16); 10× for the
# rounding inside f. On a 1e15 output with h = 1e-6 that is ±20: the step is lost, not the rule.
_FD_ROUNDOFF = 10 * 2.2e-16


def _tiny(b: float, s: float, tol: dict[str, float]) -> bool:
    """Both sides so small that atol alone would call them equal."""
    return max(abs(b), abs(s)) <= tol["atol"]


def _verdict(b: float | None, s: float | None, n: float | None, kink: bool, s_note: str,
             tol: dict[str, float], scale: float = math.inf, fd_noise: float = 0.0) -> str:
    if s_note.startswith(SKIPPED):
        return SKIPPED
    if b is None and s is None:
        return "both-domain"
    atol = tol["atol"]
    if b is not None and s is not None and s != 0.0 and _tiny(b, s, tol):
        # atol alone would decide: shrink it to this gradient's roundoff scale, so a tiny
        # gradient is compared relatively unless its paths cancel (then roundoff is real).
        # An exact symbolic 0 keeps atol: sin(pi) folds to 0, backprop's float pi gives 1.2e-16.
        atol = min(atol, tol["rtol"] * scale)
    if b is None or s is None or not _close(b, s, atol, tol["rtol"]):
        return "kink" if kink else "mismatch"
    if n is not None and not _close(b, n, tol["fd_atol"] + fd_noise, tol["fd_rtol"]):
        return "kink" if kink else "mismatch"
    return "agree"


# -- command line: `symgrad check` and `symgrad diff` (registered in _cli.COMMANDS) ------------

def setup_check_command(p) -> None:
    from ._cli import program_arguments
    program_arguments(p)
    p.add_argument("--random", type=int, metavar="N", help="check at N seeded random points inside the domain")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="seed for --random (default 0)")
    for name, default in (("rtol", 1e-7), ("atol", 1e-9), ("fd-eps", 1e-6), ("fd-atol", 1e-5), ("fd-rtol", 1e-3)):
        p.add_argument(f"--{name}", type=float, default=default, metavar="X", help=f"default {default:g}")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def run_check_command(args) -> int:
    """Exit 0 when nothing mismatches, 1 on any mismatch (errors exit 2 in _cli.main)."""
    from ._cli import dump_json, limits_of, read_point, read_program
    if args.random is not None and args.at:
        raise InputError("give either --at or --random N, not both")
    if args.random is None and args.seed is not None:
        raise InputError("--seed goes with --random N")
    report = check(read_program(args), read_point(args.at), random=args.random, seed=args.seed,
                   rtol=args.rtol, atol=args.atol, fd_eps=args.fd_eps, fd_atol=args.fd_atol,
                   fd_rtol=args.fd_rtol, limits=limits_of(args))
    if args.json:
        dump_json(report.to_dict())
    else:
        print(report.table())
    return 0 if report.ok else 1


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
