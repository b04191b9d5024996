#!/usr/bin/env bash
# hosts.sh - the multi-host test bed for kamal-c's end-to-end tests.
#
# Every "host" hN is a network namespace kcN (veth kcvN on the bridge kcbr0, address
# 10.213.0.(10+N)/24, no default route) with its own mount and UTS namespaces (hostname
# kc-hN). Each runs its own dockerd and its own sshd on <ip>:22. An SSH session gets
# DOCKER_HOST pointing at that host's dockerd, a private $HOME (/root), /tmp and /run.
# h0 (10.213.0.10) is the builder: images are built and pushed there, it is no deploy target.
# One registry (Debian docker-registry, TLS with our own CA + htpasswd) listens on
# 10.213.0.1:5443 in the root namespace.
#
#   hosts.sh up N [--sshd-only M]
#                            start or repair registry + builder h0 + hosts h1..hN (idempotent;
#                            hosts above N+M are stopped; faults set by `ctl` are healed), and
#                            M sshd-only hosts h(N+1)..h(N+M) (see below)
#   hosts.sh down            stop everything and remove all state except the key dir
#   hosts.sh env             print `export VAR=...` lines: eval "$(hosts.sh env)"
#   hosts.sh status          one line per host; exit 0 only if registry + all hosts are up
#                            and no fault is set
#   hosts.sh heal            `ctl N heal` for every host, restart a dead registry (never creates)
#   hosts.sh exec N CMD...   run CMD inside host N's namespaces (DOCKER_HOST set)
#   hosts.sh ctl N ACTION    fault control, ACTION is one of
#                            link-down | link-up            unplug / replug the host's cable
#                            dockerd-stop | dockerd-start   graceful stop / start of its dockerd
#                            sshd-stop | sshd-start         stop / start the sshd listener
#                            hide-docker | show-docker      SSH sessions get a PATH without docker
#                            small-disk | normal-disk       dockerd on a small tmpfs data-root (full-disk tests)
#                            slow-link | fast-link          traffic to the host limited to KC_SLOW_RATE
#                                                           (default 2mbit; tc netem on its veth)
#                            heal                           undo every fault above
#
# An sshd-only host (for fan-out: ~10 MiB instead of ~130) has its own netns, address, sshd,
# /run, /tmp, home and hostname kc-hN, but no dockerd: docker in its sessions says "Cannot
# connect to the Docker daemon", as on a server whose docker is stopped. Hosts number up to 244
# (h244 = 10.213.B.254).
#
# Environment: KC_BED (which bed, default 0; see below), KC_DIR (state, default /tmp/kc;
# keep it short: unix socket paths), KC_KEYS (client + host keys, default /tmp/kc-keys; kept
# by `down`),
# KC_STORAGE_DRIVER (default overlay2; use vfs if KC_DIR is on overlayfs).
#
# Only addresses in the bed's 10.213.B.0/24 and loopback are contacted. Processes are only killed by
# the PID recorded at launch, or because they are inside one of our network namespaces
# (ip netns pids kcN) or inside our own cgroup kc-hN.
#
# Several independent beds can run at once: KC_BED=B (1..99) selects another one, with every
# name and address of its own (hostnames stay kc-hN):
#   bed 0 (default)  /tmp/kc      /tmp/kc-keys   10.213.0.0/24  kcbr0  netns kcN    veth kcvN    cgroup kc-hN
#   bed B >= 1       /tmp/kcB-bed /tmp/kcB-keys  10.213.B.0/24  kcbrB  netns kcB-N  veth kcvB-N  cgroup kcB-hN
# Every command acts on the selected bed only (`down` included). A bed's state dir records its
# number (file `bed`, absent for bed 0), and hosts.sh refuses a KC_DIR of another bed.
set -euo pipefail

BED=${KC_BED:-0}
[[ $BED =~ ^(0|[1-9][0-9]?)$ ]] || { echo "hosts.sh: bad KC_BED '$BED' (0..99)" >&2; exit 2; }
if ((BED == 0)); then              # the original bed: these names must never change
  K=${KC_DIR:-/tmp/kc}
  KEYS=${KC_KEYS:-/tmp/kc-keys}
  NSP=kc VP=kcv CGP=kc-h           # netns kcN, veth kcvN, cgroup kc-hN
else                               # names that none of bed 0's patterns (kc[0-9]+, kcv[0-9]+,
  K=${KC_DIR:-/tmp/kc$BED-bed}     # kc-h[0-9]+) nor another bed's can match; at most 8
  KEYS=${KC_KEYS:-/tmp/kc$BED-keys}  # characters for an interface name (limit 15)
  NSP=kc$BED- VP=kcv$BED- CGP=kc$BED-h
fi
BR=kcbr$BED
NET=10.213.$BED                    # .1 bridge + registry, .10 builder h0, .(10+N) host hN
REG_PORT=5443
REG=$NET.1:$REG_PORT
REG_USER=kamal
BED_USER=kc-deploy                 # the non-root SSH user every host has (ensure_bed_user)
BED_USER_HOME=/home/$BED_USER
BED_USER_GROUP=kc-docker           # the hosts' docker sockets are root:kc-docker 0660
REG_PASS=kc-registry-pw
MAX_HOSTS=244                      # h244 = 10.213.B.254, the last address of the /24
PROXY_VERSION=v0.9.2               # kamal-proxy in the registry: Kamal 2.12's minimum
PROXY_OLD_VERSION=v0.8.7           # a tag Kamal refuses ("too old")
DOCKER_CLI=/usr/bin/docker         # the client that ships with the daemon (20.10)
# PATH inside SSH sessions: /usr/bin (docker 20.10, same as the daemon) before /usr/local/bin
SESSION_PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/bin
SELF=$(readlink -f "${BASH_SOURCE[0]}")
export DOCKER_CONFIG=$K/client-docker   # our own docker CLI calls never touch ~/.docker

log() { printf '%s hosts.sh: %s\n' "$(date +%T.%3N)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# a state dir names its bed in the file `bed` (bed 0 writes none): never drive one bed's
# state with another bed's names, e.g. with KC_DIR still exported from `env` of bed 0
dir_bed() { if [[ -f $K/bed ]]; then cat "$K/bed"; else echo 0; fi; }
if [[ -d $K && $(dir_bed) != "$BED" ]]; then
  die "$K is the state of bed $(dir_bed), not of KC_BED=$BED (unset KC_DIR/KC_KEYS, or set KC_BED)"
fi
ip_of() { echo "$NET.$((10 + $1))"; }
hdir() { echo "$K/h$1"; }
# an sshd-only host says so in its file `kind`; the hosts with a dockerd have none
sshd_only() { [[ -e $K/h$1/kind ]]; }
pid_of() { [[ -s $1 ]] && cat "$1"; }
# A process counts as gone once it is a zombie: our daemons are re-parented to PID 1, which
# may reap late, and `kill -0` succeeds on a zombie.
running() {
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }
  [[ ${st:0:1} != Z ]]
}
alive() { local p; p=$(pid_of "$1") && running "$p"; }
# all hosts that have a state dir, sorted numerically
host_ids() {
  local d
  for d in "$K"/h*/; do
    [[ -d $d ]] || continue
    d=${d%/}; d=${d##*/h}
    [[ $d =~ ^[0-9]+$ ]] && echo "$d"
  done | sort -n
}
check_id() {
  if [[ ! ${1:-} =~ ^[0-9]+$ ]] || (($1 > MAX_HOSTS)); then die "bad host number '${1:-}'"; fi
}

# ------------------------------------------------------------------------------- cgroups
# mount points of all cgroup hierarchies (v1: one per controller + maybe "unified"; v2: one)
cg_mounts() { awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts; }
# the cgroup that holds all of host i's daemons and SSH sessions; its containers get
# siblings of it (dockerd cgroup-parent /kc-hI; $CGP is kc-h on bed 0)
cg_track() {
  local i=$1 m
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then echo "/sys/fs/cgroup/$CGP$i/host"; return; fi
  for m in /sys/fs/cgroup/pids /sys/fs/cgroup/memory /sys/fs/cgroup/cpu /sys/fs/cgroup/systemd; do
    [[ -f $m/cgroup.procs ]] && { echo "$m/$CGP$i/host"; return; }
  done
  m=$(cg_mounts | head -1)
  [[ -n $m ]] || die "no cgroup hierarchy mounted"
  echo "$m/$CGP$i/host"
}
# every PID in host i: in any of its cgroups, or in its network namespace
host_pids() {
  local i=$1 m
  while read -r m; do
    [[ -d $m/$CGP$i ]] && find "$m/$CGP$i" -name cgroup.procs -exec cat {} + 2>/dev/null
  done < <(cg_mounts)
  [[ -e /run/netns/$NSP$i ]] && ip netns pids "$NSP$i" 2>/dev/null
  return 0
}
cg_remove() {    # rmdir host i's cgroups in every hierarchy, deepest first
  local i=$1 m
  while read -r m; do
    [[ -d $m/$CGP$i ]] || continue
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      find "$m/$CGP$i" -depth -type d -exec rmdir {} + 2>/dev/null && break
      sleep 0.2
    done
    [[ -d $m/$CGP$i ]] && log "WARNING: could not remove cgroup $m/$CGP$i"
  done < <(cg_mounts)
  return 0
}

# ------------------------------------------------------------------------------- common
preflight() {
  [[ $(id -u) == 0 ]] || die "must run as root"
  local c
  for c in ip nsenter unshare dockerd "$DOCKER_CLI" /usr/sbin/sshd ssh ssh-keygen docker-registry \
    htpasswd openssl curl iptables ss setsid; do
    command -v "$c" >/dev/null || die "missing command: $c (see tests/e2e/README.md)"
  done
  # containerd's socket ($K/hN/exec/containerd/containerd.sock) must fit in 108 bytes
  ((${#K} <= 40)) || die "KC_DIR '$K' is too long (max 40 characters: unix socket paths)"
  [[ $K == /* && $KEYS == /* ]] || die "KC_DIR and KC_KEYS must be absolute paths"
}

# the bed's non-root SSH user (ssh.user), the same account on every host (hosts share the
# machine's /etc/passwd), with a home of its own on each host and the hosts' docker
# sockets through its group (Kamal's rule for a non-root user: in the docker group)
ensure_bed_user() {
  getent group "$BED_USER_GROUP" >/dev/null || groupadd --system "$BED_USER_GROUP"
  id -u "$BED_USER" >/dev/null 2>&1 ||
    useradd --system --user-group --groups "$BED_USER_GROUP" --home-dir "$BED_USER_HOME" \
      --no-create-home --shell /bin/bash --password '*' "$BED_USER"   # '!' = locked: sshd says no
  mkdir -p "$BED_USER_HOME"
}

setup_common() {
  ensure_bed_user
  mkdir -p "$K/registry/data" "$K/client-docker" "$K/bin" "$K/profile.d" "$KEYS"
  printf '%s\n' "State of the kamal-c e2e test bed ($SELF): sockets, data-roots, keys" \
    "of running hosts. Do not delete by hand: run '$SELF down'." >"$K/README"
  chmod 700 "$KEYS"
  cp "$SELF" "$K/bin/hosts.sh.tmp" && mv "$K/bin/hosts.sh.tmp" "$K/bin/hosts.sh"  # used inside hosts
  # client key, shared by all tests; stable across runs
  [[ -f $KEYS/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C kc-e2e -f "$KEYS/id_ed25519"
  install -m 600 "$KEYS/id_ed25519" "$K/id_ed25519"
  install -m 644 "$KEYS/id_ed25519.pub" "$K/id_ed25519.pub"
  install -m 644 "$KEYS/id_ed25519.pub" "$K/authorized_keys"
  cat >"$K/ssh_config" <<EOF
Host $NET.*
  User root
  IdentityFile $K/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $K/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
EOF
  # containers and hosts must never use the machine's resolver (nothing listens there,
  # and there is no route out of 10.213.0.0/24)
  echo "nameserver $NET.1" >"$K/resolv.conf"
  # login shells (ssh -t) source /etc/profile -> /etc/profile.d; each host sees only this
  # one file there: it restores the session PATH and does no slow start-up work
  # shellcheck disable=SC2016 # written for the host's shell
  echo '[ -n "${KC_PATH:-}" ] && PATH=$KC_PATH && export PATH' >"$K/profile.d/kc.sh"

  local R=$K/registry
  if [[ ! -f $R/ca.crt ]]; then   # CA and server certificate (Go wants the IP in the SAN)
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -subj /CN=kc-e2e-ca -keyout "$R/ca.key" -out "$R/ca.crt.tmp" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/CN=$NET.1" -keyout "$R/registry.key" -out "$R/registry.csr" 2>/dev/null
    openssl x509 -req -in "$R/registry.csr" -CA "$R/ca.crt.tmp" -CAkey "$R/ca.key" \
      -CAcreateserial -days 3650 -out "$R/registry.crt" 2>/dev/null \
      -extfile <(printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$NET.1")
    mv "$R/ca.crt.tmp" "$R/ca.crt"
  fi
  [[ -s $R/htpasswd ]] || htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$R/htpasswd"

  if ! ip link show "$BR" >/dev/null 2>&1; then
    ip link add "$BR" type bridge forward_delay 0 stp_state 0
    ip addr add "$NET.1/24" dev "$BR"
    ip link set "$BR" up
  fi
  # br_netfilter sends bridged host<->host frames through the root FORWARD chain, whose
  # policy docker may have set to DROP: accept traffic within our bridge explicitly
  iptables -C FORWARD -i "$BR" -o "$BR" -m comment --comment kc-e2e -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD 1 -i "$BR" -o "$BR" -m comment --comment kc-e2e -j ACCEPT
  start_registry
}

registry_answers() {
  [[ $(curl -s --max-time 2 --cacert "$K/registry/ca.crt" -o /dev/null -w '%{http_code}' \
    "https://$REG/v2/" 2>/dev/null) == 401 ]]
}

start_registry() {
  local R=$K/registry
  alive "$R/registry.pid" && registry_answers && return 0
  [[ -s $R/registry.pid ]] && kill_wait "$(cat "$R/registry.pid")" 5
  cat >"$R/config.yml" <<EOF
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $R/data }
  delete: { enabled: true }
http:
  addr: $REG
  tls: { certificate: $R/registry.crt, key: $R/registry.key }
auth:
  htpasswd: { realm: kc-e2e, path: $R/htpasswd }
EOF
  setsid docker-registry serve "$R/config.yml" </dev/null >>"$R/registry.log" 2>&1 9>&- &
  echo $! >"$R/registry.pid"
  for _ in $(seq 100); do
    registry_answers && return 0
    alive "$R/registry.pid" || break
    sleep 0.1
  done
  tail -5 "$R/registry.log" >&2
  die "registry did not start, see $R/registry.log"
}

# ------------------------------------------------------------------------------- one host
write_sshd_config() {
  local i=$1 H ip path
  H=$(hdir "$i"); ip=$(ip_of "$i")
  path=$SESSION_PATH
  [[ -e $H/fault.nodocker ]] && path=$H/path-nodocker:/usr/sbin:/sbin
  cat >"$H/sshd_config.tmp" <<EOF
ListenAddress $ip:22
HostKey $H/ssh_host_ed25519_key
PidFile none
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AuthorizedKeysFile $K/authorized_keys
SetEnv DOCKER_HOST=unix://$H/docker.sock KC_HOST=h$i PATH=$path KC_PATH=$path
UseDNS no
PrintMotd no
PrintLastLog no
MaxStartups 100:30:200
MaxSessions 64
LogLevel VERBOSE
Subsystem sftp internal-sftp
EOF
  mv "$H/sshd_config.tmp" "$H/sshd_config"
}

write_daemon_json() {
  local i=$1 H; H=$(hdir "$i")
  local data=$H/data
  [[ -e $H/fault.small-disk ]] && data=$H/data-small
  cat >"$H/daemon.json" <<EOF
{
  "data-root": "$data",
  "exec-root": "$H/exec",
  "pidfile": "$H/exec/dockerd.pid",
  "hosts": ["unix://$H/docker.sock"],
  "group": "$BED_USER_GROUP",
  "storage-driver": "${KC_STORAGE_DRIVER:-overlay2}",
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "cgroup-parent": "/$CGP$i",
  "shutdown-timeout": 2,
  "log-level": "warn"
}
EOF
}

host_create() {  # host_create I [sshd]: a fresh host: state dir, netns, veth, configs, _init
  local i=$1 kind=${2:-} H ip ns=$NSP$1 cg
  H=$(hdir "$i"); ip=$(ip_of "$i")
  host_stop "$i"                                 # clean up a half-started or stale host
  mkdir -p "$H/home" "$H/tmp" "$H/home-user"
  chmod 700 "$H/home" "$H/home-user"; chmod 1777 "$H/tmp"
  chown "$BED_USER:$BED_USER" "$H/home-user"
  if [[ -n $kind ]]; then
    echo "$kind" >"$H/kind"
  else
    rm -f "$H/kind"
    mkdir -p "$H/data" "$H/etc-docker/certs.d/$REG"
    cp "$K/registry/ca.crt" "$H/etc-docker/certs.d/$REG/ca.crt"
  fi
  [[ -f $KEYS/h${i}_host_ed25519_key ]] ||
    ssh-keygen -q -t ed25519 -N '' -C "kc-h$i" -f "$KEYS/h${i}_host_ed25519_key"
  install -m 600 "$KEYS/h${i}_host_ed25519_key" "$H/ssh_host_ed25519_key"
  install -m 644 "$KEYS/h${i}_host_ed25519_key.pub" "$H/ssh_host_ed25519_key.pub"
  write_sshd_config "$i"
  sshd_only "$i" || write_daemon_json "$i"
  cg=$(cg_track "$i"); mkdir -p "$cg"

  ip netns add "$ns"
  ip link add "$VP$i" type veth peer name eth0 netns "$ns"
  ip link set "$VP$i" master "$BR" up
  ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up                     # no default route: nothing leaves 10.213.0/24
  # nsenter, not `ip netns exec`: the latter mounts a fresh /sys and thereby hides the
  # cgroup v1 hierarchies. _init runs in a new mount + UTS namespace.
  KC_BED=$BED KC_DIR=$K KC_KEYS=$KEYS nsenter --net="/run/netns/$ns" \
    unshare --mount --uts --propagation private -- "$K/bin/hosts.sh" _init "$i" \
    </dev/null >"$H/init.log" 2>&1 9>&- || { cat "$H/init.log" >&2; die "h$i: init failed"; }
}

host_init() {    # runs inside the host's netns and its fresh mount + UTS namespaces
  local i=$1 H rc
  H=$(hdir "$i")
  echo "$BASHPID" >"$(cg_track "$i")/cgroup.procs"   # we and all our children: cgroup kc-hI
  rc=$(readlink -f /etc/resolv.conf)             # may point into /run (systemd-resolved)
  # private /run, like a real machine: sshd's /run/sshd, and no system containerd socket
  # (/run/containerd/containerd.sock would make dockerd 20.10 use it instead of its own)
  mount -t tmpfs -o mode=0755,size=64m kc-run /run
  mkdir -p /run/sshd /run/lock
  if sshd_only "$i"; then host_init_common "$i" "$rc"; return; fi
  mkdir -p /run/.cg
  # a sysfs for this netns (dockerd reads /sys/class/net), with the cgroup mounts kept
  mount --rbind /sys/fs/cgroup /run/.cg
  mount -t sysfs kc-sys /sys
  mount --rbind /run/.cg /sys/fs/cgroup
  umount -l /run/.cg && rmdir /run/.cg
  # per-host /etc/docker (key.json, certs.d/<registry>/ca.crt), $HOME, resolver, profile.d
  [[ -d /etc/docker ]] || mkdir -p /etc/docker
  mount --bind "$H/etc-docker" /etc/docker
  host_init_common "$i" "$rc"
}

# host_init_common I RESOLV: what every host gets: its home as /root, our resolv.conf at
# RESOLV (the machine's, resolved before /run was replaced), profile.d, its own /tmp, hostname,
# anchor, sshd (and dockerd on a host that has one)
host_init_common() {
  local i=$1 rc=$2 H
  H=$(hdir "$i")
  mount --bind "$H/home" /root
  mount --bind "$H/home-user" "$BED_USER_HOME"      # the non-root SSH user's home
  if [[ ! -e $rc ]]; then mkdir -p "$(dirname "$rc")"; : >"$rc"; fi
  mount --bind "$K/resolv.conf" "$rc"
  [[ -d /etc/profile.d ]] && mount --bind "$K/profile.d" /etc/profile.d
  # per-host /tmp; the state dir stays visible at its own path
  if [[ $K == /tmp/* ]]; then
    mkdir /run/.k && mount --rbind "$K" /run/.k
    mount --bind "$H/tmp" /tmp
    mkdir -p "$K" && mount --rbind /run/.k "$K"
    umount -l /run/.k && rmdir /run/.k
  else
    mount --bind "$H/tmp" /tmp
  fi
  hostname "kc-h$i"
  spawn "$i" anchor sleep infinity              # holds the namespaces while daemons restart
  sshd_only "$i" || spawn "$i" dockerd dockerd --config-file "$H/daemon.json"
  spawn "$i" sshd /usr/sbin/sshd -D -f "$H/sshd_config" -E "$H/sshd.log"
}

spawn() {        # spawn I NAME CMD...: start a daemon, record its PID in $H/NAME.pid
  local i=$1 name=$2 H; shift 2
  H=$(hdir "$i")
  # no job control here, so the subshell is no process group leader and setsid execs
  # without forking: $! is the daemon's own PID
  setsid "$@" </dev/null >>"$H/$name.out" 2>&1 9>&- &
  echo $! >"$H/$name.pid"
}

in_host() {      # in_host I CMD...: run CMD in host I's namespaces
  local i=$1 a; shift
  if ! a=$(pid_of "$(hdir "$i")/anchor.pid") || ! running "$a"; then die "h$i is not running"; fi
  nsenter -t "$a" -n -m -u --wdns=/ -- "$@" 9>&-
}

host_spawn() {   # (re)start one daemon of a running host, in its namespaces and cgroup
  local i=$1 name=$2 H; H=$(hdir "$i")
  case $name in
    dockerd) in_host "$i" env KC_BED="$BED" KC_DIR="$K" KC_KEYS="$KEYS" "$K/bin/hosts.sh" _spawn "$i" dockerd \
               dockerd --config-file "$H/daemon.json" ;;
    sshd) in_host "$i" env KC_BED="$BED" KC_DIR="$K" KC_KEYS="$KEYS" "$K/bin/hosts.sh" _spawn "$i" sshd \
               /usr/sbin/sshd -D -f "$H/sshd_config" -E "$H/sshd.log" ;;
  esac
}

dockerd_ok() { curl -fs --max-time 2 --unix-socket "$(hdir "$1")/docker.sock" http://d/_ping >/dev/null 2>&1; }
sshd_listens() { nsenter --net="/run/netns/$NSP$1" ss -Hltn "sport = :22" 2>/dev/null | grep -q .; }

host_running() { # namespaces exist and are held
  [[ -e /run/netns/$NSP$1 ]] && alive "$(hdir "$1")/anchor.pid"
}
host_healthy() {
  local H; H=$(hdir "$1")
  host_running "$1" && alive "$H/sshd.pid" && [[ ! -e $H/fault.link-down ]] || return 1
  sshd_only "$1" && return 0
  alive "$H/dockerd.pid" && dockerd_ok "$1" && [[ ! -e $H/fault.nodocker && ! -e $H/fault.small-disk ]]
}

wait_for() {     # wait_for SECONDS DESCRIPTION CMD...
  local t=$1 what=$2; shift 2
  local n=$((t * 10))
  while ((n-- > 0)); do "$@" && return 0; sleep 0.1; done
  die "$what: not ready after ${t}s"
}

host_wait() {
  local i=$1 H; H=$(hdir "$i")
  local n=600
  while ((n-- > 0)); do
    { sshd_only "$i" || dockerd_ok "$i"; } && sshd_listens "$i" && return 0
    sshd_only "$i" || alive "$H/dockerd.pid" || { tail -5 "$H/dockerd.out" >&2; die "h$i: dockerd died"; }
    alive "$H/sshd.pid" || { tail -5 "$H/sshd.log" "$H/sshd.out" >&2; die "h$i: sshd died"; }
    sleep 0.1
  done
  die "h$i: not ready after 60s"
}

host_up() {      # host_up I [sshd]: start host I, or repair it in place (keeps its containers)
  local i=$1 kind=${2:-}
  if [[ $kind != "$(cat "$(hdir "$i")/kind" 2>/dev/null)" ]] && [[ -d $(hdir "$i") ]]; then
    log "h$i: changes kind, re-creating it"     # with a dockerd <-> sshd-only
    host_stop "$i"; rm -rf "$(hdir "$i")"
  fi
  if host_running "$i"; then
    if host_healthy "$i"; then log "h$i already up"; return 0; fi
    log "h$i: repairing"
    ctl_heal "$i"
  else
    host_create "$i" "$kind"
  fi
}

kill_wait() {    # kill_wait PID [SECONDS]: TERM, wait, then KILL
  local pid=$1 t=${2:-10} n
  running "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  n=$((t * 20))
  while ((n-- > 0)); do running "$pid" || return 0; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  n=40
  while ((n-- > 0)); do running "$pid" || return 0; sleep 0.05; done
}

host_stop() {
  local i=$1 H ns=$NSP$1 f p pids
  H=$(hdir "$i")
  # remove the containers first: on SIGTERM dockerd gives each its stop timeout (10 s)
  if alive "$H/dockerd.pid" && dockerd_ok "$i"; then
    local D=(timeout 30 "$DOCKER_CLI" -H "unix://$H/docker.sock")
    "${D[@]}" ps -aq 2>/dev/null | xargs -r "${D[@]}" rm -f >/dev/null 2>&1 || true
  fi
  for f in sshd dockerd anchor; do                # dockerd stops its containerd itself
    p=$(pid_of "$H/$f.pid") && kill_wait "$p" 15
  done
  # whatever is left in the host (SSH sessions, shims, docker-proxy, orphaned containers
  # after a dockerd crash): kill by PID, found through its netns and its cgroups
  for _ in $(seq 50); do
    pids=$(host_pids "$i" | sort -u)
    [[ -z $pids ]] && break
    for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
    sleep 0.1
  done
  [[ -e /run/netns/$ns ]] && ip netns del "$ns"
  ip link del "$VP$i" 2>/dev/null || true
  cg_remove "$i"
  # exec-root is runtime state (like /run after a reboot); a stale containerd.pid/.sock there
  # makes the next dockerd time out waiting for containerd. The data-root is kept.
  rm -rf "$H/exec"
  rm -f "$H"/*.pid "$H/docker.sock" "$H"/fault.*
}

# ------------------------------------------------------------------------------- faults
ctl_dockerd_stop() {
  local H p; H=$(hdir "$1")
  touch "$H/fault.dockerd-stop"
  p=$(pid_of "$H/dockerd.pid") && kill_wait "$p" 60
  rm -f "$H/dockerd.pid"
  return 0
}
ctl_dockerd_start() {
  local i=$1 H p; H=$(hdir "$i")
  if ! alive "$H/dockerd.pid"; then
    # pid files of a dockerd/containerd that did not exit cleanly: a stale containerd.pid makes
    # dockerd time out waiting for containerd; a reused PID in dockerd.pid makes it refuse
    if p=$(pid_of "$H/exec/containerd/containerd.pid") && ! running "$p"; then
      rm -f "$H/exec/containerd/containerd.pid" "$H/exec/containerd/containerd.sock"
    fi
    rm -f "$H/exec/dockerd.pid"
    host_spawn "$i" dockerd
  fi
  wait_for 60 "h$i dockerd" dockerd_ok "$i"
  rm -f "$H/fault.dockerd-stop"
}
ctl_sshd_stop() {   # stops the listener only; open sessions survive (like systemctl stop ssh)
  local H p; H=$(hdir "$1")
  touch "$H/fault.sshd-stop"
  p=$(pid_of "$H/sshd.pid") && kill_wait "$p" 10
  rm -f "$H/sshd.pid"
  return 0
}
ctl_sshd_start() {
  local i=$1 H; H=$(hdir "$i")
  if ! alive "$H/sshd.pid"; then
    write_sshd_config "$i"
    host_spawn "$i" sshd
  fi
  wait_for 20 "h$i sshd" sshd_listens "$i"
  rm -f "$H/fault.sshd-stop"
}
ctl_link_down() {
  local i=$1
  touch "$(hdir "$i")/fault.link-down"
  ip link set "$VP$i" down
}
ctl_link_up() {
  local i=$1
  ip link set "$VP$i" up
  ip neigh flush to "$(ip_of "$i")" dev "$BR" 2>/dev/null || true
  rm -f "$(hdir "$i")/fault.link-down"
}
# slow-link: what reaches the host (image pulls, SSH input) is limited to KC_SLOW_RATE, by a
# netem (else tbf) qdisc on the bridge side of its veth; fast-link removes it.
ctl_slow_link() {
  local i=$1
  local rate=${KC_SLOW_RATE:-2mbit}
  tc qdisc replace dev "$VP$i" root netem rate "$rate" 2>/dev/null ||
    tc qdisc replace dev "$VP$i" root tbf rate "$rate" burst 32kbit latency 500ms
  touch "$(hdir "$i")/fault.slow-link"
}
ctl_fast_link() {
  local i=$1
  tc qdisc del dev "$VP$i" root 2>/dev/null || true
  rm -f "$(hdir "$i")/fault.slow-link"
}
ctl_hide_docker() {
  local i=$1 H; H=$(hdir "$i")
  if [[ ! -d $H/path-nodocker ]]; then          # everything in /usr/bin except docker
    mkdir -p "$H/path-nodocker.tmp"
    find /usr/bin -maxdepth 1 ! -type d ! -name 'docker*' -exec ln -sf -t "$H/path-nodocker.tmp" {} +
    mv "$H/path-nodocker.tmp" "$H/path-nodocker"
  fi
  touch "$H/fault.nodocker"
  ctl_sshd_stop "$i"; ctl_sshd_start "$i"
}
ctl_show_docker() {
  local i=$1 H; H=$(hdir "$i")
  rm -f "$H/fault.nodocker"
  ctl_sshd_stop "$i"; ctl_sshd_start "$i"
}
# small-disk: dockerd moves to a size-limited data-root (a tmpfs of
# KC_SMALL_DISK, default 48m, mounted in the host's own mount namespace, so
# nothing of it outlives the host); images must be pulled again there.
# normal-disk: back to the real data-root.
ctl_small_disk() {
  local i=$1 H; H=$(hdir "$i")
  [[ -e $H/fault.small-disk ]] && return 0
  ctl_dockerd_stop "$i"
  mkdir -p "$H/data-small"
  in_host "$i" mount -t tmpfs -o "size=${KC_SMALL_DISK:-48m},mode=0711" kc-small-disk "$H/data-small"
  touch "$H/fault.small-disk"
  write_daemon_json "$i"
  ctl_dockerd_start "$i"
  rm -f "$H/fault.dockerd-stop"
}
ctl_normal_disk() {
  local i=$1 H; H=$(hdir "$i")
  [[ -e $H/fault.small-disk ]] || return 0
  ctl_dockerd_stop "$i"
  rm -f "$H/fault.small-disk"
  write_daemon_json "$i"
  in_host "$i" umount -l "$H/data-small" 2>/dev/null || true
  ctl_dockerd_start "$i"
}
ctl_heal() {
  local i=$1 H; H=$(hdir "$i")
  [[ -e $H/fault.small-disk ]] && ctl_normal_disk "$i"
  [[ -e $H/fault.slow-link ]] && ctl_fast_link "$i"
  if [[ -e $H/fault.link-down ]] || ip -o link show "$VP$i" 2>/dev/null | grep -q 'state DOWN'; then
    ctl_link_up "$i"
  fi
  if sshd_only "$i"; then ctl_sshd_start "$i"; return; fi
  if ! alive "$H/dockerd.pid" || ! dockerd_ok "$i"; then ctl_dockerd_start "$i"; fi
  if [[ -e $H/fault.nodocker ]]; then ctl_show_docker "$i"; else ctl_sshd_start "$i"; fi
}

cmd_ctl() {
  local i=${1:-} action=${2:-}
  check_id "$i"
  host_running "$i" || die "h$i is not running"
  if sshd_only "$i" && [[ $action != link-* && $action != *-link && $action != sshd-* &&
    $action != heal ]]; then
    die "h$i is sshd-only: it has no dockerd to $action"
  fi
  case $action in
    link-down) ctl_link_down "$i" ;;
    link-up) ctl_link_up "$i" ;;
    slow-link) ctl_slow_link "$i" ;;
    fast-link) ctl_fast_link "$i" ;;
    dockerd-stop) ctl_dockerd_stop "$i" ;;
    dockerd-start) ctl_dockerd_start "$i" ;;
    sshd-stop) ctl_sshd_stop "$i" ;;
    sshd-start) ctl_sshd_start "$i" ;;
    hide-docker) ctl_hide_docker "$i" ;;
    show-docker) ctl_show_docker "$i" ;;
    small-disk) ctl_small_disk "$i" ;;
    normal-disk) ctl_normal_disk "$i" ;;
    heal) ctl_heal "$i" ;;
    *) die "unknown ctl action '$action' (see hosts.sh --help)" ;;
  esac
}

# ------------------------------------------------------------------------------- commands
write_known_hosts() {
  local i
  : >"$K/known_hosts.tmp"
  for i in $(host_ids); do
    echo "$(ip_of "$i") $(cut -d' ' -f1,2 "$KEYS/h${i}_host_ed25519_key.pub")" >>"$K/known_hosts.tmp"
  done
  mv "$K/known_hosts.tmp" "$K/known_hosts"
}

cmd_up() {
  local n=${1:-} m=0 all i p rc=0 pids=()
  local usage="usage: hosts.sh up N [--sshd-only M] (N >= 1, N + M <= $MAX_HOSTS)"
  if [[ ${2:-} == --sshd-only ]]; then m=${3:-}; set -- "$1"; fi
  (($# == 1)) && [[ $n =~ ^[0-9]+$ && $m =~ ^[0-9]+$ ]] || die "$usage"
  ((n >= 1 && n + m <= MAX_HOSTS)) || die "$usage"
  all=$((n + m))
  preflight
  mkdir -p "$K"
  ((BED == 0)) || echo "$BED" >"$K/bed"
  exec 9>"$K/.lock"
  flock -w 300 9 || die "another hosts.sh holds $K/.lock"
  setup_common
  for i in $(host_ids); do                       # hosts above N+M from an earlier `up`
    ((i > all)) || continue
    log "h$i: stopping (above $all)"
    host_stop "$i" & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  for i in $(host_ids); do ((i <= all)) || rm -rf "$(hdir "$i")"; done
  # wait on our own PIDs only: a plain `wait` would also wait for the registry
  pids=()
  for i in $(seq 0 "$all"); do
    if ((i <= n)); then host_up "$i" & else host_up "$i" sshd & fi
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  ((rc == 0)) || die "some hosts failed to start"
  pids=()
  for i in $(seq 0 "$all"); do host_wait "$i" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  ((rc == 0)) || die "some hosts did not become ready"
  write_known_hosts
  if ((m > 0)); then
    log "up: registry $REG, builder h0, hosts h1..h$n, sshd-only hosts h$((n + 1))..h$all"
  else
    log "up: registry $REG, builder h0, hosts h1..h$n"
  fi
}

cmd_heal() {     # undo faults and restart dead daemons of the existing hosts; creates nothing
  local i p rc=0 pids=()
  preflight
  [[ -d $K ]] || die "the bed is not up: run hosts.sh up N"
  exec 9>"$K/.lock"
  flock -w 300 9 || die "another hosts.sh holds $K/.lock"
  start_registry
  for i in $(host_ids); do
    host_running "$i" || die "h$i is down: run hosts.sh up N"
    host_healthy "$i" || { log "h$i: repairing"; ctl_heal "$i"; } &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  ((rc == 0)) || die "could not heal every host"
}

cmd_down() {
  local i p d pids=()
  preflight
  if [[ -d $K ]]; then
    exec 9>"$K/.lock"
    flock -w 300 9 || die "another hosts.sh holds $K/.lock"
    for i in $(host_ids); do host_stop "$i" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p" || true; done
    p=$(pid_of "$K/registry/registry.pid") && kill_wait "$p" 5
  fi
  # leftovers of a run whose state dir is gone: our netns, veths and cgroups by name
  # (only this bed's names: on bed 0 the patterns are ^kc[0-9]+$, ^kcv[0-9]+ and kc-h[0-9]+)
  for d in $(ip netns list 2>/dev/null | awk -v p="$NSP" '$1 ~ ("^" p "[0-9]+$") {print $1}'); do
    i=${d#"$NSP"}; host_stop "$i"
  done
  for d in $(ip -o link show 2>/dev/null | awk -F': ' -v p="$VP" '$2 ~ ("^" p "[0-9]+(@|$)") {sub(/@.*/, "", $2); print $2}'); do
    ip link del "$d" 2>/dev/null || true
  done
  while read -r d; do
    for p in "$d/$CGP"*; do [[ -d $p && ${p##*/"$CGP"} =~ ^[0-9]+$ ]] && host_stop "${p##*/"$CGP"}"; done
  done < <(cg_mounts)
  while iptables -D FORWARD -i "$BR" -o "$BR" -m comment --comment kc-e2e -j ACCEPT 2>/dev/null; do :; done
  ip link del "$BR" 2>/dev/null || true
  # `ip netns add` turned /run/netns into a mount point: undo that if no netns is left
  if [[ -d /run/netns && -z $(ls -A /run/netns) ]]; then
    while mountpoint -q /run/netns; do umount /run/netns || break; done
    rmdir /run/netns 2>/dev/null || true
  fi
  if grep -qF " $K/" /proc/self/mountinfo; then die "mounts left under $K - not removing it"; fi
  remove_state
  log "down (keys kept in $KEYS)"
}

# Remove only what hosts.sh made: other people may keep their own files in /tmp/kc.
STATE_FILES=(.lock README bed bin client-docker profile.d registry authorized_keys id_ed25519
  id_ed25519.pub known_hosts known_hosts.tmp ssh_config resolv.conf)
remove_state() {
  local f d left
  [[ -d $K ]] || return 0
  for f in "${STATE_FILES[@]}"; do rm -rf "${K:?}/$f"; done
  for d in "$K"/h*/; do
    d=${d%/}
    [[ ${d##*/h} =~ ^[0-9]+$ ]] && rm -rf "$d"
  done
  rmdir "$K" 2>/dev/null && return 0
  left=$(find "$K" -mindepth 1 -maxdepth 1 -printf '%f ' | head -c 200)
  log "WARNING: kept $K: it holds files hosts.sh did not create: $left"
}

cmd_env() {
  local i hosts=() light=()
  for i in $(host_ids); do
    ((i == 0)) && continue
    if sshd_only "$i"; then light+=("$(ip_of "$i")"); else hosts+=("$(ip_of "$i")"); fi
  done
  q() { printf 'export %s=%q\n' "$1" "$2"; }
  q KC_DIR "$K"
  q KC_KEYS "$KEYS"
  q KC_HOSTS_SH "$SELF"
  q KC_HOSTS "${hosts[*]}"
  q KC_NHOSTS "${#hosts[@]}"
  q KC_SSHD_HOSTS "${light[*]}"                # sshd-only hosts, after h1..hN (up N --sshd-only M)
  q KC_NSSHD "${#light[@]}"
  q KC_BUILDER "$(ip_of 0)"
  q KC_SSH_USER root
  q KC_SSH_KEY "$K/id_ed25519"
  q KC_SSH_CONFIG "$K/ssh_config"
  q KC_KNOWN_HOSTS "$K/known_hosts"
  q KC_REGISTRY "$REG"
  q KC_REGISTRY_USER "$REG_USER"
  q KC_BED_USER "$BED_USER"
  q KC_REGISTRY_PASSWORD "$REG_PASS"
  q KC_REGISTRY_CA "$K/registry/ca.crt"
  q KC_BUILDER_DOCKER_HOST "unix://$K/h0/docker.sock"
  q KC_DOCKER_CONFIG "$K/client-docker"
  q KC_DOCKER_CLI "$DOCKER_CLI"
  q KC_BED "$BED"
  q KC_NET "$NET"
  q KC_PROXY_IMAGE "$REG/basecamp/kamal-proxy:$PROXY_VERSION"          # seed-images.sh
  q KC_PROXY_IMAGE_OLD "$REG/basecamp/kamal-proxy:$PROXY_OLD_VERSION"  # same image, too old a tag
}

cmd_status() {
  local i H ok=0 state faults f
  if [[ ! -d $K ]]; then echo "down (no $K)"; return 1; fi
  if alive "$K/registry/registry.pid" && registry_answers; then
    printf '%-4s %-13s %s\n' reg "$REG" up
  else
    printf '%-4s %-13s %s\n' reg "$REG" DOWN; ok=1
  fi
  for i in $(host_ids); do
    H=$(hdir "$i")
    faults=""
    for f in "$H"/fault.*; do [[ -e $f ]] && faults+=" ${f##*/fault.}"; done
    if ! host_running "$i"; then state=DOWN; ok=1
    elif sshd_only "$i" && alive "$H/sshd.pid"; then state="up (sshd only)"
    elif ! sshd_only "$i" && alive "$H/dockerd.pid" && alive "$H/sshd.pid" && dockerd_ok "$i"; then state=up
    else state=degraded; ok=1
    fi
    [[ -n $faults ]] && { state+=" faults:$faults"; ok=1; }
    printf 'h%-3s %-13s %s\n' "$i" "$(ip_of "$i")" "$state"
  done
  [[ -n $(host_ids) ]] || ok=1
  return $ok
}

cmd_exec() {
  local i=${1:-} H
  check_id "$i"; shift
  (($# > 0)) || die "usage: hosts.sh exec N CMD..."
  H=$(hdir "$i")
  in_host "$i" env -u DOCKER_CONFIG -u DOCKER_CONTEXT HOME=/root PATH="$SESSION_PATH" \
    DOCKER_HOST="unix://$H/docker.sock" KC_HOST="h$i" "$@"
}

usage() { sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; }

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  heal) cmd_heal ;;
  exec) shift; cmd_exec "$@" ;;
  ctl) shift; cmd_ctl "$@" ;;
  _init) host_init "$2" ;;                       # internal: inside a new host's namespaces
  _spawn) shift; i=$1; echo "$BASHPID" >"$(cg_track "$i")/cgroup.procs"; spawn "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
