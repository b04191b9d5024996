#!/usr/bin/env bash
# symbols.sh - the build's symbol rules, checked on the static libraries:
#   1. every global symbol a library defines starts with kc_;
#   2. a layer only calls down: every kc_ symbol a library uses is defined in
#      the library itself or in one of the layers it may link (CMakeLists.txt,
#      kc_layer). A static library links whatever the final program has, so an
#      upward call (ops -> cli, commands -> remote, config -> ops) would link
#      into kamal-c; this check is what refuses it.
# Usage: symbols.sh LAYERS_FILE, where each line of LAYERS_FILE is
#   NAME ARCHIVE [ALLOWED_NAME...]     (written by CMake: build/kc_layers.txt)
set -euo pipefail
layers_file=${1:?usage: symbols.sh build/kc_layers.txt}
NM=${NM:-nm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

declare -A archive allowed
names=()
while read -r name ar deps; do
  [[ -n "$name" ]] || continue
  names+=("$name")
  archive[$name]=$ar
  allowed[$name]=$deps
  # names starting with __ are the compiler's (ASan's __odr_asan_gen_*, ...)
  "$NM" -g --defined-only "$ar" 2>/dev/null |
    awk 'NF >= 3 && $2 ~ /^[TDBRVWCGSu]$/ && $3 !~ /^__/ {print $3}' | sort -u >"$tmp/$name.defined"
  "$NM" -g --undefined-only "$ar" 2>/dev/null | awk '{print $NF}' | grep '^kc_' |
    sort -u >"$tmp/$name.used" || true
done <"$layers_file"

failures=0
for name in "${names[@]}"; do
  bad=$(grep -v '^kc_' "$tmp/$name.defined" || true)
  if [[ -n "$bad" ]]; then
    echo "FAIL $name: global symbols without the kc_ prefix (make them static or prefix them):"
    sed 's/^/  /' <<<"$bad"
    failures=$((failures + 1))
  fi
  cat "$tmp/$name.defined" >"$tmp/$name.reach"
  for dep in ${allowed[$name]}; do
    cat "$tmp/$dep.defined" >>"$tmp/$name.reach"
  done
  sort -u -o "$tmp/$name.reach" "$tmp/$name.reach"
  up=$(comm -23 "$tmp/$name.used" "$tmp/$name.reach")
  if [[ -n "$up" ]]; then
    echo "FAIL $name: calls what its layer may not (allowed: ${allowed[$name]:-none}):"
    while read -r sym; do
      owner=$(cd "$tmp" && grep -lx -- "$sym" ./*.defined | sed 's|^\./||; s|\.defined$||' |
        tr '\n' ' ' | sed 's/ $//')
      echo "  $sym (defined in: ${owner:-nowhere})"
    done <<<"$up"
    failures=$((failures + 1))
  fi
done
if ((failures)); then
  echo "symbols: $failures problem(s)"
  exit 1
fi
echo "symbols: ${#names[@]} libraries, every global symbol kc_-prefixed, no upward call"
