"""The rows' generated-code templates agree with the rows.

``check_templates`` runs for every row's ``py`` templates at import, for ``np`` before the first
compile (``check_np``), and for both in ``symgrad.register``.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

from .build import RAISES, kernels, namespace
from ...rules.codegen import templates
from ...rules.rule import RowError, inside, outside
from ...rules.table import Rule, all_rows

__all__ = ["check_templates", "check_np"]


def _template_namespace(row: Rule, backend: str) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if backend == "np":
        import numpy
        extra["_np"] = numpy
    return namespace([*all_rows(), row], extra)


def check_templates(row: Rule, backend: str) -> None:
    """A row's ``py`` or ``np`` templates compile, equal its forward and local at the sample points
    inside the domain (to 1e-9), and fail (raise, or give a non-finite number) outside it.

    Raises RowError. Runs for every row's ``py`` at import, for ``np`` on the first compile
    (``check_np``), and for both in ``symgrad.register``.
    """
    if not templates(row, backend):
        return
    try:
        fwd, loc = kernels([(row, row.arity)], backend, _template_namespace(row, backend))[row.name, row.arity]
    except Exception as err:  # noqa: BLE001 -- a template that does not compile is a row bug
        raise RowError(f"rule row {row.name!r}: its {backend} templates do not compile: {err}") from None
    quiet: Any = contextlib.nullcontext()
    if backend == "np":
        import numpy as np

        def wrap(v: float):
            return np.array([v])
        quiet = np.errstate(all="ignore")
    else:
        wrap = float

    def run(p):
        args = [wrap(v) for v in p]
        out = fwd(*args)
        return out, loc(*args, out)

    def finite(p) -> bool:
        try:
            out, slopes = run(p)
        except RAISES:
            return False
        return all(math.isfinite(float(v[0] if getattr(v, 'shape', ()) else v)) for v in (out, *slopes))

    with quiet:
        for p in inside(row):
            if len(p) != row.arity:
                continue
            want = row.forward(*p)
            want_d = row.local(*p, want)
            try:
                out, slopes = run(p)
            except Exception as err:  # noqa: BLE001
                raise RowError(f"rule row {row.name!r}: its {backend} templates fail at {p}: "
                               f"{type(err).__name__}: {err}") from None
            for what, got, ref in [("forward", out, want), *[(f"slope {i}", d, w) for i, (d, w)
                                                              in enumerate(zip(slopes, want_d))]]:
                got = float(got[0] if hasattr(got, "shape") and got.shape else got)
                if not (got == ref or abs(got - ref) <= 1e-9 * max(abs(ref), 1e-300)):
                    raise RowError(f"rule row {row.name!r}: its {backend} {what} at {p} is {got!r}, "
                                   f"the row's is {ref!r}")
        for p in outside(row):
            if len(p) == row.arity and finite(p):
                raise RowError(f"rule row {row.name!r}: its {backend} templates give finite numbers at "
                               f"{p}, outside the domain ({row.why})")


_np_checked: list[bool] = []


def check_np() -> None:
    """Every row's ``np`` templates, once (numpy is imported only when a program is compiled)."""
    if not _np_checked:
        for row in all_rows():
            check_templates(row, "np")
        _np_checked.append(True)


for _row in all_rows():
    check_templates(_row, "py")
