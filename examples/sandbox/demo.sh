#!/usr/bin/env bash
# demo.sh - from a fresh Debian 12 machine (as root) to kamal-c doing its main
# job: install the dependencies, build and install kamal-c, bring up one local
# sandbox host (a network namespace with its own sshd and dockerd, plus a
# private registry), write an example project and boot its accessories twice
# (the second boot finds everything running and changes nothing), then deploy
# the example app (build, push, kamal-proxy, the app), ask it through the
# proxy, and deploy again (nothing to deploy).
# The sandbox's registry also gets the real kamal-proxy image (built once from its Go
# module, which needs Go >= 1.25; see tests/e2e/proxy-binary.sh) for the example app in
# examples/app.
#
# The sandbox stays up afterwards so you can try more commands; the script
# prints how to take it down. It uses its own bed (KC_BED, default 7), so it
# never disturbs a test bed you may have running.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Installing dependencies (Debian packages)"
tests/install-deps.sh

say "Building and installing kamal-c"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
cmake --install build >/dev/null
command -v kamal-c
kamal-c version

say "Bringing up a sandbox host"
export KC_BED=${KC_BED:-7}
tests/e2e/hosts.sh up 1
tests/e2e/seed-images.sh >/dev/null
eval "$(tests/e2e/hosts.sh env)"
HOST=${KC_HOSTS%% *}

say "Writing an example project"
PROJECT=${KC_DEMO_DIR:-/tmp/kamal-c-demo}
rm -rf "$PROJECT"
mkdir -p "$PROJECT/config" "$PROJECT/.kamal"
cd "$PROJECT"
cat >config/deploy.yml <<YAML
# A Kamal deploy.yml: kamal-c reads it as is.
service: demo
image: kc/web
servers:
  - $HOST
registry:
  server: $KC_REGISTRY
  username: $KC_REGISTRY_USER
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
ssh:
  config: $KC_SSH_CONFIG   # the sandbox's key and known_hosts
accessories:
  web:
    image: $KC_REGISTRY/kc/web:1
    host: $HOST
    port: "8080:80"
    env:
      clear:
        GREETING: hello
      secret:
        - API_TOKEN
    directories:
      - data:/data
  cache:
    image: $KC_REGISTRY/kc/busybox:1
    host: $HOST
    cmd: sh -c "trap 'exit 0' TERM; while true; do sleep 1; done"
YAML
cat >.kamal/secrets <<SECRETS
KAMAL_REGISTRY_PASSWORD=$KC_REGISTRY_PASSWORD
API_TOKEN=demo-token-not-a-real-secret
SECRETS
sed -n '1,200p' config/deploy.yml

say "kamal-c accessory boot all   (first run: boots both accessories)"
kamal-c accessory boot all

say "kamal-c accessory boot all   (second run: nothing to do, exit 0)"
kamal-c accessory boot all
echo "exit status: $?"

say "The web accessory answers on the sandbox host"
curl -fsS "http://$HOST:8080/"

say "The example app (examples/app) from its own git repository"
APP=${KC_DEMO_APP_DIR:-/tmp/kamal-c-demo-app}
rm -rf "$APP"
cp -R "$ROOT/examples/app" "$APP"
cd "$APP"
sed -i -e "s|10\.213\.7\.|$KC_NET.|g" -e "s|/tmp/kc7-bed/|$KC_DIR/|g" Dockerfile config/deploy.yml
git init -q
git add -A
git -c user.name=demo -c user.email=demo@example.invalid commit -qm "the example app"

say "kamal-c deploy   (build on the sandbox's builder host, push, pull, kamal-proxy, the app)"
kamal-c deploy

say "kamal-c deploy -P   (again, without building: nothing to deploy, exit 0)"
kamal-c deploy -P
echo "exit status: $?"

say "The app answers through kamal-proxy on port 80"
curl -fsS "http://$HOST/"

say "Done"
cat <<TXT
The projects are in $PROJECT (accessories) and $APP (the app); the sandbox host $HOST is
still up. Try:
  cd $PROJECT
  kamal-c accessory details all
  kamal-c accessory boot all --dry-run
  kamal-c accessory boot all --format json
  cd $APP
  kamal-c details
  kamal-c app logs -n 5
  echo change >>app.sh && git commit -qam change && kamal-c deploy
Take the sandbox down with:
  KC_BED=$KC_BED $ROOT/tests/e2e/hosts.sh down
TXT
