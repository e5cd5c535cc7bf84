// Store: removing images, and prune. Content (layers, blobs) is deleted only
// when no image record and no container references it, and only while no
// pull holds a lease (a pull's committed content is not referenced by any
// record until its put_image).
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/root_fs.hpp"
#include "storage/store.hpp"
#include "util/dir_list.hpp"
#include "util/error.hpp"

namespace skiff::storage {

namespace {

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// True when nobody holds a flock on path (its owner died or finished):
// the entry is an orphan. Must be called with store.lock held.
bool orphaned(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return errno == ELOOP; // a symlink here is nobody's
    UniqueFd f(fd);
    return ::flock(f.get(), LOCK_EX | LOCK_NB) == 0;
}

} // namespace

std::set<std::string> Store::referenced_layers(const std::vector<ImageRecord>& images) const {
    std::set<std::string> out = opts_.layers_in_use();
    for (const auto& r : images) out.insert(r.layers.begin(), r.layers.end());
    return out;
}

std::set<std::string> Store::referenced_blobs(const std::vector<ImageRecord>& images) const {
    std::set<std::string> out;
    for (const auto& r : images) {
        out.insert(r.id);
        if (!r.manifest_digest.empty()) out.insert(r.manifest_digest);
        if (!r.index_digest.empty()) out.insert(r.index_digest);
        out.insert(r.extra_blobs.begin(), r.extra_blobs.end());
        for (const auto& l : r.layers)
            if (auto m = layer_meta(l); m && !m->compressed_digest.empty()) out.insert(m->compressed_digest);
    }
    return out;
}

bool Store::delete_layer(const std::string& chain_id) const {
    std::string path = layer_path(chain_id);
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0) return false;
    // Move it out of its name first: from here on it is not a layer, and a
    // removal that dies halfway leaves a tmp-* entry for prune.
    std::string grave = layers_root() + "/tmp-XXXXXX";
    if (!::mkdtemp(grave.data())) throw_errno("creating a temporary name in " + layers_root());
    if (::rename(path.c_str(), grave.c_str()) < 0) {
        int err = errno;
        ::rmdir(grave.c_str());
        throw_errno("removing layer " + chain_id, err);
    }
    opts_.remove_layer_tree(grave);
    return true;
}

bool Store::delete_blob(const std::string& digest) const {
    auto d = Digest::try_parse(digest);
    if (!d) return false;
    if (::unlink(blob_path(*d).c_str()) == 0) return true;
    if (errno == ENOENT) return false;
    throw_errno("removing blob " + digest);
}

RemoveReport Store::remove_image(const std::string& id) const {
    return with_context("removing image " + id, [&] {
        RemoveReport rep;
        FileLock guard = lock();
        auto rec = image(id);
        if (!rec) throw Error("no such image", ENOENT);

        auto names = read_names();
        for (auto it = names.begin(); it != names.end();) {
            if (it->second == rec->id)
                it = names.erase(it);
            else
                ++it;
        }
        // Names first: a crash in between leaves an untagged record (listed,
        // removable), never a name pointing at nothing.
        write_names(names);
        // The removed image's own blobs, computed before its record goes.
        std::set<std::string> own_blobs = referenced_blobs({*rec});
        if (::unlink(image_file(rec->id).c_str()) < 0 && errno != ENOENT) throw_errno("removing the record");

        FileLock no_pulls = FileLock::try_lock(root_ + "/lease.lock", FileLock::Mode::exclusive);
        if (!no_pulls.held()) {
            rep.gc_deferred = true;
            return rep;
        }
        auto images = list_images();
        auto used_layers = referenced_layers(images);
        auto used_blobs = referenced_blobs(images);
        // Top of the stack first: a crash midway leaves a usable prefix.
        for (auto it = rec->layers.rbegin(); it != rec->layers.rend(); ++it)
            if (!used_layers.count(*it) && delete_layer(*it)) rep.layers_removed.push_back(*it);
        for (const auto& b : own_blobs)
            if (!used_blobs.count(b) && delete_blob(b)) rep.blobs_removed.push_back(b);
        return rep;
    });
}

PruneReport Store::prune() const {
    return with_context("pruning the image store", [&] {
        PruneReport rep;
        FileLock guard = lock();

        for (const auto& n : list_dir(tmp_dir())) {
            std::string p = tmp_dir() + "/" + n;
            if (!orphaned(p)) continue;
            remove_tree(p);
            rep.temps_removed.push_back("tmp/" + n);
        }
        for (const auto& n : list_dir(layers_root())) {
            if (!starts_with(n, "tmp-")) continue;
            std::string p = layers_root() + "/" + n;
            if (!orphaned(p)) continue;
            opts_.remove_layer_tree(p);
            rep.temps_removed.push_back("layers/" + n);
        }
        // atomic_write_file leftovers; every atomic write runs under the lock we hold.
        for (const auto& n : list_dir(images_dir())) {
            if (n.find(".tmp-") == std::string::npos) continue;
            if (::unlink((images_dir() + "/" + n).c_str()) == 0) rep.temps_removed.push_back("images/" + n);
        }

        FileLock no_pulls = FileLock::try_lock(root_ + "/lease.lock", FileLock::Mode::exclusive);
        if (!no_pulls.held()) {
            rep.gc_skipped = true;
            return rep;
        }
        auto images = list_images();
        auto used_layers = referenced_layers(images);
        auto used_blobs = referenced_blobs(images);
        for (const auto& n : list_dir(layers_root())) {
            if (starts_with(n, "tmp-")) continue;
            std::string chain = "sha256:" + n;
            if (!Digest::try_parse(chain)) continue; // not ours: leave it
            if (!used_layers.count(chain) && delete_layer(chain)) rep.layers_removed.push_back(chain);
        }
        for (const auto& alg : list_dir(root_ + "/blobs")) {
            for (const auto& hex : list_dir(root_ + "/blobs/" + alg)) {
                std::string d = alg + ":" + hex;
                if (!Digest::try_parse(d) || used_blobs.count(d)) continue;
                if (delete_blob(d)) rep.blobs_removed.push_back(d);
            }
        }
        return rep;
    });
}

} // namespace skiff::storage
