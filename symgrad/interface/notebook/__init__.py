"""The explorer in Jupyter: ``sg.explore(program, point)`` (an anywidget widget; ``widget.Explorer``)."""

from .widget import explore

__all__ = ["explore"]
