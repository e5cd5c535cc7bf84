#include "runtime/idmap.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

namespace {

constexpr uint64_t kIdLimit = std::numeric_limits<uint32_t>::max(); // (uid_t)-1 is not an ID

std::string_view trim(std::string_view s) {
    const char* ws = " \t\r";
    size_t b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    size_t e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

bool parse_u64(std::string_view s, uint64_t& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

bool owner_matches(std::string_view owner, std::string_view user, uint32_t uid) {
    if (!user.empty() && owner == user) return true;
    uint64_t n = 0;
    return parse_u64(owner, n) && n == uid;
}

bool overlaps(const IdRange& a, const IdRange& b) {
    uint64_t a_end = uint64_t{a.start} + a.count;
    uint64_t b_end = uint64_t{b.start} + b.count;
    return a.start < b_end && b.start < a_end;
}

} // namespace

std::vector<IdRange> parse_subordinate_ranges(std::string_view text, std::string_view user, uint32_t uid) {
    std::vector<IdRange> out;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty() || line.front() == '#') continue;

        size_t c1 = line.find(':');
        if (c1 == std::string_view::npos) continue;
        size_t c2 = line.find(':', c1 + 1);
        if (c2 == std::string_view::npos || line.find(':', c2 + 1) != std::string_view::npos) continue;

        std::string_view owner = trim(line.substr(0, c1));
        uint64_t start = 0, count = 0;
        if (!parse_u64(trim(line.substr(c1 + 1, c2 - c1 - 1)), start)) continue;
        if (!parse_u64(trim(line.substr(c2 + 1)), count)) continue;
        if (count == 0 || start >= kIdLimit || count > kIdLimit - start) continue;
        if (!owner_matches(owner, user, uid)) continue;

        IdRange r{static_cast<uint32_t>(start), static_cast<uint32_t>(count)};
        bool clash = false;
        for (const IdRange& prev : out) clash = clash || overlaps(prev, r);
        if (!clash) out.push_back(r);
    }
    return out;
}

std::vector<IdRange> subordinate_ranges(const std::string& path, std::string_view user, uint32_t uid) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return {};
        throw_errno("opening " + path);
    }
    UniqueFd owned(fd);
    std::string text = with_context("reading " + path, [&] { return read_all(owned.get(), 16u << 20); });
    return parse_subordinate_ranges(text, user, uid);
}

uint32_t total_ids(const std::vector<IdRange>& ranges) {
    uint64_t sum = 0;
    for (const IdRange& r : ranges) sum += r.count;
    return sum > kIdLimit ? static_cast<uint32_t>(kIdLimit) : static_cast<uint32_t>(sum);
}

std::vector<IdMapping> container_id_mappings(uint32_t host_id, const std::vector<IdRange>& subordinate) {
    std::vector<IdMapping> out{{0, host_id, 1}};
    uint64_t next = 1; // next free container ID
    auto add = [&](uint64_t start, uint64_t count) {
        if (count == 0 || out.size() >= kMaxIdMapLines || next >= kIdLimit) return;
        count = std::min(count, kIdLimit - next);
        out.push_back({static_cast<uint32_t>(next), static_cast<uint32_t>(start), static_cast<uint32_t>(count)});
        next += count;
    };
    for (const IdRange& r : subordinate) {
        uint64_t start = r.start, end = uint64_t{r.start} + r.count;
        if (host_id >= start && host_id < end) {
            // The user's own ID is already container 0: map around it.
            add(start, host_id - start);
            add(uint64_t{host_id} + 1, end - host_id - 1);
        } else {
            add(start, r.count);
        }
    }
    return out;
}

std::string format_id_map(const std::vector<IdMapping>& mappings) {
    std::string s;
    for (const IdMapping& m : mappings) s += fmt::format("{} {} {}\n", m.container_id, m.host_id, m.size);
    return s;
}

std::optional<std::vector<IdMapping>> parse_id_map(std::string_view text) {
    std::vector<IdMapping> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        std::string_view line = text.substr(pos, eol - pos);
        pos = eol + 1;
        uint64_t v[3];
        int n = 0;
        size_t i = 0;
        while (i < line.size()) {
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
            if (i == line.size()) break;
            if (n == 3 || line[i] < '0' || line[i] > '9') return std::nullopt;
            uint64_t x = 0;
            while (i < line.size() && line[i] >= '0' && line[i] <= '9') {
                x = x * 10 + static_cast<uint64_t>(line[i] - '0');
                if (x > UINT32_MAX) return std::nullopt;
                ++i;
            }
            v[n++] = x;
        }
        if (n == 0) continue;
        if (n != 3) return std::nullopt;
        out.push_back({static_cast<uint32_t>(v[0]), static_cast<uint32_t>(v[1]), static_cast<uint32_t>(v[2])});
    }
    return out;
}

std::vector<std::string> id_map_helper_argv(const std::string& helper, pid_t pid,
                                            const std::vector<IdMapping>& mappings) {
    std::vector<std::string> argv{helper, std::to_string(pid)};
    for (const IdMapping& m : mappings) {
        argv.push_back(std::to_string(m.container_id));
        argv.push_back(std::to_string(m.host_id));
        argv.push_back(std::to_string(m.size));
    }
    return argv;
}

namespace {

uint32_t le32(const unsigned char* p) {
    return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

// Whether the security.capability xattr of path grants cap (permitted set).
// Sets why to a description either way; false when there is no xattr.
bool file_has_capability(const std::string& path, int cap, std::string& why) {
    unsigned char buf[64];
    ssize_t n = ::getxattr(path.c_str(), "security.capability", buf, sizeof buf);
    if (n < 0) {
        why = errno == ENODATA ? "no file capabilities" : fmt::format("reading its capabilities: {}", std::strerror(errno));
        return false;
    }
    if (n < 12) { // magic_etc + one {permitted, inheritable} pair
        why = "unreadable file capabilities";
        return false;
    }
    uint32_t magic = le32(buf);
    uint32_t revision = magic & VFS_CAP_REVISION_MASK;
    if (revision == VFS_CAP_REVISION_3 && n >= 24 && le32(buf + 20) != 0) {
        why = "its file capabilities belong to another user namespace";
        return false;
    }
    if (cap >= 32 || (le32(buf + 4) & (1u << cap)) == 0) {
        why = "its file capabilities lack the needed one";
        return false;
    }
    bool effective = (magic & VFS_CAP_FLAGS_EFFECTIVE) != 0;
    why = fmt::format("file capability {}{}", cap == CAP_SETUID ? "cap_setuid" : "cap_setgid",
                      effective ? "=ep" : "=p");
    return true;
}

IdMapHelper check_helper(const std::string& name, const std::string& path, int cap) {
    IdMapHelper h{name, path, false, {}};
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) {
        h.detail = fmt::format("{}: {}", path, std::strerror(errno));
        return h;
    }
    if (::access(path.c_str(), X_OK) < 0) {
        h.detail = fmt::format("{} is not executable by this user", path);
        return h;
    }
    struct statvfs vfs {};
    if (::statvfs(path.c_str(), &vfs) == 0 && (vfs.f_flag & ST_NOSUID) != 0) {
        h.detail = fmt::format("{} is on a nosuid mount: it cannot gain privileges", path);
        return h;
    }
    if ((st.st_mode & S_ISUID) != 0 && st.st_uid == 0) {
        h.usable = true;
        h.detail = "setuid root";
        return h;
    }
    std::string why;
    if (file_has_capability(path, cap, why)) {
        h.usable = true;
        h.detail = why;
        return h;
    }
    h.detail = fmt::format("{} is neither setuid root nor carries the capability ({})", path, why);
    return h;
}

} // namespace

IdMapHelper find_id_map_helper(const std::string& name, std::string_view search_path, int needed_cap) {
    std::vector<std::string> dirs;
    auto add_dir = [&](std::string_view d) {
        if (d.empty() || d.front() != '/') return; // relative PATH entries are not trusted
        std::string s(d);
        while (s.size() > 1 && s.back() == '/') s.pop_back();
        for (const std::string& e : dirs)
            if (e == s) return;
        dirs.push_back(std::move(s));
    };
    while (!search_path.empty()) {
        size_t colon = search_path.find(':');
        add_dir(search_path.substr(0, colon));
        search_path = colon == std::string_view::npos ? std::string_view{} : search_path.substr(colon + 1);
    }
    for (const char* d : {"/usr/bin", "/usr/sbin", "/bin", "/sbin"}) add_dir(d);

    for (const std::string& d : dirs) {
        std::string path = d + "/" + name;
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return check_helper(name, path, needed_cap);
    }
    return IdMapHelper{name, {}, false, fmt::format("{} not found (install the uidmap package)", name)};
}

IdMapHelper find_newuidmap() {
    const char* p = std::getenv("PATH");
    return find_id_map_helper("newuidmap", p != nullptr ? p : "", CAP_SETUID);
}

IdMapHelper find_newgidmap() {
    const char* p = std::getenv("PATH");
    return find_id_map_helper("newgidmap", p != nullptr ? p : "", CAP_SETGID);
}

} // namespace skiff::runtime
