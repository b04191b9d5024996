#!/usr/bin/env bash
# test_app_roles.sh - several roles and rolling boots with the real kamal-proxy and the example
# app on 3 hosts: a web role behind the proxy and a jobs role without it (its cmd, labels, env,
# options and logging merged over the root, judged by still running after readiness_delay);
# convergence (unchanged, same container IDs); the primary role first; a jobs version that exits
# at once (exit 1, the old jobs container keeps running); zero failed requests while both roles
# are replaced; boot.limit / boot.wait with pre-app-boot and post-app-boot around each group; a
# failure in the second group stops the third and says which host runs which version; the primary
# role failing everywhere holds the other roles back, unless boot.parallel_roles.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c
need_hosts 3

H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)

get() { curl -sS --max-time 5 "http://$1/" || true; }
cid() { local id; id=$(host_docker "$1" inspect -f '{{.Id}}' "$2" 2>/dev/null) || id=none; echo "$id"; }
state() { local s; s=$(host_docker "$1" inspect -f '{{.State.Status}}' "$2" 2>/dev/null) || s=none; echo "$s"; }
ns() { date -d "$1" +%s%N; }   # an RFC 3339 time as nanoseconds
HOOKLOG=$KC_TMP/hooks.log
hook() {    # hook NAME: a hook that logs its name and KAMAL_HOSTS
  mkdir -p .kamal/hooks
  printf '#!/bin/sh\necho "%s $KAMAL_HOSTS" >>%s\n' "$1" "$HOOKLOG" >".kamal/hooks/$1"
  chmod +x ".kamal/hooks/$1"
}
# roles WEB_HOSTS JOBS_HOSTS [ROOT_YAML]: deploy.yml with a web and a jobs role (hosts by number)
roles() {
  local web=$1 jobs=$2 n
  {
    printf '%s\n' "${3:-}"
    cat "$KC_TMP/base.yml"
    printf 'servers:\n  web:\n'
    for n in $web; do printf '    - %s\n' "$(host_ip "$n")"; done
    printf '  jobs:\n    hosts:\n'
    for n in $jobs; do printf '      - %s\n' "$(host_ip "$n")"; done
    cat <<'EOF'
    cmd: sh /app/jobs.sh
    labels:
      tier: background
    env:
      clear:
        QUEUE: default
    options:
      memory: 64m
    logging:
      options:
        max-size: 5m
EOF
  } >config/deploy.yml
  git add config/deploy.yml && git commit -qm "roles $web / $jobs"
  git rev-parse HEAD
}
jobs_script() {  # jobs_script 'BODY': /app/jobs.sh runs BODY, committed; prints the commit
  printf '#!/bin/sh\ntrap "exit 0" TERM\necho "jobs $KAMAL_VERSION up"\n%s\n' "$1" >jobs.sh
  git add jobs.sh && git commit -qm "jobs: $1"
  git rev-parse HEAD
}
LOAD=$KC_TMP/load
load_start() {  # load_start HOSTS...: bounded request loops on port 80 of each host
  local h
  rm -f "$LOAD".*
  LOAD_PIDS=() LOAD_HOSTS=("$@")
  for h in "$@"; do
    (   # bounded: at most 20000 requests to this bed's address, each at most 5 s
      for ((i = 0; i < 20000; i++)); do
        [[ -e $LOAD.stop && $i -ge 500 ]] && break
        r=$(curl -s --max-time 5 -w ' %{http_code}' "http://$h/") || r="curl failed: $r"
        echo "${r//$'\n'/}"
      done >"$LOAD.$h"
    ) &
    LOAD_PIDS+=($!)
  done
  while (($(cat "$LOAD".[0-9]* 2>/dev/null | wc -l) < 100)); do sleep 0.1; done
}
load_stop() {   # load_stop OLD NEW: every answer is a 200 from OLD or NEW
  local p total bad
  touch "$LOAD.stop"
  for p in "${LOAD_PIDS[@]}"; do wait "$p"; done
  total=$(cat "$LOAD".[0-9]* | wc -l)
  ((total >= 1000)) || fail "only $total requests"
  bad=$(cat "$LOAD".[0-9]* | grep -v -e "^version $1 on .* 200\$" -e "^version $2 on .* 200\$" | head -5 || true)
  assert_eq "" "$bad" "every response is 200 from $1 or $2"
  for h in "${LOAD_HOSTS[@]}"; do
    assert_match "$(grep -c "^version $1 " "$LOAD.$h")" '^[1-9]' "$h served $1 before the switch"
    assert_eq "version $2" "$(tail -1 "$LOAD.$h" | cut -d' ' -f1,2)" "$h serves $2 after it"
  done
  echo "    load: $total requests, $(cat "$LOAD".[0-9]* | grep -c "^version $2 ") from the new version"
}

reset_hosts
REPO=$(make_app_repo "$KC_TMP/app" 1)
cd "$REPO"
printf '.kamal/hooks\n' >>.git/info/exclude
# the example's deploy.yml without its servers, plus a root env and Kamal's timing keys
awk '/^servers:/ { skip = 1; next } skip && /^  - / { next } { skip = 0; print }' \
  config/deploy.yml >"$KC_TMP/base.yml"
cat >>"$KC_TMP/base.yml" <<'EOF'
readiness_delay: 2
env:
  clear:
    GREETING: hello
EOF
jobs_script 'while :; do sleep 1; done' >/dev/null
V1=$(roles "1 2" "3")

t "setup: web behind the proxy on h1 h2, jobs without it on h3; the primary role first"
kc_run setup
assert_rc 0
for h in "$H1" "$H2"; do assert_match "$(get "$h")" "^version $V1 on "; done
assert_eq "none" "$(state 3 kamal-proxy)" "no kamal-proxy on the jobs host"
assert_eq "running" "$(state 3 "app-jobs-$V1")"
assert_contains "$OUT" "Waiting for the first healthy web container before booting jobs on $H3"
assert_contains "$OUT" "First web container is healthy on"
first_web=$(for i in 1 2; do ns "$(host_docker $i inspect -f '{{.State.StartedAt}}' "app-web-$V1")"; done | sort -n | head -1)
jobs_created=$(ns "$(host_docker 3 inspect -f '{{.Created}}' "app-jobs-$V1")")
((jobs_created > first_web)) || fail "jobs created ($jobs_created) before the first web container started ($first_web)"

t "the jobs container: Kamal's footprint with the role's cmd, labels, env, options, logging"
c="app-jobs-$V1"
assert_eq "[sh /app/jobs.sh]" "$(host_docker 3 inspect -f '{{.Config.Cmd}}' "$c")"
assert_eq "app jobs  background" "$(host_docker 3 inspect -f '{{index .Config.Labels "service"}} {{index .Config.Labels "role"}} {{index .Config.Labels "destination"}} {{index .Config.Labels "tier"}}' "$c")"
assert_eq "" "$(host_docker 3 inspect -f '{{index .Config.Labels "kamal-c.proxy"}}' "$c")" "no proxy label"
env3=$(host_docker 3 inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$c")
assert_contains "$env3" "GREETING=hello"
assert_contains "$env3" "QUEUE=default"
assert_contains "$env3" "KAMAL_HOST=$H3"
assert_eq "67108864 unless-stopped map[max-size:5m] kamal" "$(host_docker 3 inspect -f '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.LogConfig.Config}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$c")"
assert_ok host_sh 3 'test -f .kamal/apps/app/env/roles/jobs.env'
assert_contains "$(host_docker 3 logs "$c")" "jobs $V1 up"

t "deploy -P and app boot again: unchanged, the same container IDs (jobs too), no lock"
before="$(cid 1 "app-web-$V1") $(cid 2 "app-web-$V1") $(cid 3 "app-jobs-$V1")"
kc_run deploy -P
assert_rc 0
assert_contains "$OUT" "nothing to deploy: every host runs $V1"
kc_run app boot --version "$V1" -v
assert_rc 0
assert_match "$OUT" "3 unchanged"
assert_not_contains "$OUT$ERR" "acquired the deploy lock"
assert_eq "$before" "$(cid 1 "app-web-$V1") $(cid 2 "app-web-$V1") $(cid 3 "app-jobs-$V1")"

t "a new version of both roles under load: 0 failed requests, the old jobs stopped"
V2=$(app_commit "$REPO" "second version")
load_start "$H1" "$H2"
kc_run deploy
load_stop "$V1" "$V2"
assert_rc 0
assert_match "$OUT" "3 booted"
for h in "$H1" "$H2"; do assert_match "$(get "$h")" "^version $V2 on "; done
assert_eq "running exited" "$(state 3 "app-jobs-$V2") $(state 3 "app-jobs-$V1")"

t "a jobs version that exits at once: exit 1 with its logs, the old jobs container runs on"
V3=$(jobs_script 'echo "jobs broken"; exit 3')
kc_run deploy
assert_rc 1
assert_contains "$OUT$ERR" "container not ready"
assert_contains "$OUT$ERR" "jobs broken"
assert_contains "$OUT$ERR" "the old one keeps running"
assert_eq "running none" "$(state 3 "app-jobs-$V2") $(state 3 "app-jobs-$V3")"
assert_contains "$OUT" "$H3: jobs $V2"

t "boot.limit 2, boot.wait 1: pre-app-boot and post-app-boot around each group"
jobs_script 'while :; do sleep 1; done' >/dev/null
V4=$(roles "1 2 3" "3" "$(printf 'boot:\n  limit: 2\n  wait: 1\n')")
hook pre-app-boot
hook post-app-boot
: >"$HOOKLOG"
kc_run deploy
assert_rc 0
assert_eq "pre-app-boot $H1,$H2|post-app-boot $H1,$H2|pre-app-boot $H3|post-app-boot $H3" \
  "$(paste -sd'|' "$HOOKLOG")" "hooks around each group"
for h in "$H1" "$H2" "$H3"; do assert_match "$(get "$h")" "^version $V4 on "; done
assert_eq "running" "$(state 3 "app-jobs-$V4")"

t "boot.limit 1 with a failure in the second group: the third untouched, exit 1, versions said"
sed -i 's|^trap|[ "$KAMAL_HOST" = "$FAIL_HOST" ] \&\& rm -f /www/up\ntrap|' app.sh   # /up fails on h2
git add app.sh
sed -i "s|^    GREETING: hello|    GREETING: hello\n    FAIL_HOST: $H2|" "$KC_TMP/base.yml"
V5=$(roles "1 2 3" "3" "$(printf 'deploy_timeout: 5\nboot:\n  limit: 1\n')")
: >"$HOOKLOG"
kc_run deploy
assert_rc 1
assert_match "$(get "$H1")" "^version $V5 on "
assert_match "$(get "$H2")" "^version $V4 on "
assert_match "$(get "$H3")" "^version $V4 on "
assert_eq "none running" "$(state 3 "app-jobs-$V5") $(state 3 "app-jobs-$V4")" "group 3 untouched"
assert_contains "$OUT" "$H3] app: skipped - not booted: a host of boot group 2 failed"
assert_contains "$OUT" "$H1: web $V5"
assert_contains "$OUT" "$H2: web $V4"
assert_contains "$OUT" "$H3: web $V4, jobs $V4"
assert_eq "pre-app-boot $H1|post-app-boot $H1|pre-app-boot $H2" "$(paste -sd'|' "$HOOKLOG")"

t "the primary role failing everywhere: the other roles are not booted, exit 1"
sed -i 's|path: /up|path: /missing|' "$KC_TMP/base.yml"
V6=$(roles "1 2" "3" "$(printf 'deploy_timeout: 5\n')")
kc_run deploy
assert_rc 1
assert_contains "$OUT$ERR" "First web container is unhealthy on"
assert_contains "$OUT$ERR" "First web container is unhealthy, not booting jobs on $H3"
assert_eq "none running" "$(state 3 "app-jobs-$V6") $(state 3 "app-jobs-$V4")"
assert_match "$(get "$H1")" "^version $V5 on "

t "boot.parallel_roles: the other roles do not wait for the primary one"
V7=$(roles "1 2" "3" "$(printf 'deploy_timeout: 5\nboot:\n  parallel_roles: true\n')")
kc_run deploy
assert_rc 1
assert_not_contains "$OUT" "Waiting for the first healthy web container"
assert_eq "running exited" "$(state 3 "app-jobs-$V7") $(state 3 "app-jobs-$V4")"
assert_match "$(get "$H2")" "^version $V4 on "
