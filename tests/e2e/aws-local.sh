#!/usr/bin/env bash
# aws-local.sh - a local AWS Secrets Manager for the secrets tests: PyPI's `moto` in server mode
# and PyPI's `awscli` (which honours AWS_ENDPOINT_URL; Debian's awscli 2.9 does not), installed
# once into a venv cached outside the repository. tests/all.sh runs `install`; the e2e suite
# (test_secrets_fetch.sh) runs `start` and points the aws CLI at the server on loopback.
#
#   aws-local.sh install      install both (once); prints the venv's bin directory
#   aws-local.sh path         the bin directory if installed, else exit 1
#   aws-local.sh start PORT   run moto_server on 127.0.0.1:PORT in the background, wait until it
#                             answers; prints its pid (stop it with kill PID)
#
# Settings: KC_MOTO_VERSION (5.2.5), KC_AWSCLI_VERSION (1.46.2), KC_CACHE (/var/cache/kamal-c-bed:
# the venv is $KC_CACHE/aws-local-MOTO-AWSCLI), KC_PYTHON (python3).
set -euo pipefail
MOTO=${KC_MOTO_VERSION:-5.2.5}
AWSCLI=${KC_AWSCLI_VERSION:-1.46.2}
VENV=${KC_CACHE:-/var/cache/kamal-c-bed}/aws-local-$MOTO-$AWSCLI
BIN=$VENV/bin

die() { printf 'aws-local: ERROR: %s\n' "$*" >&2; exit 1; }
installed() {
  [[ -x $BIN/moto_server && -x $BIN/aws ]] &&
    [[ $("$BIN/aws" --version 2>&1) == aws-cli/"$AWSCLI"* ]] &&
    [[ $("$BIN/python3" -c 'import moto; print(moto.__version__)' 2>/dev/null) == "$MOTO" ]]
}

case ${1:-} in
  path) installed || die "moto $MOTO / awscli $AWSCLI are not installed: run $0 install"; echo "$BIN" ;;
  install)
    if ! installed; then
      py=${KC_PYTHON:-python3}
      command -v "$py" >/dev/null || die "$py not found (Python 3 with venv is needed: apt-get install python3-venv)"
      mkdir -p "$(dirname "$VENV")" || die "cannot create $(dirname "$VENV") (set KC_CACHE)"
      rm -rf "$VENV"
      "$py" -m venv "$VENV" || die "cannot create a venv in $VENV (apt-get install python3-venv)"
      printf 'aws-local: installing moto[server]==%s awscli==%s from PyPI into %s (once) ...\n' \
        "$MOTO" "$AWSCLI" "$VENV" >&2
      "$BIN/pip" install -q --disable-pip-version-check "moto[server]==$MOTO" "awscli==$AWSCLI" ||
        die "pip install moto[server]==$MOTO awscli==$AWSCLI failed: is PyPI reachable? (the secrets e2e test needs them)"
      installed || die "$BIN/aws or $BIN/moto_server does not run"
    fi
    echo "$BIN"
    ;;
  start)
    port=${2:?usage: $0 start PORT}
    installed || die "moto $MOTO / awscli $AWSCLI are not installed: run $0 install"
    # its working directory gets the request recording (moto_recording): keep it in the cache
    run=$VENV/run-$port
    rm -rf "$run" && mkdir -p "$run"
    (cd "$run" && exec 0</dev/null >/dev/null 2>&1 && exec timeout 1800 "$BIN/moto_server" -H 127.0.0.1 -p "$port") &
    pid=$!
    for _ in $(seq 100); do
      if AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
        AWS_DEFAULT_REGION=us-east-1 "$BIN/aws" secretsmanager list-secrets >/dev/null 2>&1; then
        echo "$pid"
        exit 0
      fi
      kill -0 "$pid" 2>/dev/null || die "moto_server exited (port $port taken?)"
      sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    die "moto_server did not answer on 127.0.0.1:$port within 20 s"
    ;;
  *) echo "usage: $0 install|path|start PORT" >&2; exit 2 ;;
esac
