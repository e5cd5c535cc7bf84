// The container child's work, flattened in the parent into plain data: C
// strings, integers and pre-sized arrays. Between clone and execve the child
// only walks this plan making syscalls (runtime/container_child.cpp); it
// never allocates, formats or throws.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <sys/types.h>
#include <vector>

#include "runtime/container_spec.hpp"

namespace skiff::runtime {

// One step of the mount setup, run after pivot_root; paths are absolute in
// the container. Host sources are opened (O_PATH) before pivot_root and used
// through /proc/self/fd/N.
struct MountStep {
    enum class Op : uint8_t {
        mount,          // mount(source, target, fstype, flags, data); mkdir target first
        bind_host,      // bind host_fds[host_index] onto target (created as file or dir)
        remount_ro,     // make the mount at target read-only, keeping its locked flags
        symlink,        // symlink(source, target)
        sysfs,          // sysfs read-only, or a recursive read-only bind of the host's /sys
        mask,           // /dev/null over a file, an empty read-only tmpfs over a dir
        readonly_path,  // bind target onto itself and make it read-only
    };
    Op op = Op::mount;
    const char* source = nullptr;
    const char* target = nullptr;
    const char* fstype = nullptr;
    const char* data = nullptr;
    unsigned long flags = 0;
    int host_index = -1;
    bool target_is_file = false;
    bool optional = false; // a missing target is not an error
    // proc and sysfs: a user namespace may mount them only while the host's
    // are still visible, so before pivot_root, onto a top-level directory
    // of the rootfs opened without following symlinks.
    bool before_pivot = false;
};

struct ChildPlan {
    // Before pivot_root.
    const char* rootfs_source = nullptr;
    const char* rootfs_fstype = nullptr;
    const char* rootfs_data = nullptr;
    unsigned long rootfs_flags = 0;
    const char* mountpoint = nullptr;
    // fuse-overlayfs: the child opens /dev/fuse, mounts rootfs_fstype with
    // "fd=N," + rootfs_data, sends the fd to skiff and waits for its 'f'.
    bool rootfs_fuse = false;
    std::vector<const char*> host_sources; // opened O_PATH before pivot_root
    mutable std::vector<int> host_fds;     // filled by the child (pre-sized)
    const char* host_sys = "/sys";        // for the sysfs fallback
    mutable int host_sys_fd = -1;

    // After pivot_root.
    std::vector<MountStep> steps;
    bool readonly_root = false;
    const char* hostname = nullptr;
    bool loopback_up = false;
    int tap_mtu = 0;     // > 0: create tap0 ...
    bool tap_ipv6 = false;
    int tap_socket = -1; // ... and send it here (the network helper)

    // The process.
    std::vector<char*> argv; // null-terminated
    std::vector<char*> envp; // null-terminated
    const char* path_env = nullptr; // the PATH to search for argv[0]
    const char* cwd = "/";
    bool create_cwd = true;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
    bool set_groups = true; // false with a single-ID map (setgroups is denied)
    bool terminal = false;
    bool stdin_null = true;
    int preserve_fds = 0;
    int stdio[3] = {-1, -1, -1};
    bool die_with_parent = true;
    int cgroup_procs_fd = -1; // exec: a cgroup.procs to write "0" to, before joining the namespaces
    bool init = false;

    // Storage for every string the pointers above point into; a deque never
    // moves its elements.
    std::deque<std::string> strings;
    const char* keep(std::string s) { return strings.emplace_back(std::move(s)).c_str(); }
};

// overlayfs's (and fuse-overlayfs's) lowerdir= value, top-most first. Throws
// Error for a path with ':' or ','.
std::string overlay_lowerdir(const std::vector<std::string>& lower);

// Builds the plan for spec. Throws Error for what can be checked up front.
ChildPlan build_child_plan(const ContainerSpec& spec);

// Number of components of an absolute container path once '.' and '..' are
// resolved lexically ("/" is 0, "/a/b" is 2): mounts go parents first.
size_t path_depth(const std::string& path);

// Only the process part, for `exec` into a running container.
ChildPlan build_exec_plan(const ProcessSpec& proc, bool set_groups);

} // namespace skiff::runtime
