"""symgrad.compile and CompiledFunction: the public side of the code generator.

``build`` writes and runs the code; this module checks inputs, drives numpy batches in
chunks, and redoes any doubtful call with ``backprop`` so that errors are backprop's own.
"""

from __future__ import annotations

import copy
import math
import threading
from typing import Any, Mapping, NamedTuple

from .build import BATCH_CHUNK, RAISES, functions
from .template_proofs import check_np
from ...language.ast import Program
from ..backprop import backprop, evaluate, resolve_point
from ...base.errors import InputError, LimitError, MissingInputError, SymgradError, escape_text
from ...base.limits import DEFAULT_LIMITS, Limits
from ...language.parser import parse

__all__ = ["compile", "CompiledFunction", "CompiledResult"]


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


class CompiledResult(NamedTuple):
    """What a CompiledFunction returns: the value and d(output)/d(name) for every name.

    With numpy arrays as inputs, ``value`` and every gradient are arrays of the same shape.
    """
    value: Any
    grads: dict[str, Any]


class _Runner:
    """Runs a plan: the fast functions, the batch driver and the exact slow path."""

    def __init__(self, program: Program) -> None:
        self.program, self.inputs = program, program.inputs
        self.names, self.source, (self.value, self.value_and_grad), self._build_batch = functions(
            program, self.slow, _MISSING)
        self._batch_fns = None
        self._lock = threading.Lock()

    @property
    def batch_fns(self) -> tuple:
        """The numpy (value, value_and_grad), built on the first batch (once, under a lock)."""
        if self._batch_fns is None:
            with self._lock:
                if self._batch_fns is None:
                    check_np()  # the rows' numpy templates, before the first one is built
                    self._batch_fns = self._build_batch()
        return self._batch_fns

    # -- the exact path: backprop itself, so errors and results are backprop's -------------
    def slow(self, args: tuple, with_grads: bool):
        if any(_is_array(a) for a in args):
            return self.batch(args, with_grads)
        self.check_count(args)
        given = {name: a for name, a in zip(self.inputs, args) if a is not _MISSING}
        if not with_grads:
            return evaluate(self.program, given).root.data
        res = backprop(self.program, given)
        return res.value, tuple(res.grads[n] for n in self.names)

    def check_count(self, args: tuple) -> None:
        given = sum(a is not _MISSING for a in args)
        if given > len(self.inputs):
            raise InputError(f"{given} values given; the program has {len(self.inputs)} inputs",
                             hint=f"inputs are, in order: {', '.join(self.inputs) or '(none)'}")
        if given < len(self.inputs):
            missing = self.inputs[given:]
            raise MissingInputError(f"missing value{'s' * (len(missing) > 1)} for {', '.join(missing)}",
                                    missing=missing, hint=f"inputs are, in order: {', '.join(self.inputs)}")

    # -- numpy arrays: one value per point ---------------------------------------------------
    def batch(self, args: tuple, with_grads: bool):
        import numpy as np
        self.check_count(args)
        arrays = [_real_array(name, a) for name, a in zip(self.inputs, args)]
        try:
            shape = np.broadcast_shapes(*[a.shape for a in arrays])
        except ValueError:
            raise InputError(f"batch inputs of shapes {', '.join(str(a.shape) for a in arrays)} do not broadcast",
                             hint="give one numpy array (or number) per input; shapes must broadcast") from None
        limits = self.program.limits or DEFAULT_LIMITS
        points = math.prod(shape)
        if points > limits.max_batch_points:  # before broadcasting allocates anything
            raise LimitError(f"the batch has {points} points (shapes broadcast to {shape})",
                             limit="max_batch_points", value=limits.max_batch_points)
        arrays = np.broadcast_arrays(*arrays)
        flat = [a.ravel() for a in arrays]
        fn = self.batch_fns[with_grads]
        size = flat[0].size if flat else 1
        value, grads = np.empty(size), [np.empty(size) for _ in self.names] if with_grads else []
        bad: Any = []
        try:
            with np.errstate(all="ignore"):
                for start in range(0, size, BATCH_CHUNK):  # temporaries stay small and in cache
                    stop = min(start + BATCH_CHUNK, size)
                    out = fn(*[a[start:stop] for a in flat], stop - start)
                    value[start:stop] = out[0]
                    for g, x in zip(grads, out[1] if with_grads else ()):
                        g[start:stop] = x
                    bad.extend(start + np.flatnonzero(~np.isfinite(out[-1])))
        except RAISES:  # a row evaluated point by point raised: find the point
            bad = range(size)
        for i in bad:
            point = tuple(float(a[i]) for a in flat)
            try:
                result = self.slow(point, with_grads)
            except SymgradError as err:
                raise _at_point(err, int(i), self.inputs, point) from None
            if with_grads:
                value[i] = result[0]
                for g, x in zip(grads, result[1]):
                    g[i] = x
            else:
                value[i] = result
        value = value.reshape(shape)
        if not with_grads:
            return value
        return value, tuple(g.reshape(shape) for g in grads)


def _real_array(name: str, a: Any):
    """``a`` as a float64 array, or an InputError: complex, bool, text and overflowing
    integers are refused (numpy would silently drop imaginary parts or raise bare errors)."""
    import numpy as np
    try:
        arr = np.asarray(a)
        kind = arr.dtype.kind
        if kind == "c":
            raise InputError(f"batch values for {name} are complex", hint="give real numbers")
        if kind == "b":
            raise InputError(f"batch values for {name} are bools", hint="give real numbers")
        if kind not in "iuf" and arr.dtype != object:
            raise InputError(f"batch values for {name} are not numbers (dtype {arr.dtype.str})",
                             hint="give one numpy array (or number) per input")
        if kind == "O" and any(isinstance(x, (bool, complex, str, bytes)) for x in arr.flat):
            raise InputError(f"batch values for {name} are not all real numbers", hint="give real numbers")
        return arr.astype(float, copy=False)
    except InputError:
        raise
    except OverflowError:
        raise InputError(f"a batch value for {name} is too large for float64") from None
    except (TypeError, ValueError) as err:
        raise InputError(f"batch values for {name} are not real numbers of one shape: {escape_text(str(err), 80)}",
                         hint="give one numpy array (or number) per input") from None


def _is_array(a: Any) -> bool:
    """A list, tuple or array of points; a numpy scalar (or 0-d array) is one number."""
    return isinstance(a, (list, tuple)) or (hasattr(a, "__array__") and getattr(a, "ndim", 1) != 0)


def _at_point(err: SymgradError, index: int, inputs: tuple[str, ...], point: tuple[float, ...]) -> SymgradError:
    """The same error, naming the point of the batch where it happened."""
    shown = ", ".join(f"{n}={v!r}" for n, v in list(zip(inputs, point))[:4]) + (", …" if len(inputs) > 4 else "")
    located = copy.copy(err)
    located.message = f"at point {index} ({shown}): {err.message}"
    located.args = (located.summary,)
    return located


class CompiledFunction:
    """A program compiled to straight-line Python: value and every gradient, fast.

    ``f(a=2, b=-3)`` (or ``f({"a": 2, "b": -3})``) checks its inputs like ``backprop`` and
    returns a CompiledResult. ``f.value_and_grad(2.0, -3.0)`` takes the inputs positionally
    in ``f.inputs`` order and returns ``(value, grads)`` with grads in ``f.names`` order: the
    fastest call. ``f.value(...)`` is the forward pass alone. Any input may be a numpy array
    (one value per point): the results are then arrays, and an error names the point;
    ``f.batch(*arrays)`` goes straight to the batch path.
    """

    __slots__ = ("program", "inputs", "names", "source", "value", "value_and_grad", "_runner")

    def __init__(self, program: Program) -> None:
        runner = _Runner(program)
        self.program, self.inputs, self.names = program, runner.inputs, runner.names
        self.source = runner.source  # the generated scalar code, for reading
        self.value, self.value_and_grad = runner.value, runner.value_and_grad
        self._runner = runner

    def __call__(self, values: Mapping[str, Any] | None = None, /, **kw: Any) -> CompiledResult:
        if values is not None and not isinstance(values, Mapping):
            raise InputError(f"values must be a mapping of input name to number, got {type(values).__name__}",
                             hint="write f(a=2, b=-3), f({'a': 2, 'b': -3}) or f.value_and_grad(2, -3)")
        given = {**(values or {}), **kw}
        args = [given.get(n, _MISSING) for n in self.inputs]
        if len(given) == len(args) and all(type(a) is float or type(a) is int for a in args):
            value, grads = self.value_and_grad(*args)  # plain numbers: any problem goes to backprop
        elif any(_is_array(v) for v in given.values()):
            resolve_point(self.program, dict.fromkeys(given, 0.0), {})  # the names only; arrays follow
            value, grads = self._runner.batch(tuple(given[n] for n in self.inputs), True)
        else:
            point = resolve_point(self.program, values, kw)
            value, grads = self.value_and_grad(*point.values())
        return CompiledResult(value, dict(zip(self.names, grads)))

    def batch(self, *arrays: Any, grads: bool = True):
        """Arrays in ``f.inputs`` order (one value per point) → (value, grads) arrays, or value."""
        return self._runner.batch(arrays, grads)

    def hvp(self, values: Mapping[str, Any] | None, v: Any, /) -> dict[str, float]:
        """The Hessian times ``v`` at a point: {input: (H·v)[input]}, as ``symgrad.hvp`` (forward-over-
        reverse through the rows, each row's second partials derived from its SymPy form; the
        sweep runs on the engine's flat tape, not in the generated source)."""
        from ..second_order import hvp
        return hvp(self.program, values, v)

    def __repr__(self) -> str:
        return f"CompiledFunction(inputs={self.inputs!r}, output={self.program.output!r})"


def compile(program: "Program | str", *, limits: Limits | None = None) -> CompiledFunction:
    """Compile a program (or its text) to a CompiledFunction. Parse errors are raised here."""
    return CompiledFunction(parse(program, limits=limits))
