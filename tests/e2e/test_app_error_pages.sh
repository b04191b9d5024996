#!/usr/bin/env bash
# test_app_error_pages.sh - error_pages_path with the real kamal-proxy: app boot uploads the pages
# per version under the proxy's apps-config and passes --error-pages; kamal-proxy serves the
# custom 503 page during maintenance; a new version's boot uploads its own and removes the old.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c
need_hosts 3

H1=$(host_ip 1) H2=$(host_ip 2)
NAME=errors.example.test

reset_hosts
new_project
mkdir -p errors
echo '<h1>kc custom maintenance page</h1>' >errors/503.html
echo '<h1>kc custom bad gateway page</h1>' >errors/502.html
cat >config/deploy.yml <<EOF
service: errapp
image: kc/web
servers:
  - $H1
  - $H2
$(bed_yaml)
error_pages_path: errors
proxy:
  host: $NAME
  app_port: 80
  run: $(proxy_run_yaml)
EOF
get() { { curl -sS --max-time 5 -H "Host: $NAME" -w ' %{http_code}' "http://$1/" 2>/dev/null || echo "curl failed"; } | tr -d '\n'; }
DIR=.kamal/proxy/apps-config/errapp/error_pages

t "app boot uploads the error pages for the version and passes --error-pages"
kc_run proxy boot
assert_rc 0
kc_run app boot --version 1 --dry-run
assert_rc 0
assert_contains "$OUT" "--error-pages=/home/kamal-proxy/.apps-config/errapp/error_pages/1"
kc_run app boot --version 1
assert_rc 0
for i in 1 2; do
  assert_eq "502.html 503.html" "$(host_sh $i "ls $DIR/1" | tr '\n' ' ' | sed 's/ $//')" "h$i pages"
  assert_eq "644" "$(host_sh $i "stat -c %a $DIR/1/503.html")"
  assert_eq "web v1 200" "$(get "$(host_ip $i)")"
done

t "kamal-proxy serves the custom 503 page during maintenance"
kc_run app maintenance
assert_rc 0
for i in 1 2; do
  out=$(get "$(host_ip $i)")
  assert_contains "$out" "kc custom maintenance page" "h$i maintenance page"
  assert_contains "$out" " 503" "h$i status"
done
kc_run app live
assert_rc 0
assert_eq "web v1 200" "$(get "$H1")"

t "a new version uploads its pages and the old version's go"
echo '<h1>kc custom maintenance page v2</h1>' >errors/503.html
kc_run app boot --version 2
assert_rc 0
for i in 1 2; do
  assert_eq "2" "$(host_sh $i "ls $DIR" | tr '\n' ' ' | sed 's/ $//')" "h$i: only version 2's pages"
  assert_eq "web v2 200" "$(get "$(host_ip $i)")"
done
kc_run app maintenance
assert_contains "$(get "$H2")" "kc custom maintenance page v2"
kc_run app live
assert_eq "web v2 200" "$(get "$H2")"
