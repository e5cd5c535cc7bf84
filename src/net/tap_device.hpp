// The container's end of user-mode networking: a tap device created inside
// the container's network namespace and configured as slirp expects
// (10.0.2.100/24, default route via 10.0.2.2; lo is the container's own).
#pragma once

#include "util/error.hpp"

namespace skiff::net {

inline constexpr const char* kOpenTunStep = "opening /dev/net/tun";

// Creates and configures tap0 in the caller's network namespace, as a
// persistent device (it goes with the namespace, not with its last fd). The
// container's setup calls it before pivot_root (/dev/net/tun is still the
// host's), so it is async-signal-safe: syscalls only. Returns the tap's fd
// (close-on-exec), or -1 with errno set and *step naming what failed.
int make_tap(int mtu, bool ipv6, const char** step) noexcept;

// The message for a failure of make_tap: EACCES or ENOENT on /dev/net/tun
// get an explanation and a way out.
Error describe_tap_failure(const char* step, int err);

} // namespace skiff::net
