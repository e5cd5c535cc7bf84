// User namespace ID mappings for rootless containers: the subordinate ranges
// a user owns in /etc/subuid and /etc/subgid, the setuid helpers
// (newuidmap/newgidmap) that install a mapping the kernel would refuse from
// an unprivileged writer, and the mapping skiff builds from them:
// container 0 -> the user, 1..N -> the subordinate ranges in file order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace skiff::runtime {

// A block of host IDs: [start, start + count).
struct IdRange {
    uint32_t start = 0;
    uint32_t count = 0;
    bool operator==(const IdRange&) const = default;
};

// One line of /proc/PID/uid_map: container_id..+size maps to host_id..+size.
struct IdMapping {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 0;
    bool operator==(const IdMapping&) const = default;
};

// The ranges owned by a user in the text of a subuid/subgid file
// ("owner:start:count" per line). owner matches user by name, or uid when the
// owner field is numeric. Comments (#), blank lines and malformed lines
// (wrong field count, non-numeric or zero count, a range past 2^32-1) are
// skipped, as are exact duplicates and ranges overlapping an earlier one
// (the kernel would refuse such a mapping). File order is kept.
std::vector<IdRange> parse_subordinate_ranges(std::string_view text, std::string_view user, uint32_t uid);

// Reads path and parses it as above. A missing file yields no ranges; any
// other read error throws Error naming the file.
std::vector<IdRange> subordinate_ranges(const std::string& path, std::string_view user, uint32_t uid);

// The sum of the counts (saturating at UINT32_MAX).
uint32_t total_ids(const std::vector<IdRange>& ranges);

// The mapping for a rootless container: container 0 -> host_id (size 1),
// then the subordinate ranges packed from container ID 1. A range that
// contains host_id itself is split around it. At most kMaxIdMapLines lines
// (the kernel's limit); container IDs stop below 2^32-1.
inline constexpr size_t kMaxIdMapLines = 340;
std::vector<IdMapping> container_id_mappings(uint32_t host_id, const std::vector<IdRange>& subordinate);

// "0 1000 1\n1 100000 65536\n": the text written to /proc/PID/uid_map.
std::string format_id_map(const std::vector<IdMapping>& mappings);

// The mappings in the text of /proc/PID/uid_map or gid_map (three numbers
// per line, any spacing). nullopt when a line is not three numbers.
std::optional<std::vector<IdMapping>> parse_id_map(std::string_view text);

// argv for newuidmap/newgidmap: {helper, "PID", "0", "1000", "1", ...}.
std::vector<std::string> id_map_helper_argv(const std::string& helper, pid_t pid,
                                            const std::vector<IdMapping>& mappings);

// newuidmap or newgidmap as found on this host.
struct IdMapHelper {
    std::string name;    // "newuidmap"
    std::string path;    // empty when not found
    bool usable = false; // executable and privileged (setuid root or file capability)
    std::string detail;  // how it is privileged, or why it is not usable
};

// Looks for name in search_path (a PATH-style list; may be empty) and then in
// /usr/bin, /usr/sbin, /bin, /sbin. needed_cap is the capability the helper
// must carry when it is not setuid root (CAP_SETUID for newuidmap,
// CAP_SETGID for newgidmap). Never throws for a missing or unusable helper.
IdMapHelper find_id_map_helper(const std::string& name, std::string_view search_path, int needed_cap);

// Both helpers with their capabilities, searching $PATH.
IdMapHelper find_newuidmap();
IdMapHelper find_newgidmap();

} // namespace skiff::runtime
