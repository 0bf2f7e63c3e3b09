"""Training: the lecture's loop and micrograd's moons demo, losses, SGD, datasets, the CLI."""

import json
import math
import subprocess
import sys

import pytest

import symgrad as sg
from symgrad.interface.cli.main import main
from symgrad.nn import (MLP, SGD, fit, hinge, l2, lecture_data, linear_schedule, make_moons, mse,
                        sum_squares)


def test_lecture_training_loop_gets_below_1e_3():
    xs, ys = lecture_data()
    net = MLP(3, [4, 4, 1], nonlin="tanh", out_nonlin="tanh", seed=1337)
    history = fit(net, xs, ys, loss="sum_squares", steps=300, lr=0.1)
    assert history.losses[0] > 1.0
    assert history.losses[-1] < 1e-3
    assert history.accuracies[-1] == 1.0
    preds = [net.predict(x) for x in xs]
    assert sum((p - y) ** 2 for p, y in zip(preds, ys)) < 1e-3  # the loss is what it says


def test_moons_reaches_100_percent_within_100_steps():
    xs, ys = make_moons(100, noise=0.1, seed=1337)
    net = MLP(2, [16, 16, 1], nonlin="relu", seed=1337)
    history = fit(net, xs, ys, loss="hinge", alpha=1e-4, steps=100, lr=linear_schedule(1.0, 0.1, 100))
    assert history.accuracies[0] < 0.9
    assert history.accuracies[-1] == 1.0
    assert sum(((net.predict(x) > 0) == (y > 0)) for x, y in zip(xs, ys)) == 100
    assert [r.lr for r in history.records[:2]] == [1.0, 1.0 - 0.9 / 100]


def test_losses_against_their_formulas():
    scores = [sg.Value(v) for v in (0.5, -2.0, 1.5)]
    ys = [1.0, -1.0, -1.0]
    assert sum_squares(scores, ys).data == pytest.approx(0.25 + 1.0 + 6.25)
    assert mse(scores, ys).data == pytest.approx((0.25 + 1.0 + 6.25) / 3)
    assert hinge(scores, ys).data == pytest.approx((0.5 + 0.0 + 2.5) / 3)
    params = [sg.Value(1.0), sg.Value(-2.0)]
    penalty = l2(params, 0.1)
    penalty.backward()
    assert penalty.data == pytest.approx(0.5) and [p.grad for p in params] == pytest.approx([0.2, -0.4])
    with pytest.raises(sg.InputError):
        mse(scores, ys[:2])


def test_sgd_and_schedules():
    p = sg.Value(1.0)
    p.grad = 2.0
    opt = SGD([p], lr=linear_schedule(1.0, 0.1, 100))
    assert opt.lr == 1.0
    opt.step()
    assert p.data == -1.0 and opt.lr == pytest.approx(0.991)
    opt.zero_grad()
    assert p.grad == 0.0
    with pytest.raises(sg.InputError):
        SGD([p], lr="fast")


def test_fit_reports_every_step_and_rejects_bad_arguments():
    xs, ys = lecture_data()
    seen = []
    history = fit(MLP(3, [2, 1], seed=0), xs, ys, steps=3, callback=seen.append)
    assert [r.step for r in history.records] == [1, 2, 3] and seen == history.records
    assert history.to_dict()["history"][0]["step"] == 1   # as the text output counts
    for bad in ({"steps": 0}, {"loss": "nope"}, {"steps": 2.5}):
        with pytest.raises(sg.InputError):
            fit(MLP(3, [2, 1], seed=0), xs, ys, **bad)
    with pytest.raises(sg.InputError):
        fit(MLP(3, [2, 1], seed=0), xs, ys[:3])


def test_make_moons_shape_seed_and_geometry():
    xs, ys = make_moons(101, noise=0.0, seed=3)
    assert len(xs) == len(ys) == 101 and ys.count(-1.0) == 50 and ys.count(1.0) == 51
    for (a, b), y in zip(xs, ys):
        if y < 0:   # upper moon: the unit half circle
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:       # lower moon: centred at (1, 0.5)
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12
    assert make_moons(50, 0.2, seed=8) == make_moons(50, 0.2, seed=8)
    assert make_moons(50, 0.2, seed=8) != make_moons(50, 0.2, seed=9)
    for bad in ({"n": 1}, {"noise": -1.0}, {"noise": math.nan}, {"seed": "x"}):
        with pytest.raises(sg.InputError):
            make_moons(**{"n": 10, **bad})


def test_cli_train_lecture_json(capsys):
    assert main(["train", "lecture", "--json", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["demo"] == "lecture" and summary["parameters"] == 41 and summary["steps"] == 300
    assert summary["final_loss"] < 1e-3 and summary["final_accuracy"] == 1.0
    assert len(summary["history"]) == 300


def test_cli_train_moons_writes_plots(tmp_path, capsys):
    loss, boundary = tmp_path / "loss.svg", tmp_path / "boundary.png"
    assert main(["train", "moons", "--quiet", "--loss-plot", str(loss), "--boundary-plot", str(boundary)]) == 0
    out = capsys.readouterr().out
    assert "final: loss" in out and "accuracy 100% after 100 steps" in out
    assert loss.read_text().lstrip().startswith("<?xml") and "<svg" in loss.read_text()
    assert boundary.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_train_plots_are_deterministic(tmp_path):
    paths = [tmp_path / "a.svg", tmp_path / "b.svg"]
    for path in paths:
        assert main(["train", "moons", "--quiet", "--steps", "3", "--loss-plot", str(path)]) == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()


@pytest.mark.parametrize("argv, message", [
    (["train", "lecture", "--boundary-plot", "b.png"], "decision boundary needs 2"),
    (["train", "moons", "--loss-plot", "loss.pdf"], ".png or .svg"),
    (["train", "moons", "--steps", "0"], "--steps"),
    (["train", "moons", "--lr", "100000", "--steps", "20", "-q", "--json"], "diverged"),
    (["train", "moons", "--loss-plot", "/nonexistent/dir/loss.png", "--steps", "1", "-q"], "cannot write"),
])
def test_cli_train_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("symgrad: error:") and message in err


def test_cli_progress_bar_goes_to_stderr():
    proc = subprocess.run([sys.executable, "-m", "symgrad", "train", "lecture", "--steps", "5"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert "train:" in proc.stderr and "loss=" in proc.stderr
    assert "final: loss" in proc.stdout and "train:" not in proc.stdout
