#!/bin/sh
# run.sh - build the remote layer and run the live checks against loopback sshd
# processes it starts itself (ports 2300-2309 on 127.0.0.1).
#   tests/e2e/remote/run.sh          the checks (exit 1 if any fails)
#   tests/e2e/remote/run.sh bench    the checks, then latency numbers
# Environment: BUILD (default build-remote), VALGRIND=1 to run under valgrind,
# KC_SANITIZE=1 to build with ASan/UBSan into $BUILD-asan.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=${BUILD:-$root/build-remote}
cflags=""
if [ "${KC_SANITIZE:-0}" = 1 ]; then
    build=${BUILD:-$root/build-remote-asan}
    cmake -S "$root" -B "$build" -DKC_SANITIZE=ON >/dev/null
    cflags="-fsanitize=address,undefined -fno-omit-frame-pointer"
else
    cmake -S "$root" -B "$build" >/dev/null
fi
make -C "$build" -j2 kc_remote >/dev/null

# The checks use fixed loopback ports: one run at a time on a machine.
exec 9>/tmp/kc-remote-live.lock
flock 9

work=$(mktemp -d /tmp/remote-live-e2e.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
# sshd's privilege separation directory (absent on some build containers).
[ -d /run/sshd ] || mkdir -p -m 0755 /run/sshd

# shellcheck disable=SC2086
gcc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 $cflags \
    -Wall -Wextra -Wshadow -Werror \
    -I "$root/include" -I "$root/src/remote" \
    "$here/live.c" \
    "$build/libkc_remote.a" "$build/libkc_output.a" "$build/libkc_util.a" \
    $(pkg-config --cflags --libs libssh libcjson) -lutil -lpthread \
    -o "$work/live"

if [ "${VALGRIND:-0}" = 1 ]; then
    exec_prefix="valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite --trace-children=no -q"
else
    exec_prefix=""
fi
# shellcheck disable=SC2086
$exec_prefix "$work/live" "$work" "$@"
