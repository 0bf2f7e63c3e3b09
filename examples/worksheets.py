"""Derivation worksheets for the lecture's L program and for its neuron, in every format.

Run:  python examples/worksheets.py [OUTPUT_DIR]     (default: a new temporary directory)

Open the .html in a browser (it works offline), compile the .tex with pdflatex, open the
.ipynb in Jupyter. The exercise sheet leaves blanks; its answer key is the full worksheet.
"""

import os
import sys
import tempfile

import symgrad as sg

LECTURE = "e = a*b; d = e + c; L = d*f"
LECTURE_POINT = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
NEURON = "n = x1*w1 + x2*w2 + b; o = tanh(n)"
NEURON_POINT = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}

out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="symgrad-worksheets-")
os.makedirs(out, exist_ok=True)

for stem, program, point, plot in (("lecture-L", LECTURE, LECTURE_POINT, "a"), ("neuron", NEURON, NEURON_POINT, "b")):
    for fmt in ("md", "html", "tex", "ipynb"):
        path = os.path.join(out, f"{stem}.{fmt}")
        sg.worksheet(program, point, format=fmt, plot_input=plot, path=path)  # pictures beside .md and .tex
        print(path)
    path = os.path.join(out, f"{stem}-exercise.html")
    sg.worksheet(program, point, format="html", plot_input=plot, exercise=True, path=path)
    print(path)

sg.draw(LECTURE, LECTURE_POINT).render(os.path.join(out, "lecture-L-graph"), format="svg", cleanup=True)
print(os.path.join(out, "lecture-L-graph.svg"))
