#include "engine/pull.hpp"

#include <ctime>

#include <fmt/format.h>

#include "engine/layer_fetch.hpp"
#include "engine/pull_progress.hpp"
#include "image/image_config.hpp"
#include "image/manifest.hpp"
#include "image/reference.hpp"
#include "registry/client.hpp"
#include "runtime/userns.hpp"
#include "storage/chain_id.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace skiff::engine {

namespace {

void store_small_blob(const storage::Store& store, const Digest& d, std::string_view bytes) {
    if (store.has_blob(d)) return;
    storage::BlobWriter w = store.open_blob_writer(d, bytes.size());
    w.write(bytes);
    w.commit();
}

ClientOptions client_options(const Config& config, const PullOptions& opts) {
    ClientOptions co;
    co.tls_verify = opts.tls_verify;
    co.authfile = opts.authfile;
    co.config = config.registries;
    return co;
}

PullResult pull_from(const Paths& paths, const Reference& ref, ClientOptions co, const PullOptions& opts) {
    storage::Store store(paths.root);
    // Held until the image record is written: prune and rmi leave our
    // freshly committed, not yet referenced content alone.
    FileLock lease = store.lease();
    RegistryClient client(ref, co);

    Platform want = opts.platform.empty() ? Platform::host() : Platform::parse(opts.platform);
    FetchedManifest m = client.get_manifest(ref.tag_or_digest());
    std::string index_digest;
    std::vector<std::string> extra_blobs;
    if (manifest_kind(m.media_type) == ManifestKind::index) {
        Index idx = Index::parse(m.bytes, m.media_type);
        const Descriptor& d = with_context(fmt::format("choosing a platform of {}", ref.str()),
                                           [&]() -> const Descriptor& { return idx.select(want); });
        store_small_blob(store, m.digest, m.bytes);
        index_digest = m.digest.str();
        extra_blobs.push_back(index_digest);
        m = client.get_manifest(d.digest.str());
        if (m.digest != d.digest)
            throw Error(fmt::format("manifest for {} has digest {}, the index says {}", want.str(), m.digest.str(),
                                    d.digest.str()));
    }
    ImageManifest im = ImageManifest::parse(m.bytes, m.media_type);
    std::string config_bytes = client.get_blob_bytes(im.config.digest, static_cast<uint64_t>(im.config.size));
    ImageConfig cfg = ImageConfig::parse(config_bytes);
    check_layers_match(im, cfg);
    if (index_digest.empty() && !opts.platform.empty() && !want.matches(cfg.platform()))
        throw Error(fmt::format("{} is for {}, not {}", ref.str(), cfg.platform().str(), want.str()));
    for (const Descriptor& l : im.layers)
        if (classify_layer(l.media_type).foreign)
            throw Error(fmt::format("layer {} is non-distributable (foreign): not supported", l.digest.str()));
    store_small_blob(store, m.digest, m.bytes);
    store_small_blob(store, im.config.digest, config_bytes);

    std::vector<std::string> diff_ids;
    for (const auto& d : cfg.diff_ids) diff_ids.push_back(d.str());
    std::vector<std::string> chains = storage::chain_ids(diff_ids);
    std::vector<LayerJob> jobs;
    bool missing = false;
    for (size_t i = 0; i < im.layers.size(); ++i) {
        jobs.push_back({im.layers[i], diff_ids[i], chains[i], i == 0 ? "" : chains[i - 1]});
        if (!store.has_layer(chains[i])) missing = true;
    }

    if (missing) {
        PullProgress progress(PullProgress::mode_for(opts.quiet), ref.familiar());
        FetchOptions fo;
        fo.rootless = paths.rootless;
        // Unpacked inside the user's ID mapping, so that files keep the
        // image's owners rootless (container 0 = you, 1.. = your subuids).
        runtime::run_as_container_root(paths.rootless,
                                       [&] { fetch_layers(store, client, jobs, fo, progress); });
    } else if (!opts.quiet) {
        log::info("all {} layers of {} are already present", jobs.size(), ref.str());
    }

    storage::ImageRecord rec;
    rec.id = im.config.digest.str();
    rec.manifest_digest = m.digest.str();
    rec.manifest_media_type = m.media_type;
    rec.index_digest = index_digest;
    if (!ref.tag.empty()) rec.repo_tags.push_back(ref.name() + ":" + ref.tag);
    rec.repo_digests.push_back(ref.name() + "@" + (index_digest.empty() ? m.digest.str() : index_digest));
    rec.layers = chains;
    rec.diff_ids = diff_ids;
    for (const auto& c : chains)
        if (auto meta = store.layer_meta(c)) rec.size += meta->size;
    rec.created = cfg.created;
    rec.pulled_at = static_cast<int64_t>(std::time(nullptr));
    rec.os = cfg.os;
    rec.architecture = cfg.architecture;
    rec.extra_blobs = extra_blobs;
    store.put_image(rec);
    return {ref.str(), rec.id, rec.manifest_digest};
}

} // namespace

PullResult pull(const Paths& paths, const Config& config, const std::string& input, const PullOptions& opts) {
    paths.ensure();
    std::vector<Reference> candidates = resolve_candidates(input, config.registries);
    std::vector<std::string> failures;
    for (const Reference& ref : candidates) {
        // Mirrors first (as configured), then the registry itself.
        std::vector<std::string> endpoints;
        if (auto it = config.registries.mirrors.find(ref.registry); it != config.registries.mirrors.end())
            endpoints = it->second;
        endpoints.push_back("");
        for (const std::string& ep : endpoints) {
            ClientOptions co = client_options(config, opts);
            co.endpoint = ep;
            try {
                log::info("trying to pull {}{}", ref.str(), ep.empty() ? "" : " from mirror " + ep);
                return pull_from(paths, ref, co, opts);
            } catch (Error& e) {
                if (candidates.size() == 1 && endpoints.size() == 1) throw e.context("pulling " + ref.str());
                failures.push_back(fmt::format("{}{}: {}", ref.str(), ep.empty() ? "" : " (mirror " + ep + ")", e.what()));
            }
        }
    }
    std::string all;
    for (const auto& f : failures) all += "\n  " + f;
    throw Error(fmt::format("pulling {}: every candidate failed:{}", input, all));
}

} // namespace skiff::engine
