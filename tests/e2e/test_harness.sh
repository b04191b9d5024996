#!/usr/bin/env bash
# test_harness.sh - checks the test bed itself with plain OpenSSH and docker (no kamal-c):
# hosts, their dockerds, the registry, networking and the fault controls tests rely on.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WEB1=$KC_REGISTRY/kc/web:1
SSHQ=(ssh -F "$KC_SSH_CONFIG")

login_pull() {   # login_pull N IMAGE...: docker login (password on stdin) + pull, over SSH
  local i=$1; shift
  printf '%s\n' "$KC_REGISTRY_PASSWORD" | host_sh "$i" \
    "docker login -u $KC_REGISTRY_USER --password-stdin $KC_REGISTRY >/dev/null 2>&1 && for img in $*; do docker pull -q \$img; done"
}
wait_http() {    # wait_http URL [SECONDS]: print the body once it answers
  local n=$((${2:-10} * 10))
  while ((n-- > 0)); do
    curl -fsS --max-time 1 "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# host roles: B is another host when there are two or more; C the last host (faults)
B=$((KC_NHOSTS >= 2 ? 2 : 1)) C=$KC_NHOSTS
reset_hosts

t "every host answers hostname kc-hN over ssh"
for i in 0 $(seq "$KC_NHOSTS"); do
  assert_eq "kc-h$i" "$(host_sh "$i" hostname)" "hostname of $(host_ip "$i")"
done

t "docker in an ssh session talks to that host's own dockerd"
names=()
for i in $(seq "$KC_NHOSTS"); do
  # shellcheck disable=SC2016 # expanded on the host
  out=$(host_sh "$i" 'echo "$DOCKER_HOST $(command -v docker)"; docker info --format "{{.Name}}"')
  assert_eq "unix://$KC_DIR/h$i/docker.sock /usr/bin/docker"$'\n'"kc-h$i" "$out" "h$i session"
  names+=("${out##*$'\n'}")
done
assert_eq "$KC_NHOSTS" "$(printf '%s\n' "${names[@]}" | sort -u | wc -l)" "distinct daemon names"

t "the docker 28 client in /usr/local/bin negotiates API 1.41 with the 20.10 daemons"
if [[ -x /usr/local/bin/docker ]]; then
  assert_eq "1.41" "$(host_sh 1 '/usr/local/bin/docker version --format "{{.Client.APIVersion}}"')"
  assert_eq "kc-h1" "$(host_sh 1 '/usr/local/bin/docker info --format "{{.Name}}"')"
else
  skip "no /usr/local/bin/docker on this machine"
fi

t "sessions have a private HOME without start-up files, a private /tmp, and a quiet login shell"
host_sh 1 'rm -f ~/kc-mark /tmp/kc-mark; echo h1 >~/kc-mark; echo h1 >/tmp/kc-mark'
# shellcheck disable=SC2016 # expanded on the host
assert_eq "absent absent" "$(host_sh 0 'for f in ~/kc-mark /tmp/kc-mark; do [ -e "$f" ] && echo present || echo absent; done' | xargs)" "h0 sees h1's files"
assert_eq "h1" "$(cat "$KC_DIR/h1/home/kc-mark")" "h1's ~ is $KC_DIR/h1/home"
assert_eq "" "$(host_sh 1 'ls -A ~ | grep -E "^[.](bashrc|profile|bash_profile|bash_login)$" || true')" "start-up files in ~"
assert_eq "/usr/bin/docker" "$(host_sh 1 "bash -lc 'command -v docker'")" "PATH of a login shell"
assert_fails test -e /root/kc-mark

t "the registry refuses anonymous and wrong-password access"
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$KC_REGISTRY_CA" "https://$KC_REGISTRY/v2/")"
out=$(echo wrong-password | host_sh 1 'docker login -u kamal --password-stdin '"$KC_REGISTRY"' 2>&1') && rc=0 || rc=$?
assert_eq 1 "$rc" "docker login with a wrong password"
assert_contains "$out" "401 Unauthorized"

t "docker login with the password on stdin, then pull of kc/web:1, on every host"
pids=()
for i in $(seq "$KC_NHOSTS"); do login_pull "$i" "$WEB1" >"$KC_HOME/pull.$i" 2>&1 & pids+=($!); done
for i in $(seq "$KC_NHOSTS"); do
  rc=0; wait "${pids[i - 1]}" || rc=$?
  assert_eq 0 "$rc" "login + pull on h$i: $(cat "$KC_HOME/pull.$i")"
  assert_ok test -s "$KC_DIR/h$i/home/.docker/config.json"
  assert_contains "$(host_docker "$i" image ls --format '{{.Repository}}:{{.Tag}}')" "$WEB1"
done

t "a container on h1 publishing 8080 is reachable at $(host_ip 1):8080 from the root namespace"
host_sh 1 "docker run -d --name web -p 8080:80 $WEB1" >/dev/null
assert_eq "web v1" "$(wait_http "http://$(host_ip 1):8080/" 10)"
assert_eq "OK" "$(curl -fsS --max-time 2 "http://$(host_ip 1):8080/up")" "/up"

t "host to host: h0 reaches h1's published port across the bridge"
assert_eq "web v1" "$(host_sh 0 "curl -fsS --max-time 3 http://$(host_ip 1):8080/")"

t "containers on a user-defined network reach each other by name"
host_sh 1 "docker network create kamal >/dev/null && docker run -d --name app --network kamal $WEB1 >/dev/null"
assert_eq "web v1" "$(host_sh 1 "docker run --rm --network kamal $WEB1 sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://app/ && exit; sleep 0.3; done; exit 1'")"

t "kc/healthy:1 becomes healthy and kc/crash:1 exits 1"
login_pull 1 "$KC_REGISTRY/kc/healthy:1" "$KC_REGISTRY/kc/crash:1" >/dev/null
host_sh 1 "docker run -d --name healthy $KC_REGISTRY/kc/healthy:1 >/dev/null"
status=""
for _ in $(seq 40); do
  status=$(host_docker 1 inspect -f '{{.State.Health.Status}}' healthy)
  [[ $status == healthy ]] && break
  sleep 0.25
done
assert_eq healthy "$status" "health status of kc/healthy:1"
rc=0; host_sh 1 "docker run --name crash $KC_REGISTRY/kc/crash:1" 2>/dev/null || rc=$?
assert_eq 1 "$rc" "exit status of kc/crash:1"
assert_eq 1 "$(host_docker 1 inspect -f '{{.State.ExitCode}}' crash)"

t "sshd logs every login (LogLevel VERBOSE) to its per-host log"
ssh_mark
host_sh "$B" true
host_sh "$B" true
assert_eq 2 "$(ssh_logins "$B")" "logins to h$B since the mark"
assert_eq 0 "$(ssh_logins 0)" "logins to h0 since the mark"

t "one SSH connection carries 30 concurrent sessions (MaxSessions 64)"
cp=$KC_HOME/cm-%C
"${SSHQ[@]}" -o ControlMaster=yes -o ControlPath="$cp" -o ControlPersist=30 -fN "$(host_ip 1)"
pids=()
for n in $(seq 30); do
  "${SSHQ[@]}" -o ControlPath="$cp" "$(host_ip 1)" "sleep 1; echo $n" >"$KC_HOME/mux.$n" 2>&1 &
  pids+=($!)
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
assert_eq 0 "$bad" "failed sessions: $(cat "$KC_HOME"/mux.* | grep -v '^[0-9]*$' | sort | uniq -c | head -3)"
"${SSHQ[@]}" -o ControlPath="$cp" -O exit "$(host_ip 1)" 2>/dev/null || true

t "link-down: ssh fails within ConnectTimeout; link-up restores it"
hosts_ctl "$B" link-down
s=$SECONDS; rc=0
host_sh "$B" true 2>/dev/null || rc=$?
secs=$((SECONDS - s))
assert_eq 255 "$rc" "ssh exit status while the link is down"
((secs <= 7)) || fail "ssh took ${secs}s with the link down (ConnectTimeout 5)"
assert_contains "$("$KC_HOSTS_SH" status || true)" "link-down"
hosts_ctl "$B" link-up
assert_eq "kc-h$B" "$(host_sh "$B" hostname)" "after link-up"

t "sshd-stop refuses connections at once; sshd-start restores them"
hosts_ctl "$C" sshd-stop
s=$SECONDS; rc=0
out=$(host_sh "$C" true 2>&1) || rc=$?
assert_eq 255 "$rc"
assert_contains "$out" "Connection refused"
((SECONDS - s <= 2)) || fail "a refused connection took $((SECONDS - s))s"
hosts_ctl "$C" sshd-start
assert_eq "kc-h$C" "$(host_sh "$C" hostname)"

t "dockerd-stop/start: docker fails while stopped; unless-stopped containers come back"
login_pull "$C" "$WEB1" >/dev/null
host_sh "$C" "docker run -d --name keep --restart unless-stopped --stop-timeout 1 $WEB1 >/dev/null"
hosts_ctl "$C" dockerd-stop
rc=0; out=$(host_sh "$C" 'docker ps' 2>&1) || rc=$?
assert_eq 1 "$rc" "docker ps while dockerd is stopped"
assert_contains "$out" "Cannot connect to the Docker daemon"
assert_eq "kc-h$C" "$(host_sh "$C" hostname)" "sshd is unaffected"
hosts_ctl "$C" dockerd-start
assert_eq "kc-h$C" "$(host_sh "$C" 'docker info --format "{{.Name}}"')"
state=""
for _ in $(seq 40); do
  state=$(host_docker "$C" inspect -f '{{.State.Status}}' keep)
  [[ $state == running ]] && break
  sleep 0.25
done
assert_eq running "$state" "container 'keep' after dockerd-start"

t "hide-docker: new sessions have no docker on PATH; show-docker restores it"
hosts_ctl "$C" hide-docker
rc=0; out=$(host_sh "$C" 'docker -v' 2>&1) || rc=$?
assert_eq 127 "$rc" "docker -v with docker hidden"
assert_contains "$out" "not found"
assert_eq "kc-h$C" "$(host_sh "$C" 'mkdir -p ~/.kamal && hostname')" "other tools still work"
hosts_ctl "$C" show-docker
assert_match "$(host_sh "$C" 'docker -v')" '^Docker version 20\.'

t "reset_hosts removes containers, networks and the home, and keeps images"
reset_hosts
for i in $(seq "$KC_NHOSTS"); do
  assert_eq "" "$(host_docker "$i" ps -aq)" "containers on h$i"
  assert_fails test -e "$KC_DIR/h$i/home/.docker"
  assert_fails test -e "$KC_DIR/h$i/home/kc-mark"
  assert_contains "$(host_docker "$i" image ls --format '{{.Repository}}:{{.Tag}}')" "$WEB1"
done
assert_eq 0 "$("$KC_HOSTS_SH" status >/dev/null && echo 0 || echo 1)" "hosts.sh status after reset"
