#include "engine/mount_options.hpp"

#include <sys/mount.h>

#include <fmt/format.h>

#include "util/error.hpp"

namespace skiff::engine {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
        if (p == std::string::npos) return out;
        start = p + 1;
    }
}

void check_target(const std::string& t, const std::string& spec) {
    if (t.empty() || t[0] != '/')
        throw Error(fmt::format("invalid mount '{}': the container path must be absolute", spec));
    if (t == "/") throw Error(fmt::format("invalid mount '{}': cannot mount over /", spec));
}

} // namespace

runtime::BindMount parse_volume(const std::string& spec) {
    auto parts = split(spec, ':');
    if (parts.size() < 2 || parts.size() > 3)
        throw Error(fmt::format("invalid volume '{}': expected SRC:DST[:OPTIONS]", spec));
    runtime::BindMount b;
    b.source = parts[0];
    b.target = parts[1];
    if (b.source.empty() || b.source[0] != '/')
        throw Error(fmt::format("invalid volume '{}': named volumes are not supported yet; give an absolute host path",
                                spec));
    check_target(b.target, spec);
    if (parts.size() == 3) {
        for (const auto& o : split(parts[2], ',')) {
            if (o == "ro") b.readonly = true;
            else if (o == "rw") b.readonly = false;
            else if (o == "z" || o == "Z") continue;
            else if (o == "nosuid") b.flags |= MS_NOSUID;
            else if (o == "nodev") b.flags |= MS_NODEV;
            else if (o == "noexec") b.flags |= MS_NOEXEC;
            else throw Error(fmt::format("invalid volume '{}': unknown option '{}'", spec, o));
        }
    }
    return b;
}

runtime::TmpfsMount parse_tmpfs(const std::string& spec) {
    runtime::TmpfsMount t;
    auto colon = spec.find(':');
    t.target = spec.substr(0, colon);
    check_target(t.target, spec);
    unsigned long flags = MS_NOEXEC | MS_NOSUID | MS_NODEV;
    std::string data;
    if (colon != std::string::npos) {
        for (const auto& o : split(spec.substr(colon + 1), ',')) {
            if (o.empty()) continue;
            if (o == "ro") flags |= MS_RDONLY;
            else if (o == "rw") flags &= ~static_cast<unsigned long>(MS_RDONLY);
            else if (o == "exec") flags &= ~static_cast<unsigned long>(MS_NOEXEC);
            else if (o == "noexec") flags |= MS_NOEXEC;
            else if (o == "suid") flags &= ~static_cast<unsigned long>(MS_NOSUID);
            else if (o == "nosuid") flags |= MS_NOSUID;
            else if (o == "dev") flags &= ~static_cast<unsigned long>(MS_NODEV);
            else if (o == "nodev") flags |= MS_NODEV;
            else if (o.rfind("size=", 0) == 0 || o.rfind("mode=", 0) == 0 || o.rfind("uid=", 0) == 0 ||
                     o.rfind("gid=", 0) == 0 || o.rfind("nr_inodes=", 0) == 0)
                data += (data.empty() ? "" : ",") + o;
            else throw Error(fmt::format("invalid tmpfs '{}': unknown option '{}'", spec, o));
        }
    }
    t.flags = flags;
    t.data = data;
    return t;
}

SecurityOpts parse_security_opts(const std::vector<std::string>& opts) {
    SecurityOpts s;
    for (const auto& o : opts) {
        if (o.rfind("seccomp=", 0) == 0 || o.rfind("seccomp:", 0) == 0) {
            std::string v = o.substr(8);
            if (v.empty()) throw Error(fmt::format("invalid --security-opt '{}': seccomp needs a value", o));
            if (v == "unconfined") {
                s.seccomp = false;
                s.seccomp_profile.clear();
            } else {
                s.seccomp = true;
                s.seccomp_profile = v;
            }
        } else if (o == "no-new-privileges" || o == "no-new-privileges=true" || o == "no-new-privileges:true") {
            s.no_new_privs = true;
        } else if (o == "no-new-privileges=false" || o == "no-new-privileges:false") {
            s.no_new_privs = false;
        } else if (o == "label=disable" || o == "label:disable") {
            continue; // no SELinux labels on this kind of host: nothing to disable
        } else {
            throw Error(fmt::format("invalid --security-opt '{}': supported are seccomp=unconfined|PROFILE.json, "
                                    "no-new-privileges, label=disable",
                                    o));
        }
    }
    return s;
}

} // namespace skiff::engine
