#include "storage/tree_copy.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "storage/root_fs.hpp"
#include "util/dir_list.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::storage {

namespace {

uid_t owner_uid(const struct stat& st, const CopyOptions& o) { return o.keep_owners ? st.st_uid : o.uid; }
gid_t owner_gid(const struct stat& st, const CopyOptions& o) { return o.keep_owners ? st.st_gid : o.gid; }

void copy_owner_times(int dst_dir, const std::string& name, const struct stat& st, const CopyOptions& o) {
    // EINVAL: the owner is not mapped in this user namespace; keep ours.
    if (::fchownat(dst_dir, name.c_str(), owner_uid(st, o), owner_gid(st, o), AT_SYMLINK_NOFOLLOW) < 0 &&
        errno != EINVAL)
        throw_errno("setting the owner of '" + name + "'");
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    ::utimensat(dst_dir, name.c_str(), ts, AT_SYMLINK_NOFOLLOW); // best effort
}

void copy_data(int in, int out, const std::string& name) {
    for (;;) {
        ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
        if (n == 0) return;
        if (n > 0) continue;
        if (errno == EINTR) continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL)
            throw_errno("copying '" + name + "'");
        break; // different file systems, old kernels: read/write
    }
    char buf[64 * 1024];
    for (;;) {
        ssize_t r = ::read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw_errno("reading '" + name + "'");
        if (r == 0) return;
        write_all(out, buf, static_cast<size_t>(r));
    }
}

void copy_file(int src_dir, const std::string& src_name, int dst_dir, const std::string& name, const struct stat& st,
               const CopyOptions& o) {
    UniqueFd in = openat_fd(src_dir, src_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    UniqueFd out = openat_fd(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    copy_data(in.get(), out.get(), name);
    if (::fchown(out.get(), owner_uid(st, o), owner_gid(st, o)) < 0 && errno != EINVAL)
        throw_errno("setting the owner of '" + name + "'");
    // After the chown, which clears setuid bits.
    if (::fchmod(out.get(), st.st_mode & 07777) < 0) throw_errno("setting the mode of '" + name + "'");
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    ::futimens(out.get(), ts);
}

// With overwrite: what is at dst_name goes, unless both are directories
// (then they merge). Returns whether a directory is there to merge into.
bool make_room(int dst_dir, const std::string& name, bool src_is_dir, const CopyOptions& o) {
    struct stat st {};
    if (::fstatat(dst_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return false;
        throw_errno("reading '" + name + "'");
    }
    if (!o.overwrite) throw Error("'" + name + "' exists", EEXIST);
    if (src_is_dir && S_ISDIR(st.st_mode)) return true;
    remove_tree_at(dst_dir, name);
    return false;
}

} // namespace

void copy_entry(int src_dir, const std::string& src_name, int dst_dir, const std::string& name,
                const CopyOptions& o) {
    struct stat st {};
    if (::fstatat(src_dir, src_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("reading '" + src_name + "'");
    bool merge = make_room(dst_dir, name, S_ISDIR(st.st_mode), o);
    if (S_ISREG(st.st_mode)) {
        copy_file(src_dir, src_name, dst_dir, name, st, o);
    } else if (S_ISDIR(st.st_mode)) {
        if (!merge && ::mkdirat(dst_dir, name.c_str(), 0700) < 0) throw_errno("creating '" + name + "'");
        UniqueFd s = openat_fd(src_dir, src_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        UniqueFd d = openat_fd(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        with_context("in '" + name + "'", [&] { copy_tree(s.get(), d.get(), o); });
        if (::fchown(d.get(), owner_uid(st, o), owner_gid(st, o)) < 0 && errno != EINVAL)
            throw_errno("setting the owner of '" + name + "'");
        if (::fchmod(d.get(), st.st_mode & 07777) < 0) throw_errno("setting the mode of '" + name + "'");
        struct timespec ts[2] = {st.st_atim, st.st_mtim};
        ::futimens(d.get(), ts);
    } else if (S_ISLNK(st.st_mode)) {
        std::vector<char> buf(static_cast<size_t>(st.st_size) + 2);
        ssize_t n = ::readlinkat(src_dir, src_name.c_str(), buf.data(), buf.size() - 1);
        if (n < 0) throw_errno("reading link '" + src_name + "'");
        buf[static_cast<size_t>(n)] = '\0';
        if (::symlinkat(buf.data(), dst_dir, name.c_str()) < 0) throw_errno("creating link '" + name + "'");
        copy_owner_times(dst_dir, name, st, o);
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        if (::mknodat(dst_dir, name.c_str(), st.st_mode, st.st_rdev) < 0) throw_errno("creating '" + name + "'");
        copy_owner_times(dst_dir, name, st, o);
        ::fchmodat(dst_dir, name.c_str(), st.st_mode & 07777, 0);
    } // sockets are not copied
}

void copy_tree(int src_dir, int dst_dir, const CopyOptions& opts) {
    for (const auto& name : list_dir(src_dir)) copy_entry(src_dir, name, dst_dir, name, opts);
}

void copy_dir_attrs(int src_dir, int dst_dir) {
    struct stat st {};
    if (::fstat(src_dir, &st) < 0) throw_errno("reading a directory's attributes");
    if (::fchown(dst_dir, st.st_uid, st.st_gid) < 0 && errno != EINVAL) throw_errno("setting a directory's owner");
    if (::fchmod(dst_dir, st.st_mode & 07777) < 0) throw_errno("setting a directory's mode");
}

void chown_tree(int dir, uid_t uid, gid_t gid) {
    if (::fchown(dir, uid, gid) < 0) throw_errno("changing the owner of a directory");
    for (const auto& name : list_dir(dir)) {
        if (::fchownat(dir, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
            throw_errno("changing the owner of '" + name + "'");
        struct stat st {};
        if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
            UniqueFd d = openat_fd(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            with_context("in '" + name + "'", [&] { chown_tree(d.get(), uid, gid); });
        }
    }
}

} // namespace skiff::storage
