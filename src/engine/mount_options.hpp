// -v, --tmpfs and --security-opt values, parsed with docker's syntax into
// what the runtime takes. Pure functions, unit-tested.
#pragma once

#include <string>
#include <vector>

#include "runtime/container_spec.hpp"

namespace skiff::engine {

// One -v or --mount, parsed: what to mount where, before any volume exists.
struct MountRequest {
    enum class Kind { bind, volume, tmpfs } kind = Kind::bind;
    std::string source; // host path (bind), volume name ("" = anonymous), unused for tmpfs
    std::string target; // absolute path in the container
    bool readonly = false;
    unsigned long flags = 0; // MS_NOSUID | MS_NODEV | MS_NOEXEC
    bool chown = false;      // U: chown the source to the container's user
    bool nocopy = false;     // volume-nocopy / nocopy: do not seed from the image
    bool must_exist = false; // --mount type=bind: a missing source is an error
    std::string tmpfs;       // tmpfs: "DST[:OPTS]" for parse_tmpfs
};

// -v: "SRC:DST[:OPTS]" (SRC an absolute host path or a volume name) or
// "DST" (an anonymous volume). OPTS: ro, rw, z, Z (no SELinux here:
// accepted, nothing to relabel), U, nocopy, nosuid, nodev, noexec,
// private, rprivate (what every mount is; the shared/slave kinds are refused).
MountRequest parse_volume(const std::string& spec);

// --mount: docker's "type=bind|volume|tmpfs,source=,target=,readonly,..."
// with source|src, target|destination|dst, readonly|ro[=BOOL],
// bind-propagation=private|rprivate, volume-nocopy, tmpfs-size=BYTES,
// tmpfs-mode=OCTAL. Anything else is an error.
MountRequest parse_mount(const std::string& spec);

// "DST[:OPTS]": ro, rw, size=, mode=, uid=, gid=, nr_inodes=, exec/noexec,
// suid/nosuid, dev/nodev. Defaults as podman: rw,noexec,nosuid,nodev.
runtime::TmpfsMount parse_tmpfs(const std::string& spec);

struct SecurityOpts {
    bool seccomp = true;
    std::string seccomp_profile; // "" default
    bool no_new_privs = false;
};
// seccomp=unconfined|PATH, no-new-privileges[=true|false|:true|:false],
// label=disable (accepted: no SELinux here). Anything else is an error.
SecurityOpts parse_security_opts(const std::vector<std::string>& opts);

} // namespace skiff::engine
