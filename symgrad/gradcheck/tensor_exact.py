"""The tensor claims' adapter to the exact tensor machinery: the program's values and gradients as
arb balls at a point (``exact_state``), a claim evaluated in balls (``evaluate``), element-by-element
comparison (``compare``, ``claim_values.equal``), a seeded second point (``nearby_point``) and the
probe of a claim as a function of its upstream gradients (``probe``).

The exact walk is the engine's own (``engine.tensor.forward``/``backward`` with the check's ball
namespace): the same operations and vjp rules as float64 backprop, in balls. This module is the one
to rewire when the tensor check's exact API changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..base.errors import NumericError, ShapeError, SymgradError
from ..base.limits import Limits
from ..language.ast import Program

__all__ = ["ExactState", "exact_state", "evaluate", "compare", "midpoints", "nearby_point", "probe"]

BITS = 256          # balls far narrower than float64's last digit for the makemore network; no doubling:
                    # an element these bits cannot decide is reported undecided, never guessed


class _Namespace:
    """A fresh exact ball namespace (``tensor_balls.Exact``, the tensor check's own) and flint's
    precision held under the process-wide lock while it computes."""

    def __init__(self) -> None:
        from .tensor_balls import Exact
        self.xp = Exact()

    def __enter__(self) -> Any:
        from .balls import with_precision
        from .reference import LOCK
        self._lock, self._prec = LOCK, with_precision(BITS)
        self._lock.acquire()
        self._prec.__enter__()
        return self.xp

    def __exit__(self, *exc: Any) -> None:
        try:
            self._prec.__exit__(*exc)
        finally:
            self._lock.release()


def _lifted(xp: Any, point: Mapping[str, Any]) -> dict:
    """Float inputs as exact balls; integer data (indices, targets, sizes) as it is."""
    return {k: xp.lift(v) if np.asarray(v).dtype.kind == "f" else v for k, v in point.items()}


@dataclass
class ExactState:
    """A tensor program at a point, exactly: ``values`` and ``grads`` by name (object arrays of arb
    balls; integer data stays integer), the float64 ``point`` and the ball ``graph``."""
    program: Program
    point: dict[str, np.ndarray]
    values: dict[str, Any]
    grads: dict[str, Any]
    graph: Any

    @property
    def differentiable(self) -> set[str]:
        return set(self.grads)


def exact_state(program: Program, point: Mapping[str, Any], limits: Limits) -> ExactState:
    """Values and gradients of every input and named intermediate, in balls."""
    from ..engine.tensor_point import tensor_point
    from ..engine.tensor import backward, forward
    from ..base.errors import CheckError
    from .balls import Undefined, Undetermined
    floats = tensor_point(program, point, {}, limits)
    try:
        with _Namespace() as xp:
            graph = forward(program, _lifted(xp, floats), xp=xp, limits=limits)
            backward(graph, xp=xp, seed=xp.lift(np.ones(graph.root.shape)))
    except Undefined as err:
        raise NumericError(f"the program is undefined at this point ({err}): its gradients do not exist",
                           hint="judge the claims at a point inside the domain") from None
    except Undetermined as err:
        raise CheckError(f"the exact values at this point cannot be decided ({err})",
                         hint="judge the claims at a point away from the edge of a domain") from None
    values, grads = {}, {}
    for name in program.inputs + program.intermediates:
        node = graph.named[name]
        values[name] = node.value
        if node.differentiable:
            grads[name] = xp.balls(np.zeros(node.shape) if node.grad is None else node.grad)
    return ExactState(program, floats, values, grads, graph)


def evaluate(claim: Program, env: Mapping[str, Any], limits: Limits) -> Any:
    """The claim's value in balls over ``env`` (exact values and gradients). Raises ShapeError (the
    engine's, located in the claim) for shapes that do not fit, NumericError outside a domain."""
    from ..engine.tensor import forward
    with _Namespace() as xp:
        return np.asarray(forward(claim, dict(env), xp=xp, limits=limits).root.value)


def _arb(x: Any) -> Any:
    from flint import arb
    return x if hasattr(x, "mid") else arb(float(x)) if isinstance(x, (float, np.floating)) else arb(int(x))


def compare(claimed: Any, exact: Any) -> np.ndarray:
    """Element by element (equal shapes): True proved equal, False proved different, None undecided
    (``claim_values.equal``: relative RTOL at every magnitude, or exactly)."""
    from .claim_values import equal
    c, t = np.asarray(claimed), np.asarray(exact)
    out = np.empty(t.shape, dtype=object)
    for index in np.ndindex(t.shape):
        out[index] = equal(_arb(c[index]), _arb(t[index]))
    return out


def midpoints(a: Any) -> np.ndarray:
    """Float64 midpoints of a ball array (for explanations: the balls are far narrower than float64)."""
    a = np.asarray(a)
    if a.dtype != object:
        return a.astype(np.float64)
    return np.vectorize(lambda x: float(_arb(x).mid()), otypes=[np.float64])(a) if a.size else a.astype(np.float64)


def nearby_point(program: Program, state: ExactState, seed: int, limits: Limits, tries: int = 4) -> dict | None:
    """A seeded second point: every float input moved by a random step of about a tenth of its scale
    (integer data kept, so indices stay valid), inside the program's domain; None if none is found."""
    from ..engine.tensor import forward
    rng = np.random.default_rng(seed)
    for k in range(tries):
        step = 0.1 / 2 ** k
        near = {}
        for name, value in state.point.items():
            v = np.asarray(value)
            if v.dtype.kind == "f":
                scale = float(np.mean(np.abs(v))) if v.size else 1.0
                v = v + step * (scale or 1.0) * rng.standard_normal(v.shape)
            near[name] = v
        try:
            forward(program, near, limits=limits)
        except (NumericError, ShapeError):
            continue
        return near
    return None


def probe(state: ExactState, node: str, claim: Program, reads: dict, grads_read: list[str], seed: int,
          limits: Limits) -> bool | None:
    """Whether the claim is the chain rule of the upstream gradients it reads: those gradients are
    replaced by seeded random arrays (exact), the true gradient of ``node`` is backpropagated from
    them (their nodes' adjoints overridden), and claim and truth are compared there. True proved
    equal in every element, False proved different somewhere, None undecided."""
    from ..engine.tensor import backward
    rng = np.random.default_rng(seed + 1)
    graph = state.graph
    with _Namespace() as xp:
        seeds = {g: xp.lift(rng.standard_normal(np.shape(state.grads[g]))) for g in grads_read}
        saved = _grads(graph)
        try:
            backward(graph, xp=xp, seed=xp.lift(np.ones(graph.root.shape)),
                     overrides={id(graph.named[g]): u for g, u in seeds.items()})
            truth = graph.named[node].grad
        finally:
            _restore(graph, saved)
    env = {name: seeds[n] if kind == "grad" else state.values[n] for name, (kind, n) in reads.items()}
    try:
        claimed = evaluate(claim, env, limits)
    except SymgradError:
        return None
    if truth is None or tuple(np.shape(claimed)) != tuple(np.shape(truth)):
        return False if truth is not None else None
    found = compare(claimed, truth)
    return False if any(s is False for s in found.flat) else True if all(s is True for s in found.flat) else None


def _grads(graph: Any) -> list:
    """Every node's gradient, saved, and cleared for a fresh backward pass (it accumulates with +=)."""
    nodes, seen = [], set()
    for n in list(graph.tape) + [k for t in graph.tape for k in t.kids] + list(graph.named.values()):
        if id(n) not in seen:
            seen.add(id(n))
            nodes.append(n)
    saved = [(n, n.grad) for n in nodes]
    for n in nodes:
        n.grad = None
    return saved


def _restore(graph: Any, saved: list) -> None:
    for n, g in saved:
        n.grad = g
