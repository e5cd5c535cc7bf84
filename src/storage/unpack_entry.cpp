// Writing one tar entry inside the root: the parent is resolved in the root,
// the last component is created with *at() calls that never follow a link.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string_view>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/root_fs.hpp"
#include "storage/unpack_internal.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::storage::detail {

void UnpackContext::mark_written(const std::string& rel) {
    written.insert(rel);
    for (auto slash = rel.rfind('/'); slash != std::string::npos; slash = rel.rfind('/', slash - 1)) {
        if (!ancestors.insert(rel.substr(0, slash)).second) break;
        if (slash == 0) break;
    }
    ancestors.insert("");
}

namespace {

timespec entry_time(bool set, time_t sec, long nsec) {
    timespec t{};
    if (set) {
        t.tv_sec = sec;
        t.tv_nsec = nsec;
    } else {
        t.tv_nsec = UTIME_OMIT;
    }
    return t;
}

void entry_times(archive_entry* e, timespec out[2]) {
    out[1] = entry_time(archive_api().archive_entry_mtime_is_set(e), archive_api().archive_entry_mtime(e), archive_api().archive_entry_mtime_nsec(e));
    out[0] = archive_api().archive_entry_atime_is_set(e)
                 ? entry_time(true, archive_api().archive_entry_atime(e), archive_api().archive_entry_atime_nsec(e))
                 : out[1];
}

mode_t entry_perm(archive_entry* e) { return archive_api().archive_entry_perm(e) & 07777; }

// chown failing because the id has no mapping here is counted, not fatal.
void chown_entry(UnpackContext& ctx, int dirfd, const char* name, archive_entry* e, const std::string& rel) {
    if (!ctx.opts.preserve_owner) return;
    auto uid = static_cast<uid_t>(archive_api().archive_entry_uid(e));
    auto gid = static_cast<gid_t>(archive_api().archive_entry_gid(e));
    if (::fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH)) == 0) return;
    if (errno == EPERM || errno == EINVAL) {
        if (ctx.result.chown_failures++ == 0) ctx.result.first_chown_failure = rel;
        return;
    }
    throw_errno("chown " + std::to_string(uid) + ":" + std::to_string(gid));
}

bool want_xattr(const UnpackContext& ctx, std::string_view name) {
    if (name.substr(0, 5) == "user.") return true;
    if (name == "security.capability") return true;
    if (name.substr(0, 8) == "trusted.")
        return ctx.opts.restore_trusted_xattrs && name.substr(0, 16) != "trusted.overlay.";
    return false;
}

// After chown: the kernel drops security.capability on chown.
void set_xattrs(UnpackContext& ctx, int fd, archive_entry* e) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    archive_api().archive_entry_xattr_reset(e);
    while (archive_api().archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (!name || !want_xattr(ctx, name)) continue;
        if (::fsetxattr(fd, name, value, size, 0) < 0) ctx.result.xattr_failures++;
    }
}

// Whatever sits at name is replaced, except that a directory stays a
// directory when the new entry is one too (tar semantics).
void clear_slot(int pfd, const std::string& name, bool keep_dir) {
    struct stat st {};
    if (::fstatat(pfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return;
        throw_errno("inspecting the existing entry");
    }
    if (keep_dir && S_ISDIR(st.st_mode)) return;
    remove_tree_at(pfd, name);
}

void write_dir(UnpackContext& ctx, archive_entry* e, const std::string& rel) {
    UniqueFd dfd;
    if (rel.empty()) {
        dfd = open_in_root(ctx.root, "", O_RDONLY | O_DIRECTORY);
    } else {
        auto [parent, name] = split_parent(rel);
        UniqueFd pfd = make_dirs_in_root(ctx.root, parent);
        clear_slot(pfd.get(), name, true);
        if (::mkdirat(pfd.get(), name.c_str(), 0700) < 0 && errno != EEXIST) throw_errno("mkdir");
        dfd = openat_fd(pfd.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    }
    chown_entry(ctx, dfd.get(), "", e, rel);
    set_xattrs(ctx, dfd.get(), e);
    DirFixup fix;
    fix.mode = entry_perm(e);
    entry_times(e, fix.times);
    ctx.dirs[rel] = fix;
}

void copy_data(UnpackContext& ctx, archive* a, int fd) {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
        int r = archive_api().archive_read_data_block(a, &buf, &size, &offset);
        if (r == ARCHIVE_EOF) return;
        if (r < ARCHIVE_WARN) {
            const char* msg = archive_api().archive_error_string(a);
            throw Error(std::string("reading file data: ") + (msg ? msg : "unknown error"), archive_api().archive_errno(a));
        }
        auto p = static_cast<const char*>(buf);
        size_t left = size;
        off_t at = offset;
        while (left > 0) {
            ssize_t n = ::pwrite(fd, p, left, at);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw_errno("writing file data");
            }
            p += n;
            at += n;
            left -= static_cast<size_t>(n);
        }
        ctx.result.bytes += size;
    }
}

void write_file(UnpackContext& ctx, archive* a, archive_entry* e, const std::string& rel) {
    auto [parent, name] = split_parent(rel);
    UniqueFd pfd = make_dirs_in_root(ctx.root, parent);
    clear_slot(pfd.get(), name, false);
    UniqueFd fd = openat_fd(pfd.get(), name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    copy_data(ctx, a, fd.get());
    if (archive_api().archive_entry_size_is_set(e) && ::ftruncate(fd.get(), archive_api().archive_entry_size(e)) < 0)
        throw_errno("setting the file size"); // sparse tail
    chown_entry(ctx, fd.get(), "", e, rel);
    if (::fchmod(fd.get(), entry_perm(e)) < 0) throw_errno("chmod"); // after chown: keeps setuid
    set_xattrs(ctx, fd.get(), e);
    timespec t[2];
    entry_times(e, t);
    if (::futimens(fd.get(), t) < 0) throw_errno("setting times");
}

void write_symlink(UnpackContext& ctx, archive_entry* e, const std::string& rel) {
    const char* target = archive_api().archive_entry_symlink(e);
    if (!target || !*target) throw Error("symlink without a target");
    auto [parent, name] = split_parent(rel);
    UniqueFd pfd = make_dirs_in_root(ctx.root, parent);
    clear_slot(pfd.get(), name, false);
    // The target is stored verbatim: it is only ever followed by resolution
    // inside the root (here) or inside the container (later).
    if (::symlinkat(target, pfd.get(), name.c_str()) < 0) throw_errno("symlink");
    chown_entry(ctx, pfd.get(), name.c_str(), e, rel);
    timespec t[2];
    entry_times(e, t);
    if (::utimensat(pfd.get(), name.c_str(), t, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("setting times");
}

void write_hardlink(UnpackContext& ctx, archive_entry* e, const std::string& rel) {
    std::string target;
    try {
        target = clean_entry_path(archive_api().archive_entry_hardlink(e));
    } catch (Error& err) {
        throw err.context("hardlink target");
    }
    if (target.empty()) throw Error("hardlink to the root directory");
    auto [tparent, tname] = split_parent(target);
    // Resolved inside the root like everything else, and the last component
    // is not followed: the inode linked is always one inside the root.
    UniqueFd tpfd = open_in_root(ctx.root, tparent, O_PATH | O_DIRECTORY);
    struct stat tst {};
    if (::fstatat(tpfd.get(), tname.c_str(), &tst, AT_SYMLINK_NOFOLLOW) < 0)
        throw_errno("hardlink target '" + target + "'");
    if (S_ISDIR(tst.st_mode)) throw Error("hardlink target '" + target + "' is a directory", EPERM);

    auto [parent, name] = split_parent(rel);
    UniqueFd pfd = make_dirs_in_root(ctx.root, parent);
    struct stat st {};
    if (::fstatat(pfd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == tst.st_dev &&
        st.st_ino == tst.st_ino)
        return; // already that inode
    clear_slot(pfd.get(), name, false);
    if (::linkat(tpfd.get(), tname.c_str(), pfd.get(), name.c_str(), 0) < 0)
        throw_errno("hardlink to '" + target + "'");
}

void write_special(UnpackContext& ctx, archive_entry* e, const std::string& rel, mode_t type) {
    auto [parent, name] = split_parent(rel);
    UniqueFd pfd = make_dirs_in_root(ctx.root, parent);
    clear_slot(pfd.get(), name, false);
    dev_t dev = type == S_IFIFO ? 0 : makedev(archive_api().archive_entry_rdevmajor(e), archive_api().archive_entry_rdevminor(e));
    if (::mknodat(pfd.get(), name.c_str(), type | 0600, dev) < 0) {
        if (type != S_IFIFO && (errno == EPERM || errno == EACCES)) {
            ctx.result.devices_skipped++; // no CAP_MKNOD here: skipped, counted
            return;
        }
        throw_errno("mknod");
    }
    chown_entry(ctx, pfd.get(), name.c_str(), e, rel);
    // We just created a non-symlink here, so following is not an issue; a
    // fifo cannot be opened for fchmod without blocking.
    if (::fchmodat(pfd.get(), name.c_str(), entry_perm(e), 0) < 0) throw_errno("chmod");
    timespec t[2];
    entry_times(e, t);
    if (::utimensat(pfd.get(), name.c_str(), t, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("setting times");
}

} // namespace

void write_entry(UnpackContext& ctx, archive* a, archive_entry* e, const std::string& rel) {
    const char* hl = archive_api().archive_entry_hardlink(e);
    mode_t type = archive_api().archive_entry_filetype(e);
    if (rel.empty() && (hl || type != AE_IFDIR)) throw Error("a non-directory entry names the root");
    if (hl) {
        write_hardlink(ctx, e, rel);
    } else {
        switch (type) {
        case AE_IFDIR: write_dir(ctx, e, rel); break;
        case AE_IFREG: write_file(ctx, a, e, rel); break;
        case AE_IFLNK: write_symlink(ctx, e, rel); break;
        case AE_IFIFO: write_special(ctx, e, rel, S_IFIFO); break;
        case AE_IFCHR: write_special(ctx, e, rel, S_IFCHR); break;
        case AE_IFBLK: write_special(ctx, e, rel, S_IFBLK); break;
        case AE_IFSOCK: return; // sockets are not restored
        default: throw Error("unsupported entry type " + std::to_string(type));
        }
    }
    ctx.mark_written(rel);
}

void finish_dirs(UnpackContext& ctx) {
    // Deepest first, so a parent's times are set after its children changed.
    for (auto it = ctx.dirs.rbegin(); it != ctx.dirs.rend(); ++it) {
        const auto& [rel, fix] = *it;
        int flags = O_RDONLY | O_DIRECTORY | (rel.empty() ? 0 : O_NOFOLLOW);
        UniqueFd dfd;
        try {
            dfd = open_in_root(ctx.root, rel, flags);
        } catch (Error& e) {
            // Replaced or deleted by a later entry: nothing to fix.
            if (e.error_number() == ENOENT || e.error_number() == ELOOP || e.error_number() == ENOTDIR) continue;
            throw e.context("fixing up directory '" + rel + "'");
        }
        if (::fchmod(dfd.get(), fix.mode) < 0) throw_errno("chmod directory '" + rel + "'");
        if (::futimens(dfd.get(), fix.times) < 0) throw_errno("setting times of directory '" + rel + "'");
    }
}

} // namespace skiff::storage::detail
