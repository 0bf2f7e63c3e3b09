"""The lecture's training loop: MLP(3, [4, 4, 1]) of tanh neurons learns 4 points (loss < 1e-3).

Run:  python examples/train_lecture.py

First the loop exactly as the lecture writes it (forward, loss, zero_grad, backward, update),
then the same training with symgrad.nn.fit, then one neuron written as a symgrad program.
"""

import symgrad as sg
from symgrad.nn import MLP, fit, lecture_data

xs, ys = lecture_data()

# The lecture's loop, by hand. seed= makes the run repeatable.
n = MLP(3, [4, 4, 1], nonlin="tanh", out_nonlin="tanh", seed=1337)
for k in range(300):
    ypred = [n(x) for x in xs]
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
    n.zero_grad()          # optional in symgrad: backward() resets grads itself
    loss.backward()
    for p in n.parameters():
        p.data += -0.1 * p.grad
    if k % 50 == 0 or k == 299:
        print(f"step {k + 1:>3}: loss {loss.data:.6f}")
print("predictions:", [round(n.predict(x), 4) for x in xs], "targets:", ys)
assert loss.data < 1e-3

# The same with fit(): per-step loss and accuracy come back in a History.
history = fit(MLP(3, [4, 4, 1], nonlin="tanh", out_nonlin="tanh", seed=1337), xs, ys,
              loss="sum_squares", steps=300, lr=0.1)
print(f"fit: final loss {history.losses[-1]:.6f}, accuracy {history.accuracies[-1]:.0%}")
assert history.losses[-1] == loss.data  # the same computation, step for step

# A neuron is an expression: its weights become named inputs of a symgrad program.
expr = n.layers[0].neurons[0].expression(xs[0])
print("\nfirst neuron at the first sample:", expr.source)
result = sg.backprop(expr.source, expr.point)
print(result.table())
