#include "util/lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>

#include "util/error.hpp"

namespace skiff {

namespace {
int op_for(FileLock::Mode m) { return m == FileLock::Mode::shared ? LOCK_SH : LOCK_EX; }
} // namespace

FileLock::FileLock(const std::string& path, Mode mode) {
    UniqueFd fd = open_fd(path, O_RDWR | O_CREAT, 0600);
    while (::flock(fd.get(), op_for(mode)) < 0) {
        if (errno != EINTR) throw_errno("locking " + path);
    }
    fd_ = std::move(fd);
}

FileLock FileLock::try_lock(const std::string& path, Mode mode) {
    FileLock l;
    UniqueFd fd = open_fd(path, O_RDWR | O_CREAT, 0600);
    if (::flock(fd.get(), op_for(mode) | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK) return l;
        throw_errno("locking " + path);
    }
    l.fd_ = std::move(fd);
    return l;
}

} // namespace skiff
