#include "engine/container_diff.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include "engine/container_store.hpp"
#include "runtime/userns.hpp"
#include "storage/store.hpp"
#include "util/dir_list.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::engine {

namespace {

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

// fuse-overlayfs, where it may not mknod, marks a deletion with an empty
// ".wh.NAME" file; an opaque directory gets ".wh..wh..opq" (and a whiteout
// device ".wh..opq" of its own). ".wh." names are reserved by the image
// spec, so no container file has one.
constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

// Whether rel ("a/b") exists in the image: the top-most layer that has it
// (or a whiteout of it) decides.
bool in_image(const std::vector<std::string>& lowers, const std::string& rel) {
    for (const auto& l : lowers) {
        struct stat st {};
        if (::lstat((l + "/" + rel).c_str(), &st) == 0) return !is_whiteout(st);
    }
    return false;
}

void walk(int dir, const std::string& rel, const std::vector<std::string>& lowers, std::vector<Change>& out) {
    for (const auto& name : list_dir(dir)) {
        std::string r = rel.empty() ? name : rel + "/" + name;
        struct stat st {};
        if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("reading " + r);
        if (name.starts_with(kWhiteoutPrefix)) {
            std::string hidden = name.substr(kWhiteoutPrefix.size());
            if (S_ISREG(st.st_mode) && name != kOpaqueMarker && !hidden.empty())
                out.push_back({'D', "/" + (rel.empty() ? hidden : rel + "/" + hidden)});
            continue;
        }
        if (is_whiteout(st)) {
            out.push_back({'D', "/" + r});
            continue;
        }
        out.push_back({in_image(lowers, r) ? 'C' : 'A', "/" + r});
        if (S_ISDIR(st.st_mode)) {
            UniqueFd d = openat_fd(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            walk(d.get(), r, lowers, out);
        }
    }
}

std::string serialise(const std::vector<Change>& changes) {
    std::string s;
    for (const auto& c : changes) s += fmt::format("{}{}\n", c.kind, c.path);
    return s;
}

} // namespace

std::vector<Change> container_changes(const Paths& paths, const std::string& name_or_id) {
    ContainerStore containers(paths.root);
    ContainerRecord rec = containers.lookup(name_or_id);
    std::string upper = containers.dir(rec.id) + "/upper";
    struct stat st {};
    if (::stat(upper.c_str(), &st) < 0)
        throw Error(fmt::format("diff of {}: it has no writable layer of its own (the vfs driver keeps a full copy)",
                                rec.name));
    storage::Store store(paths.root);
    std::vector<std::string> lowers;
    if (auto image = store.image(rec.image_id))
        for (auto it = image->layers.rbegin(); it != image->layers.rend(); ++it) lowers.push_back(store.layer_dir(*it));
    // Rootless, the container's files may belong to other IDs: walk inside
    // the ID mapping, the result in an unlinked temporary file.
    UniqueFd tmp = open_fd(paths.runroot, O_TMPFILE | O_RDWR, 0600);
    runtime::run_as_container_root(paths.rootless, [&] {
        std::vector<Change> changes;
        UniqueFd u = open_fd(upper, O_RDONLY | O_DIRECTORY);
        walk(u.get(), "", lowers, changes);
        write_all(tmp.get(), serialise(changes));
    });
    if (::lseek(tmp.get(), 0, SEEK_SET) < 0) throw_errno("reading the diff");
    std::string text = read_all(tmp.get());
    std::vector<Change> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        std::string line = text.substr(start, nl - start);
        if (line.size() > 1) out.push_back({line[0], line.substr(1)});
        start = nl == std::string::npos ? text.size() : nl + 1;
    }
    std::sort(out.begin(), out.end(), [](const Change& a, const Change& b) { return a.path < b.path; });
    return out;
}

} // namespace skiff::engine
