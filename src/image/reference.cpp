#include "image/reference.hpp"

#include <algorithm>

#include "image/digest.hpp"
#include "util/error.hpp"

namespace skiff {

namespace {

constexpr size_t kNameMaxLength = 255;
constexpr std::string_view kLibraryPrefix = "library/";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

[[noreturn]] void invalid(std::string_view input, const std::string& why) {
    throw Error("invalid reference '" + std::string(input) + "': " + why);
}

// [a-z0-9]+ ( ( [._] | __ | -+ ) [a-z0-9]+ )*
bool valid_path_component(std::string_view c) {
    size_t i = 0;
    auto alnum_run = [&] {
        size_t start = i;
        while (i < c.size() && is_lower_alnum(c[i])) ++i;
        return i > start;
    };
    if (!alnum_run()) return false;
    while (i < c.size()) {
        size_t start = i;
        while (i < c.size() && !is_lower_alnum(c[i])) ++i;
        std::string_view sep = c.substr(start, i - start);
        bool ok = sep == "." || sep == "_" || sep == "__" ||
                  (!sep.empty() && std::all_of(sep.begin(), sep.end(), [](char x) { return x == '-'; }));
        if (!ok || !alnum_run()) return false;
    }
    return true;
}

// [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view c) {
    if (c.empty() || !is_alnum(c.front()) || !is_alnum(c.back())) return false;
    return std::all_of(c.begin(), c.end(), [](char x) { return is_alnum(x) || x == '-'; });
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char x) { return x >= '0' && x <= '9'; });
}

bool looks_like_image_id(std::string_view s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char x) {
               return (x >= '0' && x <= '9') || (x >= 'a' && x <= 'f');
           });
}

// The position of the tag separator in a name[:tag] string, or npos.
size_t tag_colon(std::string_view name_and_tag) {
    size_t colon = name_and_tag.rfind(':');
    size_t slash = name_and_tag.rfind('/');
    if (colon == std::string_view::npos) return colon;
    if (slash != std::string_view::npos && colon < slash) return std::string_view::npos;
    return colon;
}

// Strips ":tag" and "@digest" from input: the name as typed.
std::string_view name_part(std::string_view input) {
    std::string_view n = input.substr(0, input.find('@'));
    size_t c = tag_colon(n);
    return c == std::string_view::npos ? n : n.substr(0, c);
}

bool first_component_is_registry(std::string_view name) {
    size_t slash = name.find('/');
    if (slash == std::string_view::npos) return false;
    std::string_view first = name.substr(0, slash);
    return first.find_first_of(".:") != std::string_view::npos || first == "localhost";
}

} // namespace

bool is_valid_tag(std::string_view tag) {
    if (tag.empty() || tag.size() > 128 || !is_word(tag.front())) return false;
    return std::all_of(tag.begin(), tag.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

bool is_valid_registry_host(std::string_view host) {
    std::string_view h = host;
    std::string_view port;
    if (!h.empty() && h.front() == '[') { // [ipv6]:port
        size_t close = h.find(']');
        if (close == std::string_view::npos || close < 2) return false;
        std::string_view addr = h.substr(1, close - 1);
        if (!std::all_of(addr.begin(), addr.end(), [](char c) { return is_hex(c) || c == ':'; })) return false;
        std::string_view rest = h.substr(close + 1);
        if (rest.empty()) return true;
        return rest.front() == ':' && all_digits(rest.substr(1));
    }
    size_t colon = h.find(':');
    if (colon != std::string_view::npos) {
        port = h.substr(colon + 1);
        h = h.substr(0, colon);
        if (!all_digits(port)) return false;
    }
    if (h.empty()) return false;
    size_t start = 0;
    for (;;) {
        size_t dot = h.find('.', start);
        if (!valid_domain_component(h.substr(start, dot == std::string_view::npos ? dot : dot - start)))
            return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

Reference Reference::parse(std::string_view input, std::string_view default_registry) {
    if (input.empty()) invalid(input, "the reference is empty");
    if (looks_like_image_id(input))
        invalid(input, "cannot specify 64-byte hexadecimal strings (that is an image ID, not a name)");

    Reference r;
    std::string_view rest = input;
    if (size_t at = rest.find('@'); at != std::string_view::npos) {
        std::string_view d = rest.substr(at + 1);
        std::string why;
        auto parsed = Digest::try_parse(d, &why);
        if (!parsed) invalid(input, "invalid digest '" + std::string(d) + "': " + why);
        r.digest = parsed->str();
        rest = rest.substr(0, at);
    }
    if (size_t c = tag_colon(rest); c != std::string_view::npos) {
        std::string_view t = rest.substr(c + 1);
        if (!is_valid_tag(t))
            invalid(input, "invalid tag '" + std::string(t) +
                               "' (a tag is 1-128 of [A-Za-z0-9_.-] and must not start with '.' or '-')");
        r.tag = std::string(t);
        rest = rest.substr(0, c);
    }
    if (rest.empty()) invalid(input, "the repository name is empty");

    std::string_view repo = rest;
    if (first_component_is_registry(rest)) {
        size_t slash = rest.find('/');
        r.registry = std::string(rest.substr(0, slash));
        repo = rest.substr(slash + 1);
        if (!is_valid_registry_host(r.registry)) invalid(input, "invalid registry host '" + r.registry + "'");
    } else {
        r.registry = std::string(default_registry);
    }
    if (r.registry == "index.docker.io") r.registry = std::string(kDockerHub);

    if (std::any_of(repo.begin(), repo.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
        invalid(input, "repository name must be lowercase");
    if (repo.empty()) invalid(input, "the repository name is empty");
    size_t start = 0;
    for (;;) {
        size_t slash = repo.find('/', start);
        std::string_view comp = repo.substr(start, slash == std::string_view::npos ? slash : slash - start);
        if (comp.empty()) invalid(input, "empty path component in the repository name");
        if (!valid_path_component(comp))
            invalid(input, "invalid repository name component '" + std::string(comp) +
                               "' (allowed: lowercase letters, digits, and '.', '_', '__' or '-' between them)");
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    r.repository = std::string(repo);
    if (r.registry == kDockerHub && r.repository.find('/') == std::string::npos)
        r.repository = std::string(kLibraryPrefix) + r.repository;
    if (r.name().size() > kNameMaxLength)
        invalid(input, "repository name must not be more than " + std::to_string(kNameMaxLength) + " characters");
    if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
    return r;
}

std::string Reference::name() const { return registry + "/" + repository; }

std::string Reference::str() const {
    std::string s = name();
    if (!tag.empty()) s += ":" + tag;
    if (!digest.empty()) s += "@" + digest;
    return s;
}

std::string Reference::familiar_name() const {
    if (registry != kDockerHub) return name();
    std::string_view repo = repository;
    if (repo.starts_with(kLibraryPrefix) && repo.find('/', kLibraryPrefix.size()) == std::string_view::npos)
        repo.remove_prefix(kLibraryPrefix.size());
    return std::string(repo);
}

std::string Reference::familiar() const {
    std::string s = familiar_name();
    if (!tag.empty()) s += ":" + tag;
    if (!digest.empty()) s += "@" + digest;
    return s;
}

bool is_fully_qualified(std::string_view input) { return first_component_is_registry(name_part(input)); }

std::optional<Reference> resolve_alias(std::string_view input, const RegistryConfig& cfg) {
    if (is_fully_qualified(input)) return std::nullopt;
    std::string_view name = name_part(input);
    auto it = cfg.aliases.find(std::string(name));
    if (it == cfg.aliases.end()) return std::nullopt;
    if (!is_fully_qualified(it->second))
        throw Error("alias '" + it->first + "' -> '" + it->second +
                    "': the target must be a fully qualified reference (registry/repository)");
    Reference input_ref = Reference::parse(input); // validates tag and digest
    Reference r = with_context("alias '" + it->first + "'", [&] { return Reference::parse(it->second); });
    bool input_pins = input.find('@') != std::string_view::npos || tag_colon(input.substr(0, input.find('@'))) !=
                                                                          std::string_view::npos;
    if (input_pins) {
        r.tag = input_ref.tag;
        r.digest = input_ref.digest;
    }
    return r;
}

std::vector<Reference> resolve_candidates(std::string_view input, const RegistryConfig& cfg) {
    if (is_fully_qualified(input)) return {Reference::parse(input)};
    if (auto a = resolve_alias(input, cfg)) return {*a};
    if (cfg.unqualified_search.empty()) {
        Reference::parse(input); // an invalid name is reported as such first
        throw Error("short name '" + std::string(input) +
                    "' cannot be resolved: no unqualified-search registries are configured");
    }
    std::vector<Reference> out;
    for (const auto& reg : cfg.unqualified_search) out.push_back(Reference::parse(input, reg));
    return out;
}

} // namespace skiff
