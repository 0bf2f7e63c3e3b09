"""What a worksheet holds: frozen dataclasses, one per part, in DESIGN order (built by
``teaching.worksheet.build_worksheet``, rendered by ``teaching.sheets``). A ``Blank`` in a student's cell is a
blank, named by the id that the sheet prints beside it and the answer key and grading use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..engine.backprop import Result
from .slope_plot import Curve
from ..rules.table import Rule

__all__ = ["SECTIONS", "Blank", "Math", "NodeRow", "Term", "Step", "FinalRow", "Nudge", "Worksheet", "number",
           "TangentTerm", "TangentRow", "ForwardMode", "Branch"]

# Section keys in order; a sheet and its key always number them the same (see ``Worksheet.sections``).
SECTIONS = {"graph": "The graph", "forward": "Forward pass", "backward": "Backward pass",
            "tangent": "Forward mode", "final": "Final gradients", "nudge": "The nudge", "plot": "The derivative as a slope"}


class Blank:
    """A blank on an exercise sheet: its id (``step3.term1.local``, ``final2.backprop``,
    ``nudge.input1.grad``), printed beside it on the sheet and used by the key and by grading.
    In the worked key it holds the ``answer`` (a number or a ``Math``), printed with the same id."""

    __slots__ = ("id", "answer")

    def __init__(self, id: str, answer: Any = None) -> None:
        self.id, self.answer = id, answer

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Blank) and (other.id, other.answer) == (self.id, self.answer)

    def __hash__(self) -> int:
        return hash(("Blank", self.id))

    def __repr__(self) -> str:
        return f"Blank({self.id!r})" if self.answer is None else f"Blank({self.id!r}, {self.answer!r})"


@dataclass(frozen=True)
class Math:
    """One formula in two spellings: LaTeX (Markdown, TeX) and Presentation MathML (HTML)."""
    latex: str
    mathml: str


@dataclass(frozen=True)
class NodeRow:
    """One value of the graph, in topological order. ``grad`` is None on an exercise sheet."""
    name: str
    tex: str                      # the name in LaTeX
    kind: str                     # "input" | "constant" | "op"
    rule: Rule | None
    formula: Math | None          # the node's formula in its children's names, in program order
    value: float
    grad: float | None
    uses: int                     # how many times other nodes read it


@dataclass(frozen=True)
class Term:
    """One chain-rule product: child.grad += node.grad × ∂node/∂child. A ``Blank`` marks a blank."""
    child: str
    child_tex: str
    local: Math | None            # the symbolic local derivative ∂node/∂child
    local_value: float | None
    local_plain: bool             # the symbolic local derivative is already a number (no "= 1 = 1")
    upstream: float | None        # node.grad
    product: float | None
    note: str                     # the accumulation note, on a multiply-used child's first term only


@dataclass(frozen=True)
class Branch:
    """Which branch a ``where`` took and why: its condition's value at the point (``at``: the
    inputs the condition reads), and, at a switch point, the comparisons whose sides are equal
    there (``ties``), so that a move of the point can change the branch."""
    condition: Math
    holds: bool
    at: Math | None               # "x = 2, z = 0.5"; None when the condition reads no input
    ties: tuple[Math, ...] = ()   # empty off a switch point
    taken: Math | None = None     # the branch taken, as written (sqrt(x), 0)
    constant: bool = False        # it reads no input: no gradient flows past the where


@dataclass(frozen=True)
class Step:
    """The backward step at one op node (``branch``: at a ``where``, the branch it took)."""
    node: str
    node_tex: str
    rule: Rule
    grad: float | None
    terms: tuple[Term, ...]
    branch: Branch | None = None


@dataclass(frozen=True)
class FinalRow:
    """One gradient three ways, from ``symgrad.check`` (``verdict`` is check's, shown as it is)."""
    name: str
    tex: str
    backprop: float | None
    closed_form: Math | None      # from ``symgrad.diff``
    closed_form_note: str         # "" or how the closed form was shortened / why it is missing
    symbolic: float | None
    numeric: float | None
    verdict: str
    detail: str = ""              # at a kink: the two one-sided slopes


@dataclass(frozen=True)
class Nudge:
    """Step every input by h·grad; the output should rise by about h·Σ grad². A ``Blank`` marks a blank."""
    h: float
    inputs: tuple[tuple[str, float, float | None, float | None], ...]   # name, value, grad, nudged value
    before: float
    predicted: float | None
    after: float | None
    curved: float | None = None   # with curvature: + ½·h²·gᵀHg (the worksheet's ``curvature`` flag)


@dataclass(frozen=True)
class TangentTerm:
    """One product of forward mode: ∂node/∂child × child's tangent. On an exercise sheet a number
    or formula is a ``Blank`` (its id; in the worked key, with the answer)."""
    child: str
    child_tex: str
    local: Math | None
    local_value: float | None
    local_plain: bool             # the symbolic local derivative is already a number
    tangent: float | None         # the child's tangent, d child/d input
    product: float | None


@dataclass(frozen=True)
class TangentRow:
    """The tangent of one op node, in forward order: the sum of its terms."""
    node: str
    node_tex: str
    rule: Rule
    terms: tuple[TangentTerm, ...]
    tangent: float | None


@dataclass(frozen=True)
class ForwardMode:
    """Forward mode along one input (its tangent seeded 1, the others 0): the JVP, node by node,
    beside the reverse pass it mirrors (``reverse`` is backprop's d output/d input), and the cost
    of the full gradient each way: ``inputs`` forward sweeps, or one reverse sweep."""
    input: str
    input_tex: str
    rows: tuple[TangentRow, ...]
    output_tangent: float | None
    reverse: float | None
    inputs: int


@dataclass(frozen=True)
class Worksheet:
    """A worksheet's content in DESIGN order: program and point, graph, forward rows, backward steps,
    final table, nudge, plot. A ``Blank`` in a student's cell is a blank to fill (``exercise=True``).

    ``sheet`` and ``seed`` identify a printed sheet and its key (``symgrad worksheet --count``);
    ``sections`` are the numbered sections, the same on a sheet and its key.
    """
    title: str
    source: str
    program_tex: str
    program_mathml: str
    output: str
    output_tex: str
    point: tuple[tuple[str, float], ...]
    value: float
    nodes: tuple[NodeRow, ...]
    steps: tuple[Step, ...]
    final: tuple[FinalRow, ...]
    nudge: Nudge | None
    plot_input: str
    curve: Curve | None
    graph_dot: str
    graph_svg: str | None          # None when Graphviz is missing
    sections: tuple[str, ...]
    sheet: int | None = None
    seed: int | None = None
    exercise: bool = False
    notes: tuple[str, ...] = field(default=())
    forward_mode: ForwardMode | None = None      # the optional forward-mode section
    result: Result | None = field(default=None, repr=False, compare=False)  # to redraw a blanked sheet

    @property
    def plot_svg(self) -> str:
        """The slope plot as inline SVG ("" without inputs)."""
        from .slope_plot import plot_svg
        return plot_svg(self.curve, self.output) if self.curve else ""

    def section(self, key: str) -> int:
        """The number of a section (1-based), as printed."""
        return self.sections.index(key) + 1


def number(x: float | None, digits: int = 6) -> str:
    """A short, stable spelling of a float: 6 significant digits, no '-0'."""
    if x is None:
        return ""
    text = f"{x:.{digits}g}"
    return "0" if text in ("-0", "0") else text
