#include "util/child_report.hpp"

#include <cerrno>
#include <cstring>
#include <unistd.h>

#include "util/error.hpp"

namespace skiff {

namespace {
void copy_bounded(char* dst, size_t cap, const char* src) noexcept {
    size_t i = 0;
    if (src != nullptr)
        for (; i + 1 < cap && src[i] != '\0'; ++i) dst[i] = src[i];
    dst[i] = '\0';
}
} // namespace

std::string ChildFailure::describe() const {
    std::string s = step;
    if (detail[0] != '\0') {
        s += ' ';
        s += detail;
    }
    if (err != 0) {
        s += ": ";
        s += std::strerror(err);
    }
    return s;
}

void child_report_failure(int fd, const char* step, int err, const char* detail) noexcept {
    ChildFailure rec;
    rec.err = err;
    copy_bounded(rec.step, sizeof rec.step, step);
    copy_bounded(rec.detail, sizeof rec.detail, detail);
    const char* p = reinterpret_cast<const char*>(&rec);
    size_t left = sizeof rec;
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        left -= static_cast<size_t>(n);
    }
}

std::optional<ChildFailure> read_child_report(int fd) {
    ChildFailure rec;
    char* p = reinterpret_cast<char*>(&rec);
    size_t got = 0;
    while (got < sizeof rec) {
        ssize_t n = ::read(fd, p + got, sizeof rec - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("reading the child's report");
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    if (got == 0) return std::nullopt;
    if (got != sizeof rec) throw Error("short report from child process");
    rec.step[sizeof rec.step - 1] = '\0';
    rec.detail[sizeof rec.detail - 1] = '\0';
    return rec;
}

} // namespace skiff
