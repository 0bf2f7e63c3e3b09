"""The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), with the bias chosen so that o = 1/sqrt(2).

Run:  python examples/neuron.py
"""

import math

import symgrad as sg

PROGRAM = "n = x1*w1 + x2*w2 + b; o = tanh(n)"
POINT = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}

result = sg.backprop(PROGRAM, POINT)
print(result.table())

# The same neuron written with Value objects, exactly as in the lecture (and micrograd).
x1, x2 = sg.Value(2.0, label="x1"), sg.Value(0.0, label="x2")
w1, w2 = sg.Value(-3.0, label="w1"), sg.Value(1.0, label="w2")
b = sg.Value(6.8813735870195432, label="b")
o = (x1 * w1 + x2 * w2 + b).tanh()
o.backward()
print(f"\nwith Value: o = {o.data:.7f}, dx1 = {x1.grad:.4f}, dw1 = {w1.grad:.4f}")

assert math.isclose(result.value, 1 / math.sqrt(2), rel_tol=1e-12)
assert math.isclose(x1.grad, result.grads["x1"], rel_tol=1e-12)
