#include "registry/registry_error.hpp"

#include <cctype>

#include <nlohmann/json.hpp>

namespace skiff {

using nlohmann::json;

namespace {

// "MANIFEST_UNKNOWN" -> "manifest unknown"
std::string humanize(std::string_view code) {
    std::string out;
    for (char c : code) out += c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

RegistryErrorKind kind_of(const std::string& code) {
    if (code == "MANIFEST_UNKNOWN" || code == "BLOB_UNKNOWN" || code == "NAME_UNKNOWN") return RegistryErrorKind::not_found;
    if (code == "UNAUTHORIZED") return RegistryErrorKind::unauthorized;
    if (code == "DENIED") return RegistryErrorKind::denied;
    if (code == "TOOMANYREQUESTS") return RegistryErrorKind::rate_limited;
    return RegistryErrorKind::other;
}

} // namespace

std::vector<RegistryErrorEntry> parse_registry_errors(std::string_view body) {
    std::vector<RegistryErrorEntry> out;
    json j = json::parse(body.begin(), body.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return out;
    auto it = j.find("errors");
    if (it == j.end() || !it->is_array()) return out;
    for (const auto& e : *it) {
        if (!e.is_object()) continue;
        RegistryErrorEntry entry;
        if (auto c = e.find("code"); c != e.end() && c->is_string()) entry.code = c->get<std::string>();
        if (auto m = e.find("message"); m != e.end() && m->is_string()) entry.message = m->get<std::string>();
        if (!entry.code.empty() || !entry.message.empty()) out.push_back(std::move(entry));
    }
    return out;
}

RegistryError registry_error(const HttpResponse& resp, const ErrorContext& ctx) {
    auto entries = parse_registry_errors(resp.body);
    std::string msg;
    RegistryErrorKind kind = RegistryErrorKind::other;
    for (const auto& e : entries) {
        if (!msg.empty()) msg += "; ";
        msg += e.message.empty() ? humanize(e.code) : e.message;
        if (kind == RegistryErrorKind::other) kind = kind_of(e.code);
    }
    long st = resp.status;
    if (st == 401) {
        if (ctx.had_credentials)
            return RegistryError("authentication failed for " + ctx.host + ": " + (msg.empty() ? "unauthorized" : msg),
                                 RegistryErrorKind::unauthorized, st);
        return RegistryError("access to " + (ctx.repository.empty() ? ctx.host : ctx.repository) + " denied: " +
                                 (msg.empty() ? "authentication required" : msg) +
                                 " (the repository may not exist, or may need 'skiff login " + ctx.host + "')",
                             RegistryErrorKind::denied, st);
    }
    if (st == 403)
        return RegistryError("access to " + (ctx.repository.empty() ? ctx.host : ctx.repository) + " denied: " +
                                 (msg.empty() ? "forbidden" : msg),
                             RegistryErrorKind::denied, st);
    if (st == 404) {
        if (msg.empty()) msg = (ctx.what.empty() ? std::string("resource") : ctx.what) + " not found";
        return RegistryError(msg, RegistryErrorKind::not_found, st);
    }
    if (st == 429)
        return RegistryError("too many requests to " + ctx.host + (msg.empty() ? "" : ": " + msg),
                             RegistryErrorKind::rate_limited, st);
    std::string text = ctx.host + " answered HTTP " + std::to_string(st);
    if (!ctx.what.empty()) text += " for " + ctx.what;
    if (!msg.empty()) text += ": " + msg;
    return RegistryError(text, kind, st);
}

} // namespace skiff
