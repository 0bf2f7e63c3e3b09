"""No user text reaches eval: grep the package for calls that evaluate text.

The one allowed use: the code generator, symgrad/engine/codegen/build.py, may ``exec`` source
text that it generated itself from validated AST pieces (never user text). Nothing else
in symgrad/ may call eval, exec, sympify, parse_expr or lambdify. SymPy objects are
built programmatically from the AST (symgrad/gradcheck/symbolic.py).
"""

import re
from pathlib import Path

import symgrad

FORBIDDEN = re.compile(r"\b(eval|exec|sympify|parse_expr|lambdify)\s*\(")
# path relative to the package -> the calls it may make, and why
ALLOWED = {
    "engine/codegen/build.py": ({"exec"}, "runs source generated from validated AST pieces, never user text"),
}


def calls(path: Path) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code = line.split("#", 1)[0]
        for match in FORBIDDEN.finditer(code):
            found.append((number, match.group(1)))
    return found


def test_package_never_evaluates_text():
    package = Path(symgrad.__file__).parent
    files = sorted(package.rglob("*.py"))
    assert any(p.as_posix().endswith("gradcheck/symbolic.py") for p in files)
    offending = []
    for path in files:
        allowed, _why = ALLOWED.get(path.relative_to(package).as_posix(), (set(), ""))
        offending += [f"{path.name}:{n}: {name}(" for n, name in calls(path) if name not in allowed]
    assert offending == []


def test_the_grep_finds_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("x = eval (text)\ny = sympy.sympify(s)\nz = 1  # eval(s) in a comment\nf.evaluate(e)\n")
    assert calls(bad) == [(1, "eval"), (2, "sympify")]
