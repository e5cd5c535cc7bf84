// From -v, --mount and the image's VOLUME entries to the runtime's binds
// and tmpfs mounts: volumes are created (named ones when missing, anonymous
// ones for "-v /path" and VOLUME), a fresh volume is seeded with the
// image's content at its target (inside the user's ID mapping, so owners
// are kept), and `U` chowns a source to the container's user. Mount
// targets are resolved by the runtime after pivot_root, where a symlink in
// the image can only lead to another place inside the container.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "engine/mount_options.hpp"
#include "runtime/container_spec.hpp"

namespace skiff::engine {

// Parses every -v and --mount (checking them before any work); a target
// given twice is an error, as in docker.
std::vector<MountRequest> parse_mount_requests(const std::vector<std::string>& volumes,
                                               const std::vector<std::string>& mounts,
                                               const std::vector<std::string>& tmpfs_targets);

// --volumes-from CONTAINER[:ro|rw]: the volumes and binds of another
// container's record (read-only or read-write as given, else as it had
// them), for targets the requests do not already cover.
void add_volumes_from(const Paths& paths, const std::vector<std::string>& from, std::vector<MountRequest>& requests,
                      const std::vector<std::string>& tmpfs_targets);

// Adds anonymous volumes for the image's VOLUME paths that no request or
// --tmpfs covers, creates the volumes, and fills in anonymous volumes'
// names. Returns the mounts for the container record ("SRC:DST[:OPTS]",
// SRC a host path or a volume name).
std::vector<std::string> create_volumes(const Paths& paths, std::vector<MountRequest>& requests,
                                        const std::vector<std::string>& image_volumes,
                                        const std::vector<std::string>& tmpfs_targets);

struct MountUser {
    uint32_t uid = 0, gid = 0; // in the container
};

// Seeds empty volumes from the image (rootfs: the container's, not yet
// mounted), chowns `U` sources, and appends the runtime mounts.
void apply_mounts(const Paths& paths, const std::vector<MountRequest>& requests, const runtime::RootfsSpec& rootfs,
                  MountUser user, std::vector<runtime::BindMount>& binds, std::vector<runtime::TmpfsMount>& tmpfs);

} // namespace skiff::engine
