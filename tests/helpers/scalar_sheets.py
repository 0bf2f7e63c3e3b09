"""Scalar worksheets in every format, answer key and exercise sheet, for byte-for-byte comparison
with the worksheets of the tree before tensor programs came in (``tests/teaching/scalar_sheets.sha256``
holds their SHA-256, made by running ``digests()`` on that tree, main at 7ef5a96, and again after the
deliberate changes its test's docstring lists).

    PYTHONPATH=<tree> python tests/helpers/scalar_sheets.py   # prints the digests of <tree>'s sheets
"""

from __future__ import annotations

import hashlib

CASES = {
    # the lecture's first expression and its neuron (Karpathy's micrograd lecture)
    "lecture": ("e = a*b; d = e + c; L = d*f", {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}),
    "neuron": ("n = x1*w1 + x2*w2 + b; o = tanh(n)",
               {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}),
    "functions": ("y = exp(x) / (1 + x**2); z = log(y + 3) - sqrt(x); L = z * sin(x)", {"x": 0.7}),
}
FORMATS = ("md", "html", "tex", "ipynb")


def digests() -> dict[str, str]:
    """{case/format/key|exercise: sha256 of the worksheet's text}."""
    import symgrad as sg
    out = {}
    for name, (program, values) in CASES.items():
        for fmt in FORMATS:
            for exercise in (False, True):
                text = sg.worksheet(program, values, format=fmt, exercise=exercise)
                key = f"{name}/{fmt}/{'exercise' if exercise else 'key'}"
                out[key] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return out


if __name__ == "__main__":
    for key, digest in digests().items():
        print(digest, key)
