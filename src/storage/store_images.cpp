// Store: image records and the tag index.
#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/store.hpp"
#include "util/atomic_file.hpp"
#include "util/dir_list.hpp"
#include "util/error.hpp"

namespace skiff::storage {

namespace {

template <typename F>
auto parse_json(const std::string& what, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const nlohmann::json::exception& e) {
        throw Error(what + ": " + e.what());
    }
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

bool erase_value(std::vector<std::string>& v, const std::string& s) {
    auto it = std::remove(v.begin(), v.end(), s);
    bool found = it != v.end();
    v.erase(it, v.end());
    return found;
}

bool is_hex(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Hex names of images/<hex>.json.
std::vector<std::string> image_hexes(const std::string& dir) {
    std::vector<std::string> out;
    for (const std::string& n : list_dir(dir)) {
        if (n.size() > 5 && n.compare(n.size() - 5, 5, ".json") == 0 && n != "names.json") {
            std::string hex = n.substr(0, n.size() - 5);
            if (is_hex(hex)) out.push_back(hex);
        }
    }
    return out;
}

} // namespace

std::string Store::image_file(const std::string& id) const {
    Digest d = Digest::parse(id);
    if (d.algorithm() != "sha256") throw Error("image ID " + id + " is not a sha256 digest");
    return images_dir() + "/" + d.hex() + ".json";
}

std::map<std::string, std::string> Store::read_names() const {
    std::string path = names_file();
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) return {};
    std::string text = read_file(path, 64u << 20);
    return parse_json("reading " + path, [&] {
        return nlohmann::json::parse(text).get<std::map<std::string, std::string>>();
    });
}

void Store::write_names(const std::map<std::string, std::string>& names) const {
    atomic_write_file(names_file(), nlohmann::json(names).dump(2) + "\n", 0600);
}

void Store::write_image(const ImageRecord& r) const {
    atomic_write_file(image_file(r.id), to_json_value(r).dump(2) + "\n", 0600);
}

std::optional<ImageRecord> Store::image(const std::string& id) const {
    std::string path = image_file(id);
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) return std::nullopt;
    std::string text = read_file(path, 16u << 20);
    return parse_json("reading image record " + path,
                      [&] { return image_record_from_json(nlohmann::json::parse(text)); });
}

ImageRecord Store::put_image(const ImageRecord& record) const {
    return with_context("storing image " + record.id, [&] {
        image_file(record.id); // validates the ID
        if (record.layers.size() != record.diff_ids.size() && !record.diff_ids.empty())
            throw Error("image record has " + std::to_string(record.layers.size()) + " layers but " +
                        std::to_string(record.diff_ids.size()) + " diff IDs");
        FileLock guard = lock();
        for (const auto& l : record.layers)
            if (!has_layer(l)) throw Error("layer " + l + " is not in the store");

        ImageRecord merged = record;
        if (auto old = image(record.id)) {
            merged.repo_tags = old->repo_tags;
            merged.repo_digests = old->repo_digests;
            for (const auto& t : record.repo_tags) add_unique(merged.repo_tags, t);
            for (const auto& d : record.repo_digests) add_unique(merged.repo_digests, d);
            for (const auto& b : old->extra_blobs) add_unique(merged.extra_blobs, b);
        }
        auto names = read_names();
        for (const auto& t : merged.repo_tags) {
            auto it = names.find(t);
            if (it != names.end() && it->second != merged.id) {
                if (auto other = image(it->second)) {
                    erase_value(other->repo_tags, t);
                    write_image(*other);
                }
            }
            names[t] = merged.id;
        }
        write_image(merged);
        write_names(names);
        return merged;
    });
}

std::optional<ImageRecord> Store::lookup_name(const std::string& ref) const {
    auto names = read_names();
    if (auto it = names.find(ref); it != names.end()) {
        if (auto r = image(it->second)) return r;
    }
    if (ref.find('@') != std::string::npos) {
        for (auto& r : list_images())
            if (std::find(r.repo_digests.begin(), r.repo_digests.end(), ref) != r.repo_digests.end()) return r;
    }
    return std::nullopt;
}

std::optional<ImageRecord> Store::lookup_id_prefix(const std::string& prefix) const {
    std::string p = prefix;
    if (p.rfind("sha256:", 0) == 0) p = p.substr(7);
    if (p.empty() || p.size() > 64 || !is_hex(p)) return std::nullopt;
    std::vector<std::string> hits;
    for (auto& hex : image_hexes(images_dir()))
        if (hex.compare(0, p.size(), p) == 0) hits.push_back(hex);
    if (hits.empty()) return std::nullopt;
    if (hits.size() > 1)
        throw Error("image ID prefix '" + prefix + "' is ambiguous: it matches " + std::to_string(hits.size()) +
                    " images");
    return image("sha256:" + hits.front());
}

std::vector<ImageRecord> Store::list_images() const {
    std::vector<ImageRecord> out;
    for (auto& hex : image_hexes(images_dir())) {
        // A record removed between listing and reading is simply gone.
        if (auto r = image("sha256:" + hex)) out.push_back(std::move(*r));
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> Store::names() const {
    auto m = read_names();
    return {m.begin(), m.end()};
}

void Store::tag(const std::string& id, const std::string& ref) const {
    with_context("tagging " + id + " as " + ref, [&] {
        FileLock guard = lock();
        auto rec = image(id);
        if (!rec) throw Error("no such image", ENOENT);
        auto names = read_names();
        if (auto it = names.find(ref); it != names.end() && it->second != id) {
            if (auto other = image(it->second)) {
                erase_value(other->repo_tags, ref);
                write_image(*other);
            }
        }
        add_unique(rec->repo_tags, ref);
        write_image(*rec);
        names[ref] = id;
        write_names(names);
    });
}

bool Store::untag(const std::string& ref) const {
    return with_context("untagging " + ref, [&] {
        FileLock guard = lock();
        auto names = read_names();
        auto it = names.find(ref);
        if (it == names.end()) return false;
        if (auto rec = image(it->second)) {
            erase_value(rec->repo_tags, ref);
            write_image(*rec);
        }
        names.erase(it);
        write_names(names);
        return true;
    });
}

} // namespace skiff::storage
