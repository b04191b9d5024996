#!/usr/bin/env bash
# proxy-binary.sh - the kamal-proxy binary for the test bed, built once from its Go module and
# cached outside the repository; prints its path on stdout.
#
#   CGO_ENABLED=0 GOTOOLCHAIN=local go install github.com/basecamp/kamal-proxy/cmd/kamal-proxy@VERSION
#
# The test bed cannot pull basecamp/kamal-proxy from Docker Hub, so seed-images.sh wraps this
# binary in an image shaped like the published one (images/kamal-proxy/Dockerfile).
# Needs Go >= 1.25 (kamal-proxy's go.mod says 1.25.5) and the Go module proxy; kamal-c itself
# needs no Go. Exits 1 with a message saying what is missing when either cannot be had.
#
# Settings: KC_PROXY_VERSION (v0.9.2), KC_CACHE (/var/cache/kamal-c-bed: the binary is
# $KC_CACHE/kamal-proxy-VERSION/kamal-proxy), KC_GO (the go command; default: go on PATH,
# else /usr/local/go/bin/go). Go's own module and build caches are used as configured.
set -euo pipefail
VERSION=${KC_PROXY_VERSION:-v0.9.2}
CACHE=${KC_CACHE:-/var/cache/kamal-c-bed}
MODULE=github.com/basecamp/kamal-proxy/cmd/kamal-proxy
BIN=$CACHE/kamal-proxy-$VERSION/kamal-proxy

log() { printf '%s proxy-binary: %s\n' "$(date +%T.%3N)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Go's build info in the binary names the module version ("mod<TAB>MODULE<TAB>VERSION")
built_from_module() { [[ -x $1 ]] && grep -qaF "$(printf 'mod\t%s\t%s' "${MODULE%/cmd/*}" "$VERSION")" "$1"; }
if built_from_module "$BIN"; then
  echo "$BIN"
  exit 0
fi

GO=${KC_GO:-$(command -v go || true)}
[[ -n $GO ]] || { [[ -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go; }
[[ -n $GO && -x $GO ]] ||
  die "Go is not installed: the test bed builds kamal-proxy $VERSION from its Go module and needs Go >= 1.25 (https://go.dev/doc/install; Debian 12's golang package is too old). kamal-c itself needs no Go."
gover=$(GOTOOLCHAIN=local "$GO" env GOVERSION 2>/dev/null) || die "$GO does not run"
if [[ ! $gover =~ ^go([0-9]+)\.([0-9]+) ]] ||
  ((BASH_REMATCH[1] < 1 || (BASH_REMATCH[1] == 1 && BASH_REMATCH[2] < 25))); then
  die "$GO is $gover: kamal-proxy $VERSION needs Go >= 1.25 (set KC_GO to a newer go)"
fi

mkdir -p "$CACHE" || die "cannot create the cache $CACHE (set KC_CACHE)"
work=$(mktemp -d "$CACHE/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "building kamal-proxy $VERSION with $gover (once; cached in $CACHE) ..."
start=$(date +%s%N)
export CGO_ENABLED=0 GOTOOLCHAIN=local
if ! GOBIN=$work "$GO" install "$MODULE@$VERSION" >"$work/go.log" 2>&1; then
  # `go install PKG@VERSION` also asks the module proxy for the module's version list (its
  # deprecation check). A proxy that serves versions but refuses lists (403) fails there;
  # the same version builds as the one requirement of a throwaway main module.
  grep -q 'loading deprecation' "$work/go.log" || {
    sed 's/^/  | /' "$work/go.log" >&2
    die "go install $MODULE@$VERSION failed: is the Go module proxy reachable ($("$GO" env GOPROXY))?"
  }
  log "go install could not list the module's versions; building $VERSION as a requirement"
  mkdir "$work/mod"
  printf 'module kamal-c.invalid/bed-kamal-proxy\n\ngo 1.25\n\nrequire %s %s\n' \
    "${MODULE%/cmd/*}" "$VERSION" >"$work/mod/go.mod"
  (cd "$work/mod" && GOFLAGS="${GOFLAGS:-} -mod=mod" "$GO" build -o "$work/kamal-proxy" "$MODULE") \
    >"$work/go.log" 2>&1 || {
    sed 's/^/  | /' "$work/go.log" >&2
    die "building $MODULE@$VERSION failed: is the Go module proxy reachable ($("$GO" env GOPROXY))?"
  }
fi
"$work/kamal-proxy" --help >/dev/null 2>&1 && built_from_module "$work/kamal-proxy" ||
  die "the kamal-proxy built by go install does not run or is not $VERSION"
mkdir -p "${BIN%/*}"
mv -f "$work/kamal-proxy" "$BIN"          # same file system: the cached binary appears whole
log "built $BIN in $((($(date +%s%N) - start) / 1000000)) ms"
echo "$BIN"
