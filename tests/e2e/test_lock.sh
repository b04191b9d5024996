#!/usr/bin/env bash
# test_lock.sh - the deploy lock: acquire/status/release, races between two runs, a lock made
# by Kamal itself (and kamal-c's lock read the Kamal way), the primary host, --lock-wait,
# waiting for another run's automatic lock, SIGINT/SIGTERM, KAMAL_LOCK=true and --dry-run.
# The lock is the directory .kamal/lock-web on the configuration's primary host h1.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_kamal_c
need_hosts 3
reset_hosts

# kamal-c asks git who holds the lock (user.name): make it the same everywhere
export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0="KC Tester" \
  GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1=kc-tester@e2e.invalid
H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)
LOCK=$KC_DIR/h1/home/.kamal/lock-web            # h1's ~/.kamal/lock-web, seen from here
ISO='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'

write_config() {
  cat >config/deploy.yml <<EOF
service: web
image: kc/web
servers: [$H1, $H2, $H3]
$(bed_yaml)
EOF
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
hook() { printf '#!/bin/sh\n%s\n' "$2" >".kamal/hooks/$1" && chmod +x ".kamal/hooks/$1"; }
# kc_bg NAME ARGS...: kamal-c in the background, in its own process group (like a terminal's
# foreground job: `kill -INT -- -$BG_PID` is a Ctrl-C), with kc_run's environment. Output in
# $KC_PROJECT/NAME.out/.err; kc_bg_wait NAME sets RC, OUT, ERR.
declare -A BG=()
kc_bg() {
  local name=$1; shift
  HOME=$KC_HOME DOCKER_HOST=$KC_BUILDER_DOCKER_HOST DOCKER_CONFIG=$KC_HOME/.docker \
    setsid "$KAMAL_C" "$@" >"$KC_PROJECT/$name.out" 2>"$KC_PROJECT/$name.err" </dev/null &
  BG[$name]=$!
  BG_PID=$!
}
kc_bg_wait() {
  local name=$1
  RC=0
  wait "${BG[$name]}" || RC=$?
  OUT=$(cat "$KC_PROJECT/$name.out") ERR=$(cat "$KC_PROJECT/$name.err")
  KC_LAST_CMD="(background $name)" _kc_ran=1
}
# wait_for SECONDS CMD...: poll every 50 ms
wait_for() {
  local n=$(($1 * 20)); shift
  while ((n-- > 0)); do "$@" && return 0; sleep 0.05; done
  return 1
}
# kamal_lock MESSAGE [WHEN]: a lock made exactly the way Kamal 2.12 makes it (lib/kamal/commands/
# lock.rb): mkdir, then echo of Base64.encode64 (60-column lines) of the three lines
kamal_lock() {
  local details b64
  details=$(printf 'Locked by: Kamal User at %s\nVersion: 0a1b2c3\nMessage: %s' "${2:-2026-01-02T03:04:05Z}" "$1")
  b64=$(printf '%s' "$details" | base64 -w 60)
  host_sh 1 "mkdir -p .kamal && mkdir .kamal/lock-web && echo \"$b64\" > .kamal/lock-web/details"
}
# write_lock DETAILS: any details text, written the way Kamal writes them
write_lock() {
  local b64
  b64=$(printf '%s' "$1" | base64 -w 60)
  host_sh 1 "mkdir -p .kamal && mkdir .kamal/lock-web && echo \"$b64\" > .kamal/lock-web/details"
}
# this machine as kamal-c records it in an automatic lock's Process line
this_machine() { echo "$(hostname) (pid namespace $(readlink /proc/self/ns/pid | tr -dc 0-9))"; }
lock_message() { base64 -d <"$LOCK/details" 2>/dev/null | sed -n 's/^Message: //p'; }
release() { rm -rf "$LOCK"; }                      # test cleanup, without kamal-c

# shellcheck disable=SC2119 # new_project without --git
new_project
write_config
mkdir -p .kamal/hooks

t "acquire, status, release: message, holder, time and age"
kc_run lock status
assert_rc 0
assert_contains "$OUT" "There is no deploy lock"
msg="maintenance of 'db' & friends"
kc_run lock acquire -m "$msg" --version 4711
assert_rc 0
assert_contains "$OUT" "Acquired the deploy lock on $H1"
assert_ok test -d "$LOCK"
kc_run lock status
assert_rc 0
assert_contains "$OUT" "Deploy lock on $H1"
assert_match "$OUT" "Locked by: KC Tester at $ISO"
assert_contains "$OUT" "Version: 4711"
assert_contains "$OUT" "Message: $msg"
kc_run lock acquire -m "second"
assert_rc 5 "acquire while held"
assert_match "$ERR" "held by KC Tester at $ISO \([0-9]+ s ago\): $msg"
kc_run lock release
assert_rc 0
assert_contains "$OUT" "Released the deploy lock"
assert_fails test -e "$LOCK"
kc_run lock release
assert_rc 0
assert_contains "$OUT" "There is no deploy lock"
kc_run lock status
assert_rc 0
assert_contains "$OUT" "There is no deploy lock"
kc_run lock acquire
assert_rc 2 "acquire without -m"

t "two concurrent 'lock acquire': exactly one wins, the other exits 5 with the winner's message"
for round in 1 2 3; do
  kc_bg a lock acquire -m "racer a$round"
  kc_bg b lock acquire -m "racer b$round"
  kc_bg_wait a; rc_a=$RC out_a=$OUT$ERR
  kc_bg_wait b; rc_b=$RC out_b=$OUT$ERR
  winner=$(lock_message)
  if [[ $rc_a == 0 && $rc_b == 5 ]]; then
    assert_eq "racer a$round" "$winner" "round $round: the lock's message"
    assert_contains "$out_b" "racer a$round" "round $round: the loser names the winner's message"
  elif [[ $rc_a == 5 && $rc_b == 0 ]]; then
    assert_eq "racer b$round" "$winner" "round $round: the lock's message"
    assert_contains "$out_a" "racer b$round" "round $round: the loser names the winner's message"
  else
    fail "round $round: exit statuses $rc_a and $rc_b, expected one 0 and one 5:"$'\n'"a: $out_a"$'\n'"b: $out_b"
  fi
  kc_run lock release -q
done

t "a lock made by Kamal stops a mutating verb (exit 5, its message) and 'lock status' decodes it"
kamal_lock "Kamal maintenance window"
kc_run server bootstrap
assert_rc 5
assert_contains "$ERR" "Kamal maintenance window"
assert_contains "$ERR" "Kamal User"
assert_match "$ERR" "\([0-9]+ (s|min|h|days) ago\)"
assert_ok test -d "$LOCK"                           # someone else's lock stays
assert_eq "Kamal maintenance window" "$(lock_message)"
kc_run lock status
assert_rc 0
assert_contains "$OUT" "Locked by: Kamal User at 2026-01-02T03:04:05Z"$'\n'"Version: 0a1b2c3"$'\n'"Message: Kamal maintenance window"
kc_run lock acquire -m mine
assert_rc 5
kc_run lock release
assert_rc 0
assert_fails test -e "$LOCK"

t "kamal-c's lock reads the Kamal way: 'cat details | base64 -d' gives the three lines"
kc_run lock acquire -m "read me the Kamal way" --version 99
assert_rc 0
# Kamal's `lock status`: stat .kamal/lock-web > /dev/null && cat .kamal/lock-web/details | base64 -d
got=$(host_sh 1 'stat .kamal/lock-web > /dev/null && cat .kamal/lock-web/details | base64 -d')
assert_match "$got" "^Locked by: KC Tester at $ISO"$'\n'"Version: 99"$'\n'"Message: read me the Kamal way$"
assert_eq 3 "$(printf '%s\n' "$got" | wc -l)" "lines in the decoded details"
# MIME base64 like Ruby's Base64.encode64: 60-column lines, only the last one shorter
widths=$(awk '{print length($0)}' "$LOCK/details" | sort -u | xargs)
assert_match "$(head -n -1 "$LOCK/details" | awk '{print length($0)}' | sort -u | xargs)" "^(60)?$" "line widths: $widths"
kc_run lock release -q
assert_fails test -e "$LOCK"

t "the lock lives on the primary host h1 even when -h selects another host"
kc_run -h "$H3" lock acquire -m "from h3"
assert_rc 0
assert_ok test -d "$LOCK"
for i in 2 3; do assert_fails test -e "$KC_DIR/h$i/home/.kamal/lock-web"; done
kc_run -h "$H3" server bootstrap
assert_rc 5 "a run on h3 only still sees the lock"
assert_contains "$ERR" "from h3"
kc_run -h "$H2" lock status
assert_contains "$OUT" "Message: from h3"
kc_run -h "$H2" lock release
assert_rc 0
assert_fails test -e "$LOCK"

t "--lock-wait with a manual lock: waits --lock-wait-timeout (3 s), then exits 5"
kamal_lock "held by hand"
s=$(now_ms)
kc_run server bootstrap --lock-wait --lock-wait-timeout 3 --lock-wait-interval 1
ms=$(($(now_ms) - s))
assert_rc 5
assert_contains "$ERR" "held by hand"
assert_contains "$ERR" "timed out"
((ms >= 2500 && ms < 8000)) || fail "waited ${ms} ms, expected about 3000"
s=$(now_ms)
kc_run server bootstrap                            # without --lock-wait: exit 5 at once
assert_rc 5
(($(now_ms) - s < 2500)) || fail "a manual lock without --lock-wait took $(($(now_ms) - s)) ms"
assert_eq "held by hand" "$(lock_message)"
release

t "another run's automatic lock is waited for: the second bootstrap runs after the first"
# docker-setup runs while bootstrap holds the lock; it logs start/end, and sleeps when asked
hook docker-setup "echo \"start \$KC_RUN\" >>'$KC_PROJECT/setup.log'; [ -z \"\${KC_SLEEP:-}\" ] || sleep \"\$KC_SLEEP\"; echo \"end \$KC_RUN\" >>'$KC_PROJECT/setup.log'"
KC_RUN=first KC_SLEEP=3 kc_bg first server bootstrap
wait_for 10 grep -qs "start first" "$KC_PROJECT/setup.log" || fail "the first bootstrap's hook did not start"
assert_eq "Automatic deploy lock" "$(lock_message)" "the first run's lock"
s=$(now_ms)
KC_RUN=second kc_run server bootstrap --lock-wait-interval 1
ms=$(($(now_ms) - s))
assert_rc 0 "the second bootstrap"
assert_contains "$ERR" "waiting"
assert_eq "start first,end first,start second,end second" "$(paste -sd, "$KC_PROJECT/setup.log")" \
  "order of the two runs' hooks"
((ms >= 1000)) || fail "the second run did not wait (${ms} ms)"
kc_bg_wait first
assert_rc 0 "the first bootstrap"
assert_fails test -e "$LOCK"

t "Ctrl-C (SIGINT to the process group) during a locked verb: lock released, exit 130"
hook docker-setup "touch '$KC_PROJECT/setup.started'; sleep 30"
kc_bg ctrlc server bootstrap
wait_for 10 test -e "$KC_PROJECT/setup.started" || fail "docker-setup did not start"
assert_ok test -d "$LOCK"
s=$(now_ms)
kill -INT -- "-$BG_PID"
kc_bg_wait ctrlc
ms=$(($(now_ms) - s))
assert_rc 130
assert_contains "$ERR" "interrupted"
assert_fails test -e "$LOCK"
((ms < 5000)) || fail "kamal-c took ${ms} ms to stop after Ctrl-C"
kc_run lock status
assert_contains "$OUT" "There is no deploy lock"

t "SIGTERM (to kamal-c alone) during a locked verb: lock released, exit 130"
hook docker-setup "touch '$KC_PROJECT/setup.started2'; sleep 2"
kc_bg term server bootstrap
wait_for 10 test -e "$KC_PROJECT/setup.started2" || fail "docker-setup did not start"
assert_ok test -d "$LOCK"
kill -TERM "$BG_PID"
kc_bg_wait term
assert_rc 130
assert_contains "$ERR" "SIGTERM"
assert_fails test -e "$LOCK"
rm -f .kamal/hooks/docker-setup

t "SIGINT while waiting for someone else's lock: exit 130, their lock untouched"
kamal_lock "theirs"
kc_bg waiter server bootstrap --lock-wait --lock-wait-timeout 60 --lock-wait-interval 1
wait_for 10 grep -qs waiting "$KC_PROJECT/waiter.err" || fail "the run does not say it waits"
kill -INT "$BG_PID"
s=$(now_ms)
kc_bg_wait waiter
assert_rc 130
(($(now_ms) - s < 3000)) || fail "kamal-c took $(($(now_ms) - s)) ms to stop waiting"
assert_eq "theirs" "$(lock_message)" "the other lock"
release

t "KAMAL_LOCK=true (a nested call from a hook) skips the lock"
kamal_lock "outer run"
KAMAL_LOCK=true kc_run server bootstrap
assert_rc 0
assert_eq "outer run" "$(lock_message)" "the outer run's lock is neither taken nor released"
kc_run server bootstrap
assert_rc 5 "the same verb without KAMAL_LOCK"
release
KAMAL_LOCK=true kc_run server bootstrap
assert_rc 0
assert_fails test -e "$LOCK"

t "--dry-run takes no lock and changes nothing on any host"
homes() { local i; for i in 1 2 3; do find "$KC_DIR/h$i/home" -printf "h$i %P %y %s %T@\n" | sort; done; }
kc_run server bootstrap                           # .kamal everywhere, so only real changes show
assert_rc 0
before=$(homes)
kc_run server bootstrap --dry-run
assert_rc 0
assert_contains "$OUT" "would run: mkdir -p .kamal && mkdir .kamal/lock-web"
kc_run lock acquire -m dry --dry-run
assert_rc 0
assert_not_contains "$OUT" "Acquired the deploy lock"
kc_run server exec --dry-run touch dry-run-was-here
assert_rc 0
assert_eq "$before" "$(homes)" "files in the hosts' homes after the dry runs"
kamal_lock "real one"
before=$(homes)
kc_run lock release --dry-run
assert_rc 0
assert_not_contains "$OUT" "Released the deploy lock"
kc_run server bootstrap --dry-run
assert_eq "$before" "$(homes)" "files in the hosts' homes after the dry runs (lock held)"
assert_eq "real one" "$(lock_message)"
release

t "--lock-wait-timeout is honoured exactly: 2 s against a manual lock polled every 15 s"
kamal_lock "held by hand"
s=$(now_ms)
kc_run server bootstrap --lock-wait --lock-wait-timeout 2
ms=$(($(now_ms) - s))
assert_rc 5
assert_contains "$ERR" "timed out after 2s"
((ms >= 1900 && ms < 4000)) || fail "waited ${ms} ms, expected about 2000"
assert_not_contains "$ERR" "wait with --lock-wait" "the hint suggests the option that was given"
assert_contains "$ERR" "--lock-wait-timeout"
release

t "an automatic lock whose kamal-c was killed (SIGKILL) is taken over by the next run here, with a warning"
hook docker-setup "touch '$KC_PROJECT/setup.killed'; sleep 30"
kc_bg killed server bootstrap
wait_for 10 test -e "$KC_PROJECT/setup.killed" || fail "docker-setup did not start"
killed_pid=$BG_PID
assert_contains "$(base64 -d <"$LOCK/details")" "Message: Automatic deploy lock"$'\n'"Process: $killed_pid on $(this_machine)"
kill -KILL -- "-$killed_pid"
kc_bg_wait killed 2>/dev/null
assert_ok test -d "$LOCK"                            # left behind by the dead run
rm -f .kamal/hooks/docker-setup
s=$(now_ms)
kc_run server bootstrap
assert_rc 0
assert_contains "$ERR" "was left by kamal-c process $killed_pid on $(this_machine), which is gone: taking it over"
(($(now_ms) - s < 5000)) || fail "the takeover took $(($(now_ms) - s)) ms"
assert_fails test -e "$LOCK"

t "never taken over: a live process's lock, another machine's, Kamal's, a manual one"
sleep 60 &
live=$!
write_lock "Locked by: Other at 2026-01-02T03:04:05Z"$'\n'"Version: 1"$'\n'"Message: Automatic deploy lock"$'\n'"Process: $live on $(this_machine)"
kc_run server bootstrap --lock-wait-timeout 1
assert_rc 5 "a live process's lock"
release
kill "$live"
wait "$live" 2>/dev/null || true
write_lock "Locked by: Other at 2026-01-02T03:04:05Z"$'\n'"Version: 1"$'\n'"Message: Automatic deploy lock"$'\n'"Process: $live on elsewhere.example (pid namespace 1)"
kc_run server bootstrap --lock-wait-timeout 1
assert_rc 5 "another machine's lock (its process may well be alive)"
release
kamal_lock "Automatic deploy lock"
kc_run server bootstrap --lock-wait-timeout 1
assert_rc 5 "a lock without a Process line (Kamal's)"
release
write_lock "Locked by: Me at 2026-01-02T03:04:05Z"$'\n'"Version: 1"$'\n'"Message: maintenance"$'\n'"Process: $live on $(this_machine)"
kc_run server bootstrap --lock-wait --lock-wait-timeout 1
assert_rc 5 "a manual lock"
assert_eq "maintenance" "$(lock_message)"
release

t "waiting for an automatic lock says who holds it and since when, at once and every 15 s"
sleep 60 &
live=$!
write_lock "Locked by: Other Run at 2026-01-02T03:04:05Z"$'\n'"Version: 1"$'\n'"Message: Automatic deploy lock"$'\n'"Process: $live on $(this_machine)"
kc_run server bootstrap --lock-wait-timeout 16
assert_rc 5
assert_match "$ERR" "held by Other Run at 2026-01-02T03:04:05Z \(kamal-c process $live on [^)]*\)\), [0-9]+ days ago; waiting up to 16s"
assert_match "$ERR" "still waiting for the deploy lock, held by Other Run at 2026-01-02T03:04:05Z .*; [0-9]+s left"
assert_eq 1 "$(grep -c 'still waiting' <<<"$ERR")" "reports after the first, in 16 s"
kill "$live"
wait "$live" 2>/dev/null || true
release
