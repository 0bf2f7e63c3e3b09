"""The exact check of a tensor program: every element of every gradient against its exact reference.

``symgrad.check`` runs this when the program uses a tensor form or a value is an array. Three runs of
the same rules (``rules.tensor_ops``) over the same graph (``engine.tensor``):

1. float64 backprop (or the gradients given with ``grads=``, arrays of any shape);
2. the exact reference: ball arithmetic (``gradcheck.tensor_balls.Exact``) at 128 bits, doubled up to
   ``Limits.max_reference_bits`` until every ball is far narrower than float64's error;
3. float64's error envelope (``tensor_balls.Envelope``): balls holding every value float64 backprop
   may give under the one rounding model (``rules.rounding``).

Per element, ``bound`` is the distance from the exact value to the envelope's far edge: float64's own
error bound there. An element agrees when |given − exact| ≤ bound + rtol·|exact| + atol, is a mismatch
when it is certainly farther, and is unverified in between (a ball too wide to decide). A row's
verdict is its worst element's; a wrong shape is a mismatch that names both shapes. The cost is a
constant number of passes over the program's scalar operations.

Why not lower to the scalar check's DAG: makemore's network at batch 32 is 263,041 scalar nodes, and the
scalar check costs about 200 µs of CPU a node (sums of tanh neurons of 1,000–2,000 nodes), so about a
minute; the ball arrays here take about a second (bench/tensor_bench.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .balls import Undefined, Undetermined, with_precision
from .reference import LOCK
from .report import CheckReport
from .tensor_balls import Envelope, Exact
from .tensor_kinks import kink_elements, mixed, one_sided
from .tensor_verdict import judge_tensor, shape_row
from ..base.errors import InputError, NumericError, show_name
from ..base.limits import Limits
from ..engine.tensor_point import tensor_point
from ..engine.tensor import backward, forward, tensor_backprop
from ..language.ast import Program

__all__ = ["TensorCheckRow", "TensorCheckReport", "tensor_check", "exact_gradients"]

START_BITS = 128


@dataclass(frozen=True)
class TensorCheckRow:
    """One gradient d(output)/d(name), an array, judged element by element.

    ``shape`` is the gradient's shape, ``given_shape`` the shape given (they differ on a shape
    mismatch); ``disagree`` counts the elements that are a mismatch (of ``elements``); ``worst`` is
    the index of the element farthest outside its bound (or nearest to it), with its ``given`` and
    ``exact`` values, its ``error`` |given − exact| and ``tolerance`` (float64's bound there plus
    rtol·|exact| + atol); ``digits`` the fewest digits float64 can promise over the elements.
    """
    name: str
    verdict: str
    shape: tuple[int, ...]
    given_shape: tuple[int, ...] | None
    elements: int = 0
    disagree: int = 0
    unverified: int = 0
    worst: tuple[int, ...] | None = None
    given: float | None = None
    exact: float | None = None
    error: float | None = None
    tolerance: float | None = None
    digits: int | None = None
    note: str = ""
    point: int = 0
    left: float | None = None       # the one-sided slopes at the first element exactly at a kink
    right: float | None = None

    def to_dict(self) -> dict:
        def number(x):
            return x if x is None or math.isfinite(x) else ("nan" if math.isnan(x) else
                                                           "inf" if x > 0 else "-inf")
        return {"point": self.point, "name": self.name, "verdict": self.verdict, "shape": list(self.shape),
                "given_shape": None if self.given_shape is None else list(self.given_shape),
                "elements": self.elements, "disagree": self.disagree, "unverified": self.unverified,
                "worst": None if self.worst is None else list(self.worst), "given": number(self.given),
                "exact": number(self.exact), "error": number(self.error), "tolerance": number(self.tolerance),
                "digits": self.digits, "note": self.note, "left": number(self.left), "right": number(self.right)}


class TensorCheckReport(CheckReport):
    """``symgrad.check`` on a tensor program: one ``TensorCheckRow`` per gradient (``ok``, ``verified``,
    ``exit_code``, ``summary`` and ``to_json`` as for scalars)."""

    def to_dict(self) -> dict:
        return super().to_dict() | {"points": [{k: list(np.shape(v)) for k, v in p.items()}
                                               for p in self.points]}

    def table(self) -> str:
        out = self.program.output or "output"
        t = self.tolerances
        lines = [f"check of d{out}/dname, every element: {self.source} vs the exact reference (float64's own "
                 f"error bound + rtol={t['rtol']:g}·|exact| + atol={t['atol']:g})", ""]
        head = ("name", "shape", "elements off", "worst element", self.source, "exact", "digits", "verdict")
        cells = [(r.name, str(r.shape) if r.given_shape in (None, r.shape) else f"{r.given_shape} ≠ {r.shape}",
                  f"{r.disagree}/{r.elements}", "" if r.worst is None else str(list(r.worst)),
                  "" if r.given is None else f"{r.given:.12g}", "" if r.exact is None else f"{r.exact:.12g}",
                  "" if r.digits is None else str(r.digits), r.verdict) for r in self.rows]
        widths = [max(len(c[i]) for c in cells + [head]) for i in range(len(head))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(cell, widths)).rstrip() for cell in [head] + cells]
        lines += [f"  {r.name}: {r.note}" for r in self.rows if r.note]
        verdict = "ok" if self.ok and self.verified else "MISMATCH" if not self.ok else "UNVERIFIED"
        lines += ["", f"{verdict}: " + (", ".join(f"{c} {v}" for v, c in self.summary.items())
                                        or "no gradients to check")]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<TensorCheckReport ok={self.ok} verified={self.verified} {self.summary}>"

    def row(self, name: str) -> TensorCheckRow:
        return next(r for r in self.rows if r.name == name)


@dataclass
class Sides:
    """The exact and envelope gradients of every differentiable name, or why there are none."""
    exact: dict[str, np.ndarray] = field(default_factory=dict)
    envelope: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, np.ndarray] = field(default_factory=dict)
    state: tuple[str, str] | None = None       # (undefined | undetermined, reason)
    ties: list[str] = field(default_factory=list)
    bits: int = START_BITS
    left: dict[str, np.ndarray] = field(default_factory=dict)    # one-sided gradients where an element
    right: dict[str, np.ndarray] = field(default_factory=dict)   # is exactly at a kink (tensor_kinks)
    mixed: dict[str, np.ndarray] = field(default_factory=dict)   # elements whose kinks move opposite ways


def _run(prog: Program, point: dict, ns: Any, limits: Limits) -> tuple[dict, dict, Any]:
    lifted = {k: (ns.lift(v) if np.asarray(v).dtype.kind == "f" else v) for k, v in point.items()}
    graph = forward(prog, lifted, xp=ns, limits=limits)
    backward(graph, xp=ns, seed=ns.lift(np.ones(graph.root.shape)))
    grads, values = {}, {}
    for name in prog.inputs + prog.intermediates:
        node = graph.named[name]
        if node.differentiable:
            grads[name] = ns.balls(node.grad if node.grad is not None else np.zeros(node.shape))
            values[name] = ns.balls(node.value)
    return grads, values, graph


def _resolved(exact: dict, envelope: dict) -> bool:
    """Every exact ball is narrow beside float64's error there (or beside 2⁻⁷⁰ of its size)."""
    for name, e in exact.items():
        rad = np.asarray(np.frompyfunc(lambda b: float(b.rad()), 1, 1)(e), dtype=np.float64)
        mid = np.abs(np.asarray(np.frompyfunc(lambda b: float(b.mid()), 1, 1)(e), dtype=np.float64))
        env = np.asarray(np.frompyfunc(lambda b: float(b.rad()), 1, 1)(envelope[name]), dtype=np.float64)
        if np.any((rad > 2.0 ** -70 * mid) & (rad > 1e-6 * env)):
            return False
    return True


def exact_gradients(prog: Program, point: dict, limits: Limits) -> Sides:
    """The exact reference and float64's envelope of every gradient (at one precision that settles)."""
    sides = Sides()
    with LOCK:
        try:
            with with_precision(START_BITS):
                env_ns = Envelope()
                sides.envelope, _, _ = _run(prog, point, env_ns, limits)
            bits = START_BITS
            while True:
                with with_precision(bits):
                    ns = Exact()
                    sides.exact, sides.values, graph = _run(prog, point, ns, limits)
                sides.bits, sides.ties = bits, ns.ties + env_ns.ties
                if _resolved(sides.exact, sides.envelope) or bits * 2 > limits.max_reference_bits:
                    break
                bits *= 2
            with with_precision(bits):
                kinks, switches, maybe = kink_elements(graph, ns)
                sides.ties += maybe
                if (kinks or switches) and not maybe:
                    names = list(sides.exact)
                    try:
                        sides.left = one_sided(graph, ns, kinks, switches, -1, bits, names)
                        sides.right = one_sided(graph, ns, kinks, switches, 1, bits, names)
                        sides.mixed = mixed(graph, ns, kinks, switches, bits, names)
                    except (Undefined, Undetermined) as err:     # a side's slope does not exist at the point
                        sides.left, sides.right, sides.mixed = {}, {}, {}
                        sides.ties.append(f"a one-sided slope at a kink or a switch cannot be read here: {err}")
        except Undefined as err:
            sides.state = ("undefined", str(err))
        except Undetermined as err:
            sides.state = ("undetermined", str(err))
    return sides


def _given(prog: Program, grads: Mapping[str, Any], names: list[str]) -> dict[str, np.ndarray]:
    if not isinstance(grads, Mapping):
        raise InputError(f"grads must be a mapping of name to array, got {type(grads).__name__}")
    out = {}
    for key, raw in grads.items():
        if key not in names:
            known = prog.inputs + prog.intermediates
            why = "it is integer data (an index, a target or a size), with no gradient" if key in known else \
                "it is not an input or a named intermediate of this program"
            raise InputError(f"{show_name(key)} in grads: {why}", hint=f"names with gradients: {', '.join(names)}")
        try:
            array = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"grads[{show_name(key)}] is not an array of numbers",
                             hint="give a numpy array (or nested lists) of floats") from None
        out[key] = array
    if not out:
        raise InputError("grads is empty", hint="give at least one name=array")
    return out


def tensor_check(prog: Program, values: Mapping[str, Any] | None, kw: Mapping[str, Any], *,
                 grads: Mapping[str, Any] | None, rtol: float, atol: float, limits: Limits) -> TensorCheckReport:
    """Check every gradient of a tensor program at one point (see the module docstring)."""
    point = tensor_point(prog, values, kw, limits)
    names = [n for n in prog.inputs + prog.intermediates if _differentiable(prog, point, n)]
    if grads is not None:
        given: dict[str, np.ndarray | None] = dict(_given(prog, grads, names))
        source = "given"
    else:
        source = "backprop"
        try:
            result = tensor_backprop(prog, point, limits=limits)
            given = {n: result.grads[n] for n in names if n in result.grads}
        except NumericError:
            given = {n: None for n in names}
    sides = exact_gradients(prog, point, limits)
    rows = []
    for name in given:
        rows.append(_row(name, given[name], sides, rtol, atol))
    return TensorCheckReport(prog, [point], rows, {"rtol": rtol, "atol": atol}, source, limits)


def _differentiable(prog: Program, point: dict, name: str) -> bool:
    if name in point:
        return np.asarray(point[name]).dtype.kind == "f"
    return True   # an intermediate: decided by the runs (integer ones have no gradient there)


def _row(name: str, given: np.ndarray | None, sides: Sides, rtol: float, atol: float) -> TensorCheckRow:
    if sides.state is not None:
        state, reason = sides.state
        verdict = "undefined" if state == "undefined" and (given is None or not np.all(np.isfinite(given))) \
            else "unverified" if state == "undetermined" else "mismatch"
        note = f"the exact gradient is {state} here: {reason}"
        shape = None if given is None else tuple(np.shape(given))   # no exact shape to set against it
        return TensorCheckRow(name, verdict, shape or (), shape, note=note)
    if name not in sides.exact:
        return TensorCheckRow(name, "unverified", (), None, note="integer data has no gradient")
    exact, envelope = sides.exact[name], sides.envelope[name]
    if given is None:
        return TensorCheckRow(name, "mismatch", exact.shape, None, elements=exact.size,
                              note="backprop failed here (a value is not finite) where the exact gradient exists")
    if tuple(np.shape(given)) != exact.shape:
        return shape_row(TensorCheckRow, name, given, exact.shape)
    return judge_tensor(TensorCheckRow, name, given, exact, envelope, rtol, atol, sides.ties,
                        sides.left.get(name), sides.right.get(name), sides.mixed.get(name))

