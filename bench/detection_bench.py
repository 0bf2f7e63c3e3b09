"""Benchmark: does the check ever say ``agree`` to a wrong gradient? Every function, at extremes.

``python -m bench.detection_bench`` (``--quick``: a smaller grid). For generated programs that use
every function of the rule table, at magnitudes from 1e-300 to 1e300 and next to every domain
boundary, the exact gradient (the check's reference, rounded to float64) is fed back through
``grads=``:

- as it is: a correct gradient, which must never be a ``mismatch``; the rows the check cannot
  verify are counted, with the reason, per kind of reason;
- times (1 + 1e-3), times (1 + 1e-9), and with its sign flipped: a wrong gradient, which must
  never be an ``agree`` unless float64's own error bound there is wider than the error (then
  the row says how many digits float64 can promise; those are counted separately).

Rows at a kink, rows whose exact gradient does not exist, is 0, or is not resolved, and
perturbations that round back to the same float64 number are left out (nothing wrong to detect).
Counts only: no clock decides anything, so the figures repeat exactly.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter

import symgrad as sg

UNARY = ["exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "sqrt", "abs", "softplus", "tan", "atan",
         "asin", "acos", "sinh", "cosh", "asinh", "atanh", "log2", "log10", "exp2", "expm1", "log1p", "cbrt",
         "erf", "gelu", "silu", "softsign", "log_sigmoid"]
BINARY = ["elu", "leaky_relu", "max", "min", "atan2", "hypot", "logsumexp"]
OPERATORS = ["x + y", "x - y", "x * y", "x / y", "x ^ y", "x ^ 3", "x ^ -2", "-x * y"]
MAGNITUDES = [1e-300, 1e-150, 1e-30, 1e-5, 0.5, 1.0, 3.0, 1e5, 1e30, 1e150, 1e300]
# Next to the domain boundaries and the saturation points of every function.
BOUNDARIES = [1 - 2 ** -52, -(1 - 2 ** -52), 1 - 1e-10, -(1 - 1e-10), 1 + 2 ** -52, 5e-324, 1e-320, 2.2250738585072014e-308,
              -1 + 2 ** -53, 1.5707963267948966, 709.78, -745.1, 1023.99, 710.4, -38.0, -700.0, 1e10, -1e10,
              27.0, 0.0, -1e-300]
PERTURBATIONS = {"x(1+1e-3)": lambda g: g * (1 + 1e-3), "x(1+1e-9)": lambda g: g * (1 + 1e-9), "sign flip": lambda g: -g}


def programs(quick: bool) -> list[tuple[str, dict[str, float]]]:
    """(program, point) pairs: every function at every magnitude and boundary, and mixed chains."""
    points = sorted(set(MAGNITUDES + [-m for m in MAGNITUDES] + BOUNDARIES))
    if quick:
        points = points[::3]
    out = []
    for f in UNARY:
        for x in points:
            out.append((f"{f}(x)", {"x": x}))
            out.append((f"y*{f}(x*w) + b", {"x": x, "w": 1.0, "y": 1e-300 if abs(x) > 1 else 1e300, "b": 0.5}))
    pairs = [(x, y) for x in points for y in points][:: 7 if quick else 5]
    for f in BINARY:
        for x, y in pairs:
            out.append((f"{f}(x, y)", {"x": x, "y": y}))
    for text in OPERATORS:
        for x, y in pairs[:: 2 if quick else 3]:
            out.append((text, {"x": x, "y": y}))
    rng = random.Random(20)
    everything = UNARY + BINARY
    for _ in range(60 if quick else 300):        # mixed chains of four functions
        fs = [rng.choice(everything) for _ in range(4)]
        body = "x"
        for f in fs:
            body = f"{f}({body}, y)" if f in BINARY else f"{f}({body})"
            body = f"{body}*w" if rng.random() < 0.5 else body
        out.append((body, {"x": rng.choice(points), "y": rng.choice(points), "w": rng.choice([0.5, -2.0, 1e-5, 1e5])}))
    return out


def reason(note: str) -> str:
    """The kind of reason an unverified row gives (its note's first clause)."""
    kinds = [("no digit", "ill-conditioned: float64 can promise no digit"),
             ("not finite", "float64's error bound is not finite (an error range overflows)"),
             ("not resolved", "the exact gradient is not resolved at the highest precision"),
             ("cannot decide whether the program is defined", "the domain is undecided (a ball straddles it)"),
             ("exists only through rounding", "the program is undefined; float64's number is rounding"),
             ("one-sided slope", "a one-sided slope at a kink is undetermined"),
             ("undetermined", "a gradient is undetermined (a ball straddles a boundary)"),
             ("does not exist", "the exact gradient does not exist, the value given does")]
    for key, label in kinds:
        if key in note:
            return label
    return note.split(";")[0][:70] or "(no note)"


def measure(quick: bool) -> dict:
    counts = {"programs": 0, "points refused": 0, "rows": 0, "correct rows": 0}
    correct: Counter = Counter()
    unverified: Counter = Counter()
    backprop: Counter = Counter()
    backprop_unverified: Counter = Counter()
    examples: list[str] = []
    alarms: list[str] = []
    wrong = {kind: Counter() for kind in PERTURBATIONS}
    misses: list[str] = []
    labelled: Counter = Counter()
    for text, point in programs(quick):
        counts["programs"] += 1
        try:
            base = sg.check(text, point)
        except sg.SymgradError:
            counts["points refused"] += 1          # out of float64's range at the point, by design
            continue
        counts["rows"] += len(base.rows)
        for row in base.rows:
            backprop[row.verdict] += 1
            if row.verdict == "mismatch":
                alarms.append(f"`{text}` at {point}, {row.name}: backprop {row.backprop!r}, exact {row.symbolic!r}")
            if row.verdict == "unverified":
                backprop_unverified[reason(row.note)] += 1
        exact = {r.name: r.symbolic for r in base.rows if r.verdict not in ("kink", "undefined")
                 and r.symbolic is not None and r.symbolic != 0.0 and r.left is None}
        if not exact:
            continue
        for row in sg.check(text, point, grads=exact).rows:
            counts["correct rows"] += 1
            correct[row.verdict] += 1
            if row.verdict == "unverified":
                unverified[reason(row.note)] += 1
            if row.verdict == "mismatch":
                misses.append(f"correct gradient called mismatch: {text} at {point}, {row.name}")
        for kind, perturb in PERTURBATIONS.items():
            given = {name: perturb(g) for name, g in exact.items() if perturb(g) != g}
            if not given:
                continue
            for row in sg.check(text, point, grads=given).rows:
                wrong[kind][row.verdict] += 1
                if row.verdict == "agree":
                    if row.digits is not None and row.tolerance is not None \
                            and row.tolerance >= abs(given[row.name] - exact[row.name]):
                        labelled[kind] += 1   # float64's own bound is wider than the error: said so
                        if len(examples) < 8:
                            examples.append(f"{kind}: `{text}` at {point}, {row.name} ({row.note.split(';')[0]})")
                    else:
                        misses.append(f"{kind} called agree: {text} at {point}, {row.name}")
    return {"counts": counts, "correct": correct, "unverified": unverified, "wrong": wrong,
            "labelled": labelled, "misses": misses, "backprop": backprop,
            "backprop unverified": backprop_unverified, "examples": examples,
            "alarms": alarms}


def run(quick: bool = False) -> str:
    m = measure(quick)
    c = m["counts"]
    verdicts = ("agree", "mismatch", "kink", "undefined", "unverified")
    lines = [
        "## Detection at the extremes (`python -m bench.detection_bench`)",
        "",
        f"{c['programs']} generated programs and points: each of the {len(UNARY) + len(BINARY)} functions and "
        f"the operators, at |x| from 1e-300 to 1e300 and next to every domain boundary, and mixed chains "
        f"of four functions ({c['points refused']} points refused as out of range). The exact gradient "
        "(the check's reference rounded to float64) is fed back through `grads=`, as it is and made wrong.",
        "",
        "| gradient given | rows | " + " | ".join(verdicts) + " |",
        "|---|---|" + "---|" * len(verdicts),
        f"| backprop's own | {sum(m['backprop'].values())} | " + " | ".join(str(m["backprop"][v]) for v in verdicts) + " |",
        f"| exact (correct) | {sum(m['correct'].values())} | " + " | ".join(str(m["correct"][v]) for v in verdicts) + " |",
    ]
    for kind, counter in m["wrong"].items():
        lines.append(f"| exact {kind} (wrong) | {sum(counter.values())} | "
                     + " | ".join(str(counter[v]) for v in verdicts) + " |")
    misses = [x for x in m["misses"] if "agree" in x]
    false_alarms = [x for x in m["misses"] if "mismatch" in x]
    lines += ["",
              f"Wrong gradients called `agree` beyond float64's own error bound: **{len(misses)}**. "
              f"Correct gradients called `mismatch`: **{len(false_alarms)}**.",
              "Wrong gradients that agree where float64's own bound is wider than the error (the row says "
              "how many digits float64 can promise): "
              + (", ".join(f"{kind}: {n}" for kind, n in m["labelled"].items()) or "none") + ".",
              ""] + [f"- {x}" for x in m["examples"]] + [
              "", "Rows left `unverified`, by reason (the exact gradient given is never one: it passes as "
              "float64's rounding of the exact value wherever a bound is not finite):", "",
              "| reason | backprop's rows | exact rows given |", "|---|---|---|"]
    reasons = sorted(set(m["backprop unverified"]) | set(m["unverified"]),
                     key=lambda why: -m["backprop unverified"][why] - m["unverified"][why])
    lines += [f"| {why} | {m['backprop unverified'][why]} | {m['unverified'][why]} |" for why in reasons] \
        or ["| (none) | 0 | 0 |"]
    lines += ["", f"Backprop's own rows called `mismatch` ({len(m['alarms'])}):", ""] + [f"- {x}" for x in m["alarms"][:20]]
    lines += [""] + [f"- {x}" for x in m["misses"][:20]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.detection_bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller grid")
    args = ap.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    text = run(quick=args.quick)
    print(text)
    return 1 if "called agree" in text else 0


if __name__ == "__main__":
    raise SystemExit(main())
