"""The values bound at a point: names checked, and whether a program or a value is a tensor.

``given_values`` is shared by the scalar engine (which then reads floats) and the tensor engine
(``engine.tensor_point`` reads the values as arrays). This module loads no numpy, so a scalar
program at scalar values never does (``symgrad eval x*2 --at x=3`` stays light).
"""

from __future__ import annotations

import difflib
import sys
from typing import Any, Mapping

from ..base.errors import InputError, MissingInputError, show_name
from ..language.ast import Op, Program, postorder
from ..rules.table import RULES as _SCALAR   # a scalar row is elementwise on tensors, not a tensor form

__all__ = ["given_values", "is_tensor_program", "is_tensor_value"]


def given_values(program: Program, values: Mapping[str, Any] | None, extra: Mapping[str, Any]) -> dict[str, Any]:
    """The values given for the program's inputs, as given: every name known, none missing."""
    if values is not None and not isinstance(values, Mapping):
        raise InputError(f"input values must be a mapping of name to number, got {type(values).__name__}",
                         hint="write backprop(program, {'x': 2.0}) or backprop(program, x=2.0)")
    given = dict(values or {})
    given.update(extra)
    inputs = set(program.inputs)  # a set: 100,000 inputs must not cost 10^10 comparisons
    for key in given:
        if key not in inputs:
            if key in program.intermediates:
                raise InputError(f"{show_name(key)} is computed by the program, so it takes no value",
                                 hint=f"inputs are: {', '.join(program.inputs) or '(none)'}")
            close = difflib.get_close_matches(str(key), program.inputs, n=1)
            raise InputError(f"{show_name(key)} is not an input of this program",
                             hint=f"did you mean {close[0]}?" if close else
                             f"inputs are: {', '.join(program.inputs) or '(none)'}")
    missing = tuple(name for name in program.inputs if name not in given)
    if missing:
        raise MissingInputError(f"missing value{'s' * (len(missing) > 1)} for {', '.join(missing)}",
                                missing=missing, hint="give every input, e.g. " +
                                " ".join(f"{m}=1.0" for m in missing[:3]))
    return given


def is_tensor_program(program: Program) -> bool:
    """Whether the program uses a tensor form (``@``, an index, a reduction, ``.T``, …)."""
    return any(isinstance(node, Op) and node.rule not in _SCALAR for stmt in program.statements
               for node in postorder(stmt.expr))


def is_tensor_value(value: Any) -> bool:
    """A list, a tuple or an array of one dimension or more (a 0-d array is a number)."""
    np = sys.modules.get("numpy")          # an ndarray exists only once numpy is loaded
    return isinstance(value, (list, tuple)) or (np is not None and isinstance(value, np.ndarray) and value.ndim > 0)
