"""Second order in training: Newton-CG steps on Hessian-vector products, beside plain SGD.

Run:  python examples/train_newton.py

The lecture's MLP(3, [4, 4, 1]) learns its 4 points. SGD follows the gradient; a Newton step
solves (H + λI)·d = −grad by conjugate gradients, where every product H·v is one
forward-over-reverse sweep through the loss's program (symgrad.hvp's machinery): the 41×41
Hessian is never formed. Newton's steps bend with the curvature, so they need far fewer of them.
"""

import symgrad as sg
from symgrad.nn import MLP, fit, lecture_data

xs, ys = lecture_data()
sgd = fit(MLP(3, [4, 4, 1], nonlin="tanh", out_nonlin="tanh", seed=1337), xs, ys, steps=20, lr=0.1)
newton = fit(MLP(3, [4, 4, 1], nonlin="tanh", out_nonlin="tanh", seed=1337), xs, ys, steps=20, lr=1.0,
             method="newton-cg", damping=1e-3, cg_steps=20)
for k in (0, 4, 9, 19):
    print(f"step {k + 1:>2}: SGD loss {sgd.losses[k]:.6f}   Newton-CG loss {newton.losses[k]:.6f}")
assert newton.losses[-1] < 1e-3 < sgd.losses[-1]

# One Hessian-vector product of the loss, by hand: the program over the 41 parameters.
model = MLP(3, [4, 4, 1], nonlin="tanh", out_nonlin="tanh", seed=1337)
expr = model.expression(xs, ys)
grad = sg.backprop(expr.source, expr.point, limits=expr.limits).grads
hg = sg.hvp(expr.program, expr.point, {name: grad[name] for name in expr.parameters})
print("gradᵀ·H·grad =", sum(grad[n] * hg[n] for n in expr.parameters))
