#!/usr/bin/env bash
# test_unreachable.sh - hosts kamal-c cannot reach or must not trust: a host off the network,
# an address where nothing listens, a refused port, a changed host key, an unknown host key
# (accept-new vs StrictHostKeyChecking yes), a key the hosts refuse, and a configuration error
# (exit 3 before any connection). The bed's own known_hosts and ssh_config are never modified:
# the cases work on copies in the project dir.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_kamal_c
need_hosts 3
reset_hosts

H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)
NOBODY=$KC_NET.77            # in the bed's subnet, no host there
export KAMAL_C_CONNECT_TIMEOUT=3
bed_files_sum() { sha256sum "$KC_KNOWN_HOSTS" "$KC_SSH_CONFIG"; }
BED_FILES=$(bed_files_sum)

# write_config SSH_CONFIG HOST...: config/deploy.yml for service web on HOST...
write_config() {
  local sshcfg=$1 hosts; shift
  hosts=$(printf '%s, ' "$@")
  cat >config/deploy.yml <<EOF
service: web
image: kc/web
servers: [${hosts%, }]
$(bed_yaml "$sshcfg")
EOF
}
# ssh_config_copy NAME KNOWN_HOSTS [sed expression...]: $KC_PROJECT/NAME, a copy of the bed's
# ssh_config that uses KNOWN_HOSTS (and the extra edits)
ssh_config_copy() {
  local f=$KC_PROJECT/$1 kh=$2; shift 2
  local args=(-e "s#^\( *UserKnownHostsFile\) .*#\1 $kh#") e
  for e in "$@"; do args+=(-e "$e"); done
  sed "${args[@]}" "$KC_SSH_CONFIG" >"$f"
  grep -q "UserKnownHostsFile $kh\$" "$f"      # the bed's ssh_config names its known_hosts
}
block_of() { awk -v h="Host $2:" '$0 == h {on = 1; next} on && /^$/ {exit} on {print}' <<<"$1"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
timed_kc_run() { local s; s=$(now_ms); kc_run "$@"; ELAPSED_MS=$(($(now_ms) - s)); }
fingerprint() { ssh-keygen -lf "$KC_DIR/h$1/ssh_host_ed25519_key.pub" | awk '{print $2}'; }

# shellcheck disable=SC2119 # new_project without --git
new_project

t "a host off the network (link down): named as unreachable, the others run, exit 4, < 10 s"
write_config "$KC_SSH_CONFIG" "$H1" "$H2" "$H3"
hosts_ctl 3 link-down
timed_kc_run server exec hostname
hosts_ctl 3 link-up
assert_rc 4
assert_eq "kc-h1" "$(block_of "$OUT" "$H1")"
assert_eq "kc-h2" "$(block_of "$OUT" "$H2")"
assert_not_contains "$OUT" "Host $H3:"
assert_match "$ERR" "\[$H3\] error: [^"$'\n'"]*$H3"
assert_contains "$ERR" "1 of 3 hosts unreachable"
((ELAPSED_MS < 10000)) || fail "the run took ${ELAPSED_MS} ms with KAMAL_C_CONNECT_TIMEOUT=3"

t "an address where nothing answers: named, the others run, exit 4, < 10 s; JSON says unreachable"
write_config "$KC_SSH_CONFIG" "$H1" "$NOBODY" "$H2"
timed_kc_run --format json server exec hostname
assert_rc 4
((ELAPSED_MS < 10000)) || fail "the run took ${ELAPSED_MS} ms with KAMAL_C_CONNECT_TIMEOUT=3"
assert_ok python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
hosts = {h["host"]: h for h in doc["hosts"]}
assert doc["exit_code"] == 4 and doc["error"]["kind"] == "unreachable", doc
assert hosts[sys.argv[2]]["status"] == "unreachable" and sys.argv[2] in hosts[sys.argv[2]]["error"], hosts
assert hosts[sys.argv[3]]["output"] == "kc-h1\n" and hosts[sys.argv[4]]["output"] == "kc-h2\n", hosts
' "$OUT_FILE" "$NOBODY" "$H1" "$H2"

t "a refused connection (sshd stopped) is reported at once, exit 4"
write_config "$KC_SSH_CONFIG" "$H1" "$H2" "$H3"
hosts_ctl 2 sshd-stop
timed_kc_run server exec hostname
hosts_ctl 2 sshd-start
assert_rc 4
assert_match "$ERR" "\[$H2\] error: [^"$'\n'"]*(refused|Connection)"
assert_eq "kc-h3" "$(block_of "$OUT" "$H3")"
((ELAPSED_MS < 3000)) || fail "a refused connection took ${ELAPSED_MS} ms"

t "a changed host key is refused, naming the host and the offered SHA256 fingerprint; others run"
kh=$KC_PROJECT/known_hosts.changed
ssh-keygen -q -t ed25519 -N '' -C impostor -f "$KC_PROJECT/impostor"
awk -v ip="$H2" -v key="$(cut -d' ' -f1,2 "$KC_PROJECT/impostor.pub")" \
  '$1 == ip {$0 = ip " " key} {print}' "$KC_KNOWN_HOSTS" >"$kh"
assert_ok grep -q "^$H2 .*$(cut -d' ' -f2 "$KC_PROJECT/impostor.pub")" "$kh"
before=$(sha256sum <"$kh")
ssh_config_copy ssh_config.changed "$kh"
write_config "$KC_PROJECT/ssh_config.changed" "$H1" "$H2" "$H3"
kc_run server exec hostname
assert_rc 4
assert_match "$ERR" "\[$H2\] error: [^"$'\n'"]*(changed|mismatch)"
assert_contains "$ERR" "$(fingerprint 2)"
assert_eq "kc-h1" "$(block_of "$OUT" "$H1")"
assert_eq "kc-h3" "$(block_of "$OUT" "$H3")"
assert_not_contains "$OUT" "Host $H2:"
assert_eq "$before" "$(sha256sum <"$kh")" "known_hosts with the changed key is left alone"

t "an unknown host key is recorded (accept-new) in the known_hosts file the ssh config names"
kh=$KC_PROJECT/known_hosts.partial
grep -v "^$H2 " "$KC_KNOWN_HOSTS" >"$kh"
ssh_config_copy ssh_config.acceptnew "$kh" '/StrictHostKeyChecking/d'
write_config "$KC_PROJECT/ssh_config.acceptnew" "$H1" "$H2" "$H3"
kc_run server exec hostname
assert_rc 0
assert_eq "kc-h2" "$(block_of "$OUT" "$H2")"
assert_eq "$(cut -d' ' -f1,2 "$KC_DIR/h2/ssh_host_ed25519_key.pub")" \
  "$(awk -v ip="$H2" '$1 == ip {print $2, $3}' "$kh")" "the key recorded for $H2"
assert_eq 1 "$(grep -c "^$H2 " "$kh")" "lines for $H2 in known_hosts"
kc_run server exec hostname                      # now known: accepted, not added again
assert_rc 0
assert_eq 1 "$(grep -c "^$H2 " "$kh")" "lines for $H2 after a second run"

t "StrictHostKeyChecking yes in the ssh config refuses an unknown host key (exit 4)"
kh=$KC_PROJECT/known_hosts.strict
grep -v "^$H3 " "$KC_KNOWN_HOSTS" >"$kh"
before=$(sha256sum <"$kh")
ssh_config_copy ssh_config.strict "$kh"
write_config "$KC_PROJECT/ssh_config.strict" "$H1" "$H2" "$H3"
assert_ok grep -q 'StrictHostKeyChecking yes' "$KC_PROJECT/ssh_config.strict"
kc_run server exec hostname
assert_rc 4
assert_match "$ERR" "\[$H3\] error: [^"$'\n'"]*$H3"
assert_contains "$ERR" "$(fingerprint 3)"
assert_eq "kc-h1" "$(block_of "$OUT" "$H1")"
assert_eq "$before" "$(sha256sum <"$kh")" "known_hosts is not written"

t "a key the hosts refuse: every host unreachable (authentication), exit 4"
ssh-keygen -q -t ed25519 -N '' -C stranger -f "$KC_PROJECT/stranger"
ssh_config_copy ssh_config.auth "$KC_KNOWN_HOSTS" "s#^\( *IdentityFile\) .*#\1 $KC_PROJECT/stranger#"
write_config "$KC_PROJECT/ssh_config.auth" "$H1" "$H2"
kc_run server exec hostname
assert_rc 4
assert_match "$ERR" "\[$H1\] error: [^"$'\n'"]*authentication"
assert_match "$ERR" "\[$H2\] error: [^"$'\n'"]*authentication"
assert_not_contains "$OUT" "kc-h"

t "a configuration error exits 3 before any SSH login"
write_config "$KC_SSH_CONFIG" "$H1" "$H2" "$H3"
printf 'service: web\nimage: [kc/web\nservers: [%s]\n' "$H1" >config/deploy.yml
ssh_mark
kc_run server exec hostname
assert_rc 3
assert_match "$ERR" "config/deploy\.yml:[0-9]+"
kc_run server bootstrap
assert_rc 3
kc_run lock acquire -m "bad config"
assert_rc 3
write_config "$KC_SSH_CONFIG" "$H1" "$H2" "$H3"
kc_run -d nosuch server exec hostname            # a destination file that does not exist
assert_rc 3
assert_contains "$ERR" "nosuch"
sed -i 's/^builder:.*$//' config/deploy.yml      # schema: Kamal requires builder.arch
kc_run server exec hostname
assert_rc 3
assert_contains "$ERR" "builder"
for i in 0 1 2 3; do assert_eq 0 "$(ssh_logins "$i")" "ssh logins to h$i"; done

t "the bed's own known_hosts and ssh_config are unchanged"
assert_eq "$BED_FILES" "$(bed_files_sum)"
