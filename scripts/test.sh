#!/usr/bin/env bash
# Install everything symgrad and its tests need (system packages too), then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".[test]"
python -m pytest "$@"
