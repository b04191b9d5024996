#!/usr/bin/env bash
# test_accessory_proxy.sh - proxied accessories (accessories.X.proxy) with the real kamal-proxy:
# boot boots kamal-proxy where it is missing and registers the accessory under its service name
# (reached through port 80 by its host name); a second boot registers nothing; a lost route or
# changed proxy options are registered again; stop/start/reboot/remove change the route.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c
need_hosts 3

H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)
REG=$KC_REGISTRY

write_config() {   # write_config [EXTRA HOSTS LINE]
  cat >config/deploy.yml <<EOF
service: demo
image: kc/web
servers:
  web:
    - $H1
    - $H2
  jobs:
    hosts:
      - $H3
    proxy: false
$(bed_yaml)
proxy:
  run: $(proxy_run_yaml)
accessories:
  site:
    image: $REG/kc/web:1
    roles: [web]
    proxy:
      hosts: [site.example.test${1:+, $1}]
      app_port: 80
      healthcheck: {path: /up, interval: 1}
EOF
}

get() {   # get IP HOSTNAME: the body kamal-proxy answers, or the HTTP status
  { curl -sS --max-time 5 -H "Host: $2" -w ' %{http_code}' "http://$1/" 2>/dev/null || echo "curl failed"; } | tr -d '\n'
}
cid() { local id; id=$(host_docker "$1" inspect -f '{{.Id}}' "$2" 2>/dev/null) || id=none; echo "$id"; }
routes() { host_docker "$1" exec kamal-proxy kamal-proxy list 2>&1 || true; }

reset_hosts
new_project
write_config

t "accessory boot of a proxied accessory boots kamal-proxy and registers it"
assert_eq none "$(cid 1 kamal-proxy)" "no proxy on h1 yet"
kc_run accessory boot site
assert_rc 0
assert_contains "$OUT" "booted"
for i in 1 2; do
  assert_eq running "$(host_docker $i inspect -f '{{.State.Status}}' kamal-proxy)" "proxy on h$i"
  assert_contains "$(get "$(host_ip $i)" site.example.test)" "web v1 200" "h$i routes site.example.test"
  assert_contains "$(routes $i)" "demo-site"
done
assert_eq none "$(cid 3 kamal-proxy)" "no proxy on h3 (no accessory there)"
assert_contains "$(get "$H1" other.example.test)" "404" "another host name is not routed"

t "a second boot registers nothing"
before1=$(cid 1 demo-site) before2=$(cid 2 demo-site)
kc_run accessory boot site
assert_rc 0
assert_match "$OUT" "2 unchanged"
assert_not_contains "$OUT" "registered"
assert_eq "$before1" "$(cid 1 demo-site)"
assert_eq "$before2" "$(cid 2 demo-site)"

t "a lost route is registered again, only where it was lost"
host_docker 1 exec kamal-proxy kamal-proxy remove demo-site >/dev/null
assert_contains "$(get "$H1" site.example.test)" "404"
kc_run accessory boot site
assert_rc 0
assert_match "$OUT" "registered"
assert_match "$OUT" "1 unchanged"
assert_contains "$(get "$H1" site.example.test)" "web v1 200"
assert_eq "$before1" "$(cid 1 demo-site)" "same container"

t "changed proxy options are registered again"
write_config other.example.test
kc_run accessory boot site
assert_rc 0
assert_contains "$OUT" "proxy options differ"
for i in 1 2; do
  assert_contains "$(get "$(host_ip $i)" other.example.test)" "web v1 200" "h$i routes the new host name"
done
kc_run accessory boot site
assert_match "$OUT" "2 unchanged"

t "accessory stop deregisters, start registers again"
kc_run accessory stop site
assert_rc 0
for i in 1 2; do
  assert_contains "$(get "$(host_ip $i)" site.example.test)" "404" "h$i: no route after stop"
  assert_not_contains "$(routes $i)" "demo-site"
done
kc_run accessory start site
assert_rc 0
for i in 1 2; do
  assert_contains "$(get "$(host_ip $i)" site.example.test)" "web v1 200" "h$i: routed after start"
done

t "accessory reboot routes to the new container"
kc_run accessory reboot site
assert_rc 0
after=$(cid 1 demo-site)
[[ $after != "$before1" ]] || fail "reboot kept the container"
assert_contains "$(routes 1)" "${after:0:12}"
assert_contains "$(get "$H1" site.example.test)" "web v1 200"

t "a stopped kamal-proxy is started by boot"
host_docker 2 stop kamal-proxy >/dev/null
kc_run accessory boot site
assert_rc 0
assert_eq running "$(host_docker 2 inspect -f '{{.State.Status}}' kamal-proxy)"
assert_contains "$(get "$H2" site.example.test)" "web v1 200"

t "accessory boot --dry-run shows the kamal-proxy deploy"
host_docker 1 exec kamal-proxy kamal-proxy remove demo-site >/dev/null
kc_run accessory boot site --dry-run
assert_rc 0
assert_contains "$OUT" "docker exec kamal-proxy kamal-proxy deploy demo-site --target=CONTAINER_ID:80 --host=site.example.test --host=other.example.test"
assert_contains "$(get "$H1" site.example.test)" "404" "dry run changed nothing"

t "accessory remove deregisters"
kc_run accessory boot site
kc_run accessory remove site -y
assert_rc 0
for i in 1 2; do
  assert_contains "$(get "$(host_ip $i)" site.example.test)" "404" "h$i: no route after remove"
  assert_not_contains "$(routes $i)" "demo-site"
  assert_fails host_sh $i "test -e .kamal/apps/demo/proxy/accessories/site.flags"
done

t "a proxied accessory that fails kamal-proxy's health check fails the host, with the reason"
cat >config/deploy.yml <<EOF
service: demo
image: kc/web
servers:
  - $H1
$(bed_yaml)
deploy_timeout: 3
proxy:
  run: $(proxy_run_yaml)
accessories:
  bad:
    image: $REG/kc/web:1
    host: $H1
    proxy:
      host: bad.example.test
      healthcheck: {path: /missing}
EOF
kc_run accessory boot bad
assert_rc 1
assert_contains "$OUT$ERR" "kamal-proxy deploy failed"
assert_contains "$(get "$H1" bad.example.test)" "404" "no route to an unhealthy accessory"
