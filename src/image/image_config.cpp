#include "image/image_config.hpp"

#include "image/json_fields.hpp"
#include "image/manifest.hpp"
#include "util/error.hpp"

namespace skiff {

using nlohmann::json;

ImageConfig ImageConfig::parse(std::string_view bytes) {
    return with_context("parsing image config", [&] {
        if (bytes.size() > kMaxManifestBytes)
            throw Error("the config is " + std::to_string(bytes.size()) + " bytes, more than the limit of " +
                        std::to_string(kMaxManifestBytes >> 20) + " MiB");
        json j = parse_json(bytes, "image config");
        if (!j.is_object()) throw Error("expected a JSON object");
        ImageConfig c;
        c.created = json_string(j, "created");
        c.author = json_string(j, "author");
        c.architecture = json_string(j, "architecture");
        c.os = json_string(j, "os");
        c.variant = json_string(j, "variant");

        if (auto it = j.find("config"); it != j.end() && !it->is_null()) {
            const json& cj = *it;
            with_context("config", [&] {
                if (!cj.is_object()) throw Error("expected an object");
                ContainerConfig& cc = c.config;
                cc.env = json_string_list(cj, "Env");
                cc.entrypoint = json_string_list(cj, "Entrypoint");
                cc.cmd = json_string_list(cj, "Cmd");
                cc.working_dir = json_string(cj, "WorkingDir");
                cc.user = json_string(cj, "User");
                cc.exposed_ports = json_object_keys(cj, "ExposedPorts");
                cc.volumes = json_object_keys(cj, "Volumes");
                cc.labels = json_string_map(cj, "Labels");
                cc.stop_signal = json_string(cj, "StopSignal");
            });
        }

        with_context("rootfs", [&] {
            auto it = j.find("rootfs");
            if (it == j.end() || !it->is_object()) throw Error("missing");
            std::string type = json_string(*it, "type");
            if (type != "layers") throw Error("type is '" + type + "', expected 'layers'");
            for (const auto& d : json_string_list(*it, "diff_ids")) c.diff_ids.push_back(Digest::parse(d));
        });

        if (auto it = j.find("history"); it != j.end() && !it->is_null()) {
            if (!it->is_array()) throw Error("field 'history': expected a list");
            for (const auto& h : *it) {
                HistoryEntry e;
                e.created = json_string(h, "created");
                e.created_by = json_string(h, "created_by");
                e.author = json_string(h, "author");
                e.comment = json_string(h, "comment");
                e.empty_layer = json_bool(h, "empty_layer");
                c.history.push_back(std::move(e));
            }
        }
        return c;
    });
}

void check_layers_match(const ImageManifest& m, const ImageConfig& c) {
    if (m.layers.size() != c.diff_ids.size())
        throw Error("the manifest lists " + std::to_string(m.layers.size()) + " layers but the config has " +
                    std::to_string(c.diff_ids.size()) + " diff_ids");
}

} // namespace skiff
