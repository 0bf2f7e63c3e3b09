"""Claimed derivatives: is someone else's formula for d(output)/d(name) right?

A claim is text in symgrad's own grammar (never Python): one expression over the program's
names, inputs and intermediates alike, e.g. ``(1 - tanh(x*w + b)^2)*x`` for d/dw of
``tanh(x*w + b)``. It is judged two ways:

- numerically: the claim is appended to the program as one more statement and evaluated with
  the exact references (``sample``), at the given point, at seeded random points inside the
  domain, and at a point on every piece the program's and the claim's kinks and switches make
  (``pieces``: across a kink at 1e-300 or at 1e300 alike), and compared with the true partial
  there. The comparison is relative (``equal``, ``RTOL``) or exact, at every magnitude: where
  the balls are too wide to tell (an exact 0 against 1e-45) the references are recomputed at
  more bits, and never does an absolute floor make two different numbers equal;
- symbolically, only when no point tells them apart: SymPy, on forms built from the AST (never
  from text), over real symbols, proves claim − truth = 0 within a structural budget
  (``claim_proof``), never a wall-clock one. Over the budget, the points alone decide, and the
  verdict says so.

Verdicts (``VERDICTS``):

- ``correct``: equal at the point and at every other point (or, where the point is undefined,
  proved equal by SymPy);
- ``wrong``: different at the given point (or undefined where the truth is defined); the row
  says where, both values, the first factor or term that differs, and, when the claim is the
  true partial divided by one local derivative ∂u/∂v on a path to the output, "missing
  chain-rule factor ∂u/∂v";
- ``correct here, wrong elsewhere``: equal at the given point, different (or undefined) at
  another; when every such point is across a kink, a switch or an edge of the claim's domain,
  the message says "correct on this piece (x < 5), wrong elsewhere" and ``ClaimRow.piece``
  holds the piece; when it is a point on one of the claim's own switches (``x == 3.5`` at 3.5,
  ``x*x > 0`` at 0, found exactly by ``Pieces.switch_points``), the message names the switch;
- ``unverified``: no evidence either way (undefined at the point, no proof, no other point), or
  a switch of the claim that could not be solved for its points, with no proof.

``claim_values`` (``sample``, ``PartialTruth.ball``) is the adapter to the check's references: the
module to rewire when the check's exact API changes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Mapping

from ..language.ast import Assign, Expr, Program
from ..base.errors import InputError, LimitError, NumericError, ParseError, SymgradError
from ..base.limits import DEFAULT_LIMITS, Limits
from .exact_size import bound_program
from ..language.parser import parse
from .claim_proof import PROVED
from .claim_values import FormTruth, PartialTruth, Sample, Truth, close, defined, sample
from .points import random_points

__all__ = ["ClaimRow", "VERDICTS", "judge_claims", "judge_expression", "parse_claim", "claims_exit_code",
           "apply_claims"]

CORRECT, WRONG, HERE_ONLY, UNVERIFIED = "correct", "wrong", "correct here, wrong elsewhere", "unverified"
ON_SWITCH = "equal at the given point, wrong on the claim's switch"
VERDICTS = (CORRECT, WRONG, HERE_ONLY, UNVERIFIED)
EXIT_CODES = {CORRECT: 0, WRONG: 1, HERE_ONLY: 1, UNVERIFIED: 3}

RANDOM_POINTS = 5         # default number of seeded random points besides the given one
PROOF_MODES = ("always", "when needed")   # when SymPy's proof is tried (judge_claims' proof=)
SETTLED = "no symbolic proof tried (the values settle it)"


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
    piece: str = ""                          # where a claim right on one piece only is right: "x < 5"

    def to_dict(self) -> dict:
        return {"name": self.name, "claim": self.claim, "verdict": self.verdict, "claimed": self.claimed,
                "true": self.true, "at": dict(self.at), "proof": self.proof, "message": self.message,
                "points": self.points, "here": self.here, "piece": self.piece}

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
    bound_program(program, limits, extra=[parsed.statements[0].expr])  # an answer's constants too
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


def _random_points(program: Program, n: int, seed: int, limits: Limits) -> list[dict[str, float]]:
    points = []
    for k in range(n):  # one draw per seed, so a domain too small for one point costs only that point
        try:
            points += random_points(program, 1, seed * 1_000_003 + k, limits)
        except (NumericError, LimitError):
            continue
    return points


# -- judging -------------------------------------------------------------------------------

def _f(x: Any) -> float | None:
    return None if x is None else float(x)


def judge_claims(program: "Program | str", point: Mapping[str, Any], claims: Mapping[str, str], *,
                 limits: Limits | None = None, seed: int = 0, random: int = RANDOM_POINTS,
                 proof: str = "always") -> list[ClaimRow]:
    """Judge each claimed partial ``{name: formula}`` of ``program`` at ``point``.

    ``random`` seeded points (``seed``) inside the domain and points on every piece the
    kinks and switches make (``pieces``) back the given one. ``proof="when needed"`` tries SymPy's
    proof only where the values do not settle the verdict (marking: a right answer costs no
    ``simplify``); the default ``"always"`` tries it for every claim. Returns one ClaimRow per claim, in
    the order given. Raises ParseError/InputError for a claim that is not an expression over the
    program's names, and the usual errors for the point.
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
        rows.append(_judge(prog, at, extra, name, claim, PartialTruth(prog, name, limits), limits, chain=True,
                           proof_mode=proof))
    return rows


def judge_expression(program: Program, point: Mapping[str, float], text: str, form: Any, *, label: str,
                     seed: int = 0, random: int = RANDOM_POINTS, limits: Limits | None = None,
                     proof: str = "always") -> ClaimRow:
    """Judge a formula over ``program``'s names against a SymPy ``form`` over the same names
    (e.g. a local derivative ∂u/∂v on a worksheet). ``label`` names it in messages; ``proof``
    as in ``judge_claims``."""
    limits = limits or DEFAULT_LIMITS
    claim = parse_claim(program, text, what=label, limits=limits)
    extra = _random_points(program, _count(random, limits), seed, limits)
    return _judge(program, dict(point), extra, label, claim, FormTruth(form), limits, chain=False, proof_mode=proof)


def _count(random: Any, limits: Limits) -> int:
    if isinstance(random, bool) or not isinstance(random, int) or random < 0:
        raise InputError(f"random must be a whole number >= 0, got {random!r:.40}")
    return min(random, limits.max_random_points)


def _judge(prog: Program, point: dict[str, float], extra: list[dict[str, float]], name: str, claim: Expr,
           truth: Truth, limits: Limits, *, chain: bool, proof_mode: str = "always") -> ClaimRow:
    from ..language.printing import power_symbol, to_notation
    from .dag import lowered
    from .pieces import MAX_SWITCH_DEGREE, Pieces
    text = to_notation(claim, power_symbol(prog.source))  # as the program writes it: x^2, not x ** 2.0
    full, fresh = _with_claim(prog, claim)
    if proof_mode not in PROOF_MODES:
        raise InputError(f"proof must be one of {', '.join(PROOF_MODES)}, got {proof_mode!r:.40}")
    pieces = Pieces(lowered(full), len(lowered(prog).kind))
    first = sample(prog, full, fresh, point, truth, limits, given=True)
    samples = [first] + [s for s in (sample(prog, full, fresh, at, truth, limits, given=False) for at in extra) if s]
    untested, on, unsolved = [], [], []
    if first.same is not False and not (first.claimed is None and first.true is not None):
        if not any(_differs(s) for s in samples[1:]):   # the walk across pieces only when still needed
            on, unsolved = pieces.switch_points(point)   # on the claim's switches: no walk lands there
            across = pieces.points(point) + [at for at, _ in on]
            found = [sample(prog, full, fresh, at, truth, limits, given=False) for at in across]
            samples += [s for s in found if s is not None]
            # a piece whose point told nothing (the claim beyond float64's range there): not tested
            untested = [at for at, s in zip(across, found) if s is None and pieces.defined(at)]
    both = [s for s in samples if s.same]
    args = (name, text, len(both), prog, claim, truth, samples, chain)
    if first.same is False:
        return _row(WRONG, first, "", "", SETTLED, *args)
    if first.claimed is None and first.true is not None:
        return _row(WRONG, first, "the claim is undefined at the point but the derivative exists", "", SETTLED, *args)
    differs = [s for s in samples[1:] if _differs(s)]
    if differs:                               # an exact difference at a point: no proof can undo it
        at = differs[0]
        why = "" if at.claimed is not None else (f"at {_where(at)} the claim is undefined but the derivative is "
                                                 f"{float(at.true):.12g}")
        switch = next((text for on_at, text in on if on_at == at.at), None)
        if first.same and switch is not None:
            return _row(HERE_ONLY, at, f"{ON_SWITCH} {switch} (at {_where(at)})", "", SETTLED, *args)
        if first.same:
            return _row(HERE_ONLY, at, why, _piece(pieces, point, differs), SETTLED, *args)
        return _row(WRONG, at, why, "", SETTLED, *args)
    unreached = pieces.unreached(point, [s.at for s in samples[1:]]) if first.same else ""
    if not any(s.claimed is not None for s in samples):
        proof = "no symbolic proof (the claim is undefined at every point tested)"
    elif proof_mode == "when needed" and first.same and len(both) >= 2 and not untested and not unreached and \
            not unsolved and \
            (pieces.complete or not pieces.switches):
        proof = SETTLED
    else:
        proof = _prove(prog, claim, truth)
    proved = proof == PROVED
    if first.claimed is not None and first.true is None and not proved:
        return _row(WRONG, first, "the claim is defined here but the derivative is not", "", proof, *args)
    if untested and not proved and first.same:
        where = _point_text(untested[0])
        piece = " and ".join(pieces.conditions(point, untested[0])) or "another piece"
        return _row(UNVERIFIED, first, f"equal at {len(both)} points, but outside {piece} (at {where}) claim and "
                    "derivative could not be compared (a value beyond float64's range, or not decided), and "
                    f"{_lower(proof)}", "", proof, *args)
    if unsolved and not proved and first.same:
        return _row(UNVERIFIED, first, f"equal at {len(both)} points, but the claim's switch {unsolved[0]} could not be "
                    f"solved for the points where its two sides are equal (it is no polynomial of degree at most "
                    f"{MAX_SWITCH_DEGREE} along an input), so the claim was not tried there, and {_lower(proof)}",
                    "", proof, *args)
    if not pieces.complete and pieces.switches and not proved and first.same:
        return _row(UNVERIFIED, first, f"equal at {len(both)} points, but the walk across the program's "
                    f"{len(pieces.switches)} kinks and switches stopped at its budget (pieces may be unvisited), "
                    f"and {_lower(proof)}", "", proof, *args)
    if unreached and not proved:
        return _row(UNVERIFIED, first, f"equal at {len(both)} points, but none of them has {unreached}, where the "
                    f"claim takes another branch, and {_lower(proof)}", "", proof, *args)
    if proved or (first.same and len(both) >= 2):
        where = f"equal at {len(both)} point{'s' * (len(both) != 1)} (exact references)"
        alone = "" if proved else ", judged by the exact references at the points alone"
        return ClaimRow(name, text, CORRECT, _f(first.claimed), _f(first.true), dict(first.at), proof,
                        f"correct: {where}; {proof}{alone}", len(both), _f(first.claimed))
    why = ("the derivative is undefined at the point" if first.true is None else
           "claim and derivative are too close to tell apart at the references' precision" if first.same is None else
           "equal at the point, but no random point inside the domain to test elsewhere")
    return _row(UNVERIFIED, first, f"{why}, and {_lower(proof)}", "", proof, *args)


def _lower(text: str) -> str:
    return text if text.startswith("SymPy") else text[:1].lower() + text[1:]


def _differs(s: Sample) -> bool:
    return s.same is False or (s.claimed is None and s.true is not None)


def _piece(pieces: Any, point: Mapping[str, float], differs: list[Sample]) -> str:
    """The given point's piece, as conditions (``x < 5``), when every point where the claim
    is wrong lies across a kink, a switch or an edge of the claim's domain; else ''."""
    found: list[str] = []
    for s in differs:
        conditions = pieces.conditions(point, s.at)
        if not conditions:
            return ""
        found += [c for c in conditions if c not in found]
    return " and ".join(_between(found))


def _between(conditions: list[str]) -> list[str]:
    """'x > -3' and 'x < 3' read as '-3 < x < 3'."""
    out = list(conditions)
    for low in conditions:
        name, op, bound = (low.split(" ", 2) + ["", ""])[:3]
        if op != ">":
            continue
        high = next((c for c in out if c.startswith(f"{name} < ")), None)
        if high is not None and low in out:
            out[out.index(low)] = f"{bound} < {high}"
            out.remove(high)
    return out


def _row(verdict, sample, why, piece, proof, name, text, compared, prog, claim, truth, samples, chain) -> ClaimRow:
    from .claim_explain import first_difference, missing_factor
    from ..language.printing import power_symbol
    parts = [why] if why else []
    c, t = sample.claimed, sample.true
    if verdict in (WRONG, HERE_ONLY) and c is not None and t is not None:
        parts.append(f"at {_where(sample)} the claim is {float(c):.12g} but the derivative is {float(t):.12g}")
        old = [(s.at, s.claimed, s.true, s.env) for s in samples]
        factor = missing_factor(prog, name, old) if chain else ""
        parts.append(factor or first_difference(claim, truth, sample.env, close=close, defined=defined,
                                                power=power_symbol(prog.source)))
    if verdict == HERE_ONLY and not why.startswith(ON_SWITCH):
        parts.insert(0, f"correct on this piece ({piece}), wrong elsewhere" if piece else
                     "equal at the given point only")
    message = "; ".join(p for p in parts if p)
    return ClaimRow(name, text, verdict, _f(c), _f(t), dict(sample.at), proof, message, compared,
                    _f(samples[0].claimed), piece)


def _where(sample: Sample) -> str:
    return _point_text(sample.at)


def _point_text(at: dict) -> str:
    from ..language.names import number_text
    return ", ".join(f"{k}={number_text(v)}" for k, v in at.items())  # w=3, not w=3.0


def _prove(prog: Program, claim: Expr, truth: Truth) -> str:
    from .claim_proof import prove
    try:
        return prove(prog, claim, truth.form())
    except SymgradError as err:
        return f"no symbolic proof ({err.message})"


# -- the hook into check() (its --claim options are in _cli_check) -------------------------

def claims_exit_code(rows: list[ClaimRow]) -> int:
    """0 all correct, 1 any wrong (or right only at the point), else 3 any unverified."""
    from .report import exit_code
    codes = [EXIT_CODES[r.verdict] for r in rows]
    return exit_code(ok=1 not in codes, verified=3 not in codes)


def apply_claims(report: Any, claims: Mapping[str, str] | None, *, limits: Limits | None = None,
                 seed: int | None = None) -> Any:
    """Judge ``claims`` at the report's first point and put each in the report as the row for
    its name (point 0): its verdict becomes the claim's and its note the claim's message; its
    ``backprop`` column stays backprop's own gradient (the claim's value is ``ClaimRow.here``).
    ``report.claims`` keeps the ClaimRows."""
    from dataclasses import replace
    if not claims:
        report.claims = []
        return report
    rows = judge_claims(report.program, report.points[0], claims, limits=limits, seed=seed or 0)
    by_name = {r.name: r for r in rows}
    report.rows = [replace(row, verdict=by_name[row.name].verdict,
                           note=by_name[row.name].note())
                   if row.point == 0 and row.name in by_name else row for row in report.rows]
    report.claims = rows
    return report
