"""Tensor claims: the backprop-ninja exercise (makemore part 4) checked line by line.

A claim gives one gradient of a tensor program as a formula in the language, as the lecture writes
it: ``dW2 = h.T @ dlogits``, ``dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)``. It may read
the program's values and other nodes' gradients, as ``dname`` (the lecture's convention) or
``grad(name)``. Each claim is judged with the EXACT upstream gradients, as the lecture's ``cmp``
compares each line with PyTorch's: one early mistake does not fail every later line.

Judging is exact (``tensor_exact``: the program's values and gradients as arb balls, the same walk
and rules as backprop): the claim is evaluated in balls with exact upstream values and compared with
the exact gradient element by element (``claim_values.equal``: relative ``RTOL``, or exact).

- ``correct``: every element proved equal at the point, and not different at a second seeded point
  (the point's float inputs perturbed; the claim again with that point's exact upstream gradients).
  An element whose truth is an exact 0 made by cancellation (``dlogit_maxes``, ``db1`` under batch
  norm) cannot be proved 0 by balls; there a seeded probe decides: the upstream gradients the claim
  reads are replaced by seeded random arrays, the true gradient is backpropagated from them
  (``tensor_exact.probe``), and claim and truth must be proved equal there, as functions of their
  upstream gradients (a polynomial-identity test, as the scalar claims' random points).
- ``wrong``: an element proved different at the point, a shape that is not the node's, or a claim
  that cannot be evaluated (a ShapeError); explained by ``tensor_explain`` as a teacher would (the
  missing sum and its axis, a wrong axis, a transpose, a factor n, n/(n−1) or −1, a missing
  chain-rule factor) with the first differing elements (index, claimed, exact).
- ``correct here, wrong elsewhere``: right at the point, different at the second point.
- ``unverified``: undecided elements the probe could not settle.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..base.errors import InputError, NumericError, ShapeError, SymgradError
from .balls import Undefined, Undetermined
from ..base.limits import DEFAULT_LIMITS, Limits
from ..language.ast import Program
from .claims import CORRECT, HERE_ONLY, UNVERIFIED, WRONG
from .tensor_explain import Difference, explain

__all__ = ["TensorClaimRow", "TensorClaims", "judge_tensor_claims", "claim_node", "apply_tensor_claims"]

_GRAD_CALL = re.compile(r"\bgrad\(\s*([A-Za-z][A-Za-z0-9_]*)\s*\)")


@dataclass(frozen=True)
class TensorClaimRow:
    """The verdict on one claimed gradient d(output)/d(name), an array of name's shape.

    ``shape`` is the claim's shape (None when it cannot be evaluated), ``needed`` the node's;
    ``differing``/``undecided`` count the elements proved different / not decided at the point;
    ``first`` holds the first differing elements (index, claimed, exact); ``kinds`` what the
    explanation found (``tensor_explain.Explanation.kinds``)."""
    name: str
    key: str
    claim: str
    verdict: str
    shape: tuple[int, ...] | None
    needed: tuple[int, ...]
    message: str
    differing: int = 0
    undecided: int = 0
    total: int = 0
    first: tuple[Difference, ...] = ()
    kinds: tuple[str, ...] = ()
    points: int = 0

    def to_dict(self) -> dict:
        return {"name": self.name, "key": self.key, "claim": self.claim, "verdict": self.verdict,
                "shape": None if self.shape is None else list(self.shape), "needed": list(self.needed),
                "message": self.message, "differing": self.differing, "undecided": self.undecided,
                "total": self.total, "kinds": list(self.kinds), "points": self.points,
                "first": [{"index": list(d.index), "claimed": d.claimed, "exact": d.exact} for d in self.first]}

    def note(self) -> str:
        return f"claim {self.key} = {self.claim}: {self.message}"


# -- names ---------------------------------------------------------------------------------------

def claim_node(program: Program, key: str, differentiable: set[str]) -> str:
    """The node a claim is for: ``dW2`` or ``W2`` names W2 (a name of the program wins)."""
    if key in differentiable:
        return key
    if key.startswith("d") and key[1:] in differentiable:
        return key[1:]
    names = sorted(differentiable)
    close = difflib.get_close_matches(str(key), names + [f"d{n}" for n in names], n=1)
    raise InputError(f"a claim for {key!s:.40}, which is no gradient of the program",
                     hint=f"did you mean {close[0]}?" if close else
                     f"claims are for the gradients d{', d'.join(names[:8])}{', …' if len(names) > 8 else ''}")


def _claim_program(program: Program, key: str, text: Any, differentiable: set[str],
                   limits: Limits) -> tuple[Program, dict[str, tuple[str, str]]]:
    """The claim parsed as a one-statement program, and what each name it reads means:
    ``("value", node)`` or ``("grad", node)``. ``grad(x)`` reads as ``dx`` (padded, so columns stay)."""
    from ..language.parser import parse
    if not isinstance(text, str):
        raise InputError(f"the claim for {key} must be text, got {type(text).__name__}")
    plain = _GRAD_CALL.sub(lambda m: ("d" + m.group(1)).ljust(len(m.group(0))), text)
    try:
        prog = parse(plain, limits=limits)
    except SymgradError as err:
        raise type(err)(f"claim for {key}: {err.message}", hint=err.hint, line=getattr(err, "line", None),
                        column=getattr(err, "column", None)) from None
    if len(prog.statements) != 1 or prog.statements[0].name is not None:
        raise InputError(f"the claim for {key} must be one expression, not statements or an assignment",
                         hint="write the formula only, e.g. h.T @ dlogits")
    known = set(program.inputs) | set(program.intermediates)
    reads: dict[str, tuple[str, str]] = {}
    for name in prog.inputs:
        if name in known:
            reads[name] = ("value", name)
        elif name.startswith("d") and name[1:] in differentiable:
            reads[name] = ("grad", name[1:])
        else:
            options = sorted(known) + [f"d{n}" for n in sorted(differentiable)]
            close = difflib.get_close_matches(name, options, n=1)
            raise InputError(f"the claim for {key} reads {name!s:.40}, which is neither a name of the program "
                             "nor a gradient (dname)", hint=f"did you mean {close[0]}?" if close else
                             "gradients are written dname or grad(name)")
    return prog, reads


# -- judging -------------------------------------------------------------------------------------

def judge_tensor_claims(program: "Program | str", point: Mapping[str, Any], claims: Mapping[str, str], *,
                        limits: Limits | None = None, seed: int = 0, second: bool = True) -> list[TensorClaimRow]:
    """Judge each claimed gradient ``{dname or name: formula}`` of a tensor ``program`` at ``point``
    (arrays or nested lists, as ``symgrad.backprop``). ``second`` adds a seeded second point.
    Returns one TensorClaimRow per claim, in the order given. Raises ParseError/InputError for a claim
    that is not a formula over the program's names and gradients, and the usual errors for the point."""
    if not isinstance(claims, Mapping):
        raise InputError(f"claims must map names to formulas, got {type(claims).__name__}")
    judge = TensorClaims(program, point, limits=limits, seed=seed, second=second)
    parsed = [judge.parse(str(key), text) for key, text in claims.items()]   # every claim read before any work
    return [judge.judge_parsed(*p) for p in parsed]


class TensorClaims:
    """The exact state of a tensor program at a point (and at a seeded second point), computed
    once, against which claims are judged one by one (``judge``): a class's answers cost one state."""

    def __init__(self, program: "Program | str", point: Mapping[str, Any], *, limits: Limits | None = None,
                 seed: int = 0, second: bool = True) -> None:
        from ..language.parser import parse
        from .tensor_exact import exact_state
        self.limits = limits or DEFAULT_LIMITS
        self.program = parse(program, limits=self.limits)
        self.seed, self.second = seed, second
        self.state = exact_state(self.program, point, self.limits)
        self._other: Any = None

    @property
    def other(self) -> Any:
        """The exact state at the seeded second point (made on first use), or None."""
        from .tensor_exact import exact_state, nearby_point
        if self._other is None and self.second:
            near = nearby_point(self.program, self.state, self.seed, self.limits)
            self._other = exact_state(self.program, near, self.limits) if near is not None else False
        return self._other or None

    def parse(self, key: str, text: Any) -> tuple:
        node = claim_node(self.program, key, self.state.differentiable)
        claim, reads = _claim_program(self.program, key, text, self.state.differentiable, self.limits)
        if ("grad", node) in reads.values():
            raise InputError(f"the claim for {key} reads d{node} itself", hint="write it from other gradients")
        return key, node, text.strip(), claim, reads

    def judge(self, key: str, text: Any) -> TensorClaimRow:
        """The verdict on one claim ``key = text`` (``dW2``, ``h.T @ dlogits``)."""
        return self.judge_parsed(*self.parse(key, text))

    def judge_parsed(self, key: str, node: str, text: str, claim: Program, reads: dict) -> TensorClaimRow:
        return _judge(self.state, self, key, node, text, claim, reads, self.limits, self.seed)


def _judge(state: Any, judge: TensorClaims, key: str, node: str, text: str, claim: Program, reads: dict,
           limits: Limits, seed: int) -> TensorClaimRow:
    from .tensor_exact import compare, evaluate, midpoints, probe
    needed = tuple(np.shape(state.grads[node]))
    total = int(np.prod(needed, dtype=np.int64))
    row = dict(name=node, key=key, claim=text, needed=needed, total=total)
    try:
        value = evaluate(claim, _env(state, reads), limits)
    except ShapeError as err:
        return TensorClaimRow(verdict=WRONG, shape=None, kinds=("shape",), points=1,
                              message=f"the claim cannot be evaluated: {err.message}", **row)
    except (NumericError, Undefined) as err:      # the gradient exists here (the state was computed)
        return TensorClaimRow(verdict=WRONG, shape=None, kinds=("undefined",), points=1,
                              message=f"the claim is undefined at the point but the gradient exists: {err}", **row)
    except Undetermined as err:
        return TensorClaimRow(verdict=UNVERIFIED, shape=None, points=1,
                              message=f"the claim cannot be decided at the point: {err}", **row)
    shape = tuple(np.shape(value))
    if shape != needed:
        return _wrong(state, claim, reads, node, value, limits, row, shape, differing=total)
    same = compare(value, state.grads[node])
    differing = int(sum(s is False for s in same.flat))
    undecided = int(sum(s is None for s in same.flat))
    if differing:
        return _wrong(state, claim, reads, node, value, limits, row, shape, differing=differing, undecided=undecided)
    how = f"equal to the exact gradient in all {total} elements at the point"
    if undecided:
        grads_read = sorted({n for kind, n in reads.values() if kind == "grad"})
        settled = probe(state, node, claim, reads, grads_read, seed, limits) if grads_read else None
        if settled is not True:
            why = ("and a seeded probe of the upstream gradients it reads differs: it is not the chain rule of "
                   "those gradients" if settled is False else "and the claim reads no upstream gradient to probe")
            return TensorClaimRow(verdict=UNVERIFIED, shape=shape, undecided=undecided, points=1, **row,
                                  message=f"{undecided} of {total} elements cannot be told apart from the exact "
                                          f"gradient at the references' precision (an exact 0 made by cancellation "
                                          f"is undecidable by balls), {why}")
        probed = (f"a seeded probe proves the claim is the chain rule of the upstream "
                  f"gradient{'s' * (len(grads_read) > 1)} {', '.join('d' + g for g in grads_read)}")
        how = (f"the exact gradient is 0 up to the balls' radius in all {total} elements (an exact 0 by "
               f"cancellation, which balls cannot settle), and {probed}" if undecided == total else
               f"equal to the exact gradient in {total - undecided} of {total} elements at the point; in the "
               f"other {undecided} both are 0 up to the balls' radius, and {probed}")
    points = 1
    other = judge.other
    if other is not None:
        try:
            there = evaluate(claim, _env(other, reads), limits)
        except (SymgradError, Undefined, Undetermined):     # no evidence there
            there = None
        if there is not None and tuple(np.shape(there)) == tuple(np.shape(other.grads[node])):
            verdicts = compare(there, other.grads[node])
            if any(s is False for s in verdicts.flat):
                c, e = midpoints(there), midpoints(other.grads[node])
                ex = explain(c, e, name=key, node=node)
                return TensorClaimRow(verdict=HERE_ONLY, shape=shape, points=2, first=ex.differences, **row,
                                      message=f"equal at the point, but different at a second seeded point: {ex.message}")
            points = 2
    where = " and at a second seeded point" if points == 2 else ""
    return TensorClaimRow(verdict=CORRECT, shape=shape, undecided=undecided, points=points, **row,
                          message=f"correct: {how}{where} (exact references)")


def _env(state: Any, reads: dict) -> dict[str, Any]:
    return {name: state.grads[node] if kind == "grad" else state.values[node] for name, (kind, node) in reads.items()}


def _wrong(state: Any, claim: Program, reads: dict, node: str, value: Any, limits: Limits, row: dict,
           shape: tuple[int, ...], *, differing: int, undecided: int = 0) -> TensorClaimRow:
    from .tensor_exact import midpoints
    from .tensor_hints import chain_factors, other_axes, sizes
    c, e = midpoints(value), midpoints(state.grads[node])
    ex = explain(c, e, name=row["key"], node=node, sizes=sizes(state), factors=chain_factors(state, node))
    message, kinds = ex.message, ex.kinds
    if kinds and kinds[0] in ("axis", "shape", "elements"):
        fixed = other_axes(state, claim, reads, e, limits)
        if fixed and kinds[0] == "elements":
            message, kinds = f"{fixed}; {message}", ("axis",) + kinds
        elif fixed:
            message, kinds = f"{row['key']} has shape {_shape(shape)} but needs {_shape(row['needed'])}: {fixed}", \
                ("axis",)
    return TensorClaimRow(verdict=WRONG, shape=shape, message=message, differing=differing, undecided=undecided,
                          first=ex.differences, kinds=kinds, points=1, **row)


def _shape(s: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"


def apply_tensor_claims(report: Any, claims: Mapping[str, str], *, limits: Limits | None = None,
                        seed: int | None = None) -> Any:
    """Judge ``claims`` at a tensor check report's point and put each in the report as the row for its
    name: its verdict becomes the claim's and its note the claim's message (the check's own columns
    stay backprop's). ``report.claims`` keeps the TensorClaimRows. As ``claims.apply_claims``."""
    from dataclasses import replace
    rows = judge_tensor_claims(report.program, report.points[0], claims, limits=limits, seed=seed or 0)
    by_name = {r.name: r for r in rows}
    report.rows = [replace(row, verdict=by_name[row.name].verdict, note=by_name[row.name].note())
                   if row.name in by_name else row for row in report.rows]
    report.claims = rows
    return report
