// skiff info: what this host can do and which paths skiff will take. One
// JSON tree is built from engine::HostInfo; the default output renders the
// same tree as YAML (like `podman info`), --format json prints it as is.
#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/version.hpp"
#include "engine/host_info.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {

using json = nlohmann::ordered_json;

json ranges_json(const std::vector<runtime::IdRange>& ranges) {
    json a = json::array();
    for (const auto& r : ranges) a.push_back({{"start", r.start}, {"count", r.count}});
    return a;
}

json mappings_json(const std::vector<runtime::IdMapping>& maps) {
    json a = json::array();
    for (const auto& m : maps) a.push_back({{"container_id", m.container_id}, {"host_id", m.host_id}, {"size", m.size}});
    return a;
}

json helper_json(const runtime::IdMapHelper& h) {
    return {{"path", h.path}, {"usable", h.usable}, {"detail", h.detail}};
}

json device_json(const runtime::DeviceProbe& d) {
    return {{"path", d.path},
            {"exists", d.exists},
            {"accessible", d.accessible},
            {"mode", d.exists ? fmt::format("{:04o}", d.mode) : std::string()},
            {"detail", d.detail}};
}

json to_json(const engine::HostInfo& h) {
    const auto& cg = h.cgroup_probe;
    json host = {
        {"arch", h.os.arch},
        {"hostname", h.os.hostname},
        {"kernel", h.os.kernel},
        {"os", "linux"},
        {"distribution", {{"distribution", h.os.id}, {"version", h.os.version_id}, {"prettyName", h.os.pretty_name}}},
        {"user", h.user},
        {"uid", h.uid},
        {"gid", h.gid},
        {"rootless", h.rootless},
        {"userNamespaces",
         {{"ok", h.userns.ok},
          {"detail", h.userns.detail},
          {"maxUserNamespaces", h.userns.max_user_namespaces},
          {"unprivilegedUsernsClone", h.userns.unprivileged_userns_clone}}},
        {"idMappings",
         {{"uidmap", mappings_json(h.idmap.uid_mappings)},
          {"gidmap", mappings_json(h.idmap.gid_mappings)},
          {"subuid", ranges_json(h.idmap.subuid)},
          {"subgid", ranges_json(h.idmap.subgid)},
          {"newuidmap", helper_json(h.idmap.newuidmap)},
          {"newgidmap", helper_json(h.idmap.newgidmap)},
          {"detail", h.idmap.detail}}},
        {"cgroupManager", h.cgroups.manager},
        {"cgroupVersion", runtime::to_string(h.cgroups.version)},
        {"cgroupPath", cg.own_path},
        {"cgroupDir", cg.dir},
        {"cgroupControllers", cg.controllers},
        {"cgroupSubtreeControl", cg.subtree_control},
        {"cgroupV1Controllers", cg.v1_controllers},
        {"cgroupDelegated", h.cgroups.delegated},
        {"resourceLimits", h.cgroups.limits},
        {"resourceLimitsDetail", h.cgroups.limits_detail},
        {"devices", {{"fuse", device_json(h.dev_fuse)}, {"tun", device_json(h.dev_tun)}}},
    };
    json security = {
        {"rootless", h.rootless},
        {"seccompEnabled", h.seccomp.filter_supported},
        {"seccompMode", h.seccomp.mode},
        {"libseccompVersion", h.seccomp.libseccomp_version},
        {"seccompDetail", h.seccomp.detail},
        {"userNamespaces", h.userns.ok},
    };
    json store = {
        {"configFile", h.store.config_file},
        {"configFileExists", h.store.config_exists},
        {"graphRoot", h.store.root},
        {"runRoot", h.store.runroot},
        {"runRootFallback", h.store.runroot_fallback},
        {"graphDriverName", h.storage.driver},
        {"graphDriverConfigured", h.storage.configured},
        {"graphDriverReason", h.storage.reason},
        {"graphDriverProblem", h.storage.problem},
        {"nativeOverlay",
         {{"ok", h.overlay.ok},
          {"userxattr", h.overlay.in_userns},
          {"probedIn", h.overlay.dir},
          {"detail", h.overlay.detail}}},
        {"fuseOverlayfs", {{"path", h.fuse_overlayfs.path}, {"found", h.fuse_overlayfs.found()}}},
    };
    json network = {
        {"defaultMode", h.network.mode},
        {"configured", h.network.configured},
        {"reason", h.network.reason},
        {"tunAccessible", h.dev_tun.accessible},
    };
    json version = {{"Version", SKIFF_VERSION_STRING}, {"OsArch", "linux/" + h.os.arch}};
    return {{"host", host},   {"security", security}, {"store", store},
            {"network", network}, {"version", version}, {"warnings", h.warnings}};
}

// Whether YAML would read s as a number (so "12" must be quoted, 0.1.0 not).
bool looks_numeric(const std::string& s) {
    char* end = nullptr;
    errno = 0;
    (void)std::strtod(s.c_str(), &end);
    return end != s.c_str() && *end == '\0';
}

// A YAML scalar: plain when unambiguous, else a JSON string (valid YAML).
std::string yaml_scalar(const json& v) {
    if (!v.is_string()) return v.dump();
    const std::string& s = v.get_ref<const std::string&>();
    bool quote = s.empty() || s == "true" || s == "false" || s == "null" || s == "~" ||
                 s.find_first_of("\n\"'#") != std::string::npos || s.find(": ") != std::string::npos ||
                 s.back() == ' ' || s.back() == ':' || std::string("-?:,[]{}&*!|>%@` ").find(s.front()) != std::string::npos ||
                 looks_numeric(s);
    return quote ? v.dump() : s;
}

// Renders objects and arrays as block YAML, podman-style ("- " items at the
// key's indentation). Empty strings are left out: they mean "nothing to say".
void render_yaml(std::string& out, const json& node, int indent) {
    std::string pad(static_cast<size_t>(indent), ' ');
    for (auto it = node.begin(); it != node.end(); ++it) {
        const json& v = it.value();
        if (v.is_string() && v.get_ref<const std::string&>().empty()) continue;
        out += pad + it.key() + ":";
        if (v.is_object()) {
            out += v.empty() ? " {}\n" : "\n";
            render_yaml(out, v, indent + 2);
        } else if (v.is_array()) {
            if (v.empty()) {
                out += " []\n";
                continue;
            }
            out += "\n";
            for (const json& item : v) {
                if (item.is_object()) {
                    std::string sub;
                    render_yaml(sub, item, indent + 2);
                    // The first key goes on the "- " line.
                    if (sub.size() > static_cast<size_t>(indent) + 2) sub.replace(static_cast<size_t>(indent), 2, "- ");
                    out += sub;
                } else {
                    out += pad + "- " + yaml_scalar(item) + "\n";
                }
            }
        } else {
            out += " " + yaml_scalar(v) + "\n";
        }
    }
}

} // namespace

void add_info_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("info", "Show what this host can do and which paths skiff will take");
    auto format = std::make_shared<std::string>();
    cmd->add_option("-f,--format", *format, "Output format: 'json' (Go templates are not supported yet)")
        ->type_name("FORMAT");
    cmd->callback([&ctx, format] {
        ctx.action = [&ctx, format] {
            bool as_json = *format == "json" || *format == "{{json .}}";
            if (!as_json && !format->empty())
                throw Error(fmt::format("unsupported --format '{}': use 'json' (Go templates are not supported yet)",
                                        *format));
            engine::HostInfo info = engine::gather_host_info(ctx.paths(), ctx.config());
            json j = to_json(info);
            if (as_json) {
                fmt::print("{}\n", j.dump(4));
            } else {
                std::string out;
                render_yaml(out, j, 0);
                fmt::print("{}", out);
            }
            return 0;
        };
    });
}

} // namespace skiff::cli
