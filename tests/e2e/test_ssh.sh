#!/usr/bin/env bash
# test_ssh.sh - deploy.yml's ssh settings, driven for real: a jump host
# (ssh.proxy), explicit key files with keys_only, a key held in a secret
# (ssh.key_data), and what happens when none of them can authenticate.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c

H1=$(host_ip 1) H3=$(host_ip 3)

# The bed's ssh_config without its IdentityFile: only what deploy.yml names
# may authenticate.
NOKEY_CONFIG=$_kc_tmp/ssh_config.nokey
grep -v -i 'IdentityFile\|IdentitiesOnly' "$KC_SSH_CONFIG" >"$NOKEY_CONFIG"
WRONG_KEY=$_kc_tmp/wrong_key
ssh-keygen -q -t ed25519 -N '' -f "$WRONG_KEY"

config() { # config SSH-YAML...
  cat >config/deploy.yml <<YAML
service: sshtest
image: kc/web
servers: [$H1]
$(bed_yaml -)
ssh:
$(printf '  %s\n' "$@")
YAML
}

new_project

t "a jump host (ssh.proxy) carries the connection"
config "config: $KC_SSH_CONFIG" "proxy: root@$H3"
ssh_mark
kc_run server exec hostname
assert_rc 0
assert_contains "$OUT" "kc-h1"
assert_eq 1 "$(ssh_logins 3)" "one login on the jump host"
assert_eq 1 "$(ssh_logins 1)" "one login on the target"

t "explicit key files with keys_only"
config "config: $NOKEY_CONFIG" "keys: [$KC_SSH_KEY]" "keys_only: true"
kc_run server exec hostname
assert_rc 0
assert_contains "$OUT" "kc-h1"

t "a wrong key with keys_only fails authentication: unreachable, exit 4"
config "config: $NOKEY_CONFIG" "keys: [$WRONG_KEY]" "keys_only: true"
kc_run server exec hostname
assert_rc 4
assert_contains "$ERR" "authentication failed"
assert_contains "$ERR" "$WRONG_KEY"

t "a private key from the secrets (ssh.key_data), never printed"
config "config: $NOKEY_CONFIG" "key_data: [DEPLOY_KEY]" "keys_only: true"
printf 'KAMAL_REGISTRY_PASSWORD=%s\nDEPLOY_KEY=$(cat %s)\n' "$KC_REGISTRY_PASSWORD" \
  "$KC_SSH_KEY" >.kamal/secrets
kc_run -v server exec hostname
assert_rc 0
assert_contains "$OUT" "kc-h1"
assert_not_contains "$OUT$ERR" "$(sed -n 2p "$KC_SSH_KEY")"

t "a key_data secret that no file defines is a configuration error, before connecting"
config "config: $NOKEY_CONFIG" "key_data: [MISSING_KEY]"
ssh_mark
kc_run server exec hostname
assert_rc 3
assert_contains "$ERR" "MISSING_KEY"
assert_eq 0 "$(ssh_logins 1)"
