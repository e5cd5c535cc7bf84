// skiff ps [OPTIONS] (and `skiff container ls|list`)
#include <algorithm>
#include <ctime>
#include <regex>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "engine/container_inspect.hpp"
#include "engine/container_state.hpp"
#include "image/reference.hpp"
#include "net/port_spec.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {

struct PsFlags {
    bool all = false, quiet = false, latest = false, no_trunc = false, size = false;
    int last = -1;
    std::vector<std::string> filters;
    std::string format;
};

std::string since(const std::string& rfc, int64_t now) {
    std::string s = time_ago(parse_rfc3339(rfc), now);
    return s.substr(0, s.size() - 4); // without " ago"
}

std::string status_text(const engine::ContainerRecord& c, int64_t now) {
    const auto& s = c.state;
    if (s.status == "running") return "Up " + since(s.started_at, now);
    if (s.status == "paused") return "Up " + since(s.started_at, now) + " (Paused)";
    if (s.status == "restarting") return fmt::format("Restarting ({}) {}", s.exit_code, time_ago(parse_rfc3339(s.finished_at), now));
    if (s.status == "exited") return fmt::format("Exited ({}) {}", s.exit_code, time_ago(parse_rfc3339(s.finished_at), now));
    return "Created";
}

std::string join_command(const std::vector<std::string>& argv, bool no_trunc) {
    std::string s;
    for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
    if (!no_trunc && s.size() > 20) s = s.substr(0, 19) + "…";
    return "\"" + s + "\"";
}

// "127.0.0.1:8080->80/tcp, ..." as docker prints published ports.
std::string ports_text(const engine::ContainerRecord& c) {
    std::string out;
    if (!engine::is_running(c)) return out;
    for (const auto& p : c.ports) {
        try {
            net::PortBinding b = net::decode(p);
            out += fmt::format("{}{}:{}->{}/{}", out.empty() ? "" : ", ", net::host_text(b), b.host_port,
                               b.container_port, b.protocol);
        } catch (const std::exception&) {
        }
    }
    return out;
}

bool matches_ancestor(const engine::ContainerRecord& c, const std::string& v) {
    std::string id = c.image_id.rfind("sha256:", 0) == 0 ? c.image_id.substr(7) : c.image_id;
    if (c.image == v || c.image_id == v || (!v.empty() && id.rfind(v, 0) == 0)) return true;
    try {
        return Reference::parse(v).str() == Reference::parse(c.image).str();
    } catch (const std::exception&) {
        return false;
    }
}

bool matches(const engine::ContainerRecord& c, const std::string& filter) {
    auto eq = filter.find('=');
    if (eq == std::string::npos) throw Error(fmt::format("invalid filter '{}': use KEY=VALUE", filter));
    std::string k = filter.substr(0, eq), v = filter.substr(eq + 1);
    if (k == "status") {
        static const char* valid[] = {"created", "running", "paused", "restarting", "exited", "removing", "dead"};
        if (std::find(std::begin(valid), std::end(valid), v) == std::end(valid))
            throw Error(fmt::format("invalid status filter '{}': use created, running, paused, restarting or exited", v));
        return c.state.status == v;
    }
    if (k == "name") return std::regex_search(c.name, std::regex(v));
    if (k == "id") return c.id.rfind(v, 0) == 0;
    if (k == "ancestor") return matches_ancestor(c, v);
    if (k == "exited") return c.state.status == "exited" && std::to_string(c.state.exit_code) == v;
    if (k == "label") {
        auto e = v.find('=');
        auto it = c.labels.find(v.substr(0, e));
        return it != c.labels.end() && (e == std::string::npos || it->second == v.substr(e + 1));
    }
    throw Error(fmt::format("invalid filter '{}': ps filters by status, name, id, ancestor, label or exited", k));
}

int run_ps(Context& ctx, const PsFlags& f) {
    OutputFormat of = parse_output_format(f.format);
    engine::ContainerStore store(ctx.paths().root);
    auto all = engine::list_fresh(store); // newest first
    std::vector<engine::ContainerRecord> shown;
    bool everything = f.all || f.latest || f.last >= 0 || !f.filters.empty();
    for (const auto& c : all) {
        if (!everything && !engine::is_running(c)) continue;
        bool ok = true;
        for (const auto& flt : f.filters) ok = ok && matches(c, flt);
        if (ok) shown.push_back(c);
    }
    size_t limit = f.latest ? 1 : (f.last >= 0 ? static_cast<size_t>(f.last) : shown.size());
    if (shown.size() > limit) shown.resize(limit);
    if (f.quiet) {
        for (const auto& c : shown) fmt::print("{}\n", f.no_trunc ? c.id : c.id.substr(0, 12));
        return 0;
    }
    int64_t now = ::time(nullptr);
    if (of.kind == OutputFormat::json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& c : shown) {
            nlohmann::ordered_json j = {
                {"Id", c.id},
                {"Names", {c.name}},
                {"Image", c.image},
                {"ImageID", c.image_id.rfind("sha256:", 0) == 0 ? c.image_id.substr(7) : c.image_id},
                {"Command", c.command},
                {"Created", parse_rfc3339(c.created)},
                {"CreatedAt", c.created},
                {"State", c.state.status},
                {"Status", status_text(c, now)},
                {"ExitCode", c.state.exit_code},
                {"Exited", c.state.status == "exited"},
                {"Pid", c.state.pid},
                {"Labels", c.labels},
                {"Mounts", c.mounts},
                {"Ports", nlohmann::ordered_json::array()},
                {"Restarts", c.state.restart_count},
            };
            if (f.size) j["Size"] = {{"rootFsSize", 0}, {"rwSize", engine::container_size(ctx.paths(), c)}};
            out.push_back(std::move(j));
        }
        fmt::print("{}\n", out.dump(4));
        return 0;
    }
    std::vector<nlohmann::json> rows;
    for (const auto& c : shown) {
        std::string labels;
        for (const auto& [k, v] : c.labels) labels += (labels.empty() ? "" : ",") + k + "=" + v;
        nlohmann::json r = {
            {"ID", f.no_trunc ? c.id : c.id.substr(0, 12)},
            {"Image", c.image},
            {"Command", join_command(c.command, f.no_trunc)},
            {"CreatedAt", c.created},
            {"Created", time_ago(parse_rfc3339(c.created), now)},
            {"RunningFor", time_ago(parse_rfc3339(c.created), now)},
            {"Status", status_text(c, now)},
            {"State", c.state.status},
            {"Names", c.name},
            {"Labels", labels},
            {"Ports", ports_text(c)},
            {"Mounts", c.mounts},
            {"Pid", c.state.pid},
            {"ExitCode", c.state.exit_code},
            {"Size", f.size ? human_size(engine::container_size(ctx.paths(), c)) : ""},
        };
        rows.push_back(std::move(r));
    }
    std::string tmpl = of.kind == OutputFormat::tmpl
                           ? of.text
                           : std::string("table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Created}}\t{{.Status}}\t{{.Ports}}\t") +
                                 (f.size ? "{{.Size}}\t" : "") + "{{.Names}}";
    fmt::print("{}", render_rows(tmpl, rows, {{"ID", "CONTAINER ID"}, {"Created", "CREATED"}, {"RunningFor", "CREATED"}}));
    return 0;
}

} // namespace

void add_ps_command(CLI::App& parent, Context& ctx, const std::string& name) {
    auto* cmd = parent.add_subcommand(name, "List containers");
    if (name == "ls") cmd->alias("list");
    auto f = std::make_shared<PsFlags>();
    cmd->add_flag("-a,--all", f->all, "Show all containers, not only running ones");
    cmd->add_flag("-q,--quiet", f->quiet, "Print only the container IDs");
    cmd->add_flag("-l,--latest", f->latest, "Show only the latest container created");
    cmd->add_option("-n,--last", f->last, "Show the N containers created last")->type_name("N")->check(CLI::NonNegativeNumber);
    cmd->add_flag("--no-trunc", f->no_trunc, "Do not truncate IDs and commands");
    cmd->add_flag("-s,--size", f->size, "Show the size of each container's writable layer");
    cmd->add_option("-f,--filter", f->filters, "Filter: status=, name=, id=, ancestor=, label=, exited=")
        ->type_name("FILTER")->allow_extra_args(false);
    cmd->add_option("--format", f->format, "Output format: table, json, or a Go template")->type_name("FORMAT");
    cmd->callback([&ctx, f] {
        ctx.action = [&ctx, f] {
            ctx.paths().ensure();
            return run_ps(ctx, *f);
        };
    });
}

} // namespace skiff::cli
