"""makemore part 4, "Becoming a Backprop Ninja", checked by symgrad.

The lecture's network (examples/makemore_ninja.sg: embedding C[Xb], view, linear, batch norm with
Bessel's correction, tanh, linear, the expanded cross-entropy) on a seeded batch at the lecture's
sizes. Prints the loss, each gradient's shape, then the exact check of every element of every
gradient; then checks a hand-written gradient the way the lecture's ``cmp`` does, with ``grads=``.

    python examples/makemore_ninja.py [BATCH]
"""

import sys
import time
from pathlib import Path

import symgrad as sg
from symgrad.nn.datasets import makemore_ninja

PROGRAM = (Path(__file__).parent / "makemore_ninja.sg").read_text(encoding="utf-8")

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 32
point = makemore_ninja(batch=batch, seed=42)

result = sg.backprop(PROGRAM, point)
print(result.table())

start = time.perf_counter()
report = sg.check(PROGRAM, point)
print(f"\n{report.table()}\n(checked in {time.perf_counter() - start:.1f} s)")

# The lecture's manual step for dlogits: softmax(logits) with 1 subtracted at the targets, over n.
logits = result.values["logits"]
probs = result.values["probs"]
dlogits = probs.copy()
dlogits[range(batch), point["Yb"]] -= 1
dlogits /= batch
mine = sg.check(PROGRAM, point, grads={"logits": dlogits})
print(f"\nyour dlogits: {mine.row('logits').verdict} ({mine.row('logits').digits} digits promised)")

assert report.ok and report.verified and len(report.rows) == 27
assert mine.row("logits").verdict == "agree"
