#!/usr/bin/env bash
# run.sh - run kamal-c's end-to-end tests: every tests/e2e/test_*.sh, or the files given as
# arguments, each in a fresh bash. Prints per-file counts and a final line
# `e2e: P passed, F failed, S skipped`; exits non-zero if anything failed.
#
#   KC_E2E_SKIP=1   print a visible SKIPPED line and exit 0 (refused, exit 1, when CI=1)
#   KC_E2E_UP=N     first run `hosts.sh up N` and seed-images.sh (both idempotent); N may be
#                   "3 --sshd-only 20" (test_fanout.sh wants 20 sshd-only hosts)
#   KC_E2E_DOWN=1   run `hosts.sh down` at the end
#   KAMAL_C         the binary under test (default build/kamal-c, relative to the repo root)
#   KC_E2E_VERBOSE=1  show every kc_run command and its output;  KC_KEEP=1  keep temp dirs
#   KC_BED=B        run against bed B (hosts.sh; default 0): up, seed, tests and down all use it
set -euo pipefail
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
export KC_BED=${KC_BED:-0}
bed=""; [[ $KC_BED == 0 ]] || bed="KC_BED=$KC_BED "

ci=0
[[ ${CI:-} == 1 || ${CI:-} == true ]] && ci=1
if [[ ${KC_E2E_SKIP:-} == 1 ]]; then
  if ((ci)); then
    echo "e2e: KC_E2E_SKIP=1 is not allowed in CI (CI=${CI}): the end-to-end tests must run" >&2
    exit 1
  fi
  echo "SKIPPED: end-to-end tests (KC_E2E_SKIP=1)"
  exit 0
fi

if [[ -n ${KC_E2E_UP:-} ]]; then
  # shellcheck disable=SC2086 # "N --sshd-only M": words for hosts.sh
  "$HERE/hosts.sh" up $KC_E2E_UP
  "$HERE/seed-images.sh"
fi
if ! "$HERE/hosts.sh" status >/dev/null 2>&1 &&
  ! { "$HERE/hosts.sh" heal && "$HERE/hosts.sh" status >/dev/null 2>&1; }; then
  "$HERE/hosts.sh" status >&2 || true
  echo "e2e: the test bed is not up. Run: ${bed}$HERE/hosts.sh up 3 && ${bed}$HERE/seed-images.sh" \
    "(or set KC_E2E_UP=3)" >&2
  exit 1
fi

files=()
if (($# > 0)); then
  for f in "$@"; do
    [[ -f $f ]] || f=$HERE/$f
    [[ -f $f ]] || { echo "e2e: no such test file: $f" >&2; exit 2; }
    files+=("$(readlink -f "$f")")
  done
else
  for f in "$HERE"/test_*.sh; do [[ -f $f ]] && files+=("$f"); done
fi
((${#files[@]} > 0)) || { echo "e2e: no test files" >&2; exit 1; }

P=0 F=0 S=0
res=$(mktemp)
trap 'rm -f "$res"; [[ ${KC_E2E_DOWN:-} == 1 ]] && "$HERE/hosts.sh" down' EXIT
start=$SECONDS
summary=()
for f in "${files[@]}"; do
  name=$(basename "$f")
  echo "=== $name${bed:+ (bed $KC_BED)}"
  : >"$res"
  rc=0
  KC_E2E_RESULTS=$res bash "$f" || rc=$?
  read -r p fl s <"$res" 2>/dev/null || { p=0 fl=0 s=0; }
  if ((rc != 0 && fl == 0)); then   # died without reporting a failure
    echo "FAIL $name: exited with status $rc"
    fl=1
  fi
  P=$((P + p)) F=$((F + fl)) S=$((S + s))
  summary+=("$(printf '  %-32s %3d passed, %d failed, %d skipped' "$name" "$p" "$fl" "$s")")
done
echo "=== summary ($((SECONDS - start))s)"
printf '%s\n' "${summary[@]}"
echo "e2e: $P passed, $F failed, $S skipped"
((F == 0))
