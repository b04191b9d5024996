#!/usr/bin/env bash
# test_proxy_bed.sh - the deploy path's real parts work together on the bed, driven with plain
# ssh and docker (no kamal-c verbs): the bed's kamal-proxy image run the way Kamal 2.12 runs it,
# the example app built from git on h0 and pushed, routed through kamal-proxy, and a second
# version switched in with no failed request. Prints how long one `kamal-proxy deploy` takes.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_hosts 1
reset_hosts

H=$(host_ip 1)
APP=$KC_REGISTRY/demo/app
LOAD_REQUESTS=300

builder() {      # docker on the builder host h0, as seed-images.sh uses it (legacy builder)
  DOCKER_HOST=$KC_BUILDER_DOCKER_HOST DOCKER_CONFIG=$KC_DOCKER_CONFIG DOCKER_BUILDKIT=0 \
    "$KC_DOCKER_CLI" "$@"
}

build_app() {    # build_app VERSION: from a clean clone of the commit, as Kamal does (the docker
  local clone=$KC_TMP/clone-$1    # CLI applies .dockerignore to a directory, not to a tar on stdin)
  git clone -q "$REPO" "$clone" && git -C "$clone" checkout -q "$1" &&
    builder build -q --label service=app -t "$APP:$1" "$clone" >/dev/null &&
    builder push "$APP:$1" >/dev/null
}

run_app() {      # run_app VERSION: the container as Kamal's app boot starts it; prints its ID
  host_sh 1 "docker pull -q $APP:$1 >/dev/null && docker run --detach --restart unless-stopped --name app-web-$1 --network kamal \
    --hostname $H-$(printf '%s' "$1" | head -c 12) --env KAMAL_CONTAINER_NAME=app-web-$1 \
    --env KAMAL_VERSION=$1 --env KAMAL_HOST=$H --log-opt max-size=10m --label service=app \
    --label role=web --label destination= $APP:$1 >/dev/null &&
    docker container ls --all --filter name=^app-web-$1\$ --quiet"
}

switch_to() {    # switch_to ID: kamal-proxy deploy as Kamal runs it; prints its wall time in ms
  host_sh 1 "s=\$(date +%s%N); docker exec kamal-proxy kamal-proxy deploy app-web \
    --target=\"$1:80\" --deploy-timeout=\"30s\" --drain-timeout=\"30s\" --buffer-requests \
    --buffer-responses --log-request-header=\"Cache-Control\" \
    --log-request-header=\"Last-Modified\" --log-request-header=\"User-Agent\" >/dev/null &&
    echo \$(( (\$(date +%s%N) - s) / 1000000 ))"
}

get() { curl -sS --max-time 5 "http://$H$1"; }   # through h1's port 80, from the root netns

t "the example app's deploy.yml, moved to this bed, is valid for kamal-c"
REPO=$(make_app_repo "$KC_TMP/app" 1)
V1=$(git -C "$REPO" rev-parse HEAD)
assert_not_contains "$(cat "$REPO/config/deploy.yml" "$REPO/Dockerfile")" "10.213.7." \
  "sandbox addresses left"
if [[ -x $KAMAL_C ]]; then
  cd "$REPO"
  kc_run config
  assert_rc 0
  assert_contains "$OUT" "$H"
  cd /
else
  skip "no kamal-c binary at $KAMAL_C"
fi

t "the example app builds from its git commit on h0 and is pushed"
assert_ok build_app "$V1"
assert_eq "app" "$(builder image inspect --format '{{index .Config.Labels "service"}}' "$APP:$V1")"
files=" $(builder run --rm "$APP:$V1" sh -c 'cd /app && echo $(ls -A)') "
assert_contains "$files" " app.sh "
for f in .git .kamal config; do      # .dockerignore: no deploy settings or secrets in the image
  assert_not_contains "$files" " $f "
done

t "kamal-proxy runs as Kamal 2.12 boots it with proxy.run (network, volume, apps-config, ports)"
echo "$KC_REGISTRY_PASSWORD" |
  host_sh 1 "docker login -u $KC_REGISTRY_USER --password-stdin $KC_REGISTRY" >/dev/null 2>&1
assert_ok host_sh 1 "docker network create kamal"
assert_ok host_sh 1 "mkdir -p .kamal/proxy/apps-config"
assert_ok host_sh 1 "docker container start kamal-proxy 2>/dev/null || docker run --name kamal-proxy \
  --network kamal --detach --restart unless-stopped \
  --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy \
  --volume \$PWD/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config \
  --publish 80:80 --publish 443:443 --log-opt max-size=10m $KC_PROXY_IMAGE kamal-proxy run"
assert_eq "running kamal-proxy:kamal-proxy kamal-proxy" "$(host_docker 1 inspect --format \
  '{{.State.Status}} {{.Config.User}} {{index .Config.Labels "org.opencontainers.image.title"}}' \
  kamal-proxy)"
assert_eq "${KC_PROXY_IMAGE##*:}" "$(host_sh 1 \
  "docker inspect kamal-proxy --format '{{.Config.Image}}' | awk -F: '{print \$NF}'")" \
  "the tag Kamal's version check reads"
ok=0
for _ in $(seq 50); do    # the control socket appears once `run` is up
  host_docker 1 exec kamal-proxy kamal-proxy list >/dev/null 2>&1 && { ok=1; break; }
  sleep 0.1
done
assert_eq 1 "$ok" "kamal-proxy list answers over its socket in /tmp"
assert_match "$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://$H/" || true)" \
  '^[45][0-9][0-9]$' "port 80 answers (no route yet)"

t "version 1 answers through kamal-proxy on port 80"
ID1=$(run_app "$V1")
assert_match "$ID1" '^[0-9a-f]{12}$'
ms=$(switch_to "$ID1")
echo "    kamal-proxy deploy (first target, incl. health check): $ms ms"
assert_eq "version $V1 on $H-${V1:0:12}" "$(get /)"
assert_eq "OK" "$(get /up)"
assert_contains "$(host_docker 1 exec kamal-proxy kamal-proxy list)" "$ID1:80"

t "version 2 switches in under load: 0 failed requests of $LOAD_REQUESTS"
V2=$(app_commit "$REPO" "second version")
assert_ok build_app "$V2"
[[ $(builder image inspect -f '{{.Id}}' "$APP:$V1") != $(builder image inspect -f '{{.Id}}' "$APP:$V2") ]] ||
  fail "a new commit gives a new image"
ID2=$(run_app "$V2")
load=$KC_TMP/load
(   # bounded: $LOAD_REQUESTS requests, each at most 5 s, to the bed's own address only
  for ((i = 0; i < LOAD_REQUESTS; i++)); do
    r=$(curl -s --max-time 5 -w ' %{http_code}' "http://$H/") || r="curl failed: $r"
    echo "${r//$'\n'/}"
    sleep 0.02
  done >"$load"
) &
loader=$!
while (($(wc -l <"$load" 2>/dev/null || echo 0) < 50)); do sleep 0.1; done
ms=$(switch_to "$ID2")
echo "    kamal-proxy deploy (switch v1 -> v2 under load): $ms ms"
s=$(date +%s%N)
assert_ok host_sh 1 "docker stop app-web-$V1"
stop_ms=$((($(date +%s%N) - s) / 1000000))
echo "    docker stop of the old version: $stop_ms ms"
wait "$loader"
assert_eq "$LOAD_REQUESTS" "$(wc -l <"$load")" "responses recorded"
assert_eq "" "$(grep -v -e "^version $V1 on .* 200\$" -e "^version $V2 on .* 200\$" "$load" | head -5)" \
  "every response is 200 from version 1 or 2"
assert_match "$(grep -c "^version $V1 " "$load")" '^[1-9]' "served by version 1 before the switch"
assert_eq "version $V2" "$(tail -1 "$load" | cut -d' ' -f1,2)" "served by version 2 after it"
echo "    load: $(grep -c "^version $V1 " "$load") answers from v1, $(grep -c "^version $V2 " "$load") from v2"
assert_eq "version $V2 on $H-${V2:0:12}" "$(get /)"
((stop_ms < 5000)) || fail "docker stop took $stop_ms ms: the app does not stop on TERM"
assert_eq "exited 0" "$(host_docker 1 inspect --format '{{.State.Status}} {{.State.ExitCode}}' \
  "app-web-$V1")" "the old version stopped cleanly on TERM"

t "everything stops cleanly"
assert_ok host_sh 1 "docker exec kamal-proxy kamal-proxy remove app-web"
assert_ok host_sh 1 "docker stop app-web-$V2 kamal-proxy"
assert_eq "exited 0" "$(host_docker 1 inspect --format '{{.State.Status}} {{.State.ExitCode}}' \
  "app-web-$V2")"
assert_eq "exited" "$(host_docker 1 inspect --format '{{.State.Status}}' kamal-proxy)"
reset_hosts
