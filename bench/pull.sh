#!/usr/bin/env bash
# Pull throughput, rootless, each run against an empty store: `skiff pull` of a
# ~200 MiB (uncompressed) 5-layer image from the loopback registry, against
# `skopeo copy docker://... oci:DIR` (fetch only, no unpack), rootless
# `podman pull`, and the floor: the manifest with curl, then every layer blob
# with `curl | tar -xz`, all layers in parallel.
#
#   sudo bench/pull.sh           (as root: measures as $BENCH_USER, default skifftest)
#
# Environment: RUNS (default 3), BIG_MIB (default 200), BIG_LAYERS (default 5),
# BENCH_CACHE (where the generated layout is kept between runs, default
# /tmp/skiff-bench-cache), and those described in bench/lib.sh.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-3}
BIG_MIB=${BIG_MIB:-200}
BIG_LAYERS=${BIG_LAYERS:-5}
BENCH_CACHE=${BENCH_CACHE:-/tmp/skiff-bench-cache}

need_tools hyperfine:hyperfine podman:podman skopeo:skopeo jq:jq curl:curl python3:python3
bench_setup
bench_registry
REPO=bench/big-$BIG_MIB-$BIG_LAYERS
IMG=$SKIFF_REG_PLAIN/$REPO:latest

echo "# skiff pull bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, user $BENCH_USER"
echo "# load before: $bench_uptime_before"

# --- the image: generated once (deterministic), pushed to the registry
layout=$BENCH_CACHE/big-v1-$BIG_MIB-$BIG_LAYERS
if [[ ! -f $layout/index.json ]]; then
    log "generating a $BIG_MIB MiB image in $BIG_LAYERS layers (takes ~30 s)"
    mkdir -p "$BENCH_CACHE"
    rm -rf "$layout.tmp"
    python3 "$bench_repo/bench/mkbig.py" "$layout.tmp" "$BIG_MIB" "$BIG_LAYERS" >&2
    mv "$layout.tmp" "$layout"
fi
skopeo copy -q --insecure-policy --dest-tls-verify=false "oci:$layout:latest" "docker://$IMG" ||
    die "skopeo copy to $IMG failed"
manifest=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$SKIFF_REG_PLAIN/v2/$REPO/manifests/latest") || die "cannot read the manifest of $IMG"
echo "# image: $IMG: $(jq '.layers | length' <<<"$manifest") layers," \
    "$(jq '[.layers[].size] | add / 1048576 * 10 | round / 10' <<<"$manifest") MiB compressed, ~$BIG_MIB MiB unpacked"

# --- the floor: manifest, then all layers fetched and extracted in parallel
cat >"$W/floor.sh" <<EOF
#!/bin/bash
set -e
base=http://$SKIFF_REG_PLAIN/v2/$REPO
rm -rf "$W/floor"; mkdir -p "$W/floor"
digests=\$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "\$base/manifests/latest" |
    jq -r '.layers[].digest')
pids=()
for d in \$digests; do
    mkdir -p "$W/floor/\${d#sha256:}"
    (curl -sf "\$base/blobs/\$d" | tar -xz -C "$W/floor/\${d#sha256:}") & pids+=(\$!)
done
for p in "\${pids[@]}"; do wait \$p; done
EOF
chmod 755 "$W/floor.sh"

podman_config
[[ $(id -u) == 0 ]] && chown "$BENCH_USER:" "$W"
SKIFF_STORE="$UH/.local/share/skiff $URUN/skiff"
# Emptying the stores: their files belong to subordinate uids, so remove them
# inside podman's user namespace (the same mapping skiff uses).
prep_skiff="podman unshare rm -rf $SKIFF_STORE"
prep_skopeo="rm -rf $W/skopeo-oci"
prep_podman="sh -c 'podman rmi -a -f >/dev/null 2>&1; true'"
prep_floor="rm -rf $W/floor"

# Each once, to fail early instead of timing errors.
as_user "$SKIFF_BIN" pull -q --tls-verify=false "$IMG" >/dev/null || die "skiff pull failed"
as_user skopeo copy -q --insecure-policy --src-tls-verify=false "docker://$IMG" "oci:$W/skopeo-oci:latest" ||
    die "skopeo copy failed"
as_user podman pull -q "$IMG" >/dev/null 2>"$W/podman.err" || { cat "$W/podman.err" >&2; die "podman pull failed"; }
as_user "$W/floor.sh" || die "the curl | tar floor failed"
as_user sh -c "du -sk $W/floor" | awk '{ printf "# floor unpacked %.1f MiB\n", $1 / 1024 }'

echo "# load now: $(uptime)"
log "hyperfine: $RUNS runs per command (each after emptying its store)"
as_user hyperfine -N --warmup 1 --runs "$RUNS" --style basic --export-json "$W/pull.json" \
    --prepare "$prep_skiff" -n "skiff pull" "$SKIFF_BIN pull -q --tls-verify=false $IMG" \
    --prepare "$prep_skopeo" -n "skopeo copy (no unpack)" \
    "skopeo copy -q --insecure-policy --src-tls-verify=false docker://$IMG oci:$W/skopeo-oci:latest" \
    --prepare "$prep_podman" -n "podman pull" "podman pull -q $IMG" \
    --prepare "$prep_floor" -n "floor: curl|tar -xz parallel" "$W/floor.sh" \
    >"$W/hyperfine.log" 2>&1 || { cat "$W/hyperfine.log" >&2; die "hyperfine failed"; }

echo
echo "## pull of an empty store (hyperfine --warmup 1 --runs $RUNS), medians"
print_table "$W/pull.json"
jq -r '
    def med($n): [.results[] | select(.command == $n) | .median][0];
    (med("skiff pull")) as $s |
    "skiff / podman pull  = \($s / med("podman pull") * 100 | round / 100)",
    "skiff / skopeo copy  = \($s / med("skopeo copy (no unpack)") * 100 | round / 100)",
    "skiff / floor        = \($s / med("floor: curl|tar -xz parallel") * 100 | round / 100)"' "$W/pull.json"
echo
echo "# load after: $(uptime)"
