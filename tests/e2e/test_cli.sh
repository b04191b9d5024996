#!/usr/bin/env bash
# test_cli.sh - the command line from the outside: version and help need no
# configuration, usage errors exit 2 with the nearest name, aliases from
# deploy.yml expand with extra words appended, init refuses to overwrite.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c

H1=$(host_ip 1)
new_project

t "version needs no configuration (a broken one is not even read)"
printf 'service: [broken\n' >config/deploy.yml
kc_run version
assert_rc 0
assert_match "$OUT" "^kamal-c [0-9]+\.[0-9]+\.[0-9]+ \(Kamal 2\.12\.0 configuration\)$"
kc_run version --format json
assert_rc 0
assert_ok python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["kamal_config"]=="2.12.0"' "$OUT_FILE"

t "help, help VERB and VERB --help"
kc_run help
assert_rc 0
assert_contains "$OUT" "accessory"
assert_contains "$OUT" "Exit codes:"
kc_run help accessory boot
assert_rc 0
assert_contains "$OUT" "Usage: kamal-c accessory boot NAME|all"
assert_contains "$OUT" "--fail-on-drift"
kc_run accessory logs --help
assert_rc 0
assert_contains "$OUT" "--grep-options"

t "usage errors exit 2 with one error line and the nearest name"
kc_run acessory boot db
assert_rc 2
assert_contains "$ERR" "unknown command 'acessory'"
assert_contains "$ERR" "did you mean 'accessory'?"
kc_run accessory boot db --dryrun
assert_rc 2
assert_contains "$ERR" "did you mean '--dry-run'?"
kc_run accessory
assert_rc 2
kc_run upgrade                                  # Kamal's, not kamal-c's (yet): say so
assert_rc 2
assert_contains "$ERR" "'upgrade' is a Kamal command that kamal-c does not implement yet"
assert_not_contains "$ERR" "did you mean"
kc_run --version
assert_rc 2
assert_contains "$ERR" "kamal-c version"

good_config() {
  cat >config/deploy.yml <<YAML
service: cli
image: kc/web
servers: [$H1]
$(bed_yaml)
aliases:
  conf: config --format json
  on-first: server exec -h $H1
  nested: conf
YAML
}

t "aliases expand to a verb line with the extra words appended"
good_config
kc_run conf
assert_rc 0
assert_ok python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT_FILE"
kc_run on-first hostname
assert_rc 0
assert_contains "$OUT" "kc-h1"
kc_run nested
assert_rc 0
assert_contains "$OUT" '"primary_host"'
kc_run -q on-first hostname
assert_rc 0
assert_eq "kc-h1" "$OUT"

t "exec -i without a terminal on stdin: exit 2 at once, no host contacted"
ssh_mark
s=$SECONDS
kc_run server exec -i sh
assert_rc 2
assert_contains "$ERR" "'server exec -i' needs a terminal on stdin"
KC_STDIN="echo hi" kc_run accessory exec --interactive db sh
assert_rc 2
assert_contains "$ERR" "'accessory exec -i' needs a terminal on stdin"
assert_eq 0 "$(ssh_logins 1)" "logins to h1"
((SECONDS - s < 3)) || fail "took $((SECONDS - s)) s"

t "an alias may not shadow a command"
printf '  config: version\n' >>config/deploy.yml
kc_run conf
assert_rc 3
assert_contains "$ERR" "aliases.config"

t "init writes a project and refuses to overwrite it"
cd "$(mktemp -d "$_kc_tmp/init.XXXX")"
kc_run init
assert_rc 0
assert_ok test -f config/deploy.yml
assert_ok test -f .kamal/secrets
assert_ok test -x .kamal/hooks/pre-connect.sample
kc_run config
assert_rc 0
kc_run init
assert_rc 3
assert_contains "$ERR" "config/deploy.yml"
