#!/usr/bin/env bash
# Set up rbtui on a Debian machine: Spin, gcc and tmux from Debian's packages
# (only those missing), then rbtui itself with its test dependencies.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "setup.sh: root (or sudo) is needed to run: $*" >&2
        return 1
    fi
}

missing=()
command -v spin >/dev/null 2>&1 || missing+=(spin)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup.sh: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    echo "setup.sh: $PYTHON has no pip; install it (apt-get install python3-pip)" >&2
    exit 1
fi
# PIP_BREAK_SYSTEM_PACKAGES: a system Python of Debian 12 refuses installs otherwise.
PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check -e '.[test]'
echo "setup.sh: ready (spin: $(command -v spin), python: $("$PYTHON" --version 2>&1))"
