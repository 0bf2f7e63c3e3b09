"""symgrad: math as text → gradients you can trust and see.

>>> import symgrad as sg
>>> sg.backprop("e = a*b; d = e + c; L = d*f", a=2, b=-3, c=10, f=-2).grads["a"]
6.0
"""

from .base.errors import (ArityError, BindingError, CheckError, DomainError, DuplicateAssignmentError, InputError,
                          LimitError, MissingInputError, NumericError, ParseError, RenderError, ShapeError, SymgradError,
                          UnboundNameError, UnknownFunctionError)
from .base.limits import Limits
from .base.version import __version__  # noqa: F401
from .base.display_hooks import register_loader as _register_loader


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

# Every other public name loads on first use (PEP 562), so that `import symgrad` and
# `symgrad eval` import the parser and the engine only, never SymPy, numpy, jinja2,
# matplotlib or Graphviz. name -> the module that defines it.
_LAZY = {
    "parse": "language.parser", "Program": "language.ast",
    "unparse": "language.printing", "to_latex": "language.printing",
    "backprop": "engine.backprop", "Result": "engine.backprop", "Value": "engine.value", "where": "engine.value",
    "TensorResult": "engine.tensor",
    "hessian": "engine.second_order", "hvp": "engine.second_order", "jvp": "engine.second_order",
    "Hessian": "engine.second_order",
    "explore": "interface.notebook",
    "Rule": "rules.table", "RULES": "rules.table", "RowError": "rules.rule",
    "register": "engine.register",
    "check": "gradcheck.check", "CheckReport": "gradcheck.check", "CheckRow": "gradcheck.check",
    "diff": "gradcheck.symbolic",
    "draw": "teaching.draw", "worksheet": "teaching.sheets", "Worksheet": "teaching.worksheet",
    "grade": "teaching.grading",
    "compile": "engine.codegen.compiled", "CompiledFunction": "engine.codegen.compiled",
    "CompiledResult": "engine.codegen.compiled",
}


def __getattr__(name: str):
    import importlib
    if name == "nn":
        return importlib.import_module(".nn", __name__)
    if name not in _LAZY:
        raise AttributeError(f"module 'symgrad' has no attribute {name!r}")
    value = getattr(importlib.import_module("." + _LAZY[name], __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _register_pictures() -> None:
    from .teaching.jupyter import register_pictures
    register_pictures()


# Program's and Result's Jupyter pictures are drawn by the teaching layer (base.display_hooks);
# it is imported at the first picture, not here.
_register_loader(_register_pictures)
