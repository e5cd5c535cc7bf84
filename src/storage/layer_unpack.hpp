// Extracts one layer tar stream (uncompressed, gzip or zstd; detected from
// the bytes) into a directory, without ever writing outside it.
//
// Safety: every entry name is cleaned; a ".." that climbs above the root is
// refused (Error naming the entry); absolute names are taken relative to the
// root; parent directories are resolved with openat2(RESOLVE_IN_ROOT) so a
// symlink in the layer (evil -> /) is followed only *inside* the root; the
// last component is created with *at() calls and O_NOFOLLOW; hardlink targets
// are resolved the same way, so they always name a file inside the root.
// Device nodes that cannot be created (no CAP_MKNOD) are skipped and counted
// in devices_skipped; everything else that fails throws.
//
// unpack_layer is a plain function over (input, target dirfd, options): no
// global state, so a forked helper that has entered the user's ID mapping can
// call it and then _exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace skiff::storage {

enum class WhiteoutMode {
    // Each layer in its own directory, stacked later by overlayfs:
    // ".wh.NAME" becomes a 0/0 character device NAME, ".wh..wh..opq" becomes
    // the overlay opaque xattr on its directory.
    overlay,
    // Every layer unpacked on top of the previous ones in one directory (vfs
    // driver, export): ".wh.NAME" deletes NAME, ".wh..wh..opq" deletes what
    // lower layers put in the directory.
    flatten,
};

// Namespace of the overlay opaque xattr: trusted.overlay.opaque as real root,
// user.overlay.opaque when rootless (overlay mounted with "userxattr").
enum class OpaqueXattr { trusted, user };

struct UnpackOptions {
    WhiteoutMode whiteouts = WhiteoutMode::overlay;
    OpaqueXattr opaque_xattr = OpaqueXattr::trusted;
    bool preserve_owner = true;        // lchown entries to their uid/gid
    bool restore_trusted_xattrs = false; // trusted.* from the tar (never trusted.overlay.*)
    bool compute_diff_id = true;       // sha256 of the uncompressed tar stream
};

struct UnpackResult {
    uint64_t entries = 0;          // tar entries processed (whiteouts included)
    uint64_t bytes = 0;            // regular file content written
    uint64_t tar_bytes = 0;        // size of the uncompressed tar stream
    std::string diff_id;           // "sha256:<hex>" of that stream, if computed
    uint64_t chown_failures = 0;   // EPERM/EINVAL from lchown: id not mapped here
    std::string first_chown_failure; // entry name of the first one, for a warning
    uint64_t xattr_failures = 0;   // xattrs that could not be set (ignored)
    uint64_t whiteouts = 0;        // ".wh.NAME" entries applied
    uint64_t opaque_dirs = 0;      // ".wh..wh..opq" entries applied
    uint64_t devices_skipped = 0;  // char/block devices not created (EPERM)
};

// Fills buf with up to len bytes of the (possibly compressed) layer; returns
// 0 at the end of the stream; throws Error on failure (the error propagates
// out of unpack_layer unchanged).
using LayerReadFn = std::function<size_t(char* buf, size_t len)>;

// Reads the layer from input_fd (a file or a pipe) to its end.
UnpackResult unpack_layer(int input_fd, int target_dirfd, const UnpackOptions& opts = {});
// Pulls the layer through read (e.g. straight from a download).
UnpackResult unpack_layer(const LayerReadFn& read, int target_dirfd, const UnpackOptions& opts = {});

} // namespace skiff::storage
