// WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x:pull"
//   Basic realm="Registry Realm"
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace skiff {

struct AuthChallenge {
    std::string scheme;                        // lowercase: "bearer", "basic"
    std::map<std::string, std::string> params; // keys lowercase: realm, service, scope, error

    std::string param(const std::string& key) const {
        auto it = params.find(key);
        return it == params.end() ? std::string() : it->second;
    }
};

// All challenges in one header value (a header may carry several, separated
// by commas). Malformed parts are skipped; never throws.
std::vector<AuthChallenge> parse_www_authenticate(std::string_view header);

} // namespace skiff
