"""micrograd's demo: MLP(2, [16, 16, 1]) of relu neurons separates two moons (100% accuracy).

Run:  python examples/train_moons.py [OUTPUT_DIR]

Writes moons_loss.png and moons_boundary.png to OUTPUT_DIR (default: a new temporary
directory). The same run from the shell:  symgrad train moons --boundary-plot b.png
"""

import sys
import tempfile
from pathlib import Path

from symgrad.nn import MLP, fit, linear_schedule, make_moons, plot_boundary, plot_loss

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="symgrad-moons-"))
out_dir.mkdir(parents=True, exist_ok=True)

xs, ys = make_moons(100, noise=0.1, seed=1337)          # labels are -1 and +1
model = MLP(2, [16, 16, 1], nonlin="relu", seed=1337)    # the last layer is linear
print(model, f"with {len(model.parameters())} parameters")

history = fit(model, xs, ys, loss="hinge", alpha=1e-4, steps=100,
              lr=linear_schedule(1.0, 0.1, 100),         # 1.0 - 0.9*k/100, as micrograd's demo
              callback=lambda r: r.step % 10 == 0 and print(
                  f"step {r.step + 1:>3}: loss {r.loss:.4f}, accuracy {r.accuracy:.0%}"))
final = history.records[-1]
print(f"final: loss {final.loss:.4f}, accuracy {final.accuracy:.0%}")
assert final.accuracy == 1.0

plot_loss(history, out_dir / "moons_loss.png", title="moons: loss and accuracy")
plot_boundary(model, xs, ys, out_dir / "moons_boundary.png")
print(f"plots: {out_dir / 'moons_loss.png'} and {out_dir / 'moons_boundary.png'}")
