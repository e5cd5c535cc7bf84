#include "image/json_fields.hpp"

#include "util/error.hpp"

namespace skiff {

using nlohmann::json;

namespace {

const json* field(const json& j, const char* key) {
    if (!j.is_object()) return nullptr;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return nullptr;
    return &*it;
}

[[noreturn]] void wrong_type(const char* key, const char* expected) {
    throw Error(std::string("field '") + key + "': expected " + expected);
}

} // namespace

json parse_json(std::string_view text, const std::string& what) {
    try {
        return json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        throw Error("invalid JSON in " + what + ": " + e.what());
    }
}

std::string json_string(const json& j, const char* key) {
    const json* f = field(j, key);
    if (!f) return {};
    if (!f->is_string()) wrong_type(key, "a string");
    return f->get<std::string>();
}

std::vector<std::string> json_string_list(const json& j, const char* key) {
    const json* f = field(j, key);
    if (!f) return {};
    if (!f->is_array()) wrong_type(key, "a list of strings");
    std::vector<std::string> out;
    for (const auto& v : *f) {
        if (!v.is_string()) wrong_type(key, "a list of strings");
        out.push_back(v.get<std::string>());
    }
    return out;
}

std::map<std::string, std::string> json_string_map(const json& j, const char* key) {
    const json* f = field(j, key);
    if (!f) return {};
    if (!f->is_object()) wrong_type(key, "an object of strings");
    std::map<std::string, std::string> out;
    for (auto it = f->begin(); it != f->end(); ++it) {
        if (!it.value().is_string()) wrong_type(key, "an object of strings");
        out[it.key()] = it.value().get<std::string>();
    }
    return out;
}

std::vector<std::string> json_object_keys(const json& j, const char* key) {
    const json* f = field(j, key);
    if (!f) return {};
    if (!f->is_object()) wrong_type(key, "an object");
    std::vector<std::string> out;
    for (auto it = f->begin(); it != f->end(); ++it) out.push_back(it.key());
    return out;
}

bool json_bool(const json& j, const char* key) {
    const json* f = field(j, key);
    if (!f) return false;
    if (!f->is_boolean()) wrong_type(key, "true or false");
    return f->get<bool>();
}

} // namespace skiff
