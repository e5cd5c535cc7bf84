#include "image/platform.hpp"

#include <algorithm>
#include <cctype>
#include <sys/utsname.h>

#include "util/error.hpp"

namespace skiff {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// "v7" / "7" / "v8.0" -> 7 / 7 / 8; nullopt for anything else.
std::optional<int> variant_number(std::string_view v) {
    if (!v.empty() && v.front() == 'v') v.remove_prefix(1);
    if (v.empty() || !std::isdigit(static_cast<unsigned char>(v.front()))) return std::nullopt;
    int n = 0;
    size_t i = 0;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) n = n * 10 + (v[i++] - '0');
    if (i < v.size() && v.substr(i) != ".0") return std::nullopt;
    return n;
}

// Architectures whose variants form an ordered, backward compatible series,
// and the variant meant when none is given.
struct VariantSeries {
    std::string_view arch;
    int default_variant;
};
constexpr VariantSeries kSeries[] = {{"arm", 7}, {"arm64", 8}, {"amd64", 1}};

const VariantSeries* series_for(std::string_view arch) {
    for (const auto& s : kSeries)
        if (s.arch == arch) return &s;
    return nullptr;
}

bool is_known_os(std::string_view s) {
    return s == "linux" || s == "windows" || s == "darwin" || s == "freebsd" || s == "netbsd" ||
           s == "openbsd" || s == "solaris" || s == "illumos" || s == "aix";
}

} // namespace

Platform Platform::parse(std::string_view s) {
    auto fail = [&](const std::string& why) -> Platform {
        throw Error("invalid platform '" + std::string(s) + "': " + why);
    };
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t slash = s.find('/', start);
        parts.push_back(lower(s.substr(start, slash == std::string_view::npos ? slash : slash - start)));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    for (const auto& p : parts)
        if (p.empty()) return fail("expected OS/ARCH[/VARIANT]");
    Platform p;
    if (parts.size() == 1) {
        if (is_known_os(parts[0])) {
            p = host();
            p.os = parts[0];
            return p;
        }
        p.os = "linux";
        p.architecture = parts[0];
    } else if (parts.size() <= 3) {
        p.os = parts[0];
        p.architecture = parts[1];
        if (parts.size() == 3) p.variant = parts[2];
    } else {
        return fail("expected OS/ARCH[/VARIANT]");
    }
    if (!is_known_os(p.os)) return fail("unknown operating system '" + p.os + "'");
    return p.normalized();
}

Platform Platform::normalized() const {
    Platform p = *this;
    p.os = lower(os);
    p.architecture = lower(architecture);
    p.variant = lower(variant);
    const std::string& a = p.architecture;
    if (a == "x86_64" || a == "x86-64" || a == "amd64") {
        p.architecture = "amd64";
    } else if (a == "aarch64" || a == "arm64") {
        p.architecture = "arm64";
    } else if (a == "armhf") {
        p.architecture = "arm";
        if (p.variant.empty()) p.variant = "v7";
    } else if (a == "armel") {
        p.architecture = "arm";
        if (p.variant.empty()) p.variant = "v6";
    } else if (a == "i386" || a == "i486" || a == "i586" || a == "i686" || a == "x86") {
        p.architecture = "386";
    }
    if (const VariantSeries* s = series_for(p.architecture)) {
        auto n = variant_number(p.variant);
        if (p.variant.empty()) n = s->default_variant;
        if (n) p.variant = "v" + std::to_string(*n);
        // amd64 v1 is what everyone calls plain amd64.
        if (p.architecture == "amd64" && p.variant == "v1") p.variant.clear();
    }
    return p;
}

Platform Platform::host() {
    struct utsname u {};
    std::string machine = ::uname(&u) == 0 ? u.machine : "";
    Platform p;
    p.os = "linux";
    if (machine.starts_with("armv")) { // armv7l, armv6l, armv5tel
        p.architecture = "arm";
        auto n = variant_number(std::string_view(machine).substr(4, 1));
        if (n) p.variant = "v" + std::to_string(*n);
    } else if (machine == "ppc64le" || machine == "s390x" || machine == "riscv64" || machine == "mips64") {
        p.architecture = machine;
    } else if (machine == "loongarch64") {
        p.architecture = "loong64";
    } else {
        p.architecture = machine; // x86_64, aarch64, i686: normalized() maps them
    }
    return p.normalized();
}

std::string Platform::str() const {
    std::string s = os + "/" + architecture;
    if (!variant.empty()) s += "/" + variant;
    return s;
}

std::optional<int> Platform::match_score(const Platform& candidate) const {
    Platform want = normalized();
    Platform have = candidate.normalized();
    if (want.os != have.os || want.architecture != have.architecture) return std::nullopt;
    if (want.variant == have.variant) return 1000;
    const VariantSeries* s = series_for(want.architecture);
    if (!s) return std::nullopt;
    auto w = variant_number(want.variant.empty() ? "v1" : want.variant);
    auto h = variant_number(have.variant.empty() ? "v1" : have.variant);
    if (!w || !h || *h > *w) return std::nullopt;
    return *h; // the highest compatible variant wins
}

} // namespace skiff
