#include "runtime/output_relay.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/log_record.hpp"
#include "util/error.hpp"

namespace skiff::runtime {

namespace {

bool same_file(int a, int b) {
    struct stat sa {}, sb {};
    return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// A pipe whose write end sits at or above min_fd.
void make_pipe(UniqueFd& r, UniqueFd& w, int min_fd) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) throw_errno("creating a pipe for the container's output");
    r.reset(p[0]);
    UniqueFd low(p[1]);
    w.reset(::fcntl(low.get(), F_DUPFD_CLOEXEC, min_fd));
    if (!w) throw_errno("placing the container's output pipe");
}

} // namespace

OutputRelay make_output_relay(int min_fd) {
    OutputRelay r;
    make_pipe(r.out_r, r.out_w, min_fd);
    if (!same_file(STDOUT_FILENO, STDERR_FILENO)) make_pipe(r.err_r, r.err_w, min_fd);
    return r;
}

bool relay_chunk(int from, int to, int log_fd, const char* stream) {
    char buf[16384];
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) return false;
    monitor::write_log_records(log_fd, stream, buf, static_cast<size_t>(n));
    try {
        write_all(to, buf, static_cast<size_t>(n));
    } catch (const Error& e) {
        return e.error_number() != EPIPE;
    }
    return true;
}

} // namespace skiff::runtime
