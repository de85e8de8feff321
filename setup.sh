#!/usr/bin/env bash
# Set up rbtui on a Debian machine: Spin, gcc and tmux from Debian's packages
# (only those missing), then rbtui itself with its test dependencies.
# Safe to run again: it installs only what is missing.
#
#   ./setup.sh              rbtui into the current python3 (a virtual environment
#                           when one is active, else the system's Python)
#   ./setup.sh --venv DIR   rbtui into the virtual environment DIR (made if
#                           missing); then: . DIR/bin/activate
#
# RBTUI_VENV=DIR is the same as --venv DIR; PYTHON chooses the interpreter.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=${RBTUI_VENV:-}

usage() {
    echo "usage: ./setup.sh [--venv DIR]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
        --venv) [ $# -ge 2 ] && [ -n "$2" ] || usage; VENV=$2; shift 2 ;;
        --venv=*) VENV=${1#--venv=}; [ -n "$VENV" ] || usage; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown option $1" >&2; usage ;;
    esac
done

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
# Debian's python3 makes virtual environments only with python3-venv
if [ -n "$VENV" ] && [ ! -x "$VENV/bin/python" ] && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup.sh: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if [ -n "$VENV" ]; then
    if [ ! -x "$VENV/bin/python" ]; then
        echo "setup.sh: making the virtual environment $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    PYTHON=$VENV/bin/python
fi

if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    echo "setup.sh: $PYTHON has no pip; install it (apt-get install python3-pip)" >&2
    exit 1
fi
# PIP_BREAK_SYSTEM_PACKAGES: a system Python of Debian 12 refuses installs otherwise
# (without effect in a virtual environment).
PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check -e '.[test]'
echo "setup.sh: ready (spin: $(command -v spin), python: $("$PYTHON" --version 2>&1))"
if [ -n "$VENV" ]; then
    echo "setup.sh: activate the environment first: . $VENV/bin/activate"
fi
