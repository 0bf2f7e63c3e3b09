"""symgrad: math as text → gradients you can trust and see.

>>> import symgrad as sg
>>> sg.backprop("e = a*b; d = e + c; L = d*f", a=2, b=-3, c=10, f=-2).grads["a"]
6.0
"""

from .language.ast import Program
from .engine.backprop import Result, backprop
from .engine.codegen.compiled import CompiledFunction, CompiledResult, compile
from .teaching.draw import draw
from .engine.value import Value, where
from .base.errors import (ArityError, BindingError, CheckError, DomainError, DuplicateAssignmentError, InputError,
                      LimitError, MissingInputError, NumericError, ParseError, RenderError, ShapeError, SymgradError,
                      UnboundNameError, UnknownFunctionError)
from .base.limits import Limits
from .language.parser import parse
from .language.printing import to_latex, unparse
from .engine.register import register
from .engine.second_order import Hessian, hessian, hvp, jvp
from .rules.rule import RowError
from .rules.table import RULES, Rule
from .base.version import __version__  # noqa: F401
from .teaching.jupyter import register_pictures
from . import nn  # noqa: E402  (symgrad.nn: Neuron, Layer, MLP, losses, fit)

register_pictures()  # Program's and Result's Jupyter pictures, drawn by the teaching layer (base.display_hooks)
del register_pictures


__all__ = [
    # text -> Program -> gradients
    "parse", "unparse", "to_latex", "Program", "Limits", "backprop", "Result", "TensorResult", "Value", "where",
    "Rule", "RULES",
    # second order and forward mode: Hessians, Hessian-vector products, directional derivatives
    "hessian", "hvp", "jvp", "Hessian",
    # the open rule table: add a function at run time
    "register", "RowError",
    # trust: the three-way check
    "check", "diff", "CheckReport", "CheckRow",
    # see: graphs, worksheets, the explorer in Jupyter
    "draw", "worksheet", "Worksheet", "explore",
    # teaching: mark a class's answers against exercise keys
    "grade",
    # speed and learning
    "compile", "CompiledFunction", "CompiledResult", "nn",
    # errors
    "SymgradError", "ParseError", "BindingError", "UnknownFunctionError", "UnboundNameError",
    "DuplicateAssignmentError", "MissingInputError", "InputError", "NumericError", "DomainError",
    "LimitError", "ShapeError", "CheckError", "RenderError", "ArityError",
]


def __getattr__(name: str):
    # SymPy (check, diff), jinja2 and matplotlib (worksheets), numpy (tensors) load on first use, so
    # that `import symgrad` for Value, parse, backprop, compile or nn stays light.
    if name == "TensorResult":
        from .engine.tensor import TensorResult
        return TensorResult
    if name in ("check", "CheckReport", "CheckRow"):
        from .gradcheck.check import CheckReport, CheckRow, check
        return {"check": check, "CheckReport": CheckReport, "CheckRow": CheckRow}[name]
    if name == "diff":
        from .gradcheck.symbolic import diff
        return diff
    if name == "worksheet":
        from .teaching.sheets import worksheet
        return worksheet
    if name == "grade":
        from .teaching.grading import grade
        return grade
    if name == "explore":
        from .interface.notebook import explore
        return explore
    if name == "Worksheet":
        from .teaching.worksheet import Worksheet
        return Worksheet
    raise AttributeError(f"module 'symgrad' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
