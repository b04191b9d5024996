#!/usr/bin/env bash
# test_secrets.sh - registry passwords, env.secret values and every value of
# the secrets files never appear in any output of any verb: text, -v traces,
# --dry-run listings, JSON, errors, or the audit log on the hosts.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c

H1=$(host_ip 1) H2=$(host_ip 2)
REG=$KC_REGISTRY
DB_SECRET='db-Secret-Value-98765'
UNUSED_SECRET='never-Used-Anywhere-4321'

reset_hosts
new_project
cat >config/deploy.yml <<YAML
service: sec
image: kc/web
servers: [$H1, $H2]
$(bed_yaml)
accessories:
  db:
    image: $REG/kc/web:1
    hosts: [$H1, $H2]
    env:
      clear: {MODE: test}
      secret: [DB_PASSWORD, "ALIAS:DB_PASSWORD"]
    files:
      - conf/db.conf.erb:/etc/db.conf
YAML
mkdir -p conf .kamal/hooks
printf 'password=<%%= ENV["DB_PASSWORD"] %%>\n' >conf/db.conf.erb
printf 'KAMAL_REGISTRY_PASSWORD=%s\nDB_PASSWORD=%s\nUNUSED=%s\n' "$KC_REGISTRY_PASSWORD" \
  "$DB_SECRET" "$UNUSED_SECRET" >.kamal/secrets
printf '#!/bin/sh\necho "hook sees $DB_PASSWORD"\n' >.kamal/hooks/pre-connect
chmod +x .kamal/hooks/pre-connect

verbs=(
  "accessory boot all" "accessory boot all" "accessory details all" "accessory logs db -n 5"
  "accessory exec db env" "accessory exec --reuse db env" "accessory stop db"
  "accessory start db" "accessory restart db" "accessory upload db" "accessory directories db"
  "accessory reboot db" "accessory remove db -y --dry-run" "server exec env" "audit"
  "registry login -L" "registry logout -L" "lock acquire -m holding" "lock status"
  "lock release" "config" "build push --version=sec-1" "build pull --version=sec-1"
  "build details"
)

t "no secret value in any verb's output, also with -v, --dry-run and json"
for v in "${verbs[@]}"; do
  for extra in "" "-v" "--dry-run -v" "--format json"; do
    # shellcheck disable=SC2086 # word splitting on purpose
    kc_run $v $extra
    for s in "$DB_SECRET" "$UNUSED_SECRET" "$KC_REGISTRY_PASSWORD"; do
      assert_not_contains "$OUT$ERR" "$s" "kamal-c $v $extra"
    done
  done
done

t "the same redaction for every verb that prints what hosts say (exec, exec --reuse, server exec, logs)"
kc_run accessory boot all
assert_rc 0
# without the pre-connect hook, which reads every secret anyway (and so hid the bug)
mv .kamal/hooks/pre-connect .kamal/hooks/pre-connect.off
host_docker 1 exec sec-db sh -c 'echo "log line with $DB_PASSWORD" >/proc/1/fd/1'
for v in "accessory exec db" "accessory exec --reuse db" "accessory exec -h $H1 --reuse db"; do
  # shellcheck disable=SC2016 # $DB_PASSWORD is the container's
  kc_run $v 'sh -c "echo value=\$DB_PASSWORD"'
  assert_rc 0
  assert_contains "$OUT" "value=[REDACTED]" "kamal-c $v"
  assert_not_contains "$OUT$ERR" "$DB_SECRET" "kamal-c $v"
done
kc_run server exec 'cat .kamal/apps/sec/env/accessories/db.env'
assert_rc 0
assert_contains "$OUT" "DB_PASSWORD=[REDACTED]"
assert_not_contains "$OUT$ERR" "$DB_SECRET"
kc_run server exec "echo $UNUSED_SECRET"                   # any value of the secrets files
assert_not_contains "$OUT$ERR" "$UNUSED_SECRET"
assert_contains "$(host_sh 1 'cat .kamal/sec-audit.log')" "Executed cmd 'echo [REDACTED]' on $H1"
kc_run accessory logs db -h "$H1"
assert_contains "$OUT" "log line with [REDACTED]"
assert_not_contains "$OUT$ERR" "$DB_SECRET"
# a secrets file that cannot be read stops these verbs before any connection (exit 3)
cp .kamal/secrets .kamal/secrets.good
printf 'DB_PASSWORD=$(false)\n' >>.kamal/secrets
ssh_mark
kc_run server exec hostname
assert_rc 3
assert_contains "$ERR" "secrets files to redact"
assert_eq 0 "$(ssh_logins 1)" "no login"
mv .kamal/secrets.good .kamal/secrets
mv .kamal/hooks/pre-connect.off .kamal/hooks/pre-connect

t "the secret did reach the container, the env file (0600) and the rendered file"
kc_run accessory boot all
assert_contains "$(host_docker 1 inspect -f '{{json .Config.Env}}' sec-db)" "DB_PASSWORD=$DB_SECRET"
assert_contains "$(host_docker 1 inspect -f '{{json .Config.Env}}' sec-db)" "ALIAS=$DB_SECRET"
assert_eq 600 "$(host_sh 1 'stat -c %a .kamal/apps/sec/env/accessories/db.env')"
assert_eq "password=$DB_SECRET" "$(host_sh 1 'cat sec-db/etc/db.conf')"

t "the audit log on the hosts holds no secret"
for i in 1 2; do
  log=$(host_sh "$i" 'cat .kamal/sec-audit.log')
  assert_contains "$log" "Booted db accessory"
  for s in "$DB_SECRET" "$UNUSED_SECRET" "$KC_REGISTRY_PASSWORD"; do
    assert_not_contains "$log" "$s" "h$i audit log"
  done
done

t "a failing \$(...) for an accessory's secret names the file, line and secret, not the registry"
cp .kamal/secrets .kamal/secrets.good
printf 'KAMAL_REGISTRY_PASSWORD=%s\nDB_PASSWORD=$(false)\n' "$KC_REGISTRY_PASSWORD" >.kamal/secrets
kc_run accessory boot db
assert_rc 3
assert_contains "$ERR" ".kamal/secrets:2:1: command substitution in DB_PASSWORD failed"
assert_not_contains "$ERR" "registry"
mv .kamal/secrets.good .kamal/secrets

t "a failing secret lookup names the secret, never a value"
printf 'KAMAL_REGISTRY_PASSWORD=%s\nUNUSED=%s\n' "$KC_REGISTRY_PASSWORD" "$UNUSED_SECRET" \
  >.kamal/secrets
kc_run accessory boot db -v
assert_rc 3
assert_contains "$ERR" "DB_PASSWORD"
assert_not_contains "$OUT$ERR" "$UNUSED_SECRET"
assert_not_contains "$OUT$ERR" "$KC_REGISTRY_PASSWORD"
