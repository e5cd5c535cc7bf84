// A small HTTP client over libcurl for the registry protocol. One HttpClient
// owns one CURL easy handle (and so its connection cache); it is NOT
// thread-safe: use one per thread (RegistryClient keeps a pool). Redirects are
// never followed here: the caller decides, so that credentials are not sent
// to another host.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace skiff {

struct TlsSettings {
    bool verify = true;
    std::string ca_pem;      // extra CA certificates (PEM), added to the system ones
    std::string client_cert; // PEM file path, with client_key
    std::string client_key;
};

struct TransportOptions {
    std::string user_agent;
    long connect_timeout_seconds = 30;
    // Abort when fewer than 1 byte/s arrive for this long (0: never).
    long stall_timeout_seconds = 60;
    std::function<bool()> cancelled; // polled during transfers; true aborts
};

struct HttpRequest {
    std::string method = "GET"; // GET, HEAD, PUT, POST, PATCH, DELETE
    std::string url;
    std::vector<std::string> headers; // "Name: value"
    std::string_view body;            // sent as is for PUT/POST/PATCH (must outlive perform)
    // Streaming upload instead of body: fills buf, returns bytes (0 at end).
    std::function<size_t(char* buf, size_t len)> body_reader;
    int64_t body_size = -1; // with body_reader
};

struct HttpResponse {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers; // names lowercased; last response only
    std::string body;         // the body when the request had no sink, or the status was not 2xx
    std::string redirect_url; // absolute Location of a 3xx, resolved by curl
    std::string url;          // the URL requested

    // The first header of that name (case-insensitive), or "".
    std::string header(std::string_view name) const;
    std::vector<std::string> all_headers(std::string_view name) const;
    bool ok() const { return status >= 200 && status < 300; }
    bool is_redirect() const { return status >= 300 && status < 400 && !redirect_url.empty(); }
};

// Where a 2xx response body goes. May throw: the transfer is aborted and the
// exception rethrown from perform().
using BodySink = std::function<void(const char* data, size_t len)>;

// A failure below HTTP: DNS, connect, TLS, timeouts, aborts.
class TransportError : public Error {
public:
    TransportError(std::string message, int err, int curl_code, bool tls_handshake)
        : Error(std::move(message), err), curl_code_(curl_code), tls_handshake_(tls_handshake) {}
    int curl_code() const noexcept { return curl_code_; }
    // The TLS handshake failed (typically: the server speaks plain HTTP).
    bool tls_handshake_failed() const noexcept { return tls_handshake_; }

private:
    int curl_code_;
    bool tls_handshake_;
};

class HttpClient {
public:
    explicit HttpClient(TransportOptions opts);
    ~HttpClient();
    HttpClient(HttpClient&&) noexcept;
    HttpClient& operator=(HttpClient&&) noexcept;
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Performs one request. 2xx bodies go to sink when given (else into
    // response.body, refusing more than max_body bytes); other bodies are
    // kept in response.body (at most 64 KiB) for error messages.
    // Throws TransportError for failures below HTTP, or what sink threw.
    HttpResponse perform(const HttpRequest& req, const TlsSettings& tls, const BodySink& sink = {},
                         size_t max_body = 4u << 20);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// "https://host:5000/v2/x" -> "host:5000" (as written; lowercase not forced).
std::string url_host(std::string_view url);
// Percent-encodes a query value.
std::string url_escape(std::string_view s);

} // namespace skiff
