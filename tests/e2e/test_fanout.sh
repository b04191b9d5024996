#!/usr/bin/env bash
# test_fanout.sh - a fleet of 23 hosts (h1..h3 and 20 sshd-only hosts: hosts.sh up 3
# --sshd-only 20): server exec reaches every host once, in parallel under a small
# max_concurrent_starts; the summary groups hosts by outcome and names the ones that failed or
# were unreachable; JSON lists every host; lock status and a no-op accessory boot only contact
# the hosts they need. Timed targets for 10/50/100 hosts are in bench/ (bench/run.sh, section f).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_kamal_c
need_hosts 3
need_sshd_hosts 20
reset_hosts

H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)
NS=20                                           # sshd-only hosts used: the first 20
S=() SID=()                                     # their addresses and host numbers
for ((k = 1; k <= NS; k++)); do SID+=("$(sshd_host_id "$k")"); S+=("$(host_ip "${SID[k - 1]}")"); done
ALL=("$H1" "$H2" "$H3" "${S[@]}")
N=${#ALL[@]}

# fleet_project [SSHKIT_LINE]: servers = all 23 hosts; the accessory only on h1..h3 (docker)
fleet_project() {
  new_project
  {
    echo "service: fan"
    echo "image: kc/web"
    echo "servers:"
    echo "  web:"
    printf '    - %s\n' "${ALL[@]}"
    bed_yaml
    [[ -z ${1:-} ]] || echo "$1"
    cat <<EOF
accessories:
  db:
    image: $KC_REGISTRY/kc/web:1
    hosts: [$H1, $H2, $H3]
EOF
  } >config/deploy.yml
}
sshd_logins() {  # total logins on the sshd-only hosts since ssh_mark
  local i n=0
  for i in "${SID[@]}"; do n=$((n + $(ssh_logins "$i"))); done
  echo "$n"
}

t "server exec reaches all $N hosts once each, in parallel with max_concurrent_starts 4"
fleet_project "sshkit: {max_concurrent_starts: 4}"
ssh_mark
started=$SECONDS
kc_run server exec 'sleep 1; hostname'
assert_rc 0
for ((k = 0; k < NS; k++)); do
  assert_contains "$OUT" "Host ${S[k]}:"$'\n'"kc-h${SID[k]}"
done
assert_contains "$OUT" "Host $H3:"$'\n'"kc-h3"
assert_match "$OUT" "Finished in [0-9.]+ s"
assert_eq "$NS" "$(sshd_logins)" "one login per sshd-only host"
assert_eq 1 "$(ssh_logins 1)" "one login on h1"
# one after the other would take $N s or more: the hosts run at once, 4 handshakes at a time
(((SECONDS - started) < N / 2)) || fail "server exec on $N hosts took $((SECONDS - started)) s"

t "failures on 3 hosts: the summary names them, the others are ok; JSON lists every host"
fleet_project
bad="kc-h${SID[4]} kc-h${SID[9]} kc-h${SID[14]}"
kc_run server exec "case \" $bad \" in *\" \$(hostname) \"*) exit 3;; esac"
assert_rc 1
assert_contains "$OUT" "$N hosts: $((N - 3)) ok, 3 failed: ${S[4]}, ${S[9]}, ${S[14]} ("
assert_contains "$ERR" "failed on 3 of $N hosts"
assert_contains "$ERR" "[${S[9]}] error:"
kc_run --format json server exec "case \" $bad \" in *\" \$(hostname) \"*) exit 3;; esac"
assert_rc 1
assert_ok python3 - "$OUT_FILE" "$N" "${S[4]}" "${S[9]}" "${S[14]}" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
n, bad = int(sys.argv[2]), sys.argv[3:]
assert len(doc["hosts"]) == n, doc["hosts"]
assert doc["outcomes"]["failed"] == bad, doc["outcomes"]
assert len(doc["outcomes"]["ok"]) == n - 3 and not set(bad) & set(doc["outcomes"]["ok"]), doc
assert doc["summary"] == {"ok": n - 3, "failed": 3}, doc["summary"]
assert all(h["status"] == ("failed" if h["host"] in bad else "ok") for h in doc["hosts"]), doc
EOF

t "docker on hosts without a dockerd fails there: the summary names 10 and counts the rest"
fleet_project
kc_run server exec docker ps
assert_rc 1
summary=$(tail -n 1 <<<"$OUT")
assert_contains "$summary" "$N hosts: 3 ok, $NS failed: ${S[0]}, ${S[1]}, "
assert_contains "$summary" "${S[9]} and $((NS - 10)) more ("
assert_not_contains "$summary" "${S[10]}"
assert_contains "$OUT" "Host ${S[0]}:"$'\n'"Cannot connect to the Docker daemon"

t "two hosts refuse connections: unreachable, named after the others, exit 4"
fleet_project
hosts_ctl "${SID[2]}" sshd-stop
hosts_ctl "${SID[7]}" sshd-stop
kc_run server exec true
assert_rc 4
assert_contains "$OUT" "$N hosts: $((N - 2)) ok, 2 unreachable: ${S[2]}, ${S[7]} ("
assert_contains "$ERR" "2 of $N hosts unreachable"
hosts_ctl "${SID[2]}" heal
hosts_ctl "${SID[7]}" heal

t "lock status over the fleet contacts the primary host only"
fleet_project
ssh_mark
kc_run lock status
assert_rc 0
assert_contains "$OUT" "There is no deploy lock"
assert_eq 0 "$(sshd_logins)" "logins on sshd-only hosts"
assert_eq 1 "$(ssh_logins 1)" "logins on h1"

t "a no-op accessory boot over the fleet probes only the accessory's hosts, takes no lock"
fleet_project
kc_run accessory boot all
assert_rc 0
assert_contains "$OUT" "3 hosts: 3 booted ("
ssh_mark
kc_run accessory boot all
assert_rc 0
for h in "$H1" "$H2" "$H3"; do assert_contains "$OUT" "[$h] db: unchanged"; done
assert_contains "$OUT" "3 hosts: 3 unchanged ("
assert_eq 0 "$(sshd_logins)" "logins on sshd-only hosts"
assert_fails test -e "$KC_DIR/h1/home/.kamal/lock-fan"
