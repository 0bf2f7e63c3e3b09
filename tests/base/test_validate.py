"""One real-number validator (base.validate.real_number) for every entry point: backprop's point,
check's grads=, symgrad.nn's inputs, targets and hyperparameters."""

import numpy as np
import pytest

import symgrad as sg
from symgrad.base.validate import real_number


@pytest.mark.parametrize("given, fragment", [
    (True, "is a bool, not a real number: bool True"),
    (np.bool_(False), "is a bool"),
    (1 + 2j, "is complex, not a real number: complex (1+2j)"),
    (np.complex64(1), "is complex"),
    (np.array(1 + 1j), "is complex"),  # a 0-d array: float() would drop the imaginary part
    (None, "is not a real number: NoneType None"),
    pytest.param(10 ** 5000, "is too large for float64", id="int past str's digit limit"),  # no repr in the message
    (float("nan"), "is nan, not a finite number"),
    ("2.5", "is text, not a real number: str '2.5'"),
])
def test_what_is_not_a_real_number_is_named_and_shown(given, fragment):
    with pytest.raises(sg.InputError) as info:
        real_number(given, "lr")
    assert str(info.value).startswith("lr ") and fragment in str(info.value) and info.value.hint


def test_text_is_a_number_only_where_text_is_expected():
    assert real_number(" -1e3 ", "x", text=True) == -1000.0
    assert real_number(np.float32(0.5), "x") == 0.5 and real_number(np.array(3), "x") == 3.0
    with pytest.raises(sg.InputError, match="x is not a number: 'one'; write x=2.5"):
        real_number("one", "x", text=True, hint="write x=2.5")


def test_every_entry_point_uses_it():
    """The same refusal, worded the same way, from backprop, check's grads= and symgrad.nn."""
    with pytest.raises(sg.InputError, match="value for x is complex"):
        sg.backprop("y = 2*x", x=np.array(1 + 1j))
    with pytest.raises(sg.InputError, match=r"grads\[x\] is complex"):
        sg.check("y = 2*x", x=1.0, grads={"x": 2 + 0j})
    with pytest.raises(sg.InputError, match="an input is complex"):
        sg.nn.Neuron(1)([1j])
