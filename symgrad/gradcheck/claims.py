"""Claimed derivatives: is someone else's formula for d(output)/d(name) right?

A claim is text in symgrad's own grammar (never Python): one expression over the program's
names, inputs and intermediates alike, e.g. ``(1 - tanh(x*w + b)^2)*x`` for d/dw of
``tanh(x*w + b)``. It is judged two ways:

- numerically: the claim is appended to the program as one more statement and evaluated with
  the exact references (``_exact_values``), at the given point and at seeded random points
  inside the domain, and compared with the true partial there (``_true_partial``);
- symbolically: SymPy, on forms built from the AST (never from text), proves
  claim − truth = 0 where it can, within a structural bound (``MAX_PROOF_NODES`` nodes and
  ``MAX_SIMPLIFY_OPS`` operations handed to ``simplify``), never a wall-clock one.

Verdicts (``VERDICTS``):

- ``correct``: equal at the point and at every random point (or, where the point is
  undefined, proved equal by SymPy);
- ``wrong``: different at the given point (or undefined where the truth is defined); the row
  says where, both values, the first factor or term that differs, and, when the claim is the
  true partial divided by one local derivative ∂u/∂v on a path to the output, "missing
  chain-rule factor ∂u/∂v";
- ``correct here, wrong elsewhere``: equal at the given point only;
- ``unverified``: no evidence either way (undefined at the point, no proof, no random point).

``_exact_values`` and ``_true_partial`` are the adapter to the check's references: the only two
functions to rewire when the check's exact API changes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Mapping

from ..language.ast import Assign, Expr, Program, Var, children, postorder
from ..base.errors import InputError, LimitError, NumericError, ParseError, SymgradError
from ..base.limits import DEFAULT_LIMITS, Limits
from ..language.parser import parse
from .points import random_points

__all__ = ["ClaimRow", "VERDICTS", "judge_claims", "judge_expression", "parse_claim", "claims_exit_code",
           "apply_claims"]

CORRECT, WRONG, HERE_ONLY, UNVERIFIED = "correct", "wrong", "correct here, wrong elsewhere", "unverified"
VERDICTS = (CORRECT, WRONG, HERE_ONLY, UNVERIFIED)
EXIT_CODES = {CORRECT: 0, WRONG: 1, HERE_ONLY: 1, UNVERIFIED: 3}

DIGITS = 50               # digits of the SymPy numbers the references are read into
# Claim and truth are both exact (50+ digits), so they must agree far past float64's last digit:
# |c − t| ≤ RTOL·max(|c|, |t|) + ATOL, RTOL as check's default rtol; ATOL only absorbs the
# reference's own last digits where an exact zero comes out as a tiny ball.
RTOL = 1e-12
ATOL = 1e-40
DBL_MAX = 1.7976931348623157e308
RANDOM_POINTS = 5         # default number of seeded random points besides the given one
MAX_PROOF_NODES = 2_000   # substituted claim or truth larger than this: no symbolic proof
MAX_SIMPLIFY_OPS = 80     # simplify() only sees differences at most this big


@dataclass(frozen=True)
class ClaimRow:
    """The verdict on one claimed partial d(output)/d(name).

    ``claimed`` and ``true`` are the two values at ``at`` (the point where they differ, or the
    given point), None where undefined. ``proof`` says what SymPy showed; ``message`` explains
    the verdict in one or two sentences (the differing factor, a missing chain-rule factor).
    """
    name: str
    claim: str
    verdict: str
    claimed: float | None
    true: float | None
    at: dict[str, float]
    proof: str = ""
    message: str = ""
    points: int = 0                          # points where both sides were compared
    here: float | None = None                # the claim's value at the given point

    def to_dict(self) -> dict:
        return {"name": self.name, "claim": self.claim, "verdict": self.verdict, "claimed": self.claimed,
                "true": self.true, "at": dict(self.at), "proof": self.proof, "message": self.message,
                "points": self.points, "here": self.here}

    def note(self) -> str:
        return f"claim {self.claim}: {self.message}"


# -- parsing -------------------------------------------------------------------------------

def parse_claim(program: Program, text: Any, *, what: str = "claim", limits: Limits | None = None) -> Expr:
    """The claim's AST: one expression, parsed by symgrad's grammar, over the program's names.

    Raises ParseError (with the claim's own line and column) or InputError naming the claim.
    """
    if not isinstance(text, str):
        raise InputError(f"{what} must be text, got {type(text).__name__}")
    try:
        parsed = parse(text, limits=limits)
    except ParseError as err:
        raise type(err)(f"{what}: {err.message}", source=text, line=err.line, column=err.column,
                        hint=err.hint) from None
    except LimitError:
        raise                   # names its limit and how to raise it
    except SymgradError as err:
        raise InputError(f"{what}: {err.summary}") from None
    if len(parsed.statements) != 1 or parsed.statements[0].name is not None:
        raise InputError(f"{what} must be one expression, not statements or an assignment",
                         hint="write the formula only, e.g. b*f")
    known = set(program.inputs) | set(program.intermediates)
    for name in parsed.inputs:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            raise InputError(f"{what} reads {name!s:.40}, which is not a name of the program",
                             hint=f"did you mean {close[0]}?" if close else
                             f"names are: {', '.join(program.inputs + program.intermediates)}")
    return parsed.statements[0].expr


def _with_claim(program: Program, claim: Expr) -> tuple[Program, str]:
    """The program with the claim appended as one more statement under a fresh name."""
    taken = set(program.inputs) | set(program.intermediates)
    k = 0
    while f"claim{k}" in taken:
        k += 1
    fresh = f"claim{k}"
    return Program(program.statements + (Assign(fresh, claim),), inputs=program.inputs,
                   source=program.source, limits=program.limits), fresh


# -- the adapter to the check's exact references ---------------------------------------------

def _exact_values(program: Program, point: Mapping[str, float], limits: Limits) -> dict[str, Any]:
    """Every input and named value at the point, from the check's exact reference (arb balls,
    ``_reference``), as SymPy Floats; None where undefined."""
    from .reference import reference
    ref = reference(program, point, limits=limits)
    return {name: _sympy_number(ref.values.get(name)) for name in program.inputs + program.intermediates}


def _true_partial(program: Program, point: Mapping[str, float], name: str, limits: Limits) -> Any:
    """d(output)/d(name) at the point from the exact reference, or None where it is undefined or
    undetermined (``Reference.grad_state`` says which)."""
    from .reference import reference
    ref = reference(program, point, limits=limits)
    if not ref.defined or name in ref.grad_state:
        return None
    return _sympy_number(ref.grads.get(name))


def _sympy_number(ball: Any) -> Any:
    """An arb ball's midpoint as a SymPy Float (references are known to far better than float64)."""
    if ball is None or not ball.is_finite():
        return None
    import sympy as sp
    return sp.Float(ball.mid().str(DIGITS + 10, radius=False), DIGITS + 10)


def _defined(value: Any) -> bool:
    """A finite real number within float64's range (as the references define a value)."""
    return bool(value is not None and value.is_Number and value.is_finite and value.is_real
                and abs(value) <= DBL_MAX)


def _random_points(program: Program, n: int, seed: int, limits: Limits) -> list[dict[str, float]]:
    points = []
    for k in range(n):  # one draw per seed, so a domain too small for one point costs only that point
        try:
            points += random_points(program, 1, seed * 1_000_003 + k, limits)
        except (NumericError, LimitError):
            continue
    return points


# -- judging -------------------------------------------------------------------------------

def _close(a: Any, b: Any) -> bool:
    return abs(a - b) <= RTOL * max(abs(a), abs(b)) + ATOL


def _f(x: Any) -> float | None:
    return None if x is None else float(x)


class _Truth:
    """What a claim is compared with: its value at a point, and its SymPy form for proofs."""

    def value(self, env: Mapping[str, Any], point: Mapping[str, float], limits: Limits) -> Any:
        raise NotImplementedError

    def form(self) -> Any:
        """The truth in the program's names (intermediates as symbols), or None."""
        return None


class _PartialTruth(_Truth):
    def __init__(self, program: Program, name: str, limits: Limits) -> None:
        from .symbolic import Partials
        self.program, self.name = program, name
        self.partials = Partials(program, limits=limits)    # closed forms for proofs and messages only

    def value(self, env, point, limits):
        return _true_partial(self.program, point, self.name, limits)

    def form(self):
        return self.partials.expr(self.name)


class _FormTruth(_Truth):
    """A truth given as a SymPy form over the program's names (a local derivative)."""

    def __init__(self, form: Any) -> None:
        self._form = form

    def value(self, env, point, limits):
        from .symbolic import symbol
        if any(v is None for v in env.values()):
            return None
        value = self._form.xreplace({symbol(k): v for k, v in env.items()}).evalf(DIGITS)
        return value if _defined(value) else None

    def form(self):
        return self._form


def judge_claims(program: "Program | str", point: Mapping[str, Any], claims: Mapping[str, str], *,
                 limits: Limits | None = None, seed: int = 0, random: int = RANDOM_POINTS) -> list[ClaimRow]:
    """Judge each claimed partial ``{name: formula}`` of ``program`` at ``point``.

    ``random`` seeded points (``seed``) inside the domain back the given one. Returns one
    ClaimRow per claim, in the order given. Raises ParseError/InputError for a claim that is
    not an expression over the program's names, and the usual errors for the point.
    """
    from ..engine.backprop import resolve_point
    limits = limits or DEFAULT_LIMITS
    prog = parse(program, limits=limits)
    if not isinstance(claims, Mapping):
        raise InputError(f"claims must map names to formulas, got {type(claims).__name__}")
    at = resolve_point(prog, point, {})
    names = prog.inputs + prog.intermediates
    rows = []
    extra = _random_points(prog, _count(random, limits), seed, limits)
    for name, text in claims.items():
        if name not in names:
            close = difflib.get_close_matches(str(name), names, n=1)
            raise InputError(f"a claim for {name!s:.40}, which is not an input or intermediate",
                             hint=f"did you mean {close[0]}?" if close else f"names are: {', '.join(names)}")
        claim = parse_claim(prog, text, what=f"claim for {name}", limits=limits)
        rows.append(_judge(prog, at, extra, name, claim, _PartialTruth(prog, name, limits), limits, chain=True))
    return rows


def judge_expression(program: Program, point: Mapping[str, float], text: str, form: Any, *, label: str,
                     seed: int = 0, random: int = RANDOM_POINTS, limits: Limits | None = None) -> ClaimRow:
    """Judge a formula over ``program``'s names against a SymPy ``form`` over the same names
    (e.g. a local derivative ∂u/∂v on a worksheet). ``label`` names it in messages."""
    limits = limits or DEFAULT_LIMITS
    claim = parse_claim(program, text, what=label, limits=limits)
    extra = _random_points(program, _count(random, limits), seed, limits)
    return _judge(program, dict(point), extra, label, claim, _FormTruth(form), limits, chain=False)


def _count(random: Any, limits: Limits) -> int:
    if isinstance(random, bool) or not isinstance(random, int) or random < 0:
        raise InputError(f"random must be a whole number >= 0, got {random!r:.40}")
    return min(random, limits.max_random_points)


def _judge(prog: Program, point: dict[str, float], extra: list[dict[str, float]], name: str, claim: Expr,
           truth: _Truth, limits: Limits, *, chain: bool) -> ClaimRow:
    from ..language.printing import power_symbol, to_notation
    text = to_notation(claim, power_symbol(prog.source))  # as the program writes it: x^2, not x ** 2.0
    full, fresh = _with_claim(prog, claim)
    samples = []                              # (point, claimed, true, env): the given point first
    for at in [point] + extra:
        env = _exact_values(full, at, limits)
        c = env.pop(fresh)
        samples.append((at, c, truth.value(env, at, limits), env))
    both = [s for s in samples if s[1] is not None and s[2] is not None]
    differs = [s for s in samples if (s[1] is None) != (s[2] is None) or (s in both and not _close(s[1], s[2]))]
    # SymPy builds exact numbers (2^3^4^5 would never finish): a proof is tried only for a claim
    # that is a float64-range number at some point tested.
    proof = _prove(prog, claim, truth) if any(s[1] is not None for s in samples) else \
        "no symbolic proof (the claim is undefined at every point tested)"
    proved = proof.startswith("SymPy proves")
    args = (name, text, len(both), prog, claim, truth, samples, chain, proof)
    first = samples[0]
    if first in differs and first[1] is not None and first[2] is not None:
        return _row(WRONG, first, "", *args)
    if first[1] is None and first[2] is not None:
        return _row(WRONG, first, "the claim is undefined at the point but the derivative exists", *args)
    if differs and not proved:
        at = differs[0]
        why = ("the claim is undefined here but the derivative exists" if at[1] is None else
               "the claim is defined here but the derivative is not" if at[2] is None else "")
        return _row(HERE_ONLY if first in both else WRONG, at, why, *args)
    if proved or len(both) >= 2:
        where = f"equal at {len(both)} point{'s' * (len(both) != 1)} (exact references)"
        return ClaimRow(name, text, CORRECT, _f(first[1]), _f(first[2]), dict(first[0]), proof,
                        f"correct: {where}; {proof}", len(both), _f(first[1]))
    why = ("the derivative is undefined at the point" if first[2] is None else
           "equal at the point, but no random point inside the domain to test elsewhere")
    return _row(UNVERIFIED, first, f"{why}, and {proof[0].lower()}{proof[1:]}", *args)


def _row(verdict, sample, why, name, text, compared, prog, claim, truth, samples, chain, proof) -> ClaimRow:
    from .claim_explain import first_difference, missing_factor
    from ..language.ast import Num
    from ..language.printing import power_symbol, to_source
    at, c, t, env = sample
    parts = [why] if why else []
    if verdict in (WRONG, HERE_ONLY) and c is not None and t is not None:
        where = ", ".join(f"{k}={to_source(Num(v))}" for k, v in at.items())  # w=3, not w=3.0
        parts.append(f"at {where} the claim is {float(c):.12g} but the derivative is {float(t):.12g}")
        factor = missing_factor(prog, name, samples) if chain else ""
        parts.append(factor or first_difference(claim, truth, env, close=_close, defined=_defined,
                                                power=power_symbol(prog.source)))
    if verdict == HERE_ONLY:
        parts.insert(0, "equal at the given point only")
    message = "; ".join(p for p in parts if p)
    return ClaimRow(name, text, verdict, _f(c), _f(t), dict(at), proof, message, compared, _f(samples[0][1]))


def _prove(prog: Program, claim: Expr, truth: _Truth) -> str:
    """'SymPy proves …' or why it did not, within the structural bounds."""
    import sympy as sp
    from .symbolic import symbol, to_sympy_expr
    defs = {s.name: s.expr for s in prog.statements if s.name is not None}

    def kids(node):
        return (defs[node.name],) if isinstance(node, Var) and node.name in defs else children(node)

    def size_ok(root) -> bool:
        return all(k < MAX_PROOF_NODES for k, _ in enumerate(postorder(root, kids)))

    try:
        form = truth.form()
    except SymgradError as err:
        return f"no symbolic proof ({err.message})"
    if form is None:
        return "no symbolic proof (no closed form)"
    full_of = {}
    for name in sorted(str(s) for s in form.free_symbols):
        if name in defs:
            if not size_ok(Var(name)):
                return f"no symbolic proof (over {MAX_PROOF_NODES} nodes once substituted)"
            full_of[symbol(name)] = to_sympy_expr(Var(name), symbol, kids)
    if not size_ok(claim):
        return f"no symbolic proof (over {MAX_PROOF_NODES} nodes once substituted)"
    diff = to_sympy_expr(claim, symbol, kids) - form.xreplace(full_of)
    if diff == 0:
        return "SymPy proves claim − truth = 0"
    if sp.count_ops(diff) > MAX_SIMPLIFY_OPS:
        return f"no symbolic proof (the difference has over {MAX_SIMPLIFY_OPS} operations)"
    for attempt in (diff, diff.rewrite(sp.exp)):
        if sp.simplify(attempt) == 0:
            return "SymPy proves claim − truth = 0"
    return "SymPy does not simplify claim − truth to 0"


# -- the hook into check() (its --claim options are in _cli_check) -------------------------

def claims_exit_code(rows: list[ClaimRow]) -> int:
    """0 all correct, 1 any wrong (or right only at the point), else 3 any unverified."""
    codes = [EXIT_CODES[r.verdict] for r in rows]
    return 1 if 1 in codes else 3 if 3 in codes else 0


def apply_claims(report: Any, claims: Mapping[str, str] | None, *, limits: Limits | None = None,
                 seed: int | None = None) -> Any:
    """Judge ``claims`` at the report's first point and put each in the report as the row for
    its name (point 0): its verdict becomes the claim's, its ``backprop`` (the gradient under
    check) the claim's value at the point, its note the claim's message. ``report.claims`` keeps the ClaimRows."""
    from dataclasses import replace
    if not claims:
        report.claims = []
        return report
    rows = judge_claims(report.program, report.points[0], claims, limits=limits, seed=seed or 0)
    by_name = {r.name: r for r in rows}
    # The claim is the gradient under check in its row (as grads= values are): its value here.
    report.rows = [replace(row, backprop=by_name[row.name].here, verdict=by_name[row.name].verdict,
                           note=by_name[row.name].note())
                   if row.point == 0 and row.name in by_name else row for row in report.rows]
    report.claims = rows
    return report
