#!/usr/bin/env bash
# test_app.sh - `kamal-c app ...` with the real kamal-proxy and the example app on 3 hosts: app boot
# (footprint, convergence: unchanged with the same container IDs, a new version, a zero-downtime
# switch under load, a failing health check), and the other app verbs. The images are built and
# pushed with docker on the builder host h0, tagged as Kamal would (IMG:VERSION and IMG:latest).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c
need_hosts 3

H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)
APP=$KC_REGISTRY/demo/app
LOAD_PER_HOST=${KC_LOAD_PER_HOST:-700}

builder() {
  DOCKER_HOST=$KC_BUILDER_DOCKER_HOST DOCKER_CONFIG=$KC_DOCKER_CONFIG DOCKER_BUILDKIT=0 \
    "$KC_DOCKER_CLI" "$@"
}

build_app() {    # build_app VERSION: a clean clone of the commit, built on h0, pushed as VERSION and latest
  local clone=$KC_TMP/clone-$1
  git clone -q "$REPO" "$clone" && git -C "$clone" checkout -q "$1" &&
    builder build -q --label service=app -t "$APP:$1" -t "$APP:latest" "$clone" >/dev/null &&
    builder push "$APP:$1" >/dev/null && builder push "$APP:latest" >/dev/null
}


reset_hosts
REPO=$(make_app_repo "$KC_TMP/app" 1 2 3)
mkdir -p "$REPO/.kamal"
printf "KAMAL_REGISTRY_PASSWORD=%s\nAPP_SECRET='%s'\n" "$KC_REGISTRY_PASSWORD" 's3cr3t $x' >"$REPO/.kamal/secrets"
cat >>"$REPO/config/deploy.yml" <<'EOF'
env:
  clear:
    GREETING: hello
  secret:
    - APP_SECRET
EOF
cd "$REPO"
V1=$(git rev-parse HEAD)

t "setup: version 1 built and pushed; proxy boot"
assert_ok build_app "$V1"
kc_run proxy boot
assert_rc 0
assert_match "$OUT" "3 booted"

t "app boot --dry-run shows docker run and kamal-proxy deploy and changes nothing"
kc_run app boot --version "$V1" --dry-run
assert_rc 0
assert_contains "$OUT" "docker run --detach --restart unless-stopped --name app-web-$V1 --network kamal"
assert_contains "$OUT" "docker exec kamal-proxy kamal-proxy deploy app-web --target=NEW_CONTAINER_ID:80"
assert_contains "$OUT" "--health-check-path=/up"
assert_eq "none none none" "$(ids "$V1" | xargs)"

t "app boot: each host's port 80 serves the version, Kamal's footprint"
kc_run app boot --version "$V1"
assert_rc 0
assert_match "$OUT" "3 booted"
for h in "$H1" "$H2" "$H3"; do assert_match "$(get "$h")" "^version $V1 on "; done
c="app-web-$V1"
assert_eq "app web " "$(host_docker 1 inspect -f '{{index .Config.Labels "service"}} {{index .Config.Labels "role"}} {{index .Config.Labels "destination"}}' "$c")"
env1=$(host_docker 1 inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$c")
assert_contains "$env1" "KAMAL_CONTAINER_NAME=$c"
assert_contains "$env1" "KAMAL_VERSION=$V1"
assert_contains "$env1" "KAMAL_HOST=$H1"
assert_contains "$env1" "GREETING=hello"
assert_contains "$env1" 'APP_SECRET=s3cr3t $x'
assert_eq "unless-stopped kamal map[max-size:10m]" "$(host_docker 1 inspect -f '{{.HostConfig.RestartPolicy.Name}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}} {{.HostConfig.LogConfig.Config}}' "$c")"
assert_match "$(host_docker 1 inspect -f '{{.Config.Hostname}}' "$c")" "^$H1-[0-9a-f]{12}\$"
assert_eq "600 APP_SECRET=s3cr3t \$x" "$(host_sh 1 'stat -c %a .kamal/apps/app/env/roles/web.env; cat .kamal/apps/app/env/roles/web.env' | xargs)"
assert_contains "$(host_docker 2 exec kamal-proxy kamal-proxy list)" "$(cid 2 "$c" | cut -c1-12):80"
assert_not_contains "$OUT$ERR" "s3cr3t"

t "a second app boot is unchanged with the same container IDs and no lock"
before=$(ids "$V1" | xargs)
kc_run app boot --version "$V1"
assert_rc 0
assert_match "$OUT" "3 unchanged"
assert_eq "$before" "$(ids "$V1" | xargs)"

t "only the proxy flags differ: kamal-proxy deploy again on the same container"
sed -i 's|^  healthcheck:|  response_timeout: 20\n  healthcheck:|' config/deploy.yml
kc_run app boot --version "$V1"
assert_rc 0
assert_match "$OUT" "3 redeployed"
assert_eq "$before" "$(ids "$V1" | xargs)"
kc_run app boot --version "$V1"
assert_match "$OUT" "3 unchanged"

t "a changed env replaces the container through the proxy"
sed -i 's|GREETING: hello|GREETING: hi|' config/deploy.yml
kc_run app boot --version "$V1" -h "$H1"
assert_rc 0
assert_contains "$OUT" "booted"
[[ $(cid 1 "app-web-$V1") != "${before%% *}" ]] || fail "a new container on h1"
assert_contains "$(host_docker 1 inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "app-web-$V1")" "GREETING=hi"
assert_match "$(get "$H1")" "^version $V1 on "
kc_run app boot --version "$V1"
assert_rc 0
assert_match "$OUT" "1 unchanged, 2 booted|2 booted, 1 unchanged"

t "a new version replaces it with zero downtime: >= 2000 requests, 0 failed"
V2=$(app_commit "$REPO" "second version")
assert_ok build_app "$V2"
LOAD_MIN=$LOAD_PER_HOST under_load "$V1" "$V2" app boot --version "$V2"
assert_rc 0
assert_match "$OUT" "3 booted"
for h in "$H1" "$H2" "$H3"; do
  assert_match "$(grep -c "^version $V1 " "$KC_LOAD.$h")" '^[1-9]' "$h served v1 before the switch"
  assert_eq "version $V2" "$(tail -1 "$KC_LOAD.$h" | cut -d' ' -f1,2)" "$h serves v2 after it"
done
assert_eq "exited" "$(host_docker 2 inspect -f '{{.State.Status}}' "app-web-$V1")" "old version stopped"

t "a failing health check leaves the old version serving; the host fails with the logs"
V3=$(app_commit "$REPO" "third version")
assert_ok build_app "$V3"
cp config/deploy.yml "$KC_TMP/deploy.yml.v2"
sed -i 's|path: /up|path: /missing|' config/deploy.yml
sed -i '1i deploy_timeout: 4' config/deploy.yml
kc_run app boot --version "$V3" -h "$H1"
assert_rc 1
assert_contains "$OUT$ERR" "did not become healthy"
assert_contains "$OUT$ERR" "old container keeps serving"
assert_eq none "$(cid 1 "app-web-$V3")" "the failed container was removed"
assert_match "$(get "$H1")" "^version $V2 on "
cp "$KC_TMP/deploy.yml.v2" config/deploy.yml

t "app version, details, containers, images"
kc_run app version
assert_rc 0
assert_contains "$OUT" "$V2"
kc_run app details
assert_rc 0
assert_contains "$OUT" "app-web-$V2"
kc_run app containers
assert_contains "$OUT" "app-web-$V1"
kc_run app images
assert_rc 0
assert_contains "$OUT" "$APP"

t "maintenance and live, each convergent"
kc_run app maintenance --version "$V2" --message "back soon"
assert_rc 0
assert_match "$OUT" "3 in maintenance"
assert_eq "503" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$H1/")"
kc_run app maintenance --version "$V2"
assert_match "$OUT" "3 unchanged"
kc_run app boot --version "$V2"
assert_match "$OUT" "3 unchanged"
assert_contains "$OUT" "in maintenance"
kc_run app live --version "$V2"
assert_match "$OUT" "3 live"
assert_match "$(get "$H1")" "^version $V2 on "
kc_run app live --version "$V2"
assert_match "$OUT" "3 unchanged"

t "stop and start, each convergent"
kc_run app stop -h "$H3"
assert_rc 0
assert_contains "$OUT" "stopped"
assert_eq "exited" "$(host_docker 3 inspect -f '{{.State.Status}}' "app-web-$V2")"
kc_run app stop -h "$H3"
assert_contains "$OUT" "unchanged"
kc_run app start --version "$V2"
assert_rc 0
assert_match "$OUT" "2 unchanged|started"
assert_match "$(get "$H3")" "^version $V2 on "
kc_run app start --version "$V2"
assert_match "$OUT" "3 unchanged"

t "exec in a new container, --reuse in the running one, on a host never deployed to"
host_sh 2 'rm -rf .kamal/apps'
cmd=$'sh -c \'echo "x=$FOO $GREETING"\''    # single quotes: the container's shell expands
kc_run app exec --version "$V2" -e "FOO:bar" "$cmd"
assert_rc 0
assert_contains "$OUT" "x=bar hi"
kc_run app exec --reuse 'cat /www/index.html'
assert_rc 0
assert_contains "$OUT" "version $V2"

t "logs, stale_containers [--stop]"
kc_run app logs -n 5
assert_rc 0
assert_contains "$OUT" "App Host $H1"
host_docker 1 start "app-web-$V1" >/dev/null
kc_run app stale_containers -h "$H1"
assert_rc 0
assert_contains "$OUT" "app-web-$V1"
kc_run app stale_containers --stop -h "$H1"
assert_rc 0
assert_eq "exited" "$(host_docker 1 inspect -f '{{.State.Status}}' "app-web-$V1")"

t "--format json for app boot"
kc_run app boot --version "$V2" --format json
assert_rc 0
assert_eq "3" "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["summary"]["unchanged"])' <<<"$OUT")"

t "app boot without --version boots the latest tag"
kc_run app boot
assert_rc 0
assert_match "$(get "$H2")" "^version latest on "

t "bad input: an unknown role, exec without a command or with conflicting options (exit 2)"
kc_run app boot -r nope
assert_rc 2
assert_contains "$ERR" "nope"
kc_run app exec
assert_rc 2
kc_run app exec --detach --reuse ls
assert_rc 2
assert_contains "$ERR" "--detach cannot be combined"
kc_run app maintenance --drain-timeout soon
assert_rc 2

t "kamal-proxy not running on a host: that host fails naming proxy boot, the others are unchanged"
host_docker 2 stop kamal-proxy >/dev/null
kc_run app boot
assert_rc 1
assert_contains "$OUT$ERR" "kamal-proxy is not running on $H2"
assert_contains "$OUT$ERR" "kamal-c proxy boot"
assert_match "$OUT" "2 unchanged"
kc_run proxy boot
assert_rc 0
kc_run app boot
assert_rc 0
assert_match "$(get "$H2")" "^version latest on "

t "a host off the network: the others get the new version, exit 4; the next run converges"
V4=$(app_commit "$REPO" "fourth version")
assert_ok build_app "$V4"
hosts_ctl 3 link-down
kc_run app boot --version "$V4"
assert_rc 4
assert_contains "$ERR" "unreachable"
assert_match "$(get "$H1")" "^version $V4 on "
assert_match "$(get "$H2")" "^version $V4 on "
hosts_ctl 3 link-up
assert_match "$(get "$H3")" "^version latest on " "h3 still serves what it had"
kc_run app boot --version "$V4"
assert_rc 0
assert_match "$OUT" "2 unchanged"
assert_match "$(get "$H3")" "^version $V4 on "

t "an app port nothing listens on: the health check fails, the old version keeps serving"
V5=$(app_commit "$REPO" "fifth version")
assert_ok build_app "$V5"
cp config/deploy.yml "$KC_TMP/deploy.yml.v4"
sed -i '1i deploy_timeout: 4' config/deploy.yml
python3 - config/deploy.yml <<'PY'
import sys, re
p = sys.argv[1]
s = open(p).read()
s = s.replace("proxy:\n", "proxy:\n  app_port: 8080\n", 1)
open(p, "w").write(s)
PY
kc_run app boot --version "$V5" -h "$H1"
assert_rc 1
assert_contains "$OUT$ERR" "did not become healthy"
assert_eq none "$(cid 1 "app-web-$V5")" "the failed container was removed"
assert_match "$(get "$H1")" "^version $V4 on "
cp "$KC_TMP/deploy.yml.v4" config/deploy.yml

t "--format json for the other app verbs: one document each"
for verb in "version" "details" "containers" "images" "stop -h $H3" "start" "maintenance" "live"; do
  # shellcheck disable=SC2086 # the verb's words
  kc_run app $verb --format json
  assert_rc 0 "app $verb --format json"
  assert_ok python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$OUT"
done

t "app remove"
kc_run app remove
assert_rc 0
assert_match "$OUT" "3 removed"
assert_eq "" "$(host_docker 1 ps -aq --filter label=service=app)"
assert_fails host_sh 1 'test -e .kamal/apps/app'
reset_hosts
