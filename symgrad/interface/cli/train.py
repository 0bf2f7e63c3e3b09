"""``symgrad train``: the lecture's and micrograd's training demos, with progress and plots."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Callable

from ...base.errors import InputError

__all__ = ["DEMOS", "Demo", "setup_train", "run_train"]


@dataclass(frozen=True)
class Demo:
    title: str
    build: Callable[[int], tuple]        # seed -> (model, xs, ys)
    loss: str
    steps: int
    lr: Callable[[int], object]          # steps -> a number or a schedule
    alpha: float = 0.0


def _lecture(seed: int) -> tuple:
    from ...nn import MLP, lecture_data
    xs, ys = lecture_data()
    return MLP(3, [4, 4, 1], nonlin="tanh", out_nonlin="tanh", seed=seed), xs, ys


def _moons(seed: int) -> tuple:
    from ...nn import MLP, make_moons
    xs, ys = make_moons(100, noise=0.1, seed=seed)
    return MLP(2, [16, 16, 1], nonlin="relu", seed=seed), xs, ys


def _moons_lr(steps: int):
    from ...nn.train import linear_schedule
    return linear_schedule(1.0, 0.1, steps)  # micrograd's demo: 1.0 - 0.9*k/100 over 100 steps


DEMOS = {
    "lecture": Demo("the lecture: MLP(3, [4, 4, 1]) of tanh neurons on 4 points, sum of squares, lr 0.1",
                    _lecture, "sum_squares", 300, lambda steps: 0.1),
    "moons": Demo("micrograd's demo: MLP(2, [16, 16, 1]) of relu neurons on 100 moons, hinge + 1e-4·L2, "
                  "lr 1.0 - 0.9·k/steps", _moons, "hinge", 100, _moons_lr, alpha=1e-4),
}


def setup_train(p: argparse.ArgumentParser) -> None:
    p.add_argument("demo", nargs="?", default="lecture", choices=sorted(DEMOS),
                   help="lecture (default) or moons")
    p.add_argument("--steps", type=int, help="training steps (lecture 300, moons 100)")
    p.add_argument("--seed", type=int, default=1337, help="seed for the data and the weights (default 1337)")
    p.add_argument("--lr", type=float, help="a constant learning rate instead of the demo's")
    p.add_argument("--loss-plot", metavar="FILE", help="write the loss curve (.png or .svg)")
    p.add_argument("--boundary-plot", metavar="FILE", help="write the decision boundary (.png or .svg; moons)")
    p.add_argument("--json", action="store_true", help="print a JSON summary instead of text")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def run_train(args: argparse.Namespace) -> int:
    from .io import dump_json
    from ...nn.plots import _format, plot_boundary, plot_loss
    from ...nn.train import fit
    from ...base.files import check_output
    demo = DEMOS[args.demo]
    steps = demo.steps if args.steps is None else args.steps
    if steps < 1 or steps > 100_000:
        raise InputError(f"--steps must be between 1 and 100000, got {steps}")
    if args.lr is not None and not 0.0 < args.lr < 1e6:
        raise InputError(f"--lr must be a positive number, got {args.lr}")
    for path in (args.loss_plot, args.boundary_plot):
        if path is not None:
            _format(path)  # a bad file name, folder or device fails before training, not after
            check_output(path)
    if args.boundary_plot and args.demo != "moons":
        raise InputError("the lecture demo has 3 inputs; a decision boundary needs 2",
                         hint="use symgrad train moons --boundary-plot FILE")
    model, xs, ys = demo.build(args.seed)
    lr = args.lr if args.lr is not None else demo.lr(steps)
    history = fit(model, xs, ys, loss=demo.loss, steps=steps, lr=lr, alpha=demo.alpha, progress=not args.quiet)
    plots = {}
    if args.loss_plot:
        plot_loss(history, args.loss_plot, title=f"symgrad train {args.demo}")
        plots["loss"] = args.loss_plot
    if args.boundary_plot:
        plot_boundary(model, xs, ys, args.boundary_plot, title=f"symgrad train {args.demo}: decision boundary")
        plots["boundary"] = args.boundary_plot
    final = history.records[-1]
    if args.json:
        dump_json({"demo": args.demo, "model": repr(model), "parameters": len(model.parameters()),
                   "samples": len(xs), "seed": args.seed, "loss_function": demo.loss, "alpha": demo.alpha,
                   **history.to_dict(), "plots": plots})
        return 0
    print(f"{args.demo}: {demo.title}")
    print(f"{model!r}: {len(model.parameters())} parameters, {len(xs)} samples, seed {args.seed}")
    every = max(1, steps // 10)
    for r in history.records:
        if (r.step - 1) % every == 0 or r.step == steps:
            print(f"step {r.step:>5}  loss {r.loss:.6g}  accuracy {r.accuracy:.0%}  lr {r.lr:.4g}")
    print(f"final: loss {final.loss:.6g}, accuracy {final.accuracy:.0%} after {steps} steps")
    for kind, path in plots.items():
        print(f"wrote {kind} plot {path}")
    return 0
