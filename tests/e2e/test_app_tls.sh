#!/usr/bin/env bash
# test_app_tls.sh - custom TLS certificates (proxy.ssl: {certificate_pem, private_key_pem} from
# the secrets) with the real kamal-proxy on 2 hosts: a CA and a server certificate made with
# openssl here; app boot writes them under the proxy's apps-config (the key mode 0640, owned by
# the SSH user, group the proxy's), kamal-proxy serves them on 443 (curl --cacert), a second boot
# is unchanged, a renewed certificate in the secrets is written and deployed again; the same
# with a non-root SSH user (the bed's kc-deploy, in the group of the hosts' docker sockets).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c
need_hosts 3
command -v openssl >/dev/null || { echo "skip test_app_tls.sh: no openssl" >&2; exit 1; }

H1=$(host_ip 1) H2=$(host_ip 2)
NAME=app.example.test

reset_hosts
new_project
PKI=$KC_PROJECT/pki
mkdir -p "$PKI"
make_cert() {   # make_cert SERIAL: a server certificate for $NAME signed by the test CA
  openssl req -newkey rsa:2048 -nodes -keyout "$PKI/server.key" -subj "/CN=$NAME" \
    -out "$PKI/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\n' "$NAME" >"$PKI/ext.cnf"
  openssl x509 -req -in "$PKI/server.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -set_serial "$1" \
    -days 2 -extfile "$PKI/ext.cnf" -out "$PKI/server.crt" 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -subj "/CN=kc test CA" -days 2 \
  -out "$PKI/ca.crt" 2>/dev/null
make_cert 1
cat >>.kamal/secrets <<EOF
TLS_CERT="\$(cat $PKI/server.crt)"
TLS_KEY="\$(cat $PKI/server.key)"
EOF
cat >config/deploy.yml <<EOF
service: tlsapp
image: kc/web
servers:
  - $H1
  - $H2
$(bed_yaml)
proxy:
  host: $NAME
  app_port: 80
  ssl:
    certificate_pem: TLS_CERT
    private_key_pem: TLS_KEY
  run: $(proxy_run_yaml)
EOF
https() {   # https IP: the body served for https://$NAME/ through IP's kamal-proxy
  curl -sS --max-time 5 --cacert "$PKI/ca.crt" --resolve "$NAME:443:$1" "https://$NAME/" 2>&1 || true
}
served_serial() {   # the serial of the certificate kamal-proxy serves on IP
  openssl s_client -connect "$1:443" -servername "$NAME" </dev/null 2>/dev/null |
    openssl x509 -noout -serial 2>/dev/null || true
}
TLS_DIR=.kamal/proxy/apps-config/tlsapp/tls/web

t "app boot writes the certificates and kamal-proxy serves them on 443"
kc_run proxy boot
assert_rc 0
kc_run app boot --version 1
assert_rc 0
for i in 1 2; do
  ip=$(host_ip $i)
  assert_eq "web v1" "$(https "$ip")" "h$i serves $NAME with the custom certificate"
  assert_eq "serial=01" "$(served_serial "$ip")"
  assert_eq "640 0 1001" "$(host_sh $i "stat -c '%a %u %g' $TLS_DIR/key.pem")" "h$i key: mode, owner, group"
  assert_eq "644" "$(host_sh $i "stat -c '%a' $TLS_DIR/cert.pem")" "h$i cert mode"
  assert_eq "$(printf %s "$(cat "$PKI/server.key")" | sha256sum | cut -d' ' -f1)" \
    "$(host_sh $i "sha256sum $TLS_DIR/key.pem" | cut -d' ' -f1)" "h$i key content"
  assert_contains "$(host_docker $i exec kamal-proxy cat /home/kamal-proxy/.apps-config/tlsapp/tls/web/key.pem)" \
    "PRIVATE KEY" "the proxy's user reads the key"
done
assert_match "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $NAME" "http://$H1/" || true)" '^30[18]$' \
  "plain HTTP is redirected to HTTPS"

t "the deploy passes the certificate paths inside the proxy, as Kamal does"
kc_run app boot --version 1 --dry-run
assert_rc 0
assert_not_contains "$OUT" "kamal-proxy deploy" "nothing to do: no deploy planned"
host_sh 1 "rm $TLS_DIR/cert.pem"
kc_run app boot --version 1 --dry-run
assert_contains "$OUT" "--tls --tls-certificate-path=/home/kamal-proxy/.apps-config/tlsapp/tls/web/cert.pem --tls-private-key-path=/home/kamal-proxy/.apps-config/tlsapp/tls/web/key.pem"
assert_contains "$OUT" "TLS certificate files differ"
kc_run app boot --version 1
assert_rc 0
assert_eq "web v1" "$(https "$H1")"

t "a second boot is unchanged"
kc_run app boot --version 1
assert_rc 0
assert_match "$OUT" "2 unchanged"

t "a renewed certificate in the secrets is written and deployed again"
make_cert 2
kc_run app boot --version 1
assert_rc 0
assert_contains "$OUT" "TLS certificate files differ"
for i in 1 2; do
  ip=$(host_ip $i)
  assert_eq "serial=02" "$(served_serial "$ip")" "h$i serves the renewed certificate"
  assert_eq "web v1" "$(https "$ip")"
  assert_eq "640 0 1001" "$(host_sh $i "stat -c '%a %u %g' $TLS_DIR/key.pem")"
done

t "a non-root SSH user (in the docker group): its key file, mode 640, group the proxy's; served"
reset_hosts
make_cert 3
cat >config/deploy.yml <<EOF2
service: tlsapp
image: kc/web
servers:
  - $H1
  - $H2
$(bed_yaml -)
ssh:
  user: $KC_BED_USER
  config: $KC_SSH_CONFIG
proxy:
  host: $NAME
  app_port: 80
  ssl:
    certificate_pem: TLS_CERT
    private_key_pem: TLS_KEY
  run: $(proxy_run_yaml)
EOF2
uid=$(id -u "$KC_BED_USER")
USER_TLS_DIR=/home/$KC_BED_USER/$TLS_DIR
ssh_mark
kc_run proxy boot
assert_rc 0
kc_run app boot --version 1
assert_rc 0
for i in 1 2; do   # before host_sh logs in as root
  assert_eq 0 "$(ssh_logins $i root)" "h$i: no root login"
  (($(ssh_logins $i "$KC_BED_USER") > 0)) || fail "h$i: no login as $KC_BED_USER"
done
for i in 1 2; do
  ip=$(host_ip $i)
  assert_eq "web v1" "$(https "$ip")" "h$i serves $NAME with the custom certificate"
  assert_eq "serial=03" "$(served_serial "$ip")"
  assert_eq "640 $uid 1001" "$(host_sh $i "stat -c '%a %u %g' $USER_TLS_DIR/key.pem")" \
    "h$i key: mode, owner (the SSH user), group (the proxy's)"
  assert_eq "" "$(host_sh $i "ls $TLS_DIR 2>/dev/null || true")" "nothing under root's home on h$i"
  assert_contains "$(host_docker $i inspect -f '{{range .Mounts}}{{.Source}} {{end}}' kamal-proxy)" \
    "/home/$KC_BED_USER/.kamal/proxy/apps-config" "h$i: the proxy mounts the user's apps-config"
done
assert_eq "403" "$(host_sh 1 "su -s /bin/sh nobody -c 'cat $USER_TLS_DIR/key.pem' >/dev/null 2>&1 ||
  echo 403")" "another user cannot read the key"
kc_run app boot --version 1
assert_rc 0
assert_match "$OUT" "2 unchanged"
