// SeccompProfile -> classic BPF with libseccomp (in the parent), and the
// one-syscall install in the child.
#include "runtime/seccomp_profile.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <linux/seccomp.h>
#include <memory>
#include <set>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>
#include <seccomp.h>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace skiff::runtime {

namespace {

struct FilterRelease {
    void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};
// scmp_filter_ctx is void*; this owns one.
using ScmpFilter = std::unique_ptr<void, FilterRelease>;

// Docker's architecture names (Go's GOARCH) next to libseccomp's.
struct ArchName {
    const char* go;
    const char* scmp;
    uint32_t token;
};
constexpr ArchName kArches[] = {
    {"amd64", "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"386", "SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"x32", "SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"arm64", "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"arm", "SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"mips", "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"mips64", "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"mips64n32", "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"mipsle", "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"mips64le", "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"mips64len32", "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"ppc", "SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"ppc64", "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"ppc64le", "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"s390", "SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"s390x", "SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"riscv64", "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

const ArchName* arch_by_scmp(std::string_view scmp) {
    for (const auto& a : kArches)
        if (scmp == a.scmp) return &a;
    return nullptr;
}

const ArchName* arch_by_go(std::string_view go) {
    for (const auto& a : kArches)
        if (go == a.go) return &a;
    return nullptr;
}

uint32_t to_scmp(const SeccompAction& a) {
    switch (a.kind) {
    case SeccompActionKind::allow: return SCMP_ACT_ALLOW;
    case SeccompActionKind::errno_ret: return SCMP_ACT_ERRNO(a.value);
    case SeccompActionKind::kill_thread: return SCMP_ACT_KILL_THREAD;
    case SeccompActionKind::kill_process: return SCMP_ACT_KILL_PROCESS;
    case SeccompActionKind::trap: return SCMP_ACT_TRAP;
    case SeccompActionKind::trace: return SCMP_ACT_TRACE(a.value);
    case SeccompActionKind::log: return SCMP_ACT_LOG;
    }
    return SCMP_ACT_KILL_PROCESS;
}

scmp_compare to_scmp(SeccompOp op) {
    switch (op) {
    case SeccompOp::ne: return SCMP_CMP_NE;
    case SeccompOp::lt: return SCMP_CMP_LT;
    case SeccompOp::le: return SCMP_CMP_LE;
    case SeccompOp::eq: return SCMP_CMP_EQ;
    case SeccompOp::ge: return SCMP_CMP_GE;
    case SeccompOp::gt: return SCMP_CMP_GT;
    case SeccompOp::masked_eq: return SCMP_CMP_MASKED_EQ;
    }
    return SCMP_CMP_EQ;
}

scmp_arg_cmp to_cmp(const SeccompArg& a) {
    scmp_arg_cmp c{};
    c.arg = a.index;
    c.op = to_scmp(a.op);
    c.datum_a = a.value;     // the mask for MASKED_EQ
    c.datum_b = a.value_two; // the value the masked argument must equal
    return c;
}

struct KernelVersion {
    int major = 0;
    int minor = 0;
    bool operator>=(const KernelVersion& o) const {
        return major != o.major ? major > o.major : minor >= o.minor;
    }
};

// "6.1.0-13-amd64" -> {6, 1}; the parser already checked minKernel's form.
KernelVersion parse_kernel(std::string_view s) {
    KernelVersion v;
    size_t i = 0;
    auto num = [&](int& out) {
        out = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') out = out * 10 + (s[i++] - '0');
    };
    num(v.major);
    if (i < s.size() && s[i] == '.') {
        ++i;
        num(v.minor);
    }
    return v;
}

std::string running_kernel() {
    struct utsname u {};
    if (::uname(&u) != 0) throw_errno("uname");
    return u.release;
}

bool has_cap(CapMask caps, const std::string& name) {
    auto n = capability_from_name(name);
    return n && (caps & cap_bit(*n)) != 0;
}

struct Environment {
    std::string arch; // GOARCH-style
    CapMask caps = 0;
    KernelVersion kernel;
};

// Docker's includes/excludes: includes needs all of its conditions, excludes
// drops the rule when any of its conditions holds.
bool rule_applies(const SeccompRule& r, const Environment& env) {
    const auto& ex = r.excludes;
    if (std::find(ex.arches.begin(), ex.arches.end(), env.arch) != ex.arches.end()) return false;
    for (const auto& c : ex.caps)
        if (has_cap(env.caps, c)) return false;
    if (!ex.min_kernel.empty() && env.kernel >= parse_kernel(ex.min_kernel)) return false;

    const auto& in = r.includes;
    if (!in.arches.empty() && std::find(in.arches.begin(), in.arches.end(), env.arch) == in.arches.end())
        return false;
    for (const auto& c : in.caps)
        if (!has_cap(env.caps, c)) return false;
    if (!in.min_kernel.empty() && !(env.kernel >= parse_kernel(in.min_kernel))) return false;
    return true;
}

// The architectures of the filter besides the native one.
std::vector<std::string> filter_arches(const SeccompProfile& p, const std::string& native_scmp) {
    std::vector<std::string> out = p.architectures;
    for (const auto& e : p.arch_map) {
        if (e.arch != native_scmp) continue;
        out.push_back(e.arch);
        out.insert(out.end(), e.sub_arches.begin(), e.sub_arches.end());
    }
    return out;
}

void add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const std::string& name,
              const std::vector<scmp_arg_cmp>& cmps) {
    int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()),
                                    cmps.empty() ? nullptr : cmps.data());
    if (rc < 0) throw Error(fmt::format("adding a rule for syscall '{}'", name), -rc);
}

std::vector<sock_filter> export_bpf(scmp_filter_ctx ctx) {
    UniqueFd fd(::memfd_create("skiff-seccomp-bpf", MFD_CLOEXEC));
    if (!fd) throw_errno("memfd_create for the seccomp program");
    int rc = seccomp_export_bpf(ctx, fd.get());
    if (rc < 0) throw Error("exporting the seccomp program", -rc);
    if (::lseek(fd.get(), 0, SEEK_SET) < 0) throw_errno("rewinding the seccomp program");
    std::string bytes = read_all(fd.get(), BPF_MAXINSNS * sizeof(sock_filter) * 4);
    if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0)
        throw Error(fmt::format("the exported seccomp program has {} bytes, not a whole number of "
                                "instructions",
                                bytes.size()));
    std::vector<sock_filter> prog(bytes.size() / sizeof(sock_filter));
    std::memcpy(prog.data(), bytes.data(), bytes.size());
    if (prog.size() > BPF_MAXINSNS)
        throw Error(fmt::format("the seccomp program has {} instructions; the kernel accepts at most {}",
                                prog.size(), BPF_MAXINSNS));
    return prog;
}

} // namespace

std::string native_seccomp_arch() {
    uint32_t token = seccomp_arch_native();
    for (const auto& a : kArches)
        if (a.token == token) return a.go;
    return "unknown";
}

PreparedSeccomp compile_seccomp(const SeccompProfile& profile, const SeccompBuildOptions& opts) {
    Environment env;
    env.arch = opts.native_arch.empty() ? native_seccomp_arch() : opts.native_arch;
    env.caps = opts.caps;
    env.kernel = parse_kernel(opts.kernel.empty() ? running_kernel() : opts.kernel);

    const uint32_t default_action = to_scmp(profile.default_action);
    ScmpFilter ctx(seccomp_init(default_action));
    if (!ctx) throw Error("seccomp_init failed (unsupported default action?)");
    // libseccomp must not set no_new_privs itself: we only export the program.
    seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
    // A binary tree of syscall numbers instead of a linear list; best effort.
    seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);

    const ArchName* native = arch_by_go(env.arch);
    std::set<uint32_t> added{seccomp_arch_native()}; // seccomp_init's own
    for (const auto& name : filter_arches(profile, native ? native->scmp : "")) {
        const ArchName* a = arch_by_scmp(name);
        if (!a) throw Error(fmt::format("unsupported architecture '{}'", name));
        if (!added.insert(a->token).second) continue;
        int rc = seccomp_arch_add(ctx.get(), a->token);
        if (rc < 0 && rc != -EEXIST) throw Error(fmt::format("adding architecture '{}'", name), -rc);
    }

    for (const auto& r : profile.syscalls) {
        if (!rule_applies(r, env)) continue;
        const uint32_t action = to_scmp(r.action);
        // libseccomp refuses a rule whose action is the default one; it is a no-op anyway.
        if (action == default_action) continue;

        std::vector<scmp_arg_cmp> cmps;
        std::set<unsigned> indexes;
        bool repeated_index = false;
        for (const auto& a : r.args) {
            cmps.push_back(to_cmp(a));
            repeated_index |= !indexes.insert(a.index).second;
        }

        for (const auto& name : r.names) {
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) {
                log::debug("seccomp: skipping syscall '{}', unknown to libseccomp", name);
                continue;
            }
            if (repeated_index) {
                for (const auto& c : cmps) add_rule(ctx.get(), action, nr, name, {c});
            } else {
                add_rule(ctx.get(), action, nr, name, cmps);
            }
        }
    }

    return PreparedSeccomp{export_bpf(ctx.get())};
}

int apply_seccomp(const PreparedSeccomp& filter) noexcept {
    if (filter.prog.empty()) return 0;
    if (filter.prog.size() > BPF_MAXINSNS) return EINVAL;
    sock_fprog fprog{};
    fprog.len = static_cast<unsigned short>(filter.prog.size());
    fprog.filter = const_cast<sock_filter*>(filter.prog.data()); // the kernel only reads it
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) == 0) return 0;
    if (errno != ENOSYS) return errno;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == 0) return 0;
    return errno;
}

} // namespace skiff::runtime
