#include "engine/image_resolve.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fmt/format.h>

#include "image/reference.hpp"
#include "storage/root_fs.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace skiff::engine {

namespace {
bool looks_like_id(const std::string& s) {
    std::string hex = s.rfind("sha256:", 0) == 0 ? s.substr(7) : s;
    return hex.size() >= 3 && hex.size() <= 64 && hex.find_first_not_of("0123456789abcdef") == std::string::npos;
}
} // namespace

std::optional<storage::ImageRecord> find_local_image(const storage::Store& store, const Config& config,
                                                     const std::string& input) {
    if (looks_like_id(input))
        if (auto r = store.lookup_id_prefix(input)) return r;
    for (const Reference& ref : resolve_candidates(input, config.registries))
        if (auto r = store.lookup_name(ref.str())) return r;
    return std::nullopt;
}

storage::ImageRecord resolve_image(const Paths& paths, const Config& config, const std::string& input,
                                   const std::string& policy_in, const PullOptions& opts) {
    std::string policy = policy_in.empty() ? config.pull_policy : policy_in;
    storage::Store store(paths.root);
    std::optional<storage::ImageRecord> local;
    {
        log::StepTimer t("image lookup");
        local = find_local_image(store, config, input);
    }
    if (local && (policy == "missing" || policy == "never")) return *local;
    if (!local && policy == "never")
        throw Error(fmt::format("{}: image not known locally and the pull policy is \"never\"", input));
    try {
        log::StepTimer t("pull");
        PullResult r = pull(paths, config, input, opts);
        if (auto img = store.image(r.image_id)) return *img;
        throw Error(fmt::format("pulled {} but the store has no image {}", r.reference, r.image_id));
    } catch (const Error& e) {
        if (local && policy == "newer") {
            log::warn("{}; using the local image", e.what());
            return *local;
        }
        throw;
    }
}

std::string read_image_file(const storage::Store& store, const storage::ImageRecord& image, const std::string& rel) {
    for (auto it = image.layers.rbegin(); it != image.layers.rend(); ++it) {
        UniqueFd root = open_fd(store.layer_dir(*it), O_RDONLY | O_DIRECTORY);
        struct stat st {};
        try {
            UniqueFd f = storage::open_in_root(root.get(), rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
            if (::fstat(f.get(), &st) < 0) continue;
            if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0) return ""; // whiteout
            if (!S_ISREG(st.st_mode)) return "";
            return read_all(f.get(), 4u << 20);
        } catch (const Error& e) {
            if (e.error_number() == ENOENT) continue;
            if (e.error_number() == ENXIO || e.error_number() == ENODEV || e.error_number() == ELOOP) return "";
            throw;
        }
    }
    return "";
}

} // namespace skiff::engine
