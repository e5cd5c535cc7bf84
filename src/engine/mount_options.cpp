#include "engine/mount_options.hpp"

#include <sys/mount.h>

#include <fmt/format.h>

#include "engine/volume_store.hpp"
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

namespace {

bool propagation_option(const std::string& o, const std::string& spec) {
    if (o == "private" || o == "rprivate") return true; // every container mount is private
    if (o == "shared" || o == "rshared" || o == "slave" || o == "rslave")
        throw Error(fmt::format("invalid mount '{}': propagation '{}' is not supported: container mounts are private",
                                spec, o));
    return false;
}

} // namespace

MountRequest parse_volume(const std::string& spec) {
    auto parts = split(spec, ':');
    if (parts.empty() || parts.size() > 3)
        throw Error(fmt::format("invalid volume '{}': expected SRC:DST[:OPTIONS] or DST", spec));
    MountRequest m;
    if (parts.size() == 1) {
        m.kind = MountRequest::Kind::volume; // anonymous
        m.target = parts[0];
    } else {
        m.source = parts[0];
        m.target = parts[1];
        if (m.source.empty()) throw Error(fmt::format("invalid volume '{}': empty source", spec));
        if (m.source[0] == '/') {
            m.kind = MountRequest::Kind::bind;
        } else if (m.source[0] == '.' || m.source[0] == '~') {
            throw Error(fmt::format("invalid volume '{}': a host path must be absolute", spec));
        } else {
            m.kind = MountRequest::Kind::volume;
            if (!valid_volume_name(m.source))
                throw Error(fmt::format("invalid volume '{}': '{}' is neither an absolute path nor a valid volume "
                                        "name",
                                        spec, m.source));
        }
    }
    check_target(m.target, spec);
    if (parts.size() == 3) {
        for (const auto& o : split(parts[2], ',')) {
            if (o == "ro") m.readonly = true;
            else if (o == "rw") m.readonly = false;
            else if (o == "z" || o == "Z") continue;
            else if (o == "U") m.chown = true;
            else if (o == "nocopy") m.nocopy = true;
            else if (o == "nosuid") m.flags |= MS_NOSUID;
            else if (o == "nodev") m.flags |= MS_NODEV;
            else if (o == "noexec") m.flags |= MS_NOEXEC;
            else if (propagation_option(o, spec)) continue;
            else throw Error(fmt::format("invalid volume '{}': unknown option '{}'", spec, o));
        }
    }
    return m;
}

MountRequest parse_mount(const std::string& spec) {
    MountRequest m;
    std::string type;
    std::vector<std::pair<std::string, std::string>> tmpfs_opts;
    auto boolean = [&](const std::string& k, const std::string& v, bool has_value) {
        if (!has_value || v == "true" || v == "1") return true;
        if (v == "false" || v == "0") return false;
        throw Error(fmt::format("invalid --mount '{}': {} takes true or false, not '{}'", spec, k, v));
    };
    for (const auto& kv : split(spec, ',')) {
        if (kv.empty()) continue;
        auto eq = kv.find('=');
        std::string k = kv.substr(0, eq);
        bool has_value = eq != std::string::npos;
        std::string v = has_value ? kv.substr(eq + 1) : "";
        if (k == "type") type = v;
        else if (k == "source" || k == "src") m.source = v;
        else if (k == "target" || k == "destination" || k == "dst") m.target = v;
        else if (k == "readonly" || k == "ro") m.readonly = boolean(k, v, has_value);
        else if (k == "volume-nocopy") m.nocopy = boolean(k, v, has_value);
        else if (k == "bind-propagation") {
            if (!propagation_option(v, spec))
                throw Error(fmt::format("invalid --mount '{}': unknown bind-propagation '{}'", spec, v));
        } else if (k == "tmpfs-size") {
            if (v.empty() || v.find_first_not_of("0123456789kKmMgG") != std::string::npos)
                throw Error(fmt::format("invalid --mount '{}': tmpfs-size '{}' is not a size", spec, v));
            tmpfs_opts.push_back({"size", v});
        } else if (k == "tmpfs-mode") {
            if (v.empty() || v.find_first_not_of("01234567") != std::string::npos)
                throw Error(fmt::format("invalid --mount '{}': tmpfs-mode '{}' is not an octal mode", spec, v));
            tmpfs_opts.push_back({"mode", v});
        } else {
            throw Error(fmt::format("invalid --mount '{}': unknown key '{}'", spec, k));
        }
    }
    if (m.target.empty()) throw Error(fmt::format("invalid --mount '{}': target= is required", spec));
    check_target(m.target, spec);
    if (type.empty()) type = "volume";
    if (type != "tmpfs" && !tmpfs_opts.empty())
        throw Error(fmt::format("invalid --mount '{}': tmpfs-size and tmpfs-mode need type=tmpfs", spec));
    if (type == "bind") {
        m.kind = MountRequest::Kind::bind;
        m.must_exist = true;
        if (m.source.empty() || m.source[0] != '/')
            throw Error(fmt::format("invalid --mount '{}': a bind needs an absolute source=", spec));
    } else if (type == "volume") {
        m.kind = MountRequest::Kind::volume;
        if (!m.source.empty() && !valid_volume_name(m.source))
            throw Error(fmt::format("invalid --mount '{}': '{}' is not a valid volume name", spec, m.source));
    } else if (type == "tmpfs") {
        m.kind = MountRequest::Kind::tmpfs;
        if (!m.source.empty()) throw Error(fmt::format("invalid --mount '{}': a tmpfs takes no source", spec));
        std::string t = m.target + ":" + (m.readonly ? "ro" : "rw");
        for (const auto& [k, v] : tmpfs_opts) t += "," + k + "=" + v;
        m.tmpfs = t;
        parse_tmpfs(m.tmpfs); // validated now
    } else {
        throw Error(fmt::format("invalid --mount '{}': type must be bind, volume or tmpfs", spec));
    }
    return m;
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
