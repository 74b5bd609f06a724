#!/usr/bin/env bash
# Builds and runs gosemver.go offline against Debian's golang-golang-x-mod-dev.
# Exit status 3 when Go or x/mod is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/golang.org/x/mod/semver ]; then
  echo "go or golang.org/x/mod (golang-golang-x-mod-dev) not installed" >&2
  exit 3
fi
export GOPATH=/usr/share/gocode GO111MODULE=off GOTOOLCHAIN=local
export GOCACHE="${GOCACHE:-${TMPDIR:-/tmp}/patchloop-gocache}"
exec go run "$here/gosemver.go" "$@"
