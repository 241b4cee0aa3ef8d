#!/usr/bin/env bash
# Install what whichtag's tests and demo need on Debian (run as root, or with sudo available):
# the CNCF distribution registry, podman (for its real `podman login`) and the Python packages.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
need_apt=""
for binary in /usr/bin/docker-registry /usr/bin/podman; do
  [ -x "$binary" ] || need_apt=1
done
if [ -n "$need_apt" ] || [ -n "${WHICHTAG_APT_EXTRA:-}" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq docker-registry podman ${WHICHTAG_APT_EXTRA:-} >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -e '.[test]'
