#include "engine/create.hpp"

#include <csignal>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "engine/attach.hpp"
#include "engine/container_spec_build.hpp"
#include "engine/host_info.hpp"
#include "engine/network_plan.hpp"
#include "engine/image_resolve.hpp"
#include "engine/mount_options.hpp"
#include "engine/process_config.hpp"
#include "engine/rootfs.hpp"
#include "engine/storage_choice.hpp"
#include "engine/volume_mounts.hpp"
#include "engine/volumes.hpp"
#include "image/image_config.hpp"
#include "runtime/capabilities.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"
#include "util/signals.hpp"

namespace skiff::engine {

std::pair<std::string, int> parse_restart_policy(const std::string& s) {
    if (s.empty() || s == "no") return {"no", 0};
    if (s == "always" || s == "unless-stopped" || s == "on-failure") return {s, 0};
    if (s.rfind("on-failure:", 0) == 0) {
        std::string n = s.substr(11);
        if (!n.empty() && n.size() < 6 && n.find_first_not_of("0123456789") == std::string::npos)
            return {"on-failure", std::stoi(n)};
    }
    throw Error(fmt::format("invalid restart policy '{}': use no, on-failure[:N], always or unless-stopped", s));
}

namespace {

// The checks that need no image: everything the user gave that can be
// wrong fails before any work.
NetworkPlan check_options(const Paths& paths, const Config& config, const RunOptions& o) {
    NetworkPlan plan = plan_network(o.net, config, paths.rootless, {});
    parse_security_opts(o.security_opt);
    runtime::resolve_capabilities({o.cap_add, o.cap_drop, o.privileged}, runtime::last_capability());
    if (!o.userns.empty() && o.userns != "keep-id" && o.userns != "host")
        throw Error(fmt::format("invalid --userns '{}': use keep-id or host", o.userns));
    if (o.userns == "keep-id" && !paths.rootless) throw Error("--userns=keep-id only makes sense rootless");
    if (o.userns == "host" && paths.rootless)
        throw Error("--userns=host needs root: rootless containers always run in a user namespace");
    if (o.detach && o.preserve_fds > 0) throw Error("--preserve-fds works only with a container run in the foreground (not -d, not create)");
    if (!o.stop_signal.empty()) signal_number(o.stop_signal);
    parse_restart_policy(o.restart);
    parse_detach_keys(o.detach_keys);
    if (o.remove && parse_restart_policy(o.restart).first != "no")
        throw Error("the --rm option conflicts with --restart: choose one");
    return plan;
}

} // namespace

ContainerRecord create_container(const Paths& paths, const Config& config, const RunOptions& o) {
    paths.ensure();
    NetworkPlan plan = check_options(paths, config, o);
    std::vector<std::string> tmpfs_targets;
    for (const auto& t : o.tmpfs) tmpfs_targets.push_back(parse_tmpfs(t).target);
    std::vector<MountRequest> mounts = parse_mount_requests(o.volumes, o.mounts, tmpfs_targets);
    add_volumes_from(paths, o.volumes_from, mounts, tmpfs_targets);
    // --mount type=bind wants its source to exist (the record keeps -v's
    // form, which creates it): checked now, before anything is created.
    for (const auto& m : mounts) {
        struct stat st {};
        if (m.kind == MountRequest::Kind::bind && m.must_exist && ::stat(m.source.c_str(), &st) < 0)
            throw Error(fmt::format("bind source path does not exist: {}", m.source), errno);
    }
    std::vector<std::string> extra_env = user_env(o.env_files, o.env);
    std::map<std::string, std::string> label_map;
    for (const auto& l : o.labels) {
        auto eq = l.find('=');
        label_map[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
    }

    storage::ImageRecord image = resolve_image(paths, config, o.image, o.pull_policy, o.pull);
    storage::Store store(paths.root);
    ImageConfig icfg = ImageConfig::parse(store.read_committed_blob(Digest::parse(image.id), 4u << 20));

    ContainerStore containers(paths.root);
    ContainerRecord rec;
    {
        log::StepTimer t("create");
        std::string user_spec = o.user.empty() ? icfg.config.user : o.user;
        std::string passwd, group;
        if (!user_spec.empty()) {
            passwd = read_image_file(store, image, "etc/passwd");
            group = read_image_file(store, image, "etc/group");
        }
        ResolvedUser user = resolve_user(user_spec, passwd, group);
        if (o.userns == "keep-id" && o.user.empty()) {
            user.uid = ::geteuid();
            user.gid = ::getegid();
            user.additional_gids.clear();
        }
        rec.name = o.name;
        rec.image = o.image;
        rec.image_id = image.id;
        rec.entrypoint = icfg.config.entrypoint;
        rec.cmd = icfg.config.cmd;
        rec.command = build_command(icfg.config.entrypoint, icfg.config.cmd, o.entrypoint, o.args);
        if (rec.command.empty())
            throw Error(fmt::format("no command specified: {} has neither ENTRYPOINT nor CMD", o.image));
        rec.working_dir = !o.workdir.empty() ? o.workdir : (icfg.config.working_dir.empty() ? "/" : icfg.config.working_dir);
        if (rec.working_dir[0] != '/') throw Error(fmt::format("invalid working directory '{}': must be absolute", rec.working_dir));
        rec.user = user_spec;
        // -P needs the image's EXPOSE ports: planned again with them.
        if (o.net.publish_all) plan = plan_network(o.net, config, paths.rootless, icfg.config.exposed_ports);
        // The mode as asked (slirp:mtu=N), or the default chosen now.
        rec.network = o.net.network.empty() ? plan.name : o.net.network;
        rec.host.publish = o.net.publish;
        rec.host.publish_all = o.net.publish_all;
        rec.host.exposed_ports = icfg.config.exposed_ports;
        rec.host.dns = o.net.dns;
        rec.host.dns_search = o.net.dns_search;
        rec.host.dns_option = o.net.dns_option;
        rec.host.add_host = o.net.add_host;
        rec.tty = o.tty;
        rec.interactive = o.interactive;
        rec.auto_remove = o.remove;
        rec.read_only = o.read_only;
        rec.labels = label_map;
        rec.host.tmpfs = o.tmpfs;
        // --mount type=tmpfs is kept with the --tmpfs mounts.
        for (const auto& m : mounts)
            if (m.kind == MountRequest::Kind::tmpfs) rec.host.tmpfs.push_back(m.tmpfs);
        rec.host.cap_add = o.cap_add;
        rec.host.cap_drop = o.cap_drop;
        rec.host.security_opt = o.security_opt;
        rec.host.privileged = o.privileged;
        rec.host.init = o.init;
        rec.host.read_only_tmpfs = o.read_only_tmpfs;
        rec.host.userns = o.userns;
        std::tie(rec.host.restart_policy, rec.host.restart_max) = parse_restart_policy(o.restart);
        rec.host.stop_signal = !o.stop_signal.empty() ? o.stop_signal : icfg.config.stop_signal;
        rec.host.stop_timeout = o.stop_timeout;
        rec.host.uid = user.uid;
        rec.host.gid = user.gid;
        rec.host.additional_gids = user.additional_gids;
        // The id is chosen first so that the record, with the hostname
        // derived from it, is written once.
        rec.id = random_hex_id();
        StorageChoice storage = storage_choice_for_run(paths, config);
        if (!storage.problem.empty()) throw Error(storage.problem);
        log::debug("storage driver {}: {}", storage.driver, storage.reason);
        rec.driver = storage.driver;
        rec.mounts = create_volumes(paths, mounts, icfg.config.volumes, tmpfs_targets);
        rec.hostname = o.hostname.empty() ? rec.id.substr(0, 12) : o.hostname;
        rec.env = merge_env(icfg.config.env, extra_env, rec.hostname, o.tty);
        rec = containers.create(rec);
    }
    try {
        log::StepTimer t("storage");
        prepare_rootfs(paths, config, store, image, containers.dir(rec.id), o.read_only, rec.driver);
    } catch (...) {
        try {
            remove_container_files(paths, containers, rec.id);
            remove_anonymous_volumes(paths, rec.mounts);
        } catch (const Error& e) {
            log::warn("removing container {}: {}", rec.id.substr(0, 12), e.what());
        }
        throw;
    }
    return rec;
}

} // namespace skiff::engine
