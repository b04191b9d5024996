#!/usr/bin/env bash
# test_secrets_fetch.sh - `$(kamal secrets fetch ...)` / `extract` in .kamal/secrets against a
# real secret store: the aws CLI (PyPI's awscli) talking to a local AWS Secrets Manager API
# (moto in server mode, on loopback, reached through AWS_ENDPOINT_URL; tests/e2e/aws-local.sh,
# installed by tests/all.sh). The values boot an accessory on the bed and are printed nowhere:
# not in the output, not with -v, not in the audit log, not in any process's argv on the hosts.
# Also: a 1Password secrets file with no `op` installed fails before any connection.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c

t "the aws CLI and moto are installed (tests/e2e/aws-local.sh install)"
if ! AWS_BIN=$("$KC_E2E_DIR/aws-local.sh" path 2>/dev/null); then
  if [[ ${CI:-} == 1 || ${CI:-} == true ]]; then
    fail "moto/awscli missing: tests/all.sh installs them with tests/e2e/aws-local.sh install"
  else
    skip "run tests/e2e/aws-local.sh install (PyPI's moto and awscli)"
  fi
  exit 0
fi

PORT=$((47000 + ${KC_BED:-0}))
MOTO_PID=$("$KC_E2E_DIR/aws-local.sh" start "$PORT")
# stop the server whatever happens (lib.sh's own EXIT handler runs after, with our status)
trap 'rc=$?; kill "$MOTO_PID" 2>/dev/null; (exit $rc); _kc_on_exit' EXIT
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_ACCESS_KEY_ID=local-key
export AWS_SECRET_ACCESS_KEY=local-secret AWS_DEFAULT_REGION=eu-west-1
# no `kamal` (nor another kamal-c) on PATH: the inline commands must run inside kamal-c
export PATH=$AWS_BIN:/usr/sbin:/usr/bin:/sbin:/bin
aws() { "$AWS_BIN/aws" "$@"; }
recorded_calls() {   # how many X-Amz-Target: secretsmanager.$1 requests since recording began
  curl -fsS "$AWS_ENDPOINT_URL/moto-api/recorder/download-recording" | grep -c "secretsmanager\.$1\"" || true
}
start_recording() {
  curl -fsS -X POST "$AWS_ENDPOINT_URL/moto-api/recorder/reset-recording" >/dev/null
  curl -fsS -X POST "$AWS_ENDPOINT_URL/moto-api/recorder/start-recording" >/dev/null
}

H1=$(host_ip 1) H2=$(host_ip 2)
DB_PASSWORD='aws-Db-Pw-73519 $HOME (x) "q" #h'
DB_USER='aws-db-user-28461'
API_TOKEN='aws-Api-Token-90417'

aws secretsmanager create-secret --name prod/db \
  --secret-string "$(printf '{"DB_PASSWORD": "%s", "DB_USER": "%s", "PORT": 5432}' \
    "${DB_PASSWORD//\"/\\\"}" "$DB_USER")" >/dev/null
aws secretsmanager create-secret --name prod/api-token --secret-string "$API_TOKEN" >/dev/null
aws secretsmanager create-secret --name prod/registry --secret-string "$KC_REGISTRY_PASSWORD" >/dev/null

reset_hosts
new_project
cat >config/deploy.yml <<YAML
service: sf
image: kc/web
servers: [$H1, $H2]
$(bed_yaml)
accessories:
  db:
    image: $KC_REGISTRY/kc/web:1
    hosts: [$H1, $H2]
    env:
      clear: {MODE: fetched}
      secret: [DB_PASSWORD, DB_USER, API_TOKEN, DB_PORT]
YAML
# as Kamal's docs write it: the same file works with Kamal
cat >.kamal/secrets <<'EOF'
SECRETS=$(kamal secrets fetch --adapter aws_secrets_manager --from prod db api-token registry)
DB_PASSWORD=$(kamal secrets extract DB_PASSWORD $SECRETS)
DB_USER=$(kamal secrets extract prod/db/DB_USER ${SECRETS})
DB_PORT=$(kamal secrets extract PORT $SECRETS)
API_TOKEN=$(kamal secrets extract api-token $SECRETS)
KAMAL_REGISTRY_PASSWORD=$(kamal secrets extract registry $SECRETS)
EOF
assert_no_values() {   # TEXT WHAT
  local s
  for s in "$DB_PASSWORD" "$DB_USER" "$API_TOKEN" "$KC_REGISTRY_PASSWORD"; do
    assert_not_contains "$1" "$s" "$2"
  done
}

t "no kamal on PATH: the inline commands cannot be a program"
assert_fails command -v kamal
assert_fails command -v kamal-c

t "secrets fetch prints the JSON from the AWS API (on purpose), extract picks one value"
kc_run secrets fetch -a aws_secrets_manager --from prod db api-token
assert_rc 0
json=$OUT
assert_contains "$json" "\"prod/db/DB_USER\":\"$DB_USER\""
assert_contains "$json" '"prod/db/PORT":"5432"'
assert_contains "$json" "\"prod/api-token\":\"$API_TOKEN\""
kc_run secrets extract DB_PASSWORD "$json"
assert_rc 0
assert_eq "$DB_PASSWORD" "$OUT"

t "secrets print shows what the secrets file gives (on purpose)"
kc_run secrets print
assert_rc 0
assert_contains "$OUT" "DB_USER=$DB_USER"
assert_contains "$OUT" "DB_PASSWORD=$DB_PASSWORD"
assert_contains "$OUT" "DB_PORT=5432"
assert_contains "$OUT" "API_TOKEN=$API_TOKEN"

t "accessory boot: the fetched values reach the container, fetched once, printed nowhere"
start_recording
ssh_mark
kc_run accessory boot db -v
assert_rc 0
assert_eq 1 "$(recorded_calls BatchGetSecretValue)" "one fetch for the whole run"
assert_no_values "$OUT$ERR" "boot -v"
assert_contains "$ERR" "aws secretsmanager batch-get-secret-value --secret-id-list prod/db prod/api-token prod/registry --output json"
assert_contains "$ERR" "kamal secrets extract DB_PASSWORD [REDACTED]"
for i in 1 2; do
  env_json=$(host_docker "$i" inspect -f '{{json .Config.Env}}' sf-db)
  assert_contains "$env_json" "\"DB_USER=$DB_USER\"" "h$i"
  assert_contains "$env_json" "\"API_TOKEN=$API_TOKEN\"" "h$i"
  assert_contains "$env_json" "\"DB_PORT=5432\"" "h$i"
  env_lines=$(host_docker "$i" inspect -f '{{range .Config.Env}}{{println .}}{{end}}' sf-db)
  assert_contains $'\n'"$env_lines" $'\n'"DB_PASSWORD=$DB_PASSWORD"$'\n' "h$i: the value intact"
  assert_eq 600 "$(host_sh "$i" 'stat -c %a .kamal/apps/sf/env/accessories/db.env')"
  assert_no_values "$(host_sh "$i" 'cat .kamal/sf-audit.log')" "h$i audit log"
  assert_no_values "$(host_sh "$i" 'ps -eo args')" "h$i processes"
  assert_no_values "$(host_docker "$i" inspect -f '{{json .Config.Cmd}} {{json .Args}}' sf-db)" "h$i argv"
done

t "a second boot is unchanged, and every verb's output stays clean (text, -v, json)"
for v in "accessory boot db" "accessory details db" "accessory exec db env" "server exec env" \
  "config" "audit"; do
  for extra in "" "-v" "--format json"; do
    # shellcheck disable=SC2086 # word splitting on purpose
    kc_run $v $extra
    assert_rc 0 "kamal-c $v $extra"
    assert_no_values "$OUT$ERR" "kamal-c $v $extra"
  done
done
kc_run accessory boot db
assert_contains "$OUT" "unchanged"

t "a secret the AWS API does not have: exit 3 before any connection, naming it"
cp .kamal/secrets .kamal/secrets.good
sed -i 's/ registry)$/ registry nope)/' .kamal/secrets
ssh_mark
kc_run accessory boot db
assert_rc 3
assert_contains "$ERR" ".kamal/secrets:1:1: command substitution in SECRETS failed: aws_secrets_manager: prod/nope:"
assert_eq 0 "$(ssh_logins 1)" "no login"
assert_no_values "$OUT$ERR" "failed boot"
mv .kamal/secrets.good .kamal/secrets

t "a 1Password secrets file with no op installed: exit 3 before any connection, naming op"
cat >.kamal/secrets <<'EOF'
SECRETS=$(kamal secrets fetch --adapter 1password --account my-account --from Vault/Item KAMAL_REGISTRY_PASSWORD DB_PASSWORD)
KAMAL_REGISTRY_PASSWORD=$(kamal secrets extract KAMAL_REGISTRY_PASSWORD $SECRETS)
DB_PASSWORD=$(kamal secrets extract DB_PASSWORD $SECRETS)
EOF
ssh_mark
kc_run accessory boot db
assert_rc 3
assert_contains "$ERR" ".kamal/secrets:1:1: command substitution in SECRETS failed: 1password: the 1Password CLI (op) is not installed"
for i in 1 2; do assert_eq 0 "$(ssh_logins "$i")" "no login to h$i"; done
kc_run secrets fetch -a 1password --account my-account --from Vault/Item X
assert_rc 1
assert_contains "$ERR" "'op' is not on PATH"
