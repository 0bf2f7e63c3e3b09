"""``sg.explore(program, point)``: the explorer of ``symgrad serve`` as a notebook widget.

One page, two hosts. The widget's front end is the serve page itself: the ``<main>`` of
``serve/static/index.html``, ``style.css`` and ``app.js``, read from that folder when the
widget is built (never copied). ``app.js`` asks its host for an ``api``: the page's host is
``fetch`` to the server; the widget's is a message to this kernel, answered by the same
``serve.actions.perform`` the server's workers run. So the numbers, the graph's SVG, the
backward steps and the check are computed here by symgrad, exactly as ``serve`` computes them.

The widget draws inside a shadow root: its element ids and the page's CSS cannot clash with
the notebook's (several explorers in one notebook each keep their own). It is an anywidget
(https://anywidget.dev), so it runs in JupyterLab, Notebook 7, VS Code and marimo.
Install: ``pip install symgrad[notebook]``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from ...base.errors import InputError
from ...base.limits import Limits
from ...base.validate import real_number
from ..serve import actions

__all__ = ["Explorer", "explore", "front_end"]

STATIC = Path(__file__).resolve().parent.parent / "serve" / "static"
ACTIONS = {"/api/program": "analyse", "/api/recompute": "recompute", "/api/steps": "steps", "/api/check": "check"}

# The kernel's side of the page's api(): one message per request, answered with its id, in
# whatever order the kernel finishes them (app.js matches answers to requests by id).
_GLUE = """
const atText = (point) => Object.entries(point).map(([k, v]) => `${k}=${v}`).join(" ");

function render({model, el}) {
  const shadow = el.attachShadow({mode: "open"});
  shadow.innerHTML = `<style>${CSS}</style><div class="symgrad-explorer">${HTML}</div>`;
  shadow.getElementById("program").value = model.get("program");
  shadow.getElementById("at").value = atText(model.get("point"));
  shadow.getElementById("export").hidden = true;   // downloads are the CLI's and serve's
  let next = 0;
  const waiting = new Map();
  const onMessage = (msg) => {
    const answer = waiting.get(msg && msg.id);
    if (!answer) return;
    waiting.delete(msg.id);
    answer(msg);
  };
  model.on("msg:custom", onMessage);
  const api = (path, body) => new Promise((resolve, reject) => {
    const id = ++next;
    waiting.set(id, (msg) => msg.ok ? resolve({ok: true, json: async () => msg.body}) : reject(msg.body));
    model.send({id, path, body});
  });
  mount({root: shadow, api});
  return () => model.off("msg:custom", onMessage);
}

export default {render};
"""


@lru_cache(maxsize=1)
def front_end() -> str:
    """The widget's ES module: the serve page's markup, style and script, and the glue above."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    main = re.search(r"<main>(.*)</main>", html, re.DOTALL).group(1)
    css = (STATIC / "style.css").read_text(encoding="utf-8").replace(":root", ":host")
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    return (f"const HTML = {json.dumps(main)};\nconst CSS = {json.dumps(css)};\n"
            f"function mount(symgradHost) {{\n{script}\n}}\n{_GLUE}")


def answer(message: Any, limits: Limits) -> dict:
    """The kernel's answer to one request of the page: ``{id, ok, body}``; an error's body is
    the JSON error the server would send (``actions.error_payload``)."""
    if not isinstance(message, Mapping):
        return {"id": None, "ok": False, "body": {"error": "InputError", "message": "not a request"}}
    mid, path, body = message.get("id"), message.get("path"), message.get("body")
    action = ACTIONS.get(path)
    if action is None or not isinstance(body, Mapping) or not isinstance(body.get("program"), str):
        return {"id": mid, "ok": False, "body": {"error": "InputError", "message": f"unknown request {path!r:.40}"}}
    point = body.get("point")
    outcome = actions.perform(action, body["program"], point if isinstance(point, Mapping) else {}, limits)
    if outcome[0] == "error":
        return {"id": mid, "ok": False, "body": outcome[2]}
    return {"id": mid, "ok": True, "body": outcome[1]}


@lru_cache(maxsize=1)
def _widget_class():
    try:
        import anywidget
        import traitlets
    except ImportError:
        raise InputError("sg.explore needs anywidget", hint="pip install 'symgrad[notebook]' (or pip install anywidget)") \
            from None

    class Explorer(anywidget.AnyWidget):
        """The explorer widget: ``program`` (text) and ``point`` (name -> number) start it."""
        _esm = traitlets.Unicode(front_end()).tag(sync=True)
        program = traitlets.Unicode("").tag(sync=True)
        point = traitlets.Dict({}).tag(sync=True)

        def __init__(self, program: str, point: Mapping[str, float] | None = None, *,
                     limits: Limits | None = None, **kwargs: Any) -> None:
            super().__init__(program=program, point=dict(point or {}), **kwargs)
            self.limits = limits or actions.WEB_LIMITS
            self.on_msg(self._on_message)

        def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
            self.send(answer(content, self.limits))

    return Explorer


def __getattr__(name: str):
    if name == "Explorer":
        return _widget_class()
    raise AttributeError(name)


def explore(program: Any, point: Mapping[str, float] | None = None, *, limits: Limits | None = None,
            **values: float):
    """The explorer of ``symgrad serve`` in a notebook cell: the graph with ``label | data |
    grad``, a slider per input with the predicted (grad × step) and the real change, the
    backward pass step by step, and the check's colouring, all computed in this kernel.

    ``program`` is text or a Program; ``point`` (or keywords) the input values (an input not
    given starts at 1.0, as in ``serve``). ``limits`` default to ``serve``'s web limits. The
    program is parsed here first, so a mistake raises at once (ParseError, with its position).
    Needs anywidget (``pip install 'symgrad[notebook]'``).
    """
    from ...language.printing import unparse
    from ...language.ast import Program
    from ...language.parser import parse
    limits = limits or actions.WEB_LIMITS
    text = unparse(program) if isinstance(program, Program) else program
    if not isinstance(text, str):
        raise InputError(f"explore takes a program (text or Program), got {type(program).__name__}")
    parse(text, limits=limits)
    given = {**dict(point or {}), **values}
    return _widget_class()(text, {str(k): real_number(v, f"the value of {k}") for k, v in given.items()},
                           limits=limits)
