#include "runtime/freezer.hpp"

#include <cerrno>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

namespace {

constexpr const char* kV1Root = "/sys/fs/cgroup/freezer";
constexpr const char* kV2Root = "/sys/fs/cgroup";

bool is_cgroup2(const char* path) {
    struct statfs s {};
    return ::statfs(path, &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

void write_to(const std::string& path, std::string_view value) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_errno("opening " + path);
    if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
        throw_errno("writing '" + std::string(value) + "' to " + path);
}

void make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("creating the cgroup " + path);
}

} // namespace

std::optional<Freezer> Freezer::for_container(const std::string& id, bool rootless, std::string* why) {
    auto none = [&](const char* reason) -> std::optional<Freezer> {
        if (why != nullptr) *why = reason;
        return std::nullopt;
    };
    if (rootless) return none("rootless containers have no cgroup of their own: no cgroup is delegated to you on this host");
    if (is_cgroup2(kV2Root)) {
        if (::access(kV2Root, W_OK) != 0) return none("the cgroup v2 tree is not writable");
        return Freezer(std::string(kV2Root) + "/skiff/" + id, true);
    }
    if (::access(kV1Root, W_OK) == 0) return Freezer(std::string(kV1Root) + "/skiff/" + id, false);
    return none("this host has no cgroup freezer (neither cgroup v2 nor v1's freezer controller is mounted writable)");
}

void Freezer::create() const {
    make_dir(dir_.substr(0, dir_.rfind('/')));
    make_dir(dir_);
}

void Freezer::add(int pid) const { write_to(procs_file(), std::to_string(pid)); }

bool Freezer::exists() const {
    struct stat st {};
    return ::stat(dir_.c_str(), &st) == 0;
}

std::string Freezer::procs_file() const { return dir_ + "/cgroup.procs"; }

bool Freezer::frozen() const {
    if (v2_) return read_file(dir_ + "/cgroup.events", 4096).find("frozen 1") != std::string::npos;
    return read_file(dir_ + "/freezer.state", 64).rfind("FROZEN", 0) == 0;
}

void Freezer::freeze() const {
    if (v2_) write_to(dir_ + "/cgroup.freeze", "1");
    else write_to(dir_ + "/freezer.state", "FROZEN");
    for (int i = 0; i < 400; ++i) {
        if (frozen()) return;
        // v1 can stay FREEZING when a task is busy in the kernel: ask again.
        if (!v2_) write_to(dir_ + "/freezer.state", "FROZEN");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    thaw();
    throw Error("the container's processes did not freeze within 2 s");
}

void Freezer::thaw() const {
    if (v2_) write_to(dir_ + "/cgroup.freeze", "0");
    else write_to(dir_ + "/freezer.state", "THAWED");
}

void Freezer::remove() const noexcept { ::rmdir(dir_.c_str()); }

} // namespace skiff::runtime
