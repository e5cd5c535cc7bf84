#include "runtime/netns_join.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

namespace {

// The namespace files of pid, or (EACCES: --init's skiff-init is not
// dumpable, so its /proc/PID/ns is root's) those of its first child.
std::string ns_dir(pid_t pid) {
    std::string base = fmt::format("/proc/{}/ns/", pid);
    if (::access((base + "net").c_str(), R_OK) == 0 || errno != EACCES) return base;
    std::string children;
    try {
        children = read_file(fmt::format("/proc/{}/task/{}/children", pid, pid), 4096);
    } catch (const Error&) {
        return base;
    }
    auto end = children.find(' ');
    std::string child = children.substr(0, end);
    return child.empty() ? base : fmt::format("/proc/{}/ns/", child);
}

} // namespace

void join_network_of(pid_t pid, bool userns) {
    std::string base = ns_dir(pid);
    // Both opened first: once in the other user namespace, /proc/PID may
    // look different.
    UniqueFd user;
    if (userns) user = open_fd(base + "user", O_RDONLY);
    UniqueFd net = open_fd(base + "net", O_RDONLY);
    if (user && ::setns(user.get(), CLONE_NEWUSER) < 0) {
        int err = errno;
        if (err == EINVAL)
            throw Error("joining the other container's user namespace: skiff is multi-threaded here", err);
        throw Error("joining the other container's user namespace", err);
    }
    if (::setns(net.get(), CLONE_NEWNET) < 0) throw Error("joining the other container's network namespace", errno);
}

} // namespace skiff::runtime
