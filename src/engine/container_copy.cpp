#include "engine/container_copy.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "engine/container_store.hpp"
#include "engine/volume_store.hpp"
#include "runtime/child_fs.hpp"
#include "runtime/container_spec.hpp"
#include "runtime/fuse_overlay.hpp"
#include "runtime/userns.hpp"
#include "storage/root_fs.hpp"
#include "storage/store.hpp"
#include "storage/layer_unpack.hpp"
#include "storage/tree_copy.hpp"
#include "storage/archive_api.hpp"
#include "storage/tree_tar.hpp"
#include "util/dynlib.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::engine {

namespace {

struct Endpoint {
    std::string container; // "" for the host
    std::string path;
};

Endpoint parse_endpoint(const std::string& s) {
    auto colon = s.find(':');
    if (colon != std::string::npos && colon > 0 && s[0] != '.' && s[0] != '/' &&
        s.substr(0, colon).find('/') == std::string::npos)
        return {s.substr(0, colon), s.substr(colon + 1)};
    return {"", s};
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// "a/b/" -> "b"; "/" -> "".
std::string base_name(std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    auto slash = p.rfind('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string dir_name(std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    auto slash = p.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : p.substr(0, slash);
}

// The container's path, absolute (relative ones start at its working dir).
std::string container_abs(const std::string& p, const ContainerRecord& rec) {
    if (p.empty()) throw Error("cp: the container path is empty");
    if (p[0] == '/') return p;
    std::string wd = rec.working_dir.empty() ? "/" : rec.working_dir;
    return wd + (wd.back() == '/' ? "" : "/") + p;
}

bool is_running(const ContainerRecord& rec) {
    return rec.state.status == "running" && rec.state.pid > 0 && (::kill(rec.state.pid, 0) == 0 || errno == EPERM);
}

runtime::RootfsSpec stopped_rootfs(const Paths& paths, const ContainerRecord& rec, const std::string& cdir) {
    runtime::RootfsSpec r;
    struct stat st {};
    if (::stat((cdir + "/rootfs").c_str(), &st) == 0) { // the vfs driver's copy
        r.kind = runtime::RootfsSpec::Kind::bind;
        r.lower = {cdir + "/rootfs"};
        return r;
    }
    storage::Store store(paths.root);
    auto image = store.image(rec.image_id);
    if (!image) throw Error(fmt::format("the image {} of the container is gone", rec.image_id));
    for (auto it = image->layers.rbegin(); it != image->layers.rend(); ++it) r.lower.push_back(store.layer_dir(*it));
    if (r.lower.empty()) r.lower.push_back(cdir + "/empty");
    r.upper = cdir + "/upper";
    r.work = cdir + "/work";
    r.mountpoint = cdir + "/merged";
    r.userxattr = paths.rootless;
    if (rec.driver == "fuse-overlayfs") r.kind = runtime::RootfsSpec::Kind::fuse_overlay;
    return r;
}

// A recorded mount ("SRC:DST[:OPTS]") as a host source, target and ro.
struct RecordedMount {
    std::string source, target;
    bool readonly = false;
};

std::vector<RecordedMount> recorded_mounts(const Paths& paths, const ContainerRecord& rec) {
    std::vector<RecordedMount> out;
    VolumeStore volumes(paths.root);
    for (const auto& m : rec.mounts) {
        auto c1 = m.find(':');
        if (c1 == std::string::npos) continue;
        auto c2 = m.find(':', c1 + 1);
        RecordedMount r;
        r.source = m.substr(0, c1);
        r.target = m.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
        std::string opts = c2 == std::string::npos ? "" : "," + m.substr(c2 + 1) + ",";
        r.readonly = opts.find(",ro,") != std::string::npos;
        if (r.source.empty() || r.target.empty() || r.target[0] != '/') continue;
        if (r.source[0] != '/') {
            if (!volumes.find(r.source)) continue; // removed with -f: nothing to show
            r.source = volumes.data_dir(r.source);
        }
        out.push_back(r);
    }
    return out;
}

// In the helper: the stopped container's root, its overlay mounted in a
// private mount namespace that ends with the helper, with its volumes and
// bind mounts where the container has them (targets resolved inside it).
UniqueFd mount_stopped_root(const runtime::RootfsSpec& r, const std::vector<RecordedMount>& mounts,
                            std::optional<runtime::FuseOverlayDaemon>& fuse) {
    if (::unshare(CLONE_NEWNS) < 0) throw_errno("unsharing the mount namespace");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) throw_errno("making / private");
    UniqueFd root;
    if (r.kind == runtime::RootfsSpec::Kind::bind) {
        root = open_fd(r.lower.at(0), O_RDONLY | O_DIRECTORY);
    } else if (r.kind == runtime::RootfsSpec::Kind::fuse_overlay) {
        fuse.emplace(runtime::mount_fuse_overlay_here(r));
        root = open_fd(r.mountpoint, O_RDONLY | O_DIRECTORY);
    } else {
        std::string data = "lowerdir=";
        for (size_t i = 0; i < r.lower.size(); ++i) data += (i ? ":" : "") + r.lower[i];
        data += ",upperdir=" + r.upper + ",workdir=" + r.work;
        if (r.userxattr) data += ",userxattr";
        if (::mount("overlay", r.mountpoint.c_str(), "overlay", 0, data.c_str()) < 0)
            throw_errno("mounting the container's file system");
        root = open_fd(r.mountpoint, O_RDONLY | O_DIRECTORY);
    }
    for (const auto& m : mounts) {
        UniqueFd target;
        try {
            target = storage::open_in_root(root.get(), storage::clean_entry_path(m.target), O_PATH);
        } catch (const Error& e) {
            if (e.error_number() == ENOENT) continue; // never started: nothing there yet
            throw;
        }
        std::string t = "/proc/self/fd/" + std::to_string(target.get());
        if (::mount(m.source.c_str(), t.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
            throw_errno("mounting " + m.source + " on " + m.target);
        if (m.readonly) {
            UniqueFd mounted = storage::open_in_root(root.get(), storage::clean_entry_path(m.target), O_PATH);
            t = "/proc/self/fd/" + std::to_string(mounted.get());
            if (runtime::childfs::remount_readonly(t.c_str()) < 0)
                throw_errno("making " + m.target + " read-only");
        }
    }
    return root;
}

// In the helper: a running container's root, by joining its user (when it
// has its own) and mount namespaces; host paths are open already.
UniqueFd join_running_root(int pid) {
    UniqueFd uns = open_fd(fmt::format("/proc/{}/ns/user", pid), O_RDONLY);
    UniqueFd mns = open_fd(fmt::format("/proc/{}/ns/mnt", pid), O_RDONLY);
    struct stat mine {}, theirs {};
    if (::stat("/proc/self/ns/user", &mine) < 0 || ::fstat(uns.get(), &theirs) < 0) throw_errno("reading user namespaces");
    forbid_library_loading("joining the container's mount namespace");
    if (mine.st_ino != theirs.st_ino && ::setns(uns.get(), CLONE_NEWUSER) < 0)
        throw_errno("joining the container's user namespace");
    if (::setns(mns.get(), CLONE_NEWNS) < 0) throw_errno("joining the container's mount namespace");
    return open_fd("/", O_RDONLY | O_DIRECTORY);
}

void with_container_root(const Paths& paths, const ContainerRecord& rec, const std::string& cdir,
                         const std::function<void(int rootfd)>& fn) {
    if (is_running(rec)) {
        int pid = rec.state.pid;
        runtime::run_in_helper(false, [&] { fn(join_running_root(pid).get()); });
        return;
    }
    runtime::RootfsSpec r = stopped_rootfs(paths, rec, cdir);
    auto mounts = recorded_mounts(paths, rec);
    runtime::run_in_helper(paths.rootless, [&] {
        std::optional<runtime::FuseOverlayDaemon> fuse;
        fn(mount_stopped_root(r, mounts, fuse).get());
        if (fuse) {
            // Its daemon shares this mount namespace: end the mount, and
            // with it the connection, rather than wait for the namespace.
            if (::umount2(r.mountpoint.c_str(), MNT_DETACH) < 0) throw_errno("unmounting " + r.mountpoint);
            fuse->finish(2000);
        }
    });
}

// Opens the parent of rel inside the root; rel "" is the root itself (".").
std::pair<UniqueFd, std::string> open_parent_in_root(int rootfd, const std::string& rel) {
    if (rel.empty()) {
        int fd = ::fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) throw_errno("dup");
        return {UniqueFd(fd), "."};
    }
    auto [parent, last] = storage::split_parent(rel);
    return {storage::open_in_root(rootfd, parent, O_RDONLY | O_DIRECTORY), last};
}

void copy_out(const Paths& paths, const ContainerRecord& rec, const std::string& cdir, const std::string& src,
              const std::string& dst, bool archive) {
    bool contents = ends_with(src, "/.");
    std::string rel = storage::clean_entry_path(container_abs(src, rec));
    // The host side, decided here: copy into an existing directory under the
    // source's name, or to the destination's own name.
    struct stat st {};
    std::string host_dir, name;
    bool dst_exists = ::stat(dst.c_str(), &st) == 0;
    if (dst_exists && S_ISDIR(st.st_mode) && !contents) {
        host_dir = dst;
        name = base_name(rel.empty() ? std::string("/") : rel);
        if (name.empty() || name == "/") name = rec.id.substr(0, 12);
    } else {
        if (!dst_exists && ends_with(dst, "/")) throw Error(fmt::format("cp: destination directory {} does not exist", dst), ENOENT);
        host_dir = dir_name(dst);
        name = base_name(dst);
    }
    UniqueFd hostfd = open_fd(host_dir, O_RDONLY | O_DIRECTORY);
    storage::CopyOptions opts{.overwrite = true, .keep_owners = archive, .uid = 0, .gid = 0};
    with_container_root(paths, rec, cdir, [&](int rootfd) {
        if (contents) {
            UniqueFd s = storage::open_in_root(rootfd, rel, O_RDONLY | O_DIRECTORY);
            if (::mkdirat(hostfd.get(), name.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("creating " + dst);
            UniqueFd d = openat_fd(hostfd.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            storage::copy_tree(s.get(), d.get(), opts);
            return;
        }
        auto [pfd, last] = open_parent_in_root(rootfd, rel);
        storage::copy_entry(pfd.get(), last, hostfd.get(), name, opts);
    });
}

void copy_in(const Paths& paths, const ContainerRecord& rec, const std::string& cdir, const std::string& src,
             const std::string& dst, bool archive) {
    bool contents = ends_with(src, "/.");
    struct stat st {};
    if (::lstat(src.c_str(), &st) < 0) throw_errno("cp: " + src);
    UniqueFd srcfd;
    std::string src_name;
    if (contents) {
        srcfd = open_fd(src, O_RDONLY | O_DIRECTORY);
    } else {
        srcfd = open_fd(dir_name(src), O_RDONLY | O_DIRECTORY);
        src_name = base_name(src);
        if (src_name.empty() || src_name == "/") throw Error("cp: copying the host's / is not supported");
    }
    std::string dst_abs = container_abs(dst, rec);
    bool want_dir = ends_with(dst_abs, "/");
    std::string rel = storage::clean_entry_path(dst_abs);
    storage::CopyOptions opts{.overwrite = true, .keep_owners = archive, .uid = 0, .gid = 0};
    with_container_root(paths, rec, cdir, [&](int rootfd) {
        // An existing directory (symlinks followed, inside the root only):
        // copy into it. Otherwise the last component is the new name.
        UniqueFd dir;
        try {
            dir = storage::open_in_root(rootfd, rel, O_RDONLY | O_DIRECTORY);
        } catch (const Error& e) {
            if (e.error_number() != ENOENT && e.error_number() != ENOTDIR && e.error_number() != ELOOP) throw;
            if (want_dir || (contents && e.error_number() != ENOENT))
                throw Error(fmt::format("cp: {} is not a directory in the container", dst), ENOTDIR);
        }
        if (contents) {
            if (!dir) {
                auto [pfd, last] = open_parent_in_root(rootfd, rel);
                if (::mkdirat(pfd.get(), last.c_str(), 0755) < 0) throw_errno("creating " + dst);
                dir = openat_fd(pfd.get(), last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            }
            storage::copy_tree(srcfd.get(), dir.get(), opts);
            return;
        }
        if (dir) {
            storage::copy_entry(srcfd.get(), src_name, dir.get(), src_name, opts);
            return;
        }
        auto [pfd, last] = open_parent_in_root(rootfd, rel);
        storage::copy_entry(srcfd.get(), src_name, pfd.get(), last, opts);
    });
}

// CONTAINER:SRC -: a tar stream of SRC on standard output.
void copy_out_tar(const Paths& paths, const ContainerRecord& rec, const std::string& cdir, const std::string& src) {
    bool contents = ends_with(src, "/.");
    std::string rel = storage::clean_entry_path(container_abs(src, rec));
    storage::archive_api(); // loaded from the host's files, before joining the container
    with_container_root(paths, rec, cdir, [&](int rootfd) {
        if (contents) {
            UniqueFd d = storage::open_in_root(rootfd, rel, O_RDONLY | O_DIRECTORY);
            storage::write_tree_tar(d.get(), ".", ".", STDOUT_FILENO);
            return;
        }
        auto [pfd, last] = open_parent_in_root(rootfd, rel);
        std::string name = rel.empty() ? "." : base_name(rel);
        storage::write_tree_tar(pfd.get(), last, name, STDOUT_FILENO);
    });
}

// - CONTAINER:DST: a tar stream on standard input unpacked into the
// directory DST (entries confined to it; owners from the stream with -a).
void copy_in_tar(const Paths& paths, const ContainerRecord& rec, const std::string& cdir, const std::string& dst,
                 bool archive) {
    std::string rel = storage::clean_entry_path(container_abs(dst, rec));
    storage::archive_api(); // loaded from the host's files, before joining the container
    with_container_root(paths, rec, cdir, [&](int rootfd) {
        UniqueFd dir;
        try {
            dir = storage::open_in_root(rootfd, rel, O_RDONLY | O_DIRECTORY);
        } catch (const Error& e) {
            throw Error(fmt::format("cp: the destination {} must be an existing directory when copying from "
                                    "standard input: {}",
                                    dst, e.what()),
                        e.error_number());
        }
        storage::UnpackOptions opts;
        opts.whiteouts = storage::WhiteoutMode::flatten;
        opts.preserve_owner = archive;
        opts.compute_diff_id = false;
        storage::unpack_layer(STDIN_FILENO, dir.get(), opts);
    });
}

} // namespace

void copy_files(const Paths& paths, const CopyRequest& req) {
    if (req.src == "-" && req.dst == "-") throw Error("cp: one of SRC and DST must be CONTAINER:PATH");
    Endpoint s = parse_endpoint(req.src), d = parse_endpoint(req.dst);
    if (!s.container.empty() && !d.container.empty()) throw Error("cp: copying between containers is not supported");
    if (s.container.empty() && d.container.empty())
        throw Error("cp: one of SRC and DST must be CONTAINER:PATH");
    ContainerStore containers(paths.root);
    ContainerRecord rec = containers.lookup(s.container.empty() ? d.container : s.container);
    std::string cdir = containers.dir(rec.id);
    if (req.dst == "-") {
        with_context(fmt::format("copying {} out of {}", s.path, rec.name),
                     [&] { copy_out_tar(paths, rec, cdir, s.path); });
    } else if (req.src == "-") {
        with_context(fmt::format("copying standard input into {}", rec.name),
                     [&] { copy_in_tar(paths, rec, cdir, d.path, req.archive); });
    } else if (!s.container.empty()) {
        with_context(fmt::format("copying {} out of {}", s.path, rec.name),
                     [&] { copy_out(paths, rec, cdir, s.path, d.path, req.archive); });
    } else {
        with_context(fmt::format("copying {} into {}", s.path, rec.name),
                     [&] { copy_in(paths, rec, cdir, s.path, d.path, req.archive); });
    }
}

} // namespace skiff::engine
