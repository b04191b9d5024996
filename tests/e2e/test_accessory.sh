#!/usr/bin/env bash
# test_accessory.sh - the accessory lifecycle against the real hosts: every verb,
# every row of the convergence table, concurrency, files/directories, secrets, the
# Kamal footprint. Each case starts from clean hosts (reset_hosts keeps images).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c

H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)
REG=$KC_REGISTRY
SECRET_VALUE='s3cr3t-Value-$(no)-`tick`'

# write_config: a project on all three hosts with a few accessories.
write_config() {
  cat >config/deploy.yml <<EOF
service: demo
image: kc/web
servers:
  web:
    - $H1
    - $H2
  jobs:
    hosts:
      - $H3: [batch]
$(bed_yaml)
accessories:
  web:
    image: $REG/kc/web:1
    roles: [web]
    port: "127.0.0.1:8080:80"
    env:
      clear:
        GREETING: hello world
      secret:
        - DB_PASSWORD
  box:
    image: $REG/kc/web:2
    host: $H3
    env:
      secret:
        - DB_PASSWORD
    files:
      - conf/app.conf:/etc/app.conf
      - local: conf/tmpl.conf.erb
        remote: /etc/tmpl.conf
        mode: "0640"
        owner: "1000:1000"
    directories:
      - data:/data
      - local: logs
        remote: /logs
        mode: "0700"
EOF
  mkdir -p conf
  printf 'listen 80\n' >conf/app.conf
  printf 'password=<%%= ENV["DB_PASSWORD"] %%>\ngreeting=<%%= ENV.fetch("GREETING", "hi") %%>\n' \
    >conf/tmpl.conf.erb
  printf "KAMAL_REGISTRY_PASSWORD=%s\nDB_PASSWORD='%s'\n" "$KC_REGISTRY_PASSWORD" \
    "$SECRET_VALUE" >.kamal/secrets
}

state() {
  local s
  s=$(host_docker "$1" inspect -f '{{.State.Status}}' "$2" 2>/dev/null) || s=missing
  echo "$s"
}
count_containers() { host_docker "$1" ps -aq --filter "label=service=$2" | wc -l; }

reset_hosts
new_project
write_config

# ---------------------------------------------------------------- boot and no-op
t "boot all boots every accessory on its hosts"
kc_run accessory boot all
assert_rc 0
assert_contains "$OUT" "[$H1] web: booted"
assert_contains "$OUT" "[$H2] web: booted"
assert_contains "$OUT" "[$H3] box: booted"
assert_match "$OUT" "3 hosts: 3 booted \([0-9.]+ s\)"
for i in 1 2; do assert_eq running "$(state "$i" demo-web)" "h$i demo-web"; done
assert_eq running "$(state 3 demo-box)"
assert_eq "web v1" "$(host_sh 1 'wget -qO- http://127.0.0.1:8080/' 2>/dev/null ||
  host_docker 1 exec demo-web wget -qO- http://127.0.0.1/)"

t "a second boot changes nothing, takes no lock and exits 0"
before=$(host_sh 1 'cat .kamal/demo-audit.log | wc -l')
ssh_mark
kc_run accessory boot all
assert_rc 0
assert_contains "$OUT" "[$H1] web: unchanged"
assert_contains "$OUT" "[$H3] box: unchanged"
assert_match "$OUT" "3 hosts: 3 unchanged"
assert_eq 1 "$(ssh_logins 1)" "one SSH session on the lock host (probe only)"
assert_eq "$before" "$(host_sh 1 'cat .kamal/demo-audit.log | wc -l')" "no audit line"
for i in 1 2; do assert_eq 1 "$(count_containers "$i" demo-web)"; done

t "the Kamal footprint: names, labels, env file, volumes, restart, network, logging"
inspect=$(host_docker 3 inspect demo-box)
assert_contains "$inspect" '"service": "demo-box"'
assert_contains "$inspect" '"kamal-c.digest": "'
assert_contains "$inspect" '"Name": "unless-stopped"'
assert_contains "$inspect" '"NetworkMode": "kamal"'
assert_contains "$inspect" '"max-size": "10m"'
assert_contains "$inspect" "\"KAMAL_HOST=$H3\""
assert_contains "$inspect" "\"/root/demo-box/etc/app.conf:/etc/app.conf\""
assert_contains "$inspect" "\"/root/demo-box/data:/data\""
assert_contains "$inspect" "\"/root/demo-box/logs:/logs\""
assert_eq "600" "$(host_sh 1 'stat -c %a .kamal/apps/demo/env/accessories/web.env')" "env file mode"
assert_eq "DB_PASSWORD=$SECRET_VALUE" "$(host_sh 1 'cat .kamal/apps/demo/env/accessories/web.env')"
env_in=$(host_docker 1 inspect -f '{{range .Config.Env}}{{println .}}{{end}}' demo-web)
assert_contains "$env_in" "DB_PASSWORD=$SECRET_VALUE" "secret reaches the container as written"
assert_contains "$env_in" "GREETING=hello world"

t "files and directories land with their modes and owners"
assert_eq "755 root:root" "$(host_sh 3 'stat -c "%a %U:%G" demo-box/etc/app.conf')"
assert_eq "640 1000:1000" "$(host_sh 3 'stat -c "%a %u:%g" demo-box/etc/tmpl.conf')"
assert_eq "700" "$(host_sh 3 'stat -c %a demo-box/logs')"
assert_eq "password=$SECRET_VALUE" "$(host_sh 3 'head -1 demo-box/etc/tmpl.conf')" "ERB rendered"
assert_eq "greeting=hi" "$(host_sh 3 'tail -1 demo-box/etc/tmpl.conf')"
assert_eq "listen 80" "$(host_docker 3 exec demo-box cat /etc/app.conf)" "mounted in the container"

# ---------------------------------------------------------------- convergence rows
t "a container stopped by hand is started"
host_docker 2 stop demo-web >/dev/null
kc_run accessory boot web
assert_rc 0
assert_contains "$OUT" "[$H2] web: started"
assert_contains "$OUT" "[$H1] web: unchanged"
assert_eq running "$(state 2 demo-web)"

t "a paused container is unpaused"
host_docker 1 pause demo-web >/dev/null
kc_run accessory boot web
assert_rc 0
assert_contains "$OUT" "[$H1] web: started - docker unpause"
assert_eq running "$(state 1 demo-web)"

t "a container removed by hand is booted again"
host_docker 2 rm -f demo-web >/dev/null
kc_run accessory boot web
assert_rc 0
assert_contains "$OUT" "[$H2] web: booted"
assert_eq 1 "$(count_containers 2 demo-web)"

t "a changed image tag is drift: left alone, listed, exit 0 (6 with --fail-on-drift)"
sed -i "s|$REG/kc/web:1|$REG/kc/web:2|" config/deploy.yml
kc_run accessory boot web
assert_rc 0
assert_contains "$OUT" "[$H1] web: drift"
assert_contains "$OUT" "image: $REG/kc/web:1 -> $REG/kc/web:2"
assert_contains "$OUT" "kamal-c accessory reboot web"
assert_eq "$REG/kc/web:1" "$(host_docker 1 inspect -f '{{.Config.Image}}' demo-web)" "not replaced"
kc_run accessory boot web --fail-on-drift
assert_rc 6
kc_run -q accessory boot web --fail-on-drift      # -q keeps the lines that need acting on
assert_rc 6
assert_contains "$OUT" "[$H1] web: drift - differs from deploy.yml: image:"
assert_contains "$OUT" "[$H2] web: drift"
kc_run -q accessory boot box                      # and drops the success lines
assert_rc 0
assert_not_contains "$OUT" "box: unchanged"

t "drift of clear env, secret env and file contents is named"
sed -i "s|GREETING: hello world|GREETING: hi there|" config/deploy.yml
printf 'KAMAL_REGISTRY_PASSWORD=%s\nDB_PASSWORD=%s\n' "$KC_REGISTRY_PASSWORD" "rotated" \
  >.kamal/secrets
printf 'listen 81\n' >conf/app.conf
kc_run accessory boot all
assert_rc 0
assert_contains "$OUT" "env: GREETING"
assert_contains "$OUT" "secret env changed"
assert_contains "$OUT" "file demo-box/etc/app.conf changed"
assert_not_contains "$OUT$ERR" "rotated"

t "a stopped container that drifted is started and reported as drift"
host_docker 1 stop demo-web >/dev/null
kc_run accessory boot web
assert_rc 0
assert_contains "$OUT" "[$H1] web: drift - docker start; differs"
assert_eq running "$(state 1 demo-web)"

t "reboot applies deploy.yml; the next boot is unchanged"
kc_run accessory reboot web
assert_rc 0
assert_contains "$OUT" "[$H1] web: rebooted"
assert_eq "$REG/kc/web:2" "$(host_docker 1 inspect -f '{{.Config.Image}}' demo-web)"
assert_contains "$(host_docker 1 inspect -f '{{range .Config.Env}}{{println .}}{{end}}' demo-web)" \
  "DB_PASSWORD=rotated"
kc_run accessory boot web
assert_rc 0
assert_match "$OUT" "2 hosts: 2 unchanged"

t "drift names each change as written: a port and memory together, memory alone, old -> new"
cp config/deploy.yml config/deploy.yml.orig
sed -i 's|port: "127.0.0.1:8080:80"|port: "127.0.0.1:8080:80"\n    options:\n      memory: 64m|' config/deploy.yml
kc_run accessory reboot web -h "$H1"
assert_rc 0
sed -i -e 's|127.0.0.1:8080:80|127.0.0.1:8089:80|' -e 's|memory: 64m|memory: 128m|' config/deploy.yml
kc_run accessory boot web -h "$H1"
assert_rc 0
assert_contains "$OUT" "ports: 127.0.0.1:8080:80 -> 127.0.0.1:8089:80"
assert_contains "$OUT" "memory: 64m -> 128m"
assert_not_contains "$OUT" "|"
sed -i 's|127.0.0.1:8089:80|127.0.0.1:8080:80|' config/deploy.yml
kc_run accessory boot web -h "$H1"
assert_rc 0
assert_contains "$OUT" "differs from deploy.yml: memory: 64m -> 128m; run 'kamal-c accessory reboot web'"
assert_not_contains "$OUT" "run options changed"
cp config/deploy.yml.orig config/deploy.yml
kc_run accessory reboot web -h "$H1"
assert_rc 0

t "a files-only drift suggests upload and restart (no reboot); upload, restart, unchanged"
kc_run accessory reboot box                     # it still has the rotated secret to apply
assert_rc 0
printf 'listen 82\n' >conf/app.conf
kc_run accessory boot box
assert_rc 0
assert_contains "$OUT" "file demo-box/etc/app.conf changed; run 'kamal-c accessory upload box' and then 'kamal-c accessory restart box' to apply"
id=$(host_docker 3 inspect -f '{{.Id}}' demo-box)
kc_run accessory upload box
assert_rc 0
assert_contains "$OUT" "[$H3] box: uploaded"
kc_run accessory restart box
assert_rc 0
kc_run accessory boot box
assert_rc 0
assert_contains "$OUT" "[$H3] box: unchanged"
assert_eq "$id" "$(host_docker 3 inspect -f '{{.Id}}' demo-box)" "the same container"
assert_eq "listen 82" "$(host_docker 3 exec demo-box cat /etc/app.conf)"
kc_run help accessory
assert_contains "$OUT" "accessory upload NAME|all"

t "a crash-looping container fails its host with its last log lines"
host_docker 3 rm -f demo-box >/dev/null
host_docker 3 run -d --name demo-box --restart always --label service=demo-box \
  "$REG/kc/crash:1" >/dev/null 2>&1 || {
  host_docker 3 pull -q "$REG/kc/crash:1" >/dev/null
  host_docker 3 run -d --name demo-box --restart always --label service=demo-box \
    "$REG/kc/crash:1" >/dev/null
}
for _ in 1 2 3 4 5 6 7 8 9 10; do
  [[ $(state 3 demo-box) == restarting ]] && break
  sleep 0.3
done
kc_run accessory boot box
assert_rc 1
assert_contains "$OUT" "[$H3] box: failed"
assert_contains "$ERR" "crash loop"
assert_contains "$ERR" "kc/crash: exiting with status 1"
host_docker 3 rm -f demo-box >/dev/null

t "a container that exits at once after docker run fails its host with its logs"
cat >>config/deploy.yml <<EOF
  crash:
    image: $REG/kc/crash:1
    host: $H2
EOF
kc_run accessory boot crash
assert_rc 1
assert_contains "$OUT" "[$H2] crash: failed"
assert_contains "$ERR" "kc/crash: exiting with status 1"
assert_eq 0 "$(count_containers 2 demo-crash)" "nothing half-done: the failed container is gone"

t "an image that does not exist fails that host with docker's message; others succeed"
cat >>config/deploy.yml <<EOF
  ghost:
    image: $REG/kc/no-such-image:1
    host: $H1
EOF
host_docker 3 rm -f demo-box >/dev/null 2>&1 || true
kc_run accessory boot all
assert_rc 1
assert_contains "$OUT" "[$H1] ghost: failed"
assert_contains "$OUT" "[$H3] box: booted"
assert_match "$ERR" "not found|manifest unknown|does not exist"
assert_contains "$ERR" "$H1"
sed -i '/^  ghost:/,$d' config/deploy.yml
sed -i '/^  crash:/,$d' config/deploy.yml

t "unknown accessory name exits 2 listing the configured ones"
kc_run accessory boot nope
assert_rc 2
assert_contains "$ERR" "no accessory named 'nope'"
assert_contains "$ERR" "web, box"

# ---------------------------------------------------------------- concurrency
t "two concurrent boots both exit 0 with one container per host"
reset_hosts
write_config
( kc_run accessory boot all; echo "$RC" >"$_kc_tmp/rc.a"; cp "$OUT_FILE" "$_kc_tmp/out.a" ) &
pa=$!
( kc_run accessory boot all; echo "$RC" >"$_kc_tmp/rc.b"; cp "$OUT_FILE" "$_kc_tmp/out.b" ) &
pb=$!
wait "$pa" "$pb"
assert_eq 0 "$(cat "$_kc_tmp/rc.a")" "first run"
assert_eq 0 "$(cat "$_kc_tmp/rc.b")" "second run"
for i in 1 2; do assert_eq 1 "$(count_containers "$i" demo-web)" "h$i"; done
assert_eq 1 "$(count_containers 3 demo-box)"
booted=$(cat "$_kc_tmp/out.a" "$_kc_tmp/out.b" | grep -c ': booted' || true)
assert_eq 3 "$booted" "each host booted exactly once across both runs"
assert_eq "" "$(host_sh 1 'ls -d .kamal/lock-* 2>/dev/null')" "lock released"

# ---------------------------------------------------------------- other verbs
t "details shows each host's container"
kc_run accessory details web
assert_rc 0
assert_contains "$OUT" "Accessory web Host $H1:"
assert_contains "$OUT" "demo-web"
kc_run -q accessory details web                  # two hosts: -q keeps the headers
assert_rc 0
assert_contains "$OUT" "Accessory web Host $H1:"
assert_contains "$OUT" "Accessory web Host $H2:"

t "logs: lines, grep and timestamps"
host_sh 1 'wget -qO- http://127.0.0.1:8080/ >/dev/null' || true
kc_run accessory logs web -n 5 -T
assert_rc 0
assert_contains "$OUT" "Accessory web Host $H1:"
kc_run accessory logs web -g 'no-such-line-xyz'
assert_rc 0
assert_contains "$OUT" "Nothing found"

t "logs -f follows every selected host, lines prefixed by host"
host_docker 1 exec demo-web sh -c 'echo follow-me-h1 >/proc/1/fd/1'
host_docker 2 exec demo-web sh -c 'echo follow-me-h2 >/proc/1/fd/1'
rc=0
HOME=$KC_HOME timeout --preserve-status -s INT 4 "$KAMAL_C" accessory logs web -f -T \
  >"$_kc_tmp/follow" 2>&1 || rc=$?
assert_eq 130 "$rc" "Ctrl-C ends a follow with exit 130, as a script expects"
assert_not_contains "$(cat "$_kc_tmp/follow")" "error:"
host_docker 1 rename demo-web demo-web-aside
kc_run accessory logs web -f -h "$H1"
assert_rc 1 "following a container that is not there fails"
assert_contains "$ERR" "web: docker logs exited with status 1"
# exec --reuse and start without the container: say so, with docker's words
kc_run accessory exec --reuse web true -h "$H1"
assert_rc 1
assert_contains "$ERR" "web: the container demo-web is not running, so --reuse has nothing to run"
assert_not_contains "$ERR" "'true' exited with status 1"
kc_run accessory start web -h "$H1"
assert_rc 1
assert_contains "$OUT" "[$H1] web: failed - command failed with exit status 1: Error response from daemon: No such container: demo-web"
host_docker 1 rename demo-web-aside demo-web
assert_contains "$(cat "$_kc_tmp/follow")" "[$H1] follow-me-h1"
assert_contains "$(cat "$_kc_tmp/follow")" "[$H2] follow-me-h2"
sleep 0.5
assert_eq "" "$(host_sh 1 'pgrep -f "[d]ocker logs demo-web" || true')" "no follower left behind"

t "exec runs the command as written in a new container, and in the running one with --reuse"
# the command goes to the host's shell as written (as with Kamal): quote what the
# container's shell should see
kc_run accessory exec web 'sh -c "echo \"two  words\"; cat /www/version"'
assert_rc 0
assert_contains "$OUT" "two  words"
assert_contains "$OUT" "Accessory web Host $H2:"
kc_run accessory exec --reuse web "sh -c 'echo \$GREETING; hostname'"
assert_rc 0
assert_contains "$OUT" "hello world"
kc_run -h "$H1" accessory exec web false
assert_rc 1

t "exec -i gives an interactive shell"
out=$(HOME=$KC_HOME timeout 20 script -qec "$KAMAL_C -h $H1 accessory exec -i --reuse web sh" \
  /dev/null <<<'echo inside-$((6*7)); exit 3' 2>&1 || true)
assert_contains "$out" "inside-42"

t "stop, start and restart"
kc_run accessory stop web
assert_rc 0
assert_contains "$OUT" "[$H1] web: stopped"
assert_eq exited "$(state 1 demo-web)"
kc_run accessory stop web
assert_rc 0
kc_run accessory start web
assert_rc 0
assert_contains "$OUT" "[$H2] web: started"
kc_run accessory restart web
assert_rc 0
assert_eq running "$(state 2 demo-web)"
audit=$(host_sh 1 'cat .kamal/demo-audit.log')
assert_contains "$audit" "Stopped web accessory"
assert_contains "$audit" "Started web accessory"
assert_contains "$audit" "Booted web accessory"

t "upload and directories re-apply files: and directories:"
host_sh 3 'rm -rf demo-box/etc demo-box/logs'
kc_run accessory upload box
assert_rc 0
assert_contains "$OUT" "box: uploaded"
kc_run accessory directories box
assert_rc 0
assert_eq "listen 80" "$(host_sh 3 'cat demo-box/etc/app.conf')"
assert_eq "700" "$(host_sh 3 'stat -c %a demo-box/logs')"

# ---------------------------------------------------------------- secrets and dry-run
t "no secret value in any output: -v, --dry-run, json"
for args in "accessory boot all -v" "accessory reboot web --dry-run -v" \
  "accessory boot all --format json" "accessory details all -v" "config"; do
  # shellcheck disable=SC2086 # word-split on purpose
  kc_run $args
  assert_not_contains "$OUT$ERR" "$SECRET_VALUE" "$args"
  assert_not_contains "$OUT$ERR" "$KC_REGISTRY_PASSWORD" "$args"
done

t "--dry-run probes for real, prints each host's commands, changes nothing"
host_docker 2 rm -f demo-web >/dev/null
snap() {
  for i in 1 2 3; do
    host_docker "$i" ps -a --format '{{.Names}} {{.State}} {{.ID}}'
    host_sh "$i" 'find . -newer /etc/hostname -printf "%p %s %T@\n" 2>/dev/null | sort'
  done
}
before=$(snap)
kc_run accessory boot all --dry-run
assert_rc 0
assert_contains "$OUT" "[$H2] would run: docker run --name demo-web"
assert_contains "$OUT" "[$H2] web: would boot"
assert_contains "$OUT" "(upload) write .kamal/apps/demo/env/accessories/web.env (mode 0600"
assert_not_contains "$OUT" "$H1] would run: docker run"
assert_eq "$before" "$(snap)" "hosts unchanged"
kc_run accessory boot web
assert_rc 0

t "--format json gives one document with per-host results"
kc_run accessory boot all --format json
assert_rc 0
assert_ok python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and d["exit_code"] == 0 and d["command"] == "accessory boot", d
hosts = {h["host"]: h for h in d["hosts"]}
assert len(hosts) == 3, hosts
assert all(r["outcome"] == "unchanged" for h in d["hosts"] for r in h["results"]), d
assert d["summary"]["unchanged"] == 3, d
' "$OUT_FILE"

# ---------------------------------------------------------------- remove and Kamal
t "remove without -y on a closed stdin fails at once; with -y removes what Kamal removes"
kc_run accessory remove box
assert_rc 2
assert_contains "$ERR" "pass -y"
assert_eq running "$(state 3 demo-box)"
kc_run accessory remove box -y
assert_rc 0
assert_eq missing "$(state 3 demo-box)"
assert_eq "" "$(host_docker 3 images -q "$REG/kc/web:2")" "image removed"
assert_fails host_sh 3 'test -e demo-box'

t "a container booted with Kamal's own command line is the same accessory"
reset_hosts
write_config
host_sh 1 "mkdir -p .kamal/apps/demo/env/accessories && printf 'DB_PASSWORD=%s\n' '$SECRET_VALUE' > .kamal/apps/demo/env/accessories/web.env && chmod 600 .kamal/apps/demo/env/accessories/web.env"
host_sh 1 "echo $KC_REGISTRY_PASSWORD | docker login $REG -u $KC_REGISTRY_USER --password-stdin >/dev/null && docker network create kamal >/dev/null && docker run --name demo-web --detach --restart unless-stopped --network kamal --log-opt max-size=\"10m\" --publish 127.0.0.1:8080:80 --env KAMAL_HOST=\"$H1\" --env GREETING=\"hello world\" --env-file .kamal/apps/demo/env/accessories/web.env --label service=\"demo-web\" $REG/kc/web:1 >/dev/null"
kc_run -h "$H1" accessory boot web
assert_rc 0
assert_contains "$OUT" "[$H1] web: unchanged - unmanaged"
kc_run -h "$H1" accessory stop web
assert_rc 0
assert_eq exited "$(state 1 demo-web)"
kc_run -h "$H1" accessory boot web
assert_rc 0
assert_contains "$OUT" "[$H1] web: started"
