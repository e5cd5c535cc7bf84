// The Authorization header for registry requests. Learns the scheme from the
// registry's challenges (Bearer preferred over Basic), fetches bearer tokens
// (GET realm?service=S&scope=repository:NAME:pull, with Basic credentials
// when we have them, anonymously otherwise; "token" or "access_token"),
// caches them per scope for expires_in (default and minimum 60 s).
// Thread-safe: concurrent callers share one token fetch per scope.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "registry/auth_file.hpp"
#include "registry/http.hpp"
#include "registry/www_authenticate.hpp"

namespace skiff {

struct BearerToken {
    std::string token;
    int expires_in = 60;
};
// Parses a token endpoint's JSON answer; throws Error when it has no token.
BearerToken parse_token_response(std::string_view body);

// "repository:library/busybox:pull" / ":pull,push"
std::string repository_scope(const std::string& repository, bool push);

class Authorizer {
public:
    // Performs a request (to the token realm) and returns its response.
    using Fetch = std::function<HttpResponse(const HttpRequest&)>;

    Authorizer(std::string host, std::optional<Credentials> creds);

    // Replaces the known challenges (from a 401 response). Drops cached tokens.
    void set_challenges(const std::vector<AuthChallenge>& challenges);
    // "Authorization: ..." for a request needing scope, or "" (no auth).
    // Throws RegistryError when the token endpoint refuses.
    std::string header_for(const std::string& scope, const Fetch& fetch);
    void invalidate(const std::string& scope);

    bool has_credentials() const { return creds_.has_value(); }
    // Used by login: proves that the credentials work (bearer: a token with
    // no scope; basic: nothing to do here, the caller retries /v2/).
    // Throws RegistryError "authentication failed for HOST: ...".
    void verify_credentials(const Fetch& fetch);
    // "bearer", "basic" or "" (the registry asked for nothing).
    std::string scheme() const;

private:
    BearerToken fetch_token(const std::string& scope, const Fetch& fetch);

    std::string host_;
    std::optional<Credentials> creds_;
    mutable std::mutex mu_;
    std::optional<AuthChallenge> challenge_;
    struct Cached {
        std::string token;
        std::chrono::steady_clock::time_point expires;
    };
    std::map<std::string, Cached> tokens_;
};

} // namespace skiff
