// Everything the runtime needs to start one container process, decided by
// the engine before anything is forked: the rootfs, the process, the
// namespaces and the mounts. The runtime knows nothing about images or
// registries; it takes directories and strings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/userns.hpp"

namespace skiff::runtime {

// slirp: a new network namespace like none; the engine adds the tap.
// container: the network (and, rootless, user) namespace of netns_pid.
enum class NetworkMode { none, host, slirp, container };

struct RootfsSpec {
    // overlay: lower (top-most first) + upper + work, mounted at mountpoint.
    // fuse_overlay: the same served by fuse-overlayfs (runtime/fuse_overlay).
    // bind: `lower[0]` is a complete root directory, bind-mounted.
    enum class Kind { overlay, fuse_overlay, bind } kind = Kind::overlay;
    std::vector<std::string> lower;
    std::string upper;
    std::string work;
    std::string mountpoint; // an empty directory owned by the invoking user
    bool userxattr = false; // overlay in a user namespace
    bool readonly = false;  // --read-only
};

struct BindMount {
    std::string source; // host path
    std::string target; // absolute path in the container
    bool readonly = false;
    bool file = false;  // the source is a file, not a directory
    unsigned long flags = 0; // extra MS_NOSUID | MS_NODEV | MS_NOEXEC
};

struct TmpfsMount {
    std::string target;
    std::string data; // "size=1m,mode=1777"
    unsigned long flags = 0;
};

struct ProcessSpec {
    std::vector<std::string> args; // args[0] is looked up in the container's PATH
    std::vector<std::string> env;  // "K=V"
    std::string cwd = "/";
    bool create_cwd = true; // docker's -w rule: a missing directory is created
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> additional_gids;
    bool terminal = false; // -t: a pty from the container's own devpts
    bool stdin_open = false; // -i: keep stdin; otherwise /dev/null
    int preserve_fds = 0;    // --preserve-fds N: fds 3..3+N-1 pass through
    // Detached: the fds that become the command's 0, 1 and 2 (a pipe to
    // the monitor); -1 keeps the caller's (or /dev/null for stdin).
    int stdio[3] = {-1, -1, -1};
    // Foreground (run_container): the container's log. Its output then
    // reaches the caller's stdout and stderr through pipes (or the pty)
    // and is appended to the log too, as the monitor does for -d.
    int log_fd = -1;
    // The pty's size before the command starts; 0: the size of skiff's own
    // terminal, if it has one.
    unsigned console_rows = 0, console_cols = 0;
};

// Capability and seccomp data ready to apply in the child (see
// runtime/capabilities.hpp and runtime/seccomp_profile.hpp).
struct SecuritySpec {
    uint64_t caps = 0;         // bounding set; effective/permitted for uid 0
    bool no_new_privs = false;
    bool seccomp = true;       // false: unconfined
    std::string seccomp_profile; // empty: the built-in default; else a JSON file
    std::string seccomp_cache_dir; // the default's compiled program is kept here (runtime/seccomp_cache.hpp)
    bool privileged = false;   // no masked or read-only paths
};

struct ContainerSpec {
    RootfsSpec rootfs;
    ProcessSpec process;
    SecuritySpec security;
    std::string hostname;
    NetworkMode network = NetworkMode::none;
    int netns_pid = 0; // NetworkMode::container: a process of the container joined
    // slirp: the setup creates tap0 (this MTU) and sends it over tap_socket
    // (the network helper's control socket) before pivot_root.
    int tap_mtu = 0;
    bool tap_ipv6 = false; // and fd00::100/64, default route via fd00::2
    int tap_socket = -1;
    bool userns = true; // rootless: a user namespace with maps
    // Rootless: join this user namespace (another container's, with the
    // same maps; see engine/shared_userns.hpp) instead of creating one. The
    // launching process itself joins it: only for a launcher that exits
    // soon after (skiff __start), never the foreground run.
    int shared_userns_fd = -1;
    UserNamespaceMaps maps;
    std::vector<BindMount> binds; // in order; /etc/hosts & co included
    std::vector<TmpfsMount> tmpfs;
    bool init = false; // --init: a minimal reaping init as pid 1
    // Foreground: the container is killed if skiff dies. Detached: it
    // outlives the skiff that started it.
    bool die_with_parent = true;
};

// Podman's defaults.
const std::vector<std::string>& default_masked_paths();
const std::vector<std::string>& default_readonly_paths();

} // namespace skiff::runtime
