#include "util/atomic_file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/scope_guard.hpp"

namespace skiff {

namespace {
std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}
} // namespace

namespace {
void write_and_rename(const std::string& path, std::string_view content, int mode, bool durable) {
    std::string dir = dir_of(path);
    std::string tmpl = path + ".tmp-XXXXXX";
    int raw = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (raw < 0) throw_errno("creating a temporary file beside " + path);
    UniqueFd fd(raw);
    ScopeGuard unlink_tmp([&] { ::unlink(tmpl.c_str()); });

    with_context("writing " + tmpl, [&] { write_all(fd.get(), content.data(), content.size()); });
    if (::fchmod(fd.get(), static_cast<mode_t>(mode)) < 0) throw_errno("chmod " + tmpl);
    if (durable && ::fsync(fd.get()) < 0) throw_errno("fsync " + tmpl);
    fd.reset();
    if (::rename(tmpl.c_str(), path.c_str()) < 0) throw_errno("renaming " + tmpl + " to " + path);
    unlink_tmp.dismiss();
    if (!durable) return;
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd) ::fsync(dfd.get()); // best effort: the rename itself is done
}
} // namespace

void atomic_write_file(const std::string& path, std::string_view content, int mode) {
    write_and_rename(path, content, mode, true);
}

void replace_file(const std::string& path, std::string_view content, int mode) {
    write_and_rename(path, content, mode, false);
}

void update_file(const std::string& path, std::string_view content, int mode) {
    // O_NOFOLLOW and fstat: the file compared is the one at path, never a
    // symlink's target, even if path changes in between.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat st {};
    if (fd && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && static_cast<size_t>(st.st_size) == content.size()) {
        try {
            if (read_all(fd.get(), content.size()) == content) return;
        } catch (const Error&) {
            // unreadable: replaced below
        }
    }
    replace_file(path, content, mode);
}

void make_dirs(const std::string& path, int mode) {
    if (path.empty()) return;
    std::string cur;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        cur = path.substr(0, pos);
        if (cur.empty()) continue;
        if (::mkdir(cur.c_str(), static_cast<mode_t>(mode)) < 0 && errno != EEXIST)
            throw_errno("creating directory " + cur);
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) throw_errno("creating directory " + path);
    if (!S_ISDIR(st.st_mode)) throw Error("creating directory " + path + ": exists and is not a directory");
}

} // namespace skiff
