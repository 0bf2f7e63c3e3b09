"""Every row's second partials (``symgrad.rules.second``): derived from its SymPy form, never by
hand, and validated like the first ones: against SymPy's own second derivative of the form, in
both orders, evaluated exactly (``rules.exact``, 30 digits on the exact doubles), and against
central differences of the row's float64 ``local``."""

import math

import pytest
import sympy

from symgrad.rules.exact import exact
from symgrad.rules.rule import RowError, inside
from symgrad.rules.second import require_all, second
from symgrad.rules.table import all_rows


def cases():
    for row in all_rows():
        for point in inside(row)[::3] + [p for p in row.samples if len(p) > row.arity][:1]:
            if point in inside(row) or len(point) > row.arity:
                yield pytest.param(row, point, id=f"{row.name}{point}")


def test_every_row_has_second_partials():
    require_all()           # a row whose second partials cannot be evaluated would raise RowError here


@pytest.mark.parametrize("row, point", list(cases()))
def test_second_partials_match_sympy_in_both_orders(row, point):
    syms = sympy.symbols(f"u0:{len(point)}", real=True)
    form = row.sympy(sympy, *syms).xreplace({syms[i]: sympy.Rational(point[i]) for i in row.constant})
    h = second(row, len(point)).at(*point)
    for i, a in enumerate(syms):
        for j, b in enumerate(syms):
            if i in row.constant or j in row.constant:
                assert h[i][j] == 0.0      # a constant argument gets no tangent
                continue
            want = exact(sympy.diff(form, a, b), syms, point, 30)
            other = exact(sympy.diff(form, b, a), syms, point, 30)
            assert want is not None and other is not None
            assert float(want.mid()) == pytest.approx(float(other.mid()), rel=1e-25, abs=1e-300)
            assert h[i][j] == pytest.approx(float(want.mid()), rel=1e-9, abs=1e-12), (row.name, i, j, point)


@pytest.mark.parametrize("row, point", list(cases()))
def test_second_partials_match_differences_of_the_float_local(row, point):
    h = second(row, len(point)).at(*point)
    for j in range(len(point)):
        if j in row.constant:
            continue
        step = 1e-5 * max(1.0, abs(point[j]))
        up, down = list(point), list(point)
        up[j] += step
        down[j] -= step
        if row.kinked(*up) or row.kinked(*down) or (row.domain and not (row.domain(*up) and row.domain(*down))):
            continue
        fd = [(a - b) / (2 * step) for a, b in zip(row.local(*up, row.forward(*up)), row.local(*down, row.forward(*down)))]
        for i in range(len(point)):
            if i not in row.constant:
                assert h[i][j] == pytest.approx(fd[i], rel=1e-4, abs=1e-6), (row.name, i, j, point)


def test_a_form_with_no_float_operation_fails_loudly():
    from symgrad.rules.second import FLOAT, compile_expr
    x = sympy.Symbol("x", real=True)
    with pytest.raises(RowError, match="gamma"):
        compile_expr(sympy.gamma(x), (x,), FLOAT)


def test_abs_second_derivative_is_a_dirac_delta_at_zero():
    from symgrad.rules.second import Kink
    from symgrad.rules.table import RULES
    assert second(RULES["abs"]).at(2.0) == ((0.0,),)
    with pytest.raises(Kink):
        second(RULES["abs"]).at(0.0)
    assert math.isfinite(second(RULES["relu"]).at(0.0)[0][0])    # relu'' = 0 on both sides
