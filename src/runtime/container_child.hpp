// The container's first process, between clone and execve. It only walks a
// ChildPlan making syscalls, in this order (each step reports (step, errno)
// over the sync socket and _exits on failure):
//   wait for the ID maps -> private mount propagation -> mount the rootfs ->
//   open host sources -> pivot_root -> /proc, /dev, /sys, binds, tmpfs,
//   masked and read-only paths -> read-only root -> hostname, lo ->
//   pty -> working directory -> groups, gid, uid -> capabilities ->
//   no_new_privs -> seccomp -> fds -> [init] -> execve.
#pragma once

#include "runtime/child_plan.hpp"

namespace skiff::runtime {

struct ChildSecurity; // defined in runtime/child_security.hpp

// Exit code of a child that failed before execve because of skiff.
inline constexpr int kChildSetupFailed = 125;

// Never returns. sync_fd is the child's end of a SOCK_SEQPACKET socketpair
// (CLOEXEC): it receives one 'g' byte when the ID maps are in place and
// carries back a pty master (SCM_RIGHTS) and/or a ChildFailure record.
[[noreturn]] void run_container_child(const ChildPlan& plan, const ChildSecurity& sec, int sync_fd,
                                      int stdin_null_fd) noexcept;

// `exec`: joins the namespaces in ns_fds (user first when present), forks
// the process that runs in the container's pid namespace as a sibling
// (CLONE_PARENT: skiff's own child), writes its pid to pid_fd and _exits.
// That process then does the plan's process steps: pty, working directory,
// groups, gid, uid, capabilities, no_new_privs, seccomp, fds, execve.
[[noreturn]] void run_exec_child(const ChildPlan& plan, const ChildSecurity& sec, int sync_fd, int stdin_null_fd,
                                 const int* ns_fds, int n_ns, int pid_fd) noexcept;

} // namespace skiff::runtime
