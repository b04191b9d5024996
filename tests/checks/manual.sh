#!/usr/bin/env bash
# manual.sh BUILD_DIR SOURCE_DIR - the generated man pages and completions,
# checked with the real tools (the ctest check_manual):
#   - man renders both pages without a warning;
#   - every verb and option kamal-c has (`kamal-c __complete commands`) is in
#     the rendered kamal-c(1), and completes in bash (with and without the
#     bash-completion package), zsh and fish;
#   - the names completed from a deploy.yml (accessories, roles, hosts,
#     destinations, aliases) follow -c and -d on the line;
#   - every environment variable the code reads is in kamal-c(1).
# zsh and fish are skipped with a note when absent, except under CI=1 (the
# dependencies install them).
set -uo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
KC=$BUILD/kamal-c
SHARE=$BUILD/share
FIX=$SRC/tests/fixtures/complete
failures=0
checks=0

fail() {
  printf 'FAIL %s\n' "$*"
  failures=$((failures + 1))
}
ok() { checks=$((checks + 1)); }

# ---- man ---------------------------------------------------------------------
if command -v man >/dev/null; then
  for page in kamal-c.1 kamal-c-deploy.yml.5; do
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$SHARE/$page" 2>&1 >/dev/null)
    if [[ -n $warnings ]]; then fail "man $page: $warnings"; else ok; fi
  done
  rendered=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$SHARE/kamal-c.1" 2>/dev/null | col -b)
  while read -r line; do
    read -r -a w <<<"$line"
    path=() opts=()
    for x in "${w[@]}"; do [[ $x == --* ]] && opts+=("$x") || path+=("$x"); done
    grep -qF -- "kamal-c ${path[*]}" <<<"$rendered" || fail "kamal-c(1) has no 'kamal-c ${path[*]}'"
    for o in "${opts[@]}"; do
      grep -qF -- "$o" <<<"$rendered" || fail "kamal-c(1) has no $o (${path[*]})"
    done
    ok
  done < <("$KC" __complete commands)
else
  fail "man is not installed (apt-get install man-db)"
fi

# every variable the code reads by name is in ENVIRONMENT
env_section=$(sed -n '/^\.SH ENVIRONMENT/,/^\.SH FILES/p' "$SHARE/kamal-c.1")
for var in $(grep -rhoE 'getenv\("[A-Z_]+"\)|"KAMAL_C_[A-Z_]+"' "$SRC/src" | grep -oE '[A-Z_]{2,}' | sort -u); do
  grep -qxF ".B $var" <<<"$env_section" ||
    fail "kamal-c(1) ENVIRONMENT does not list $var (read in src/)"
  ok
done

# ---- kamal-c docs [SECTION] ----------------------------------------------------------
expect_run() { # STATUS GREP-PATTERN WHAT COMMAND...: status and a line of its output
  local want=$1 pattern=$2 what=$3 out rc
  shift 3
  out=$("$@" 2>&1)
  rc=$?
  if [[ $rc != "$want" ]]; then
    fail "$what: exit $rc, not $want: $out"
  elif ! grep -qE -- "$pattern" <<<"$out"; then
    fail "$what: no /$pattern/ in: $out"
  else
    ok
  fi
}
expect_run 0 '^# deploy.yml says what kamal-c runs' "docs" "$KC" docs
expect_run 0 '^#   proxy.healthcheck.path +string, default /up$' "docs proxy" "$KC" docs proxy
expect_run 0 '^# The keys, as kamal-c checks them:$' "docs sshkit" "$KC" docs sshkit
expect_run 2 "error: no documentation section 'nope'" "docs nope" "$KC" docs nope
expect_run 2 '[Tt]he sections: accessory, alias, boot, builder, env, logging, output, proxy, registry, role, servers, ssh, sshkit' \
  "docs nope" "$KC" docs nope
expect_run 2 "did you mean 'proxy'" "docs proxi" "$KC" docs proxi
expect_run 2 "takes \[SECTION\]" "docs a b" "$KC" docs proxy role
expect_run 0 '"section":[[:space:]]*"role"' "docs --format json" "$KC" docs role --format json
expect_run 0 '^Usage: kamal-c docs \[SECTION\]' "help docs" "$KC" help docs
# docs was a pending Kamal command: not any more
expect_run 0 'docs \[SECTION\] +Show the configuration documentation' "help" "$KC" help
# __complete is quiet where it has nothing: no config, no names, exit 0
expect_run 0 '^$' "__complete without a config" env -C / "$KC" __complete hosts
# ...and exits 0 with the names (under ASan too: a leak would be exit 23)
for kind in accessories roles hosts destinations aliases commands; do
  expect_run 0 '^[a-z]' "__complete $kind" env -C "$FIX" "$KC" __complete "$kind" -d staging
done
expect_run 2 "no completion kind 'nope'" "__complete nope" "$KC" __complete nope

# ---- the cases every shell must complete -----------------------------------------
# Each case: the words of the line (the last one is being completed) | a word
# that must be offered. Run from the fixture, whose config/deploy.yml has
# accessories db and redis, roles web and workers, aliases shell and dbc, and
# destination files staging (accessory search) and production.
cases=()
while read -r line; do
  read -r -a w <<<"$line"
  path=() opts=()
  for x in "${w[@]}"; do [[ $x == --* ]] && opts+=("$x") || path+=("$x"); done
  last=${path[${#path[@]} - 1]}
  prefix=${path[*]:0:${#path[@]}-1}
  cases+=("kamal-c ${prefix:+$prefix }${last:0:2}|$last")
  for o in "${opts[@]}"; do cases+=("kamal-c ${path[*]} ${o:0:4}|$o"); done
done < <("$KC" __complete commands)
cases+=(
  "kamal-c --dr|--dry-run"
  "kamal-c accessory boot |db"
  "kamal-c accessory boot |all"
  "kamal-c accessory logs r|redis"
  "kamal-c -d staging accessory boot |search"
  "kamal-c accessory boot -d staging |search"
  "kamal-c accessory boot --destination=staging |search"
  "kamal-c -c config/other.yml accessory boot |cache"
  "kamal-c accessory reboot --config-file config/other.yml |cache"
  "kamal-c -r |workers"
  "kamal-c server exec -h |job1.example.com"
  "kamal-c -d staging -h |search1.example.com"
  "kamal-c -d |staging"
  "kamal-c --destination |production"
  "kamal-c --format |json"
  "kamal-c |shell"
  "kamal-c -d production |prodlogs"
  "kamal-c help |accessory"
  "kamal-c help accessory |boot"
  "kamal-c docs |proxy"
  "kamal-c docs ss|sshkit"
  "kamal-c -c conf|config"
)
# ...and words that must not be offered
refusals=(
  "kamal-c accessory boot |search"
  "kamal-c |__complete"
  "kamal-c accessory |directories"
  "kamal-c accessory boot db |redis"
  "kamal-c -d staging accessory boot |cache"
)

# Prints the check lines of a shell's results "WORDS|OFFERED..." as ok/FAIL.
judge() {
  local shell=$1 line words offered want
  while IFS= read -r line; do
    words=${line%%|*} offered=" ${line#*|} "
    want=$(for c in "${cases[@]}"; do [[ ${c%|*} == "$words" ]] && echo "${c##*|}"; done)
    for w in $want; do
      if [[ $offered == *" $w "* ]]; then ok; else fail "$shell: '$words' does not offer $w (got:$offered)"; fi
    done
    want=$(for c in "${refusals[@]}"; do [[ ${c%|*} == "$words" ]] && echo "${c##*|}"; done)
    for w in $want; do
      if [[ $offered != *" $w "* ]]; then ok; else fail "$shell: '$words' offers $w"; fi
    done
  done
}

all_lines() {
  local c
  for c in "${cases[@]}" "${refusals[@]}"; do echo "${c%|*}"; done | sort -u
}

cd "$FIX" || exit 1
export PATH=$BUILD:$PATH

# ---- bash ----------------------------------------------------------------------
bash_run() {
  bash --norc --noprofile -c '
    [[ $1 == with ]] && source /usr/share/bash-completion/bash_completion
    source "$2"
    while IFS= read -r line; do
      read -r -a COMP_WORDS <<<"$line"
      [[ $line == *" " ]] && COMP_WORDS+=("")
      COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
      COMPREPLY=()
      _kamal_c
      printf "%s|%s\n" "$line" "${COMPREPLY[*]}"
    done' bash "$1" "$SHARE/kamal-c.bash"
}
judge "bash" < <(bash_run without < <(all_lines))
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
  judge "bash+bash-completion" < <(bash_run with < <(all_lines))
elif [[ -n ${CI:-} ]]; then
  fail "bash-completion is not installed"
fi

# ---- zsh: the real compinit loads it; the driver runs with compadd and
# _describe recording what they are given (zsh filters by prefix itself) --
if command -v zsh >/dev/null; then
  fpdir=$(mktemp -d)
  cp "$SHARE/_kamal-c" "$fpdir/"
  out=$(zsh -f -c "fpath=($fpdir \$fpath); autoload -Uz compinit; compinit -u -D 2>&1; print -r -- \${_comps[kamal-c]}")
  [[ $out == _kamal-c ]] && ok || fail "zsh: compinit does not bind kamal-c to _kamal-c ($out)"
  judge "zsh" < <(zsh -f -c '
    source "$1" >/dev/null 2>&1
    compadd() { local a; for a in "$@"; do [[ $a == -* ]] && continue; out+=("${(@P)a}"); done }
    _describe() { local c; for c in "${(@P)${@[-1]}}"; do out+=("${c%%:*}"); done }
    _files() { out+=(config) }
    compset() { return 0 }
    while IFS= read -r line; do
      words=(${(z)line}); [[ $line == *" " ]] && words+=("")
      CURRENT=$#words out=()
      _kamal-c
      cur=${words[CURRENT]}
      got=(${(M)out:#${cur}*})
      print -r -- "$line|$got"
    done' zsh "$SHARE/_kamal-c" < <(all_lines))
  rm -rf "$fpdir"
elif [[ -n ${CI:-} ]]; then
  fail "zsh is not installed"
else
  echo "SKIP zsh: not installed"
fi

# ---- fish: its own completion engine, complete -C ---------------------------------
if command -v fish >/dev/null; then
  judge "fish" < <(fish --no-config -c '
    source $argv[1]
    while read -l line
      set -l got (complete -C "$line" | string replace -r "\t.*" "" | string replace -r "/\$" "")
      printf "%s|%s\n" "$line" (string join " " -- $got)
    end' "$SHARE/kamal-c.fish" < <(all_lines))
elif [[ -n ${CI:-} ]]; then
  fail "fish is not installed"
else
  echo "SKIP fish: not installed"
fi

echo "manual: $checks checks, $failures failures"
((failures == 0))
