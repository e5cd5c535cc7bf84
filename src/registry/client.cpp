#include "registry/client.hpp"

#include <cerrno>
#include <mutex>
#include <unistd.h>

#include "image/manifest.hpp"
#include "registry/authorizer.hpp"
#include "registry/endpoint.hpp"
#include "registry/http.hpp"
#include "skiff_build_config.hpp"
#include "util/log.hpp"

namespace skiff {

namespace {

constexpr int kMaxRedirects = 5;

std::string scheme_and_host(std::string_view url) {
    size_t p = url.find("://");
    return p == std::string_view::npos ? std::string() : std::string(url.substr(0, p)) + "://" + url_host(url);
}

bool is_digest(std::string_view s) { return s.find(':') != std::string_view::npos; }

// Like with_context, but errors that already say everything (what the
// registry answered, a failed connection naming the host) pass unchanged:
// the caller adds "pull REF" / "layer DIGEST" and that reads best.
template <typename F>
auto annotate(const std::string& ctx, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const RegistryError&) {
        throw;
    } catch (const TransportError&) {
        throw;
    } catch (Error& e) {
        e.context(ctx);
        throw;
    }
}

} // namespace

struct RegistryClient::Impl {
    Reference ref;
    ClientOptions opts;
    std::string host;       // host[:port] contacted
    std::string display;    // the registry as the user named it, for messages
    std::string cred_key;   // what the auth files are searched for
    TransportOptions transport;

    std::mutex resolve_mu;
    bool resolved = false;
    std::string base;       // "https://host"
    EndpointPlan plan;
    std::optional<Authorizer> auth;

    std::mutex pool_mu;
    std::vector<std::unique_ptr<HttpClient>> pool;

    // A libcurl handle for one request, returned to the pool afterwards.
    class Lease {
    public:
        explicit Lease(Impl& impl) : impl_(impl) {
            std::lock_guard lock(impl_.pool_mu);
            if (!impl_.pool.empty()) {
                client_ = std::move(impl_.pool.back());
                impl_.pool.pop_back();
            }
        }
        ~Lease() {
            if (!client_) return;
            std::lock_guard lock(impl_.pool_mu);
            impl_.pool.push_back(std::move(client_));
        }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        HttpClient& get() {
            if (!client_) client_ = std::make_unique<HttpClient>(impl_.transport);
            return *client_;
        }

    private:
        Impl& impl_;
        std::unique_ptr<HttpClient> client_;
    };

    Impl(const Reference& r, ClientOptions o) : ref(r), opts(std::move(o)) {
        host = opts.endpoint.empty() ? api_host(ref.registry) : opts.endpoint;
        display = opts.endpoint.empty() ? ref.registry : opts.endpoint;
        cred_key = (opts.endpoint.empty() ? ref.registry : opts.endpoint) +
                   (ref.repository.empty() ? "" : "/" + ref.repository);
        transport.user_agent = opts.user_agent.empty() ? std::string("skiff/") + SKIFF_VERSION : opts.user_agent;
        transport.connect_timeout_seconds = opts.connect_timeout_seconds;
        transport.cancelled = opts.cancelled;
        if (opts.certs_dirs.empty()) opts.certs_dirs = default_certs_dirs();
    }

    std::string scope() const { return repository_scope(ref.repository, opts.push); }
    std::string repo_url(const std::string& tail) {
        resolve();
        return base + "/v2/" + ref.repository + "/" + tail;
    }

    // TLS for a URL: the registry's own settings for its host, otherwise
    // verified TLS with that host's certs.d (token realms, CDNs).
    TlsSettings tls_for(std::string_view url) {
        if (url_host(url) == host) return plan.tls;
        std::string h = url_host(url);
        EndpointPlan p = plan_endpoint(h, opts.tls_verify == false ? std::optional<bool>(false) : std::nullopt,
                                       opts.config, opts.certs_dirs);
        return p.tls;
    }

    HttpResponse raw(const HttpRequest& req, const BodySink& sink = {}, size_t max_body = 4u << 20) {
        Lease lease(*this);
        return lease.get().perform(req, tls_for(req.url), sink, max_body);
    }

    HttpResponse ping(const std::string& scheme) {
        HttpRequest req;
        req.url = scheme + "://" + host + "/v2/";
        return raw(req);
    }

    void resolve() {
        std::lock_guard lock(resolve_mu);
        if (resolved) return;
        annotate("contacting registry " + display, [&] {
            plan = plan_endpoint(host, opts.tls_verify, opts.config, opts.certs_dirs);
            std::optional<Credentials> creds = opts.credentials;
            if (!creds) creds = lookup_credentials(cred_key, opts.authfile);
            HttpResponse resp;
            std::string scheme = "https";
            try {
                resp = ping(scheme);
            } catch (const TransportError& e) {
                if (!plan.http_fallback || !e.tls_handshake_failed()) throw;
                log::debug("{}: TLS handshake failed ({}); trying plain http", host, e.what());
                scheme = "http";
                resp = ping(scheme);
            }
            if (resp.status != 200 && resp.status != 401)
                throw Error("not a registry: GET /v2/ answered HTTP " + std::to_string(resp.status));
            base = scheme + "://" + host;
            auth.emplace(display, std::move(creds));
            if (resp.status == 401) auth->set_challenges(challenges_of(resp));
            log::debug("registry {}: {}, auth '{}'", host, base, auth->scheme());
            resolved = true;
        });
    }

    static std::vector<AuthChallenge> challenges_of(const HttpResponse& resp) {
        std::vector<AuthChallenge> out;
        for (const auto& h : resp.all_headers("www-authenticate")) {
            auto cs = parse_www_authenticate(h);
            out.insert(out.end(), cs.begin(), cs.end());
        }
        return out;
    }

    Authorizer::Fetch token_fetcher() {
        return [this](const HttpRequest& r) { return raw(r); };
    }

    ErrorContext error_context(std::string what) const {
        return ErrorContext{display, std::move(what), ref.name(), auth && auth->has_credentials()};
    }

    // One authenticated request: retries once after a 401 with a fresh
    // challenge/token; follows redirects, keeping the Authorization header
    // only for the registry's own scheme and host.
    HttpResponse send(HttpRequest req, const BodySink& sink = {}, size_t max_body = 4u << 20) {
        resolve();
        std::vector<std::string> base_headers = req.headers;
        HttpResponse resp;
        for (int attempt = 0;; ++attempt) {
            req.headers = base_headers;
            std::string a = auth->header_for(scope(), token_fetcher());
            if (!a.empty()) req.headers.push_back(a);
            resp = raw(req, sink, max_body);
            if (resp.status != 401 || attempt > 0) break;
            auto chs = challenges_of(resp);
            if (chs.empty()) break;
            log::debug("{} {}: 401, retrying with a new challenge", req.method, req.url);
            auth->set_challenges(chs);
        }
        std::string origin = scheme_and_host(req.url);
        for (int hops = 0; resp.is_redirect(); ++hops) {
            if (hops == kMaxRedirects) throw Error("too many redirects from " + req.url);
            HttpRequest next;
            next.method = req.method == "HEAD" ? "HEAD" : "GET";
            next.url = resp.redirect_url;
            for (const auto& h : base_headers) next.headers.push_back(h);
            if (scheme_and_host(next.url) == origin) {
                std::string a = auth->header_for(scope(), token_fetcher());
                if (!a.empty()) next.headers.push_back(a);
            }
            log::debug("redirected to {}", next.url.substr(0, next.url.find('?')));
            resp = raw(next, sink, max_body);
        }
        return resp;
    }

    std::string resolve_location(const std::string& loc) const {
        if (loc.starts_with("http://") || loc.starts_with("https://")) return loc;
        if (loc.starts_with("/")) return base + loc;
        return base + "/" + loc;
    }

    std::string start_upload() {
        HttpRequest req;
        req.method = "POST";
        req.url = repo_url("blobs/uploads/");
        HttpResponse resp = send(req);
        if (resp.status != 202) throw registry_error(resp, error_context("blob upload"));
        std::string loc = resp.header("location");
        if (loc.empty()) throw Error("the registry started an upload without a Location");
        return resolve_location(loc);
    }

    void finish_upload(const std::string& location, const Digest& digest, HttpRequest req) {
        req.method = "PUT";
        req.url = location + (location.find('?') == std::string::npos ? "?" : "&") +
                  "digest=" + url_escape(digest.str());
        req.headers.push_back("Content-Type: application/octet-stream");
        HttpResponse resp = send(req);
        if (resp.status != 201) throw registry_error(resp, error_context("blob " + digest.str()));
    }
};

RegistryClient::RegistryClient(const Reference& ref, ClientOptions opts)
    : impl_(std::make_unique<Impl>(ref, std::move(opts))) {}
RegistryClient::~RegistryClient() = default;

std::vector<std::string> RegistryClient::default_accept() { return default_manifest_accept(); }

const std::string& RegistryClient::host() const { return impl_->host; }

std::string RegistryClient::base_url() {
    impl_->resolve();
    return impl_->base;
}

FetchedManifest RegistryClient::get_manifest(std::string_view ref, const std::vector<std::string>& accept) {
    return annotate("reading manifest " + std::string(ref), [&] {
        std::optional<Digest> wanted;
        if (is_digest(ref)) wanted = Digest::parse(ref);
        HttpRequest req;
        req.url = impl_->repo_url("manifests/" + std::string(ref));
        std::string acc;
        for (const auto& a : accept) acc += (acc.empty() ? "" : ", ") + a;
        if (!acc.empty()) req.headers.push_back("Accept: " + acc);
        HttpResponse resp = impl_->send(req, {}, kMaxManifestBytes);
        if (!resp.ok()) throw registry_error(resp, impl_->error_context("manifest " + std::string(ref)));

        FetchedManifest m;
        m.bytes = std::move(resp.body);
        if (wanted) {
            Hasher h = Hasher::for_digest(*wanted);
            h.update(m.bytes);
            Digest got = h.finish();
            if (got != *wanted) throw Error("digest mismatch: the registry sent content with digest " + got.str());
            m.digest = *wanted;
        } else {
            m.digest = Digest::sha256_of(m.bytes);
            std::string header = resp.header("docker-content-digest");
            auto claimed = Digest::try_parse(header);
            if (claimed && claimed->algorithm() == "sha256" && *claimed != m.digest)
                throw Error("digest mismatch: the registry claims " + claimed->str() + " but the content is " +
                            m.digest.str());
        }
        m.media_type = detect_manifest_media_type(m.bytes, resp.header("content-type"));
        return m;
    });
}

void RegistryClient::get_blob(const Digest& digest, uint64_t expected_size, BlobSink& sink,
                              const ProgressFn& progress) {
    annotate("fetching blob " + digest.str(), [&] {
        Hasher hasher = Hasher::for_digest(digest);
        uint64_t done = 0;
        BodySink body = [&](const char* data, size_t len) {
            if (expected_size != kUnknownSize && done + len > expected_size)
                throw Error("the registry sent more than the expected " + std::to_string(expected_size) + " bytes");
            hasher.update(data, len);
            sink.write(data, len);
            done += len;
            if (progress) progress(done, expected_size);
        };
        HttpRequest req;
        req.url = impl_->repo_url("blobs/" + digest.str());
        HttpResponse resp = impl_->send(req, body);
        if (!resp.ok()) throw registry_error(resp, impl_->error_context("blob " + digest.str()));
        if (expected_size != kUnknownSize && done != expected_size)
            throw Error("short read: got " + std::to_string(done) + " of " + std::to_string(expected_size) + " bytes");
        Digest got = hasher.finish();
        if (got != digest) throw Error("digest mismatch: the content has digest " + got.str());
    });
}

std::string RegistryClient::get_blob_bytes(const Digest& digest, uint64_t expected_size, size_t max_bytes) {
    if (expected_size != kUnknownSize && expected_size > max_bytes)
        throw Error("blob " + digest.str() + " is " + std::to_string(expected_size) + " bytes, more than the limit of " +
                    std::to_string(max_bytes));
    struct StringSink : BlobSink {
        std::string data;
        size_t max;
        explicit StringSink(size_t m) : max(m) {}
        void write(const char* p, size_t len) override {
            if (data.size() + len > max) throw Error("more than the limit of " + std::to_string(max) + " bytes");
            data.append(p, len);
        }
    } sink(max_bytes);
    get_blob(digest, expected_size, sink);
    return std::move(sink.data);
}

bool RegistryClient::blob_exists(const Digest& digest) {
    return annotate("checking blob " + digest.str(), [&] {
        HttpRequest req;
        req.method = "HEAD";
        req.url = impl_->repo_url("blobs/" + digest.str());
        HttpResponse resp = impl_->send(req);
        if (resp.ok()) return true;
        if (resp.status == 404) return false;
        throw registry_error(resp, impl_->error_context("blob " + digest.str()));
    });
}

void RegistryClient::push_blob(const Digest& digest, std::string_view data) {
    with_context("pushing blob " + digest.str(), [&] {
        std::string loc = impl_->start_upload();
        HttpRequest req;
        req.body = data;
        impl_->finish_upload(loc, digest, std::move(req));
    });
}

void RegistryClient::push_blob(const Digest& digest, int fd, uint64_t size) {
    with_context("pushing blob " + digest.str(), [&] {
        std::string loc = impl_->start_upload();
        HttpRequest req;
        req.body_size = static_cast<int64_t>(size);
        req.body_reader = [fd](char* buf, size_t len) -> size_t {
            for (;;) {
                ssize_t n = ::read(fd, buf, len);
                if (n >= 0) return static_cast<size_t>(n);
                if (errno != EINTR) throw_errno("reading the blob to upload");
            }
        };
        impl_->finish_upload(loc, digest, std::move(req));
    });
}

Digest RegistryClient::put_manifest(std::string_view ref, std::string_view bytes, std::string_view media_type) {
    return with_context("pushing manifest " + std::string(ref), [&] {
        HttpRequest req;
        req.method = "PUT";
        req.url = impl_->repo_url("manifests/" + std::string(ref));
        req.headers.push_back("Content-Type: " + std::string(media_type));
        req.body = bytes;
        HttpResponse resp = impl_->send(req);
        if (resp.status != 201 && !resp.ok())
            throw registry_error(resp, impl_->error_context("manifest " + std::string(ref)));
        return Digest::sha256_of(bytes);
    });
}

void check_login(const std::string& registry, const Credentials& creds, ClientOptions opts) {
    Reference ref;
    ref.registry = registry;
    opts.credentials = creds;
    RegistryClient client(ref, std::move(opts));
    RegistryClient::Impl& impl = *client.impl_;
    annotate("logging in to " + registry, [&] {
        impl.resolve();
        std::string scheme = impl.auth->scheme();
        if (scheme == "bearer") {
            impl.auth->verify_credentials(impl.token_fetcher());
        } else if (scheme == "basic") {
            HttpRequest req;
            req.url = impl.base + "/v2/";
            req.headers.push_back(impl.auth->header_for("", impl.token_fetcher()));
            HttpResponse resp = impl.raw(req);
            if (!resp.ok()) throw registry_error(resp, impl.error_context("/v2/"));
        }
        // No challenge: the registry does not ask for credentials at all.
    });
}

} // namespace skiff
