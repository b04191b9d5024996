#!/usr/bin/env bash
# test_bad_input.sh - every bad configuration and secrets file (one fixture per
# error class, tests/fixtures/bad/) exits 3 with a precise message, before any
# host is contacted: the hosts' sshd logs show no login at all.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c

H1=$(host_ip 1) H2=$(host_ip 2) H3=$(host_ip 3)
BAD=$KC_REPO/tests/fixtures/bad

# The fixtures name made-up addresses; point them at the real hosts so that a
# connection, if kamal-c tried one, would show in the hosts' logs.
retarget() { sed -e "s/\b1\.1\.1\.1\b/$H1/g; s/\b1\.1\.1\.2\b/$H2/g; s/\b1\.1\.1\.[0-9]\+\b/$H3/g" \
  -e "s/\b10\.0\.0\.[0-9]\+\b/$H1/g" "$1"; }

logins_total() { echo $(($(ssh_logins 1) + $(ssh_logins 2) + $(ssh_logins 3))); }

reset_hosts
new_project

# fixture -> destination to pass (-d), where it needs one
declare -A dest=([bad_in_destination.yml]=staging [destination_base.yml]=nope)
# fixtures whose error has no line in a file (the file is missing)
declare -A no_line=([destination_base.yml]=1 [empty.yml]=1)

t "every bad configuration exits 3 with file:line:col, before connecting"
ssh_mark
n=0
for f in "$BAD"/*.yml; do
  name=$(basename "$f")
  [[ $name == *.staging.yml ]] && continue
  rm -f config/deploy*.yml
  retarget "$f" >config/deploy.yml
  [[ -f ${f%.yml}.staging.yml ]] && retarget "${f%.yml}.staging.yml" >config/deploy.staging.yml
  args=(accessory boot all)
  [[ -n ${dest[$name]:-} ]] && args=(-d "${dest[$name]}" "${args[@]}")
  kc_run "${args[@]}"
  assert_rc 3 "$name"
  assert_contains "$ERR" "kamal-c: error: " "$name"
  if [[ -z ${no_line[$name]:-} ]]; then
    assert_match "$ERR" "config/deploy(\.staging)?\.yml:[0-9]+:[0-9]+: " "$name: location"
  fi
  n=$((n + 1))
done
assert_eq 0 "$(logins_total)" "no SSH login for any of the $n fixtures"
((n > 50)) || fail "only $n fixtures ran"

t "a 10 MB configuration exits 3 at once"
ssh_mark
python3 -c 'import sys; sys.stdout.write("service: x\n" + "# padding\n" * 1048576)' >config/deploy.yml
start=$SECONDS
kc_run accessory boot all
assert_rc 3
assert_contains "$ERR" "file too large"
((SECONDS - start < 5)) || fail "took $((SECONDS - start)) s"

good_config() {
  cat >config/deploy.yml <<YAML
service: bad
image: kc/web
servers: [$H1]
$(bed_yaml)
accessories:
  db:
    image: $KC_REGISTRY/kc/web:1
    host: $H1
    env:
      secret: [DB_PASSWORD]
YAML
}

t "bad secrets files exit 3 naming file and line, before connecting"
good_config
ssh_mark
declare -A want=(
  [unterminated_substitution]='.kamal/secrets:1'
  [failing_command]='.kamal/secrets:2'
  [kamal_secrets]='.kamal/secrets:1'
  [not_a_line]='.kamal/secrets:2'
  [missing_secret]="secret 'DB_PASSWORD' not found"
  [empty_registry_password]="registry.password: the secret 'KAMAL_REGISTRY_PASSWORD' is empty"
)
for s in "${!want[@]}"; do
  cp "$BAD/secrets/$s" .kamal/secrets
  kc_run accessory boot db
  assert_rc 3 "$s"
  assert_contains "$ERR" "${want[$s]}" "$s"
done
assert_eq 0 "$(logins_total)" "no SSH login"

t "secrets are not read by verbs that need none"
cp "$BAD/secrets/failing_command" .kamal/secrets
kc_run lock status
assert_rc 0
kc_run config
assert_rc 0

t "unsupported ERB is an error naming file, line and expression, with a hint"
good_config
printf 'x-bad: <%%= RUBY_ENGINE %%>\n' >>config/deploy.yml
kc_run config
assert_rc 3
assert_match "$ERR" "config/deploy.yml:[0-9]+:[0-9]+: .*unsupported ERB: RUBY_ENGINE"
assert_contains "$ERR" "hint: " "a hint"

t "ERB commands run at load, as in Kamal; a failing one is exit 3 before connecting"
good_config
# shellcheck disable=SC2016 # ERB, not shell
sed -i 's|^image: kc/web$|image: <%= `printf kc/%s web`.strip %>|' config/deploy.yml
kc_run config
assert_rc 0
assert_contains "$OUT" "repository: \"$KC_REGISTRY/kc/web\""
# shellcheck disable=SC2016
sed -i 's|^image: .*$|image: <%= %x(exit 4) %>|' config/deploy.yml
ssh_mark
kc_run accessory boot db
assert_rc 3
assert_match "$ERR" "config/deploy.yml:2:[0-9]+: command .exit 4. failed: exited with status 4"
assert_eq 0 "$(logins_total)" "no SSH login"
