#!/usr/bin/env bash
# test_server.sh - `server exec`, `server bootstrap`, `audit`, host filters, hooks (pre-connect,
# docker-setup, -H) and --format json, against the real hosts h1..h3 of the bed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_kamal_c
need_hosts 3
reset_hosts

# kamal-c asks git for the performer (audit lines, hook variables): make it the same everywhere
export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0="KC Tester" \
  GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1=kc-tester@e2e.invalid
PERFORMER=kc-tester@e2e.invalid
H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)

# config/deploy.yml: service web, role web on h1, role workers on h2 + h3, the bed's ssh config
write_config() {
  cat >config/deploy.yml <<EOF
service: web
image: kc/web
servers:
  web: [$H1]
  workers: [$H2, $H3]
$(bed_yaml)
EOF
}
# block_of TEXT HOST: the lines of the "Host HOST:" block, up to the blank line that ends it
block_of() { awk -v h="Host $2:" '$0 == h {on = 1; next} on && /^$/ {exit} on {print}' <<<"$1"; }
# hook NAME BODY: an executable .kamal/hooks/NAME running BODY with /bin/sh
hook() { printf '#!/bin/sh\n%s\n' "$2" >".kamal/hooks/$1" && chmod +x ".kamal/hooks/$1"; }
# a hook body that appends its KAMAL_* variables (and the registry secret, if it got it) to FILE
env_hook() { echo "{ echo ---; env | grep -E '^(KAMAL_|KC_RUN=)' | sort; } >>'$1'"; }
no_lock_dirs() { local i; for i in 1 2 3; do assert_fails test -e "$KC_DIR/h$i/home/.kamal/lock-web"; done; }

# shellcheck disable=SC2119 # new_project without --git
new_project
write_config
mkdir -p .kamal/hooks

t "server exec hostname: each host's own name, grouped under its 'Host' header"
kc_run server exec hostname
assert_rc 0
assert_contains "$OUT" "Running 'hostname' on $H1, $H2, $H3"
for i in 1 2 3; do
  assert_eq "kc-h$i" "$(block_of "$OUT" "$(host_ip "$i")")" "output block of h$i"
done
assert_eq 3 "$(grep -c '^Host ' <<<"$OUT")" "number of host blocks"

t "server exec: kamal-c's options anywhere (as Kamal/Thor), unknown dash-words stay, -- ends options"
host_docker 1 pull -q "$KC_REGISTRY/kc/busybox:1" >/dev/null
host_docker 1 run -d --name kc-exec-probe "$KC_REGISTRY/kc/busybox:1" sleep 600 >/dev/null
id=$(host_docker 1 ps -q --filter name=kc-exec-probe)
kc_run server exec -- docker ps -q
assert_rc 0
assert_eq "$id" "$(block_of "$OUT" "$H1")" "docker ps -q on h1 (only the short id)"
assert_eq "" "$(block_of "$OUT" "$H2")" "docker ps -q on h2 (no containers, no header)"
assert_not_contains "$OUT" "CONTAINER ID"
kc_run server exec 'docker ps -q'
assert_rc 0
assert_not_contains "$OUT" "CONTAINER ID"
# without -- or quotes, -q is kamal-c's quiet option, as in Kamal: no 'Host' headers
kc_run server exec docker ps -q
assert_rc 0
assert_contains "$OUT" "CONTAINER ID"
assert_not_contains "$OUT" "Host $H1:"
# the bug: a --dry-run after the command ran it for real on every host
kc_run server exec 'sh -c "touch dry-run-was-here"' --dry-run
assert_rc 0
assert_contains "$OUT" "would run: sh -c \"touch dry-run-was-here\""
for i in 1 2 3; do assert_fails test -e "$KC_DIR/h$i/home/dry-run-was-here"; done
# dash-words kamal-c does not know belong to the command, in place
kc_run server exec echo -n -e --norc x
assert_rc 0
assert_eq "--norc x" "$(block_of "$OUT" "$H2")" "echo got -n -e, and --norc as a word"
kc_run server exec -- echo -q -h nowhere -v
assert_rc 0
assert_eq "-q -h nowhere -v" "$(block_of "$OUT" "$H2")" "after --: all the command's"
kc_run server exec echo hi -h nowhere
assert_rc 2 "-h after the command is kamal-c's --hosts"
assert_contains "$ERR" "no hosts match 'nowhere'"
host_docker 1 rm -f kc-exec-probe >/dev/null

t "-h with a brace glob selects two hosts; -r selects a role; -h and -r intersect"
kc_run -h "$KC_NET.1{1,2}" server exec hostname
assert_rc 0
assert_contains "$OUT" "Running 'hostname' on $H1, $H2"$'\n'
assert_eq "kc-h1 kc-h2" "$(block_of "$OUT" "$H1") $(block_of "$OUT" "$H2")"
assert_not_contains "$OUT" "Host $H3:"
kc_run server exec hostname -r workers          # kamal-c's -r, even after the command
assert_rc 0
assert_contains "$OUT" "Running 'hostname' on $H2, $H3"$'\n'
kc_run -r workers server exec hostname
assert_rc 0
assert_contains "$OUT" "Running 'hostname' on $H2, $H3"$'\n'
assert_not_contains "$OUT" "Host $H1:"
kc_run -r 'work*' -h "$KC_NET.*3" server exec hostname
assert_rc 0
assert_contains "$OUT" "Running 'hostname' on $H3"$'\n'
kc_run server exec -h "$H1,$H3" hostname     # -h before the command's first word is kamal-c's
assert_rc 0
assert_contains "$OUT" "Running 'hostname' on $H1, $H3"$'\n'

t "a host or role filter that matches nothing exits 2, names it, and connects nowhere"
ssh_mark
kc_run -h '10.9.9.*' server exec hostname
assert_rc 2
assert_contains "$ERR" "10.9.9.*"
kc_run -h "$H1,10.9.9.9" server exec hostname
assert_rc 2 "one pattern of the list matches nothing"
assert_contains "$ERR" "10.9.9.9"
kc_run -r db server exec hostname
assert_rc 2
assert_contains "$ERR" "'db'"
kc_run -r web -h "$H2" server exec hostname
assert_rc 2 "-r web -h h2: no host in both"
for i in 1 2 3; do assert_eq 0 "$(ssh_logins "$i")" "ssh logins to h$i"; done

t "a command that fails on one host: exit 1, that host named, the others still print"
# shellcheck disable=SC2016 # expanded on the hosts
kc_run server exec '[ "$(hostname)" != kc-h2 ] && echo "fine on $(hostname)"'
assert_rc 1
assert_eq "fine on kc-h1" "$(block_of "$OUT" "$H1")"
assert_eq "fine on kc-h3" "$(block_of "$OUT" "$H3")"
assert_match "$ERR" "\[$H2\][^"$'\n'"]*exited with status 1"
assert_not_contains "$ERR" "[$H1]"
assert_not_contains "$ERR" "[$H3]"
assert_contains "$ERR" "failed on 1 of 3 hosts"

t "every exec leaves an audit line on each host; 'audit' shows them"
marker="audit-marker-$$-$RANDOM"
kc_run server exec echo "$marker"
assert_rc 0
for i in 1 2 3; do
  ip=$(host_ip "$i")
  log=$(host_sh "$i" 'cat .kamal/web-audit.log')
  line=$(grep -F "$marker" <<<"$log" || true)
  assert_match "$line" "^\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\] \[$PERFORMER\] Executed cmd 'echo $marker' on $ip$" "audit line on h$i"
  # the failing command of the case before is audited too, on every host
  assert_contains "$log" "Executed cmd '[ \"\$(hostname)\" != kc-h2 ]" "audit of the failed command on h$i"
done
kc_run audit
assert_rc 0
for i in 1 2 3; do
  assert_contains "$(block_of "$OUT" "$(host_ip "$i")")" "Executed cmd 'echo $marker' on $(host_ip "$i")" "audit output of h$i"
done
kc_run -h "$H2" audit
assert_rc 0
assert_not_contains "$OUT" "Host $H1:"
kc_run -q audit                                   # several hosts: -q keeps which is which
assert_rc 0
for i in 1 2 3; do assert_contains "$OUT" "Host $(host_ip "$i"):"; done
kc_run -q -h "$H2" audit                          # one host: no header, as Kamal's -q
assert_not_contains "$OUT" "Host $H2:"
assert_contains "$OUT" "Executed cmd 'echo $marker' on $H2"

t "--format json: one JSON document with each host's output and status"
kc_run --format json server exec hostname
assert_rc 0
assert_ok python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
hosts = {h["host"]: h for h in doc["hosts"]}
assert doc["command"] == "server exec" and doc["ok"] is True and doc["exit_code"] == 0, doc
assert sorted(hosts) == sorted(sys.argv[2:]), hosts
for i, ip in enumerate(sys.argv[2:], 1):
    assert hosts[ip]["status"] == "ok", hosts[ip]
    assert hosts[ip]["output"] == "kc-h%d\n" % i, hosts[ip]
' "$OUT_FILE" "$H1" "$H2" "$H3"
# shellcheck disable=SC2016 # expanded on the hosts
kc_run --format json server exec 'hostname; [ "$(hostname)" != kc-h3 ]'
assert_rc 1
assert_ok python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
hosts = {h["host"]: h for h in doc["hosts"]}
assert doc["ok"] is False and doc["exit_code"] == 1, doc
assert hosts[sys.argv[2]]["status"] == "ok" and hosts[sys.argv[2]]["output"] == "kc-h1\n", hosts
assert hosts[sys.argv[3]]["status"] == "failed", hosts[sys.argv[3]]
assert "exited with status 1" in hosts[sys.argv[3]]["error"], hosts[sys.argv[3]]
' "$OUT_FILE" "$H1" "$H3"

t "server bootstrap: a host without docker is named with a clear error; docker-setup does not run"
reset_hosts                                     # empty homes: bootstrap must create .kamal
hosts_ctl 3 hide-docker
hook docker-setup "$(env_hook "$KC_PROJECT/docker-setup.env")"
kc_run server bootstrap
assert_rc 1
assert_contains "$OUT" "[$H1] docker: present"
assert_contains "$OUT" "[$H2] docker: present"
assert_contains "$OUT" "[$H3] docker: failed - docker is not installed on $H3"
assert_contains "$OUT" "3 hosts: 2 present, 1 failed"
assert_match "$ERR" "\[$H3\] error: docker is not installed on $H3"
assert_contains "$ERR" "https://docs.docker.com/engine/install/"
assert_not_contains "$ERR" "[$H1]"
assert_fails test -e "$KC_PROJECT/docker-setup.env"
for i in 1 2; do assert_ok test -d "$KC_DIR/h$i/home/.kamal"; done
no_lock_dirs
hosts_ctl 3 heal

t "server bootstrap succeeds everywhere, then runs docker-setup once with the KAMAL_* variables"
kc_run server bootstrap
assert_rc 0
for i in 1 2 3; do
  assert_contains "$OUT" "[$(host_ip "$i")] docker: present"
  assert_ok test -d "$KC_DIR/h$i/home/.kamal"
done
envs=$(cat "$KC_PROJECT/docker-setup.env" 2>/dev/null || true)
assert_eq 1 "$(grep -c '^---$' <<<"$envs")" "docker-setup runs"
assert_contains "$envs" "KAMAL_COMMAND=server"
assert_contains "$envs" "KAMAL_SUBCOMMAND=bootstrap"
assert_contains "$envs" "KAMAL_SERVICE=web"
assert_contains "$envs" "KAMAL_HOSTS=$H1,$H2,$H3"
assert_contains "$envs" "KAMAL_PERFORMER=$PERFORMER"
assert_contains "$envs" "KAMAL_LOCK=true"       # the run holds the deploy lock while it runs
assert_match "$envs" "KAMAL_RECORDED_AT=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"
assert_not_contains "$envs" "KAMAL_REGISTRY_PASSWORD" "docker-setup gets no secrets (Kamal)"
no_lock_dirs
kc_run -r workers server bootstrap
assert_rc 0
assert_contains "$(tail -n 20 "$KC_PROJECT/docker-setup.env")" "KAMAL_HOSTS=$H2,$H3"
rm -f .kamal/hooks/docker-setup "$KC_PROJECT/docker-setup.env"

t "pre-connect runs once, before the first connection, with the KAMAL_* variables and the secrets"
hook pre-connect "$(env_hook "$KC_PROJECT/pre-connect.env")"
kc_run server exec hostname
assert_rc 0
envs=$(cat "$KC_PROJECT/pre-connect.env" 2>/dev/null || true)
assert_eq 1 "$(grep -c '^---$' <<<"$envs")" "pre-connect runs for 3 hosts"
assert_contains "$envs" "KAMAL_COMMAND=server"
assert_contains "$envs" "KAMAL_SUBCOMMAND=exec"
assert_contains "$envs" "KAMAL_HOSTS=$H1,$H2,$H3"
assert_contains "$envs" "KAMAL_LOCK=false"
assert_contains "$envs" "KAMAL_REGISTRY_PASSWORD=$KC_REGISTRY_PASSWORD" "pre-connect gets the secrets (Kamal)"
kc_run lock status                               # another verb: its own KAMAL_COMMAND
assert_rc 0
assert_contains "$(tail -n 20 "$KC_PROJECT/pre-connect.env")" "KAMAL_COMMAND=lock"

t "a failing pre-connect hook stops the verb before any SSH login (exit 1)"
hook pre-connect "echo 'pre-connect: VPN is down' >&2; echo ran >>'$KC_PROJECT/pre-connect.runs'; exit 3"
ssh_mark
kc_run server exec hostname
assert_rc 1
assert_contains "$ERR" "pre-connect"
assert_contains "$ERR" "VPN is down"
assert_not_contains "$OUT" "Host "
assert_eq 1 "$(wc -l <"$KC_PROJECT/pre-connect.runs")" "pre-connect runs"
for i in 1 2 3; do assert_eq 0 "$(ssh_logins "$i")" "ssh logins to h$i"; done
kc_run server bootstrap
assert_rc 1 "bootstrap with a failing pre-connect"
for i in 1 2 3; do assert_eq 0 "$(ssh_logins "$i")" "ssh logins to h$i (bootstrap)"; done
no_lock_dirs

t "-H skips every hook (pre-connect, docker-setup), wherever it stands"
hook docker-setup "echo ran >>'$KC_PROJECT/docker-setup.runs'"
rm -f "$KC_PROJECT/pre-connect.runs"
kc_run -H server exec hostname
assert_rc 0
assert_eq "kc-h2" "$(block_of "$OUT" "$H2")"
kc_run server bootstrap -H
assert_rc 0
kc_run --skip-hooks server bootstrap
assert_rc 0
assert_fails test -e "$KC_PROJECT/pre-connect.runs"
assert_fails test -e "$KC_PROJECT/docker-setup.runs"
rm -f .kamal/hooks/pre-connect .kamal/hooks/docker-setup

t "server exec -i gives an interactive shell on the first selected host"
out=$(HOME=$KC_HOME timeout 20 script -qec "$KAMAL_C server exec -i -h $(host_ip 2) sh" /dev/null \
  <<<'echo on-$(hostname)-$((6*7)); exit 0' 2>&1 || true)
assert_contains "$out" "on-kc-h2-42"
