#!/usr/bin/env bash
# Install every Debian package that building skiff and running its tests needs.
#
# CI runs on a fresh-ish Debian 12 machine where only Debian's apt mirror is
# reachable, so the project must install its own dependencies.  Local reruns
# should be fast, so we skip apt entirely when dpkg already knows every package.
set -euo pipefail

PACKAGES=(
    # build
    meson ninja-build pkg-config g++
    libcli11-dev libfmt-dev libseccomp-dev libcap-dev libyaml-cpp-dev catch2
    libcurl4-openssl-dev libarchive-dev libssl-dev nlohmann-json3-dev
    libslirp-dev libglib2.0-dev scdoc
    # test rig: registry, image tooling, rootless helpers
    bats docker-registry skopeo umoci busybox-static uidmap fuse-overlayfs fuse3
    openssl apache2-utils jq curl python3 zstd iproute2 util-linux passwd
    dnsmasq-base
    # benchmarks / peers compared against
    hyperfine podman runc
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    # dpkg-query prints "install ok installed" only for fully installed packages;
    # a removed-but-configured package ("deinstall ok config-files") is missing.
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#PACKAGES[@]} packages already installed"
    exit 0
fi

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
if ((EUID != 0)); then
    echo "install-deps: must run as root to install packages" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Install the whole list, not only the missing ones: apt resolves them together
# and leaves already-present packages alone.
apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
echo "install-deps: done"
