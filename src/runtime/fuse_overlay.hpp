// The fuse-overlayfs storage driver's daemon. The container child mounts a
// "fuse" file system on its rootfs mountpoint itself (a /dev/fuse fd must be
// opened inside the user namespace that mounts it) and hands the fd over the
// sync socket; skiff then starts `fuse-overlayfs -f ... /dev/fd/N`, which
// libfuse (>= 3.3) takes as an already-mounted connection. The daemon runs in
// the container's user namespace but in skiff's mount and pid namespaces, so
// it neither keeps the container's mounts alive nor is visible inside: when
// the container's last process exits, its mount namespace goes, the kernel
// aborts the connection and the daemon exits by itself.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "runtime/container_spec.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

// The kernel mount options after "fd=N," (see the child's mount).
extern const char* const kFuseMountOptions;
// The step name the child reports when /dev/fuse cannot be opened.
extern const char* const kOpenDevFuseStep;

// fuse-overlayfs's -o for a rootfs: lowerdir (top-most first), upperdir,
// workdir (read-only, only lowerdir, when upper is empty). Throws Error for
// paths it cannot take.
std::string fuse_overlay_options(const RootfsSpec& r);

class FuseOverlayDaemon {
public:
    FuseOverlayDaemon() = default;
    FuseOverlayDaemon(FuseOverlayDaemon&& o) noexcept;
    FuseOverlayDaemon& operator=(FuseOverlayDaemon&&) = delete;
    FuseOverlayDaemon(const FuseOverlayDaemon&) = delete;
    ~FuseOverlayDaemon(); // reaps (or kills after a grace period) a daemon still owned

    // Serves the fuse connection `fuse` for the rootfs r. The daemon joins
    // the user namespace of userns_pid's process when join_userns (and
    // skiff is not in it already). Throws Error if it cannot be started.
    static FuseOverlayDaemon start(const RootfsSpec& r, UniqueFd fuse, int userns_pid, bool join_userns);

    pid_t pid() const { return pid_; }
    // If the daemon has failed (waiting up to wait_ms for it to exit): why,
    // as "fuse-overlayfs exited with status N: <its stderr>"; "" otherwise.
    std::string failure(int wait_ms);
    // Waits up to wait_ms for the daemon to exit (its connection is gone
    // once the container's mount namespace is), then kills it.
    void finish(int wait_ms);
    // Leaves the daemon to whoever reaps orphans (the detached container's
    // monitor, a subreaper).
    void release() { pid_ = -1; }

private:
    pid_t pid_ = -1;
    int status_ = 0;
    bool exited_ = false;
    UniqueFd err_; // its stderr, a memfd
    bool wait_ms(int ms);
};

// For a helper in a private mount namespace of its own (cp of a stopped
// container): mounts r at r.mountpoint, served by a daemon in this
// process's namespaces. Detach the mount (and close what is open on it)
// before finish().
FuseOverlayDaemon mount_fuse_overlay_here(const RootfsSpec& r);

} // namespace skiff::runtime
