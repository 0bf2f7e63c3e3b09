"""``symgrad check`` and ``symgrad diff``: arguments, reading, printing; the work is ``gradcheck.check.check``
and ``gradcheck.symbolic.diff``."""

from __future__ import annotations

import math
from typing import Any

from .io import dump_json, limits_of, program_arguments, read_arrays, read_point, read_program, read_values
from ...base.errors import InputError
from ...base.limits import DEFAULT_LIMITS
from ...base.validate import json_value, real_number

__all__ = ["setup_check_command", "run_check_command", "setup_diff_command", "run_diff_command",
           "setup_hessian_command", "run_hessian_command",
           "add_claim_arguments", "read_claims"]


def setup_check_command(p) -> None:
    program_arguments(p, at_file=True)
    p.add_argument("--random", type=int, metavar="N", help="check at N seeded random points inside the domain")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="seed for --random (default 0)")
    p.add_argument("--grads", nargs="+", action="extend", metavar="NAME=VALUE",
                   help="check these gradients (from your own code) instead of backprop's; or one JSON file")
    for name, default in (("rtol", 1e-12), ("atol", 0.0)):
        p.add_argument(f"--{name}", type=float, default=default, metavar="X",
                       help=f"slack on top of float64's own error bound (default {default:g})")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_claim_arguments(p)  # --claim NAME=FORMULA, --claims FILE: claimed derivatives


def _read_grads(items: list[str] | None) -> dict[str, str] | None:
    if not items:
        return None
    if len(items) == 1 and "=" not in items[0] and items[0].endswith(".npz"):
        return read_arrays(items[0], "the gradients file", DEFAULT_LIMITS)
    if len(items) == 1 and "=" not in items[0]:
        try:
            with open(items[0], encoding="utf-8") as fh:
                text = fh.read(DEFAULT_LIMITS.max_chars + 1)
        except OSError as err:
            raise InputError(f"cannot read the gradients file {items[0]!r:.60}: {err.strerror or 'unreadable'}",
                             hint="give a JSON file such as {\"x\": 1.5}, or NAME=VALUE items") from None
        except (UnicodeDecodeError, ValueError):
            raise InputError(f"the gradients file {items[0]!r:.60} is not a JSON object of numbers",
                             hint="give a JSON object such as {\"x\": 1.5}, or NAME=VALUE items") from None
        data = json_value(text, f"the gradients file {items[0]!r:.60}",
                          hint="give a JSON object such as {\"x\": 1.5}, or NAME=VALUE items")
        if not isinstance(data, dict):
            raise InputError(f"{items[0]!s:.60} must hold a JSON object of name: value")
        return data
    grads: dict[str, object] = {}
    for name, raw in read_point(items).items():
        word = raw.strip().lower()
        if word in _NON_FINITE:   # a NaN from your code is judged (a mismatch), as from a JSON file or the API
            grads[name] = _NON_FINITE[word]
            continue
        try:
            grads[name] = real_number(raw, f"--grads {name}", text=True)
        except InputError:
            raise InputError(f"--grads {name}={raw[:40]} is not a number", hint=f"write --grads {name}=2.5 "
                             "(nan and inf are judged too)") from None
    return grads


_NON_FINITE = {"nan": math.nan, "+nan": math.nan, "-nan": math.nan, "inf": math.inf, "+inf": math.inf,
               "-inf": -math.inf, "infinity": math.inf, "-infinity": -math.inf}


def _not_given(program: object, grads: dict | None, limits: Any) -> list[str]:
    """The inputs whose gradient --grads did not give: their rows are not checked."""
    if not grads:
        return []
    from ...language.parser import parse
    return [name for name in parse(program, limits=limits).inputs if name not in grads]


def run_check_command(args) -> int:
    """Exit 0 when every row is verified, 1 on a mismatch, 3 when some row is unverified
    (errors exit 2 in _cli.main)."""
    from ...gradcheck.check import check
    if args.random is not None and (args.at or args.at_file):
        raise InputError("give either --at or --random N, not both")
    if args.random is None and args.seed is not None:
        raise InputError("--seed goes with --random N")
    program, grads = read_program(args), _read_grads(args.grads)
    report = check(program, read_values(args), grads=grads, random=args.random,
                   seed=args.seed, rtol=args.rtol, atol=args.atol, limits=limits_of(args),
                   claims=read_claims(args.claim, args.claims) or None)
    missing = _not_given(program, grads, limits_of(args))
    if args.json:
        dump_json({**report.to_dict(), "not_given": missing} if grads else report.to_dict())
    else:
        print(report.table())
        if missing:
            print(f"not checked (no --grads value): {', '.join(missing)}")
    return report.exit_code


def setup_diff_command(p) -> None:
    program_arguments(p, point=False)
    p.add_argument("--wrt", required=True, metavar="NAME", action="append",
                   help="an input or named intermediate; repeat it for a mixed partial (--wrt x --wrt y: inputs)")
    p.add_argument("--latex", action="store_true", help="print LaTeX")


def run_diff_command(args) -> int:
    from ...gradcheck.sympy_printers import sympy_latex, sympy_text  # symgrad's names: x__2, Beta, e vs Euler's e
    from ...gradcheck.symbolic import diff
    from ...language.printing import power_symbol
    program = read_program(args)
    expr = diff(program, *args.wrt, simplify=True, limits=limits_of(args))
    print(sympy_latex(expr) if args.latex else sympy_text(expr, power_symbol(program)))  # 3*x^2, as written
    return 0


def setup_hessian_command(p) -> None:
    program_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON")


def run_hessian_command(args) -> int:
    from ...engine.second_order import hessian
    h = hessian(read_program(args), read_point(args.at), limits=limits_of(args))
    if args.json:
        dump_json(h.to_dict())
    else:
        print(h.table())
    return 0


# -- --claim NAME=FORMULA and --claims FILE (judged by gradcheck.claims) --------------------

def add_claim_arguments(p: Any) -> None:
    p.add_argument("--claim", action="append", metavar="NAME=FORMULA",
                   help="a claimed partial to judge, e.g. --claim 'w=(1 - tanh(x*w + b)^2)*x' (repeatable)")
    p.add_argument("--claims", metavar="FILE", help="claims as a JSON object {name: formula}, or as lines "
                   "'dname = formula' (# comments), as the lecture writes its manual backward pass")


def read_claims(items: list[str] | None, path: str | None) -> dict[str, str]:
    """--claim NAME=FORMULA items and a --claims JSON file, as {name: formula}."""
    claims: dict[str, str] = {}
    if path is not None:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read(DEFAULT_LIMITS.max_chars + 1)
            if len(text) > DEFAULT_LIMITS.max_chars:
                raise InputError(f"{path} is over {DEFAULT_LIMITS.max_chars} characters", hint="split the claims")
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
        # JSON when it opens as JSON does (no claim line starts with a bracket), else dname = formula lines
        data = json_value(text, str(path)) if text.lstrip()[:1] in ("{", "[") else claim_lines(text, str(path))
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise InputError(f"{path} must hold one JSON object of name: formula text",
                             hint='e.g. {"w": "(1 - tanh(x*w + b)^2)*x"}')
        claims.update(data)
    given: set[str] = set()
    for item in items or []:
        name, sep, text = item.partition("=")
        if not sep or not name.strip() or not text.strip():
            raise InputError(f"bad --claim {item!r:.40}", hint="write --claim 'a=b*f'")
        if name.strip() in given:  # a --claim overrides the file's claim, but not another --claim
            raise InputError(f"two claims for {name.strip()!r:.40}", hint="give one claimed formula per name")
        given.add(name.strip())
        claims[name.strip()] = text
    return claims


def claim_lines(text: str, where: str) -> dict[str, str]:
    """Claims written as the lecture's manual backward pass: one ``dname = formula`` per line
    (``name = formula`` too), ``#`` comments and blank lines skipped. Raises InputError naming the
    line of a line that is not an assignment, or of a second claim for one name."""
    claims: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        name, sep, formula = body.partition("=")
        name = name.strip()
        if not sep or not formula.strip() or not name.isidentifier() or formula.lstrip().startswith("="):
            raise InputError(f"{where}, line {number}: not a claim {body!r:.60}",
                             hint="write one claim per line: dW2 = h.T @ dlogits")
        if name in claims:
            raise InputError(f"{where}, line {number}: a second claim for {name!r:.40}",
                             hint="give one claimed formula per name")
        claims[name] = formula.strip()
    return claims
