"""Jupyter pictures for classes whose pictures are drawn by a higher layer.

``Program`` (language) and ``Result`` (engine) define ``_repr_mimebundle_`` themselves, but the
pictures need Graphviz, the worksheet's number format and its tables, which live in the teaching
layer above them. So the method asks this registry: the teaching layer registers one function per
class (``teaching.jupyter.register_pictures``, which ``symgrad/__init__`` defers with
``register_loader`` until the first picture), and a class with no picture registered shows its plain text.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["register_display", "register_loader", "mimebundle"]

Bundle = dict[str, str]
_HOOKS: dict[type, Callable[[Any], Bundle]] = {}
_LOADERS: list[Callable[[], None]] = []


def register_display(cls: type, hook: Callable[[Any], Bundle]) -> None:
    """``hook(obj)`` draws ``cls``'s Jupyter bundle (mime type -> text) from now on; it must not raise."""
    _HOOKS[cls] = hook


def mimebundle(obj: Any) -> Bundle:
    """The bundle the hook registered for ``obj``'s class (or a base class) draws, else its text."""
    while True:
        for cls in type(obj).__mro__:
            if cls in _HOOKS:
                return _HOOKS[cls](obj)
        if not _LOADERS:
            return {"text/plain": repr(obj)}
        _LOADERS.pop()()  # a registrar deferred by register_loader; then look again


def register_loader(load: Callable[[], None]) -> None:
    """``load()`` registers hooks the first time a picture is asked for, so that the module
    drawing them (and Graphviz) is imported only when a notebook shows something."""
    _LOADERS.append(load)
