#!/usr/bin/env bash
# test_live.sh - the live view, in a real terminal: kamal-c runs in a tmux pane (its own tmux
# server on a private socket), typed in with send-keys and read with capture-pane while it
# runs and at the end. During `accessory boot` with an image pull there is one live line per
# host (host, step, elapsed time, the pull's layers); at the end the pane holds exactly the
# lines a run without a terminal prints, no live line, no escape garbage, the cursor visible.
# Ctrl-C (once, and a second time while the lock release still waits) leaves the pane clean
# and exits 130. NO_COLOR, TERM=dumb, -q and --format json get the plain output.
# The pull is made long enough to watch with `hosts.sh ctl N slow-link`, the wait for the
# container with KAMAL_C_CONFIRM_MS.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c
need_hosts 2

H1=$(host_ip 1) H2=$(host_ip 2)
REG=$KC_REGISTRY
IMAGE=$REG/kc/web:1
SOCK=$KC_TMP/tmux.sock
RCFILE=$KC_TMP/rc
LIVE_RE='^[|/\\-] \[[0-9.]+\] '   # a live line: spinner, [host], step, (elapsed)

if ! command -v tmux >/dev/null; then
  t "tmux is installed"
  fail "tmux not found (tests/install-deps.sh installs it)"
  exit 1
fi

tmx() { tmux -S "$SOCK" "$@"; }
stop_tmux() { tmx kill-server 2>/dev/null || true; }
# the tmux server goes with the test, however it ends (then lib.sh's own exit handling)
trap '_kc_rc=$?; stop_tmux; (exit $_kc_rc); _kc_on_exit' EXIT

# a pane 200x50 running a plain bash (no rc files: a predictable prompt, no NO_COLOR)
start_tmux() {
  stop_tmux
  env -u NO_COLOR -u TMUX TERM=xterm-256color tmux -S "$SOCK" -f /dev/null \
    new-session -d -s live -x 200 -y 50 "env PS1='$ ' bash --norc --noprofile"
}

# go.sh ARGS: run kamal-c ARGS in the project with the test's sandbox HOME, between a line
# "--begin--" and a line "--rc=N--"; the exit status also goes to $RCFILE
cat >"$KC_TMP/go.sh" <<EOF
trap : INT          # this shell outlives a kamal-c killed by a second Ctrl-C, to report it
cd "\$KC_PROJECT"
export HOME=$KC_HOME DOCKER_HOST=$KC_BUILDER_DOCKER_HOST DOCKER_CONFIG=$KC_HOME/.docker
export KAMAL_C_CONFIRM_MS=\${KAMAL_C_CONFIRM_MS:-2500}
echo --begin--
"$KAMAL_C" "\$@"
rc=\$?
echo "\$rc" >"$RCFILE"
echo "--rc=\$rc--"
EOF

# type_run ENV... -- ARGS: clears the pane and its history, then types
# "env ENV... bash go.sh ARGS" into it
type_run() {
  local envs=() line
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  rm -f "$RCFILE"
  tmx send-keys -t live clear Enter
  sleep 0.3
  tmx clear-history -t live
  line="env KC_PROJECT=$KC_PROJECT ${envs[*]} bash $KC_TMP/go.sh $*"
  tmx send-keys -t live "$line" Enter
}

pane() { tmx capture-pane -p -J -t live; }       # the visible screen
# the run's lines on the screen and in the history: from --begin-- to --rc=N--
run_lines() {
  tmx capture-pane -p -J -S - -t live |
    awk '/^--begin--$/ { buf = ""; on = 1; next } /^--rc=/ { on = 0 } on { buf = buf $0 "\n" }
         END { printf "%s", buf }'
}

# watch SECONDS: captures the pane every 0.1 s until the run ends; SEEN gets every distinct
# line seen, LIVE the live lines among them, FINAL the pane at the end (up to the --rc line)
watch_run() {
  local deadline=$((SECONDS + $1)) cap
  SEEN="" LIVE="" FINAL="" PANE_RC=""
  while [[ ! -s $RCFILE ]] && ((SECONDS < deadline)); do
    cap=$(pane)
    SEEN+=$'\n'$cap
    sleep 0.1
  done
  sleep 0.3
  [[ -s $RCFILE ]] || { fail "the run did not end within $1 s"; tmx send-keys -t live C-c; return 0; }
  PANE_RC=$(cat "$RCFILE")
  FINAL=$(run_lines)
  LIVE=$(grep -E "$LIVE_RE" <<<"$SEEN" | sort -u || true)
}

# the same lines, timings and order aside (hosts finish in any order)
normalize() { sed -E 's/[0-9]+\.[0-9]+ s/N s/g; /^$/d' | sort; }

cursor_visible() { [[ $(tmx display-message -p -t live '#{cursor_flag}') == 1 ]]; }

assert_clean_pane() {   # assert_clean_pane WHAT: no live line, no escape garbage, cursor shown
  local p
  p=$(pane)
  if grep -qE "$LIVE_RE" <<<"$p"; then fail "$1: a live line was left on the screen"$'\n'"$p"; fi
  if grep -qE $'\e|\\[\\?25|\\[K|\\[[0-9]+A' <<<"$p"; then fail "$1: escape garbage"$'\n'"$p"; fi
  cursor_visible || fail "$1: the cursor was left hidden"
}

# fresh hosts without the image: the boot pulls it (slowly, over slow links; reset_hosts
# heals them)
fresh() {
  reset_hosts
  host_forget_image 1 "$IMAGE"
  host_forget_image 2 "$IMAGE"
  if ((SLOW)); then hosts_ctl 1 slow-link && hosts_ctl 2 slow-link; fi
}

new_project
cat >config/deploy.yml <<EOF
service: live
image: kc/web
servers: [$H1, $H2]
$(bed_yaml)
accessories:
  db:
    image: $IMAGE
    roles: [web]
EOF

t "the bed can slow a host's link down (tc netem), to watch a pull"
SLOW=0
if hosts_ctl 1 slow-link; then
  SLOW=1
  hosts_ctl 1 fast-link
else
  fail "hosts.sh ctl 1 slow-link failed: the pulls will be too fast to see their layers"
fi
start_tmux

t "live: one line per host while 'accessory boot' pulls, then exactly the text output"
fresh
type_run -- accessory boot all
watch_run 120
assert_eq 0 "$PANE_RC" "exit status"
grep -qE "$LIVE_RE" <<<"$LIVE" || fail "no live line seen during the run"$'\n'"$SEEN"
assert_contains "$LIVE" "[$H1] " "a live line for h1"
assert_contains "$LIVE" "[$H2] " "a live line for h2"
assert_match "$LIVE" "\(([0-9]+\.[0-9]) s\)" "elapsed time on the live lines"
assert_contains "$LIVE" "db: docker run" "the docker run step"
assert_contains "$LIVE" "wait for live-db" "the wait for the container"
if ((SLOW)); then
  assert_match "$LIVE" "pulling, [0-9]+/[0-9]+ layers downloaded, [0-9]+ extracted" \
    "docker's pull progress"
fi
assert_clean_pane "after the boot"
live_final=$FINAL
# the same boot without a terminal: the text target's lines
fresh
kc_run accessory boot all
assert_rc 0
assert_eq "$(printf '%s\n%s\n' "$OUT" "$ERR" | normalize)" "$(normalize <<<"$live_final")" \
  "the screen at the end = the plain text output"
assert_contains "$live_final" "[$H1] db: booted - docker run, running after"
assert_match "$live_final" "2 hosts: 2 booted \([0-9.]+ s\)"

t "live: 'accessory reboot' shows the image pull (docker pull) with its layers"
fresh
type_run -- accessory reboot db
watch_run 120
assert_eq 0 "$PANE_RC" "exit status"
assert_contains "$LIVE" "pull $IMAGE" "the pull step"
if ((SLOW)); then
  assert_match "$LIVE" "pull $IMAGE: pulling, [0-9]+/[0-9]+ layers downloaded" "docker pull's layers"
fi
assert_clean_pane "after the reboot"
assert_match "$FINAL" "\[$H1\] db: rebooted - running after [0-9.]+ s"
assert_match "$FINAL" "2 hosts: 2 rebooted \([0-9.]+ s\)"

t "live: a no-op run (nothing long) prints the text lines only"
type_run -- accessory boot all
watch_run 60
assert_eq 0 "$PANE_RC" "exit status"
kc_run accessory boot all
assert_eq "$(printf '%s\n' "$OUT" | normalize)" "$(normalize <<<"$FINAL")" "same as plain text"
assert_clean_pane "after a no-op boot"

t "live: Ctrl-C mid-run leaves a clean pane and exits 130"
fresh
type_run -- accessory boot all
deadline=$((SECONDS + 60))
until grep -qE "$LIVE_RE" <<<"$(pane)" || ((SECONDS > deadline)); do sleep 0.1; done
grep -qE "$LIVE_RE" <<<"$(pane)" || fail "no live line to interrupt"
tmx send-keys -t live C-c
watch_run 60
assert_eq 130 "$PANE_RC" "exit status after Ctrl-C"
assert_contains "$FINAL" "interrupted by SIGINT"
assert_clean_pane "after Ctrl-C"

t "live: a second Ctrl-C (the lock release still waiting for h1) ends it at once, clean"
fresh
type_run -- accessory boot all
deadline=$((SECONDS + 60))
until grep -qE "$LIVE_RE.*wait for" <<<"$(pane)" || ((SECONDS > deadline)); do sleep 0.1; done
grep -qE "$LIVE_RE" <<<"$(pane)" || fail "no live line to interrupt"
hosts_ctl 1 link-down                    # the lock lives on h1: its release now has to wait
tmx send-keys -t live C-c
sleep 1.5                                # past the window where a repeat counts as the same stop
pane_before=$(pane)
grep -qE "$LIVE_RE" <<<"$pane_before" || fail "the live lines were gone before the second Ctrl-C"$'\n'"$pane_before"
tmx send-keys -t live C-c
watch_run 30
assert_eq 130 "$PANE_RC" "exit status after the second Ctrl-C"
assert_clean_pane "after a second Ctrl-C"
hosts_ctl 1 link-up
rm -rf "$KC_DIR/h1/home/.kamal/lock-live"
tmx send-keys -t live "clear" Enter

# plain_case WHAT ENV... -- ARGS: a boot with ENV/ARGS in the pane shows no live line and
# prints what a run off a terminal prints
plain_case() {
  local what=$1; shift
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  reset_hosts                 # a boot with the image there: 2.5 s waiting for the container
  type_run "${envs[@]}" -- "$@"
  watch_run 120
  assert_eq 0 "$PANE_RC" "$what: exit status"
  [[ -z $LIVE ]] || fail "$what: live lines seen"$'\n'"$LIVE"
  assert_clean_pane "$what"
  reset_hosts
  kc_run "$@"
  if [[ $* == *json* ]]; then
    # one JSON document either way
    assert_match "$FINAL" '"command":[[:space:]]+"accessory boot"' "$what: the JSON document"
    assert_eq "$(grep -c '"outcome"' <<<"$OUT")" "$(grep -c '"outcome"' <<<"$FINAL")" "$what: outcomes"
  else
    assert_eq "$(printf '%s\n%s\n' "$OUT" "$ERR" | normalize)" "$(normalize <<<"$FINAL")" \
      "$what: the plain text output"
  fi
}

t "plain: NO_COLOR=1"
plain_case NO_COLOR NO_COLOR=1 -- accessory boot all
t "plain: TERM=dumb"
plain_case TERM=dumb TERM=dumb -- accessory boot all
t "plain: -q"
plain_case -q -- accessory boot all -q
t "plain: --format json"
plain_case json -- accessory boot all --format json

reset_hosts
stop_tmux
