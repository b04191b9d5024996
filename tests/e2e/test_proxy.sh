#!/usr/bin/env bash
# test_proxy.sh - `kamal-c proxy ...` against the real kamal-proxy image on 3 hosts: boot as Kamal
# runs it (footprint field by field with docker inspect), convergence (unchanged, drift, started),
# reboot, start/stop/restart, details, logs, the version check, boot_config, remove's guard,
# --dry-run and --format json.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c
need_hosts 3

H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)

write_config() {   # write_config [EXTRA RUN KEYS] - proxy.run from the bed's image
  cat >config/deploy.yml <<EOF
service: app
image: demo/app
servers:
  - $H1
  - $H2
  - $H3
$(bed_yaml)
proxy:
  run: {registry: $KC_REGISTRY, repository: basecamp/kamal-proxy, version: ${KC_PROXY_IMAGE##*:}${1:+, $1}}
EOF
}

pid_of() { local id; id=$(host_docker "$1" inspect -f '{{.Id}}' kamal-proxy 2>/dev/null) || id=none; echo "$id"; }
fmt() { host_docker "$1" inspect -f "$2" kamal-proxy; }

reset_hosts
new_project
write_config

t "proxy boot --dry-run shows each host's commands and changes nothing"
kc_run proxy boot --dry-run
assert_rc 0
assert_contains "$OUT" "docker run --name kamal-proxy --network kamal --detach --restart unless-stopped"
assert_contains "$OUT" "would boot"
for i in 1 2 3; do assert_eq none "$(pid_of $i)" "no container on h$i"; done

t "proxy boot on 3 hosts runs kamal-proxy as Kamal does"
kc_run proxy boot
assert_rc 0
assert_match "$OUT" "3 booted"
for i in 1 2 3; do
  assert_eq "running" "$(fmt $i '{{.State.Status}}')" "h$i state"
  assert_eq "$KC_PROXY_IMAGE" "$(fmt $i '{{.Config.Image}}')" "h$i image"
  assert_eq "[kamal-proxy run]" "$(fmt $i '{{.Config.Cmd}}')" "h$i command"
  assert_eq "unless-stopped" "$(fmt $i '{{.HostConfig.RestartPolicy.Name}}')"
  assert_eq "kamal" "$(fmt $i '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}')"
  assert_eq "map[max-size:10m]" "$(fmt $i '{{.HostConfig.LogConfig.Config}}')"
  assert_contains "$(fmt $i '{{json .HostConfig.PortBindings}}')" '"80/tcp":[{"HostIp":"","HostPort":"80"}]'
  assert_contains "$(fmt $i '{{json .HostConfig.PortBindings}}')" '"443/tcp":[{"HostIp":"","HostPort":"443"}]'
  mounts=$(fmt $i '{{range .Mounts}}{{.Type}} {{if eq .Type "volume"}}{{.Name}}{{else}}{{.Source}}{{end}} {{.Destination}};{{end}}')
  assert_contains "$mounts" "volume kamal-proxy-config /home/kamal-proxy/.config/kamal-proxy;"
  assert_match "$mounts" "bind /[^ ]*/\.kamal/proxy/apps-config /home/kamal-proxy/\.apps-config;"
  assert_ok host_sh $i "test -d .kamal/proxy/apps-config"
done
assert_match "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$H2/" || true)" \
  '^[45][0-9][0-9]$' "kamal-proxy answers on port 80"

t "a second proxy boot is unchanged (no lock, same containers)"
before="$(pid_of 1) $(pid_of 2) $(pid_of 3)"
kc_run proxy boot
assert_rc 0
assert_match "$OUT" "3 unchanged"
assert_eq "$before" "$(pid_of 1) $(pid_of 2) $(pid_of 3)"
assert_not_contains "$(host_sh 1 'ls .kamal')" "lock-"

t "changed options are drift: reported, left alone, --fail-on-drift exits 6"
write_config "log_max_size: 20m"
kc_run proxy boot
assert_rc 0
assert_contains "$OUT" "drift"
assert_contains "$OUT" "proxy reboot"
assert_eq "$before" "$(pid_of 1) $(pid_of 2) $(pid_of 3)"
kc_run proxy boot --fail-on-drift
assert_rc 6

t "proxy reboot needs -y without a terminal, then applies the change"
kc_run proxy reboot
assert_rc 2
assert_contains "$ERR" "-y"
kc_run proxy reboot -y --rolling
assert_rc 0
assert_match "$OUT" "3 rebooted"
assert_eq "map[max-size:20m]" "$(fmt 1 '{{.HostConfig.LogConfig.Config}}')"
[[ $(pid_of 1) != "${before%% *}" ]] || fail "a new container"
kc_run proxy boot
assert_match "$OUT" "3 unchanged"

t "stop, stop again (unchanged), boot starts it, start again unchanged"
kc_run proxy stop -h "$H1"
assert_rc 0
assert_contains "$OUT" "stopped"
assert_eq "exited" "$(fmt 1 '{{.State.Status}}')"
kc_run proxy stop -h "$H1"
assert_contains "$OUT" "unchanged"
kc_run proxy boot
assert_rc 0
assert_contains "$OUT" "started"
assert_eq "running" "$(fmt 1 '{{.State.Status}}')"
kc_run proxy start
assert_match "$OUT" "3 unchanged"
kc_run proxy stop -h "$H2"
kc_run proxy start
assert_rc 0
assert_contains "$OUT" "started"
assert_eq "running" "$(fmt 2 '{{.State.Status}}')"

t "restart, details and logs on every host"
kc_run proxy restart
assert_rc 0
assert_match "$OUT" "3 restarted"
kc_run proxy details
assert_rc 0
for h in "$H1" "$H2" "$H3"; do assert_contains "$OUT" "Proxy Host $h"; done
assert_contains "$OUT" "kamal-proxy"
kc_run proxy logs -n 5
assert_rc 0
assert_contains "$OUT" "Proxy Host $H3"

t "--format json: one document, a result per host"
kc_run proxy boot --format json
assert_rc 0
assert_eq "3" "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["summary"]["unchanged"])' <<<"$OUT")"

t "a proxy older than v0.9.2 is refused with Kamal's remedy"
write_config
sed -i "s|version: ${KC_PROXY_IMAGE##*:}|version: ${KC_PROXY_IMAGE_OLD##*:}|" config/deploy.yml
kc_run proxy reboot -y -h "$H3"
assert_rc 0
kc_run proxy boot -h "$H3"
assert_rc 1
assert_contains "$OUT$ERR" "kamal-proxy version ${KC_PROXY_IMAGE_OLD##*:} is too old, run \`kamal-c proxy reboot\`"
write_config
kc_run proxy reboot -y -h "$H3"
assert_rc 0

t "boot_config set/get/reset writes Kamal's files; reboot uses them without proxy.run"
sed -i '/^proxy:/,$d' config/deploy.yml
kc_run proxy boot_config set --registry "$KC_REGISTRY" --image-version "${KC_PROXY_IMAGE##*:}" --http-port 8080
assert_rc 0
assert_contains "$ERR" "deprecated"
assert_eq "$KC_REGISTRY/basecamp/kamal-proxy" "$(host_sh 1 'cat .kamal/proxy/image')"
assert_eq "--publish 8080:80 --publish 443:443 --log-opt max-size=10m" "$(host_sh 2 'cat .kamal/proxy/options')"
kc_run proxy boot_config get
assert_contains "$OUT" "--publish 8080:80 --publish 443:443 --log-opt max-size=10m $KC_PROXY_IMAGE"
kc_run proxy boot
assert_contains "$OUT" "drift"
kc_run proxy reboot -y
assert_rc 0
assert_contains "$(fmt 1 '{{json .HostConfig.PortBindings}}')" '"HostPort":"8080"'
kc_run proxy boot
assert_match "$OUT" "3 unchanged"
kc_run proxy boot_config reset
assert_rc 0
assert_fails host_sh 1 'test -e .kamal/proxy/image'
kc_run proxy boot_config bogus
assert_rc 2
write_config

t "proxy remove refuses while apps are installed, --force removes everything"
host_sh 1 'mkdir -p .kamal/apps/other'
kc_run proxy remove
assert_rc 1
assert_contains "$OUT$ERR" "other applications installed on $H1"
assert_eq "running" "$(fmt 1 '{{.State.Status}}')"
kc_run proxy remove --force
assert_rc 0
assert_match "$OUT" "3 removed"
for i in 1 2 3; do
  assert_eq none "$(pid_of $i)"
  assert_fails host_sh $i 'test -e .kamal/proxy'
done

t "proxy start without a container fails and names the remedy"
kc_run proxy start -h "$H1"
assert_rc 1
assert_contains "$OUT$ERR" "proxy boot"
reset_hosts
