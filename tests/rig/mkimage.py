#!/usr/bin/env python3
"""Build skiff's test images as OCI image layouts, offline and reproducibly.

The test rig has no internet, so it cannot pull busybox/alpine from a public
registry. Instead we assemble images from the host's static busybox binary.

Every byte is deterministic (fixed mtimes, uids, sorted tar entries, gzip
header mtime 0, no uname/gname) so a rerun on the same machine gives the same
digests; tests may compare digests across runs.

Usage: mkimage.py OUTDIR [BUSYBOX]
Produces OUTDIR/{busybox,multilayer,multiarch,volumes}, the failure fixtures
OUTDIR/corrupt (a layer the rig corrupts in a registry's storage) and
OUTDIR/evil-{dotdot,symlink,hardlink,absolute} (hostile layer tars), each an
OCI layout with the tag "latest", and OUTDIR/digests.json (fixture -> top-level manifest/index
digest).
"""

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

MTIME = 1704067200  # 2024-01-01T00:00:00Z, fixed so digests are stable
CREATED = "2024-01-01T00:00:00Z"

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "tester:x:1000:1000:tester:/home/tester:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
)
GROUP = "root:x:0:\ntester:x:1000:\nnogroup:x:65534:\n"


class Layer:
    """An in-memory layer: path -> tar entry, serialised deterministically."""

    def __init__(self):
        self.entries = {}
        self._cache = None  # (raw tar, gzip) once serialised; layers are shared

    def _add(self, path, kind, mode, uid, gid, data=b"", link=""):
        path = path.strip("/")
        # Implicit parents: root-owned 0755 unless added explicitly (earlier or later).
        parts = path.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            self.entries.setdefault(parent, (tarfile.DIRTYPE, 0o755, 0, 0, b"", ""))
        self.entries[path] = (kind, mode, uid, gid, data, link)

    def dir(self, path, mode=0o755, uid=0, gid=0):
        self._add(path, tarfile.DIRTYPE, mode, uid, gid)

    def file(self, path, data, mode=0o644, uid=0, gid=0):
        if isinstance(data, str):
            data = data.encode()
        self._add(path, tarfile.REGTYPE, mode, uid, gid, data)

    def symlink(self, path, target, uid=0, gid=0):
        self._add(path, tarfile.SYMTYPE, 0o777, uid, gid, link=target)

    def hardlink(self, path, target):
        self._add(path, tarfile.LNKTYPE, 0o644, 0, 0, link=target.strip("/"))

    def raw(self, name, kind, data=b"", link="", mode=0o644):
        """An entry named exactly NAME: no normalisation, no implicit parents.
        Only for the hostile fixtures ('../x', '/abs', links out of the root)."""
        if isinstance(data, str):
            data = data.encode()
        self.entries[name] = (kind, mode, 0, 0, data, link)

    def whiteout(self, path):
        """Delete PATH from lower layers (OCI '.wh.NAME' marker)."""
        head, name = os.path.split(path.strip("/"))
        self.file(os.path.join(head, ".wh." + name), b"", mode=0o644)

    def opaque(self, path):
        """Hide everything lower layers had in directory PATH."""
        self.file(os.path.join(path.strip("/"), ".wh..wh..opq"), b"", mode=0o644)

    def blobs(self):
        """Return (uncompressed tar, gzip-compressed tar), computed once."""
        if self._cache is None:
            raw = self.tar()
            gz = io.BytesIO()
            # filename='' and mtime=0 keep the gzip header reproducible.
            with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=0) as g:
                g.write(raw)
            self._cache = (raw, gz.getvalue())
        return self._cache

    def tar(self):
        def key(p):
            # Parents before children; within a directory, whiteouts first
            # (the OCI spec asks for opaque markers before siblings).
            return tuple((0 if c.startswith(".wh.") else 1, c) for c in p.split("/"))

        ordered = sorted(self.entries, key=key)
        # A hardlink must come after its target in the archive.
        ordered = [p for p in ordered if self.entries[p][0] != tarfile.LNKTYPE] + [
            p for p in ordered if self.entries[p][0] == tarfile.LNKTYPE
        ]
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for path in ordered:
                kind, mode, uid, gid, data, link = self.entries[path]
                ti = tarfile.TarInfo(path)
                ti.type = kind
                ti.mode = mode
                ti.uid, ti.gid = uid, gid
                ti.uname = ti.gname = ""
                ti.mtime = MTIME
                ti.linkname = link
                if kind == tarfile.REGTYPE:
                    ti.size = len(data)
                    tf.addfile(ti, io.BytesIO(data))
                else:
                    tf.addfile(ti)
        return buf.getvalue()


class Layout:
    """Writes blobs into an OCI image layout directory."""

    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(root, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)

    def blob(self, data, media_type, **extra):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        path = os.path.join(self.root, "blobs", "sha256", digest[7:])
        if not os.path.exists(path):
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.rename(tmp, path)
        desc = {"mediaType": media_type, "digest": digest, "size": len(data)}
        desc.update(extra)
        return desc

    def json_blob(self, obj, media_type, **extra):
        data = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
        return self.blob(data, media_type, **extra)

    def image(self, layers, config, arch="amd64", comment="skiff test fixture"):
        """Write layers + config + manifest; return the manifest descriptor."""
        layer_descs, diff_ids, history = [], [], []
        for i, layer in enumerate(layers):
            raw, gz = layer.blobs()
            diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
            layer_descs.append(self.blob(gz, MT_LAYER_GZ))
            history.append({"created": CREATED, "created_by": f"mkimage.py layer {i}",
                            "comment": comment})
        cfg = {
            "created": CREATED,
            "architecture": arch,
            "os": "linux",
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }
        cfg_desc = self.json_blob(cfg, MT_CONFIG)
        manifest = {
            "schemaVersion": 2,
            "mediaType": MT_MANIFEST,
            "config": cfg_desc,
            "layers": layer_descs,
            "annotations": {"org.opencontainers.image.created": CREATED},
        }
        return self.json_blob(manifest, MT_MANIFEST,
                              platform={"architecture": arch, "os": "linux"})

    def tag(self, desc, name="latest"):
        d = dict(desc)
        d.pop("platform", None)
        d["annotations"] = {"org.opencontainers.image.ref.name": name}
        index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [d]}
        with open(os.path.join(self.root, "index.json"), "w") as f:
            json.dump(index, f, sort_keys=True, indent=1)
        return desc["digest"]


def base_config(fixture, arch="amd64"):
    return {
        "Env": [PATH_ENV, f"FIXTURE={fixture}"],
        "Cmd": ["sh"],
        "WorkingDir": "/",
        "ExposedPorts": {"8080/tcp": {}},
        "Labels": {"org.skiff.fixture": fixture, "org.skiff.arch": arch,
                   "maintainer": "skiff test rig"},
    }


def base_fs(layer):
    """Directories and account files every fixture shares."""
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin",
              "etc", "var", "run", "proc", "sys", "dev", "mnt", "home"):
        layer.dir(d)
    layer.dir("tmp", mode=0o1777)
    layer.dir("var/tmp", mode=0o1777)
    layer.dir("root", mode=0o700)
    layer.dir("home/tester", mode=0o755, uid=1000, gid=1000)
    layer.file("etc/passwd", PASSWD)
    layer.file("etc/group", GROUP)
    layer.file("etc/hostname", "skiff-fixture\n")


def busybox_layer(busybox):
    layer = Layer()
    base_fs(layer)
    with open(busybox, "rb") as f:
        layer.file("bin/busybox", f.read(), mode=0o755)
    # --list-full gives each applet's canonical place (bin/sh, usr/bin/env, ...).
    applets = subprocess.run([busybox, "--list-full"], check=True,
                             capture_output=True, text=True).stdout.split()
    for path in sorted(set(applets)):
        if path != "bin/busybox":
            layer.symlink(path, "/bin/busybox")
    return layer


def multilayer_layers():
    """Layers exercising ownership, links, setuid, whiteouts and opaque dirs."""
    l1 = Layer()
    l1.dir("data", mode=0o755)
    l1.file("data/owned-root", "root\n", uid=0, gid=0)
    l1.file("data/owned-tester", "tester\n", uid=1000, gid=1000)
    l1.file("data/owned-nobody", "nobody\n", uid=65534, gid=65534)
    l1.dir("data/tester-dir", mode=0o750, uid=1000, gid=1000)
    l1.file("data/tester-dir/inside", "inside\n", uid=1000, gid=1000)
    l1.symlink("data/symlink", "owned-tester")
    l1.symlink("data/abs-symlink", "/etc/passwd")
    l1.file("data/hardlink-target", "same inode\n")
    l1.hardlink("data/hardlink", "data/hardlink-target")
    l1.file("usr/local/bin/suid-tool", "#!/bin/sh\nid\n", mode=0o4755)
    l1.file("data/to-delete", "this file is deleted by a whiteout\n")
    l1.dir("data/opaque")
    l1.file("data/opaque/lower-a", "lower a\n")
    l1.file("data/opaque/lower-b", "lower b\n")
    l1.file("data/nested/a/b/c/deep.txt", "deep\n")

    l2 = Layer()
    l2.whiteout("data/to-delete")
    l2.dir("data/opaque")
    l2.opaque("data/opaque")
    l2.file("data/opaque/upper-new", "upper\n")
    l2.file("data/layer2", "layer2\n")

    l3 = Layer()
    l3.file("data/owned-root", "root, modified in layer 3\n")  # overwrite
    l3.file("data/nested/a/b/c/deeper/leaf.txt", "leaf\n", uid=1000, gid=1000)
    l3.whiteout("etc/hostname")  # delete a file from the busybox base layer
    l3.file("etc/multilayer-marker", "3\n")
    return [l1, l2, l3]


def volumes_layer():
    """Content to seed volumes with, a VOLUME, and symlinks that point mount
    targets (and cp paths) outside the root: none may lead to the host."""
    layer = Layer()
    layer.dir("seeded", mode=0o750, uid=1000, gid=1000)
    layer.file("seeded/hello", "seed\n", mode=0o640, uid=1000, gid=1000)
    layer.file("seeded/sub/deep", "deep\n")
    layer.symlink("seeded/link", "/etc/passwd")
    layer.dir("anon")
    layer.file("anon/marker", "from image\n")
    layer.symlink("data-etc", "/etc")
    layer.symlink("up", "../../../..")
    layer.symlink("out", "/")
    layer.symlink("a", "../../../../etc")
    return layer


def arch_layer(arch):
    layer = Layer()
    layer.file("etc/arch", arch + "\n")
    return layer


# Where the hostile layers try to write on the host. The tests check these
# paths stay absent; the names say what wrote them.
ESCAPE_DIR = "/tmp"
ESCAPES = {
    "dotdot": "skiff-evil-dotdot-escaped",
    "symlink": "skiff-evil-symlink-escaped",
    "hardlink": "skiff-evil-hardlink-escaped",
    "absolute": "skiff-evil-absolute-escaped",
}
UP = "../" * 24  # more levels than any store path has: resolves to /


def hostile_layers():
    """One layer per attack on extraction, each a complete little image:
      dotdot    a file named ../../..../tmp/NAME
      symlink   a symlink to a host directory, then a file written through it
      hardlink  hard links to a host file, by '..' and by absolute name
      absolute  a file named /tmp/NAME (contained: lands inside the image)
    """
    out = {}
    reg = tarfile.REGTYPE
    l = Layer()
    l.file("etc/evil", "dotdot\n")
    l.raw(UP + ESCAPE_DIR.strip("/") + "/" + ESCAPES["dotdot"], reg, "escaped via ..\n")
    out["dotdot"] = l
    l = Layer()
    l.file("etc/evil", "symlink\n")
    l.raw("escape", tarfile.SYMTYPE, link=UP + ESCAPE_DIR.strip("/"), mode=0o777)
    l.raw("escape/" + ESCAPES["symlink"], reg, "escaped via a symlink\n")
    out["symlink"] = l
    l = Layer()
    l.file("etc/evil", "hardlink\n")
    l.raw("passwd-link", tarfile.LNKTYPE, link=UP + "etc/passwd")
    l.raw(ESCAPES["hardlink"], tarfile.LNKTYPE, link="/etc/passwd")
    out["hardlink"] = l
    l = Layer()
    l.file("etc/evil", "absolute\n")
    l.raw(ESCAPE_DIR + "/" + ESCAPES["absolute"], reg, "absolute name\n")
    out["absolute"] = l
    return out


def corrupt_layer():
    """A layer no other fixture shares (the rig overwrites its blob in the
    registry's storage): 256 KiB of deterministic noise."""
    layer = Layer()
    noise = b"".join(hashlib.sha256(b"skiff-corrupt-%d" % i).digest() for i in range(8192))
    layer.file("corrupt/noise.bin", noise)
    return layer


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = sys.argv[1]
    busybox = sys.argv[2] if len(sys.argv) == 3 else "/bin/busybox"
    bb = busybox_layer(busybox)
    digests = {}

    lay = Layout(os.path.join(out, "busybox"))
    digests["busybox"] = lay.tag(lay.image([bb], base_config("busybox")))

    lay = Layout(os.path.join(out, "multilayer"))
    cfg = base_config("multilayer")
    cfg["Cmd"] = ["ls", "-la", "/data"]
    digests["multilayer"] = lay.tag(lay.image([bb] + multilayer_layers(), cfg))

    lay = Layout(os.path.join(out, "volumes"))
    cfg = base_config("volumes")
    cfg["Volumes"] = {"/anon": {}}
    digests["volumes"] = lay.tag(lay.image([bb, volumes_layer()], cfg))

    # Image index with two platforms. There is no arm64 busybox on an amd64 host,
    # so the arm64 image is only account files and a marker: enough to check that
    # platform selection picked it.
    lay = Layout(os.path.join(out, "multiarch"))
    amd = lay.image([bb, arch_layer("amd64")], base_config("multiarch", "amd64"), "amd64")
    arm_base = Layer()
    base_fs(arm_base)
    arm = lay.image([arm_base, arch_layer("arm64")], base_config("multiarch", "arm64"),
                    "arm64")
    index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [amd, arm]}
    digests["multiarch"] = lay.tag(lay.json_blob(index, MT_INDEX))
    digests["multiarch-amd64"] = amd["digest"]
    digests["multiarch-arm64"] = arm["digest"]

    # Fixtures for failures: a blob the rig corrupts, and hostile layers.
    lay = Layout(os.path.join(out, "corrupt"))
    corrupt = corrupt_layer()
    digests["corrupt"] = lay.tag(lay.image([corrupt], base_config("corrupt")))
    digests["corrupt-layer"] = "sha256:" + hashlib.sha256(corrupt.blobs()[1]).hexdigest()
    for name, layer in hostile_layers().items():
        lay = Layout(os.path.join(out, "evil-" + name))
        digests["evil-" + name] = lay.tag(lay.image([layer], base_config("evil-" + name)))

    with open(os.path.join(out, "digests.json"), "w") as f:
        json.dump(digests, f, sort_keys=True, indent=1)
    print(json.dumps(digests, sort_keys=True, indent=1))


if __name__ == "__main__":
    main()
