#include "runtime/seccomp_cache.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/filter.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace skiff::runtime {

namespace {

constexpr const char* kMagic = "skiff-seccomp-1";

uint64_t fnv1a(std::string_view s) {
    uint64_t h = 14695981039346656037ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

// The cached program, or nullopt when the file is absent, from another key
// or malformed.
std::optional<PreparedSeccomp> read_cached(const std::string& path, const std::string& key) {
    std::string bytes;
    try {
        bytes = read_file(path, key.size() + 1 + BPF_MAXINSNS * sizeof(sock_filter));
    } catch (const Error&) {
        return std::nullopt;
    }
    if (bytes.size() <= key.size() || bytes.compare(0, key.size(), key) != 0 || bytes[key.size()] != '\n')
        return std::nullopt;
    size_t n = bytes.size() - key.size() - 1;
    if (n == 0 || n % sizeof(sock_filter) != 0 || n / sizeof(sock_filter) > BPF_MAXINSNS) return std::nullopt;
    PreparedSeccomp p;
    p.prog.resize(n / sizeof(sock_filter));
    std::memcpy(p.prog.data(), bytes.data() + key.size() + 1, n);
    return p;
}

} // namespace

std::string seccomp_cache_key(CapMask caps) {
    struct stat st {};
    if (::stat("/proc/self/exe", &st) < 0) throw_errno("stat /proc/self/exe");
    struct utsname u {};
    ::uname(&u);
    return fmt::format("{} exe={}:{}:{}:{}.{} caps={:x} kernel={} {} arch={}", kMagic, st.st_dev, st.st_ino,
                       st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, caps, u.release, u.version,
                       native_seccomp_arch());
}

PreparedSeccomp default_seccomp_cached(const std::string& dir, CapMask caps) {
    SeccompBuildOptions opts;
    opts.caps = caps;
    if (dir.empty()) return compile_seccomp(default_seccomp_profile(), opts);
    std::string key;
    try {
        key = seccomp_cache_key(caps);
    } catch (const Error& e) {
        log::debug("seccomp cache: {}", e.what());
        return compile_seccomp(default_seccomp_profile(), opts);
    }
    std::string path = fmt::format("{}/{:016x}.bpf", dir, fnv1a(key));
    if (auto cached = read_cached(path, key)) return std::move(*cached);
    PreparedSeccomp p = compile_seccomp(default_seccomp_profile(), opts);
    try {
        make_dirs(dir, 0700);
        std::string out = key + '\n';
        out.append(reinterpret_cast<const char*>(p.prog.data()), p.prog.size() * sizeof(sock_filter));
        atomic_write_file(path, out, 0600);
    } catch (const Error& e) {
        log::debug("seccomp cache: not stored: {}", e.what());
    }
    return p;
}

} // namespace skiff::runtime
