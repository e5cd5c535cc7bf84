// Seccomp for containers: the default profile (the effect of Docker's and
// Podman's default), Docker's JSON profile format, and compiling either into
// a classic BPF program that the child installs with one syscall.
//
// In the PARENT (may throw Error, may allocate):
//   SeccompProfile p = default_seccomp_profile();        // or load_seccomp_profile(path)
//   PreparedSeccomp bpf = compile_seccomp(p, {.caps = caps.set.bounding});
//   // or, from --security-opt seccomp=VALUE: prepare_seccomp(value, caps)
// The profile depends on the container's final capabilities (rules with
// includes/excludes.caps, e.g. mount/unshare only with CAP_SYS_ADMIN), so
// resolve capabilities first (capabilities.hpp).
//
// In the CHILD, in this order (raw syscalls only, no allocation):
//   setgroups/setresgid/setresuid (with PR_SET_KEEPCAPS)
//   -> apply_capabilities
//   -> prctl(PR_SET_NO_NEW_PRIVS, 1)  (required unless the process holds
//      CAP_SYS_ADMIN in its user namespace; set it when asked for, or always)
//   -> apply_seccomp                  (right before execve: every later
//      syscall is filtered, and the profile must allow execve)
//   -> execve.
#pragma once

#include <cstdint>
#include <linux/filter.h>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/capabilities.hpp"

namespace skiff::runtime {

enum class SeccompActionKind { allow, errno_ret, kill_thread, kill_process, trap, trace, log };

struct SeccompAction {
    SeccompActionKind kind = SeccompActionKind::allow;
    // The errno for errno_ret (EPERM when the profile gives none), the
    // message number for trace.
    uint32_t value = 0;
    bool operator==(const SeccompAction&) const = default;
};

enum class SeccompOp { ne, lt, le, eq, ge, gt, masked_eq };

// Argument index compared with op against value (masked_eq: (arg & value) == value_two).
struct SeccompArg {
    unsigned index = 0;
    uint64_t value = 0;
    uint64_t value_two = 0;
    SeccompOp op = SeccompOp::eq;
};

// When a rule applies: "includes" needs all of these to hold, "excludes"
// drops the rule when any holds. Arch names are Docker's (Go's GOARCH:
// "amd64", "arm64", "386", "x32", "s390x", ...), compared with the native
// architecture only. Caps are capability names, compared with the
// container's bounding set; a name skiff does not know counts as not held.
// min_kernel is "MAJOR.MINOR", compared with the running kernel.
struct SeccompCondition {
    std::vector<std::string> caps;
    std::vector<std::string> arches;
    std::string min_kernel;
    bool empty() const { return caps.empty() && arches.empty() && min_kernel.empty(); }
};

struct SeccompRule {
    std::vector<std::string> names;
    SeccompAction action;
    // All must hold (AND). When two args share an index the rule is split
    // into one rule per arg (OR), as runc does, since libseccomp refuses two
    // comparisons of the same argument in one rule.
    std::vector<SeccompArg> args;
    SeccompCondition includes;
    SeccompCondition excludes;
    std::string comment;
};

struct SeccompArchMapEntry {
    std::string arch;                   // "SCMP_ARCH_X86_64"
    std::vector<std::string> sub_arches; // "SCMP_ARCH_X86", "SCMP_ARCH_X32"
};

struct SeccompProfile {
    SeccompAction default_action{SeccompActionKind::errno_ret, 1};
    std::vector<std::string> architectures;  // "SCMP_ARCH_*"; empty = native only
    std::vector<SeccompArchMapEntry> arch_map; // the entry of the native arch is used
    std::vector<SeccompRule> syscalls;
};

// The default profile: everything a normal program needs, nothing that
// reaches past the container (keyrings, kexec, modules, mount and namespaces
// without CAP_SYS_ADMIN, clock changes without CAP_SYS_TIME, ...). Denied
// calls fail with EPERM; clone3 without CAP_SYS_ADMIN fails with ENOSYS so
// that libc falls back to clone, whose flags can be inspected.
// Multi-arch: x86_64 + x86 + x32, aarch64 + arm (and the other archMap
// entries of Docker's default).
SeccompProfile default_seccomp_profile();

// Docker's JSON format (defaultAction, defaultErrnoRet, architectures,
// archMap, syscalls[] with names/name, action, errnoRet, args, includes,
// excludes, comment). origin names the source in errors:
//   "seccomp profile /x.json: syscalls[3].action: unknown action 'SCMP_ACT_FOO'".
// Unknown keys are ignored (as Docker does); listenerPath/flags are refused
// because skiff does not support seccomp notify.
SeccompProfile parse_seccomp_profile(std::string_view json, const std::string& origin);
SeccompProfile load_seccomp_profile(const std::string& path);

struct SeccompBuildOptions {
    CapMask caps = 0;          // the container's bounding set
    std::string native_arch{}; // GOARCH-style; empty = this machine's
    std::string kernel{};      // "6.1.0-..."; empty = uname -r
};

// A classic BPF program, ready for SECCOMP_SET_MODE_FILTER. Empty = no
// filter (unconfined).
struct PreparedSeccomp {
    std::vector<sock_filter> prog;
    bool unconfined() const { return prog.empty(); }
};

// Compiles with libseccomp in the calling process (nothing is loaded).
// Syscall names libseccomp does not know are skipped, as Docker does.
// Throws Error on an unknown architecture, a bad minKernel, or a rule that
// libseccomp refuses.
PreparedSeccomp compile_seccomp(const SeccompProfile& profile, const SeccompBuildOptions& opts);

// --security-opt seccomp=VALUE: "" -> the default profile, "unconfined" ->
// no filter, anything else -> a JSON profile at that path.
PreparedSeccomp prepare_seccomp(const std::string& security_opt_value, CapMask caps, const std::string& cache_dir = {});

// The native architecture in Docker's naming ("amd64", "arm64", ...).
std::string native_seccomp_arch();

// Async-signal-safe; for the child only. Installs the filter on the calling
// thread with seccomp(SECCOMP_SET_MODE_FILTER, 0) (prctl(PR_SET_SECCOMP) on
// kernels without the seccomp syscall). No TSYNC: the child is single-threaded.
// An unconfined PreparedSeccomp is a no-op. Returns 0 or errno (EACCES:
// neither no_new_privs nor CAP_SYS_ADMIN).
int apply_seccomp(const PreparedSeccomp& filter) noexcept;

} // namespace skiff::runtime
