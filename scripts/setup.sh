#!/usr/bin/env bash
# Install what whichtag's tests and demo need on Debian (run as root, or with sudo available):
# the CNCF distribution registry, podman (for its real `podman login`), tinyproxy (the forward
# proxy of the proxy tests), zsh and fish (whose completion scripts are tested), and a project
# virtual environment `.venv` made with the system's Python (which refuses pip itself:
# "externally managed"). Other scripts run `.venv/bin/python`.
# WHICHTAG_PYTHON picks another interpreter for the venv; WHICHTAG_APT_EXTRA adds packages.
# --demo installs only what scripts/demo.sh needs: the registry, the venv and whichtag itself.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=""
if [ "${1:-}" = "--demo" ]; then DEMO=1; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
PYTHON="${WHICHTAG_PYTHON:-}"
if [ -z "$PYTHON" ]; then
  if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON="$(command -v python3)"; fi
fi
need=()
tools="docker-registry:/usr/bin/docker-registry podman:/usr/bin/podman runc:/usr/bin/runc tinyproxy:/usr/bin/tinyproxy prometheus:/usr/bin/promtool zsh:/usr/bin/zsh fish:/usr/bin/fish"
if [ -n "$DEMO" ]; then tools="docker-registry:/usr/bin/docker-registry"; fi
for pair in $tools; do
  [ -x "${pair#*:}" ] || need+=("${pair%%:*}")
done
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  need+=("python3-venv")
fi
if [ "${#need[@]}" -gt 0 ] || [ -n "${WHICHTAG_APT_EXTRA:-}" ]; then
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" ${WHICHTAG_APT_EXTRA:-} >/dev/null
fi
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys' 2>/dev/null; then
  rm -rf .venv
  "$PYTHON" -m venv .venv
fi
if [ -n "$DEMO" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
else
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test,serve${WHICHTAG_EXTRAS:-}]"
fi
