// Signal names as users type them: "SIGTERM", "TERM", "term" or "15".
#pragma once

#include <string>

namespace skiff {

// Throws Error (exit 125) for an unknown name or number.
int signal_number(const std::string& name);
// "SIGTERM" for 15; "SIG42" for what has no name.
std::string signal_name(int sig);

// In a forked child about to exec (async-signal-safe): every signal back
// to its default disposition and none blocked.
void reset_signals_for_exec() noexcept;

} // namespace skiff
