#!/usr/bin/env bash
# test_registry.sh - `registry login` / `registry logout` against the bed's TLS + htpasswd
# registry: credentials land on (and leave) every host, private pulls work only while logged
# in, the password never shows in any output mode, a wrong password surfaces docker's own
# message, and --dry-run writes nothing. -L everywhere except the one case that logs in
# "locally" too (kc_run's DOCKER_HOST is the builder h0, its DOCKER_CONFIG the sandbox's).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_kamal_c
need_hosts 3
reset_hosts

H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)
IMAGE=$KC_REGISTRY/kc/web:1
PW=$KC_REGISTRY_PASSWORD

write_config() {
  cat >config/deploy.yml <<EOF
service: web
image: kc/web
servers: [$H1, $H2, $H3]
$(bed_yaml)
EOF
}
block_of() { awk -v h="Host $2:" '$0 == h {on = 1; next} on && /^$/ {exit} on {print}' <<<"$1"; }
# has_login N: does host N's ~/.docker/config.json hold a credential for the registry?
has_login() {
  python3 - "$KC_DIR/h$1/home/.docker/config.json" "$KC_REGISTRY" <<'EOF'
import json, sys
try:
    auths = json.load(open(sys.argv[1])).get("auths", {})
except FileNotFoundError:
    sys.exit(1)
sys.exit(0 if auths.get(sys.argv[2], {}).get("auth") else 1)
EOF
}
homes_sum() { local i; for i in 1 2 3; do find "$KC_DIR/h$i/home" -printf "h$i %P %y %s %T@\n" | sort; done; }
no_password() {   # no_password WHAT: neither $OUT nor $ERR of the last kc_run shows the password
  assert_not_contains "$OUT" "$PW" "password in stdout ($1)"
  assert_not_contains "$ERR" "$PW" "password in stderr ($1)"
}
forget_image() { local i; for i in 1 2 3; do host_docker "$i" rmi -f "$IMAGE" >/dev/null 2>&1 || true; done; }

# shellcheck disable=SC2119 # new_project without --git
new_project
write_config
forget_image

t "registry login -L: a credential on every host, and a private image pulls everywhere"
kc_run registry login -L
assert_rc 0
for i in 1 2 3; do
  assert_contains "$OUT" "[$(host_ip "$i")] registry: logged in"
  assert_ok has_login "$i"
done
kc_run server exec -- docker pull -q "$IMAGE"      # -- : the -q is docker's
assert_rc 0
for i in 1 2 3; do
  assert_eq "$IMAGE" "$(block_of "$OUT" "$(host_ip "$i")")" "docker pull on h$i"
  assert_contains "$(host_docker "$i" image ls --format '{{.Repository}}:{{.Tag}}')" "$IMAGE"
done
no_password "login"

t "registry logout -L removes the credential; a pull then fails with an auth error"
forget_image
kc_run registry logout -L
assert_rc 0
for i in 1 2 3; do
  assert_contains "$OUT" "[$(host_ip "$i")] registry: logged out"
  assert_fails has_login "$i"
done
kc_run server exec -- docker pull -q "$IMAGE"      # -- : the -q is docker's
assert_rc 1
for i in 1 2 3; do
  assert_match "$(block_of "$OUT" "$(host_ip "$i")")" "(no basic auth credentials|unauthorized|authentication required)" "pull on h$i"
  assert_contains "$ERR" "[$(host_ip "$i")]"
done
kc_run registry logout -L                        # logging out twice is fine (docker says so)
assert_rc 0

t "the password never appears: -v, -q, --dry-run, --format json, errors"
for mode in "-v" "-q" "--dry-run" "--format json" "--dry-run -v" "--format json -v" "--dry-run --format json"; do
  # shellcheck disable=SC2086 # one word per option
  kc_run registry login -L $mode
  assert_rc 0 "registry login -L $mode"
  no_password "login $mode"
  # shellcheck disable=SC2086
  kc_run registry logout -L $mode
  no_password "logout $mode"
done
kc_run -v registry login -L
assert_contains "$ERR$OUT" "--password-stdin" "-v shows the docker login command"
kc_run config                                     # the configuration dump redacts it too
no_password "config"
kc_run --format json config
no_password "config --format json"
kc_run registry logout -L -q

t "a wrong password: docker's own 'unauthorized' reaches the user with each host's name, exit 1"
cp .kamal/secrets secrets.good
printf 'KAMAL_REGISTRY_PASSWORD=%s\n' "wrong-$PW-x" >.kamal/secrets
kc_run registry login -L
assert_rc 1
for i in 1 2 3; do
  assert_match "$ERR" "\[$(host_ip "$i")\] error" "h$i named"
  assert_fails has_login "$i"
done
assert_match "$ERR" "(401 Unauthorized|unauthorized)"
assert_not_contains "$OUT$ERR" "wrong-$PW-x" "the wrong password in the output"
kc_run -v registry login -L
assert_rc 1
assert_not_contains "$OUT$ERR" "wrong-$PW-x" "the wrong password in the -v output"
mv secrets.good .kamal/secrets

t "a missing registry secret is a configuration error (exit 3) before any SSH login"
cp .kamal/secrets secrets.good
echo "OTHER_SECRET=1" >.kamal/secrets
ssh_mark
kc_run registry login -L
assert_rc 3
assert_contains "$ERR" "KAMAL_REGISTRY_PASSWORD"
for i in 1 2 3; do assert_eq 0 "$(ssh_logins "$i")" "ssh logins to h$i"; done
mv secrets.good .kamal/secrets

t "an empty registry password (an unset variable in the secrets file) is exit 3 before any login"
cp .kamal/secrets secrets.good
# shellcheck disable=SC2016 # the secrets file's own $VAR
printf 'KAMAL_REGISTRY_PASSWORD=$KC_E2E_UNSET_REGISTRY_PASSWORD\n' >.kamal/secrets
ssh_mark
kc_run registry login
assert_rc 3
assert_contains "$ERR" "registry.password: the secret 'KAMAL_REGISTRY_PASSWORD' is empty"
assert_not_contains "$ERR" "non TTY" "docker login ran with an empty password"
for i in 1 2 3; do assert_eq 0 "$(ssh_logins "$i")" "ssh logins to h$i"; done
mv secrets.good .kamal/secrets

t "--dry-run prints the login for every host and writes no credential anywhere"
kc_run registry logout -L -q
before=$(homes_sum)
kc_run registry login -L --dry-run
assert_rc 0
for i in 1 2 3; do
  assert_contains "$OUT" "[$(host_ip "$i")] would run: docker login $KC_REGISTRY -u $KC_REGISTRY_USER --password-stdin"
  assert_fails has_login "$i"
done
assert_not_contains "$OUT" ": logged in" "a dry run claims it logged in"
kc_run registry login --dry-run                 # without -L: the local login is only printed too
assert_rc 0
assert_fails test -e "$KC_HOME/.docker/config.json"
assert_eq "$before" "$(homes_sum)" "files in the hosts' homes after --dry-run"

t "registry login without -L also logs in locally (the sandbox DOCKER_CONFIG, never ~/.docker)"
kc_run registry login
assert_rc 0
assert_contains "$(cat "$KC_HOME/.docker/config.json" 2>/dev/null)" "\"$KC_REGISTRY\""
for i in 1 2 3; do assert_ok has_login "$i"; done
kc_run registry logout
assert_rc 0
assert_not_contains "$(cat "$KC_HOME/.docker/config.json" 2>/dev/null)" "\"$KC_REGISTRY\""
kc_run registry login -R                         # -R: only the local machine
assert_rc 0
for i in 1 2 3; do assert_fails has_login "$i"; done
assert_contains "$(cat "$KC_HOME/.docker/config.json" 2>/dev/null)" "\"$KC_REGISTRY\""
kc_run registry logout -R
assert_rc 0
forget_image
