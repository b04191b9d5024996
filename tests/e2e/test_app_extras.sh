#!/usr/bin/env bash
# test_app_extras.sh - the app beyond one plain role, on 3 hosts with the real kamal-proxy and the
# example app built from git (on h0, tagged as Kamal would): per-host env from env.tags and server
# tags (each host its own env file and digest: a tag's change replaces only its hosts); asset_path
# bridging across version changes (an asset only in the old version served by the new container,
# through the switch and after, the old versions' directories cleaned, a no-op boot touches
# nothing); two apps with their own deploy.yml on one kamal-proxy, routed by host name, each
# booting, rolling back, pruning and removing without touching the other; `proxy remove`'s guard.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c
need_hosts 3

H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)

builder() {
  DOCKER_HOST=$KC_BUILDER_DOCKER_HOST DOCKER_CONFIG=$KC_DOCKER_CONFIG DOCKER_BUILDKIT=0 \
    "$KC_DOCKER_CLI" "$@"
}

build_app() {   # build_app REPO SERVICE VERSION: that commit built on h0, pushed as VERSION and latest
  local img=$KC_REGISTRY/demo/$2 clone=$KC_TMP/clone-$2-$3
  git clone -q "$1" "$clone" && git -C "$clone" checkout -q "$3" &&
    builder build -q --label "service=$2" -t "$img:$3" -t "$img:latest" "$clone" >/dev/null &&
    builder push "$img:$3" >/dev/null && builder push "$img:latest" >/dev/null
}

commit_all() { _kc_git "$1" add -A && _kc_git "$1" commit -q -m "$2" && git -C "$1" rev-parse HEAD; }

# get HOST [NAME] [PATH]: the body through kamal-proxy on HOST, asking for NAME (Host header)
get() { curl -sS --max-time 5 ${2:+-H "Host: $2"} "http://$1${3:-/}" || true; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 ${2:+-H "Host: $2"} "http://$1${3:-/}" || true; }
cid() { local id; id=$(host_docker "$1" inspect -f '{{.Id}}' "$2" 2>/dev/null) || id=none; echo "$id"; }
ids() { local i; for i in 1 2 3; do cid $i "$1"; done; }
env_of() { host_docker "$1" inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$2"; }
# routes N: kamal-proxy's routes on hN, one per line, columns single-spaced (the table's widths
# follow the longest name)
routes() { host_docker "$1" exec kamal-proxy kamal-proxy list | sed 's/\x1b\[[0-9;]*m//g' | awk '{$1 = $1; print}'; }

# deploy_yml SERVICE PROXY_HOST SERVERS_YAML EXTRA_YAML: a deploy.yml for this bed
deploy_yml() {
  cat <<EOF
service: $1
image: demo/$1
servers:
$3
proxy:
  host: $2
  healthcheck:
    path: /up
  run: $(proxy_run_yaml)
registry:
  server: $KC_REGISTRY
  username: kamal
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
ssh:
  config: $KC_SSH_CONFIG
$4
EOF
}

reset_hosts

# ---- app 1: tags on h1 (blue) and h2 (green), assets at /app/public/assets ----
A1=$(make_app_repo "$KC_TMP/app" 1)
# the test's copy of the app serves its assets and prints its COLOR
sed -i 's|^mkdir -p /www$|mkdir -p /www \&\& ln -sfn /app/public/assets /www/assets|' "$A1/app.sh"
sed -i 's|on $(hostname)"|on $(hostname) color ${COLOR:-none}"|' "$A1/app.sh"
grep -q 'ln -sfn' "$A1/app.sh" || fail "app.sh was not adapted"
mkdir -p "$A1/public/assets" "$A1/.kamal"
echo "old asset" >"$A1/public/assets/v1.css"
printf 'KAMAL_REGISTRY_PASSWORD=%s\nBLUE_SECRET=sky\n' "$KC_REGISTRY_PASSWORD" >"$A1/.kamal/secrets"
deploy_yml app one.test "  web:
    hosts:
      - $H1: blue
      - $H2: [green]
      - $H3" "asset_path: /app/public/assets
env:
  clear:
    GREETING: hello
  tags:
    blue:
      clear:
        COLOR: blue
      secret:
        - BLUE_SECRET
    green:
      COLOR: green" >"$A1/config/deploy.yml"
V1=$(commit_all "$A1" "assets v1")
cd "$A1"

t "setup: app version 1 built and pushed; proxy boot"
assert_ok build_app "$A1" app "$V1"
kc_run proxy boot
assert_rc 0
assert_match "$OUT" "3 booted"

t "env tags: each host gets its tags' env, in its container and its own env file"
kc_run app boot --version "$V1"
assert_rc 0
assert_match "$OUT" "3 booted"
c1=app-web-$V1
assert_contains "$(env_of 1 "$c1")" "COLOR=blue"
assert_contains "$(env_of 1 "$c1")" "BLUE_SECRET=sky"
assert_contains "$(env_of 2 "$c1")" "COLOR=green"
assert_not_contains "$(env_of 2 "$c1")" "BLUE_SECRET"
assert_not_contains "$(env_of 3 "$c1")" "COLOR="
for i in 1 2 3; do assert_contains "$(env_of $i "$c1")" "GREETING=hello"; done
assert_eq "BLUE_SECRET=sky" "$(host_sh 1 'cat .kamal/apps/app/env/roles/web.env')"
assert_eq "" "$(host_sh 2 'cat .kamal/apps/app/env/roles/web.env')"
assert_match "$(get "$H1" one.test)" "^version $V1 on .* color blue\$"
assert_match "$(get "$H2" one.test)" "^version $V1 on .* color green\$"
assert_match "$(get "$H3" one.test)" "^version $V1 on .* color none\$"
assert_not_contains "$OUT$ERR" "sky"

t "env tags: a tag's new value replaces the container only on its hosts"
before=$(ids "$c1")
sed -i 's|COLOR: green|COLOR: teal|' config/deploy.yml
kc_run app boot --version "$V1"
assert_rc 0
assert_match "$OUT" "1 booted, 2 unchanged|2 unchanged, 1 booted"
assert_contains "$(grep booted <<<"$OUT")" "$H2"
after=$(ids "$c1")
assert_eq "$(sed -n 1p <<<"$before")" "$(sed -n 1p <<<"$after")" "h1 kept its container"
assert_eq "$(sed -n 3p <<<"$before")" "$(sed -n 3p <<<"$after")" "h3 kept its container"
[[ $(sed -n 2p <<<"$before") != "$(sed -n 2p <<<"$after")" ]] || fail "h2 has a new container"
assert_match "$(get "$H2" one.test)" "color teal\$"
kc_run app boot --version "$V1"
assert_match "$OUT" "3 unchanged"

t "assets: version 1's assets are extracted and mounted at asset_path"
for i in 1 2 3; do assert_eq "old asset" "$(get "$(host_ip $i)" one.test /assets/v1.css)"; done
assert_eq "web-$V1" "$(host_sh 1 'ls .kamal/apps/app/assets/extracted')"
assert_eq "web-$V1" "$(host_sh 1 'ls .kamal/apps/app/assets/volumes')"
assert_eq "/root/.kamal/apps/app/assets/volumes/web-$V1:/app/public/assets" \
  "$(host_docker 1 inspect -f '{{range .HostConfig.Binds}}{{.}}{{end}}' "$c1")"
assert_eq "" "$(host_docker 1 ps -a --filter name=app-web-assets -q)" "the extraction container is gone"

t "assets: the new version serves the old version's assets through the switch and after"
git rm -q public/assets/v1.css
mkdir -p public/assets && echo "new asset" >public/assets/v2.css
V2=$(commit_all "$A1" "assets v2")
assert_ok build_app "$A1" app "$V2"
load=$KC_TMP/assets-load
(   # bounded: at most 2000 requests for the old asset on h1, each at most 5 s
  for ((i = 0; i < 2000; i++)); do
    [[ -e $load.stop ]] && break
    echo "$(code "$H1" one.test /assets/v1.css)"
  done >"$load"
) &
lp=$!
for ((i = 0; i < 300; i++)); do    # until 20 answers came (at most 30 s)
  (($(cat "$load" 2>/dev/null | wc -l) >= 20)) && break
  sleep 0.1
done
kc_run app boot --version "$V2" --dry-run -h "$H1"
assert_rc 0
assert_contains "$OUT" "docker container create --name app-web-assets $KC_REGISTRY/demo/app:$V2"
assert_contains "$OUT" "cp -rnT .kamal/apps/app/assets/extracted/web-$V1 .kamal/apps/app/assets/volumes/web-$V2"
assert_contains "$OUT" "--volume \"\$PWD\"/.kamal/apps/app/assets/volumes/web-$V2:/app/public/assets"
assert_contains "$OUT" "find .kamal/apps/app/assets/volumes -maxdepth 1 -name 'web-*'"
kc_run app boot --version "$V2"
touch "$load.stop"
wait "$lp"
assert_rc 0
assert_match "$OUT" "3 booted"
assert_eq "" "$(grep -v '^200$' "$load" | sort | uniq -c)" "every request for the old asset answered 200"
echo "    load: $(wc -l <"$load") requests for /assets/v1.css during the switch"
for i in 1 2 3; do
  h=$(host_ip $i)
  assert_match "$(get "$h" one.test)" "^version $V2 "
  assert_eq "old asset" "$(get "$h" one.test /assets/v1.css)" "h$i: the old asset"
  assert_eq "new asset" "$(get "$h" one.test /assets/v2.css)" "h$i: the new asset"
  assert_eq "web-$V2" "$(host_sh $i 'ls .kamal/apps/app/assets/extracted')" "h$i: old extracted dir cleaned"
  assert_eq "web-$V2" "$(host_sh $i 'ls .kamal/apps/app/assets/volumes')" "h$i: old volume dir cleaned"
done
assert_eq "new asset" "$(host_sh 1 "cat .kamal/apps/app/assets/extracted/web-$V2/v2.css")"
assert_fails host_sh 1 "test -e .kamal/apps/app/assets/extracted/web-$V2/v1.css"

t "assets: a no-op boot extracts nothing and leaves the directories alone"
stamp=$(host_sh 1 'stat -c %i:%Y .kamal/apps/app/assets/volumes/*')
kc_run app boot --version "$V2" -v
assert_rc 0
assert_match "$OUT" "3 unchanged"
assert_not_contains "$OUT$ERR" "docker container create"
assert_eq "$stamp" "$(host_sh 1 'stat -c %i:%Y .kamal/apps/app/assets/volumes/*')"

t "assets: booting version 1 again (its stopped container) brings its assets back"
kc_run app boot --version "$V1"
assert_rc 0
assert_match "$OUT" "3 started"
assert_eq "old asset" "$(get "$H1" one.test /assets/v1.css)"
assert_eq "new asset" "$(get "$H1" one.test /assets/v2.css)" "version 2's assets stay visible"
assert_eq "web-$V1" "$(host_sh 1 'ls .kamal/apps/app/assets/volumes')"
kc_run app boot --version "$V2"
assert_rc 0
assert_match "$OUT" "3 booted|3 started"
assert_match "$(get "$H1" one.test)" "^version $V2 "

# ---- app 2: its own deploy.yml, on h1 and h2, on the same kamal-proxy ----
A2=$(make_app_repo "$KC_TMP/app2" 1)
mkdir -p "$A2/.kamal"
printf 'KAMAL_REGISTRY_PASSWORD=%s\n' "$KC_REGISTRY_PASSWORD" >"$A2/.kamal/secrets"
deploy_yml app2 two.test "  - $H1
  - $H2" "" >"$A2/config/deploy.yml"
W1=$(commit_all "$A2" "app2 v1")
W2=$(app_commit "$A2" "app2 v2")
assert_ok build_app "$A2" app2 "$W1"
assert_ok build_app "$A2" app2 "$W2"
app1_ids=$(ids "app-web-$V2")
app1_route=$(routes 1 | grep '^app-web ')

app1_untouched() {
  assert_eq "$app1_ids" "$(ids "app-web-$V2")" "app 1's containers unchanged"
  assert_eq "$app1_route" "$(routes 1 | grep '^app-web ')" "app 1's route unchanged"
  assert_match "$(get "$H1" one.test)" "^version $V2 " "app 1 serves on h1"
  assert_match "$(get "$H2" one.test)" "^version $V2 " "app 1 serves on h2"
}

t "two apps on one host name: kamal-proxy refuses app 2 (exit 1, said so, with a hint); app 1 untouched"
cd "$A2"
sed -i 's/two\.test/one.test/' config/deploy.yml
kc_run app boot --version "$W1" -h "$H1"
assert_rc 1
assert_contains "$ERR" "kamal-proxy refused the new container app2-web-$W1"
assert_contains "$ERR" "give each app its own proxy.host"
app1_untouched
sed -i 's/one\.test/two.test/' config/deploy.yml

t "two apps: app 2 boots on the same proxy, routed by its host name; app 1 untouched"
kc_run app boot --version "$W1"
assert_rc 0
assert_match "$OUT" "2 booted"
assert_match "$(get "$H1" two.test)" "^version $W1 "
assert_match "$(get "$H2" two.test)" "^version $W1 "
assert_eq "404" "$(code "$H3" two.test)" "app 2 is not on h3"
app1_untouched
assert_eq "app app2" "$(host_sh 1 'ls .kamal/apps' | xargs)"

t "two apps: app 2's deploy of a new version, then its rollback, leave app 1 alone"
kc_run deploy -P --version "$W2"
assert_rc 0
assert_contains "$OUT" "booted"
assert_match "$(get "$H1" two.test)" "^version $W2 "
app1_untouched
kc_run rollback "$W1"
assert_rc 0
assert_match "$(get "$H2" two.test)" "^version $W1 "
app1_untouched

t "two apps: app 1's new version leaves app 2 alone"
app2_ids="$(cid 1 "app2-web-$W1") $(cid 2 "app2-web-$W1")"
app2_route=$(routes 1 | grep '^app2-web ')
cd "$A1"
echo "third" >public/assets/v3.css
V3=$(commit_all "$A1" "assets v3")
assert_ok build_app "$A1" app "$V3"
kc_run app boot --version "$V3"
assert_rc 0
assert_match "$OUT" "3 booted"
assert_match "$(get "$H1" one.test)" "^version $V3 "
assert_eq "$app2_ids" "$(cid 1 "app2-web-$W1") $(cid 2 "app2-web-$W1")" "app 2's containers unchanged"
assert_eq "$app2_route" "$(routes 1 | grep '^app2-web ')" "app 2's route unchanged"
assert_match "$(get "$H1" two.test)" "^version $W1 "

t "two apps: app 1's stale_containers and prune leave app 2's containers and images"
kc_run app stale_containers
assert_rc 0
assert_not_contains "$OUT" "app2-web"
kc_run prune all
assert_rc 0
assert_eq "running" "$(host_docker 1 inspect -f '{{.State.Status}}' "app2-web-$W1")"
assert_eq "exited" "$(host_docker 1 inspect -f '{{.State.Status}}' "app2-web-$W2")"
assert_ok host_docker 1 image inspect "$KC_REGISTRY/demo/app2:$W2"
assert_match "$(get "$H1" two.test)" "^version $W1 "

t "proxy remove refuses while another app is installed, before touching any host"
kc_run proxy remove
assert_rc 1
assert_contains "$OUT$ERR" "other applications installed"
for i in 1 2 3; do assert_eq "running" "$(host_docker $i inspect -f '{{.State.Status}}' kamal-proxy)"; done
assert_match "$(get "$H1" one.test)" "^version $V3 "

t "two apps: app 2's remove leaves app 1 and the shared proxy serving"
cd "$A2"
kc_run remove -y
assert_rc 0
assert_contains "$OUT" "kept"
assert_eq "none none" "$(cid 1 "app2-web-$W1") $(cid 2 "app2-web-$W1")"
assert_eq "404" "$(code "$H1" two.test)"
assert_eq "app" "$(host_sh 1 'ls .kamal/apps' | xargs)"
assert_match "$(get "$H1" one.test)" "^version $V3 "
assert_match "$(get "$H2" one.test)" "^version $V3 "

t "proxy remove --force removes it even so"
cd "$A1"
kc_run proxy remove --force
assert_rc 0
assert_match "$OUT" "3 removed"
for i in 1 2 3; do assert_eq "none" "$(cid $i kamal-proxy)"; done
