// Owned file descriptors. Every fd skiff opens lives in a UniqueFd; every fd
// is opened O_CLOEXEC so nothing leaks into a container by accident.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace skiff {

class UniqueFd {
public:
    UniqueFd() noexcept = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) reset(o.release());
        return *this;
    }
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    int release() noexcept { return std::exchange(fd_, -1); }
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

// A pipe with both ends O_CLOEXEC.
// Sends fd over a unix socket (SCM_RIGHTS) with `len` bytes of payload.
// Async-signal-safe (only sendmsg): usable between fork and exec. Returns 0
// or the errno.
int send_fd(int sock, int fd, const void* payload, size_t len) noexcept;
// The same with up to 4 fds in one message.
int send_fds(int sock, const int* fds, size_t nfds, const void* payload, size_t len) noexcept;
// Receives one message of at most `len` bytes and the fds that came with it
// (at most 4, close-on-exec). Returns the payload's length, 0 at EOF; throws
// Error on a failure.
size_t recv_fds(int sock, void* payload, size_t len, std::vector<UniqueFd>& fds);

struct Pipe {
    UniqueFd read;
    UniqueFd write;
    static Pipe make(); // throws Error
};

// open(2)/openat(2) that always add O_CLOEXEC and throw Error naming the path.
UniqueFd open_fd(const std::string& path, int flags, int mode = 0);
UniqueFd openat_fd(int dirfd, const std::string& path, int flags, int mode = 0);

// write(2) all of buf, retrying on EINTR/short writes; throws on error.
void write_all(int fd, const void* buf, size_t len);
inline void write_all(int fd, const std::string& s) { write_all(fd, s.data(), s.size()); }

// Reads the whole of an fd / a file, refusing more than max_bytes.
std::string read_all(int fd, size_t max_bytes = 64u << 20);
std::string read_file(const std::string& path, size_t max_bytes = 64u << 20);
// read_file of a file that may be missing (a name not taken, a process
// gone from /proc, no config file): nullopt when it does not exist (ENOENT,
// ENOTDIR), with no exception thrown on that expected path. Any other
// failure throws as read_file does.
std::optional<std::string> read_file_if_present(const std::string& path, size_t max_bytes = 64u << 20);

} // namespace skiff
