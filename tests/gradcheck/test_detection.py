"""Detection power, determinism under load and thread safety of the check."""

import math
import os
import subprocess
import sys
import threading

import mpmath
import pytest

import symgrad as sg
from helpers.programs import programs

from helpers import ROOT  # noqa: E402
ERRORS = (1e-2, 1e-4, 1e-6, 1e-8, 1e-9, 1e-10)
EXPONENTS = (-300, -200, -100, -50, -9, 0, 9, 50, 100, 200, 300)


def goldens(k: int) -> list[tuple[str, dict, str, mpmath.mpf]]:
    """(program, point, name, exact gradient by hand in mpmath at 60 digits)."""
    c = mpmath.mpf(float(f"1e{k}"))
    x, w = mpmath.mpf(0.7), mpmath.mpf(0.4)
    return [(f"1e{k}*sin(x)", {"x": 0.7}, "x", c * mpmath.cos(x)),
            (f"tanh(x*w)*1e{k}", {"x": 0.7, "w": 0.4}, "w", c * x * (1 - mpmath.tanh(x * w) ** 2))]


def test_detection_grid_catches_every_error_float64_could_not_make():
    mpmath.mp.dps = 60
    for k in EXPONENTS:
        for text, point, name, exact in goldens(k):
            good = sg.check(text, point, grads={name: float(exact)})
            (row,) = good.rows
            assert row.verdict == "agree" and row.digits is None, (text, row)
            for error in ERRORS:
                (row,) = sg.check(text, point, grads={name: float(exact * (1 + error))}).rows
                bound_is_smaller = row.tolerance < 0.5 * error * abs(float(exact))
                assert bound_is_smaller or error < 1e-9, (text, error, row)
                if bound_is_smaller:
                    assert row.verdict == "mismatch", (text, error, row)


def reports(texts: list[str], seeds=None) -> list[str]:
    return [sg.check(text, random=1, seed=seed).to_json() for text, seed in zip(texts, seeds or range(len(texts)))]


@pytest.mark.slow
def test_verdicts_are_byte_identical_beside_cpu_burners():
    texts = programs(500)  # the 500 generated programs
    alone = reports(texts)
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        loaded = reports(texts)
    finally:
        for proc in burners:
            proc.kill()
            proc.wait()
    assert alone == loaded
    assert all('"mismatch"' not in report for report in alone)


def test_many_threads_leave_no_stuck_threads_and_imports_work():
    texts = programs(16, seed=7)
    expected = reports(texts)
    results: dict = {}

    def work(t: int) -> None:
        results[t] = reports(texts[t % 4::4], range(len(texts))[t % 4::4])

    before = set(threading.enumerate())
    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert set(threading.enumerate()) == before
    for t in range(8):
        assert results[t] == expected[t % 4::4]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", "import symgrad, sympy.integrals; "
                           "print(symgrad.check('tanh(x)', x=0.5).summary)"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "{'agree': 1}"


def test_random_points_are_bounded_by_limits():
    with pytest.raises(sg.LimitError) as info:
        sg.check("x", random=11, limits=sg.Limits(max_random_points=10))
    assert info.value.limit == "max_random_points"
    with pytest.raises(sg.LimitError) as info:          # log(-x*x - 1) is never defined
        sg.check("log(-x*x - 1)", random=1, limits=sg.Limits(max_random_draws=50))
    assert info.value.limit == "max_random_draws"
    assert math.isfinite(sg.check("x*x", random=3).rows[0].symbolic)
