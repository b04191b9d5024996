#!/usr/bin/env bash
# test_build.sh - `build push|pull|deliver|dev|details|create|remove` on the bed: the example app
# built from its git repository on the builder host h0 (remote: the context as a tar over SSH,
# no local docker engine at all; local: this machine's docker client against h0's dockerd),
# pushed to the bed's registry, pulled on h1..h3; tags, labels and digests checked with docker
# inspect on the hosts; the clean-clone and dirty-tree rules; build dev; each bad input with its
# exit code, and the next run fine once the cause is fixed; the registry password in no output.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_kamal_c
need_hosts 3
reset_hosts

export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0="KC Tester" \
  GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1=kc-tester@e2e.invalid
export TMPDIR=$KC_TMP/tmp          # the clean clones go to $TMPDIR/kamal-clones
mkdir -p "$TMPDIR"
APP=$KC_REGISTRY/demo/app
NOWHERE=unix://$KC_TMP/no-docker-here.sock     # "no local engine": nobody serves this socket

label_on() { host_docker "$1" image inspect --format '{{index .Config.Labels "service"}}' "$2"; }
digest_on() { host_docker "$1" image inspect --format '{{join .RepoDigests " "}}' "$2"; }
# set_builder DIR YAML: replace deploy.yml's builder: block with YAML (indented mapping lines)
set_builder() {
  awk -v b="$2" '/^builder:/ { print; printf "%s\n", b; skip = 1; next }
    skip && /^  / { next } { skip = 0; print }' "$1/config/deploy.yml" >"$1/config/deploy.yml.new"
  mv "$1/config/deploy.yml.new" "$1/config/deploy.yml"
}
commit_all() { git -C "$1" -c user.name=t -c user.email=t@e2e.invalid commit -qam "${2:-edit}"; }
no_password() {
  assert_not_contains "$OUT" "$KC_REGISTRY_PASSWORD" "password in stdout"
  assert_not_contains "$ERR" "$KC_REGISTRY_PASSWORD" "password in stderr"
}

REPO=$(make_app_repo "$KC_TMP/app" 1 2 3)
cd "$REPO"
V1=$(git rev-parse HEAD)

t "build push, remote builder h0 (ssh://, local: false), no local docker engine at all"
KC_BUILDER_DOCKER_HOST=$NOWHERE kc_run build push
assert_rc 0
assert_contains "$OUT" "$APP:$V1"
assert_contains "$OUT" "Cloning repo into build directory"
assert_match "$OUT" "pushed.*sha256:[0-9a-f]{64}"
assert_eq "app" "$(label_on 0 "$APP:$V1")" "service label on h0"
assert_eq "app" "$(label_on 0 "$APP:latest")" "latest tag on h0"
assert_eq "$(host_docker 0 image inspect -f '{{.Id}}' "$APP:$V1")" \
  "$(host_docker 0 image inspect -f '{{.Id}}' "$APP:latest")" "both tags, one image"
files=" $(host_docker 0 run --rm "$APP:$V1" sh -c 'cd /app && echo $(ls -A)') "
assert_contains "$files" " app.sh "
for f in .git .kamal config; do assert_not_contains "$files" " $f " ".dockerignore: $f"; done
assert_ok test -d "$TMPDIR/kamal-clones"
PUSH_DIGEST=$(grep -oE 'sha256:[0-9a-f]{64}' <<<"$OUT" | head -1)
no_password

t "build pull on h1..h3: login, pull, service label, audit line; the digest is the pushed one"
kc_run build pull
assert_rc 0
for i in 1 2 3; do
  assert_eq "app" "$(label_on "$i" "$APP:$V1")" "label on h$i"
  assert_contains "$(digest_on "$i" "$APP:$V1")" "$PUSH_DIGEST" "digest on h$i"
  assert_contains "$(host_sh "$i" 'cat .kamal/app-audit.log')" "Pulled image with version $V1"
done
assert_eq 3 "$(grep -c ': pulled' <<<"$OUT")" "3 pulled"
no_password

t "build pull again: every host has IMG:VERSION, nothing is pulled"
kc_run build pull
assert_rc 0
assert_eq 3 "$(grep -c ': present' <<<"$OUT")" "3 present"

t "build push of an unchanged commit reuses and resets the clone"
KC_BUILDER_DOCKER_HOST=$NOWHERE kc_run build push
assert_rc 0
assert_contains "$OUT" "Resetting local clone"

t "a dirty tree and the clean clone: the changes are listed and left out, the version is HEAD"
echo 'echo dirty' >>app.sh
echo new >untracked.txt
KC_BUILDER_DOCKER_HOST=$NOWHERE kc_run build push
assert_rc 0
assert_contains "$ERR" "ignoring these uncommitted changes"
assert_contains "$ERR" "app.sh"
assert_contains "$ERR" "untracked.txt"
assert_contains "$OUT" "$APP:$V1"
assert_not_contains "$(host_docker 0 run --rm "$APP:$V1" cat /app/app.sh)" "echo dirty"

t "build dev: the working tree as VERSION-dirty, modified and untracked files listed, not pushed"
KC_BUILDER_DOCKER_HOST=$NOWHERE kc_run build dev
assert_rc 0
assert_contains "$ERR" "Files with uncommitted changes"
assert_contains "$ERR" "Untracked files"
assert_contains "$(host_docker 0 run --rm "$APP:$V1-dirty" cat /app/app.sh)" "echo dirty"
assert_eq "app" "$(label_on 0 "$APP:latest-dirty")"
git checkout -q app.sh
rm -f untracked.txt

t "builder.context: the working tree is built; dirty adds _uncommitted_<hex> to the version"
set_builder "$REPO" "  arch: amd64
  remote: ssh://root@$(host_ip 0)
  local: false
  context: ."
KC_BUILDER_DOCKER_HOST=$NOWHERE kc_run build push
assert_rc 0
assert_contains "$ERR" "Building with uncommitted changes"
assert_match "$OUT" "$APP:${V1}_uncommitted_[0-9a-f]{16}"
tag=$(grep -oE "${V1}_uncommitted_[0-9a-f]{16}" <<<"$OUT" | head -1)
assert_eq "app" "$(label_on 0 "$APP:$tag")"
git checkout -q config/deploy.yml

t "--format json: one document with image, tags, digest and times; -q: no build output"
app_commit "$REPO" "json" >/dev/null
V2=$(git rev-parse HEAD)
KC_BUILDER_DOCKER_HOST=$NOWHERE kc_run build push --format json -q
assert_rc 0
assert_eq "$APP:$V2" "$(jq -r '.tags[0]' <<<"$OUT")"
assert_eq "$APP:latest" "$(jq -r '.tags[1]' <<<"$OUT")"
assert_match "$(jq -r '.digest' <<<"$OUT")" '^sha256:[0-9a-f]{64}$'
assert_eq "remote" "$(jq -r '.builder' <<<"$OUT")"
assert_match "$(jq -r '.seconds.total' <<<"$OUT")" '^[0-9.]+'

t "--dry-run prints the remote build and push, runs nothing"
app_commit "$REPO" "dry" >/dev/null
V3=$(git rev-parse HEAD)
KC_BUILDER_DOCKER_HOST=$NOWHERE kc_run build push --dry-run
assert_rc 0
assert_contains "$OUT$ERR" "docker build"
assert_contains "$OUT$ERR" "docker image push $APP:$V3"
assert_fails host_docker 0 image inspect "$APP:$V3"

t "build deliver: push then pull on every host"
kc_run build deliver
assert_rc 0
for i in 1 2 3; do assert_eq "app" "$(label_on "$i" "$APP:$V3")" "label on h$i"; done

t "a failing remote build -> exit 1 with docker's last lines, its output streamed; fixed -> 0"
printf 'RUN echo kc-remote-broke && false\n' >>Dockerfile && commit_all "$REPO" "broken"
KC_BUILDER_DOCKER_HOST=$NOWHERE kc_run build push
assert_rc 1
assert_contains "$OUT" "[$(host_ip 0)] Step 1/"
assert_contains "$ERR" "failed with exit status"
assert_contains "$ERR" "kc-remote-broke"
git revert --no-edit HEAD >/dev/null
KC_BUILDER_DOCKER_HOST=$NOWHERE kc_run build push
assert_rc 0

t "local builder: this machine's docker client (h0's engine), docker build + docker push"
LREPO=$(make_app_repo "$KC_TMP/local-app" 1)
set_builder "$LREPO" "  arch: amd64"
commit_all "$LREPO" "local builder"
cd "$LREPO"
LV=$(git rev-parse HEAD)
KAMAL_C_NO_BUILDX=1 kc_run build push
assert_rc 0
assert_contains "$OUT" "$APP:$LV"
assert_eq "app" "$(label_on 0 "$APP:$LV")"
kc_run build details
assert_rc 0
assert_contains "$OUT" "Builder: "
kc_run build create
assert_rc 0
kc_run build remove
assert_rc 0
no_password

t "-v traces and the audit log never show the registry password"
kc_run build push -v
assert_rc 0
no_password
kc_run build pull -v
assert_rc 0
no_password
assert_not_contains "$(host_sh 1 'cat .kamal/app-audit.log')" "$KC_REGISTRY_PASSWORD"

t "bad input: no Dockerfile in the commit -> exit 3 naming builder.dockerfile; fixed -> 0"
git rm -q Dockerfile && commit_all "$LREPO" "no dockerfile"
kc_run build push
assert_rc 3
assert_contains "$ERR" "builder.dockerfile"
assert_contains "$ERR" "Dockerfile"
git revert --no-edit HEAD >/dev/null
kc_run build push
assert_rc 0

t "bad input: a failing build -> exit 1 with docker's last lines; fixed -> 0"
printf 'RUN echo kc-build-broke && false\n' >>Dockerfile && commit_all "$LREPO" "broken"
kc_run build push
assert_rc 1
assert_contains "$ERR" "build of"
assert_contains "$ERR" "kc-build-broke"
git revert --no-edit HEAD >/dev/null
kc_run build push
assert_rc 0

t "bad input: builder.secrets without buildx -> exit 3 naming builder.secrets, nothing run"
set_builder "$LREPO" "  arch: amd64
  secrets: [GITHUB_TOKEN]"
kc_run build push
assert_rc 3
assert_contains "$ERR" "builder.secrets"
git checkout -q config/deploy.yml

t "bad input: no git repository and no --version -> exit 3; with --version it builds"
NOGIT=$KC_TMP/nogit
mkdir -p "$NOGIT" && cp -R "$LREPO/." "$NOGIT/" && rm -rf "$NOGIT/.git"
cd "$NOGIT"
kc_run build push
assert_rc 3
assert_contains "$ERR" "no git repository"
assert_contains "$ERR" "--version"
kc_run build push --version=nogit-1
assert_rc 0
assert_eq "app" "$(label_on 0 "$APP:nogit-1")"
cd "$LREPO"

t "bad input: the registry refuses the push (wrong password) -> exit 1; fixed -> 0"
cp .kamal/secrets "$KC_TMP/secrets.good"
echo 'KAMAL_REGISTRY_PASSWORD=wrong-password-1234' >.kamal/secrets
kc_run build push
assert_rc 1
assert_contains "$ERR" "docker login"
assert_not_contains "$ERR" "wrong-password-1234"
cp "$KC_TMP/secrets.good" .kamal/secrets
kc_run build push
assert_rc 0

t "bad input: an unreachable registry -> exit 1 naming it"
sed -i "s|server: $KC_REGISTRY|server: $KC_NET.1:5999|" config/deploy.yml
kc_run build push
assert_rc 1
assert_contains "$ERR" "$KC_NET.1:5999"
git checkout -q config/deploy.yml

t "bad input: an unreachable builder host -> exit 4"
set_builder "$LREPO" "  arch: amd64
  remote: ssh://root@$KC_NET.250
  local: false"
KAMAL_C_CONNECT_TIMEOUT=2 KC_BUILDER_DOCKER_HOST=$NOWHERE kc_run build push
assert_rc 4
git checkout -q config/deploy.yml

t "bad input: a local registry (localhost:PORT) -> exit 3 before anything runs"
sed -i "s|server: $KC_REGISTRY|server: localhost:5555|" config/deploy.yml
kc_run build push
assert_rc 3
assert_contains "$ERR" "localhost:5555"
kc_run build pull
assert_rc 3
git checkout -q config/deploy.yml
