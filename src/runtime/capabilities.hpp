// Linux capabilities of a container process: names, the podman default set,
// --cap-add/--cap-drop/--privileged resolution, and applying the result in
// the child between fork/clone and execve.
//
// In the PARENT (may throw Error, may allocate):
//   int last = last_capability();                       // /proc/sys/kernel/cap_last_cap
//   CapMask kept = resolve_capabilities(opts, last);    // throws on unknown names
//   CapabilitySet set = capability_set_for_user(kept, uid != 0);
//   PreparedCaps caps = prepare_capabilities(set, last);
//   // seccomp: compile_seccomp(profile, {.caps = set.bounding}) — see seccomp_profile.hpp
//
// In the CHILD, in this order (raw syscalls only, no allocation):
//   1. prctl(PR_SET_KEEPCAPS, 1) if the target uid is not 0 (without it,
//      setresuid away from 0 empties the permitted set and the bounding set
//      can no longer be trimmed);
//   2. setgroups, setresgid, setresuid to the container user;
//   3. apply_capabilities(caps, &step);
//   4. prctl(PR_SET_NO_NEW_PRIVS, 1) when asked (or always when seccomp is
//      used without CAP_SYS_ADMIN);
//   5. apply_seccomp(...);
//   6. execve.
// The keepcaps flag needs no reset: the kernel clears it on execve.
#pragma once

#include <cstdint>
#include <linux/capability.h>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::runtime {

// Bit n set = capability number n.
using CapMask = uint64_t;

inline constexpr CapMask cap_bit(int cap) { return CapMask{1} << cap; }

// "CAP_CHOWN" -> 0. Case-insensitive; the "CAP_" prefix is optional.
// nullopt for a name skiff does not know (or "ALL").
std::optional<int> capability_from_name(std::string_view name);

// 0 -> "CAP_CHOWN"; a number past skiff's table -> "CAP_41".
std::string capability_name(int cap);

// The highest capability the running kernel knows
// (/proc/sys/kernel/cap_last_cap), or the highest in skiff's table when that
// file is unreadable. Never more than 63.
int last_capability();

// Every capability 0..last_cap.
CapMask all_capabilities(int last_cap);

// Podman's default set: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL,
// NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT.
CapMask default_capabilities();

// The calling process's bounding set (PR_CAPBSET_READ for 0..last_cap).
CapMask own_bounding_set(int last_cap);

// "CAP_CHOWN", "CAP_KILL", ... in number order.
std::vector<std::string> capability_names(CapMask mask);

// What the CLI collected; names as the user typed them.
struct CapabilityOptions {
    std::vector<std::string> add;  // --cap-add (may contain "ALL")
    std::vector<std::string> drop; // --cap-drop (may contain "ALL")
    bool privileged = false;       // --privileged
};

// The capabilities the container keeps, with Docker's rules:
//   - no add/drop: the default set;
//   - add ALL: every capability of the kernel except the dropped ones;
//   - else drop ALL: only the added ones;
//   - else: the default set minus the dropped ones, plus the added ones.
// --privileged gives every capability of the kernel; unlike Docker (which
// ignores --cap-drop there) explicit drops still apply, as in podman.
// A capability above last_cap is refused. Throws Error
// "unknown capability 'CAP_FOO'" for a name skiff does not know.
CapMask resolve_capabilities(const CapabilityOptions& opts, int last_cap);

struct CapabilitySet {
    CapMask bounding = 0;
    CapMask effective = 0;
    CapMask permitted = 0;
    CapMask inheritable = 0; // always 0 for now
    CapMask ambient = 0;     // always 0 for now (cleared in the child)
    bool operator==(const CapabilitySet&) const = default;
};

// podman's rule: root in the container gets kept in every set but
// inheritable/ambient; a non-root user gets the bounding set only (empty
// effective/permitted), so a setuid or file-capability binary can still
// regain what the bounding set allows.
CapabilitySet capability_set_for_user(CapMask kept, bool non_root_user);

// Everything apply_capabilities needs, computed in the parent.
struct PreparedCaps {
    CapabilitySet set;
    int last_cap = 0;                         // drop bounding caps 0..last_cap
    __user_cap_header_struct header{};        // _LINUX_CAPABILITY_VERSION_3, pid 0
    __user_cap_data_struct data[2]{};         // low and high 32 bits of the sets
};

PreparedCaps prepare_capabilities(const CapabilitySet& set, int last_cap);

// Async-signal-safe; for the child only (it changes the calling process).
// Steps: raise effective to the current permitted set (after a keepcaps
// setresuid the effective set is empty and PR_CAPBSET_DROP needs
// CAP_SETPCAP), drop every capability not in the bounding set, clear the
// ambient set, then capset the prepared effective/permitted/inheritable.
// Returns 0, or the errno of the failed step with *failed_step naming it
// ("capget", "capset (raise effective)", "prctl(PR_CAPBSET_DROP)",
// "prctl(PR_CAP_AMBIENT_CLEAR_ALL)", "capset").
int apply_capabilities(const PreparedCaps& caps, const char** failed_step) noexcept;

} // namespace skiff::runtime
