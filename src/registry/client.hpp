// The registry client the pull (and push) logic calls: distribution API v2
// over HTTP(S) for one repository.
//
// Lazily, on the first request, it decides the scheme (see endpoint.hpp),
// pings /v2/, learns how the registry wants to be authenticated, and loads
// credentials (ClientOptions::credentials, else the auth files).
//
// Thread safety: one RegistryClient may be used from several threads at once
// (layers download in parallel): each request takes its own libcurl handle
// from an internal pool; the endpoint decision and the token cache are
// guarded by mutexes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "image/digest.hpp"
#include "image/manifest.hpp"
#include "image/reference.hpp"
#include "registry/auth_file.hpp"
#include "registry/registry_error.hpp"

namespace skiff {

struct ClientOptions {
    std::optional<bool> tls_verify;         // --tls-verify; unset: the rules in endpoint.hpp
    std::string authfile;                   // --authfile; "" for the default search
    std::optional<Credentials> credentials; // --creds; overrides the auth files
    RegistryConfig config;                  // insecure registries
    std::string user_agent;                 // "" -> "skiff/VERSION"
    long connect_timeout_seconds = 30;
    // Polled while transferring; returning true aborts with "cancelled".
    std::function<bool()> cancelled;
    // Talk to this host instead of the reference's registry (a mirror). The
    // repository path stays the same.
    std::string endpoint;
    bool push = false;                  // ask for pull,push tokens
    std::vector<std::string> certs_dirs; // empty: default_certs_dirs()
};

struct FetchedManifest {
    std::string bytes;
    std::string media_type; // detected; schema 1 and unknown types are refused
    Digest digest;          // of bytes, verified
};

// Receives blob bytes as they arrive. The bytes are verified only when
// get_blob returns: write them somewhere temporary and commit afterwards.
class BlobSink {
public:
    virtual ~BlobSink() = default;
    virtual void write(const char* data, size_t len) = 0;
};

// Called after each chunk with the bytes so far and the expected total.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

inline constexpr uint64_t kUnknownSize = UINT64_MAX;

class RegistryClient {
public:
    RegistryClient(const Reference& ref, ClientOptions opts);
    ~RegistryClient();
    RegistryClient(const RegistryClient&) = delete;
    RegistryClient& operator=(const RegistryClient&) = delete;

    // GET /v2/NAME/manifests/REF with an Accept list (default: indexes and
    // image manifests). By digest: the bytes must hash to it. By tag: a
    // Docker-Content-Digest header must match the bytes. At most 4 MiB.
    FetchedManifest get_manifest(std::string_view tag_or_digest,
                                 const std::vector<std::string>& accept = default_accept());

    // Streams the blob into sink, hashing as it goes; throws when more than
    // expected_size bytes arrive, when fewer did, or on a digest mismatch.
    // Redirects (CDNs) are followed without the registry's credentials.
    void get_blob(const Digest& digest, uint64_t expected_size, BlobSink& sink, const ProgressFn& progress = {});
    // A small blob (a config) into memory, verified; refuses more than max_bytes.
    std::string get_blob_bytes(const Digest& digest, uint64_t expected_size, size_t max_bytes = 4u << 20);

    // HEAD /v2/NAME/blobs/DIGEST
    bool blob_exists(const Digest& digest);

    // Push primitives (need ClientOptions::push): a monolithic blob upload
    // (POST then PUT ?digest=) from memory or from an fd, and a manifest PUT.
    void push_blob(const Digest& digest, std::string_view data);
    void push_blob(const Digest& digest, int fd, uint64_t size);
    Digest put_manifest(std::string_view tag_or_digest, std::string_view bytes, std::string_view media_type);

    // "https://host:port" once resolved (resolves it if needed).
    std::string base_url();
    // host[:port] actually contacted (registry-1.docker.io for docker.io).
    const std::string& host() const;

    static std::vector<std::string> default_accept();

    struct Impl;

private:
    friend void check_login(const std::string&, const Credentials&, ClientOptions);
    std::unique_ptr<Impl> impl_;
};

// For `skiff login`: pings host, then proves creds with the registry's
// scheme. Returns normally on success; throws RegistryError
// "authentication failed for HOST: ..." otherwise.
void check_login(const std::string& registry, const Credentials& creds, ClientOptions opts);

} // namespace skiff
