// The container's stdio for one run, as the monitor holds it: created by the
// monitor before it spawns `skiff __start`, or, for a container's first run,
// by the skiff that forks the starter itself and then becomes the monitor
// (see protocol.hpp). libc only: the monitor includes it.
#pragma once

#include <cstdio>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/protocol.hpp"

namespace skiff::monitor {

struct Stdio {
    int out_r = -1, err_r = -1, in_w = -1; // the monitor's ends
    int in = -1, out = -1, err = -1;       // the container's ends
    int pty = -1;                          // the pty master, from the starter
    int sync_mine = -1, sync_theirs = -1;  // the socket to the starter
};

inline void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

// Pipes for the container's output (and input with stdin_open), or
// /dev/null ends with a terminal, whose pty the starter creates; and the
// starter's socket. All close-on-exec. False on failure, with errno set.
inline bool make_stdio(Stdio& s, bool tty, bool stdin_open) {
    auto pipe_pair = [](int* r, int* w) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) < 0) return false;
        *r = p[0];
        *w = p[1];
        return true;
    };
    auto devnull = [](int* fd) { return (*fd = ::open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0; };
    bool ok = true;
    if (tty) {
        ok = devnull(&s.in) && devnull(&s.out) && devnull(&s.err);
    } else {
        ok = pipe_pair(&s.out_r, &s.out) && pipe_pair(&s.err_r, &s.err) &&
             (stdin_open ? pipe_pair(&s.in, &s.in_w) : devnull(&s.in));
    }
    int sp[2];
    if (ok && ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0) {
        s.sync_mine = sp[0];
        s.sync_theirs = sp[1];
        return true;
    }
    close_fd(s.out_r);
    close_fd(s.err_r);
    close_fd(s.in_w);
    close_fd(s.in);
    close_fd(s.out);
    close_fd(s.err);
    return false;
}

// The container's log, opened for appending; -1 on failure.
inline int open_log(int dir_fd) {
    return ::openat(dir_fd, kLogFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

// The attach socket, bound in the container's directory and listening;
// -1 on failure, with errno set.
inline int listen_attach(int dir_fd) {
    int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    // Through the directory fd: the container directory's path may exceed
    // sun_path's 108 bytes.
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dir_fd, kAttachSocket);
    ::unlinkat(dir_fd, kAttachSocket, 0);
    if (::bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0 || ::listen(fd, 8) < 0) {
        int err = errno;
        ::close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

// Puts src[i] on targets[i] (src[i] < 0: targets[i] closed) and closes
// every fd above the highest target. For a child between fork and exec:
// async-signal-safe.
inline void place_fds(const int* src, const int* targets, int n) {
    int high[16];
    int top = 2;
    for (int i = 0; i < n && i < 16; ++i) {
        high[i] = src[i] >= 0 ? ::fcntl(src[i], F_DUPFD, 64) : -1;
        if (targets[i] > top) top = targets[i];
    }
    for (int i = 0; i < n && i < 16; ++i) {
        if (high[i] >= 0) ::dup2(high[i], targets[i]);
        else ::close(targets[i]);
    }
    ::close_range(static_cast<unsigned>(top) + 1, ~0u, 0);
}

} // namespace skiff::monitor
