// Docker's rules for what a container runs: the command from ENTRYPOINT,
// CMD, --entrypoint and the arguments; the environment from the image,
// --env-file and -e; the user from -u or the image's USER, resolved against
// the image's /etc/passwd and /etc/group. Pure functions, unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::engine {

// entrypoint_override: nullopt when --entrypoint was not given; "" resets it.
std::vector<std::string> build_command(const std::vector<std::string>& image_entrypoint,
                                       const std::vector<std::string>& image_cmd,
                                       const std::optional<std::string>& entrypoint_override,
                                       const std::vector<std::string>& args);

// "KEY=VALUE" lines; '#' comments and blank lines skipped; a bare "KEY" takes
// the value from lookup (and is dropped when it has none).
using EnvLookup = std::optional<std::string> (*)(const std::string&);
std::vector<std::string> parse_env_file(std::string_view text, const std::string& source, EnvLookup lookup);

// Image env, then the extra entries in order (later wins), then defaults
// docker adds: PATH when missing, HOSTNAME, TERM=xterm with a tty,
// container=skiff.
std::vector<std::string> merge_env(const std::vector<std::string>& image_env, const std::vector<std::string>& extra,
                                   const std::string& hostname, bool tty);

// "-e KEY" without a value: from the host environment (docker's rule).
std::optional<std::string> host_env(const std::string& key);

// The entries --env-file and -e give (files first; -e KEY takes the host's
// value, or is dropped when the host has none), for merge_env.
std::vector<std::string> user_env(const std::vector<std::string>& env_files, const std::vector<std::string>& env);

struct ResolvedUser {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> additional_gids;
    std::string home = "/";
};

// user: "", "name", "uid", "name:group", "uid:gid". passwd/group: the texts
// of the image's /etc/passwd and /etc/group ("" when absent). A name that is
// not found is an error naming it (docker: "unable to find user x").
ResolvedUser resolve_user(const std::string& user, std::string_view passwd, std::string_view group);

} // namespace skiff::engine
