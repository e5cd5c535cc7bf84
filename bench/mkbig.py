#!/usr/bin/env python3
"""Write a synthetic multi-layer OCI image layout for bench/pull.sh, offline.

Usage: mkbig.py OUTDIR [TOTAL_MIB] [LAYERS]

LAYERS gzip layers (default 5) of real files adding up to about TOTAL_MIB
(default 200) uncompressed: per layer a directory tree of files from 4 KiB to
4 MiB, half of them random bytes (incompressible) and half text-like
(compressible), as in real images (binaries plus text).  Deterministic: a
fixed seed, mtimes, owners and gzip header, so reruns give the same digests.
The image's tag is "latest".
"""

import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile

MTIME = 1704067200
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def blob(out, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d


def text_like(rng, n):
    words = [b"skiff", b"layer", b"container", b"image", b"rootless", b"overlay",
             b"registry", b"manifest", b"digest", b"config", b"\n", b"0123456789"]
    parts, size = [], 0
    while size < n:
        w = rng.choice(words)
        parts.append(w + b" ")
        size += len(w) + 1
    return b"".join(parts)[:n]


def make_layer(rng, index, budget):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def add_dir(name):
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, MTIME
            tar.addfile(ti)
        add_dir("opt")
        add_dir(f"opt/layer{index}")
        used, n = 0, 0
        while used < budget:
            if n % 64 == 0:
                add_dir(f"opt/layer{index}/d{n // 64:03d}")
            size = min(budget - used, int(rng.choice([4, 16, 64, 256, 1024, 4096]) * 1024))
            data = rng.randbytes(size) if n % 2 == 0 else text_like(rng, size)
            ti = tarfile.TarInfo(f"opt/layer{index}/d{n // 64:03d}/f{n:05d}")
            ti.size, ti.mode, ti.mtime = size, 0o644, MTIME
            tar.addfile(ti, io.BytesIO(data))
            used += size
            n += 1
    raw = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", compresslevel=6, mtime=0) as g:
        g.write(raw)
    return raw, gz.getvalue()


def main():
    out = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    nlayers = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    rng = random.Random(20240101)
    layers, diff_ids = [], []
    for i in range(nlayers):
        raw, gz = make_layer(rng, i, total * 1024 * 1024 // nlayers)
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        layers.append({"mediaType": MT_LAYER, "digest": blob(out, gz), "size": len(gz)})
    config = {
        "created": "2024-01-01T00:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": f"bench layer {i}"}
                    for i in range(nlayers)],
    }
    cfg = json.dumps(config, sort_keys=True).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": blob(out, cfg), "size": len(cfg)},
        "layers": layers,
    }
    man = json.dumps(manifest, sort_keys=True).encode()
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": manifest["mediaType"], "digest": blob(out, man),
                       "size": len(man),
                       "annotations": {"org.opencontainers.image.ref.name": "latest"}}],
    }
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(f"{nlayers} layers, {sum(l['size'] for l in layers) / 2**20:.1f} MiB compressed, "
          f"{total} MiB uncompressed")


if __name__ == "__main__":
    main()
