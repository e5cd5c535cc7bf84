#include "util/signals.hpp"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <iterator>

#include <fmt/format.h>

#include "util/error.hpp"

namespace skiff {

namespace {

struct Named {
    const char* name;
    int number;
};

constexpr Named kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},   {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},     {"BUS", SIGBUS},     {"FPE", SIGFPE},     {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},   {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"POLL", SIGPOLL}, {"PWR", SIGPWR},     {"SYS", SIGSYS},
};

} // namespace

int signal_number(const std::string& in) {
    std::string s = in;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 4) {
        int n = std::stoi(s);
        if (n >= 1 && n <= SIGRTMAX) return n;
    }
    if (s.rfind("SIG", 0) == 0) s = s.substr(3);
    for (const auto& n : kSignals)
        if (s == n.name) return n.number;
    if (s.rfind("RTMIN", 0) == 0 || s.rfind("RTMAX", 0) == 0) {
        bool min = s.compare(0, 5, "RTMIN") == 0;
        std::string rest = s.substr(5);
        int off = 0;
        if (!rest.empty()) {
            if ((rest[0] != '+' && rest[0] != '-') || rest.size() < 2 ||
                rest.find_first_not_of("0123456789", 1) != std::string::npos || rest.size() > 3)
                throw Error(fmt::format("invalid signal: {}", in));
            off = std::stoi(rest);
        }
        int n = (min ? SIGRTMIN : SIGRTMAX) + off;
        if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
    }
    throw Error(fmt::format("invalid signal: {}", in));
}

std::string signal_name(int sig) {
    for (const auto& n : kSignals)
        if (n.number == sig && std::string(n.name) != "IOT" && std::string(n.name) != "POLL")
            return std::string("SIG") + n.name;
    return fmt::format("SIG{}", sig);
}

void reset_signals_for_exec() noexcept {
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &sa, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

} // namespace skiff
