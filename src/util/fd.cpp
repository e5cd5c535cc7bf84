#include "util/fd.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/error.hpp"

namespace skiff {

void UniqueFd::reset(int fd) noexcept {
    if (fd_ >= 0) {
        int saved = errno;
        ::close(fd_);
        errno = saved;
    }
    fd_ = fd;
}

Pipe Pipe::make() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw_errno("creating a pipe");
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

UniqueFd open_fd(const std::string& path, int flags, int mode) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) throw_errno("opening " + path);
    return UniqueFd(fd);
}

UniqueFd openat_fd(int dirfd, const std::string& path, int flags, int mode) {
    int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) throw_errno("opening " + path);
    return UniqueFd(fd);
}

void write_all(int fd, const void* buf, size_t len) {
    auto p = static_cast<const char*>(buf);
    while (len > 0) {
        ssize_t n = ::write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("writing");
        }
        p += n;
        len -= static_cast<size_t>(n);
    }
}

std::string read_all(int fd, size_t max_bytes) {
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("reading");
        }
        if (n == 0) break;
        if (out.size() + static_cast<size_t>(n) > max_bytes)
            throw Error("refusing to read more than " + std::to_string(max_bytes) + " bytes");
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

std::string read_file(const std::string& path, size_t max_bytes) {
    UniqueFd fd = open_fd(path, O_RDONLY);
    return with_context("reading " + path, [&] { return read_all(fd.get(), max_bytes); });
}

std::optional<std::string> read_file_if_present(const std::string& path, size_t max_bytes) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
        throw_errno("opening " + path);
    }
    return with_context("reading " + path, [&] { return read_all(fd.get(), max_bytes); });
}

int send_fd(int sock, int fd, const void* payload, size_t len) noexcept {
    return send_fds(sock, &fd, 1, payload, len);
}

namespace {
constexpr size_t kMaxFds = 4;
}

int send_fds(int sock, const int* fds, size_t nfds, const void* payload, size_t len) noexcept {
    if (nfds == 0 || nfds > kMaxFds) return EINVAL;
    union {
        char buf[CMSG_SPACE(sizeof(int) * kMaxFds)];
        struct cmsghdr align;
    } u {};
    struct iovec iov {const_cast<void*>(payload), len};
    struct msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    std::memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    while (::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
        if (errno != EINTR) return errno;
    return 0;
}

size_t recv_fds(int sock, void* payload, size_t len, std::vector<UniqueFd>& fds) {
    union {
        char buf[CMSG_SPACE(sizeof(int) * kMaxFds)];
        struct cmsghdr align;
    } u {};
    struct iovec iov {payload, len};
    struct msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    ssize_t n;
    do {
        n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("receiving a message with fds");
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            fds.emplace_back(fd);
        }
    }
    if (msg.msg_flags & MSG_CTRUNC) throw Error("receiving a message with fds: more fds than expected");
    return static_cast<size_t>(n);
}

} // namespace skiff
