"""A tensor program's point: each value as a numpy array with its shape.

``tensor_point`` reads each value as a numpy array: float64 for a differentiable input; int64 for
integer data (an array of an integer dtype, or an input the program uses as an index, a class target,
a size or a range bound: ``C[X]``, ``cross_entropy(logits, Y)``), which takes no gradient. Nested
lists work as well as arrays. Every problem is an InputError naming the input; a tensor over
``Limits.max_tensor_elements`` (or all inputs over ``max_total_elements``) is a LimitError.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..base.errors import InputError, LimitError, show_name
from ..base.limits import Limits
from ..base.validate import real_number
from ..language.ast import Op, Program, Var, postorder
from ..rules.tensor_table import TENSOR_OPS
from .point import given_values

__all__ = ["tensor_point", "integer_inputs"]


def integer_inputs(program: Program) -> set[str]:
    """The inputs the program reads as integer data: an index, a target, a size, a range bound."""
    found: set[str] = set()
    inputs = set(program.inputs)
    for stmt in program.statements:
        for node in postorder(stmt.expr):
            record = TENSOR_OPS.get(node.rule) if isinstance(node, Op) else None
            if record is None:
                continue
            n = len(node.args)
            for i, arg in enumerate(node.args):
                if isinstance(arg, Var) and arg.name in inputs and record.is_data(i, n):
                    found.add(arg.name)
    return found


def tensor_point(program: Program, values: Mapping[str, Any] | None, extra: Mapping[str, Any],
                 limits: Limits) -> dict[str, np.ndarray]:
    """Every input as a numpy array (float64, or int64 for integer data), within the limits."""
    given = given_values(program, values, extra)
    integers = integer_inputs(program)
    out: dict[str, np.ndarray] = {}
    total = 0
    for name in program.inputs:
        out[name] = array = _array(name, given[name], name in integers)
        if array.size > limits.max_tensor_elements:
            raise LimitError(f"input {show_name(name)} has {array.size} elements", limit="max_tensor_elements",
                             value=limits.max_tensor_elements)
        total += array.size
        if total > limits.max_total_elements:
            raise LimitError(f"the inputs have over {limits.max_total_elements} elements in all",
                             limit="max_total_elements", value=limits.max_total_elements)
    return out


def _array(name: str, value: Any, integer: bool) -> np.ndarray:
    what = f"value for {show_name(name)}"
    if isinstance(value, (str, bytes)) or np.isscalar(value) and not isinstance(value, np.ndarray):
        number = real_number(value, what, text=True, hint=f"write {name}=2.5")
        value = number
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        array = np.asarray(value, dtype=object)
    kind = array.dtype.kind
    if kind not in "iuf" or array.dtype == object:
        why = ("its rows have different lengths (a ragged list)" if kind == "O" else
               f"its elements are {array.dtype.name}, not real numbers")
        raise InputError(f"{what} is not a tensor of numbers: {why}",
                         hint=f"give {name} as a numpy array or nested lists of numbers of one shape")
    if integer or kind in "iu":
        if kind == "f":
            if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
                raise InputError(f"{what} must hold whole numbers: {show_name(name)} is used as an index",
                                 hint="indices and class targets are integers such as 0, 1, 2")
        if np.any(np.abs(array) >= 2 ** 62):
            raise InputError(f"{what} holds an integer too large for an index")
        return array.astype(np.int64)
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise InputError(f"{what} holds {array[where]} at {list(where)}, not a finite number",
                         hint="give finite float64 values")
    return array

