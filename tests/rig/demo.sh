#!/usr/bin/env bash
# The README's first command: start a registry on loopback with a demo image
# (built here, no internet), then `skiff run --rm` it, showing the pull and
# the container's output. Everything is stopped and removed afterwards.
#
#   demo.sh [SKIFF_BINARY]     (default: build/skiff)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
skiff=${1:-$repo/build/skiff}
state=$(mktemp -d /tmp/skiff-demo.XXXXXX)
store=$state/store

cleanup() {
    bash "$repo/tests/rig/registry.sh" stop "$state" >/dev/null 2>&1 || true
    rm -rf "$state"
}
trap cleanup EXIT

echo "== starting a registry on 127.0.0.1 with a busybox image (takes a few seconds)"
bash "$repo/tests/rig/registry.sh" start "$state" >"$state/registry.log" 2>&1 ||
    { cat "$state/registry.log"; exit 1; }
# shellcheck disable=SC1091
source "$state/rig.env"
image=$SKIFF_REG_PLAIN/skiff/busybox:latest

echo "== skiff run --rm $image (a fresh store: the image is pulled first)"
set -x
"$skiff" --root "$store/root" --runroot "$store/run" --log-level=info \
    run --rm "$image" sh -c 'echo "hello from a skiff container: $(id)"; uname -n; cat /etc/os-release 2>/dev/null | head -1 || true'
