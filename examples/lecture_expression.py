"""The lecture's first expression graph: L = (a*b + c) * f, backpropagated by hand and by symgrad.

Run:  python examples/lecture_expression.py
"""

import symgrad as sg

PROGRAM = """
e = a*b      # the lecture names every intermediate
d = e + c
L = d*f      # the output is the last statement
"""

result = sg.backprop(PROGRAM, a=2.0, b=-3.0, c=10.0, f=-2.0)
print(result.table())

# The lecture's values: L = -8, dL/da = 6, dL/db = -4, dL/dc = dL/dd = dL/de = -2, dL/df = 4.
assert result.value == -8.0
assert result.grads == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0, "L": 1.0}

# Trust it: every gradient again from SymPy's own derivative and from finite differences.
print()
print("dL/da =", sg.diff(PROGRAM, "a"))
report = sg.check(PROGRAM, a=2.0, b=-3.0, c=10.0, f=-2.0)
print(report)
assert report.ok
