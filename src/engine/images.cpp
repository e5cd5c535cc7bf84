#include "engine/images.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "engine/container_store.hpp"
#include "image/image_config.hpp"
#include "image/reference.hpp"
#include "runtime/userns.hpp"
#include "storage/root_fs.hpp"
#include "util/error.hpp"

namespace skiff::engine {

namespace {

using json = nlohmann::ordered_json;

bool looks_like_id(const std::string& s) {
    std::string hex = s.rfind("sha256:", 0) == 0 ? s.substr(7) : s;
    return hex.size() >= 3 && hex.size() <= 64 && hex.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string hex_of(const std::string& id) { return id.rfind("sha256:", 0) == 0 ? id.substr(7) : id; }

// pinned: layers to keep whatever the records say (an image being force-
// removed from under a container).
storage::Store make_store(const Paths& paths, std::set<std::string> pinned = {}) {
    storage::StoreOptions o;
    std::string root = paths.root;
    o.layers_in_use = [root, pinned] {
        std::set<std::string> out = pinned;
        storage::Store plain(root);
        for (const auto& c : ContainerStore(root).list())
            if (auto img = plain.image(c.image_id)) out.insert(img->layers.begin(), img->layers.end());
        return out;
    };
    bool rootless = paths.rootless;
    o.remove_layer_tree = [rootless](const std::string& p) {
        runtime::run_as_container_root(rootless, [&] { storage::remove_tree(p); });
    };
    return storage::Store(root, std::move(o));
}

std::vector<ContainerRecord> containers_using(const Paths& paths, const std::string& id) {
    std::vector<ContainerRecord> out;
    for (auto& c : ContainerStore(paths.root).list())
        if (c.image_id == id) out.push_back(std::move(c));
    return out;
}

// The references input may stand for, in lookup order.
std::vector<std::string> candidate_refs(const Config& config, const std::string& input) {
    std::vector<std::string> out;
    std::optional<Error> first_error;
    try {
        for (const Reference& r : resolve_candidates(input, config.registries)) out.push_back(r.str());
    } catch (const Error& e) {
        first_error = e;
    }
    try {
        out.push_back(Reference::parse(input, "localhost").str());
    } catch (const Error&) {
        if (first_error) throw *first_error;
        throw;
    }
    return out;
}

bool reference_matches(const std::string& pattern, const std::string& full_ref) {
    Reference r = Reference::parse(full_ref);
    for (const std::string& s : {r.str(), r.name(), r.familiar(), r.familiar_name()}) {
        if (::fnmatch(pattern.c_str(), s.c_str(), 0) == 0) return true;
        if (::fnmatch(("*/" + pattern).c_str(), s.c_str(), 0) == 0) return true;
    }
    return false;
}

json string_set_object(const std::vector<std::string>& v) {
    json o = json::object();
    for (const auto& s : v) o[s] = json::object();
    return o;
}

} // namespace

storage::Store open_image_store(const Paths& paths) { return make_store(paths); }

std::optional<storage::ImageRecord> lookup_image(const storage::Store& store, const Config& config,
                                                 const std::string& input) {
    if (looks_like_id(input))
        if (auto r = store.lookup_id_prefix(input)) return r;
    for (const std::string& ref : candidate_refs(config, input))
        if (auto r = store.lookup_name(ref)) return r;
    return std::nullopt;
}

std::vector<storage::ImageRecord> list_images(const Paths& paths, const ImageListOptions& opts) {
    std::vector<std::string> refs;
    std::optional<bool> dangling;
    for (const auto& f : opts.filters) {
        auto eq = f.find('=');
        std::string key = f.substr(0, eq), val = eq == std::string::npos ? "" : f.substr(eq + 1);
        if (key == "reference" && !val.empty()) {
            refs.push_back(val);
        } else if (key == "dangling" && (val == "true" || val == "false")) {
            dangling = val == "true";
        } else {
            throw Error(fmt::format("invalid filter '{}': use reference=PATTERN or dangling=true|false", f));
        }
    }
    std::vector<storage::ImageRecord> out;
    for (auto& img : storage::Store(paths.root).list_images()) {
        if (dangling && *dangling != img.repo_tags.empty()) continue;
        if (!refs.empty()) {
            std::vector<std::string> keep;
            for (const auto& t : img.repo_tags)
                if (std::any_of(refs.begin(), refs.end(), [&](const auto& p) { return reference_matches(p, t); }))
                    keep.push_back(t);
            if (keep.empty()) continue;
            img.repo_tags = std::move(keep);
        }
        out.push_back(std::move(img));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.created != b.created ? a.created > b.created : a.id < b.id;
    });
    return out;
}

std::optional<nlohmann::ordered_json> inspect_image(const Paths& paths, const Config& config,
                                                    const std::string& input) {
    storage::Store store(paths.root);
    auto rec = lookup_image(store, config, input);
    if (!rec) return std::nullopt;
    ImageConfig cfg = with_context(fmt::format("reading the configuration of {}", rec->id),
                                   [&] { return ImageConfig::parse(store.read_blob(Digest::parse(rec->id))); });
    const ContainerConfig& c = cfg.config;
    json labels = json::object();
    for (const auto& [k, v] : c.labels) labels[k] = v;
    json diff_ids = json::array();
    for (const auto& d : cfg.diff_ids) diff_ids.push_back(d.str());
    json history = json::array();
    for (const auto& h : cfg.history) {
        json e = {{"created", h.created}, {"created_by", h.created_by}};
        if (!h.author.empty()) e["author"] = h.author;
        if (!h.comment.empty()) e["comment"] = h.comment;
        if (h.empty_layer) e["empty_layer"] = true;
        history.push_back(std::move(e));
    }
    return json{
        {"Id", rec->id},
        {"Digest", rec->manifest_digest},
        {"RepoTags", rec->repo_tags},
        {"RepoDigests", rec->repo_digests},
        {"Parent", ""},
        {"Comment", ""},
        {"Created", cfg.created},
        {"Author", cfg.author},
        {"Architecture", cfg.architecture},
        {"Os", cfg.os},
        {"Variant", cfg.variant},
        {"Size", rec->size},
        {"VirtualSize", rec->size},
        {"Config",
         {{"User", c.user},
          {"ExposedPorts", string_set_object(c.exposed_ports)},
          {"Env", c.env},
          {"Entrypoint", c.entrypoint},
          {"Cmd", c.cmd},
          {"Volumes", string_set_object(c.volumes)},
          {"WorkingDir", c.working_dir},
          {"Labels", labels},
          {"StopSignal", c.stop_signal}}},
        {"Labels", labels},
        {"RootFS", {{"Type", "layers"}, {"Layers", diff_ids}}},
        {"ManifestType", rec->manifest_media_type},
        {"History", history},
    };
}

std::string normalize_tag_target(const std::string& target) {
    Reference r = Reference::parse(target, "localhost");
    if (!r.digest.empty()) throw Error(fmt::format("invalid tag '{}': a tag cannot contain a digest", target));
    if (r.tag.empty()) r.tag = "latest";
    return r.str();
}

void tag_image(const Paths& paths, const Config& config, const std::string& source,
               const std::vector<std::string>& targets) {
    storage::Store store(paths.root);
    auto rec = lookup_image(store, config, source);
    if (!rec) throw Error(fmt::format("{}: image not known", source));
    std::vector<std::string> refs;
    for (const auto& t : targets) refs.push_back(normalize_tag_target(t)); // all valid before any is added
    for (const auto& r : refs) store.tag(rec->id, r);
}

RmiResult remove_image(const Paths& paths, const Config& config, const std::string& input, bool force) {
    storage::Store plain(paths.root);
    auto rec = lookup_image(plain, config, input);
    if (!rec) throw Error(fmt::format("{}: image not known", input));
    RmiResult res;
    bool by_id = looks_like_id(input) && hex_of(rec->id).rfind(hex_of(input), 0) == 0;
    if (!by_id && rec->repo_tags.size() > 1) {
        for (const std::string& ref : candidate_refs(config, input)) {
            if (std::find(rec->repo_tags.begin(), rec->repo_tags.end(), ref) == rec->repo_tags.end()) continue;
            if (plain.untag(ref)) res.untagged.push_back(ref);
            return res;
        }
    }
    auto users = containers_using(paths, rec->id);
    if (!users.empty() && !force)
        throw Error(fmt::format("image {} is in use by container {}: remove the container first, or use --force",
                                hex_of(rec->id).substr(0, 12), users.front().id.substr(0, 12)));
    std::set<std::string> pinned;
    if (!users.empty()) pinned.insert(rec->layers.begin(), rec->layers.end());
    storage::Store store = make_store(paths, pinned);
    store.remove_image(rec->id);
    res.untagged = rec->repo_tags;
    res.deleted.push_back(hex_of(rec->id));
    return res;
}

ImagePruneResult prune_images(const Paths& paths, bool all) {
    storage::Store store = make_store(paths);
    std::set<std::string> used;
    for (const auto& c : ContainerStore(paths.root).list()) used.insert(c.image_id);
    ImagePruneResult res;
    for (const auto& img : store.list_images()) {
        if (used.count(img.id) != 0 || (!all && !img.repo_tags.empty())) continue;
        store.remove_image(img.id);
        res.images_removed.push_back(hex_of(img.id));
    }
    res.store = store.prune();
    return res;
}

std::vector<HistoryRow> image_history(const Paths& paths, const Config& config, const std::string& input) {
    storage::Store store(paths.root);
    auto rec = lookup_image(store, config, input);
    if (!rec) throw Error(fmt::format("{}: image not known", input));
    ImageConfig cfg = ImageConfig::parse(store.read_blob(Digest::parse(rec->id)));
    auto layer_size = [&](size_t i) -> uint64_t {
        if (i >= rec->layers.size()) return 0;
        auto m = store.layer_meta(rec->layers[i]);
        return m ? m->size : 0;
    };
    std::vector<HistoryRow> rows;
    size_t layer = 0;
    if (cfg.history.empty()) {
        for (; layer < rec->layers.size(); ++layer) rows.push_back({"<missing>", cfg.created, "", layer_size(layer), ""});
    }
    for (const auto& h : cfg.history) {
        HistoryRow r{"<missing>", h.created, h.created_by, 0, h.comment};
        if (!h.empty_layer) r.size = layer_size(layer++);
        rows.push_back(std::move(r));
    }
    std::reverse(rows.begin(), rows.end());
    if (!rows.empty()) rows.front().id = hex_of(rec->id);
    return rows;
}

} // namespace skiff::engine
