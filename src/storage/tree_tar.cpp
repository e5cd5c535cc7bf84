#include "storage/tree_tar.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "storage/archive_api.hpp"
#include "storage/archive_ptr.hpp"
#include "util/dir_list.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::storage {

namespace {

struct EntryFree {
    void operator()(archive_entry* e) const noexcept { archive_api().archive_entry_free(e); }
};

[[noreturn]] void archive_fail(archive* a, const std::string& what) {
    throw Error("writing the tar stream: " + what + ": " + archive_api().archive_error_string(a));
}

void add_entry(archive* a, int dir, const std::string& name, const std::string& path) {
    struct stat st {};
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("reading '" + path + "'");
    if (S_ISSOCK(st.st_mode)) return; // as tar does
    std::unique_ptr<archive_entry, EntryFree> e(archive_api().archive_entry_new());
    archive_api().archive_entry_copy_stat(e.get(), &st);
    archive_api().archive_entry_set_pathname(e.get(), (S_ISDIR(st.st_mode) ? path + "/" : path).c_str());
    UniqueFd fd;
    if (S_ISLNK(st.st_mode)) {
        std::vector<char> buf(static_cast<size_t>(st.st_size) + 2);
        ssize_t n = ::readlinkat(dir, name.c_str(), buf.data(), buf.size() - 1);
        if (n < 0) throw_errno("reading link '" + path + "'");
        buf[static_cast<size_t>(n)] = '\0';
        archive_api().archive_entry_set_symlink(e.get(), buf.data());
    } else if (S_ISREG(st.st_mode)) {
        fd = openat_fd(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } else if (!S_ISDIR(st.st_mode)) {
        archive_api().archive_entry_set_size(e.get(), 0);
    }
    if (archive_api().archive_write_header(a, e.get()) != ARCHIVE_OK) archive_fail(a, path);
    if (fd) {
        char buf[64 * 1024];
        for (;;) {
            ssize_t n = ::read(fd.get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw_errno("reading '" + path + "'");
            if (n == 0) break;
            if (archive_api().archive_write_data(a, buf, static_cast<size_t>(n)) < 0) archive_fail(a, path);
        }
    }
    if (S_ISDIR(st.st_mode)) {
        UniqueFd d = openat_fd(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        for (const auto& child : list_dir(d.get())) add_entry(a, d.get(), child, path + "/" + child);
    }
}

} // namespace

void write_tree_tar(int src_dir, const std::string& src_name, const std::string& dst_name, int out_fd) {
    ArchiveWriter a(archive_api().archive_write_new());
    if (!a) throw Error("writing the tar stream: out of memory");
    archive_api().archive_write_set_format_pax_restricted(a.get());
    archive_api().archive_write_set_bytes_in_last_block(a.get(), 1);
    if (archive_api().archive_write_open_fd(a.get(), out_fd) != ARCHIVE_OK) archive_fail(a.get(), "opening");
    add_entry(a.get(), src_dir, src_name, dst_name);
    if (archive_api().archive_write_close(a.get()) != ARCHIVE_OK) archive_fail(a.get(), "closing");
}

} // namespace skiff::storage
