"""What a tensor worksheet holds: frozen dataclasses, one per part (built by
``teaching.tensor_worksheet.build_tensor_worksheet``, rendered by ``teaching.tensor_renderers``).

A tensor is shown in full when small (``Shown.full``) and summarised otherwise (``Shown.summary``);
``None`` in a student's cell is a blank (an exercise sheet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .worksheet_model import Math

__all__ = ["TENSOR_SECTIONS", "Shown", "TensorNode", "TensorStep", "TensorFinal", "TensorWorksheet"]

TENSOR_SECTIONS = {"graph": "The graph", "forward": "Forward pass", "backward": "Backward pass",
                   "final": "Final gradients"}


@dataclass(frozen=True)
class Shown:
    """A tensor on the page: its shape, the whole tensor when small (``full``), else a one-line
    ``summary`` (mean, std, min, max)."""
    shape: tuple[int, ...]
    full: Math | None
    summary: str


@dataclass(frozen=True)
class TensorNode:
    """One value of the program in topological order: an input, integer data or an operation."""
    name: str
    tex: str
    kind: str                     # "input" | "data" (integers: indices, dims) | "op"
    op: str                       # the operation's name ("matmul", "tanh", …); "" for an input
    formula: Math | None          # the operation in its arguments' names
    value: Shown
    grad: Shown | None            # None: a blank on an exercise sheet, or no gradient (integer data)


@dataclass(frozen=True)
class TensorStep:
    """The backward step at one operation: its rule in matrix notation, and a line per argument
    (dChild += …). ``lines`` items are None on an exercise sheet."""
    node: str
    node_tex: str
    title: str
    grad_shape: tuple[int, ...]
    lines: tuple[tuple[str, tuple[int, ...], Math | None], ...]   # (child, child's shape, its line)
    sources: tuple[str | None, ...] = ()  # each line's right-hand side in the language, signed (None: none)


@dataclass(frozen=True)
class TensorFinal:
    """One gradient judged by the exact tensor check: verdict, elements that disagree, the worst
    element (index, backprop, exact) and the digits float64 promises."""
    name: str
    tex: str
    shape: tuple[int, ...]
    grad: Shown | None
    verdict: str
    detail: str


@dataclass(frozen=True)
class TensorWorksheet:
    title: str
    source: str
    program_tex: str
    program_mathml: str
    output: str
    output_tex: str
    point: tuple[tuple[str, Shown], ...]
    value: Shown
    nodes: tuple[TensorNode, ...]
    steps: tuple[TensorStep, ...]
    final: tuple[TensorFinal, ...]
    graph_dot: str
    graph_svg: str | None
    sections: tuple[str, ...]
    sheet: int | None = None
    seed: int | None = None
    exercise: bool = False
    notes: tuple[str, ...] = field(default=())
    asked: tuple[tuple[str, tuple[int, ...]], ...] = ()   # an exercise's gradients to write: (name, shape)
    result: Any = field(default=None, repr=False, compare=False)

    def section(self, key: str) -> int:
        return self.sections.index(key) + 1
