"""Answer keys of exercise sheets: built from a worksheet and its blanked copy, as JSON.

The key (``answer_key``) is built generically: every ``Blank`` of the blanked sheet is a blank,
with the id the sheet prints beside it (``step3.term1.local``, ``final2.backprop``,
``nudge.input1.grad``), and its answer is the same field of the full sheet. A formula blank says what it is the derivative of (``local``: a node and an argument;
``partial``: a name) over ``graph_program``, the sheet's graph with every operation named as on
the sheet (``t1``, ``t2``, …). ``write_exercise`` writes a sheet and ``NAME-key.json`` beside it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, Mapping

from ..base.errors import InputError, escape_text
from ..base.validate import json_value
from .worksheet_model import Blank

__all__ = ["answer_key", "key_json", "load_key", "blanks_of", "flat_program", "local_form", "write_exercise",
           "KEY_FORMAT", "RTOL", "ATOL"]

KEY_FORMAT = "symgrad-answer-key"
KEY_VERSION = 1
RTOL, ATOL = 1e-3, 1e-6   # numbers: three significant digits (the sheet prints six)


def _singular(field: str) -> str:
    return field[:-1] if field.endswith("s") else field


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _label(obj: Any) -> str:
    for attr in ("node", "name", "child"):
        value = getattr(obj, attr, None)
        if isinstance(value, str):
            return value
    return ""


def blanks_of(full: Any, blank: Any) -> list[tuple[str, str, list[Any], str, Any]]:
    """(id, where, dataclass path, field, full value) for every blank, in document order.

    A blank is a field that holds a ``Blank`` in ``blank`` (its id is the one the sheet prints) and
    the answer in ``full``. Tuples of dataclasses are walked item by item (``step3``), and the
    rows of a table (tuples, ``nudge.inputs``) cell by cell.
    Iterative: a stack of per-dataclass iterators.
    """
    out = []
    stack = [iter(_fields("", "", [], full, blank))]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif item[0] == "leaf":
            out.append(item[1])
        else:
            stack.append(iter(_fields(*item[1])))
    return out


def _fields(path: str, where: str, objs: list[Any], a: Any, b: Any) -> list[tuple[str, tuple]]:
    found: list[tuple[str, tuple]] = []
    for f in dataclasses.fields(a):
        if not f.compare:          # caches such as the worksheet's Result
            continue
        va, vb = getattr(a, f.name), getattr(b, f.name, None)
        pid = f"{path}.{f.name}" if path else f.name
        if isinstance(vb, Blank):
            found.append(("leaf", (vb.id, f"{where} / {f.name}" if where else f.name, objs + [a], f.name, va)))
        elif dataclasses.is_dataclass(va) and dataclasses.is_dataclass(vb):
            found.append(("walk", (pid, where, objs + [a], va, vb)))
        elif isinstance(va, tuple) and isinstance(vb, tuple) and len(va) == len(vb):
            for i, (x, y) in enumerate(zip(va, vb)):
                if isinstance(x, tuple) and isinstance(y, tuple):   # a table row: (name, value, blanks…)
                    found += [("leaf", (b.id, f"{where} / {_singular(f.name)} {x[0]} / {b.id.rsplit('.', 1)[1]}"
                                        .lstrip(" /"), objs + [a], f.name, v))
                              for v, b in zip(x, y) if isinstance(b, Blank)]
                elif dataclasses.is_dataclass(x) and dataclasses.is_dataclass(y):
                    seg, label = f"{_singular(f.name)}{i + 1}", f"{_singular(f.name)} {_label(x)}".strip()
                    found.append(("walk", (f"{path}.{seg}" if path else seg,
                                           f"{where} / {label}" if where else label, objs + [a], x, y)))
    return found


def answer_key(full: Any, blank: Any = None, *, sheet: int | None = None, seed: int | None = None,
               rtol: float = RTOL, atol: float = ATOL) -> dict:
    """The answer key of a worksheet as a JSON-ready dict (see the module docstring).

    ``blank`` defaults to ``blanked(full)``. ``sheet`` and ``seed`` default to the worksheet's
    own ``sheet``/``seed`` fields when it has them.
    """
    from .worksheet import blanked
    blank = blanked(full) if blank is None else blank
    names, flat = flat_program(full)
    blanks = []
    for bid, where, objs, field, value in blanks_of(full, blank):
        entry: dict[str, Any] = {"id": bid, "where": where}
        if _is_number(value):
            entry.update(kind="number", value=float(value))
        else:
            entry.update(kind="formula", latex=value.latex, derivative=_derivative(full, objs, field, names))
            entry["value"] = _formula_value(objs[-1])
        blanks.append(entry)
    return {"format": KEY_FORMAT, "version": KEY_VERSION,
            "sheet": getattr(full, "sheet", None) if sheet is None else sheet,
            "seed": getattr(full, "seed", None) if seed is None else seed,
            "program": full.source, "graph_program": flat, "output": full.output,
            "point": {k: v for k, v in full.point}, "tolerance": {"rtol": rtol, "atol": atol}, "blanks": blanks}


def key_json(full: Any, blank: Any = None, **kw: Any) -> str:
    """``answer_key`` as JSON text: same worksheet, same bytes."""
    return json.dumps(answer_key(full, blank, **kw), indent=2, allow_nan=False) + "\n"


def write_exercise(full: Any, blank: Any, fmt: str, path: str, write_sheet: Any, **key: Any) -> list[str]:
    """Write a student's exercise sheet at ``path`` and its answer key ``STEM-key.json`` beside it;
    return the paths. ``write_sheet(ws, fmt, path) -> [paths]`` writes a worksheet; in a format
    whose renderer says ``nbgrader_exercise`` (ipynb) the sheet is an nbgrader source notebook
    instead (``teaching.nbgrader``). ``key`` goes to
    ``key_json`` (``sheet=``, ``seed=`` when the worksheet does not carry them)."""
    import os
    from ..base.files import output_set, write_atomic
    from .sheets import RENDERERS
    with output_set():                            # the sheet and its key: all or none
        if getattr(RENDERERS.get(fmt), "nbgrader_exercise", False):  # an unknown format fails in write_sheet
            from .nbgrader import exercise_notebook
            write_atomic(path, exercise_notebook(full, blank, rtol=RTOL, atol=ATOL))
            written = [path]
        else:
            written = list(write_sheet(blank, fmt, path))
        key_path = f"{os.path.splitext(path)[0]}-key.json"
        write_atomic(key_path, key_json(full, blank, **key))
    return written + [key_path]


def _formula_value(obj: Any) -> float | None:
    for attr in ("local_value", "backprop", "symbolic"):
        value = getattr(obj, attr, None)
        if _is_number(value):
            return float(value)
    return None


def flat_program(ws: Any) -> tuple[dict[int, str], str]:
    """The worksheet's graph as a program in which every operation has the sheet's name for
    it (its label, or t1, t2, …), so students' formulas may use those names.

    Returns ({id of Value: name}, program text). Built from the AST nodes of the rule table,
    printed by ``unparse`` (never from user text).
    """
    from ..language.ast import Const, Num, Op, Var
    from ..engine.value import topo_order
    from ..language.printing import unparse
    topo = topo_order(ws.result.root)
    if len(topo) != len(ws.nodes):
        raise InputError("the worksheet's nodes do not match its graph")
    names = {id(v): row.name for v, row in zip(topo, ws.nodes)}  # ids: internal only
    inputs = dict(ws.point)
    lines, done = [], set(inputs)
    for v, row in zip(topo, ws.nodes):
        if v._rule is None:
            continue
        args = tuple(Var(names[id(k)]) if k._rule is not None or k.label in inputs else Const("pi") if k.label == "pi" else Num(k.data) for k in v._prev)
        if v._rule.name == "taken":       # where's node: its condition and both branches, as the user wrote it
            expr = _where(ws, v, args[0], done)
        else:
            expr = args[0] if v._rule.name == "id" else Op(v._rule.name, args)
        lines.append(f"{row.name} = {unparse(expr)}")
        done.add(row.name)
    return names, "\n".join(lines)


def _where(ws: Any, v: Any, taken: Any, defined: set[str]) -> Any:
    """``where(c, a, b)`` for where's node ``v`` (row ``taken``, whose one child is ``taken``):
    the taken branch by its sheet name, the condition and the other branch from the user's AST with
    every name the flat program has not yet assigned replaced by its definition, so that the flat
    program means the same away from the point (claims are judged there too)."""
    from ..language.ast import Op, Var, postorder
    from ..language.printing import unparse
    graph = ws.result.graph
    node = graph.origin[id(v)]
    defs = {s.name: s.expr for s in graph.program.statements if s.name is not None}
    budget = [max(64, 16 * len(defs) + 16 * len(unparse(node)))]   # inlining is bounded by the source

    def kids(e: Any) -> tuple:   # a name the sheet has not assigned yet stands for its definition
        if isinstance(e, Var) and e.name not in defined and e.name in defs:
            return (defs[e.name],)
        return e.args if isinstance(e, Op) else ()

    def inline(root: Any) -> Any:   # iterative: a chain of definitions may be long
        built: dict[int, Any] = {}
        for e in postorder(root, kids):
            budget[0] -= 1
            if budget[0] < 0:
                raise InputError("the worksheet's where() reads names the sheet does not show, too many times over",
                                 hint="name the condition's parts before the where, or mark this sheet by hand")
            if isinstance(e, Op):
                built[id(e)] = Op(e.rule, tuple(built[id(a)] for a in e.args))
            else:
                built[id(e)] = built[id(kids(e)[0])] if kids(e) else e
        return built[id(root)]

    slot = 1 if graph.conditions[id(v)].data else 2
    return Op("where", tuple(taken if k == slot else inline(a) for k, a in enumerate(node.args)))


def _derivative(full: Any, objs: list[Any], field: str, names: dict[int, str]) -> dict:
    """What a formula blank is the derivative of, in the flat program's names."""
    obj = objs[-1]
    kind = type(obj).__name__
    if kind in ("Term", "TangentTerm") and len(objs) >= 2 and hasattr(objs[-2], "terms"):  # a backward or forward step
        step = objs[-2]
        j = step.terms.index(obj)
        value = next(v for v in _topo(full) if names[id(v)] == step.node)
        movable = [i for i, k in enumerate(value._prev) if k._rule is not None or k.label in dict(full.point)]
        if value._rule.name == "taken":    # where(c, a, b): the taken branch is argument 1 or 2
            return {"of": "local", "node": step.node, "child": obj.child,
                    "arg": 1 if full.result.graph.conditions[id(value)].data else 2}
        return {"of": "local", "node": step.node, "child": obj.child, "arg": movable[j]}
    if kind == "FinalRow":
        return {"of": "partial", "name": obj.name}
    return {"of": "unknown"}


def _topo(ws: Any) -> list:
    from ..engine.value import topo_order
    return topo_order(ws.result.root)


# -- the truth of a formula blank ----------------------------------------------------------

def local_form(program: Any, node: str, arg: int) -> Any:
    """∂node/∂(its arg-th argument) as SymPy over the flat program's names: the rule's own
    SymPy form differentiated on fresh symbols, its output written as ``node``."""
    import sympy as sp
    from ..rules.table import RULES
    from ..gradcheck.symbolic import symbol, to_sympy_expr
    stmt = next(s for s in program.statements if s.name == node)
    expr = stmt.expr
    args = getattr(expr, "args", (expr,))
    rule = getattr(expr, "rule", None)
    if rule is None or (rule == "where" and arg > 0):   # an alias d = e, or where's taken branch
        return sp.Integer(1)                # (the sheet's local: the branch passes through): 1
    slots = [sp.Symbol(f"_u{k}", real=True) for k in range(len(args))]
    out = RULES[rule].sympy(sp, *slots)
    d = sp.diff(out, slots[arg]).xreplace({out: symbol(node)})
    return d.xreplace({s: to_sympy_expr(a, symbol) for s, a in zip(slots, args)})


MAX_KEY_CHARS = 5_000_000


def load_key(key: Any) -> dict:
    """A key as a dict: a dict passes through; a path is read as JSON. Raises InputError."""
    if isinstance(key, Mapping):
        data = dict(key)
    else:
        try:
            with open(key, encoding="utf-8-sig") as fh:
                text = fh.read(MAX_KEY_CHARS + 1)   # bounded, as every file symgrad reads
            if len(text) > MAX_KEY_CHARS:
                raise InputError(f"the key {str(key)[:80]} is over {MAX_KEY_CHARS:,} characters",
                                 hint="use the NAME-key.json written by symgrad worksheet --exercise")
        except (OSError, UnicodeDecodeError, TypeError, ValueError) as err:
            raise InputError(f"cannot read the key {escape_text(str(key), 80)}: "
                             f"{getattr(err, 'strerror', None) or err}") from None
        data = json_value(text, f"the key {escape_text(str(key), 80)}")
    if not isinstance(data, dict) or data.get("format") != KEY_FORMAT or not isinstance(data.get("blanks"), list):
        raise InputError("not a symgrad answer key", hint="use the NAME-key.json written by symgrad worksheet --exercise")
    for k, b in enumerate(data["blanks"]):
        ok = isinstance(b, dict) and isinstance(b.get("id"), str) and b.get("kind") in ("number", "formula")
        if ok and b["kind"] == "number":
            ok = _is_number(b.get("value")) and math.isfinite(b["value"])
        if not ok:
            raise InputError(f"the key's blank {k + 1} is broken (it needs an id, a kind, and a value for a number)")
        if b["kind"] == "formula" and not _derivative_ok(b.get("derivative")):
            raise InputError(f"the key's blank {escape_text(b['id'])} says not what it is the derivative of",
                             hint='it needs "derivative": {"of": "partial", "name": …} or {"of": "local", '
                                  '"node": …, "arg": …}; write the key again with symgrad worksheet --exercise')
    sheet = data.get("sheet")
    if sheet is not None and (not isinstance(sheet, int) or isinstance(sheet, bool)):
        raise InputError("the key's sheet number is not a whole number")
    tol = data.get("tolerance")
    if tol is not None and not (isinstance(tol, dict) and all(k in ("rtol", "atol") for k in tol)):
        raise InputError("the key's tolerance is broken", hint='write it as {"rtol": 0.001, "atol": 1e-06}')
    point = data.get("point")
    value_ok = _tensor_value if data.get("tensor") is True else _is_number   # a tensor key's point: nested lists
    if not (isinstance(data.get("graph_program"), str) and isinstance(point, dict)
            and all(isinstance(k, str) and value_ok(v) for k, v in point.items())):
        raise InputError("the key's program or point is broken",
                         hint="it needs graph_program (text) and point (names to numbers)")
    return data


def _tensor_value(v: Any) -> bool:
    """A number or nested lists of numbers (iteratively: a hostile key cannot recurse deep)."""
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, list):
            stack.extend(x)
        elif not (_is_number(x) and math.isfinite(x)):
            return False
    return True


def _derivative_ok(d: Any) -> bool:
    if not isinstance(d, dict):
        return False
    if d.get("of") in ("partial", "tensor"):
        return isinstance(d.get("name"), str)
    if d.get("of") == "local":
        return isinstance(d.get("node"), str) and isinstance(d.get("arg"), int) and not isinstance(d["arg"], bool)
    return d.get("of") == "unknown"


def check_local(program: Any, node: str, arg: int) -> None:
    """A local-derivative blank names an operation of ``program`` and one of its arguments, or
    InputError (a key edited by hand)."""
    stmt = next((s for s in program.statements if s.name == node), None)
    if stmt is None:
        raise InputError(f"the key's graph has no node {escape_text(node)}",
                         hint="write the key again with symgrad worksheet --exercise")
    if not 0 <= arg < len(getattr(stmt.expr, "args", (stmt.expr,))):
        raise InputError(f"the key's node {escape_text(node)} has no argument {arg}",
                         hint="write the key again with symgrad worksheet --exercise")
