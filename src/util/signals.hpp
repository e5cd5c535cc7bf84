// Signal names as users type them: "SIGTERM", "TERM", "term" or "15".
#pragma once

#include <string>

namespace skiff {

// Throws Error (exit 125) for an unknown name or number.
int signal_number(const std::string& name);
// "SIGTERM" for 15; "SIG42" for what has no name.
std::string signal_name(int sig);

} // namespace skiff
