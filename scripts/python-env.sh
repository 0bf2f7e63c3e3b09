# Sourced by scripts/quickstart.sh and scripts/test.sh: choose the Python that pip installs into.
#
# - Inside an active virtual environment (or a Python that is one), use it as it is.
# - Otherwise, when that Python is "externally managed" (PEP 668: Debian's and Ubuntu's system
#   Python refuse `pip install`), create ./.venv once and use it; this needs Debian's
#   python3-venv, which is installed with apt when it is missing (as root or with sudo).
# - Otherwise (pyenv, python.org, conda base…) install into that Python directly.
# Exports PYTHON, the interpreter to use.
PYTHON="${PYTHON:-$(command -v python3 || command -v python)}"
_in_venv=$("$PYTHON" -c 'import sys; print(int(sys.prefix != sys.base_prefix))')
_managed=$("$PYTHON" -c 'import os, sysconfig; print(int(os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))))')
if [ "$_in_venv" = 0 ] && [ "$_managed" = 1 ]; then
  if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
      echo "symgrad: $PYTHON is externally managed (PEP 668) and has no venv module; installing python3-venv" >&2
      if [ "$(id -u)" -ne 0 ]; then _sudo=sudo; else _sudo=; fi
      DEBIAN_FRONTEND=noninteractive $_sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq --no-install-recommends python3-venv
    fi
    echo "symgrad: $PYTHON is externally managed (PEP 668); installing into ./.venv (activate it with: . .venv/bin/activate)" >&2
    "$PYTHON" -m venv .venv
  fi
  PYTHON="$PWD/.venv/bin/python"
fi
export PYTHON
