#include "registry/http.hpp"

#include <cctype>
#include <cerrno>
#include <exception>

#include "registry/curl_api.hpp"

#include "util/fd.hpp"

namespace skiff {

namespace {

constexpr size_t kMaxErrorBody = 64u << 10;

struct EasyDeleter {
    void operator()(CURL* c) const noexcept { curl_api().curl_easy_cleanup(c); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;

// Owns a curl_slist.
class HeaderList {
public:
    HeaderList() = default;
    HeaderList(const HeaderList&) = delete;
    HeaderList& operator=(const HeaderList&) = delete;
    ~HeaderList() { curl_api().curl_slist_free_all(list_); }
    void add(const std::string& h) {
        curl_slist* n = curl_api().curl_slist_append(list_, h.c_str());
        if (!n) throw Error("out of memory building HTTP headers");
        list_ = n;
    }
    curl_slist* get() const noexcept { return list_; }

private:
    curl_slist* list_ = nullptr;
};

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return std::string(s);
}

// The system CA bundle, so that extra CAs add to it instead of replacing it.
std::string system_ca_bundle(CURL* easy) {
    std::vector<std::string> candidates;
    char* def = nullptr;
    if (curl_api().curl_easy_getinfo(easy, CURLINFO_CAINFO, &def) == CURLE_OK && def) candidates.emplace_back(def);
    candidates.emplace_back("/etc/ssl/certs/ca-certificates.crt");
    candidates.emplace_back("/etc/pki/tls/certs/ca-bundle.crt");
    for (const auto& path : candidates) {
        try {
            return read_file(path, 16u << 20);
        } catch (const Error&) {
        }
    }
    return {};
}

// State shared with the curl callbacks of one transfer. Callbacks never let
// an exception through: they stash it, make curl abort, and perform()
// rethrows it.
struct Transfer {
    CURL* easy = nullptr;
    HttpResponse* resp = nullptr;
    const BodySink* sink = nullptr;
    const HttpRequest* req = nullptr;
    const TransportOptions* opts = nullptr;
    size_t max_body = 0;
    std::exception_ptr error;

    bool status_ok() const {
        long code = 0;
        curl_api().curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
        return code >= 200 && code < 300;
    }
};

size_t on_header(char* data, size_t size, size_t n, void* ud) {
    auto* t = static_cast<Transfer*>(ud);
    size_t len = size * n;
    try {
        std::string_view line(data, len);
        if (line.starts_with("HTTP/")) {
            t->resp->headers.clear(); // a new response (after 100 Continue, a proxy...)
            return len;
        }
        size_t colon = line.find(':');
        if (colon != std::string_view::npos)
            t->resp->headers.emplace_back(lower(trim(line.substr(0, colon))), trim(line.substr(colon + 1)));
        return len;
    } catch (...) {
        t->error = std::current_exception();
        return 0;
    }
}

size_t on_body(char* data, size_t size, size_t n, void* ud) {
    auto* t = static_cast<Transfer*>(ud);
    size_t len = size * n;
    try {
        if (t->status_ok()) {
            if (t->sink && *t->sink) {
                (*t->sink)(data, len);
                return len;
            }
            if (t->resp->body.size() + len > t->max_body)
                throw Error("the response is larger than the limit of " + std::to_string(t->max_body) + " bytes");
            t->resp->body.append(data, len);
        } else if (t->resp->body.size() < kMaxErrorBody) {
            t->resp->body.append(data, std::min(len, kMaxErrorBody - t->resp->body.size()));
        }
        return len;
    } catch (...) {
        t->error = std::current_exception();
        return 0; // CURLE_WRITE_ERROR
    }
}

size_t on_read(char* buf, size_t size, size_t n, void* ud) {
    auto* t = static_cast<Transfer*>(ud);
    try {
        return t->req->body_reader(buf, size * n);
    } catch (...) {
        t->error = std::current_exception();
        return CURL_READFUNC_ABORT;
    }
}

int on_progress(void* ud, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(ud);
    try {
        if (t->opts->cancelled && t->opts->cancelled()) throw Error("cancelled");
        return 0;
    } catch (...) {
        t->error = std::current_exception();
        return 1;
    }
}

template <typename T>
void setopt(CURL* easy, CURLoption opt, T value) {
    CURLcode rc = curl_api().curl_easy_setopt(easy, opt, value);
    if (rc != CURLE_OK) throw Error(std::string("configuring libcurl: ") + curl_api().curl_easy_strerror(rc));
}

} // namespace

struct HttpClient::Impl {
    EasyPtr easy;
    TransportOptions opts;
    std::string ca_pem_cached_for; // extra CAs the bundle below was built for
    std::string ca_bundle;         // system bundle + extra CAs
};

HttpClient::HttpClient(TransportOptions opts) : impl_(std::make_unique<Impl>()) {
    impl_->easy.reset(curl_api().curl_easy_init());
    if (!impl_->easy) throw Error("creating a libcurl handle failed");
    impl_->opts = std::move(opts);
}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

HttpResponse HttpClient::perform(const HttpRequest& req, const TlsSettings& tls, const BodySink& sink,
                                 size_t max_body) {
    CURL* easy = impl_->easy.get();
    curl_api().curl_easy_reset(easy); // keeps the connection and TLS session caches
    HttpResponse resp;
    resp.url = req.url;
    Transfer t{easy, &resp, &sink, &req, &impl_->opts, max_body, nullptr};
    char errbuf[CURL_ERROR_SIZE] = {};

    setopt(easy, CURLOPT_URL, req.url.c_str());
    setopt(easy, CURLOPT_NOSIGNAL, 1L);
    setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
    setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!impl_->opts.user_agent.empty()) setopt(easy, CURLOPT_USERAGENT, impl_->opts.user_agent.c_str());
    setopt(easy, CURLOPT_CONNECTTIMEOUT, impl_->opts.connect_timeout_seconds);
    if (impl_->opts.stall_timeout_seconds > 0) {
        setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
        setopt(easy, CURLOPT_LOW_SPEED_TIME, impl_->opts.stall_timeout_seconds);
    }
    setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    setopt(easy, CURLOPT_HEADERDATA, &t);
    setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    setopt(easy, CURLOPT_WRITEDATA, &t);
    setopt(easy, CURLOPT_NOPROGRESS, 0L);
    setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
    setopt(easy, CURLOPT_XFERINFODATA, &t);

    setopt(easy, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
    setopt(easy, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
    if (!tls.ca_pem.empty()) {
        if (impl_->ca_pem_cached_for != tls.ca_pem) {
            impl_->ca_bundle = system_ca_bundle(easy) + "\n" + tls.ca_pem;
            impl_->ca_pem_cached_for = tls.ca_pem;
        }
        curl_blob blob{impl_->ca_bundle.data(), impl_->ca_bundle.size(), CURL_BLOB_NOCOPY};
        setopt(easy, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (!tls.client_cert.empty()) {
        setopt(easy, CURLOPT_SSLCERT, tls.client_cert.c_str());
        setopt(easy, CURLOPT_SSLKEY, tls.client_key.c_str());
    }

    HeaderList headers;
    for (const auto& h : req.headers) headers.add(h);
    headers.add("Expect:"); // no 100-continue round trip on uploads

    if (req.method == "HEAD") {
        setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (req.method != "GET") {
        if (req.body_reader) {
            setopt(easy, CURLOPT_UPLOAD, 1L);
            setopt(easy, CURLOPT_READFUNCTION, on_read);
            setopt(easy, CURLOPT_READDATA, &t);
            if (req.body_size >= 0) setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body_size));
        } else {
            setopt(easy, CURLOPT_POST, 1L);
            setopt(easy, CURLOPT_POSTFIELDS, req.body.data());
            setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
            if (req.body.empty()) headers.add("Content-Type:"); // no form encoding for empty POSTs
        }
        setopt(easy, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    setopt(easy, CURLOPT_HTTPHEADER, headers.get());

    CURLcode rc = curl_api().curl_easy_perform(easy);
    if (t.error) std::rethrow_exception(t.error);
    if (rc != CURLE_OK) {
        long os_errno = 0;
        curl_api().curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
        std::string host = url_host(req.url);
        bool tls_handshake = rc == CURLE_SSL_CONNECT_ERROR;
        if (rc == CURLE_COULDNT_CONNECT && os_errno != 0)
            throw TransportError("cannot connect to " + host, static_cast<int>(os_errno), rc, false);
        std::string detail = errbuf[0] ? errbuf : curl_api().curl_easy_strerror(rc);
        if (rc == CURLE_COULDNT_RESOLVE_HOST) detail = "cannot resolve host name";
        if (rc == CURLE_PEER_FAILED_VERIFICATION)
            detail += " (to trust a private CA put it in certs.d/" + host +
                      "/ca.crt (~/.config/containers/certs.d or /etc/containers/certs.d), or use --tls-verify=false)";
        throw TransportError(req.method + " " + req.url + ": " + detail, 0, rc, tls_handshake);
    }
    curl_api().curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &resp.status);
    if (resp.status >= 300 && resp.status < 400) {
        char* loc = nullptr;
        if (curl_api().curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc) resp.redirect_url = loc;
    }
    return resp;
}

std::string HttpResponse::header(std::string_view name) const {
    std::string n = lower(name);
    for (const auto& [k, v] : headers)
        if (k == n) return v;
    return {};
}

std::vector<std::string> HttpResponse::all_headers(std::string_view name) const {
    std::string n = lower(name);
    std::vector<std::string> out;
    for (const auto& [k, v] : headers)
        if (k == n) out.push_back(v);
    return out;
}

std::string url_host(std::string_view url) {
    size_t start = url.find("://");
    start = start == std::string_view::npos ? 0 : start + 3;
    size_t end = url.find_first_of("/?#", start);
    std::string_view authority = url.substr(start, end == std::string_view::npos ? end : end - start);
    if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    return std::string(authority);
}

std::string url_escape(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 15];
        }
    }
    return out;
}

} // namespace skiff
