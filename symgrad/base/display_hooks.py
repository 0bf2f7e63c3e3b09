"""Jupyter pictures for classes whose pictures are drawn by a higher layer.

``Program`` (language) and ``Result`` (engine) define ``_repr_mimebundle_`` themselves, but the
pictures need Graphviz, the worksheet's number format and its tables, which live in the teaching
layer above them. So the method asks this registry: the teaching layer registers one function per
class (``teaching.jupyter.register_pictures``, called by ``symgrad/__init__``), and a class with
no picture registered shows its plain text.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["register_display", "mimebundle"]

Bundle = dict[str, str]
_HOOKS: dict[type, Callable[[Any], Bundle]] = {}


def register_display(cls: type, hook: Callable[[Any], Bundle]) -> None:
    """``hook(obj)`` draws ``cls``'s Jupyter bundle (mime type -> text) from now on; it must not raise."""
    _HOOKS[cls] = hook


def mimebundle(obj: Any) -> Bundle:
    """The bundle the hook registered for ``obj``'s class (or a base class) draws, else its text."""
    for cls in type(obj).__mro__:
        if cls in _HOOKS:
            return _HOOKS[cls](obj)
    return {"text/plain": repr(obj)}
