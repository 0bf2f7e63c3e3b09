"""Test-wide settings.

On CI (the ``CI`` environment variable, which CI sets), Hypothesis draws the same examples
on every run, so a green or red result is reproducible from the commit alone; locally, each
run explores new examples. Large-scale fuzzing is ``make fuzz`` (docs/fuzzing.md).
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
