#!/usr/bin/env bash
# Install everything symgrad and its tests need (system packages too), then run the whole suite
# in parallel (pytest-xdist, one worker per core). Extra arguments go to pytest, e.g.
#   bash scripts/test.sh -k packaging
# Uses the active virtualenv if there is one; on an externally-managed system Python (PEP 668)
# it creates ./.venv and installs there (see scripts/python-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
source scripts/python-env.sh
"$PYTHON" -m pip install --quiet --upgrade pip
"$PYTHON" -m pip install --quiet -e ".[test]"
exec "$PYTHON" -m pytest -n "${SYMGRAD_TEST_WORKERS:-auto}" -p no:cacheprovider "$@"
