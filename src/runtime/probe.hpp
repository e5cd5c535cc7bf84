// Feature probes: what this host lets the current user do. Each probe tries
// the real operation (in a throwaway child process where it changes
// namespaces) instead of guessing from a kernel version, and returns a typed
// result. Nothing here prints; `skiff info` and the storage/network choices
// format the results. Probes never throw for a failed feature, only (rarely)
// for a failure of the probing itself, such as being unable to fork.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace skiff::runtime {

// unshare(CLONE_NEWUSER) in a child, plus the sysctls that explain a refusal.
struct UsernsProbe {
    bool ok = false;
    int err = 0;                        // errno of unshare when !ok
    std::string detail;                 // on failure: errno text and the likely cause
    long max_user_namespaces = -1;      // /proc/sys/user/max_user_namespaces; -1 if unreadable
    int unprivileged_userns_clone = -1; // Debian's kernel.unprivileged_userns_clone; -1 if absent
};
UsernsProbe probe_user_namespaces();

// A native overlayfs mount with a lower file removed through it (so that the
// kernel has to create a whiteout). Rootless: inside a new user and mount
// namespace with a single-ID map and the `userxattr` option. As root: in a
// private mount namespace only. The mount dies with the child; the temp dir
// is removed before returning.
struct OverlayProbe {
    bool ok = false;
    bool in_userns = false; // the rootless flavour was probed
    std::string dir;        // the temp dir's parent where the probe ran
    std::string step;       // the failing step, e.g. "mount overlay"
    int err = 0;            // its errno
    std::string detail;     // "mount overlay: Invalid argument (...)" when !ok
};
// base_dir is where the store lives (or will: the deepest existing directory
// on its way is used, never "/"); /tmp when no temp dir can be made there.
OverlayProbe probe_native_overlay(const std::string& base_dir, bool rootless, uid_t uid, gid_t gid);

// An executable found in $PATH or the standard bin dirs.
struct BinaryProbe {
    std::string name;
    std::string path; // empty when not found
    bool found() const { return !path.empty(); }
};
BinaryProbe find_binary(const std::string& name);

// open(path, O_RDWR) as this user.
struct DeviceProbe {
    std::string path;
    bool exists = false;
    bool accessible = false;
    int err = 0;        // errno of open when !accessible
    unsigned mode = 0;  // permission bits, when it exists
    std::string detail; // why not accessible, with what to do about it
};
DeviceProbe probe_device(const std::string& path);

enum class CgroupVersion { unknown, v1, v2, hybrid };
const char* to_string(CgroupVersion v);

struct CgroupProbe {
    CgroupVersion version = CgroupVersion::unknown;
    std::string own_path;                     // our cgroup in the unified (v2) tree, from /proc/self/cgroup
    std::string dir;                          // its directory under /sys/fs/cgroup[/unified]; empty if none
    bool writable = false;                    // dir, cgroup.procs and cgroup.subtree_control writable by us
    std::vector<std::string> controllers;     // dir/cgroup.controllers
    std::vector<std::string> subtree_control; // dir/cgroup.subtree_control
    std::vector<std::string> v1_controllers;  // v1 hierarchies we are in (v1 and hybrid)
    std::string detail;                       // what could not be read, if anything
};
CgroupProbe probe_cgroups();

struct SeccompProbe {
    bool filter_supported = false; // seccomp(SECCOMP_SET_MODE_FILTER) exists (EFAULT on a NULL program)
    int mode = -1;                 // our own mode: 0 none, 1 strict, 2 filter; -1 unknown
    std::string libseccomp_version;
    std::string detail;
};
SeccompProbe probe_seccomp();

struct OsInfo {
    std::string kernel;      // uname release
    std::string arch;        // uname machine, as GOARCH: amd64, arm64, ...
    std::string hostname;
    std::string pretty_name; // /etc/os-release PRETTY_NAME
    std::string id;          // ID
    std::string version_id;  // VERSION_ID
};
OsInfo probe_os();

} // namespace skiff::runtime
