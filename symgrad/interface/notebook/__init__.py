"""The explorer in Jupyter: ``sg.explore(program, point)`` (an anywidget widget; ``widget.Explorer``).

The widget runs the same page code as ``symgrad serve`` (``serve/static/app.js``); the kernel answers
its requests through ``serve.actions``, so the two explorers compute alike.

May import: ``serve`` (its actions and static page) and every layer below ``interface``
(``language``, ``base``; through symgrad's public API where it can).
"""

from .widget import explore

__all__ = ["explore"]
