// Which function registers which top-level command, so that an invocation
// builds only the command it runs (see commands.hpp).
#include "cli/commands.hpp"

namespace skiff::cli {

const std::vector<CommandEntry>& command_table() {
    static const std::vector<CommandEntry> table = {
        {{"run"}, add_run_command},
        {{"create"}, add_create_command},
        {{"ps"}, [](CLI::App& a, Context& c) { add_ps_command(a, c); }},
        {{"start"}, add_start_command},
        {{"stop"}, add_stop_command},
        {{"kill"}, add_kill_command},
        {{"restart"}, add_restart_command},
        {{"rm"}, [](CLI::App& a, Context& c) { add_rm_command(a, c); }},
        {{"wait"}, add_wait_command},
        {{"rename"}, add_rename_command},
        {{"logs"}, add_logs_command},
        {{"attach"}, add_attach_command},
        {{"exec"}, add_exec_command},
        {{"top"}, add_top_command},
        {{"pause", "unpause"}, add_pause_commands},
        {{"container"}, add_container_command},
        {{"port"}, add_port_command},
        {{"pull"}, add_pull_command},
        {{"images"}, [](CLI::App& a, Context& c) { add_images_command(a, c); }},
        {{"image"}, add_image_command},
        {{"inspect"}, [](CLI::App& a, Context& c) { add_inspect_command(a, c, InspectKind::any); }},
        {{"tag"}, add_tag_command},
        {{"rmi"}, [](CLI::App& a, Context& c) { add_rmi_command(a, c); }},
        {{"history"}, add_history_command},
        {{"cp"}, add_cp_command},
        {{"diff"}, add_diff_command},
        {{"volume"}, add_volume_command},
        {{"login"}, add_login_command},
        {{"logout"}, add_logout_command},
        {{"info"}, add_info_command},
        {{"version"}, add_version_command},
        {{"__start", "__cleanup"}, add_monitor_callbacks},
    };
    return table;
}

void add_all_commands(CLI::App& app, Context& ctx) {
    for (const auto& e : command_table()) e.add(app, ctx);
}

const CommandEntry* command_for_args(const std::vector<std::string>& args) {
    static constexpr std::string_view with_value[] = {"--log-level", "--root", "--runroot", "--config"};
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a.empty() || a[0] != '-') {
            for (const auto& e : command_table())
                if (!a.empty() && (e.names[0] == a || e.names[1] == a)) return &e;
            return nullptr;
        }
        bool known = false;
        for (std::string_view opt : with_value) {
            if (a == opt) {
                ++i; // its value
                known = true;
            } else if (a.size() > opt.size() && a.substr(0, opt.size()) == opt && a[opt.size()] == '=') {
                known = true;
            }
        }
        if (!known) return nullptr; // --help, --version, or a bad flag: all commands
    }
    return nullptr;
}

} // namespace skiff::cli
