#include "registry/authorizer.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "registry/base64.hpp"
#include "registry/registry_error.hpp"
#include "util/log.hpp"

namespace skiff {

using nlohmann::json;

namespace {

constexpr int kMinTokenLifetime = 60;
constexpr auto kExpiryMargin = std::chrono::seconds(5);

std::string basic_header(const Credentials& c) {
    return "Authorization: Basic " + base64_encode(c.username + ":" + c.password);
}

} // namespace

BearerToken parse_token_response(std::string_view body) {
    json j = json::parse(body.begin(), body.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw Error("the token endpoint did not answer with JSON");
    BearerToken t;
    for (const char* key : {"token", "access_token"}) {
        auto it = j.find(key);
        if (it != j.end() && it->is_string() && !it->get<std::string>().empty()) {
            t.token = it->get<std::string>();
            break;
        }
    }
    if (t.token.empty()) throw Error("the token endpoint answered without a token");
    if (auto it = j.find("expires_in"); it != j.end() && it->is_number_integer())
        t.expires_in = std::max(it->get<int>(), kMinTokenLifetime);
    return t;
}

std::string repository_scope(const std::string& repository, bool push) {
    return "repository:" + repository + (push ? ":pull,push" : ":pull");
}

Authorizer::Authorizer(std::string host, std::optional<Credentials> creds)
    : host_(std::move(host)), creds_(std::move(creds)) {}

void Authorizer::set_challenges(const std::vector<AuthChallenge>& challenges) {
    std::lock_guard lock(mu_);
    challenge_.reset();
    for (const auto& c : challenges) {
        if (c.scheme == "bearer" && !c.param("realm").empty()) {
            challenge_ = c;
            break;
        }
        if (c.scheme == "basic" && !challenge_) challenge_ = c;
    }
    tokens_.clear();
}

std::string Authorizer::scheme() const {
    std::lock_guard lock(mu_);
    return challenge_ ? challenge_->scheme : std::string();
}

void Authorizer::invalidate(const std::string& scope) {
    std::lock_guard lock(mu_);
    tokens_.erase(scope);
}

std::string Authorizer::header_for(const std::string& scope, const Fetch& fetch) {
    std::lock_guard lock(mu_);
    if (!challenge_) return {};
    if (challenge_->scheme == "basic") return creds_ ? basic_header(*creds_) : std::string();
    auto now = std::chrono::steady_clock::now();
    if (auto it = tokens_.find(scope); it != tokens_.end() && it->second.expires > now)
        return "Authorization: Bearer " + it->second.token;
    BearerToken t = fetch_token(scope, fetch);
    tokens_[scope] = Cached{t.token, now + std::chrono::seconds(t.expires_in) - kExpiryMargin};
    return "Authorization: Bearer " + t.token;
}

void Authorizer::verify_credentials(const Fetch& fetch) {
    std::lock_guard lock(mu_);
    if (!challenge_ || challenge_->scheme != "bearer") return;
    fetch_token("", fetch);
}

// Called with mu_ held.
BearerToken Authorizer::fetch_token(const std::string& scope, const Fetch& fetch) {
    const AuthChallenge& ch = *challenge_;
    std::string url = ch.param("realm");
    char sep = url.find('?') == std::string::npos ? '?' : '&';
    auto add = [&](const char* key, const std::string& value) {
        url += sep;
        url += key;
        url += '=';
        url += url_escape(value);
        sep = '&';
    };
    if (!ch.param("service").empty()) add("service", ch.param("service"));
    if (!scope.empty()) add("scope", scope);
    if (creds_) add("account", creds_->username);

    HttpRequest req;
    req.url = url;
    if (creds_) req.headers.push_back(basic_header(*creds_));
    log::debug("requesting a token from {} for scope '{}'{}", ch.param("realm"), scope,
               creds_ ? " with credentials" : " anonymously");
    HttpResponse resp = with_context("requesting a token from " + url_host(url), [&] { return fetch(req); });
    if (!resp.ok()) {
        ErrorContext ctx{host_, "token", "", creds_.has_value()};
        throw registry_error(resp, ctx);
    }
    return with_context("token from " + url_host(url), [&] { return parse_token_response(resp.body); });
}

} // namespace skiff
