#!/usr/bin/env bash
# test_faults.sh - faults in the middle of a run: a host that refuses
# connections, one that accepts TCP but never speaks SSH, a network cut during a
# boot, a stopped dockerd, SIGTERM during a locked verb, a registry that rejects
# the credentials. Each is reported by host with its cause within a bounded
# time, the other hosts complete, the exit code names the class of failure, and
# the next run converges what was left.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c

H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)
REG=$KC_REGISTRY
export KAMAL_C_CONNECT_TIMEOUT=3 KAMAL_C_KEEPALIVE=2

# A web accessory on every host; the lock lives on the first server, h3, which
# the faults below leave alone unless said otherwise.
write_config() {
  cat >config/deploy.yml <<EOF
service: flt
image: kc/web
servers:
  - $H3
  - $H1
  - $H2
  $*
$(bed_yaml "${SSH_CONFIG:-$KC_SSH_CONFIG}")
accessories:
  web:
    image: $REG/kc/web:1
    roles: [web]
  slow:
    image: $REG/kc/healthy:1
    host: $H1
    cmd: sh -c "trap 'exit 0' TERM; rm -f /www/up; (sleep 6; echo OK > /www/up) & httpd -f -p 80 -h /www & wait"
EOF
}

elapsed() { echo $((SECONDS - $1)); }

reset_hosts
new_project
write_config

t "a host that refuses connections is unreachable; the others boot; exit 4"
hosts_ctl 2 sshd-stop
start=$SECONDS
kc_run accessory boot web
assert_rc 4
assert_contains "$OUT" "[$H2] web: unreachable"
assert_match "$ERR" "$H2.*(refused|connect)"
assert_contains "$OUT" "[$H1] web: booted"
assert_contains "$OUT" "[$H3] web: booted"
(($(elapsed "$start") < 10)) || fail "took $(elapsed "$start") s"

t "the next run converges the host that was down"
hosts_ctl 2 sshd-start
kc_run accessory boot web
assert_rc 0
assert_contains "$OUT" "[$H2] web: booted"
assert_contains "$OUT" "[$H1] web: unchanged"

t "a host that accepts TCP but never answers SSH times out within the connect timeout"
port=22$((RANDOM % 90 + 10))
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$(host_ip 0 | sed 's/\.10$/.1/')" "$port" &
silent=$!

SSH_CONFIG=$_kc_tmp/ssh_config
{
  printf 'Host kc-silent\n  HostName %s\n  Port %s\n\n' "$(host_ip 0 | sed 's/\.10$/.1/')" "$port"
  cat "$KC_SSH_CONFIG"
} >"$SSH_CONFIG"
write_config "- kc-silent"
sed -i "s|roles: \[web\]|hosts: [$H1, kc-silent]|" config/deploy.yml
for _ in $(seq 100); do # the listener is up (python starts slowly on a loaded machine)
  ss -Hltn "sport = :$port" | grep -q . && break
  sleep 0.1
done
start=$SECONDS
kc_run accessory boot web
assert_rc 4
assert_contains "$OUT" "[kc-silent] web: unreachable"
assert_match "$ERR" "kc-silent.*(time|Timeout)"
assert_contains "$OUT" "[$H1] web: unchanged"
(($(elapsed "$start") < 10)) || fail "took $(elapsed "$start") s"
kill "$silent" 2>/dev/null || true
unset SSH_CONFIG
write_config

t "a network cut during a boot: that host is lost, named, bounded; the others finish"
start=$SECONDS
(
  kc_run accessory boot all
  echo "$RC" >"$_kc_tmp/cut.rc"
  cp "$OUT_FILE" "$_kc_tmp/cut.out"
  cp "$ERR_FILE" "$_kc_tmp/cut.err"
) &
bg=$!
# wait until the slow accessory's container exists (kamal-c waits for it to get healthy)
for _ in $(seq 50); do
  [[ $(host_docker 1 ps -q --filter name=flt-slow) ]] && break
  sleep 0.2
done
hosts_ctl 1 link-down
wait "$bg"
hosts_ctl 1 link-up
assert_eq 4 "$(cat "$_kc_tmp/cut.rc")" "exit status"
assert_match "$(cat "$_kc_tmp/cut.out")" "\[$H1\] slow: unreachable"
assert_match "$(cat "$_kc_tmp/cut.err")" "$H1.*(lost|keepalive|closed)"
(($(elapsed "$start") < 30)) || fail "took $(elapsed "$start") s"
assert_eq "" "$(host_sh 3 'ls -d .kamal/lock-* 2>/dev/null || true')" "lock released on h3"

t "after the cut, the next run converges"
for _ in $(seq 20); do
  [[ $(host_docker 1 inspect -f '{{.State.Health.Status}}' flt-slow 2>/dev/null) == healthy ]] && break
  sleep 0.5
done
kc_run accessory boot all
assert_rc 0
assert_match "$OUT" "\[$H1\] slow: (unchanged|started|booted)"

t "a stopped dockerd fails that host with docker's message; the others are fine"
hosts_ctl 2 dockerd-stop
kc_run accessory boot web
assert_rc 1
assert_contains "$OUT" "[$H2] web: failed"
assert_contains "$ERR" "docker is not available on $H2"
assert_match "$ERR" "Cannot connect to the Docker daemon|docker.sock"
assert_contains "$OUT" "[$H1] web: unchanged"
hosts_ctl 2 dockerd-start
kc_run accessory boot web
assert_rc 0
assert_match "$OUT" "\[$H2\] web: (unchanged|started)"

t "SIGTERM during a locked verb releases the lock and says what was not done"
(
  kc_run accessory reboot slow
  echo "$RC" >"$_kc_tmp/term.rc"
  cp "$OUT_FILE" "$_kc_tmp/term.out"
  cp "$ERR_FILE" "$_kc_tmp/term.err"
) &
bg=$!
for _ in $(seq 50); do
  host_sh 3 'test -d .kamal/lock-flt' 2>/dev/null && break
  sleep 0.1
done
sleep 1.5
pkill -TERM -f "^$KAMAL_C accessory reboot slow" || fail "kamal-c was not running"
wait "$bg"
assert_eq 130 "$(cat "$_kc_tmp/term.rc")"
assert_contains "$(cat "$_kc_tmp/term.err")" "interrupted by SIGTERM"
assert_contains "$(cat "$_kc_tmp/term.err")" "the deploy lock was released"
assert_eq "" "$(host_sh 3 'ls -d .kamal/lock-* 2>/dev/null || true')" "no lock left"
# a container the interrupted reboot started is unhealthy from ~4 s to ~6 s of its life (its /up
# comes at 6 s): let it get there, as a user running boot again a moment later would
for _ in $(seq 150); do
  health=$(host_docker 1 inspect -f '{{.State.Health.Status}}' flt-slow 2>/dev/null) || break
  [[ $health == healthy ]] && break
  sleep 0.1
done
kc_run accessory boot slow
assert_rc 0

t "SIGTERM while the lock's host is cut off: the lock may be left, and the output says how to release it"
(
  kc_run accessory reboot slow
  echo "$RC" >"$_kc_tmp/cut-term.rc"
  cp "$ERR_FILE" "$_kc_tmp/cut-term.err"
) &
bg=$!
for _ in $(seq 50); do
  host_sh 3 'test -d .kamal/lock-flt' 2>/dev/null && break
  sleep 0.1
done
hosts_ctl 3 link-down
start=$SECONDS
pkill -TERM -f "^$KAMAL_C accessory reboot slow" || fail "kamal-c was not running"
wait "$bg"
hosts_ctl 3 link-up
assert_eq 130 "$(cat "$_kc_tmp/cut-term.rc")" "the exit status stays the interruption's"
assert_contains "$(cat "$_kc_tmp/cut-term.err")" "interrupted by SIGTERM"
assert_match "$(cat "$_kc_tmp/cut-term.err")" "could not release the deploy lock on $H3, so it may be left behind.*kamal-c lock release"
(($(elapsed "$start") < 20)) || fail "the release attempt took $(elapsed "$start") s"
kc_run lock release
assert_rc 0
assert_eq "" "$(host_sh 3 'ls -d .kamal/lock-* 2>/dev/null || true')" "released by hand"

t "a registry that rejects the credentials: docker's message, with the host"
host_docker 2 rm -f flt-web >/dev/null
host_docker 2 rmi -f "$REG/kc/web:1" >/dev/null
host_sh 2 'rm -f .docker/config.json'
printf 'KAMAL_REGISTRY_PASSWORD=wrong-password\n' >.kamal/secrets
kc_run accessory boot web
assert_rc 1
assert_contains "$OUT" "[$H2] web: failed"
assert_match "$ERR" "401 Unauthorized|unauthorized|authentication required"
assert_contains "$ERR" "$H2"
assert_not_contains "$OUT$ERR" "wrong-password"
printf 'KAMAL_REGISTRY_PASSWORD=%s\n' "$KC_REGISTRY_PASSWORD" >.kamal/secrets
kc_run accessory boot web
assert_rc 0
assert_contains "$OUT" "[$H2] web: booted"

t "a full disk on the host: docker's message, with the host; the next run converges"
hosts_ctl 3 small-disk
small=$KC_DIR/h3/data-small
"$KC_HOSTS_SH" exec 3 sh -c \
  "fallocate -l \$(( \$(df --output=avail -B1 $small | tail -1) - 262144 )) $small/kc-fill"
kc_run accessory boot web
assert_rc 1
assert_contains "$OUT" "[$H3] web: failed"
assert_match "$ERR" "no space left on device"
assert_contains "$ERR" "$H3"
assert_contains "$OUT" "[$H1] web: unchanged"
hosts_ctl 3 normal-disk
kc_run accessory boot web
assert_rc 0
assert_contains "$OUT" "[$H3] web: unchanged"
