// Standard base64 (RFC 4648, with padding), for Basic auth and auth files.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace skiff {

std::string base64_encode(std::string_view data);
// nullopt on malformed input. Whitespace is not accepted.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace skiff
