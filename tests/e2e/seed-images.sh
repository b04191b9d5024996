#!/usr/bin/env bash
# seed-images.sh - build the e2e test images on the builder host h0 and push them to the
# bed's registry (never uses the machine's own dockerd or ~/.docker). Idempotent: a tag the
# registry already has is skipped; KC_SEED_FORCE=1 rebuilds everything.
#
#   $KC_REGISTRY/kc/busybox:1   busybox-static rootfs (docker import), ENV PATH=/bin
#   $KC_REGISTRY/kc/web:1, :2   busybox httpd -f -p 80 -h /www; /index.html "web v1" / "web v2",
#                               /up "OK", /version "1" / "2"; LABEL service=web
#   $KC_REGISTRY/kc/healthy:1   kc/web:1 + HEALTHCHECK (wget /up); /index.html "healthy v1"
#   $KC_REGISTRY/kc/crash:1     CMD exits 1 immediately
#   $KC_REGISTRY/basecamp/kamal-proxy:v0.9.2   the real kamal-proxy (proxy-binary.sh builds it
#                               from its Go module, once) in an image shaped like the published
#                               one; :v0.8.7 is the same image under a tag Kamal refuses as too old
# Dockerfiles: tests/e2e/images/<name>/Dockerfile. KC_BED=B seeds bed B's registry.
set -euo pipefail
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
eval "$("$HERE/hosts.sh" env)"
"$HERE/hosts.sh" status >/dev/null || {
  "$HERE/hosts.sh" status >&2 || true
  echo "seed-images.sh: the test bed ${KC_BED:-0} is not up: run KC_BED=${KC_BED:-0} $HERE/hosts.sh up N" >&2
  exit 1
}
export DOCKER_CONFIG=$KC_DOCKER_CONFIG DOCKER_HOST=$KC_BUILDER_DOCKER_HOST DOCKER_BUILDKIT=0
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
D=$KC_DOCKER_CLI                     # docker 20.10 client, same as the daemons (legacy builder)
R=$KC_REGISTRY
PROXY=${KC_PROXY_IMAGE#"$R/"} PROXY_OLD=${KC_PROXY_IMAGE_OLD#"$R/"}    # basecamp/kamal-proxy:TAG
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

log() { printf '%s seed-images: %s\n' "$(date +%T.%3N)" "$*" >&2; }

has_tag() {      # has_tag REPO:TAG - does the registry have this manifest?
  local repo=${1%:*} tag=${1##*:}
  curl -fsS --max-time 10 --cacert "$KC_REGISTRY_CA" -u "$KC_REGISTRY_USER:$KC_REGISTRY_PASSWORD" \
    -I -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "https://$R/v2/$repo/manifests/$tag" 2>/dev/null
}

need() {         # need REPO:TAG - true if it must be built
  [[ ${KC_SEED_FORCE:-} == 1 ]] && return 0
  if has_tag "$1"; then log "$R/$1: in the registry, skipped"; return 1; fi
  return 0
}

push() {
  "$D" push "$R/$1" >"$T/push.log" 2>&1 || { cat "$T/push.log" >&2; exit 1; }
  log "$R/$1: pushed"
}

build() {        # build REPO:TAG DIR [BUILD-ARG...]
  local ref=$1 dir=$2 a args=(); shift 2
  for a in REGISTRY="$R" "$@"; do args+=(--build-arg "$a"); done
  "$D" build -q "${args[@]}" -t "$R/$ref" "$dir" >"$T/build.log" 2>&1 ||
    { cat "$T/build.log" >&2; exit 1; }
  push "$ref"
}

start=$SECONDS
echo "$KC_REGISTRY_PASSWORD" |
  "$D" login -u "$KC_REGISTRY_USER" --password-stdin "$R" >"$T/login.log" 2>&1 ||
  { cat "$T/login.log" >&2; exit 1; }

if need kc/busybox:1; then
  rootfs=$T/rootfs
  mkdir -p "$rootfs"/{bin,etc,root,tmp,www}
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  while read -r applet; do                    # `busybox` itself is in the list: a self-link
    [[ $applet == busybox ]] || ln -s busybox "$rootfs/bin/$applet"  # would loop
  done < <("$rootfs/bin/busybox" --list)
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -c . |
    "$D" import -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - "$R/kc/busybox:1" >/dev/null
  push kc/busybox:1
fi
if need kc/web:1; then build kc/web:1 "$HERE/images/web" VERSION=1; fi
if need kc/web:2; then build kc/web:2 "$HERE/images/web" VERSION=2; fi
if need kc/healthy:1; then build kc/healthy:1 "$HERE/images/healthy"; fi
if need kc/crash:1; then build kc/crash:1 "$HERE/images/crash"; fi
if need "$PROXY"; then               # Go builds the binary once; its cache outlives the bed
  bin=$("$HERE/proxy-binary.sh")
  mkdir "$T/proxy"
  cp "$HERE/images/kamal-proxy/Dockerfile" "$bin" "$T/proxy/"
  build "$PROXY" "$T/proxy"
fi
if need "$PROXY_OLD"; then
  "$D" pull -q "$R/$PROXY" >/dev/null && "$D" tag "$R/$PROXY" "$R/$PROXY_OLD" && push "$PROXY_OLD"
fi

for ref in kc/busybox:1 kc/web:1 kc/web:2 kc/healthy:1 kc/crash:1 "$PROXY" "$PROXY_OLD"; do
  has_tag "$ref" || { log "ERROR: $R/$ref is not in the registry after seeding"; exit 1; }
done
log "done in $((SECONDS - start)) s"
