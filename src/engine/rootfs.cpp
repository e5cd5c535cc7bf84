#include "engine/rootfs.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "engine/storage_choice.hpp"
#include "runtime/userns.hpp"
#include "storage/layer_unpack.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace skiff::engine {

namespace {

void mkdir_mode(const std::string& d, mode_t mode) {
    if (::mkdir(d.c_str(), mode) < 0 && errno != EEXIST) throw_errno("creating " + d);
    ::chmod(d.c_str(), mode); // whatever the umask
}
// The container's own directories; only the container root (the upper dir
// or the vfs copy, whose mode becomes that of /) must be 0755.
void mkdir_private(const std::string& d) { mkdir_mode(d, 0700); }

// The vfs driver: a private copy of the image, unpacked layer by layer
// (whiteouts applied by deletion) inside the user's ID mapping.
void unpack_copy(const Paths& paths, const storage::Store& store, const storage::ImageRecord& image,
                 const std::string& rootfs) {
    std::vector<std::string> blobs;
    for (const auto& chain : image.layers) {
        auto meta = store.layer_meta(chain);
        if (!meta || meta->compressed_digest.empty())
            throw Error(fmt::format("layer {} has no blob to copy from: pull the image again", chain));
        blobs.push_back(store.blob_path(Digest::parse(meta->compressed_digest)));
    }
    runtime::run_as_container_root(paths.rootless, [&] {
        UniqueFd root = open_fd(rootfs, O_RDONLY | O_DIRECTORY);
        storage::UnpackOptions opts;
        opts.whiteouts = storage::WhiteoutMode::flatten;
        opts.compute_diff_id = false;
        for (const auto& b : blobs) {
            UniqueFd in = open_fd(b, O_RDONLY);
            with_context("copying layer " + b, [&] { storage::unpack_layer(in.get(), root.get(), opts); });
        }
    });
}

} // namespace

runtime::RootfsSpec prepare_rootfs(const Paths& paths, const Config& config, const storage::Store& store,
                                   const storage::ImageRecord& image, const std::string& cdir, bool read_only,
                                   const std::string& recorded_driver) {
    StorageChoice choice;
    if (recorded_driver.empty()) {
        choice = storage_choice_for_run(paths, config);
        if (!choice.problem.empty()) throw Error(choice.problem);
        log::debug("storage driver {}: {}", choice.driver, choice.reason);
    } else {
        choice.driver = recorded_driver; // the container's upper dir is that driver's
    }
    runtime::RootfsSpec r;
    r.readonly = read_only;
    r.mountpoint = cdir + "/merged";
    mkdir_private(r.mountpoint);
    if (choice.driver == "overlay" || choice.driver == "fuse-overlayfs") {
        r.kind = choice.driver == "overlay" ? runtime::RootfsSpec::Kind::overlay
                                            : runtime::RootfsSpec::Kind::fuse_overlay;
        for (auto it = image.layers.rbegin(); it != image.layers.rend(); ++it) r.lower.push_back(store.layer_dir(*it));
        if (r.lower.empty()) {
            r.lower.push_back(cdir + "/empty");
            mkdir_private(r.lower.back());
        }
        r.upper = cdir + "/upper";
        r.work = cdir + "/work";
        mkdir_mode(r.upper, 0755);
        mkdir_private(r.work);
        r.userxattr = paths.rootless;
        return r;
    }
    if (choice.driver == "vfs") {
        r.kind = runtime::RootfsSpec::Kind::bind;
        std::string rootfs = cdir + "/rootfs";
        struct stat st {};
        if (::stat(rootfs.c_str(), &st) < 0) {
            mkdir_mode(rootfs, 0755);
            unpack_copy(paths, store, image, rootfs);
        }
        r.lower = {rootfs};
        return r;
    }
    throw Error(fmt::format("unknown storage driver '{}'", choice.driver));
}

void remove_container_files(const Paths& paths, ContainerStore& containers, const std::string& id) {
    try {
        containers.remove(id);
        return;
    } catch (const Error& e) {
        if (!paths.rootless || (e.error_number() != EACCES && e.error_number() != EPERM)) throw;
    }
    // Files that the container created as other users belong to subordinate
    // IDs: remove them from inside the user's ID mapping.
    runtime::run_as_container_root(true, [&] { containers.remove(id); });
}

} // namespace skiff::engine
