#!/usr/bin/env bash
# Build the OCI image layouts the system tests pull (busybox, multilayer,
# multiarch, volumes; corrupt and evil-* for failures) into OUTDIR, with no network, and check each one with skopeo.
#
# Usage: make-fixtures.sh OUTDIR
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: make-fixtures.sh OUTDIR}

# busybox-static's binary; the dynamic busybox package would not run inside a
# container that has no libc.
busybox=/bin/busybox
ldd_out=$(ldd "$busybox" 2>&1 || true) # ldd exits 1 for static binaries
if [[ "$ldd_out" != *"not a dynamic executable"* ]]; then
    echo "make-fixtures: $busybox is not statically linked (install busybox-static)" >&2
    exit 1
fi

rm -rf "$out"
mkdir -p "$out"
python3 "$here/mkimage.py" "$out" "$busybox" >/dev/null

# Independent check of what mkimage.py wrote: skopeo parses the layout, and
# pulling the config through it verifies manifest and config digests.
for fixture in busybox multilayer multiarch volumes corrupt \
    evil-dotdot evil-symlink evil-hardlink evil-absolute; do
    if ! skopeo inspect "oci:$out/$fixture:latest" >/dev/null; then
        echo "make-fixtures: skopeo cannot read $out/$fixture" >&2
        exit 1
    fi
done
# umoci checks the image-spec layout of the single-platform images too.
for fixture in busybox multilayer; do
    umoci ls --layout "$out/$fixture" | grep -qx latest || {
        echo "make-fixtures: umoci does not list tag latest in $out/$fixture" >&2
        exit 1
    }
done
# The world must read the fixtures: the rootless test run uses them too.
chmod -R a+rX "$out"
echo "make-fixtures: built busybox multilayer multiarch volumes corrupt evil-* in $out"
