#!/usr/bin/env bash
# test_injection.sh - values full of shell syntax reach the container exactly as
# written (read back with docker inspect), and nothing else runs on the host.
# Every injected command would create a file in $MARK; the directory stays empty.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need_kamal_c

H1=$(host_ip 1)
REG=$KC_REGISTRY
MARK=/tmp/kc-inj-$$
mkdir -p "$MARK"
_kc_cleanup+=("$MARK")
# shellcheck disable=SC2016 # the $( and backticks are the point
{
  V_SQ="it's"
  V_DQ='say "hi"'
  V_SUB="\$(touch $MARK/sub)"
  V_TICK="\`touch $MARK/tick\`"
  V_SEMI="x; touch $MARK/semi"
  V_AND="a && touch $MARK/and"
  V_PIPE="b | touch $MARK/pipe"
  V_SPACE="  lead and  trail  "
  V_UTF="héllo ✓ 日本"
  V_DOLLAR='$HOME ${HOME} $$'
  V_GLOB='* ? [a]'
}

# YAML double-quoted scalars: escape \ and " for YAML.
yq() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }

reset_hosts
new_project
mkdir -p conf
FILE_NAME="we ird'name\$(id)\`id\`;x.conf"
printf 'file body\n' >"conf/$FILE_NAME"
cat >config/deploy.yml <<EOF
service: inj
image: kc/web
servers:
  - $H1
$(bed_yaml)
accessories:
  box:
    image: $REG/kc/busybox:1
    host: $H1
    cmd: sh -c 'trap "exit 0" TERM; sleep 1000 & wait' $(yq "$V_SEMI") '\$(touch $MARK/cmd)' "\\\`touch $MARK/cmdtick\\\`"
    env:
      clear:
        V_SQ: $(yq "$V_SQ")
        V_DQ: $(yq "$V_DQ")
        V_SUB: $(yq "$V_SUB")
        V_TICK: $(yq "$V_TICK")
        V_SEMI: $(yq "$V_SEMI")
        V_AND: $(yq "$V_AND")
        V_PIPE: $(yq "$V_PIPE")
        V_SPACE: $(yq "$V_SPACE")
        V_UTF: $(yq "$V_UTF")
        V_DOLLAR: $(yq "$V_DOLLAR")
        V_GLOB: $(yq "$V_GLOB")
        V_NL: "line1\nline2"
      secret:
        - S_ONE
    labels:
      l.sub: $(yq "$V_SUB")
      l.semi: $(yq "$V_SEMI")
      l.utf: $(yq "$V_UTF")
    options:
      label: $(yq "opt=$V_AND")
      hostname: box-host
    files:
      - local: conf/$FILE_NAME
        remote: /etc/$FILE_NAME
EOF
printf 'KAMAL_REGISTRY_PASSWORD=%s\nS_ONE='"'"'%s'"'"'\n' "$KC_REGISTRY_PASSWORD" \
  "s;e\$(touch $MARK/secret)\`x\` \"q\" ✓" >.kamal/secrets

t "boot with hostile values succeeds"
kc_run accessory boot box
assert_rc 0
assert_contains "$OUT" "box: booted"

t "every env value reaches the container exactly as written"
env_dump=$(host_docker 1 inspect -f '{{json .Config.Env}}' inj-box)
for v in V_SQ V_DQ V_SUB V_TICK V_SEMI V_AND V_PIPE V_SPACE V_UTF V_DOLLAR V_GLOB; do
  want=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]+"="+sys.argv[2], ensure_ascii=False))' \
    "$v" "${!v}")
  assert_contains "$env_dump" "$want" "$v"
done
assert_contains "$env_dump" '"V_NL=line1\nline2"' "a newline in a clear value"
assert_contains "$env_dump" "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1], ensure_ascii=False))' \
  "S_ONE=s;e\$(touch $MARK/secret)\`x\` \"q\" ✓")" "secret value from the env file"

t "labels and options reach the container exactly as written"
labels=$(host_docker 1 inspect -f '{{json .Config.Labels}}' inj-box)
assert_contains "$labels" "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1], ensure_ascii=False))' "$V_SUB")"
assert_contains "$labels" "\"l.semi\":\"x; touch $MARK/semi\""
assert_contains "$labels" "\"opt\":\"a && touch $MARK/and\"" "options value"
assert_eq "box-host" "$(host_docker 1 inspect -f '{{.Config.Hostname}}' inj-box)"

t "cmd words reach the container as the YAML wrote them, unexpanded"
cmd=$(host_docker 1 inspect -f '{{json .Config.Cmd}}' inj-box)
assert_contains "$cmd" "\"x; touch $MARK/semi\""
assert_contains "$cmd" "\"\$(touch $MARK/cmd)\""
assert_contains "$cmd" "\"\`touch $MARK/cmdtick\`\""

t "a file name with quotes and \$( lands under that exact name"
assert_eq "file body" "$(host_sh 1 "cat inj-box/etc/$(printf '%q' "$FILE_NAME")")"

t "nothing else ran: on the host, in the container, or locally"
assert_eq "" "$(ls -A "$MARK")" "local/host marker dir"
assert_eq "" "$(host_docker 1 exec inj-box ls -A "$MARK" 2>/dev/null || true)" "container"

t "a second boot compares the hostile values without drift"
kc_run accessory boot box
assert_rc 0
assert_contains "$OUT" "box: unchanged"

t "exec hands the user's command to the host shell, as Kamal does"
kc_run accessory exec --reuse box 'sh -c "echo \"\$V_SEMI\""'
assert_rc 0
assert_contains "$OUT" "x; touch $MARK/semi"
assert_eq "" "$(ls -A "$MARK")"

t "hostile host names and filters never reach a shell"
kc_run server exec -h "\$(touch $MARK/filter)" true
assert_rc 2
assert_eq "" "$(ls -A "$MARK")"
cp config/deploy.yml config/deploy.good.yml
sed -i "s|^  - $H1\$|  - \"$H1\"\\n  - \"bad;touch $MARK/host\"|" config/deploy.yml
ssh_mark
kc_run server exec true
assert_rc 3
assert_match "$ERR" "deploy.yml:[0-9]+:[0-9]+: servers\\[1\\]: 'bad;touch .*' is not a host name"
assert_eq 0 "$(ssh_logins 1)" "no connection"
assert_eq "" "$(ls -A "$MARK")"
cp config/deploy.good.yml config/deploy.yml

t "names Docker would reject are refused when the configuration loads"
sed -i 's|^  box:$|  "box;x":|' config/deploy.yml
ssh_mark
kc_run accessory boot all
assert_rc 3
assert_contains "$ERR" "an accessory name may only contain"
assert_eq 0 "$(ssh_logins 1)" "no connection"
