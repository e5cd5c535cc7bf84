#include "engine/container_inspect.hpp"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "engine/container_state.hpp"
#include "engine/mount_options.hpp"
#include "net/port_spec.hpp"
#include "util/signals.hpp"

namespace skiff::engine {

namespace {

thread_local uint64_t g_bytes = 0;

int add_size(const char*, const struct stat* st, int type, struct FTW*) {
    if (type == FTW_F) g_bytes += static_cast<uint64_t>(st->st_blocks) * 512;
    return 0;
}

// Where the container's own layer is, by driver, as docker shows it.
nlohmann::ordered_json graph_driver(const std::string& driver, const std::string& cdir) {
    nlohmann::ordered_json data = nlohmann::ordered_json::object();
    if (driver == "vfs") {
        data["Dir"] = cdir + "/rootfs";
    } else if (!driver.empty()) {
        data["MergedDir"] = cdir + "/merged";
        data["UpperDir"] = cdir + "/upper";
        data["WorkDir"] = cdir + "/work";
    }
    return {{"Name", driver}, {"Data", data}};
}

} // namespace

uint64_t container_size(const Paths& paths, const ContainerRecord& rec) {
    std::string cdir = ContainerStore(paths.root).dir(rec.id);
    g_bytes = 0;
    std::string top = rec.driver == "vfs" ? cdir + "/rootfs" : cdir + "/upper";
    ::nftw(top.c_str(), add_size, 32, FTW_PHYS);
    return g_bytes;
}

nlohmann::ordered_json inspect_container(const Paths& paths, const ContainerRecord& rec) {
    using nlohmann::ordered_json;
    std::string cdir = ContainerStore(paths.root).dir(rec.id);
    const auto& s = rec.state;
    // As docker: "8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "34567"}].
    ordered_json ports = ordered_json::object();
    for (const auto& p : rec.ports) {
        net::PortBinding b = net::decode(p);
        std::string key = fmt::format("{}/{}", b.container_port, b.protocol);
        if (!ports.contains(key)) ports[key] = ordered_json::array();
        ports[key].push_back({{"HostIp", b.host_ip.empty() ? "0.0.0.0" : b.host_ip},
                              {"HostPort", std::to_string(b.host_port)}});
    }
    ordered_json mounts = ordered_json::array();
    for (const auto& v : rec.mounts) {
        try {
            MountRequest m = parse_volume(v);
            bool volume = m.kind == MountRequest::Kind::volume;
            ordered_json j = {{"Type", volume ? "volume" : "bind"}};
            if (volume) j["Name"] = m.source;
            j["Source"] = m.source;
            j["Destination"] = m.target;
            j["Mode"] = "";
            j["RW"] = !m.readonly;
            j["Propagation"] = "rprivate";
            mounts.push_back(std::move(j));
        } catch (const std::exception&) {
        }
    }
    ordered_json args = ordered_json::array();
    for (size_t i = 1; i < rec.command.size(); ++i) args.push_back(rec.command[i]);
    std::string stop_signal = rec.host.stop_signal.empty() ? "SIGTERM" : rec.host.stop_signal;
    try {
        stop_signal = signal_name(signal_number(stop_signal));
    } catch (const std::exception&) {
    }
    return {
        {"Id", rec.id},
        {"Created", rec.created},
        {"Path", rec.command.empty() ? "" : rec.command[0]},
        {"Args", args},
        {"State",
         {{"Status", s.status},
          {"Running", s.status == "running" || s.status == "paused"},
          {"Paused", s.status == "paused"},
          {"Restarting", s.status == "restarting"},
          {"OOMKilled", false},
          {"Dead", false},
          {"Pid", s.pid},
          {"ExitCode", s.exit_code},
          {"Error", s.error},
          {"StartedAt", s.started_at.empty() ? "0001-01-01T00:00:00Z" : s.started_at},
          {"FinishedAt", s.finished_at.empty() ? "0001-01-01T00:00:00Z" : s.finished_at},
          {"MonitorPid", s.monitor_pid}}},
        {"Image", rec.image_id},
        {"ImageName", rec.image},
        {"Name", rec.name},
        {"RestartCount", s.restart_count},
        {"Driver", rec.driver},
        {"GraphDriver", graph_driver(rec.driver, cdir)},
        {"LogPath", cdir + "/ctr.log"},
        {"Mounts", mounts},
        {"Config",
         {{"Hostname", rec.hostname},
          {"User", rec.user},
          {"Env", rec.env},
          {"Cmd", rec.cmd},
          {"Entrypoint", rec.entrypoint},
          {"Image", rec.image},
          {"WorkingDir", rec.working_dir},
          {"Labels", rec.labels},
          {"Tty", rec.tty},
          {"OpenStdin", rec.interactive},
          {"StopSignal", stop_signal},
          {"StopTimeout", rec.host.stop_timeout}}},
        {"HostConfig",
         {{"Binds", rec.mounts},
          {"NetworkMode", rec.network},
          {"RestartPolicy",
           {{"Name", rec.host.restart_policy}, {"MaximumRetryCount", rec.host.restart_max}}},
          {"AutoRemove", rec.auto_remove},
          {"CapAdd", rec.host.cap_add},
          {"CapDrop", rec.host.cap_drop},
          {"Privileged", rec.host.privileged},
          {"ReadonlyRootfs", rec.read_only},
          {"SecurityOpt", rec.host.security_opt},
          {"Tmpfs", rec.host.tmpfs},
          {"UsernsMode", rec.host.userns},
          {"Init", rec.host.init}}},
        {"NetworkSettings", {{"Ports", ports}, {"IPAddress", ""}}},
    };
}

} // namespace skiff::engine
