#include "storage/root_fs.hpp"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#include "util/dir_list.hpp"
#include "util/error.hpp"

namespace skiff::storage {

std::string clean_entry_path(const std::string& name) {
    std::vector<std::string> parts;
    size_t pos = 0;
    while (pos <= name.size()) {
        size_t next = name.find('/', pos);
        if (next == std::string::npos) next = name.size();
        std::string comp = name.substr(pos, next - pos);
        pos = next + 1;
        if (comp.empty() || comp == ".") continue;
        if (comp == "..") {
            if (parts.empty()) throw Error("entry '" + name + "': path escapes the root via '..'");
            parts.pop_back();
            continue;
        }
        parts.push_back(std::move(comp));
    }
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += '/';
        out += p;
    }
    return out;
}

std::pair<std::string, std::string> split_parent(const std::string& rel) {
    auto slash = rel.rfind('/');
    if (slash == std::string::npos) return {"", rel};
    return {rel.substr(0, slash), rel.substr(slash + 1)};
}

namespace {

// Returns -1 with errno set; errno == ENOSYS means "no openat2 here".
int raw_openat2(int rootfd, const std::string& rel, int flags, mode_t mode) {
    struct open_how how {};
    how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const char* p = rel.empty() ? "." : rel.c_str();
    for (int tries = 0;; ++tries) {
        long fd = ::syscall(SYS_openat2, rootfd, p, &how, sizeof how);
        // EAGAIN: a concurrent rename raced the ".." check; retry a bit.
        if (fd < 0 && errno == EAGAIN && tries < 64) continue;
        if (fd < 0 && errno == EINTR) continue;
        return static_cast<int>(fd);
    }
}

// Fallback without openat2: every component opened O_NOFOLLOW; a symlink
// anywhere in the path is refused (ELOOP) rather than resolved.
int walk_nofollow(int rootfd, const std::string& rel, int flags, mode_t mode) {
    if (rel.empty()) return ::openat(rootfd, ".", flags | O_CLOEXEC, mode);
    auto [parent, last] = split_parent(rel);
    UniqueFd cur(::openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!cur) return -1;
    size_t pos = 0;
    while (pos < parent.size()) {
        size_t next = parent.find('/', pos);
        if (next == std::string::npos) next = parent.size();
        std::string comp = parent.substr(pos, next - pos);
        pos = next + 1;
        int fd = ::openat(cur.get(), comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return -1;
        cur.reset(fd);
    }
    return ::openat(cur.get(), last.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

} // namespace

UniqueFd open_in_root(int rootfd, const std::string& rel, int flags, mode_t mode) {
    int fd = raw_openat2(rootfd, rel, flags, mode);
    if (fd < 0 && errno == ENOSYS) fd = walk_nofollow(rootfd, rel, flags, mode);
    if (fd < 0) throw_errno("opening '" + rel + "' inside the root");
    return UniqueFd(fd);
}

UniqueFd make_dirs_in_root(int rootfd, const std::string& rel, mode_t mode) {
    int fd = raw_openat2(rootfd, rel, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0 && errno == ENOSYS) fd = walk_nofollow(rootfd, rel, O_RDONLY | O_DIRECTORY, 0);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != ENOENT || rel.empty()) throw_errno("opening directory '" + rel + "' inside the root");

    auto [parent, last] = split_parent(rel);
    UniqueFd pfd = make_dirs_in_root(rootfd, parent, mode);
    if (::mkdirat(pfd.get(), last.c_str(), mode) < 0 && errno != EEXIST)
        throw_errno("creating directory '" + rel + "' inside the root");
    // Open the new component relative to its parent, never following a link:
    // if a dangling symlink sits there (EEXIST above), this fails cleanly.
    fd = ::openat(pfd.get(), last.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
            throw Error("creating directory '" + rel + "' inside the root: a non-directory (or a symlink "
                        "leading nowhere inside the root) is in the way", ENOTDIR);
        throw_errno("opening directory '" + rel + "' inside the root");
    }
    return UniqueFd(fd);
}

void clear_dir(int dirfd) {
    for (const auto& n : list_dir(dirfd)) remove_tree_at(dirfd, n);
}

void remove_tree_at(int dirfd, const std::string& name) {
    if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return;
    if (errno == EACCES || errno == EPERM) {
        // The parent may lack write permission (e.g. a 0555 dir of a layer).
        ::fchmod(dirfd, 0700);
        if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return;
    }
    if (errno != EISDIR && errno != EPERM && errno != EACCES) throw_errno("removing '" + name + "'");

    int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return;
        if (errno == EACCES) {
            ::fchmodat(dirfd, name.c_str(), 0700, 0);
            fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) throw_errno("removing '" + name + "'");
    }
    UniqueFd child(fd);
    struct stat st {};
    if (::fstat(child.get(), &st) == 0 && (st.st_mode & 0700) != 0700) ::fchmod(child.get(), 0700);
    with_context("removing '" + name + "'", [&] { clear_dir(child.get()); });
    child.reset();
    if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
        throw_errno("removing directory '" + name + "'");
}

void remove_tree(const std::string& path) {
    auto slash = path.rfind('/');
    std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    std::string last = slash == std::string::npos ? path : path.substr(slash + 1);
    int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return;
        throw_errno("removing " + path);
    }
    UniqueFd pfd(fd);
    with_context("removing " + path, [&] { remove_tree_at(pfd.get(), last); });
}

} // namespace skiff::storage
