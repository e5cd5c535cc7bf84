#include "config/config.hpp"

#include <functional>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff {

namespace {

// Errors that point at file:line and the dotted key path.
class Checker {
public:
    explicit Checker(std::string source) : source_(std::move(source)) {}

    [[noreturn]] void fail(const YAML::Node& n, const std::string& key, const std::string& why) const {
        auto m = n.Mark();
        std::string where = m.is_null() ? source_ : fmt::format("{}:{}", source_, m.line + 1);
        throw Error(fmt::format("{}: key '{}': {}", where, key, why));
    }

    std::string scalar(const YAML::Node& n, const std::string& key) const {
        if (!n.IsScalar()) fail(n, key, "expected a string");
        return n.as<std::string>();
    }

    std::string one_of(const YAML::Node& n, const std::string& key, const std::set<std::string>& allowed) const {
        std::string v = scalar(n, key);
        if (allowed.count(v) == 0) {
            std::string list;
            for (auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
            fail(n, key, fmt::format("'{}' is not one of: {}", v, list));
        }
        return v;
    }

    std::vector<std::string> string_list(const YAML::Node& n, const std::string& key) const {
        if (!n.IsSequence()) fail(n, key, "expected a list of strings");
        std::vector<std::string> out;
        for (size_t i = 0; i < n.size(); ++i) out.push_back(scalar(n[i], fmt::format("{}[{}]", key, i)));
        return out;
    }

    using Handler = std::function<void(const YAML::Node&, const std::string&)>;

    // Walks a mapping, dispatching each known key and refusing unknown ones.
    void mapping(const YAML::Node& n, const std::string& prefix, const std::map<std::string, Handler>& known) const {
        if (n.IsNull()) return;
        if (!n.IsMap()) fail(n, prefix.empty() ? "(top level)" : prefix, "expected a mapping");
        for (auto it = n.begin(); it != n.end(); ++it) {
            std::string k = it->first.as<std::string>();
            std::string full = prefix.empty() ? k : prefix + "." + k;
            auto h = known.find(k);
            if (h == known.end()) {
                std::string list;
                for (auto& [name, _] : known) list += (list.empty() ? "" : ", ") + name;
                fail(it->first, full, fmt::format("unknown key (known keys here: {})", list));
            }
            h->second(it->second, full);
        }
    }

private:
    std::string source_;
};

} // namespace

Config Config::parse(const std::string& text, const std::string& source_name) {
    Config c;
    c.source = source_name;
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw Error(fmt::format("{}:{}: invalid YAML: {}", source_name, e.mark.line + 1, e.msg));
    }
    Checker ck(source_name);
    auto& reg = c.registries;
    ck.mapping(root, "", {
        {"storage", [&](const YAML::Node& n, const std::string& p) {
             ck.mapping(n, p, {{"driver", [&](const YAML::Node& v, const std::string& k) {
                                    c.storage_driver = ck.one_of(v, k, {"auto", "overlay", "fuse-overlayfs", "vfs"});
                                }}});
         }},
        {"network", [&](const YAML::Node& n, const std::string& p) {
             ck.mapping(n, p, {{"default", [&](const YAML::Node& v, const std::string& k) {
                                    c.network = ck.one_of(v, k, {"auto", "slirp", "none", "host"});
                                }},
                               {"host-loopback", [&](const YAML::Node& v, const std::string& k) {
                                    c.network_host_loopback = ck.one_of(v, k, {"true", "false"}) == "true";
                                }}});
         }},
        {"log-level", [&](const YAML::Node& v, const std::string& k) {
             c.log_level = ck.one_of(v, k, {"error", "warn", "info", "debug"});
         }},
        {"pull", [&](const YAML::Node& v, const std::string& k) {
             c.pull_policy = ck.one_of(v, k, {"missing", "always", "never", "newer"});
         }},
        {"registries", [&](const YAML::Node& n, const std::string& p) {
             ck.mapping(n, p, {
                 {"unqualified-search", [&](const YAML::Node& v, const std::string& k) {
                      reg.unqualified_search = ck.string_list(v, k);
                  }},
                 {"insecure", [&](const YAML::Node& v, const std::string& k) { reg.insecure = ck.string_list(v, k); }},
                 {"aliases", [&](const YAML::Node& v, const std::string& k) {
                      if (!v.IsMap()) ck.fail(v, k, "expected a mapping of short name to reference");
                      for (auto it = v.begin(); it != v.end(); ++it) {
                          std::string name = it->first.as<std::string>();
                          reg.aliases[name] = ck.scalar(it->second, k + "." + name);
                      }
                  }},
                 {"mirrors", [&](const YAML::Node& v, const std::string& k) {
                      if (!v.IsMap()) ck.fail(v, k, "expected a mapping of registry to a list of mirrors");
                      for (auto it = v.begin(); it != v.end(); ++it) {
                          std::string name = it->first.as<std::string>();
                          reg.mirrors[name] = ck.string_list(it->second, k + "." + name);
                      }
                  }},
             });
         }},
    });
    return c;
}

Config Config::load(const std::string& path) {
    std::optional<std::string> text = read_file_if_present(path, 1u << 20);
    if (!text) return Config();
    return parse(*text, path);
}

} // namespace skiff
