#include "engine/volume_mounts.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <optional>
#include <set>

#include <fmt/format.h>

#include "engine/container_store.hpp"
#include "engine/volume_store.hpp"
#include "runtime/fuse_overlay.hpp"
#include "runtime/userns.hpp"
#include "storage/root_fs.hpp"
#include "storage/tree_copy.hpp"
#include "util/atomic_file.hpp"
#include "util/dir_list.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"
#include "util/scope_guard.hpp"

namespace skiff::engine {

namespace {

std::string record_of(const MountRequest& m) {
    std::string opts = m.readonly ? "ro" : "rw";
    if (m.flags & MS_NOSUID) opts += ",nosuid";
    if (m.flags & MS_NODEV) opts += ",nodev";
    if (m.flags & MS_NOEXEC) opts += ",noexec";
    if (m.chown) opts += ",U";
    if (m.nocopy) opts += ",nocopy";
    return m.source + ":" + m.target + ":" + opts;
}

// What the helper does for one container: seed volumes and chown sources.
struct HelperWork {
    struct Seed {
        std::string target;   // in the image
        std::string data_dir; // the volume's _data
    };
    std::vector<Seed> seeds;
    std::vector<std::string> chowns; // host paths
};

bool empty_dir(const std::string& d) {
    try {
        return list_dir(d).empty();
    } catch (const Error&) {
        return false; // unreadable to us: a container made it its own, so not fresh
    }
}

// In the helper child: the image's root, read-only, in a private mount
// namespace (an overlay of its layers, or the vfs copy). With
// fuse-overlayfs, *fuse is its daemon, to end after the mount.
UniqueFd open_image_root(const runtime::RootfsSpec& rootfs, std::optional<runtime::FuseOverlayDaemon>& fuse) {
    if (::unshare(CLONE_NEWNS) < 0) throw_errno("unsharing the mount namespace");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) throw_errno("making / private");
    if (rootfs.kind == runtime::RootfsSpec::Kind::fuse_overlay && rootfs.lower.size() > 1) {
        runtime::RootfsSpec ro = rootfs;
        ro.upper.clear();
        ro.work.clear();
        fuse.emplace(with_context("mounting the image's layers to seed volumes",
                                  [&] { return runtime::mount_fuse_overlay_here(ro); }));
        return open_fd(rootfs.mountpoint, O_RDONLY | O_DIRECTORY);
    }
    if (rootfs.kind == runtime::RootfsSpec::Kind::overlay && rootfs.lower.size() > 1) {
        std::string data = "lowerdir=";
        for (size_t i = 0; i < rootfs.lower.size(); ++i) data += (i ? ":" : "") + rootfs.lower[i];
        if (rootfs.userxattr) data += ",userxattr";
        if (::mount("overlay", rootfs.mountpoint.c_str(), "overlay", MS_RDONLY, data.c_str()) < 0)
            throw_errno("mounting the image's layers to seed volumes");
        return open_fd(rootfs.mountpoint, O_RDONLY | O_DIRECTORY);
    }
    // One layer (or the vfs copy) is the whole tree already.
    return open_fd(rootfs.lower.at(0), O_RDONLY | O_DIRECTORY);
}

void do_work(const HelperWork& w, const runtime::RootfsSpec& rootfs, MountUser user) {
    if (!w.seeds.empty()) {
        std::optional<runtime::FuseOverlayDaemon> fuse;
        UniqueFd root = open_image_root(rootfs, fuse);
        ScopeGuard end_fuse([&] {
            root.reset();
            if (fuse) {
                ::umount2(rootfs.mountpoint.c_str(), MNT_DETACH);
                fuse->finish(2000);
            }
        });
        for (const auto& s : w.seeds) {
            std::string rel = storage::clean_entry_path(s.target);
            UniqueFd src;
            try {
                // Symlinks in the image resolve inside its root, as they will in the container.
                src = storage::open_in_root(root.get(), rel, O_RDONLY | O_DIRECTORY);
            } catch (const Error& e) {
                if (e.error_number() == ENOENT || e.error_number() == ENOTDIR) continue; // nothing to copy
                throw;
            }
            UniqueFd dst = open_fd(s.data_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            with_context("seeding the volume for " + s.target + " from the image", [&] {
                storage::copy_tree(src.get(), dst.get());
                storage::copy_dir_attrs(src.get(), dst.get());
            });
        }
    }
    for (const auto& c : w.chowns) {
        UniqueFd fd = open_fd(c, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
        struct stat st {};
        if (::fstat(fd.get(), &st) < 0) throw_errno("reading " + c);
        with_context("chowning " + c + " for U", [&] {
            if (S_ISDIR(st.st_mode)) storage::chown_tree(fd.get(), user.uid, user.gid);
            else if (::fchown(fd.get(), user.uid, user.gid) < 0) throw_errno("chown");
        });
    }
}

} // namespace

std::vector<MountRequest> parse_mount_requests(const std::vector<std::string>& volumes,
                                               const std::vector<std::string>& mounts,
                                               const std::vector<std::string>& tmpfs_targets) {
    std::vector<MountRequest> out;
    for (const auto& v : volumes) out.push_back(parse_volume(v));
    for (const auto& m : mounts) out.push_back(parse_mount(m));
    std::set<std::string> seen(tmpfs_targets.begin(), tmpfs_targets.end());
    if (seen.size() != tmpfs_targets.size()) throw Error("duplicate mount point among --tmpfs");
    for (const auto& r : out)
        if (!seen.insert(r.target).second) throw Error(fmt::format("duplicate mount point: {}", r.target));
    return out;
}

void add_volumes_from(const Paths& paths, const std::vector<std::string>& from, std::vector<MountRequest>& requests,
                      const std::vector<std::string>& tmpfs_targets) {
    if (from.empty()) return;
    std::set<std::string> taken(tmpfs_targets.begin(), tmpfs_targets.end());
    for (const auto& r : requests) taken.insert(r.target);
    ContainerStore containers(paths.root);
    for (const auto& f : from) {
        auto colon = f.find(':');
        std::string name = f.substr(0, colon), mode = colon == std::string::npos ? "" : f.substr(colon + 1);
        if (!mode.empty() && mode != "ro" && mode != "rw" && mode != "z" && mode != "Z")
            throw Error(fmt::format("invalid --volumes-from '{}': the option must be ro or rw", f));
        ContainerRecord rec = containers.lookup(name);
        for (const auto& m : rec.mounts) {
            MountRequest r = with_context("--volumes-from " + name, [&] { return parse_volume(m); });
            if (r.kind == MountRequest::Kind::volume && r.source.empty()) continue;
            if (!taken.insert(r.target).second) continue;
            r.chown = false;  // the source has its owners already
            r.nocopy = true;  // and its content
            if (mode == "ro") r.readonly = true;
            if (mode == "rw") r.readonly = false;
            requests.push_back(r);
        }
    }
}

std::vector<std::string> create_volumes(const Paths& paths, std::vector<MountRequest>& requests,
                                        const std::vector<std::string>& image_volumes,
                                        const std::vector<std::string>& tmpfs_targets) {
    std::set<std::string> taken(tmpfs_targets.begin(), tmpfs_targets.end());
    for (const auto& r : requests) taken.insert(r.target);
    for (const auto& v : image_volumes) {
        std::string t = v;
        while (t.size() > 1 && t.back() == '/') t.pop_back();
        if (t.empty() || t[0] != '/' || t == "/" || !taken.insert(t).second) continue;
        MountRequest m;
        m.kind = MountRequest::Kind::volume;
        m.target = t;
        requests.push_back(m);
    }
    VolumeStore store(paths.root);
    std::vector<std::string> record;
    for (auto& r : requests) {
        if (r.kind == MountRequest::Kind::volume) {
            VolumeRecord v;
            v.name = r.source;
            r.source = store.create(v, true).name;
        }
        if (r.kind != MountRequest::Kind::tmpfs) record.push_back(record_of(r));
    }
    return record;
}

void apply_mounts(const Paths& paths, const std::vector<MountRequest>& requests, const runtime::RootfsSpec& rootfs,
                  MountUser user, std::vector<runtime::BindMount>& binds, std::vector<runtime::TmpfsMount>& tmpfs) {
    VolumeStore store(paths.root);
    HelperWork work;
    for (const auto& r : requests) {
        if (r.kind == MountRequest::Kind::tmpfs) {
            tmpfs.push_back(parse_tmpfs(r.tmpfs));
            continue;
        }
        runtime::BindMount b;
        b.target = r.target;
        b.readonly = r.readonly;
        b.flags = r.flags;
        if (r.kind == MountRequest::Kind::volume) {
            b.source = store.data_dir(r.source);
            if (!r.nocopy && empty_dir(b.source)) work.seeds.push_back({r.target, b.source});
        } else {
            b.source = r.source;
            struct stat st {};
            if (::stat(b.source.c_str(), &st) < 0) {
                if (errno != ENOENT) throw_errno("bind mount source " + b.source);
                if (r.must_exist) throw Error(fmt::format("bind source path does not exist: {}", b.source), ENOENT);
                make_dirs(b.source, 0755); // docker's -v rule: a missing host dir is created
                if (::stat(b.source.c_str(), &st) < 0) throw_errno("bind mount source " + b.source);
            }
            b.file = !S_ISDIR(st.st_mode);
        }
        if (r.chown) work.chowns.push_back(b.source);
        binds.push_back(b);
    }
    if (work.seeds.empty() && work.chowns.empty()) return;
    log::StepTimer t("volumes");
    runtime::run_in_helper(paths.rootless, [&] { do_work(work, rootfs, user); });
}

} // namespace skiff::engine
