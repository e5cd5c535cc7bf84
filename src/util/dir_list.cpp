#include "util/dir_list.hpp"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <memory>

#include "util/error.hpp"

namespace skiff {

namespace {
std::vector<std::string> read_names(DIR* d, const std::string& what) {
    std::vector<std::string> out;
    ::rewinddir(d); // a dup shares the offset with an fd read before
    errno = 0;
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(std::move(n));
    }
    if (errno != 0) throw_errno("listing " + what);
    std::sort(out.begin(), out.end());
    return out;
}
using DirPtr = std::unique_ptr<DIR, int (*)(DIR*)>;
} // namespace

std::vector<std::string> list_dir(const std::string& dir) {
    DirPtr d(::opendir(dir.c_str()), ::closedir);
    if (!d) {
        if (errno == ENOENT) return {};
        throw_errno("listing " + dir);
    }
    return read_names(d.get(), dir);
}

std::vector<std::string> list_dir(int dirfd) {
    int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) throw_errno("duplicating a directory fd");
    DirPtr d(::fdopendir(dup), ::closedir);
    if (!d) {
        ::close(dup);
        throw_errno("reading a directory");
    }
    return read_names(d.get(), "a directory");
}

} // namespace skiff
