// -v, --tmpfs and --security-opt values, parsed with docker's syntax into
// what the runtime takes. Pure functions, unit-tested.
#pragma once

#include <string>
#include <vector>

#include "runtime/container_spec.hpp"

namespace skiff::engine {

// "SRC:DST[:OPTS]" with SRC an absolute host path. OPTS: ro, rw, z, Z (no
// SELinux here: accepted, nothing to relabel), nosuid, nodev, noexec.
// Named volumes come with the volumes work; for now a clear error.
runtime::BindMount parse_volume(const std::string& spec);

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
