#!/usr/bin/env bash
# package.sh BUILD_DIR - the Debian package, for real (tests/all.sh, as
# root): cpack builds kamal-c_<version>_amd64.deb; apt installs it with its
# dependencies; /usr/bin/kamal-c runs, `man -w` finds both pages, bash
# (through bash-completion's loader), zsh (compinit's default fpath) and fish
# (its vendor directory) complete with it, names from a deploy.yml included;
# apt purges it and nothing of it is left. One run at a time on a machine
# (dpkg's database is the machine's): it holds a lock while it works.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FIX=$SRC/tests/fixtures/complete
checks=0

fail() {
  printf 'FAIL %s\n' "$*"
  exit 1
}
ok() {
  checks=$((checks + 1))
  printf 'ok   %s\n' "$*"
}

if [[ $(id -u) != 0 ]]; then
  [[ -n ${CI:-} ]] && fail "the package test installs a package: run it as root"
  echo "SKIP package: not root"
  exit 0
fi

exec 9>/tmp/kc-package.lock
flock 9

version=$("$BUILD/kamal-c" version | awk '{print $2}')
deb=$BUILD/kamal-c_${version}_amd64.deb
rm -f "$deb"
(cd "$BUILD" && cpack -G DEB >/dev/null)
[[ -f $deb ]] || fail "cpack wrote no $deb"
ok "cpack: $(basename "$deb")"

depends=$(dpkg-deb -f "$deb" Depends)
for lib in libssh-4 libyaml-0-2 libcjson1; do
  [[ $depends == *"$lib "* ]] || fail "Depends lacks $lib: $depends"
done
ok "Depends: $depends"

apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=300 "$@" 2>&1
}
purge() { apt_get purge kamal-c >/dev/null 2>&1 || true; }
# a package left by an interrupted run is ours: start clean, end clean
dpkg -s kamal-c >/dev/null 2>&1 && purge
trap purge EXIT

apt_get install "$deb" >/dev/null
dpkg -s kamal-c | grep -q '^Status: install ok installed' || fail "apt did not install kamal-c"
ok "apt-get install $(basename "$deb")"

out=$(/usr/bin/kamal-c version)
[[ $out == "kamal-c $version "* ]] || fail "/usr/bin/kamal-c version: $out"
ok "/usr/bin/kamal-c version: $out"

for page in "kamal-c" "5 kamal-c-deploy.yml"; do
  # shellcheck disable=SC2086 # the section and the name are two words
  # -a: every page of that name; a copy installed from source into /usr/local (the sandbox
  # demo's `cmake --install`) comes first in man's path and must not hide the package's
  where=$(man -aw $page) || fail "man -aw $page found nothing"
  pkg=$(grep -m1 '^/usr/share/man/' <<<"$where") || fail "man -aw $page: $where"
  ok "man -w $page: $pkg"
done
MANWIDTH=80 man kamal-c 2>/dev/null | grep -q 'kamal-c accessory boot' || fail "man kamal-c"
ok "man kamal-c renders"

# The completions, found where each shell looks by itself, with the
# installed binary answering __complete (PATH without /usr/local).
cd "$FIX"
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
got=$(bash --norc -c '
  source /usr/share/bash-completion/bash_completion
  _completion_loader kamal-c
  COMP_WORDS=(kamal-c accessory boot ""); COMP_CWORD=3; COMP_LINE="kamal-c accessory boot "
  COMP_POINT=${#COMP_LINE}
  _kamal_c; echo "${COMPREPLY[*]}"')
[[ $got == "all db redis" ]] || fail "bash: 'kamal-c accessory boot <Tab>' gave '$got'"
ok "bash completion (bash-completion's loader): accessory boot -> $got"
if command -v zsh >/dev/null; then
  got=$(zsh -f -c 'autoload -Uz compinit; compinit -u -D; print -r -- ${_comps[kamal-c]}')
  [[ $got == _kamal-c ]] || fail "zsh: compinit does not find _kamal-c ($got)"
  ok "zsh completion: compinit finds $got"
fi
if command -v fish >/dev/null; then
  # (a bare HOME instead of --no-config, which also drops the vendor directories)
  fhome=$(mktemp -d)
  got=$(HOME=$fhome fish -c 'complete -C "kamal-c -d staging accessory boot "' | cut -f1 | xargs)
  rm -rf "$fhome"
  [[ $got == "all db redis search" ]] || fail "fish: 'kamal-c -d staging accessory boot' gave '$got'"
  ok "fish completion (vendor directory): -d staging accessory boot -> $got"
fi
cd "$SRC"

files=$(dpkg -L kamal-c)
apt_get purge kamal-c >/dev/null
trap - EXIT
dpkg -s kamal-c >/dev/null 2>&1 && fail "kamal-c is still installed after purge"
left=""
while read -r f; do
  [[ -f $f ]] && left+=" $f"
done <<<"$files"
[[ -z $left ]] || fail "left after purge:$left"
[[ ! -e /usr/bin/kamal-c ]] || fail "/usr/bin/kamal-c is left"
ok "apt-get purge kamal-c: no file left"

echo "package: $checks checks passed ($(basename "$deb"))"
