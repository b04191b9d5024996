# shellcheck shell=bash
# lib.sh - sourced by tests/e2e/test_*.sh. Loads the test bed's variables (hosts.sh env) and
# gives a small test-case mechanism and helpers. See tests/e2e/README.md.
#
#   t NAME                   start a test case (ends the previous one)
#   skip REASON              mark the current case skipped
#   kc_run ARGS...           run "$KAMAL_C" ARGS; sets OUT, ERR (contents), RC, OUT_FILE, ERR_FILE;
#                            never aborts the test. stdin: $KC_STDIN if set, else /dev/null
#   assert_eq EXPECTED ACTUAL [MSG]      assert_rc N [MSG] (checks $RC)
#   assert_contains HAYSTACK NEEDLE [MSG]    assert_not_contains HAYSTACK NEEDLE [MSG]
#   assert_match HAYSTACK ERE [MSG]      assert_ok CMD...      assert_fails CMD...
#   host_ip N                $KC_NET.(10+N) (10.213.0.(10+N) on bed 0); N=0 is the builder
#   host_sh N 'CMD'          ssh to host N (test ssh_config); returns ssh's status
#   host_docker N ARGS...    docker against host N's dockerd through its socket (no SSH login)
#   hosts_ctl N ACTION       hosts.sh ctl (link-down, dockerd-stop, hide-docker, heal, ...)
#   reset_hosts              heal faults; on h1..hN remove all containers, networks, volumes and
#                            the whole per-host home (~/.kamal, accessory dirs, docker logins);
#                            images are kept; sshd-only hosts: faults healed, homes emptied
#   ssh_mark / ssh_logins N [USER]  count "Accepted publickey [for USER]" lines in hN's sshd
#                            log since ssh_mark
#   need_hosts N             end the file (a failure) unless the bed has at least N hosts
#   need_sshd_hosts N        skip the file unless the bed has at least N sshd-only hosts
#                            (hosts.sh up 3 --sshd-only N); a failure instead when CI=1
#   sshd_host_id I           the host number of the I-th sshd-only host (KC_NHOSTS + I)
#   bed_yaml [SSH_CONFIG|-]  the bed's part of a deploy.yml: registry (password from the
#                            KAMAL_REGISTRY_PASSWORD secret), builder, ssh.config (- for none)
#   new_project [--git]      temp project dir with config/ and .kamal/secrets, cd into it;
#                            removed at exit (KC_KEEP=1 keeps it)
#   need_kamal_c             skip the file when $KAMAL_C is not built (fails instead when CI=1)
#   make_app_repo DIR [N...] examples/app copied into DIR (created; e.g. under $KC_TMP, the
#                            file's temp dir, removed at exit), its sandbox addresses turned into
#                            this bed's, servers h<N>... (default h1), git init + first commit;
#                            prints DIR
#   app_commit DIR [TEXT]    a new commit (TEXT appended to DIR/CHANGES) = a new version;
#                            prints the new HEAD sha (Kamal's version)
#   proxy_run_yaml [VERSION] {registry: .., repository: basecamp/kamal-proxy, version: ..}: the
#                            bed's kamal-proxy image as deploy.yml's proxy.run
#   under_load OLD NEW ARGS...  ${RUNNER:-kc_run} ARGS while a bounded request loop runs through
#                            port 80 of each of $LOAD_HOSTS (default h1..h3), at least $LOAD_MIN
#                            (700) each, ARGS started after 50 responses; asserts every response
#                            is 200 from version OLD or NEW; the responses stay in $KC_LOAD.HOST
#   The example app on h1..h3 (make_app_repo):
#   get IP                   the body of http://IP/ (empty on a failure)
#   cid N NAME               container NAME's ID on host N, or "none"
#   ids VERSION              the IDs of app-web-VERSION on h1..h3
#   serves VERSION           asserts every host's port 80 answers "version VERSION on ..."
#
# Asserts always return 0: a failure is printed (case, file:line, message, $OUT/$ERR) and
# counted, and the case goes on. An unexpected failing command (set -e) ends the file and
# counts as a failure of the current case.
#
# KC_BED=B selects the bed (hosts.sh; default 0): every helper then uses that bed's hosts,
# addresses and state dir, all taken from `hosts.sh env`.
set -Eeuo pipefail

KC_E2E_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
KC_REPO=$(cd "$KC_E2E_DIR/../.." && pwd)
if ! "$KC_E2E_DIR/hosts.sh" status >/dev/null 2>&1 &&        # faults left by an earlier test?
  ! { "$KC_E2E_DIR/hosts.sh" heal && "$KC_E2E_DIR/hosts.sh" status >/dev/null 2>&1; }; then
  "$KC_E2E_DIR/hosts.sh" status >&2 || true
  _kc_bed=""; [[ ${KC_BED:-0} == 0 ]] || _kc_bed="KC_BED=$KC_BED "
  echo "lib.sh: the test bed is not up: run ${_kc_bed}$KC_E2E_DIR/hosts.sh up 3 && ${_kc_bed}$KC_E2E_DIR/seed-images.sh" >&2
  exit 1
fi
eval "$("$KC_E2E_DIR/hosts.sh" env)"
KAMAL_C=${KAMAL_C:-build/kamal-c}
[[ $KAMAL_C == /* ]] || KAMAL_C=$KC_REPO/$KAMAL_C
KC_TIMEOUT=${KC_TIMEOUT:-300}
export KAMAL_C KC_TIMEOUT

_kc_file=$(basename "${BASH_SOURCE[1]:-$0}")
_kc_tmp=$(mktemp -d "${TMPDIR:-/tmp}/kc-e2e.XXXXXX")
KC_TMP=$_kc_tmp                  # this file's temp dir, removed at exit (KC_KEEP=1 keeps it)
_kc_cleanup=()
_kc_pass=0 _kc_fail=0 _kc_skip=0
_kc_case="" _kc_case_failed=0 _kc_case_skipped="" _kc_case_start=0
_kc_started=$SECONDS
_kc_ran=0
declare -A _kc_mark=()
OUT="" ERR="" RC=0 OUT_FILE="" ERR_FILE="" KC_LAST_CMD=""

# --- a sandbox HOME for kamal-c: its own ~/.ssh (test key, config, known_hosts) and ~/.docker.
# (libssh finds ~/.ssh through getpwuid, not $HOME: kamal-c may need to be pointed at these
# files explicitly; $KC_SSH_CONFIG, $KC_KNOWN_HOSTS and $KC_SSH_KEY name them.)
KC_HOME=$_kc_tmp/home
mkdir -p "$KC_HOME/.ssh" "$KC_HOME/.docker"
chmod 700 "$KC_HOME/.ssh"
cp "$KC_SSH_CONFIG" "$KC_HOME/.ssh/config"
cp "$KC_KNOWN_HOSTS" "$KC_HOME/.ssh/known_hosts"
install -m 600 "$KC_SSH_KEY" "$KC_HOME/.ssh/id_ed25519"
cp "$KC_SSH_KEY.pub" "$KC_HOME/.ssh/id_ed25519.pub"
export KC_HOME

# --- guard: tests never touch the real user's ssh or docker client files
_kc_real_home=$(getent passwd "$(id -u)" | cut -d: -f6)
_kc_guard_sum() {
  local f
  for f in "$_kc_real_home/.ssh/known_hosts" "$_kc_real_home/.ssh/config" \
    "$_kc_real_home/.docker/config.json"; do
    if [[ -e $f ]]; then echo "$f $(sha256sum <"$f")"; else echo "$f absent"; fi
  done
}
_kc_guard_before=$(_kc_guard_sum)

# ------------------------------------------------------------------------------- reporting
_kc_where() {    # file:line of the first caller outside lib.sh
  local i
  for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
    if [[ ${BASH_SOURCE[i]} != "${BASH_SOURCE[0]}" ]]; then
      echo "$(basename "${BASH_SOURCE[i]}"):${BASH_LINENO[i - 1]}"
      return
    fi
  done
  echo "$_kc_file:?"
}

_kc_show() {     # _kc_show LABEL TEXT: indented, last 40 lines
  local n
  [[ -n $2 ]] || return 0
  n=$(printf '%s\n' "$2" | wc -l)
  printf '    --- %s%s ---\n' "$1" "$( ((n > 40)) && echo " (last 40 of $n lines)")"
  printf '%s\n' "$2" | tail -n 40 | sed 's/^/    | /'
}

_kc_failed() {   # _kc_failed WHERE MESSAGE
  _kc_case_failed=1
  printf 'FAIL %s (%s): %s\n' "${_kc_case:-<setup>}" "$1" "$2"
  if ((_kc_ran == 1)); then        # show the output once per kc_run
    _kc_ran=2
    printf '    last kc_run: %s  => rc %s\n' "$KC_LAST_CMD" "$RC"
    _kc_show "stdout (\$OUT)" "$OUT"
    _kc_show "stderr (\$ERR)" "$ERR"
  fi
}
fail() { _kc_failed "$(_kc_where)" "$*"; }

_kc_end_case() {
  [[ -n $_kc_case ]] || return 0
  local secs=$((SECONDS - _kc_case_start))
  if ((_kc_case_failed)); then
    _kc_fail=$((_kc_fail + 1))
    printf 'not ok  %s (%ss)\n' "$_kc_case" "$secs"
  elif [[ -n $_kc_case_skipped ]]; then
    _kc_skip=$((_kc_skip + 1))
    printf 'skip    %s: %s\n' "$_kc_case" "$_kc_case_skipped"
  else
    _kc_pass=$((_kc_pass + 1))
    printf 'ok      %s (%ss)\n' "$_kc_case" "$secs"
  fi
  _kc_case=""
}

t() {
  _kc_end_case
  _kc_case=$*
  _kc_case_failed=0 _kc_case_skipped="" _kc_case_start=$SECONDS _kc_ran=0
  OUT="" ERR="" RC=0
}

skip() { _kc_case_skipped=${*:-skipped}; }

need_kamal_c() {
  [[ -x $KAMAL_C ]] && return 0
  if [[ ${CI:-} == 1 || ${CI:-} == true ]]; then
    _kc_failed "$(_kc_where)" "kamal-c binary not found at $KAMAL_C (CI=1: not skipping)"
    exit 1
  fi
  printf 'skip    %s: kamal-c binary not found at %s (build it, or set KAMAL_C)\n' "$_kc_file" "$KAMAL_C"
  _kc_skip=$((_kc_skip + 1))
  exit 0
}

_kc_on_err() {   # ERR trap: report where an unexpected command failed (set -e ends the file)
  local rc=$1 cmd=$2
  ((BASH_SUBSHELL == 0)) || return 0
  _kc_failed "$(_kc_where)" "unexpected failure (exit $rc) of: $cmd"
  _kc_aborted=1
}
_kc_aborted=0
trap '_kc_on_err $? "$BASH_COMMAND"' ERR

_kc_on_exit() {
  local rc=$? after
  trap - ERR
  set +e
  if ((rc != 0 && !_kc_aborted)); then
    _kc_failed "$_kc_file" "test file exited with status $rc"
  fi
  if ((rc != 0)) && [[ -z $_kc_case ]]; then _kc_fail=$((_kc_fail + 1)); fi   # setup failure
  _kc_end_case
  after=$(_kc_guard_sum)
  if [[ $after != "$_kc_guard_before" ]]; then
    printf "FAIL %s: the machine's own ssh/docker client files changed:\n%s\n" "$_kc_file" \
      "$(diff <(echo "$_kc_guard_before") <(echo "$after"))"
    _kc_fail=$((_kc_fail + 1))
  fi
  cd /
  if [[ ${KC_KEEP:-} != 1 ]]; then
    local d
    for d in "${_kc_cleanup[@]}"; do rm -rf "$d"; done
    rm -rf "$_kc_tmp"
  else
    printf 'kept: %s %s\n' "$_kc_tmp" "${_kc_cleanup[*]}"
  fi
  printf '%s: %d passed, %d failed, %d skipped (%ds)\n' "$_kc_file" "$_kc_pass" "$_kc_fail" \
    "$_kc_skip" "$((SECONDS - _kc_started))"
  [[ -n ${KC_E2E_RESULTS:-} ]] && echo "$_kc_pass $_kc_fail $_kc_skip" >"$KC_E2E_RESULTS"
  if ((_kc_fail > 0)); then exit 1; fi
  exit 0
}
trap _kc_on_exit EXIT

# ------------------------------------------------------------------------------- asserts
assert_eq() {
  [[ $1 == "$2" ]] && return 0
  fail "${3:-values differ}: expected [$1], got [$2]"
}
assert_rc() {
  [[ $RC == "$1" ]] && return 0
  fail "${2:-exit status}: expected $1, got $RC"
}
assert_contains() {
  [[ $1 == *"$2"* ]] && return 0
  fail "${3:-missing text}: [$2] not found in [$(printf '%s' "$1" | head -c 2000)]"
}
assert_not_contains() {
  [[ $1 != *"$2"* ]] && return 0
  fail "${3:-unexpected text}: [$2] found in [$(printf '%s' "$1" | head -c 2000)]"
}
assert_match() {
  [[ $1 =~ $2 ]] && return 0
  fail "${3:-no match}: /$2/ does not match [$(printf '%s' "$1" | head -c 2000)]"
}
assert_ok() {
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  ((rc == 0)) && return 0
  fail "command failed (exit $rc): $*"$'\n'"$(printf '%s' "$out" | tail -n 20 | sed 's/^/    | /')"
}
assert_fails() {
  if "$@" >/dev/null 2>&1; then fail "command succeeded, expected a failure: $*"; fi
  return 0
}

# ------------------------------------------------------------------------------- running
kc_run() {
  local rc=0 n
  _kc_ran=1
  n=$(date +%s%N)
  OUT_FILE=$_kc_tmp/out.$n ERR_FILE=$_kc_tmp/err.$n
  KC_LAST_CMD="kamal-c$(printf ' %q' "$@")"
  [[ ${KC_E2E_VERBOSE:-} == 1 ]] && printf '    $ %s\n' "$KC_LAST_CMD"
  if [[ -n ${KC_STDIN+x} ]]; then
    HOME=$KC_HOME DOCKER_HOST=$KC_BUILDER_DOCKER_HOST DOCKER_CONFIG=$KC_HOME/.docker \
      timeout -k 5 "$KC_TIMEOUT" "$KAMAL_C" "$@" >"$OUT_FILE" 2>"$ERR_FILE" <<<"$KC_STDIN" || rc=$?
  else
    HOME=$KC_HOME DOCKER_HOST=$KC_BUILDER_DOCKER_HOST DOCKER_CONFIG=$KC_HOME/.docker \
      timeout -k 5 "$KC_TIMEOUT" "$KAMAL_C" "$@" >"$OUT_FILE" 2>"$ERR_FILE" </dev/null || rc=$?
  fi
  RC=$rc
  OUT=$(cat "$OUT_FILE")
  ERR=$(cat "$ERR_FILE")
  if [[ ${KC_E2E_VERBOSE:-} == 1 ]]; then
    _kc_show "stdout (rc $RC)" "$OUT"
    _kc_show stderr "$ERR"
  fi
  return 0
}

host_ip() { echo "${KC_NET:-10.213.0}.$((10 + $1))"; }
host_sh() {
  local i=$1; shift
  ssh -F "$KC_SSH_CONFIG" "$(host_ip "$i")" "$@"
}
host_docker() {
  local i=$1; shift
  DOCKER_CONFIG=$KC_DOCKER_CONFIG "$KC_DOCKER_CLI" -H "unix://$KC_DIR/h$i/docker.sock" "$@"
}
hosts_ctl() { "$KC_HOSTS_SH" ctl "$@"; }
# host_forget_image N REF: removes REF's image from host N with every other tag it has
# (an app boot tags IMG:latest too), so that the next pull downloads its layers again
host_forget_image() {
  local id try
  for try in 1 2 3; do
    id=$(host_docker "$1" image inspect -f '{{.Id}}' "$2" 2>/dev/null) || return 0
    host_docker "$1" rmi -f "$id" >/dev/null 2>&1 || sleep 1
  done
  ! host_docker "$1" image inspect "$2" >/dev/null 2>&1 ||
    fail "host_forget_image: $2 is still on h$1 after 3 tries (a pull test would see no pull)"
}

_kc_host_ids() { local i; for ((i = 1; i <= KC_NHOSTS; i++)); do echo "$i"; done; }
sshd_host_id() { echo $((KC_NHOSTS + $1)); }

reset_hosts() {
  local i f pids=() p rc=0
  for i in 0 $(_kc_host_ids); do             # undo faults a test left behind
    for f in "$KC_DIR/h$i"/fault.*; do
      [[ -e $f ]] && { "$KC_HOSTS_SH" ctl "$i" heal; break; }
    done
    [[ -e $KC_DIR/h$i/dockerd.pid && -e $KC_DIR/h$i/sshd.pid ]] || "$KC_HOSTS_SH" ctl "$i" heal
  done
  for ((i = KC_NHOSTS + 1; i <= KC_NHOSTS + ${KC_NSSHD:-0}; i++)); do   # sshd-only hosts
    if compgen -G "$KC_DIR/h$i/fault.*" >/dev/null || [[ ! -e $KC_DIR/h$i/sshd.pid ]]; then
      "$KC_HOSTS_SH" ctl "$i" heal
    fi
    find "$KC_DIR/h$i/home" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  done
  for i in $(_kc_host_ids); do
    (
      set +e
      ids=$(host_docker "$i" ps -aq)
      # shellcheck disable=SC2086 # one word per id
      [[ -z $ids ]] || host_docker "$i" rm -f $ids >/dev/null
      host_docker "$i" network prune -f >/dev/null
      vols=$(host_docker "$i" volume ls -q)
      # shellcheck disable=SC2086
      [[ -z $vols ]] || host_docker "$i" volume rm -f $vols >/dev/null
      find "$KC_DIR/h$i/home" "$KC_DIR/h$i/home-user" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
      [[ -z $(host_docker "$i" ps -aq) ]]
    ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  ((rc == 0)) || { fail "reset_hosts: could not clean every host"; return 0; }
  ssh_mark
}

ssh_mark() {
  local i
  for i in 0 $(_kc_host_ids) $(seq "$((KC_NHOSTS + 1))" "$((KC_NHOSTS + ${KC_NSSHD:-0}))"); do
    _kc_mark[$i]=$(wc -l <"$KC_DIR/h$i/sshd.log" 2>/dev/null || echo 0)
  done
}
ssh_logins() {   # ssh_logins N [USER]: successful logins (as USER) to host N since ssh_mark
  local i=$1
  tail -n +"$((${_kc_mark[$i]:-0} + 1))" "$KC_DIR/h$i/sshd.log" 2>/dev/null |
    grep -c "Accepted publickey${2:+ for $2 }" || true
}

need_hosts() {
  ((KC_NHOSTS >= $1)) && return 0
  t "the bed has $1 hosts"
  fail "this file needs h1..h$1 (hosts.sh up $1); the bed has $KC_NHOSTS"
  exit 1
}

need_sshd_hosts() {
  ((${KC_NSSHD:-0} >= $1)) && return 0
  local why="this file needs $1 sshd-only hosts (hosts.sh up 3 --sshd-only $1); the bed has ${KC_NSSHD:-0}"
  if [[ ${CI:-} == 1 || ${CI:-} == true ]]; then
    t "the bed has $1 sshd-only hosts"
    fail "$why"
    exit 1
  fi
  printf 'skip    %s: %s\n' "$_kc_file" "$why"
  _kc_skip=$((_kc_skip + 1))
  exit 0
}

# shellcheck disable=SC2120 # the argument is optional
bed_yaml() {
  printf 'registry: {server: %s, username: %s, password: [KAMAL_REGISTRY_PASSWORD]}\n' \
    "$KC_REGISTRY" "$KC_REGISTRY_USER"
  printf 'builder: {arch: amd64}\n'
  [[ ${1:-} == - ]] || printf 'ssh: {config: %s}\n' "${1:-$KC_SSH_CONFIG}"
}

new_project() {
  local d
  d=$(mktemp -d "${TMPDIR:-/tmp}/kc-e2e-project.XXXXXX")
  _kc_cleanup+=("$d")
  mkdir -p "$d/config" "$d/.kamal"
  printf 'KAMAL_REGISTRY_PASSWORD=%s\n' "$KC_REGISTRY_PASSWORD" >"$d/.kamal/secrets"
  cd "$d"
  if [[ ${1:-} == --git ]]; then
    git init -q
    git -c user.name=kc-e2e -c user.email=kc-e2e@localhost commit -q --allow-empty -m init
  fi
  export KC_PROJECT=$d
}

_kc_git() { git -C "$1" -c user.name=kc-e2e -c user.email=kc-e2e@localhost "${@:2}"; }

# The sandbox bed's (7) addresses in examples/app become this bed's; servers become h<N>...
make_app_repo() {
  local dir=$1 n servers=""; shift
  (($#)) || set -- 1
  for n in "$@"; do servers+="  - $(host_ip "$n")"$'\n'; done
  mkdir -p "$dir"
  cp -R "$KC_REPO/examples/app/." "$dir/"
  sed -i -e "s|10\.213\.7\.|$KC_NET.|g" -e "s|/tmp/kc7-bed/|$KC_DIR/|g" \
    "$dir/Dockerfile" "$dir/config/deploy.yml"
  awk -v servers="$servers" '
    /^servers:/ { print; printf "%s", servers; skip = 1; next }
    skip && /^  - / { next }
    { skip = 0; print }' "$dir/config/deploy.yml" >"$dir/config/deploy.yml.new"
  mv "$dir/config/deploy.yml.new" "$dir/config/deploy.yml"
  git -C "$dir" init -q
  _kc_git "$dir" add -A
  _kc_git "$dir" commit -q -m "example app"
  echo "$dir"
}

app_commit() {
  local dir=$1
  echo "${2:-change $(date +%s%N)}" >>"$dir/CHANGES"
  _kc_git "$dir" add CHANGES
  _kc_git "$dir" commit -q -m "${2:-a change}"
  git -C "$dir" rev-parse HEAD
}

proxy_run_yaml() {
  printf '{registry: %s, repository: basecamp/kamal-proxy, version: %s}\n' "$KC_REGISTRY" \
    "${1:-${KC_PROXY_IMAGE##*:}}"
}

KC_LOAD=$_kc_tmp/load
under_load() {
  local old=$1 new=$2 h p pids=() i r rc out err total bad load=$KC_LOAD min=${LOAD_MIN:-700}
  shift 2
  rm -f "$load".*
  for h in ${LOAD_HOSTS:-$(host_ip 1) $(host_ip 2) $(host_ip 3)}; do
    (   # bounded: at most 20000 requests to this bed's address, each at most 5 s
      for ((i = 0; i < 20000; i++)); do
        [[ -e $load.stop && $i -ge $min ]] && break
        r=$(curl -s --max-time 5 -w ' %{http_code}' "http://$h/") || r="curl failed: $r"
        echo "${r//$'\n'/}"
      done >"$load.$h"
    ) &
    pids+=($!)
  done
  while (($(cat "$load".[0-9]* 2>/dev/null | wc -l) < 50)); do sleep 0.05; done
  ${RUNNER:-kc_run} "$@"
  rc=$RC out=$OUT err=$ERR
  touch "$load.stop"
  for p in "${pids[@]}"; do wait "$p"; done
  RC=$rc OUT=$out ERR=$err
  total=$(cat "$load".[0-9]* | wc -l)
  ((total >= ${#pids[@]} * min)) || fail "only $total requests"
  bad=$(cat "$load".[0-9]* | grep -v -e "^version $old on .* 200\$" -e "^version $new on .* 200\$" | head -5 || true)
  assert_eq "" "$bad" "every response is 200 from $old or $new"
  echo "    load: $total requests, $(cat "$load".[0-9]* | grep -c "^version $new ") from the new version"
}

get() { curl -sS --max-time 5 "http://$1/" || true; }
cid() { local id; id=$(host_docker "$1" inspect -f '{{.Id}}' "$2" 2>/dev/null) || id=none; echo "$id"; }
ids() { local i; for i in 1 2 3; do cid $i "app-web-$1"; done; }
serves() {
  local i
  for i in 1 2 3; do
    assert_match "$(get "$(host_ip $i)")" "^version $1 on " "$(host_ip $i) serves $1"
  done
}

ssh_mark
