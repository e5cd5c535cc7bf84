#include "runtime/capabilities.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/error.hpp"

namespace skiff::runtime {

namespace {

// Index = capability number (include/uapi/linux/capability.h), without "CAP_".
constexpr std::array<std::string_view, 41> kCapNames = {
    "CHOWN",           "DAC_OVERRIDE",   "DAC_READ_SEARCH", "FOWNER",        "FSETID",
    "KILL",            "SETGID",         "SETUID",          "SETPCAP",       "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN",       "NET_RAW",       "IPC_LOCK",
    "IPC_OWNER",       "SYS_MODULE",     "SYS_RAWIO",       "SYS_CHROOT",    "SYS_PTRACE",
    "SYS_PACCT",       "SYS_ADMIN",      "SYS_BOOT",        "SYS_NICE",      "SYS_RESOURCE",
    "SYS_TIME",        "SYS_TTY_CONFIG", "MKNOD",           "LEASE",         "AUDIT_WRITE",
    "AUDIT_CONTROL",   "SETFCAP",        "MAC_OVERRIDE",    "MAC_ADMIN",     "SYSLOG",
    "WAKE_ALARM",      "BLOCK_SUSPEND",  "AUDIT_READ",      "PERFMON",       "BPF",
    "CHECKPOINT_RESTORE",
};

constexpr int kTableLastCap = static_cast<int>(kCapNames.size()) - 1;

// "cap_chown" / "chown" / "CAP_CHOWN" -> "CHOWN".
std::string normalized(std::string_view name) {
    std::string up;
    up.reserve(name.size());
    for (char c : name) up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (up.starts_with("CAP_")) up.erase(0, 4);
    return up;
}

bool is_all(std::string_view name) { return normalized(name) == "ALL"; }

// The numbers of a --cap-add/--cap-drop list, without ALL.
CapMask mask_of(const std::vector<std::string>& names, int last_cap) {
    CapMask m = 0;
    for (const auto& n : names) {
        if (is_all(n)) continue;
        auto cap = capability_from_name(n);
        if (!cap) throw Error(fmt::format("unknown capability 'CAP_{}'", normalized(n)));
        if (*cap > last_cap)
            throw Error(fmt::format("capability '{}' is not supported by the running kernel",
                                    capability_name(*cap)));
        m |= cap_bit(*cap);
    }
    return m;
}

bool contains_all(const std::vector<std::string>& names) {
    return std::any_of(names.begin(), names.end(), [](const std::string& n) { return is_all(n); });
}

uint32_t low32(CapMask m) { return static_cast<uint32_t>(m & 0xffffffffu); }
uint32_t high32(CapMask m) { return static_cast<uint32_t>(m >> 32); }

} // namespace

std::optional<int> capability_from_name(std::string_view name) {
    std::string n = normalized(name);
    for (size_t i = 0; i < kCapNames.size(); ++i)
        if (kCapNames[i] == n) return static_cast<int>(i);
    return std::nullopt;
}

std::string capability_name(int cap) {
    if (cap >= 0 && cap <= kTableLastCap) return "CAP_" + std::string(kCapNames[static_cast<size_t>(cap)]);
    return fmt::format("CAP_{}", cap);
}

int last_capability() {
    std::ifstream in("/proc/sys/kernel/cap_last_cap");
    int n = -1;
    if (in >> n && n >= 0) return std::min(n, 63);
    return kTableLastCap;
}

CapMask all_capabilities(int last_cap) {
    if (last_cap >= 63) return ~CapMask{0};
    if (last_cap < 0) return 0;
    return (CapMask{1} << (last_cap + 1)) - 1;
}

CapMask default_capabilities() {
    constexpr int caps[] = {CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FOWNER,  CAP_FSETID,
                            CAP_KILL,   CAP_NET_BIND_SERVICE, CAP_SETFCAP, CAP_SETGID,
                            CAP_SETPCAP, CAP_SETUID,      CAP_SYS_CHROOT};
    CapMask m = 0;
    for (int c : caps) m |= cap_bit(c);
    return m;
}

std::vector<std::string> capability_names(CapMask mask) {
    std::vector<std::string> out;
    for (int i = 0; i < 64; ++i)
        if (mask & cap_bit(i)) out.push_back(capability_name(i));
    return out;
}

CapMask resolve_capabilities(const CapabilityOptions& opts, int last_cap) {
    const CapMask all = all_capabilities(last_cap);
    // Validate every name first so that a typo is reported even when ALL
    // would make it irrelevant.
    const CapMask add = mask_of(opts.add, last_cap);
    const CapMask drop = mask_of(opts.drop, last_cap);
    const bool add_all = contains_all(opts.add);
    const bool drop_all = contains_all(opts.drop);

    if (opts.privileged) return drop_all ? add : (all & ~drop);
    if (add_all) return all & ~drop;
    if (drop_all) return add;
    return ((default_capabilities() & all) & ~drop) | add;
}

CapabilitySet capability_set_for_user(CapMask kept, bool non_root_user) {
    CapabilitySet s;
    s.bounding = kept;
    if (!non_root_user) {
        s.effective = kept;
        s.permitted = kept;
    }
    return s;
}

PreparedCaps prepare_capabilities(const CapabilitySet& set, int last_cap) {
    if (set.ambient != 0) throw Error("ambient capabilities are not supported");
    if ((set.effective & ~set.permitted) != 0)
        throw Error("capability set: effective capabilities must also be permitted");
    PreparedCaps p;
    p.set = set;
    p.last_cap = std::clamp(last_cap, 0, 63);
    p.header.version = _LINUX_CAPABILITY_VERSION_3;
    p.header.pid = 0;
    p.data[0].effective = low32(set.effective);
    p.data[1].effective = high32(set.effective);
    p.data[0].permitted = low32(set.permitted);
    p.data[1].permitted = high32(set.permitted);
    p.data[0].inheritable = low32(set.inheritable);
    p.data[1].inheritable = high32(set.inheritable);
    return p;
}

int apply_capabilities(const PreparedCaps& caps, const char** failed_step) noexcept {
    const char* unused = nullptr;
    const char** step = failed_step ? failed_step : &unused;
    auto fail = [&](const char* what) {
        *step = what;
        return errno != 0 ? errno : EINVAL;
    };

    // capset/capget may write the header (the preferred version), so work on copies.
    __user_cap_header_struct hdr = caps.header;
    __user_cap_data_struct cur[2] = {};
    if (syscall(SYS_capget, &hdr, cur) != 0) return fail("capget");

    // After a keepcaps setresuid the effective set is empty; PR_CAPBSET_DROP
    // needs CAP_SETPCAP in it, so raise effective to what is permitted.
    cur[0].effective = cur[0].permitted;
    cur[1].effective = cur[1].permitted;
    hdr = caps.header;
    if (syscall(SYS_capset, &hdr, cur) != 0) return fail("capset (raise effective)");

    for (int cap = 0; cap <= caps.last_cap; ++cap) {
        if (caps.set.bounding & cap_bit(cap)) continue;
        int in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in_set == 0) continue;            // already gone
        if (in_set < 0 && errno == EINVAL) continue; // unknown to this kernel
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return fail("prctl(PR_CAPBSET_DROP)");
    }

    // Kernels before 4.3 have no ambient set: EINVAL means nothing to clear.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return fail("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");

    __user_cap_data_struct data[2] = {caps.data[0], caps.data[1]};
    hdr = caps.header;
    if (syscall(SYS_capset, &hdr, data) != 0) return fail("capset");
    *step = nullptr;
    return 0;
}

CapMask own_bounding_set(int last_cap) {
    CapMask m = 0;
    for (int c = 0; c <= last_cap && c < 64; ++c)
        if (::prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) m |= cap_bit(c);
    return m;
}

} // namespace skiff::runtime
