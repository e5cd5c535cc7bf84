// Docker's JSON seccomp profile format -> SeccompProfile. Every error names
// the profile and the JSON path of the offending field.
#include "runtime/seccomp_profile.hpp"
#include "runtime/seccomp_cache.hpp"

#include <cctype>
#include <cerrno>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

namespace {

using nlohmann::json;

class Parser {
public:
    explicit Parser(const std::string& origin) : origin_(origin) {}

    [[noreturn]] void fail(const std::string& where, const std::string& msg) const {
        if (where.empty()) throw Error(fmt::format("seccomp profile {}: {}", origin_, msg));
        throw Error(fmt::format("seccomp profile {}: {}: {}", origin_, where, msg));
    }

    static std::string at(const std::string& where, const char* key) {
        return where.empty() ? std::string(key) : where + "." + key;
    }
    static std::string at(const std::string& where, size_t i) { return fmt::format("{}[{}]", where, i); }

    // The field, or nullptr when missing or null.
    static const json* field(const json& obj, const char* key) {
        auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) return nullptr;
        return &*it;
    }

    std::optional<std::string> string_field(const json& obj, const char* key, const std::string& where) const {
        const json* v = field(obj, key);
        if (!v) return std::nullopt;
        if (!v->is_string()) fail(at(where, key), "expected a string");
        return v->get<std::string>();
    }

    std::optional<uint64_t> uint_field(const json& obj, const char* key, const std::string& where,
                                       uint64_t max = std::numeric_limits<uint64_t>::max()) const {
        const json* v = field(obj, key);
        if (!v) return std::nullopt;
        if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0))
            fail(at(where, key), "expected a non-negative integer");
        uint64_t n = v->get<uint64_t>();
        if (n > max) fail(at(where, key), fmt::format("{} is out of range (at most {})", n, max));
        return n;
    }

    std::vector<std::string> string_list(const json& obj, const char* key, const std::string& where) const {
        std::vector<std::string> out;
        const json* v = field(obj, key);
        if (!v) return out;
        std::string w = at(where, key);
        if (!v->is_array()) fail(w, "expected an array of strings");
        for (size_t i = 0; i < v->size(); ++i) {
            if (!(*v)[i].is_string()) fail(at(w, i), "expected a string");
            out.push_back((*v)[i].get<std::string>());
        }
        return out;
    }

    void check_object(const json& v, const std::string& where) const {
        if (!v.is_object()) fail(where, "expected an object");
    }

    SeccompActionKind action_kind(const std::string& name, const std::string& where) const {
        if (name == "SCMP_ACT_ALLOW") return SeccompActionKind::allow;
        if (name == "SCMP_ACT_ERRNO") return SeccompActionKind::errno_ret;
        if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SeccompActionKind::kill_thread;
        if (name == "SCMP_ACT_KILL_PROCESS") return SeccompActionKind::kill_process;
        if (name == "SCMP_ACT_TRAP") return SeccompActionKind::trap;
        if (name == "SCMP_ACT_TRACE") return SeccompActionKind::trace;
        if (name == "SCMP_ACT_LOG") return SeccompActionKind::log;
        if (name == "SCMP_ACT_NOTIFY") fail(where, "action 'SCMP_ACT_NOTIFY' is not supported");
        fail(where, fmt::format("unknown action '{}'", name));
    }

    // An action with its errno/trace value; EPERM when none is given, as runc does.
    SeccompAction action(const std::string& name, std::optional<uint64_t> ret, const std::string& where,
                         const std::string& ret_where) const {
        SeccompAction a{action_kind(name, where), 0};
        if (a.kind == SeccompActionKind::errno_ret || a.kind == SeccompActionKind::trace)
            a.value = static_cast<uint32_t>(ret.value_or(EPERM));
        else if (ret)
            fail(ret_where, "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
        return a;
    }

    SeccompOp op(const std::string& name, const std::string& where) const {
        if (name == "SCMP_CMP_NE") return SeccompOp::ne;
        if (name == "SCMP_CMP_LT") return SeccompOp::lt;
        if (name == "SCMP_CMP_LE") return SeccompOp::le;
        if (name == "SCMP_CMP_EQ") return SeccompOp::eq;
        if (name == "SCMP_CMP_GE") return SeccompOp::ge;
        if (name == "SCMP_CMP_GT") return SeccompOp::gt;
        if (name == "SCMP_CMP_MASKED_EQ") return SeccompOp::masked_eq;
        fail(where, fmt::format("unknown operator '{}'", name));
    }

    std::string arch_name(const std::string& name, const std::string& where) const {
        if (!name.starts_with("SCMP_ARCH_") || name.size() == 10)
            fail(where, fmt::format("unknown architecture '{}' (expected SCMP_ARCH_*)", name));
        return name;
    }

    std::vector<std::string> arch_list(const json& obj, const char* key, const std::string& where) const {
        auto list = string_list(obj, key, where);
        for (size_t i = 0; i < list.size(); ++i) arch_name(list[i], at(at(where, key), i));
        return list;
    }

    SeccompCondition condition(const json& obj, const char* key, const std::string& where) const {
        SeccompCondition c;
        const json* v = field(obj, key);
        if (!v) return c;
        std::string w = at(where, key);
        check_object(*v, w);
        c.caps = string_list(*v, "caps", w);
        c.arches = string_list(*v, "arches", w);
        c.min_kernel = string_field(*v, "minKernel", w).value_or("");
        if (!c.min_kernel.empty()) {
            size_t dot = c.min_kernel.find('.');
            auto digits = [](std::string_view s) {
                if (s.empty()) return false;
                for (char ch : s)
                    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
                return true;
            };
            if (dot == std::string::npos || !digits(std::string_view(c.min_kernel).substr(0, dot)) ||
                !digits(std::string_view(c.min_kernel).substr(dot + 1)))
                fail(at(w, "minKernel"),
                     fmt::format("invalid kernel version '{}' (expected MAJOR.MINOR)", c.min_kernel));
        }
        return c;
    }

    SeccompArg arg(const json& v, const std::string& where) const {
        check_object(v, where);
        SeccompArg a;
        auto index = uint_field(v, "index", where, 5);
        if (!index) fail(at(where, "index"), "missing");
        a.index = static_cast<unsigned>(*index);
        a.value = uint_field(v, "value", where).value_or(0);
        a.value_two = uint_field(v, "valueTwo", where).value_or(0);
        auto o = string_field(v, "op", where);
        if (!o) fail(at(where, "op"), "missing");
        a.op = op(*o, at(where, "op"));
        return a;
    }

    SeccompRule rule(const json& v, const std::string& where) const {
        check_object(v, where);
        SeccompRule r;
        auto name = string_field(v, "name", where);
        r.names = string_list(v, "names", where);
        if (name) {
            if (!r.names.empty()) fail(where, "use either 'name' or 'names', not both");
            r.names.push_back(*name);
        }
        if (r.names.empty()) fail(where, "no syscall names ('names' is missing or empty)");
        for (size_t i = 0; i < r.names.size(); ++i)
            if (r.names[i].empty()) fail(at(at(where, "names"), i), "empty syscall name");

        auto act = string_field(v, "action", where);
        if (!act) fail(at(where, "action"), "missing");
        r.action = action(*act, uint_field(v, "errnoRet", where, 0xffff), at(where, "action"),
                          at(where, "errnoRet"));

        if (const json* args = field(v, "args")) {
            std::string w = at(where, "args");
            if (!args->is_array()) fail(w, "expected an array");
            for (size_t i = 0; i < args->size(); ++i) r.args.push_back(arg((*args)[i], at(w, i)));
        }
        r.includes = condition(v, "includes", where);
        r.excludes = condition(v, "excludes", where);
        r.comment = string_field(v, "comment", where).value_or("");
        return r;
    }

    SeccompProfile profile(std::string_view text) const {
        json doc;
        try {
            doc = json::parse(text);
        } catch (const json::exception& e) {
            fail("", fmt::format("invalid JSON: {}", e.what()));
        }
        if (!doc.is_object()) fail("", "expected a JSON object at the top level");

        if (field(doc, "listenerPath") || field(doc, "flags"))
            fail("", "'listenerPath' and 'flags' (seccomp notify) are not supported");

        SeccompProfile p;
        auto def = string_field(doc, "defaultAction", "");
        if (!def) fail("defaultAction", "missing");
        p.default_action = action(*def, uint_field(doc, "defaultErrnoRet", "", 0xffff), "defaultAction",
                                  "defaultErrnoRet");

        p.architectures = arch_list(doc, "architectures", "");
        if (const json* m = field(doc, "archMap")) {
            if (!m->is_array()) fail("archMap", "expected an array");
            for (size_t i = 0; i < m->size(); ++i) {
                std::string w = at("archMap", i);
                check_object((*m)[i], w);
                SeccompArchMapEntry e;
                auto a = string_field((*m)[i], "architecture", w);
                if (!a) fail(at(w, "architecture"), "missing");
                e.arch = arch_name(*a, at(w, "architecture"));
                e.sub_arches = arch_list((*m)[i], "subArchitectures", w);
                p.arch_map.push_back(std::move(e));
            }
        }

        if (const json* s = field(doc, "syscalls")) {
            if (!s->is_array()) fail("syscalls", "expected an array");
            for (size_t i = 0; i < s->size(); ++i) p.syscalls.push_back(rule((*s)[i], at("syscalls", i)));
        }
        return p;
    }

private:
    const std::string& origin_;
};

} // namespace

SeccompProfile parse_seccomp_profile(std::string_view text, const std::string& origin) {
    return Parser(origin).profile(text);
}

SeccompProfile load_seccomp_profile(const std::string& path) {
    std::string text;
    try {
        text = read_file(path, 16u << 20);
    } catch (Error& e) {
        throw e.context("loading seccomp profile");
    }
    return parse_seccomp_profile(text, path);
}

PreparedSeccomp prepare_seccomp(const std::string& security_opt_value, CapMask caps, const std::string& cache_dir) {
    if (security_opt_value == "unconfined") return {};
    if (security_opt_value.empty()) return default_seccomp_cached(cache_dir, caps);
    SeccompBuildOptions opts;
    opts.caps = caps;
    SeccompProfile p = load_seccomp_profile(security_opt_value);
    return with_context("seccomp profile " + security_opt_value, [&] { return compile_seccomp(p, opts); });
}

} // namespace skiff::runtime
