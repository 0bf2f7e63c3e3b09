"""Bad input to training and notebooks — array-likes, numpy integers, schedules, divergence, hinge
targets, stale grads, shared models in threads, bounded sizes, and atomic plot files."""

import errno
import math
import os

import numpy as np
import pytest

import symgrad as sg
from symgrad.interface.cli.main import main
from symgrad.nn import MLP, SGD, Neuron, Layer, fit, hinge, linear_schedule, make_moons, mse
from helpers.threaded import run_threads


def moons_arrays(n=40, seed=0):
    """Data shaped like sklearn.datasets.make_moons: X an (n, 2) float array, y an int array of 0/1."""
    xs, ys = make_moons(n, noise=0.1, seed=seed)
    return np.array(xs), np.array([(y + 1) // 2 for y in ys], dtype=np.int64)


# -- array-likes and numpy integers ------------------------------------------------------------
def test_fit_takes_numpy_arrays_as_micrograd_demo_does():
    X, y = moons_arrays()
    y = y * 2 - 1  # micrograd's demo maps sklearn's 0/1 to -1/+1
    net = MLP(2, np.array([8, 1]), nonlin="relu", seed=np.int64(1))
    history = fit(net, X, y, loss="hinge", steps=np.int64(30), lr=0.5)
    assert len(history.records) == 30
    assert history.losses[-1] < history.losses[0]
    as_lists = MLP(2, [8, 1], nonlin="relu", seed=1)
    same = fit(as_lists, X.tolist(), [float(v) for v in y], loss="hinge", steps=30, lr=0.5)
    assert same.losses == history.losses  # arrays and lists train identically


def test_numpy_integers_are_accepted_everywhere():
    xs, ys = make_moons(np.int64(50), noise=np.float64(0.1), seed=np.int64(3))
    assert len(xs) == 50 and xs == make_moons(50, noise=0.1, seed=3)[0]
    assert Neuron(np.int32(3), seed=np.int64(0)).nin == 3
    assert Layer(np.int64(2), np.uint8(4), seed=0).nout == 4
    assert linear_schedule(1.0, 0.1, np.int64(10)).steps == 10


@pytest.mark.parametrize("bad", [
    lambda: MLP(2, np.array([[4, 1]])),       # a 2-D array of sizes
    lambda: MLP(2, 4),
    lambda: MLP(2, []),
    lambda: MLP(2.0, [4, 1]),
    lambda: MLP(2, [4.0, 1]),
    lambda: MLP(True, [1]),
    lambda: make_moons(2.5),
    lambda: make_moons(50, seed=[1]),
    lambda: make_moons(50, seed=1.5),
    lambda: fit(MLP(2, [1], seed=0), [[1.0, 2.0]], [1.0], steps=2.0),
    lambda: fit(MLP(2, [1], seed=0), [[1.0, 2.0]], "a"),
    lambda: fit(MLP(2, [1], seed=0), np.array([[1.0, 2.0]]), np.array([1.0, 2.0])),
    lambda: MLP(2, [1], seed=0)([1j, 2.0]),
    lambda: MLP(2, [1], seed=0)([True, 2.0]),
])
def test_wrong_arguments_are_input_errors(bad):
    with pytest.raises(sg.InputError):
        bad()


def test_parameter_count_is_bounded_before_allocating():
    with pytest.raises(sg.LimitError) as info:
        MLP(10**8, [1])
    assert info.value.limit == "max_parameters"
    with pytest.raises(sg.LimitError):
        Layer(10**4, 10**4)
    with pytest.raises(sg.LimitError):
        Neuron(2, limits=sg.Limits(max_parameters=2))
    assert len(MLP(3, [4, 4, 1], seed=0, limits=sg.Limits(max_parameters=41)).parameters()) == 41


# -- schedules and learning rates --------------------------------------------------------------
def test_linear_schedule_holds_its_end_value_after_its_steps():
    lr = linear_schedule(1.0, 0.1, 100)
    assert lr(0) == 1.0 and lr(50) == pytest.approx(0.55) and lr(100) == pytest.approx(0.1)
    assert [lr(k) for k in (101, 160, 10**6)] == [0.1, 0.1, 0.1]  # PyTorch's LinearLR holds its end factor
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
    seen = []
    for _ in range(160):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == pytest.approx([lr(k) for k in range(160)], rel=1e-12, abs=1e-12)


def test_training_past_the_schedule_does_not_ascend():
    X, y = moons_arrays(40, seed=1)
    net = MLP(2, [8, 1], nonlin="relu", seed=2)
    history = fit(net, X, y * 2 - 1, loss="hinge", steps=160, lr=linear_schedule(1.0, 0.1, 100))
    assert all(r.lr > 0 for r in history.records)
    assert min(history.losses[100:]) <= history.losses[99] * 1.5


@pytest.mark.parametrize("lr", [-0.1, math.nan, math.inf, "0.1", True, lambda k: 0.1 - 0.01 * k])
def test_negative_or_bad_learning_rates_are_rejected(lr):
    net = MLP(2, [1], seed=0)
    with pytest.raises(sg.InputError):
        fit(net, [[1.0, 2.0]], [1.0], steps=20, lr=lr)
    with pytest.raises(sg.InputError):
        linear_schedule(1.0, -0.1, 10)
    with pytest.raises(sg.InputError):
        SGD(net.parameters(), -1.0)


# -- divergence --------------------------------------------------------------------------------
@pytest.mark.parametrize("nonlin,lr", [("relu", 50.0), ("relu", 1e6), ("linear", 1e3)])
def test_divergence_anywhere_names_the_step_and_the_cure(nonlin, lr):
    X, y = moons_arrays(30, seed=0)
    net = MLP(2, [16, 16, 1], nonlin=nonlin, seed=0)
    with pytest.raises(sg.NumericError) as info:
        fit(net, X, y * 2 - 1, loss="mse", steps=200, lr=lr)
    message = info.value.summary
    assert message.startswith("training diverged at step ") and "lower the learning rate" in message
    int(message.split("step ")[1].split(":")[0])


# -- hinge targets -----------------------------------------------------------------------------
def test_hinge_rejects_targets_outside_plus_minus_one():
    X, y = moons_arrays(20)
    with pytest.raises(sg.InputError, match="2\\*y - 1"):
        fit(MLP(2, [4, 1], seed=0), X, y, loss="hinge", steps=5)  # sklearn's 0/1 labels
    with pytest.raises(sg.InputError):
        hinge([sg.Value(0.5)], [0.5])
    assert hinge([sg.Value(0.5), sg.Value(-2.0)], [1, -1]).data == pytest.approx(0.25)


# -- zero_grad ---------------------------------------------------------------------------------
def test_fit_leaves_no_stale_grads_on_parameters_the_loss_does_not_reach():
    """Alternating losses: parameters the current loss does not reach keep an earlier grad
    after backward() (the documented case for zero_grad); fit zeroes every parameter each step."""
    net = MLP(2, [2], nonlin="linear", seed=0)  # two outputs
    first = net([1.0, 2.0])[0]
    first.backward()
    stale = [p.grad for p in net.layers[0].neurons[0].parameters()]
    assert any(g != 0 for g in stale)
    second = net([1.0, 2.0])[1]
    second.backward()  # reaches only neuron 1
    assert [p.grad for p in net.layers[0].neurons[0].parameters()] == stale  # as zero_grad's doc says
    net.zero_grad()
    assert all(p.grad == 0 for p in net.parameters())

    def loss_of_second_output(scores, ys):
        return mse(scores, ys)
    net.layers[0].neurons[0].w[0].grad = 123.0  # a stale grad left by someone else
    before = [p.data for p in net.layers[0].neurons[0].parameters()]

    class SecondOutput:
        def __call__(self, x):
            return net(x)[1]

        def parameters(self):
            return net.parameters()
    fit(SecondOutput(), [[1.0, 2.0]], [0.0], loss=loss_of_second_output, steps=1, lr=0.1)
    assert [p.data for p in net.layers[0].neurons[0].parameters()] == before  # not stepped by a stale grad


# -- threads -----------------------------------------------------------------------------------
def test_training_one_shared_model_from_threads_raises_nothing():
    X, y = moons_arrays(16)
    net = MLP(2, [8, 1], nonlin="relu", seed=0)
    errors = []

    def train():
        try:
            fit(net, X, y * 2 - 1, loss="hinge", steps=15, lr=0.05)
        except Exception as err:  # noqa: BLE001 - any exception is the failure
            errors.append(err)
    run_threads(train, 6)
    assert errors == []
    assert all(math.isfinite(p.data) for p in net.parameters())


# -- atomic plot files -------------------------------------------------------------------------
@pytest.mark.parametrize("option,name", [("--loss-plot", "loss.png"), ("--loss-plot", "loss.svg"),
                                          ("--boundary-plot", "moons.png"), ("--boundary-plot", "moons.svg")])
def test_a_failed_plot_write_keeps_the_old_file(tmp_path, monkeypatch, capsys, option, name):
    target = tmp_path / name
    target.write_bytes(b"the old, good file")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, "fsync", full_disk)
    code = main(["train", "moons", "--steps", "2", "-q", option, str(target)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("symgrad: error: cannot write") and "No space left" in err
    assert target.read_bytes() == b"the old, good file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no partial or temporary file
    monkeypatch.undo()
    assert main(["train", "moons", "--steps", "2", "-q", option, str(target)]) == 0
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG") if name.endswith(".png") else b"<svg" in data


def test_a_large_network_expression_still_parses_under_limits_that_fit_it():
    xs, ys = make_moons(60, seed=0)
    net = MLP(2, [16, 16, 1], nonlin="relu", seed=0)
    expr = net.expression(xs, ys, loss="hinge")
    with pytest.raises(sg.LimitError):
        sg.parse(expr.source)  # far over the default max_tokens: user text this size is refused
    res = expr.backprop()      # symgrad's own text is sized to fit
    assert res.grads.keys() >= set(net.named_parameters())


# -- shared validators (the check's seed and random point count are wired to these) -------------
def test_seed_and_random_point_validators():
    from symgrad.base.limits import check_random_points
    from symgrad.base.validate import check_seed
    assert check_seed(None) is None and check_seed(np.int64(7)) == 7
    for bad in ([1], 1.5, "1", True, np.bool_(True), 2 ** 70):
        with pytest.raises(sg.InputError):
            check_seed(bad)
    assert check_random_points(np.int32(20)) == 20
    for bad in (0, -1, 2.0, True, "3", None):
        with pytest.raises(sg.InputError):
            check_random_points(bad)
    with pytest.raises(sg.LimitError) as info:
        check_random_points(10**6)
    assert info.value.limit == "max_random_points"
    assert check_random_points(5, sg.Limits(max_random_points=5)) == 5
