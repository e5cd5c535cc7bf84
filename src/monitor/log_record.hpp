// The container log's records (podman's k8s-file format): one line per
// record, "TIMESTAMP STREAM F|P TEXT", where P marks a partial line (the
// chunk read ended before a newline). Written by the monitor for detached
// containers and by a foreground `skiff run`. libc only: the monitor
// includes it.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <sys/uio.h>

namespace skiff::monitor {

// "2026-11-30T04:40:01.123456789Z", UTC with nanoseconds.
inline size_t log_timestamp(char* buf, size_t size) {
    struct timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm {};
    ::gmtime_r(&ts.tv_sec, &tm);
    size_t n = std::strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    int k = std::snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
    return n + static_cast<size_t>(k);
}

// Appends data, read from stream ("stdout" or "stderr"), to the log fd as
// records; a chunk that does not end in a newline ends in a partial record.
inline void write_log_records(int fd, const char* stream, const char* data, size_t n) {
    if (fd < 0) return;
    char ts[48];
    size_t tn = log_timestamp(ts, sizeof ts);
    size_t start = 0;
    while (start < n) {
        const void* nl = std::memchr(data + start, '\n', n - start);
        size_t end = nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - data) : n;
        const char* tag = nl != nullptr ? " F " : " P ";
        struct iovec iov[6] = {
            {ts, tn},
            {const_cast<char*>(" "), 1},
            {const_cast<char*>(stream), std::strlen(stream)},
            {const_cast<char*>(tag), 3},
            {const_cast<char*>(data + start), end - start},
            {const_cast<char*>("\n"), 1},
        };
        while (::writev(fd, iov, 6) < 0 && errno == EINTR) {
        }
        start = nl != nullptr ? end + 1 : n;
    }
}

} // namespace skiff::monitor
