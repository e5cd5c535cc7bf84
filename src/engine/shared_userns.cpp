#include "engine/shared_userns.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "engine/container_state.hpp"
#include "runtime/idmap.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace skiff::engine {

namespace {

std::string holder_file(const Paths& paths) { return paths.runroot + "/userns"; }

bool maps_match(pid_t pid, const char* name, const std::vector<runtime::IdMapping>& want) {
    try {
        auto got = runtime::parse_id_map(read_file(fmt::format("/proc/{}/{}", pid, name), 64 * 1024));
        return got && *got == want;
    } catch (const Error&) {
        return false;
    }
}

} // namespace

UniqueFd open_shared_userns(const Paths& paths, const runtime::UserNamespaceMaps& maps) {
    if (maps.single_id || maps.uid.empty()) return {};
    std::string text;
    try {
        text = read_file(holder_file(paths), 256);
    } catch (const Error&) {
        return {}; // none recorded yet
    }
    pid_t pid = 0;
    unsigned long long start = 0;
    if (std::sscanf(text.c_str(), "%d %llu", &pid, &start) != 2 || pid <= 0 || start == 0) return {};
    if (!process_alive(pid, start)) return {};
    UniqueFd fd(::open(fmt::format("/proc/{}/ns/user", pid).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        log::debug("not sharing the user namespace of {}: {}", pid, std::strerror(errno));
        return {};
    }
    // Still the same process once the namespace is held (no pid reuse in
    // between), and a namespace with exactly the maps this container needs.
    if (!process_alive(pid, start) || !maps_match(pid, "uid_map", maps.uid) || !maps_match(pid, "gid_map", maps.gid))
        return {};
    // Not the namespace skiff runs in (a joiner must get a child of it).
    struct stat mine {}, theirs {};
    if (::stat("/proc/self/ns/user", &mine) == 0 && ::fstat(fd.get(), &theirs) == 0 && mine.st_ino == theirs.st_ino &&
        mine.st_dev == theirs.st_dev)
        return {};
    log::debug("sharing the user namespace of process {}", pid);
    return fd;
}

void record_userns_holder(const Paths& paths, pid_t pid) {
    uint64_t start = process_start_time(pid);
    if (start == 0) return;
    try {
        atomic_write_file(holder_file(paths), fmt::format("{} {}\n", pid, start), 0600);
    } catch (const Error& e) {
        log::debug("not recording the shared user namespace: {}", e.what());
    }
}

} // namespace skiff::engine
