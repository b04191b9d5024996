#!/usr/bin/env bash
# test_deploy.sh - `setup`, `deploy`, `redeploy`, `rollback`, `prune`, `details`, `remove` on 3
# hosts with the real kamal-proxy and the example app built from git (remote builder h0): setup
# from empty hosts; a new version under load (0 failed requests); a no-op `deploy -P` (same
# container IDs, no lock, no hooks); the hooks in order with Kamal's variables; a failing
# pre-deploy changes nothing; a version failing its health check leaves the old one serving;
# rollback with and without VERSION; prune keeps --retain; a manual lock is exit 5; remove -y.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c
need_hosts 3

H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)
export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0="KC Tester" \
  GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1=kc-tester@e2e.invalid
export TMPDIR=$KC_TMP/tmp
mkdir -p "$TMPDIR"

HOOKLOG=$KC_TMP/hooks.log
hook() {    # hook NAME [exit status]: a hook that logs its name and Kamal's variables
  mkdir -p .kamal/hooks
  printf '#!/bin/sh\necho "%s cmd=$KAMAL_COMMAND v=$KAMAL_VERSION hosts=$KAMAL_HOSTS lock=$KAMAL_LOCK rt=$KAMAL_RUNTIME" >>%s\nexit %s\n' \
    "$1" "$HOOKLOG" "${2:-0}" >".kamal/hooks/$1"
  chmod +x ".kamal/hooks/$1"
}

INT_AT=1
interrupted() {  # interrupted ARGS...: kamal-c ARGS, SIGINT (as Ctrl-C) after $INT_AT seconds
  _kc_ran=1 RC=0
  KC_LAST_CMD="timeout -s INT $INT_AT kamal-c $*"
  HOME=$KC_HOME DOCKER_HOST=$KC_BUILDER_DOCKER_HOST DOCKER_CONFIG=$KC_HOME/.docker \
    timeout --preserve-status -s INT -k 20 "$INT_AT" "$KAMAL_C" "$@" \
    >"$KC_TMP/int.out" 2>"$KC_TMP/int.err" </dev/null || RC=$?
  OUT=$(cat "$KC_TMP/int.out") ERR=$(cat "$KC_TMP/int.err")
}

reset_hosts
REPO=$(make_app_repo "$KC_TMP/app" 1 2 3)
cd "$REPO"
printf '.kamal/hooks\n' >>.git/info/exclude
printf "KAMAL_REGISTRY_PASSWORD=%s\nAPP_SECRET=first\n" "$KC_REGISTRY_PASSWORD" >.kamal/secrets
printf 'env:\n  secret:\n    - APP_SECRET\n' >>config/deploy.yml
printf 'accessories:\n  cache:\n    image: %s/kc/web:1\n    host: %s\n' "$KC_REGISTRY" "$H3" >>config/deploy.yml
git add config/deploy.yml && git commit -qm "a secret"
V1=$(git rev-parse HEAD)

t "setup from empty hosts: docker check, proxy, build, push, pull, boot on 3 hosts"
# a migration as Rails users run it: the pre-deploy hook execs in the new image on the primary
mkdir -p .kamal/hooks
printf '#!/bin/sh\n"%s" app exec --primary --version "$KAMAL_VERSION" "echo migrated" >%s 2>&1\n' \
  "$KAMAL_C" "$KC_TMP/migrate.out" >.kamal/hooks/pre-deploy
chmod +x .kamal/hooks/pre-deploy
kc_run setup
assert_rc 0
assert_contains "$(cat "$KC_TMP/migrate.out")" "migrated" "the pre-deploy migration ran before the first boot"
assert_contains "$(cat "$KC_TMP/migrate.out")" "App Host $H1"
rm .kamal/hooks/pre-deploy
assert_contains "$OUT" "$V1"
serves "$V1"
assert_eq "running" "$(host_docker 3 inspect -f '{{.State.Status}}' kamal-proxy)"
assert_eq "running" "$(host_docker 3 inspect -f '{{.State.Status}}' app-cache)" "setup booted the accessory"
assert_ok host_sh 1 'test ! -d .kamal/lock-app'

t "deploy -P of the running version: nothing to deploy, same container IDs, no lock, no hooks"
for n in pre-connect pre-deploy post-deploy pre-app-boot post-app-boot; do hook $n; done
before=$(ids "$V1" | xargs)
: >"$HOOKLOG"
kc_run deploy -P -v
assert_rc 0
assert_contains "$OUT" "nothing to deploy: every host runs $V1"
assert_eq "$before" "$(ids "$V1" | xargs)"
assert_not_contains "$OUT$ERR" "acquired the deploy lock"
assert_eq "pre-connect" "$(cut -d' ' -f1 "$HOOKLOG" | xargs)" "only pre-connect ran"
assert_eq 3 "$(grep -v '^\[local\]' <<<"$ERR" | grep -c '] \$ ')" "one remote command per host"
assert_not_contains "$OUT$ERR" "docker ps" # the kamal network's inspect answers for stale ones

t "deploy of a new version under load: >= 2000 requests, 0 failed; hooks in order"
V2=$(app_commit "$REPO" "second version")
: >"$HOOKLOG"
under_load "$V1" "$V2" deploy
assert_rc 0
assert_match "$OUT" "3 booted"
serves "$V2"
assert_eq "pre-connect pre-deploy pre-app-boot post-app-boot post-deploy" \
  "$(cut -d' ' -f1 "$HOOKLOG" | xargs)" "hook order"
assert_contains "$(grep ^pre-deploy "$HOOKLOG")" "cmd=deploy v=$V2 hosts=$H1,$H2,$H3 lock=true"
assert_match "$(grep ^post-deploy "$HOOKLOG")" "lock=false rt=[0-9]+"
assert_eq "exited" "$(host_docker 2 inspect -f '{{.State.Status}}' "app-web-$V1")" "old version stopped"
assert_ok host_sh 1 'test ! -d .kamal/lock-app'

t "a stale container running beside the version: deploy -P stops it, then nothing to deploy"
before=$(ids "$V2" | xargs)
host_docker 2 start "app-web-$V1" >/dev/null
kc_run deploy -P
assert_rc 0
assert_not_contains "$OUT" "nothing to deploy"
assert_eq "exited" "$(host_docker 2 inspect -f '{{.State.Status}}' "app-web-$V1")" "stale stopped"
assert_eq "$before" "$(ids "$V2" | xargs)" "the running version untouched"
kc_run deploy -P
assert_rc 0
assert_contains "$OUT" "nothing to deploy: every host runs $V2"

t "a failing pre-deploy hook changes nothing on the hosts"
V3=$(app_commit "$REPO" "third version")
hook pre-deploy 1
before=$(ids "$V2" | xargs)
kc_run deploy
assert_rc 1
assert_contains "$OUT$ERR" "pre-deploy"
assert_eq "$before" "$(ids "$V2" | xargs)"
assert_eq "none none none" "$(ids "$V3" | xargs)" "no container of the new version"
serves "$V2"
assert_ok host_sh 1 'test ! -d .kamal/lock-app'
hook pre-deploy

t "a version failing its health check: the old one keeps serving, exit 1, versions shown"
cp config/deploy.yml "$KC_TMP/deploy.yml.good"
sed -i 's|path: /up|path: /missing|' config/deploy.yml
sed -i '1i deploy_timeout: 4' config/deploy.yml
under_load "$V2" "$V3" deploy -P
assert_rc 1
assert_contains "$OUT$ERR" "did not become healthy"
assert_contains "$OUT" "$V2"
serves "$V2"
cp "$KC_TMP/deploy.yml.good" config/deploy.yml
kc_run deploy -P
assert_rc 0
serves "$V3"

t "rollback without VERSION: the newest stopped version everywhere, printed; again goes back"
under_load "$V3" "$V2" rollback
assert_rc 0
assert_contains "$OUT" "Rolling back to $V2"
serves "$V2"
kc_run rollback
assert_rc 0
assert_contains "$OUT" "Rolling back to $V3"
serves "$V3"

t "rollback VERSION: to the running one is unchanged; a missing one names the hosts, exit 1"
kc_run rollback "$V3"
assert_rc 0
assert_contains "$OUT" "nothing to deploy"
kc_run rollback nosuchversion
assert_rc 1
assert_contains "$OUT$ERR" "not available as a container on $H1, $H2, $H3"
kc_run rollback "$V1"
assert_rc 0
serves "$V1"

t "a rotated secret is applied under load: new containers, 0 failed requests"
sed -i 's/^APP_SECRET=first/APP_SECRET=second/' .kamal/secrets
under_load "$V1" "$V1" deploy -P --version "$V1"
assert_rc 0
assert_match "$OUT" "3 booted"
assert_contains "$(host_docker 2 inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "app-web-$V1")" "APP_SECRET=second"
assert_not_contains "$OUT$ERR" "APP_SECRET=second"
kc_run deploy -P --version "$V1"
assert_contains "$OUT" "nothing to deploy"

t "a lock taken with lock acquire: exit 5 at once, nothing changed"
kc_run lock acquire -m "maintenance window"
assert_rc 0
before=$(ids "$V1" | xargs)
kc_run rollback "$V3"
assert_rc 5
assert_eq "$before" "$(ids "$V1" | xargs)"
serves "$V1"
kc_run lock release
assert_rc 0

t "prune containers --retain 1 keeps one stopped container per host; again: unchanged"
kc_run prune containers --retain 1
assert_rc 0
assert_match "$OUT" "3 pruned"
n=$(host_docker 2 ps -a --filter label=service=app --filter status=exited -q | wc -l)
assert_eq 1 "$n" "one stopped container kept on h2"
serves "$V1"
kc_run prune containers --retain 1
assert_match "$OUT" "3 unchanged"
kc_run prune images
assert_rc 0
assert_ok host_docker 1 image inspect "$KC_REGISTRY/demo/app:$V1"

t "details, redeploy"
kc_run details
assert_rc 0
assert_contains "$OUT" "kamal-proxy"
assert_contains "$OUT" "app-web-$V1"
kc_run redeploy -P --version "$V3"
assert_rc 0
serves "$V3"

t "--dry-run probes for real, prints each host's commands, changes nothing; --format json"
before=$(ids "$V3" | xargs)
kc_run deploy -P --dry-run --version "$V1"
assert_rc 0
assert_contains "$OUT" "docker exec kamal-proxy kamal-proxy deploy app-web"
assert_eq "$before" "$(ids "$V3" | xargs)"
serves "$V3"
kc_run deploy -P --format json
assert_rc 0
assert_ok python3 -c 'import json,sys; json.loads(sys.argv[1])' "$OUT"

t "an unreachable non-primary host: the others deploy, exit 4"
hosts_ctl 3 link-down
kc_run deploy -P --version "$V1"
hosts_ctl 3 link-up
assert_rc 4
assert_contains "$OUT$ERR" "$H3"
assert_match "$(get "$H1")" "^version $V1 on "
assert_match "$(get "$H2")" "^version $V1 on "
assert_match "$(get "$H3")" "^version $V3 on "

t "an unreachable primary (the lock's host): nothing changed anywhere"
hosts_ctl 1 link-down
kc_run deploy -P --version "$V3"
hosts_ctl 1 link-up
assert_rc 4
assert_contains "$OUT$ERR" "nothing was changed"
assert_match "$(get "$H2")" "^version $V1 on "
kc_run deploy -P --version "$V3"
assert_rc 0
serves "$V3"

t "Ctrl-C mid-deploy (under load): exit 130, the lock released, every host still serving"
for INT_AT in 0.7 1.4; do
  RUNNER=interrupted under_load "$V3" "$V1" deploy -P --version "$V1"
  echo "    SIGINT at $INT_AT s: exit $RC"
  [[ $RC == 130 || $RC == 0 ]] || fail "SIGINT at $INT_AT s: exit status $RC, expected 130"
  [[ $RC != 130 ]] || assert_contains "$ERR" "interrupted by SIGINT" "SIGINT at $INT_AT s"
  assert_ok host_sh 1 'test ! -d .kamal/lock-app'
  kc_run deploy -P --version "$V3"
  assert_rc 0
  serves "$V3"
done

t "remove -y: app, proxy and directories gone"
kc_run remove -y
assert_rc 0
assert_eq "" "$(host_docker 1 ps -a -q --filter label=service=app)"
assert_eq "none" "$(cid 2 kamal-proxy)"
assert_eq "none" "$(cid 3 app-cache)" "the accessory removed"
