"""Claimed derivatives: generated programs and generated student mistakes, judged by ``judge_claims``.

Programs come from templates at magnitudes 1e-300 … 1e300 (a scale factor, a point deep in a
tail, or a kink that far away): a tiny or huge quadratic, a Gaussian tail, a saturated sigmoid
neuron, a tanh neuron, a scaled sine, and six kinks and switches (abs, relu, max, leaky_relu,
clamp, elu), plus claims equal only where they are defined (sqrt(x)^2). Each comes with its true
derivative and typical mistakes (a missing inner factor, a sign, a factor of 2, sin/cos swapped,
tanh' written as 1 − tanh, a constant, the slope of one piece only), each a formula in
symgrad's syntax *and* an mpmath function of the inputs written beside it.

The audit's truth is mpmath's, at 50 digits, never symgrad's: a claim is wrong when, at the
given point or at a point the template knows lies on another piece, it differs from the true
derivative (relatively, by more than 1e-30) or is undefined (complex, or beyond float64's range)
where the derivative is a number. Reported: wrong claims judged ``correct`` (target 0), claims
over 2 s of CPU (target 0), every verdict per kind of claim, and the median CPU time per claim.

Run from the repository root:  python -m bench.claims_bench [--quick]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import mpmath as mp  # noqa: E402

from bench import table, verdict  # noqa: E402

mp.mp.dps = 50
TIME_TARGET = 2.0
DBL_MAX = mp.mpf(1.7976931348623157e308)
MAGNITUDES = (1e-300, 1e-200, 1e-100, 1e-45, 1e-10, 1.0, 1e10, 1e45, 1e100, 1e200, 1e300)


def _m(v: float):
    return mp.mpf(v)


def templates(quick: bool) -> list[dict]:
    """Each: program, point, name, truth(p), other points (other pieces), claims [(text, f(p))]."""
    out = []
    scales = MAGNITUDES[::3] if quick else MAGNITUDES
    for s in scales:
        S = _m(s)
        out.append(dict(kind="scaled quadratic", program=f"y = {s!r}*x^2", point={"x": 1.5}, name="x",
                        truth=lambda p, S=S: 2 * S * p["x"], others=[{"x": -0.75}],
                        claims=[(f"2*{s!r}*x", lambda p, S=S: 2 * S * p["x"]),
                                (f"{s!r}*x", lambda p, S=S: S * p["x"]),              # factor of 2
                                (f"-2*{s!r}*x", lambda p, S=S: -2 * S * p["x"]),      # sign
                                ("0", lambda p: mp.mpf(0)),
                                (f"2*{s!r}", lambda p, S=S: 2 * S)]))                 # dropped the x
        out.append(dict(kind="scaled sine", program=f"y = sin({s!r}*x)", point={"x": 0.7 / s}, name="x",
                        truth=lambda p, S=S: S * mp.cos(S * p["x"]), others=[{"x": 2.1 / s}],
                        claims=[(f"{s!r}*cos({s!r}*x)", lambda p, S=S: S * mp.cos(S * p["x"])),
                                (f"cos({s!r}*x)", lambda p, S=S: mp.cos(S * p["x"])),   # missing inner factor
                                (f"{s!r}*sin({s!r}*x)", lambda p, S=S: S * mp.sin(S * p["x"])),  # sin/cos swapped
                                (f"-{s!r}*cos({s!r}*x)", lambda p, S=S: -S * mp.cos(S * p["x"]))]))
        k = s
        K = _m(k)
        kinks = [
            ("abs", f"y = abs(x - {k!r})", {"x": 0.5 * k}, [{"x": 2 * k}],
             lambda p, K=K: mp.sign(p["x"] - K),
             [(f"(x - {k!r})/abs(x - {k!r})", lambda p, K=K: mp.sign(p["x"] - K)),
              ("-1", lambda p: mp.mpf(-1)), ("1", lambda p: mp.mpf(1)), ("0", lambda p: mp.mpf(0))]),
            ("relu", f"y = relu(x - {k!r})*z", {"x": 2 * k, "z": 3.0}, [{"x": 0.5 * k, "z": 3.0}],
             lambda p, K=K: p["z"] if p["x"] > K else mp.mpf(0),
             [("z", lambda p: p["z"]), ("0", lambda p: mp.mpf(0)), ("1", lambda p: mp.mpf(1))]),
            ("max", f"y = max(x, z - {k!r})", {"x": 0.25 * k, "z": 0.5 * k}, [{"x": -k, "z": 0.5 * k}],
             lambda p, K=K: mp.mpf(1) if p["x"] > p["z"] - K else mp.mpf(0),
             [("1", lambda p: mp.mpf(1)), ("0", lambda p: mp.mpf(0))]),
            ("leaky_relu", f"y = leaky_relu(x - {k!r}, 0.1)", {"x": 0.5 * k}, [{"x": 2 * k}],
             lambda p, K=K: mp.mpf(1) if p["x"] > K else mp.mpf(0.1),
             [("0.1", lambda p: mp.mpf(0.1)), ("1", lambda p: mp.mpf(1))]),
            ("clamp", f"y = min(max(x, -{k!r}), {k!r})", {"x": 0.5 * k}, [{"x": 2 * k}, {"x": -2 * k}],
             lambda p, K=K: mp.mpf(1) if -K < p["x"] < K else mp.mpf(0),
             [("1", lambda p: mp.mpf(1)), ("0", lambda p: mp.mpf(0))]),
            ("elu", f"y = elu(x - {k!r}, 1.0)", {"x": 0.5 * k}, [{"x": max(2 * k, k + 4)}, {"x": -4.0}],
             lambda p, K=K: mp.mpf(1) if p["x"] > K else mp.exp(p["x"] - K),
             [(f"exp(x - {k!r})", lambda p, K=K: mp.exp(p["x"] - K)), ("1", lambda p: mp.mpf(1))]),
        ]
        for kind, program, point, others, truth, claims in kinks:
            out.append(dict(kind=f"kink: {kind}", program=program, point=point, name="x", truth=truth,
                            others=others, claims=claims))
    for a in ((0.5, 10.0, 26.0) if quick else (0.5, 3.0, 10.0, 20.0, 26.0)):
        out.append(dict(kind="Gaussian tail", program="y = exp(-x^2)", point={"x": a}, name="x",
                        truth=lambda p: -2 * p["x"] * mp.exp(-p["x"] ** 2), others=[{"x": -a / 2}],
                        claims=[("-2*x*exp(-x^2)", lambda p: -2 * p["x"] * mp.exp(-p["x"] ** 2)),
                                ("-2*x*y", lambda p: -2 * p["x"] * mp.exp(-p["x"] ** 2)),
                                ("2*x*exp(-x^2)", lambda p: 2 * p["x"] * mp.exp(-p["x"] ** 2)),
                                ("0", lambda p: mp.mpf(0)),
                                ("-x*exp(-x^2)", lambda p: -p["x"] * mp.exp(-p["x"] ** 2)),
                                ("-2*exp(-x^2)", lambda p: -2 * mp.exp(-p["x"] ** 2))]))

    def sig(p):
        z = p["w"] * p["x"] + p["b"]
        return 1 / (1 + mp.exp(-z))
    for b in ((0.0, -100.0, -600.0) if quick else (0.0, -5.0, -100.0, -600.0, 500.0)):
        out.append(dict(kind="sigmoid neuron", program="z = w*x + b; y = sigmoid(z)",
                        point={"w": 50.0, "x": -2.0, "b": b}, name="w",
                        truth=lambda p: p["x"] * sig(p) * (1 - sig(p)), others=[{"w": 0.3, "x": 0.7, "b": 0.1}],
                        claims=[("x*y*(1 - y)", lambda p: p["x"] * sig(p) * (1 - sig(p))),
                                ("y*(1 - y)", lambda p: sig(p) * (1 - sig(p))),          # missing inner factor
                                ("0", lambda p: mp.mpf(0)),
                                ("x*y", lambda p: p["x"] * sig(p)),
                                ("-x*y*(1 - y)", lambda p: -p["x"] * sig(p) * (1 - sig(p)))]))

    def th(p):
        return mp.tanh(p["x"] * p["w"] + p["b"])
    for b in ((0.0, 6.8813735870195432) if quick else (0.0, -0.3, 6.8813735870195432, 30.0)):
        out.append(dict(kind="tanh neuron", program="n = x*w + b; o = tanh(n)", point={"x": 2.0, "w": -3.0 if b else 0.5, "b": b},
                        name="w", truth=lambda p: (1 - th(p) ** 2) * p["x"], others=[{"x": 0.4, "w": 0.9, "b": 0.2}],
                        claims=[("(1 - o^2)*x", lambda p: (1 - th(p) ** 2) * p["x"]),
                                ("x/cosh(n)^2", lambda p: p["x"] / mp.cosh(p["x"] * p["w"] + p["b"]) ** 2),
                                ("1 - o^2", lambda p: 1 - th(p) ** 2),                 # missing inner factor
                                ("(1 - o)*x", lambda p: (1 - th(p)) * p["x"]),         # tanh' as 1 - tanh
                                ("(1 + o^2)*x", lambda p: (1 + th(p) ** 2) * p["x"]),  # sign
                                ("x*sinh(n)/cosh(n)^3", lambda p: p["x"] * mp.sinh(p["x"] * p["w"] + p["b"])
                                 / mp.cosh(p["x"] * p["w"] + p["b"]) ** 3),
                                ("(1 - tanh(tanh(tanh(tanh(tanh(n))))))*x",
                                 lambda p: (1 - mp.tanh(mp.tanh(mp.tanh(mp.tanh(th(p)))))) * p["x"])]))
    out.append(dict(kind="domain", program="y = x^2/2", point={"x": 1.5}, name="x", truth=lambda p: p["x"],
                    others=[{"x": -0.5}],
                    claims=[("x", lambda p: p["x"]), ("sqrt(x)^2", lambda p: _real(mp.sqrt(p["x"])) ** 2),
                            ("exp(log(x))", lambda p: mp.exp(_real(mp.log(p["x"])))),
                            ("abs(x)", lambda p: abs(p["x"]))]))
    out.append(dict(kind="identity", program="y = b", point={"b": 0.7}, name="b", truth=lambda p: mp.mpf(1),
                    others=[{"b": -2.0}],
                    claims=[("(sin(b)^2 + cos(b)^2)^1000", lambda p: (mp.sin(p["b"]) ** 2 + mp.cos(p["b"]) ** 2) ** 1000),
                            ("(sin(b)^2 + cos(b)^2)^1000*1.0000001",
                             lambda p: (mp.sin(p["b"]) ** 2 + mp.cos(p["b"]) ** 2) ** 1000 * mp.mpf(1.0000001))]))
    return out


def _real(v):
    """sqrt and log of a negative number are not real: the claim is undefined there."""
    if isinstance(v, mp.mpc):
        raise ValueError("not a real number")
    return v


def _value(f, p):
    """f at p, or None where it is not a real number within float64's range."""
    try:
        v = f({k: mp.mpf(x) for k, x in p.items()})
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    if isinstance(v, mp.mpc):
        if v.imag != 0:
            return None
        v = v.real
    return v if abs(v) <= DBL_MAX else None


def truly_wrong(t: dict, claim) -> bool:
    for p in [t["point"]] + t["others"]:
        truth, c = _value(t["truth"], p), _value(claim, p)
        if truth is None:
            continue
        if c is None or abs(c - truth) > mp.mpf("1e-30") * max(abs(c), abs(truth)):
            return True
    return False


def measure_all(quick: bool = False) -> dict:
    from symgrad.gradcheck.claims import judge_claims
    judge_claims("y = x^2", {"x": 1.0}, {"x": "2*x"})           # imports and caches: not a claim's cost
    rows = []
    for t in templates(quick):
        for text, f in t["claims"]:
            wrong = truly_wrong(t, f)
            cpu = time.process_time()
            try:
                got = judge_claims(t["program"], t["point"], {t["name"]: text})[0].verdict
            except Exception as err:  # noqa: BLE001 -- a finding: reported, never hidden
                got = f"CRASH {type(err).__name__}"
            rows.append(dict(kind=t["kind"], program=t["program"], claim=text, wrong=wrong, verdict=got,
                             seconds=time.process_time() - cpu))
    return {"rows": rows}


def run(quick: bool = False) -> str:
    rows = measure_all(quick)["rows"]
    bad = [r for r in rows if r["wrong"] and r["verdict"] == "correct"]
    slow = [r for r in rows if r["seconds"] > TIME_TARGET]
    crashes = [r for r in rows if r["verdict"].startswith("CRASH")]
    times = [r["seconds"] for r in rows]
    kinds = sorted({r["kind"] for r in rows})
    verdicts = ("correct", "correct here, wrong elsewhere", "wrong", "unverified")
    grid = []
    for kind in kinds:
        for truth in (False, True):
            these = [r for r in rows if r["kind"] == kind and r["wrong"] == truth]
            if these:
                grid.append([kind, "wrong" if truth else "right", str(len(these))] +
                            [str(sum(r["verdict"] == v for r in these)) for v in verdicts] +
                            [f"{max(r['seconds'] for r in these):.2f}"])
    lines = [
        "## Claimed derivatives (`judge_claims`, the audit's kinds)",
        f"`python -m bench.claims_bench{' --quick' if quick else ''}`: {len(rows)} claims over generated programs "
        "at magnitudes 1e-300 … 1e300 and across kinks, each right or wrong by mpmath at 50 digits (at the "
        "given point and on the template's other pieces), never by symgrad. CPU seconds per claim.",
        table(["kind", "claim is", "claims"] + list(verdicts) + ["max s"], grid),
        f"- Wrong claims judged `correct`: **{len(bad)}** (target 0) "
        f"{verdict(not bad, '; '.join(r['program'] + ' | ' + r['claim'] for r in bad[:5]))}",
        f"- Claims over {TIME_TARGET:g} s: **{len(slow)}** (target 0) "
        f"{verdict(not slow, '; '.join(r['claim'] + ' (' + format(r['seconds'], '.1f') + ' s)' for r in slow[:5]))}",
        f"- Median CPU time per claim: **{statistics.median(times) * 1000:.0f} ms** (max {max(times):.2f} s); "
        f"crashes: {len(crashes)}.",
    ]
    return "\n\n".join(lines)


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    print(run(quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
