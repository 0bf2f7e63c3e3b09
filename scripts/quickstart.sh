#!/usr/bin/env bash
# The README's first command: install symgrad (editable) and run the worked example.
# Uses the active virtualenv if there is one; on an externally-managed system Python (PEP 668)
# it creates ./.venv and installs there (see scripts/python-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python-env.sh
"$PYTHON" -m pip install --quiet -e .
"$PYTHON" examples/lecture_expression.py
