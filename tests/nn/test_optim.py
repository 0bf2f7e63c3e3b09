"""Optimisers and the multi-class loss against the papers' algorithms (mpmath) and torch.optim."""

import math

import mpmath
import pytest

import symgrad as sg
from symgrad.nn import MLP, SGD, Adam, AdamW, cross_entropy, fit, make_moons
from symgrad.nn.train import accuracy

STEPS = 100
START = (1.5, -0.7, 0.3)


def loss_of(ps):
    """A fixed smooth loss of three parameters: (p0 − 1)² + 2(p1 + p0·p2)² + p2⁴/4 + sin(p1)."""
    p0, p1, p2 = ps
    return (p0 - 1) ** 2 + 2 * (p1 + p0 * p2) ** 2 + p2 ** 4 / 4 + p1.sin()


def grad_by_hand(p):
    """The loss's gradient derived by hand, in mpmath."""
    p0, p1, p2 = p
    inner = p1 + p0 * p2
    return [2 * (p0 - 1) + 4 * inner * p2, 4 * inner + mpmath.cos(p1), 4 * inner * p0 + p2 ** 3]


def run_symgrad(make):
    params = [sg.Value(x) for x in START]
    opt = make(params)
    trajectory = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_of(params).backward()
        opt.step()
        trajectory.append([p.data for p in params])
    return trajectory


def run_reference(kind, lr, *, momentum=0.0, weight_decay=0.0, b1=0.9, b2=0.999, eps=1e-8):
    """The algorithms as the papers write them (Kingma & Ba's Algorithm 1 with m̂ and v̂;
    Loshchilov & Hutter's decoupled decay; Sutskever's momentum), at 40 digits."""
    with mpmath.workdps(40):
        p = [mpmath.mpf(x) for x in START]
        m, v, buf = [0] * 3, [0] * 3, [None] * 3
        trajectory = []
        for t in range(1, STEPS + 1):
            g = grad_by_hand(p)
            for i in range(3):
                if kind == "sgd":
                    gi = g[i] + weight_decay * p[i]
                    buf[i] = gi if buf[i] is None or not momentum else momentum * buf[i] + gi
                    p[i] -= lr * buf[i]
                    continue
                gi = g[i] + (weight_decay * p[i] if kind == "adam" else 0)
                if kind == "adamw":
                    p[i] -= lr * weight_decay * p[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi ** 2
                m_hat, v_hat = m[i] / (1 - b1 ** t), v[i] / (1 - b2 ** t)
                p[i] -= lr * m_hat / (mpmath.sqrt(v_hat) + eps)
            trajectory.append([float(x) for x in p])
        return trajectory


CASES = {
    "sgd": (lambda ps: SGD(ps, 0.02), dict(kind="sgd", lr=0.02)),
    "momentum": (lambda ps: SGD(ps, 0.02, momentum=0.9), dict(kind="sgd", lr=0.02, momentum=0.9)),
    "sgd_decay": (lambda ps: SGD(ps, 0.02, momentum=0.5, weight_decay=0.1),
                  dict(kind="sgd", lr=0.02, momentum=0.5, weight_decay=0.1)),
    "adam": (lambda ps: Adam(ps, 0.05), dict(kind="adam", lr=0.05)),
    "adam_decay": (lambda ps: Adam(ps, 0.05, weight_decay=0.1), dict(kind="adam", lr=0.05, weight_decay=0.1)),
    "adamw": (lambda ps: AdamW(ps, 0.05), dict(kind="adamw", lr=0.05, weight_decay=0.01)),
    "adamw_betas": (lambda ps: AdamW(ps, 0.01, betas=(0.8, 0.99), weight_decay=0.3),
                    dict(kind="adamw", lr=0.01, b1=0.8, b2=0.99, weight_decay=0.3)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_optimiser_matches_the_papers_algorithm_over_100_steps(case):
    make, reference = CASES[case]
    ours, theirs = run_symgrad(make), run_reference(**reference)
    for step, (a, b) in enumerate(zip(ours, theirs), start=1):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12), f"step {step}"
    assert ours[-1] != ours[0]  # it moved


@pytest.mark.parametrize("case", sorted(CASES))
def test_optimiser_matches_torch_optim_over_100_steps(case):
    torch = pytest.importorskip("torch")
    make, reference = CASES[case]
    x = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    hyper = {"lr": reference["lr"]}
    if reference["kind"] == "sgd":
        opt = torch.optim.SGD([x], momentum=reference.get("momentum", 0.0),
                              weight_decay=reference.get("weight_decay", 0.0), **hyper)
    else:
        cls = torch.optim.Adam if reference["kind"] == "adam" else torch.optim.AdamW
        opt = cls([x], betas=(reference.get("b1", 0.9), reference.get("b2", 0.999)),
                  weight_decay=reference.get("weight_decay", 0.0), foreach=False, **hyper)
    theirs = []
    for _ in range(STEPS):
        opt.zero_grad()
        p0, p1, p2 = x[0], x[1], x[2]
        ((p0 - 1) ** 2 + 2 * (p1 + p0 * p2) ** 2 + p2 ** 4 / 4 + torch.sin(p1)).backward()
        opt.step()
        theirs.append(x.detach().tolist())
    for step, (a, b) in enumerate(zip(run_symgrad(make), theirs), start=1):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12), f"step {step}"


def test_adamw_decay_is_decoupled_and_adam_decay_is_not():
    """With a zero gradient Adam's L2 decay still moves p through m/√v (a step of ~lr),
    AdamW's shrinks p by the factor 1 − lr·λ exactly."""
    p, q = sg.Value(2.0), sg.Value(2.0)
    AdamW([p], lr=0.1, weight_decay=0.5).step()
    Adam([q], lr=0.1, weight_decay=0.5).step()
    assert p.data == 2.0 * (1 - 0.1 * 0.5)
    assert q.data == pytest.approx(2.0 - 0.1, rel=1e-6)   # m̂/√v̂ = sign(g) at the first step


@pytest.mark.parametrize("bad", [dict(momentum=1.0), dict(momentum=-0.1), dict(weight_decay=-1.0)])
def test_bad_hyperparameters_are_refused(bad):
    with pytest.raises(sg.InputError):
        SGD([sg.Value(1.0)], 0.1, **bad)
    with pytest.raises(sg.InputError):
        Adam([sg.Value(1.0)], betas=(0.9, 1.0))
    with pytest.raises(sg.InputError):
        fit(MLP(1, [1], seed=0), [[1.0]], [1.0], optimizer="lbfgs")


def test_cross_entropy_against_its_formula_and_gradient():
    """loss = ln Σ e^z − z_y, mean over samples; d loss/dz = (softmax(z) − onehot(y)) / n."""
    rows = [[2.0, -1.0, 0.5], [0.1, 0.2, 0.3]]
    ys = [0, 2]
    logits = [[sg.Value(v) for v in row] for row in rows]
    loss = cross_entropy(logits, ys)
    loss.backward()
    with mpmath.workdps(40):
        want = sum(mpmath.log(sum(mpmath.exp(v) for v in row)) - row[y] for row, y in zip(rows, ys)) / 2
        assert loss.data == pytest.approx(float(want), rel=1e-15)
        for row, y, zs in zip(rows, ys, logits):
            total = sum(mpmath.exp(v) for v in row)
            for j, z in enumerate(zs):
                assert z.grad == pytest.approx(float((mpmath.exp(row[j]) / total - (j == y)) / 2), rel=1e-14)


def test_cross_entropy_uses_the_log_sum_exp_trick():
    """Logits of 1000 overflow e^z in float64; the max-shifted form gives the exact loss."""
    zs = [sg.Value(1000.0), sg.Value(999.0), sg.Value(-1000.0)]
    loss = cross_entropy([zs], [1])
    loss.backward()
    with mpmath.workdps(40):
        want = mpmath.log(mpmath.exp(1000) + mpmath.exp(999) + mpmath.exp(-1000)) - 999
    assert loss.data == pytest.approx(float(want), rel=1e-14)
    assert zs[1].grad == pytest.approx(float(mpmath.exp(999) / (mpmath.exp(1000) + mpmath.exp(999)) - 1), rel=1e-14)


def test_cross_entropy_refuses_bad_targets():
    zs = [[sg.Value(0.0), sg.Value(1.0)]]
    for bad in ([2], [0.5], [-1]):
        with pytest.raises(sg.InputError, match="class indices"):
            cross_entropy(zs, bad)


def test_cross_entropy_matches_torch_where_installed():
    torch = pytest.importorskip("torch")
    rows, ys = [[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [5.0, 5.0, -3.0]], [0, 2, 1]
    logits = [[sg.Value(v) for v in row] for row in rows]
    loss = cross_entropy(logits, ys)
    loss.backward()
    t = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(t, torch.tensor(ys))
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-14)
    assert [z.grad for row in logits for z in row] == pytest.approx(t.grad.flatten().tolist(), rel=1e-13, abs=1e-16)


def test_fit_a_three_class_problem_with_adam_and_minibatches():
    xs, labels = make_moons(60, noise=0.05, seed=3)
    ys = [0 if y < 0 else 1 for y in labels]
    xs = xs + [[x0 + 3.0, x1 + 2.0] for x0, x1 in xs[:20]]   # a third class beside the moons
    ys = ys + [2] * 20
    net = MLP(2, [16, 3], nonlin="relu", seed=0)
    history = fit(net, xs, ys, loss="cross_entropy", optimizer="adam", lr=0.05, steps=120,
                  batch_size=40, seed=1)
    assert len(history.records) == 120
    scores = [[sg.Value(v) for v in net.predict(x)] for x in xs]
    assert accuracy(scores, ys) > 0.9
    again = MLP(2, [16, 3], nonlin="relu", seed=0)
    assert fit(again, xs, ys, loss="cross_entropy", optimizer="adam", lr=0.05, steps=120, batch_size=40,
               seed=1).losses == history.losses   # minibatches are drawn from the seed: same run


def test_fit_optimiser_names_and_weight_decay():
    xs, ys = [[0.5], [-0.5]], [1.0, -1.0]
    for name in ("sgd", "momentum", "adam", "adamw"):
        net = MLP(1, [1], seed=0)
        history = fit(net, xs, ys, loss="mse", optimizer=name, lr=0.05, steps=30, weight_decay=0.01)
        assert history.losses[-1] < history.losses[0], name
