#!/usr/bin/env bash
# bench/run.sh - kamal-c's speed, measured against the floor, OpenSSH and the targets.
#
#   bash bench/run.sh                     everything, on test bed 2 (10.213.2.0/24)
#   HOSTS="1 3" RUNS=20 bash bench/run.sh fewer hosts / runs
#   ONLY="a c" bash bench/run.sh          some sections: a version, b config load, c server
#                                         exec, d no-op accessory boot, s session latency,
#                                         f fleets of 10/50/100 hosts (not run by default),
#                                         p the app: no-op `app boot` on HOSTS, and a new version's
#                                         boot on one host vs the same steps by hand
#   ONLY=f bash bench/run.sh              the fleet section alone (~15 min on a loaded machine)
#   ONLY=g bash bench/run.sh              build push / build pull (not run by default)
#   KAMAL_C=/path/to/kamal-c bash bench/run.sh   measure another binary (a patched build)
#
# Settings (environment):
#   KC_BED      the test bed (default 2). Beds 0 and 1 belong to other people's test runs:
#               refused unless KC_BENCH_ALLOW_BED=1.
#   HOSTS       host counts for c and d (default "1 3 10"); the bed is brought up with the largest
#   RUNS        timed runs per command (default 30); WARMUP runs before them (default 3)
#   FAST_RUNS   timed runs for the local-only a and b (default 200, after 10 warm-up)
#   BUILD       build directory (default <repo>/build-bench), RelWithDebInfo
#   KAMAL_C     the binary to measure (default $BUILD/kamal-c, built here)
#   KC_BENCH_DOWN=1   take the bed down at the end
#   FLEET       fleet sizes for f (default "10 50 100"; at most 244)
#   FLEET_DOCKER  hosts with a dockerd in every fleet (default 3): h1..h3 carry the accessory,
#               the rest are sshd-only hosts (hosts.sh up N --sshd-only M)
#   FLEET_RUNS  timed runs per command in f (default 10, after 2 warm-up)
#   BUILD_HOSTS host counts for g's build pull (default "3 10"); BUILD_RUNS timed runs in g
#               (default 10, after 2 warm-up)
#   BUILD_PAYLOAD_MB  a layer of that many MB of random bytes added to g's app image (default
#               64; 0 for the bare 10 KiB example app), so that a pull moves what an app's would
#   RESULTS     where the results go (default bench/RESULTS.md, overwritten)
#   APP_RUNS    timed runs of p's new-version boot (default 10); KAMAL_RUNS those of p's Kamal
#               rows (default APP_RUNS, else 5), when tests/e2e/kamal-ref.sh has installed Kamal
#   BENCH_KEEP  set: keep the work directory (/tmp/kc-bench.*: projects, traces) for a look after
#
# Section f needs parallel-ssh (Debian's pssh) and /usr/bin/time (Debian's time).
# Needs root (the bed), hyperfine, python3. Builds kamal-c, bench/floor and
# bench/session_latency, brings the bed up (idempotent) and seeds its images, then
# measures with hyperfine: medians are the headline numbers (the machine has 2 cores and
# other work on it), with mean ± sd and min beside them. Writes bench/RESULTS.md (overwritten)
# and prints the same tables.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
export KC_BED=${KC_BED:-2}
if [[ $KC_BED == 0 || $KC_BED == 1 ]] && [[ ${KC_BENCH_ALLOW_BED:-} != 1 ]]; then
  echo "run.sh: KC_BED=$KC_BED is another team's bed; use your own (default 2)," \
    "or set KC_BENCH_ALLOW_BED=1 if it really is free" >&2
  exit 2
fi
HOSTS=${HOSTS:-"1 3 10"}
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
FAST_RUNS=${FAST_RUNS:-200}
ONLY=${ONLY:-"a b c d s p"}
BUILD=${BUILD:-$REPO/build-bench}
HOSTS_SH=$REPO/tests/e2e/hosts.sh
RESULTS=${RESULTS:-$BENCH_DIR/RESULTS.md}

log() { printf '%s run.sh: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
want() { [[ " $ONLY " == *" $1 "* ]]; }

[[ $(id -u) == 0 ]] || die "needs root (the test bed uses network namespaces)"
command -v hyperfine >/dev/null || die "hyperfine is not installed"
command -v python3 >/dev/null || die "python3 is not installed"
max_hosts=0
for n in $HOSTS; do
  [[ $n =~ ^[1-9][0-9]?$ ]] || die "HOSTS: '$n' is not a host count (1..99)"
  ((n > max_hosts)) && max_hosts=$n
done
FLEET=${FLEET:-"10 50 100"}
FLEET_DOCKER=${FLEET_DOCKER:-3}
FLEET_RUNS=${FLEET_RUNS:-10}
max_fleet=0
if want f; then
  command -v parallel-ssh >/dev/null || die "section f needs parallel-ssh (apt-get install pssh)"
  [[ -x /usr/bin/time ]] || die "section f needs /usr/bin/time (apt-get install time)"
  for n in $FLEET; do
    [[ $n =~ ^[1-9][0-9]*$ ]] && ((n <= 244 && n >= FLEET_DOCKER)) ||
      die "FLEET: '$n' is not a fleet size ($FLEET_DOCKER..244)"
    ((n > max_fleet)) && max_fleet=$n
  done
fi
# the bed: docker hosts for c, d and f's accessory hosts, then sshd-only hosts up to the largest fleet
bed_docker=$max_hosts
want c || want d || want s || want p || bed_docker=0
((bed_docker >= FLEET_DOCKER || max_fleet == 0)) || bed_docker=$FLEET_DOCKER
BUILD_HOSTS=${BUILD_HOSTS:-"3 10"}
BUILD_RUNS=${BUILD_RUNS:-10}
BUILD_PAYLOAD_MB=${BUILD_PAYLOAD_MB:-64}
if want g; then
  for n in $BUILD_HOSTS; do
    [[ $n =~ ^[1-9][0-9]?$ ]] || die "BUILD_HOSTS: '$n' is not a host count (1..99)"
    ((n > bed_docker)) && bed_docker=$n
  done
fi
((bed_docker > 0)) || bed_docker=1
bed_sshd=$((max_fleet > bed_docker ? max_fleet - bed_docker : 0))

# ---- build ----------------------------------------------------------------------------------
log "building in $BUILD"
cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
make -C "$BUILD" -j2 --no-print-directory kamal-c floor session_latency >/dev/null
if [[ -n ${KAMAL_C:-} ]]; then
  source_note="given by KAMAL_C"
else
  KAMAL_C=$BUILD/kamal-c
  dirty=$(git -C "$REPO" status --porcelain -- src include CMakeLists.txt 2>/dev/null |
    awk '{print $2}' | tr '\n' ' ')
  source_note="built from commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
  [[ -z $dirty ]] || source_note+=" with uncommitted changes in: ${dirty% }"
fi
FLOOR=$BUILD/floor
SESSION_LATENCY=$BUILD/session_latency
[[ -x $KAMAL_C ]] || die "no binary at $KAMAL_C"

# ---- the bed --------------------------------------------------------------------------------
log "bed $KC_BED: up $bed_docker --sshd-only $bed_sshd"
"$HOSTS_SH" up "$bed_docker" --sshd-only "$bed_sshd" >/dev/null 2>&1 ||
  die "hosts.sh up $bed_docker --sshd-only $bed_sshd failed (KC_BED=$KC_BED)"
"$REPO/tests/e2e/seed-images.sh" >/dev/null 2>&1 || die "seed-images.sh failed"
want_bed=$KC_BED
eval "$("$HOSTS_SH" env)"
[[ $KC_BED == "$want_bed" && -n ${KC_NET:-} ]] || die "hosts.sh env is not bed $want_bed"
host_ip() { echo "$KC_NET.$((10 + $1))"; }
hosts_list() { # N -> "ip1 ip2 ..."
  local i out=()
  for ((i = 1; i <= $1; i++)); do out+=("$(host_ip "$i")"); done
  echo "${out[*]}"
}

WORK=$(mktemp -d /tmp/kc-bench.XXXXXX)
trap '[[ -n ${BENCH_KEEP:-} ]] || rm -rf "$WORK"' EXIT
# The local docker CLI (never used by the measured verbs) and git stay off ~/.
export DOCKER_CONFIG=$KC_DOCKER_CONFIG

# ---- projects -------------------------------------------------------------------------------
# project N: servers h1..hN, two accessories on every host (one with a secret env), the
# registry password in .kamal/secrets, the bed's ssh config (key + known_hosts).
make_project() {
  local d=$WORK/p$1
  write_project "$d" "$1" "roles: [web]"
  echo "$d"
}
# write_project DIR N PLACEMENT: the project files of make_project/make_fleet; PLACEMENT is
# where both accessories go ("roles: [web]", "hosts: [...]")
write_project() {
  local d=$1 n=$2 place=$3 h
  mkdir -p "$d/config" "$d/.kamal"
  printf 'KAMAL_REGISTRY_PASSWORD=%s\nDB_PASSWORD=bench-secret\n' "$KC_REGISTRY_PASSWORD" \
    >"$d/.kamal/secrets"
  {
    printf 'service: bench\nimage: kc/web\nservers:\n  web:\n'
    for h in $(hosts_list "$n"); do echo "    - $h"; done
    cat <<EOF
registry:
  server: $KC_REGISTRY
  username: $KC_REGISTRY_USER
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
ssh:
  config: $KC_SSH_CONFIG
accessories:
  db:
    image: $KC_REGISTRY/kc/web:1
    $place
    env:
      clear:
        GREETING: hello
      secret:
        - DB_PASSWORD
  cache:
    image: $KC_REGISTRY/kc/web:2
    $place
EOF
  } >"$d/config/deploy.yml"
}

# the big config for b: 200 hosts in 2 roles, 20 accessories with env, volumes, ports, labels
make_big_config() {
  local d=$WORK/big i a
  mkdir -p "$d/config" "$d/.kamal"
  printf 'KAMAL_REGISTRY_PASSWORD=x\nDB_PASSWORD=y\nAPI_KEY=z\n' >"$d/.kamal/secrets"
  {
    cat <<EOF
service: big
image: acme/big
servers:
  web:
    hosts:
EOF
    for ((i = 0; i < 150; i++)); do echo "      - 10.220.$((i / 200)).$((i % 200 + 10))"; done
    cat <<EOF
    labels:
      team: web
  workers:
    hosts:
EOF
    for ((i = 150; i < 200; i++)); do echo "      - 10.220.$((i / 200)).$((i % 200 + 10))"; done
    cat <<EOF
    cmd: bin/jobs
registry:
  server: registry.example.com
  username: acme
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
env:
  clear:
    RAILS_ENV: production
  secret:
    - DB_PASSWORD
ssh:
  user: deploy
accessories:
EOF
    for ((a = 1; a <= 20; a++)); do
      cat <<EOF
  acc$a:
    image: registry.example.com/acme/acc$a:1.$a
    host: 10.220.0.$((a + 9))
    port: "127.0.0.1:$((7000 + a)):$((6000 + a))"
    cmd: serve --port $((6000 + a))
    labels:
      purpose: bench
    env:
      clear:
        ACC_NAME: acc$a
        ACC_PORT: "$((6000 + a))"
      secret:
        - API_KEY
    volumes:
      - /var/lib/acc$a:/data
    options:
      memory: 256m
EOF
    done
  } >"$d/config/deploy.yml"
  echo "$d"
}

# ---- measuring ------------------------------------------------------------------------------
# hf NAME DIR [hyperfine args...] COMMANDS...: runs hyperfine in DIR, JSON to $WORK/NAME.json
hf() {
  local name=$1 dir=$2
  shift 2
  (cd "$dir" && hyperfine --style none -w "${HF_WARMUP:-$WARMUP}" -r "${HF_RUNS:-$RUNS}" \
    --export-json "$WORK/$name.json" "$@" >"$WORK/$name.log" 2>&1) ||
    { cat "$WORK/$name.log" >&2; die "hyperfine $name failed"; }
}
# hstat NAME INDEX FIELD: median|mean|stddev|min|max in ms
hstat() {
  python3 - "$WORK/$1.json" "$2" "$3" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]
print("%.1f" % (r[sys.argv[3]] * 1000))
EOF
}
cell() { # "**median** (mean ± sd)"
  printf '**%s** (%s ± %s)' "$(hstat "$1" "$2" median)" "$(hstat "$1" "$2" mean)" \
    "$(hstat "$1" "$2" stddev)"
}
plural() { if (($1 > 1)); then echo s; fi; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
verdict() { python3 -c "print('met' if $1 else 'MISSED')"; }
ssh_par() { # N CMD -> a shell loop running CMD on N hosts in parallel with OpenSSH
  local h s=""
  for h in $(hosts_list "$1"); do s+="ssh -F $KC_SSH_CONFIG $h $2 & "; done
  echo "${s}wait"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
declare -a T_MAIN=()

if want a || want b; then
  big=$(make_big_config)
  (cd "$big" && "$KAMAL_C" config >/dev/null) || die "the 200-host config does not load"
fi
if want a; then
  log "a) kamal-c version"
  HF_RUNS=$FAST_RUNS HF_WARMUP=10 hf version "$big" -N "$KAMAL_C version"
  v_med=$(hstat version 0 median)
  T_MAIN+=("| a | \`kamal-c version\` | $(cell version 0) | | | | < 5 ms | $(verdict "$v_med < 5") |")
fi
if want b; then
  log "b) config load + validate: 200 hosts, 20 accessories"
  HF_RUNS=$FAST_RUNS HF_WARMUP=10 hf config "$big" -N "$KAMAL_C config -c config/deploy.yml" \
    "$KAMAL_C version"
  c_med=$(hstat config 0 median)
  T_MAIN+=("| b | \`kamal-c config -c FILE\`: 200 hosts, 20 accessories ($(wc -c <"$big/config/deploy.yml") bytes) | $(cell config 0) | | | | < 20 ms | $(verdict "$c_med < 20") |")
  T_MAIN+=("| b | \`kamal-c version\` in the same run (process start) | $(cell config 1) | | | | | config load = $(python3 -c "print('%.1f' % ($c_med - $(hstat config 1 median)))") ms |")
fi

if want c || want d; then
  for n in $HOSTS; do make_project "$n" >/dev/null; done
fi
if want c; then
  for n in $HOSTS; do
    log "c) server exec true on $n host(s)"
    hl=$(hosts_list "$n")
    hf "exec$n" "$WORK/p$n" -N "$KAMAL_C server exec true" "$FLOOR true $hl" "$FLOOR -q true $hl"
    hf "sshexec$n" "$WORK/p$n" "$(ssh_par "$n" true)"
    k=$(hstat "exec$n" 0 median) f=$(hstat "exec$n" 1 median)
    r=$(ratio "$k" "$f")
    rq=$(ratio "$k" "$(hstat "exec$n" 2 median)")
    T_MAIN+=("| c | \`server exec true\`, $n host$(plural "$n") | $(cell "exec$n" 0) | $(cell "exec$n" 1) | $(cell "exec$n" 2) | $(cell "sshexec$n" 0) | ≤ 1.2 × floor | ${r} × $(verdict "$r <= 1.2") (${rq} × floor -q) |")
  done
fi
if want d; then
  for n in $HOSTS; do
    log "d) no-op accessory boot all on $n host(s)"
    hl=$(hosts_list "$n")
    (cd "$WORK/p$n" && "$KAMAL_C" accessory boot all >"$WORK/boot$n.first" 2>&1) ||
      { cat "$WORK/boot$n.first" >&2; die "the first boot on $n hosts failed"; }
    # the runs below must be no-ops: every accessory unchanged, no lock, one probe per host
    (cd "$WORK/p$n" && "$KAMAL_C" -v accessory boot all >"$WORK/boot$n.check" 2>&1) ||
      die "the no-op boot on $n hosts failed"
    unchanged=$(grep -c ': unchanged' "$WORK/boot$n.check" || true)
    ((unchanged == 2 * n)) || { cat "$WORK/boot$n.check" >&2; die "expected $((2 * n)) unchanged"; }
    ! grep -q 'lock' "$WORK/boot$n.check" || die "the no-op boot touched the lock"
    cmds=$(grep -c '\] \$ ' "$WORK/boot$n.check" || true)
    # kamal-c's own probe (the same on every host here), for floor -q -f: the verb's remote
    # work without kamal-c
    sed -n 's/^\[[^]]*\] \$ //p' "$WORK/boot$n.check" | sort -u >"$WORK/probe$n.cmd"
    (($(wc -l <"$WORK/probe$n.cmd") == 1)) || die "the probe differs between hosts"
    hf "boot$n" "$WORK/p$n" -N "$KAMAL_C accessory boot all" "$FLOOR 'docker ps' $hl" \
      "$FLOOR -q 'docker ps' $hl" "$FLOOR -q -f $WORK/probe$n.cmd $hl"
    hf "sshps$n" "$WORK/p$n" "$(ssh_par "$n" "docker ps")"
    k=$(hstat "boot$n" 0 median) f=$(hstat "boot$n" 1 median)
    r=$(ratio "$k" "$f")
    case $n in 1) kamal=1600 ;; 3) kamal=1900 ;; *) kamal= ;; esac
    if [[ -n $kamal ]]; then
      vs_kamal="| d | same, vs Kamal's $kamal ms (issue) | | | | | ≥ 10 × faster | $(python3 -c "print('%.0f' % ($kamal / $k))") × $(verdict "$kamal / $k >= 10") |"
    else
      vs_kamal=
    fi
    rq=$(ratio "$k" "$(hstat "boot$n" 2 median)")
    T_MAIN+=("| d | no-op \`accessory boot all\`, $n host$(plural "$n"), 2 accessories ($cmds remote command$(plural "$cmds"), no lock) vs \`docker ps\` | $(cell "boot$n" 0) | $(cell "boot$n" 1) | $(cell "boot$n" 2) | $(cell "sshps$n" 0) | ≤ 1.2 × floor | ${r} × $(verdict "$r <= 1.2") (${rq} × floor -q) |")
    rp=$(ratio "$k" "$(hstat "boot$n" 3 median)")
    T_MAIN+=("| d | same, floor -q running kamal-c's own probe command instead of \`docker ps\` | | | $(cell "boot$n" 3) | | | kamal-c = ${rp} × |")
    [[ -z $vs_kamal ]] || T_MAIN+=("$vs_kamal")
  done
  log "floor phases on $max_hosts hosts"
  # shellcheck disable=SC2046 # one argument per host
  "$FLOOR" -t 'docker ps' $(hosts_list "$max_hosts") >"$WORK/phases.txt" 2>&1 || true
fi
# ---- f: fleets of 10, 50, 100 hosts ---------------------------------------------------------
# make_fleet N: servers h1..hN; the two accessories only on h1..h$FLEET_DOCKER (hosts with a
# dockerd; the others are sshd-only hosts, or docker hosts without the accessory). deploy.yml
# keeps the default sshkit.max_concurrent_starts (30), deploy-wide.yml raises it to N.
make_fleet() {
  local n=$1 d=$WORK/f$1
  write_project "$d" "$n" "hosts: [$(hosts_list "$FLEET_DOCKER" | sed 's/ /, /g')]"
  { cat "$d/config/deploy.yml"; printf 'sshkit:\n  max_concurrent_starts: %s\n' "$n"; } \
    >"$d/config/deploy-wide.yml"
  hosts_list "$n" | tr ' ' '\n' >"$d/hosts.txt"
  hosts_list "$FLEET_DOCKER" | tr ' ' '\n' >"$d/docker-hosts.txt"
}
# pssh_script N NAME HOSTFILE CMDFILE: a script running CMDFILE's command on every host of
# HOSTFILE with parallel-ssh -p 100 (the command goes to a remote `sh` on stdin, so it needs no
# quoting), for hyperfine
pssh_script() {
  local f=$WORK/f$1/pssh-$2.sh
  printf 'exec parallel-ssh -p 100 -t 60 -h %q -x %q -I sh <%q >/dev/null\n' "$3" \
    "-F $KC_SSH_CONFIG" "$4" >"$f"
  echo "$f"
}
# peak_rss DIR ARGS...: kamal-c's peak RSS in MB (/usr/bin/time -v), one run
peak_rss() {
  local dir=$1 kb
  shift
  (cd "$dir" && /usr/bin/time -v -o "$WORK/rss.txt" "$KAMAL_C" "$@" >/dev/null 2>&1) || true
  kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/rss.txt")
  python3 -c "print('%.1f' % ($kb / 1024))"
}
fcell() { printf '**%s**' "$(hstat "$1" "$2" median)"; }
# frow NAME WHAT N: one row from hyperfine run NAME (kamal-c, kamal-c wide, floor, floor -q,
# parallel-ssh) and the peak RSS in RSS_DEF / RSS_WIDE
frow() {
  local name=$1 what=$2 n=$3 k kw f p r rw rp
  k=$(hstat "$name" 0 median) kw=$(hstat "$name" 1 median)
  f=$(hstat "$name" 2 median) p=$(hstat "$name" 4 median)
  r=$(ratio "$k" "$f") rw=$(ratio "$kw" "$f")
  rp=$(python3 -c "print('%.1f' % ($p / min($k, $kw)))")
  T_FLEET+=("| f | $what | $n | $(fcell "$name" 0) | $(fcell "$name" 1) | $(fcell "$name" 2) | $(fcell "$name" 3) | $(fcell "$name" 4) | $RSS_DEF / $RSS_WIDE | ${r} × / ${rw} × $(verdict "$r <= 1.2 and $rw <= 1.2"); parallel-ssh = ${rp} × kamal-c $(verdict "$p > max($k, $kw)") |")
}
declare -a T_FLEET=()
if want f; then
  for n in $FLEET; do
    make_fleet "$n"
    d=$WORK/f$n
    hl=$(hosts_list "$n") dl=$(hosts_list "$FLEET_DOCKER") primary=$(host_ip 1)
    log "f) $n hosts: server exec true"
    (cd "$d" && "$KAMAL_C" server exec true >"$WORK/fexec$n.check" 2>&1) ||
      { cat "$WORK/fexec$n.check" >&2; die "server exec true on $n hosts failed"; }
    echo true >"$d/true.cmd"
    RSS_DEF=$(peak_rss "$d" server exec true)
    RSS_WIDE=$(peak_rss "$d" -c config/deploy-wide.yml server exec true)
    HF_RUNS=$FLEET_RUNS HF_WARMUP=2 hf "fexec$n" "$d" -N "$KAMAL_C server exec true" \
      "$KAMAL_C -c config/deploy-wide.yml server exec true" "$FLOOR true $hl" \
      "$FLOOR -q true $hl" "bash $(pssh_script "$n" exec "$d/hosts.txt" "$d/true.cmd")"
    frow "fexec$n" "\`server exec true\` (every host)" "$n"

    log "f) $n hosts: lock status"
    out=$(cd "$d" && "$KAMAL_C" lock status 2>&1) || die "lock status on $n hosts failed: $out"
    [[ $out == *"There is no deploy lock"* ]] || die "lock status: unexpected: $out"
    # kamal-c's lock read (not traced: KC_QUIET) as commands/host.c builds it, and '|| true':
    # it exits 1 when there is no lock, which floor and parallel-ssh would count as a failure
    echo 'test -d .kamal/lock-bench && ( cat .kamal/lock-bench/details || true ) || true' \
      >"$d/lock.cmd"
    echo "$primary" >"$d/primary.txt"
    RSS_DEF=$(peak_rss "$d" lock status)
    RSS_WIDE=$(peak_rss "$d" -c config/deploy-wide.yml lock status)
    HF_RUNS=$FLEET_RUNS HF_WARMUP=2 hf "flock$n" "$d" -N "$KAMAL_C lock status" \
      "$KAMAL_C -c config/deploy-wide.yml lock status" "$FLOOR -f $d/lock.cmd $primary" \
      "$FLOOR -q -f $d/lock.cmd $primary" \
      "bash $(pssh_script "$n" lock "$d/primary.txt" "$d/lock.cmd")"
    frow "flock$n" "\`lock status\` (reads the primary host only; floor and parallel-ssh: that read there)" "$n"

    log "f) $n hosts: no-op accessory boot all"
    (cd "$d" && "$KAMAL_C" accessory boot all >"$WORK/fboot$n.first" 2>&1) ||
      { cat "$WORK/fboot$n.first" >&2; die "the first boot on $n hosts failed"; }
    (cd "$d" && "$KAMAL_C" -v accessory boot all >"$WORK/fboot$n.check" 2>&1) ||
      die "the no-op boot on $n hosts failed"
    unchanged=$(grep -c ': unchanged' "$WORK/fboot$n.check" || true)
    ((unchanged == 2 * FLEET_DOCKER)) ||
      { cat "$WORK/fboot$n.check" >&2; die "expected $((2 * FLEET_DOCKER)) unchanged"; }
    ! grep -q 'lock' "$WORK/fboot$n.check" || die "the no-op boot touched the lock"
    (($(grep -c '\] \$ ' "$WORK/fboot$n.check") == FLEET_DOCKER)) ||
      die "the no-op boot ran commands on other hosts than the accessory's"
    sed -n 's/^\[[^]]*\] \$ //p' "$WORK/fboot$n.check" | sort -u >"$d/probe.cmd"
    (($(wc -l <"$d/probe.cmd") == 1)) || die "the probe differs between hosts"
    RSS_DEF=$(peak_rss "$d" accessory boot all)
    RSS_WIDE=$(peak_rss "$d" -c config/deploy-wide.yml accessory boot all)
    HF_RUNS=$FLEET_RUNS HF_WARMUP=2 hf "fboot$n" "$d" -N "$KAMAL_C accessory boot all" \
      "$KAMAL_C -c config/deploy-wide.yml accessory boot all" "$FLOOR -f $d/probe.cmd $dl" \
      "$FLOOR -q -f $d/probe.cmd $dl" \
      "bash $(pssh_script "$n" probe "$d/docker-hosts.txt" "$d/probe.cmd")"
    frow "fboot$n" "no-op \`accessory boot all\` (2 accessories on h1..h$FLEET_DOCKER, the hosts with a dockerd: one probe each, no lock; floor and parallel-ssh: kamal-c's probe there)" "$n"
  done
fi
# ---- p: the app behind kamal-proxy ----------------------------------------------------------
# The example app (examples/app) built twice on the builder host h0 (bench/app:v1, :v2), kamal-proxy
# from the bed's image. Per host count: proxy boot + app boot v1 once, then the no-op `app boot`
# (every host unchanged, no lock) against the floor's `docker ps`. On one host: `app boot` of a
# new version (v2; before each run v1 serves again and v2's container is gone) against the same
# docker run + kamal-proxy deploy + docker stop, taken from kamal-c's -v trace and run by hand
# over one ssh connection.
app_builder() {
  DOCKER_HOST=$KC_BUILDER_DOCKER_HOST DOCKER_BUILDKIT=0 "$KC_DOCKER_CLI" "$@"
}
make_app_project() { # N -> dir
  local n=$1 d=$WORK/app$1 h
  mkdir -p "$d/config" "$d/.kamal"
  printf 'KAMAL_REGISTRY_PASSWORD=%s\n' "$KC_REGISTRY_PASSWORD" >"$d/.kamal/secrets"
  {
    echo "service: bench"
    echo "image: bench/app"
    echo "servers:"
    for h in $(hosts_list "$n"); do echo "  - $h"; done
    cat <<EOF
registry:
  server: $KC_REGISTRY
  username: $KC_REGISTRY_USER
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
ssh:
  config: $KC_SSH_CONFIG
proxy:
  healthcheck:
    path: /up
  run:
    registry: $KC_REGISTRY
    repository: basecamp/kamal-proxy
    version: ${KC_PROXY_IMAGE##*:}
EOF
  } >"$d/config/deploy.yml"
  echo "$d"
}
# kamal_rows N DIR: Kamal itself (tests/e2e/kamal-ref.sh) next to kamal-c on the same N hosts:
# `deploy -P` of the running version and of a new one. Kamal has no no-op: it replaces the
# container. Each new-version run starts from v1 serving and no v2 container (kamal-c brings v1
# back, then v2's containers go). Kamal's -P also removes and pulls the image every time.
kamal_rows() {
  local n=$1 d=$2 h k m
  log "p) Kamal's deploy -P on $n host(s), the running version and a new one"
  (cd "$d" && "$KAMAL_REF" deploy -P --version v1 >"$WORK/kamal$n.check" 2>&1) ||
    { cat "$WORK/kamal$n.check" >&2; die "Kamal's deploy -P on $n hosts failed"; }
  HF_RUNS=$KAMAL_RUNS HF_WARMUP=0 hf "kamalnoop$n" "$d" -N "$KAMAL_REF deploy -P --version v1"
  k=$(hstat "deploynoop$n" 0 median) m=$(hstat "kamalnoop$n" 0 median)
  T_MAIN+=("| p | \`deploy -P\` of the running version, $n host$(plural "$n"): kamal-c (no-op, above) vs Kamal 2.11 (a new container: Kamal has no no-op) | **$k** | Kamal: $(cell "kamalnoop$n" 0) | | | | Kamal = $(ratio "$m" "$k") × kamal-c |")
  {
    printf 'cd %q && %q app boot --version v1 >/dev/null 2>&1 || exit 1\n' "$d" "$KAMAL_C"
    for h in $(hosts_list "$n"); do
      printf 'ssh -F %q %q %q\n' "$KC_SSH_CONFIG" "$h" 'docker rm -f bench-web-v2 >/dev/null 2>&1; true'
    done
  } >"$WORK/prepare-new$n.sh"
  HF_RUNS=$KAMAL_RUNS HF_WARMUP=0 hf "deploynew$n" "$d" --prepare "bash $WORK/prepare-new$n.sh" -N \
    "$KAMAL_C deploy -P --version v2" "$KAMAL_REF deploy -P --version v2"
  k=$(hstat "deploynew$n" 0 median) m=$(hstat "deploynew$n" 1 median)
  T_MAIN+=("| p | \`deploy -P\` of a new version, $n host$(plural "$n") (pull, proxy check, boot through kamal-proxy, old stopped, prune): kamal-c vs Kamal 2.11 | $(cell "deploynew$n" 0) | Kamal: $(cell "deploynew$n" 1) | | | | Kamal = $(ratio "$m" "$k") × kamal-c |")
  bash "$WORK/prepare-new$n.sh" || die "could not bring v1 back on $n hosts"
  (cd "$d" && "$KAMAL_C" deploy -P --version v1 >/dev/null 2>&1) || die "kamal-c deploy -P v1 failed"
}
KAMAL_REF=$("$REPO/tests/e2e/kamal-ref.sh" path 2>/dev/null) || KAMAL_REF=""
KAMAL_RUNS=${KAMAL_RUNS:-${APP_RUNS:-5}}

if want p; then
  [[ -n $KAMAL_REF ]] || log "p) Kamal is not installed (tests/e2e/kamal-ref.sh install): no Kamal rows"
  log "p) the example app: v1 and v2 built on h0 and pushed"
  for v in v1 v2; do
    src=$WORK/appsrc-$v
    mkdir -p "$src" && cp -R "$REPO/examples/app/." "$src/"
    sed -i "s|10\.213\.7\.|$KC_NET.|g" "$src/Dockerfile"
    echo "$v" >"$src/BENCH_VERSION"
    { app_builder build -q --label service=bench -t "$KC_REGISTRY/bench/app:$v" "$src" &&
      app_builder push "$KC_REGISTRY/bench/app:$v"; } >"$WORK/appbuild.log" 2>&1 ||
      { cat "$WORK/appbuild.log" >&2; die "building the example app failed"; }
  done
  for n in $HOSTS; do
    log "p) no-op app boot on $n host(s)"
    d=$(make_app_project "$n")
    hl=$(hosts_list "$n")
    (cd "$d" && "$KAMAL_C" proxy boot && "$KAMAL_C" app boot --version v1) >"$WORK/app$n.first" 2>&1 ||
      { cat "$WORK/app$n.first" >&2; die "the first app boot on $n hosts failed"; }
    (cd "$d" && "$KAMAL_C" -v app boot --version v1 >"$WORK/app$n.check" 2>&1) ||
      die "the no-op app boot on $n hosts failed"
    unchanged=$(grep -c ': unchanged' "$WORK/app$n.check" || true)
    ((unchanged == n)) || { cat "$WORK/app$n.check" >&2; die "expected $n unchanged"; }
    ! grep -q 'lock' "$WORK/app$n.check" || die "the no-op app boot touched the lock"
    cmds=$(grep -c '\] \$ ' "$WORK/app$n.check" || true)
    hf "appboot$n" "$d" -N "$KAMAL_C app boot --version v1" "$FLOOR 'docker ps' $hl" \
      "$FLOOR -q 'docker ps' $hl"
    k=$(hstat "appboot$n" 0 median) f=$(hstat "appboot$n" 1 median)
    r=$(ratio "$k" "$f")
    rq=$(ratio "$k" "$(hstat "appboot$n" 2 median)")
    T_MAIN+=("| p | no-op \`app boot\`, $n host$(plural "$n") ($cmds remote command$(plural "$cmds"), no lock) vs \`docker ps\` | $(cell "appboot$n" 0) | $(cell "appboot$n" 1) | $(cell "appboot$n" 2) | | ≤ 1.5 × floor | ${r} × $(verdict "$r <= 1.5") (${rq} × floor -q) |")
    # the same hosts through the whole deploy: one probe per host finds nothing to do
    (cd "$d" && "$KAMAL_C" -v deploy -P --version v1 >"$WORK/deploy$n.check" 2>&1) ||
      { cat "$WORK/deploy$n.check" >&2; die "the no-op deploy -P on $n hosts failed"; }
    grep -q 'nothing to deploy' "$WORK/deploy$n.check" ||
      { cat "$WORK/deploy$n.check" >&2; die "deploy -P on $n hosts was not a no-op"; }
    cmds=$(grep -c '\] \$ ' "$WORK/deploy$n.check" || true)
    hf "deploynoop$n" "$d" -N "$KAMAL_C deploy -P --version v1" "$FLOOR 'docker ps' $hl" \
      "$FLOOR -q 'docker ps' $hl"
    k=$(hstat "deploynoop$n" 0 median) f=$(hstat "deploynoop$n" 1 median)
    r=$(ratio "$k" "$f")
    rq=$(ratio "$k" "$(hstat "deploynoop$n" 2 median)")
    T_MAIN+=("| p | no-op \`deploy -P\`, $n host$(plural "$n") ($cmds remote command$(plural "$cmds"), no lock) vs \`docker ps\` | $(cell "deploynoop$n" 0) | $(cell "deploynoop$n" 1) | $(cell "deploynoop$n" 2) | | ≤ 1.5 × floor | ${r} × $(verdict "$r <= 1.5") (${rq} × floor -q) |")
    [[ -z $KAMAL_REF ]] || kamal_rows "$n" "$d"
  done
  log "p) a new version's app boot on one host vs the same steps by hand"
  d=$WORK/app1
  if [[ ! -d $d ]]; then
    d=$(make_app_project 1)
    (cd "$d" && "$KAMAL_C" proxy boot && "$KAMAL_C" app boot --version v1) >/dev/null 2>&1 ||
      die "the first app boot on 1 host failed"
  fi
  h1=$(host_ip 1)
  # hyperfine -N runs --prepare without a shell too: a script
  printf 'cd %q && %q app boot --version v1 >/dev/null 2>&1 && ssh -F %q %q %q\n' "$d" "$KAMAL_C" \
    "$KC_SSH_CONFIG" "$h1" 'docker rm -f bench-web-v2 >/dev/null 2>&1; true' >"$WORK/prepare.sh"
  prepare="bash $WORK/prepare.sh"
  $prepare || die "could not bring v1 back"
  (cd "$d" && "$KAMAL_C" -v app boot --version v2 >"$WORK/appnew.trace" 2>&1) ||
    { cat "$WORK/appnew.trace" >&2; die "app boot v2 failed"; }
  run=$(sed -n 's/^\[[^]]*\] \$ \(docker run .*\)$/\1/p' "$WORK/appnew.trace")
  deploy=$(sed -n 's/^\[[^]]*\] \$ \(docker exec kamal-proxy kamal-proxy deploy .*\)$/\1/p' \
    "$WORK/appnew.trace" | sed 's/--target=[0-9a-f]*:/--target=$id:/')
  stop=$(sed -n 's/^\[[^]]*\] \$ \(docker stop .*\)$/\1/p' "$WORK/appnew.trace")
  [[ -n $run && -n $deploy && -n $stop ]] ||
    { cat "$WORK/appnew.trace" >&2; die "no docker run/deploy/stop in the trace"; }
  printf '%s\n' "id=\$($run | cut -c1-12) && $deploy >/dev/null && $stop >/dev/null" \
    >"$WORK/hand.remote"
  printf 'ssh -F %q %q "$(cat %q)"\n' "$KC_SSH_CONFIG" "$h1" "$WORK/hand.remote" >"$WORK/hand.sh"
  $prepare || die "could not bring v1 back"
  bash "$WORK/hand.sh" >/dev/null || die "the steps by hand failed: $(cat "$WORK/hand.remote")"
  HF_RUNS=${APP_RUNS:-10} HF_WARMUP=1 hf appnew "$d" --prepare "$prepare" -N \
    "$KAMAL_C app boot --version v2" "bash $WORK/hand.sh"
  k=$(hstat appnew 0 median) b=$(hstat appnew 1 median)
  diff_ms=$(python3 -c "print('%.0f' % ($k - $b))")
  T_MAIN+=("| p | \`app boot\` of a new version, 1 host (docker run, kamal-proxy deploy with its health check, docker stop) vs the same three by hand over one ssh | $(cell appnew 0) | by hand: $(cell appnew 1) | | | ≤ by hand + 500 ms | +${diff_ms} ms $(verdict "$k - $b <= 500") |")
  if [[ " $HOSTS " == *" 3 "* ]]; then
    log "p) deploy -P of a new version on 3 hosts vs the same commands by hand in parallel"
    d=$WORK/app3
    {
      printf 'cd %q && %q app boot --version v1 >/dev/null 2>&1 || exit 1\n' "$d" "$KAMAL_C"
      for h in $(hosts_list 3); do
        printf 'ssh -F %q %q %q &\n' "$KC_SSH_CONFIG" "$h" \
          'docker rm -f bench-web-v2 >/dev/null 2>&1; true'
      done
      echo wait
    } >"$WORK/prepare3.sh"
    prepare="bash $WORK/prepare3.sh"
    $prepare || die "could not bring v1 back on 3 hosts"
    (cd "$d" && "$KAMAL_C" -v deploy -P --version v2 >"$WORK/deploynew.trace" 2>&1) ||
      { cat "$WORK/deploynew.trace" >&2; die "deploy -P v2 on 3 hosts failed"; }
    : >"$WORK/hand3.sh"
    for h in $(hosts_list 3); do
      q=$(printf '%s' "$h" | sed 's/\./\\./g')
      run=$(sed -n "s/^\[$q\] \\$ \(docker run .*\)\$/\1/p" "$WORK/deploynew.trace")
      deploy=$(sed -n "s/^\[$q\] \\$ \(docker exec kamal-proxy kamal-proxy deploy .*\)\$/\1/p" \
        "$WORK/deploynew.trace" | sed 's/--target=[0-9a-f]*:/--target=$id:/')
      stop=$(sed -n "s/^\[$q\] \\$ \(docker stop .*\)\$/\1/p" "$WORK/deploynew.trace" | head -n 1)
      [[ -n $run && -n $deploy && -n $stop ]] ||
        { cat "$WORK/deploynew.trace" >&2; die "no docker run/deploy/stop for $h in the trace"; }
      printf '%s\n' "id=\$($run | cut -c1-12) && $deploy >/dev/null && $stop >/dev/null" \
        >"$WORK/hand3.$h"
      printf 'ssh -F %q %q "$(cat %q)" >/dev/null &\n' "$KC_SSH_CONFIG" "$h" "$WORK/hand3.$h" \
        >>"$WORK/hand3.sh"
    done
    printf 'for j in $(jobs -p); do wait "$j" || exit 1; done\n' >>"$WORK/hand3.sh"
    $prepare || die "could not bring v1 back on 3 hosts"
    bash "$WORK/hand3.sh" || die "the commands by hand failed on 3 hosts"
    HF_RUNS=${APP_RUNS:-10} HF_WARMUP=1 hf byhand3 "$d" --prepare "$prepare" -N \
      "$KAMAL_C deploy -P --version v2" "bash $WORK/hand3.sh"
    k=$(hstat byhand3 0 median) b=$(hstat byhand3 1 median)
    diff_ms=$(python3 -c "print('%.0f' % ($k - $b))")
    T_MAIN+=("| p | \`deploy -P\` of a new version, 3 hosts (the plan probe, lock, proxy boot, app boot, prune, unlock) vs each host's docker run, kamal-proxy deploy and docker stop by hand, the 3 hosts in parallel over ssh | $(cell byhand3 0) | by hand: $(cell byhand3 1) | | | ≤ by hand + 500 ms | +${diff_ms} ms $(verdict "$k - $b <= 500") |")
  fi
fi
if want s; then
  log "s) session latency on $(host_ip 1)"
  "$SESSION_LATENCY" -n 50 -w 5 "$(host_ip 1)" >"$WORK/session.txt" 2>&1 || true
  res=$(grep '^RESULT' "$WORK/session.txt") || { cat "$WORK/session.txt" >&2; die "session_latency failed"; }
  get() { sed -n "s/.* $1=\([0-9.-]*\).*/\1/p" <<<" ${res#RESULT}"; }
  T_MAIN+=("| s | \`docker ps\` on an open session (kc_session_exec) vs the same CLI on the host's socket; median (p90) of 50 | **$(get ssh_med)** ($(get ssh_p90)) | local: **$(get local_med)** ($(get local_p90)) | | | ≤ local + 10 ms | +$(get overhead) ms $(verdict "$(get overhead) <= 10") |")
fi

# ---- g: build push and build pull -------------------------------------------------------------
# make_app N: the example app (examples/app) in a fresh git repository, servers h1..hN, built
# with the local docker client against h0's engine (no buildx: docker build + docker push)
make_app() {
  local n=$1 d=$WORK/g$1 h
  mkdir -p "$d"
  cp -R "$REPO/examples/app/." "$d/"
  sed -i "s|10\.213\.7\.|$KC_NET.|g" "$d/Dockerfile"
  ((BUILD_PAYLOAD_MB == 0)) ||
    echo "RUN head -c $((BUILD_PAYLOAD_MB * 1048576)) /dev/urandom >/payload" >>"$d/Dockerfile"
  printf 'KAMAL_REGISTRY_PASSWORD=%s\n' "$KC_REGISTRY_PASSWORD" >"$d/.kamal/secrets"
  {
    printf 'service: app\nimage: demo/app\nservers:\n'
    for h in $(hosts_list "$n"); do echo "  - $h"; done
    printf 'registry: {server: %s, username: %s, password: [KAMAL_REGISTRY_PASSWORD]}\n' \
      "$KC_REGISTRY" "$KC_REGISTRY_USER"
    printf 'builder: {arch: amd64}\nssh: {config: %s}\n' "$KC_SSH_CONFIG"
  } >"$d/config/deploy.yml"
  git -C "$d" init -q
  git -C "$d" -c user.name=bench -c user.email=bench@bench.invalid add -A
  git -C "$d" -c user.name=bench -c user.email=bench@bench.invalid commit -qm bench
}
declare -a T_BUILD=()
if want g; then
  export DOCKER_HOST=$KC_BUILDER_DOCKER_HOST DOCKER_CONFIG=$WORK/docker TMPDIR=$WORK/tmp
  mkdir -p "$DOCKER_CONFIG" "$TMPDIR"
  for n in $BUILD_HOSTS; do make_app "$n"; done
  first=${BUILD_HOSTS%% *}
  d=$WORK/g$first
  ver=$(git -C "$d" rev-parse HEAD) img=$KC_REGISTRY/demo/app
  log "g) build push of an unchanged commit vs docker build + docker push by hand"
  (cd "$d" && "$KAMAL_C" build push >"$WORK/gpush.first" 2>&1) ||
    { cat "$WORK/gpush.first" >&2; die "the first build push failed"; }
  clone=$(sed -n 's/.*Cloning repo into build directory `\(.*\)`.*/\1/p' "$WORK/gpush.first")
  [[ -d $clone ]] || die "no clone found in the build push output"
  # the same build and pushes by hand (logged in once, before)
  printf '%s\n' "$KC_REGISTRY_PASSWORD" |
    docker login -u "$KC_REGISTRY_USER" --password-stdin "$KC_REGISTRY" >/dev/null 2>&1 ||
    die "docker login (by hand) failed"
  {
    echo "DOCKER_BUILDKIT=0 docker build -t $img:$ver -t $img:latest --label service=app \\"
    echo "  --file $clone/Dockerfile $clone &&"
    echo "  docker image push $img:$ver && docker image push $img:latest"
  } >"$WORK/byhand.sh"
  HF_RUNS=$BUILD_RUNS HF_WARMUP=2 hf gpush "$d" -N "$KAMAL_C build push" "bash $WORK/byhand.sh"
  k=$(hstat gpush 0 median) b=$(hstat gpush 1 median)
  diff=$(python3 -c "print('%.0f' % ($k - $b))")
  T_BUILD+=("| g | \`build push\` of an unchanged commit (clone reset, registry login, docker build, 2 pushes) vs the same docker build + docker push by hand | $(cell gpush 0) | $(cell gpush 1) | ≤ +300 ms | +$diff ms $(verdict "$k - $b <= 300") |")
  for n in $BUILD_HOSTS; do
    d=$WORK/g$n
    log "g) build pull on $n hosts vs the slowest host's own docker pull"
    rm_all=$WORK/rm$n.sh
    {
      for ((i = 1; i <= n; i++)); do
        echo "docker -H unix://$KC_DIR/h$i/docker.sock image rm -f $img:$ver >/dev/null 2>&1 &"
      done
      echo wait
    } >"$rm_all"
    (cd "$d" && "$KAMAL_C" build pull --version="$ver" >"$WORK/gpull$n.check" 2>&1) ||
      { cat "$WORK/gpull$n.check" >&2; die "build pull on $n hosts failed"; }
    HF_RUNS=$BUILD_RUNS HF_WARMUP=2 hf "gpull$n" "$d" -N --prepare "bash $rm_all" \
      "$KAMAL_C build pull --version=$ver"
    slowest=0 slowest_host=
    for ((i = 1; i <= n; i++)); do
      sock=unix://$KC_DIR/h$i/docker.sock
      HF_RUNS=$BUILD_RUNS HF_WARMUP=2 hf "gown$n-$i" "$d" -N \
        --prepare "bash -c 'docker -H $sock image rm -f $img:$ver >/dev/null 2>&1 || true'" \
        "docker -H $sock pull -q $img:$ver"
      m=$(hstat "gown$n-$i" 0 median)
      if python3 -c "import sys; sys.exit(0 if $m > $slowest else 1)"; then
        slowest=$m slowest_host=h$i
      fi
    done
    # the same pulls at once on every host's socket: on real servers each host pulls with its own
    # CPU, so "the slowest host's own pull" is the same alone or together; on the bed all hosts
    # share 2 cores, and this is the slowest host's pull when they all pull
    par=$WORK/par$n.sh
    {
      for ((i = 1; i <= n; i++)); do
        echo "docker -H unix://$KC_DIR/h$i/docker.sock pull -q $img:$ver >/dev/null &"
      done
      echo wait
    } >"$par"
    HF_RUNS=$BUILD_RUNS HF_WARMUP=2 hf "gsock$n" "$d" -N --prepare "bash $rm_all" "bash $par"
    # the same pulls by hand, in parallel over OpenSSH (no login, no probe, no label check)
    HF_RUNS=$BUILD_RUNS HF_WARMUP=2 hf "gssh$n" "$d" --prepare "bash $rm_all" \
      "$(ssh_par "$n" "docker pull -q $img:$ver")"
    k=$(hstat "gpull$n" 0 median)
    r=$(ratio "$k" "$slowest")
    T_BUILD+=("| g | \`build pull\` on $n hosts (login, probe, pull, label check, audit line; the image removed before each run) vs the slowest host's own \`docker pull\` alone ($slowest_host) | $(cell "gpull$n" 0) | **$slowest** | ≤ 1.3 × | ${r} × $(verdict "$r <= 1.3") |")
    T_BUILD+=("| g | same, vs \`ssh HOST docker pull -q\` on all $n hosts at once (OpenSSH, no login) | | $(cell "gssh$n" 0) | | kamal-c = $(ratio "$k" "$(hstat "gssh$n" 0 median)") × |")
    r=$(ratio "$k" "$(hstat "gsock$n" 0 median)")
    T_BUILD+=("| g | same, vs the same \`docker pull\` on all $n hosts' sockets at once (no SSH, no login: what the bed's shared cores allow) | | $(cell "gsock$n" 0) | ≤ 1.3 × | ${r} × $(verdict "$r <= 1.3") |")
  done
  unset DOCKER_HOST
  export DOCKER_CONFIG=$KC_DOCKER_CONFIG
fi

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
others=$(ip netns list 2>/dev/null | grep -cv "^kc$KC_BED-" || true)

{
  echo "# kamal-c benchmark results"
  echo
  echo "Run $started by \`bench/run.sh\` (HOSTS=\"$HOSTS\", RUNS=$RUNS after $WARMUP warm-up;"
  echo "a and b: $FAST_RUNS runs after 10; bed $KC_BED)."
  echo "Binary: \`$KAMAL_C\` ($("$KAMAL_C" version 2>/dev/null | head -1)), $source_note."
  echo
  echo "Machine: $(nproc) cores ($cpu), $(free -m | awk '/^Mem:/ {print $2}') MiB,"
  echo "load average $load_before before and $load_after after; $others network namespaces of other"
  echo "test beds were up (other people's tests share the 2 cores, so every number is noisy: compare"
  echo "medians measured in the same hyperfine run). $(ssh -V 2>&1), libssh $(pkg-config --modversion libssh),"
  echo "$(/usr/bin/docker --version) on the hosts."
  echo
  echo "Times in ms: median (mean ± sd). floor = \`bench/floor\` (plain libssh, one thread per host);"
  echo "floor -q = the same with the first channel opened with TCP_QUICKACK (see bench/README.md)."
  echo "OpenSSH = \`ssh -F <bed ssh_config> HOST CMD &\` for every host, then \`wait\`."
  echo
  if ((${#T_MAIN[@]})); then
    echo "| | what | kamal-c | floor | floor -q | OpenSSH | target | result |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${T_MAIN[@]}"
  fi
  if ((${#T_FLEET[@]})); then
    echo
    echo "Fleets (section f, FLEET=\"$FLEET\", $FLEET_RUNS runs after 2 warm-up): h1..h$FLEET_DOCKER have a"
    echo "dockerd and carry the two accessories, the other hosts are sshd-only (hosts.sh up"
    echo "N --sshd-only M). Medians in ms. kamal-c = the default \`sshkit.max_concurrent_starts\` (30);"
    echo "wide = raised to the fleet size (deploy-wide.yml). floor / floor -q = \`bench/floor\` on the"
    echo "same hosts with the same remote command; parallel-ssh = Debian's \`parallel-ssh -p 100\`"
    echo "(OpenSSH underneath), the command sent to a remote \`sh\` on stdin. RSS = kamal-c's peak"
    echo "resident set (\`/usr/bin/time -v\`), default / wide, one run each. Ratios are kamal-c ÷ floor"
    echo "(default / wide; target ≤ 1.2) and parallel-ssh ÷ the faster kamal-c (target: > 1)."
    echo
    echo "| | what | hosts | kamal-c | kamal-c wide | floor | floor -q | parallel-ssh | RSS MB | result |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${T_FLEET[@]}"
  fi
  if ((${#T_BUILD[@]})); then
    echo
    echo "Build (section g, $BUILD_RUNS runs after 2 warm-up): the example app (examples/app) from"
    echo "its git repository, built with this machine's docker client against the builder host"
    echo "h0's engine (no buildx: docker build + docker push), pulled on h1..hN. Medians in ms."
    echo
    echo "| | what | kamal-c | by hand | target | result |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${T_BUILD[@]}"
  fi
  if [[ -s $WORK/session.txt ]]; then
    echo
    echo "Session latency (\`bench/session_latency\`):"
    echo
    echo '```'
    grep -v '^RESULT' "$WORK/session.txt"
    echo '```'
  fi
  if [[ -s $WORK/phases.txt ]]; then
    echo
    echo "Where the floor's time goes on $max_hosts hosts (one run of \`floor -t 'docker ps'\`, ms):"
    echo
    echo '```'
    cat "$WORK/phases.txt"
    echo '```'
  fi
} >"$RESULTS"
cat "$RESULTS"
log "written to $RESULTS"

if [[ ${KC_BENCH_DOWN:-} == 1 ]]; then
  log "bed $KC_BED: down"
  "$HOSTS_SH" down >/dev/null 2>&1 || log "hosts.sh down failed"
fi
