// Typed reads of JSON fields with errors that name the field. A missing or
// null field reads as empty; a field of the wrong type is an Error.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace skiff {

// Parses text; a syntax error becomes Error("invalid JSON in WHAT: ...").
nlohmann::json parse_json(std::string_view text, const std::string& what);

std::string json_string(const nlohmann::json& j, const char* key);
std::vector<std::string> json_string_list(const nlohmann::json& j, const char* key);
std::map<std::string, std::string> json_string_map(const nlohmann::json& j, const char* key);
// The keys of an object field ({"80/tcp": {}} -> ["80/tcp"]).
std::vector<std::string> json_object_keys(const nlohmann::json& j, const char* key);
bool json_bool(const nlohmann::json& j, const char* key);

} // namespace skiff
