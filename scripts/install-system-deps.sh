#!/usr/bin/env bash
# Debian packages the full test suite uses. Skipped when they are all present already.
set -euo pipefail
packages=(graphviz poppler-utils texlive-latex-base texlive-latex-recommended chromium fonts-dejavu-core)
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
