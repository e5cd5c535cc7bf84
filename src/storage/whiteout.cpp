// OCI whiteouts (".wh.NAME", ".wh..wh..opq") in the two unpack modes.
// Per the image spec a whiteout hides only what *lower* layers put there:
// anything this same layer wrote earlier survives it.
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <vector>

#include "storage/root_fs.hpp"
#include "storage/unpack_internal.hpp"
#include "util/dir_list.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::storage::detail {

namespace {

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }


// Flatten mode: removes from dir (rel dir_rel) everything that lower layers
// put there, keeping what this layer wrote (and descending into it).
void remove_lower_content(UnpackContext& ctx, int dirfd, const std::string& dir_rel) {
    for (const auto& name : list_dir(dirfd)) {
        std::string rel = join(dir_rel, name);
        if (!ctx.in_this_layer(rel)) {
            remove_tree_at(dirfd, name);
            continue;
        }
        int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue; // this layer's non-directory: kept as is
        UniqueFd child(fd);
        remove_lower_content(ctx, child.get(), rel);
    }
}

// Opens dir_rel for flatten-mode deletion; empty fd if it does not exist
// (nothing below to hide).
UniqueFd open_existing_dir(UnpackContext& ctx, const std::string& dir_rel) {
    try {
        return open_in_root(ctx.root, dir_rel, O_RDONLY | O_DIRECTORY);
    } catch (Error& e) {
        if (e.error_number() == ENOENT) return UniqueFd();
        throw;
    }
}

} // namespace

void apply_whiteout(UnpackContext& ctx, const std::string& parent_rel, const std::string& name) {
    std::string rel = join(parent_rel, name);
    ctx.result.whiteouts++;
    if (ctx.opts.whiteouts == WhiteoutMode::flatten) {
        UniqueFd pfd = open_existing_dir(ctx, parent_rel);
        if (!pfd) return;
        if (!ctx.in_this_layer(rel)) {
            remove_tree_at(pfd.get(), name);
            return;
        }
        int fd = ::openat(pfd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            UniqueFd dfd(fd);
            remove_lower_content(ctx, dfd.get(), rel);
        }
        return;
    }

    // Overlay format. Something this layer wrote under that name already
    // hides the lower one; a device would only destroy it.
    if (ctx.in_this_layer(rel)) return;
    UniqueFd pfd = make_dirs_in_root(ctx.root, parent_rel);
    remove_tree_at(pfd.get(), name);
    if (::mknodat(pfd.get(), name.c_str(), S_IFCHR | 0000, makedev(0, 0)) < 0) {
        if (errno == EPERM)
            throw_errno("creating the overlay whiteout device for '" + rel +
                        "' (mknod c 0 0 needs root, or a user namespace on kernel >= 5.11)");
        throw_errno("creating the overlay whiteout device for '" + rel + "'");
    }
}

void apply_opaque(UnpackContext& ctx, const std::string& dir_rel) {
    ctx.result.opaque_dirs++;
    if (ctx.opts.whiteouts == WhiteoutMode::flatten) {
        UniqueFd dfd = open_existing_dir(ctx, dir_rel);
        if (dfd) remove_lower_content(ctx, dfd.get(), dir_rel);
        ctx.mark_written(dir_rel);
        return;
    }
    UniqueFd dfd = make_dirs_in_root(ctx.root, dir_rel);
    const char* xattr =
        ctx.opts.opaque_xattr == OpaqueXattr::user ? "user.overlay.opaque" : "trusted.overlay.opaque";
    if (::fsetxattr(dfd.get(), xattr, "y", 1, 0) < 0)
        throw_errno(std::string("marking '") + (dir_rel.empty() ? "/" : dir_rel) + "' opaque (" + xattr + ")");
}

} // namespace skiff::storage::detail
