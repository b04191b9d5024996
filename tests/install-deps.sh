#!/usr/bin/env bash
# install-deps.sh - every Debian 12 package kamal-c needs to build, test and
# demo (run as root). Idempotent: a second run only checks.
set -euo pipefail

packages=(
  # build
  cmake make gcc pkg-config git libssh-dev libyaml-dev libcjson-dev libcmocka-dev
  # sanitizers and fuzzing
  clang libclang-rt-14-dev
  # the man pages and shell completions, checked with the real tools
  man-db bash-completion zsh fish
  # the test bed: real hosts in network namespaces, a real registry
  docker.io openssh-server openssh-client docker-registry apache2-utils busybox-static
  iproute2 iptables openssl curl ca-certificates procps psmisc util-linux
  # the live view's test: a real terminal (tests/e2e/test_live.sh)
  tmux
  # the secrets test's local AWS API: PyPI's moto and awscli in a venv (tests/e2e/aws-local.sh)
  python3 python3-venv
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The Debian registry package starts a system registry on :5000 where it can;
# the test bed runs its own (TLS + htpasswd) on the bridge address instead.
if command -v systemctl >/dev/null && systemctl is-active -q docker-registry 2>/dev/null; then
  systemctl disable --now docker-registry || true
fi
echo "dependencies: ok"
