#include "runtime/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

namespace skiff::runtime {

RawTerminal::RawTerminal(int fd) : fd_(fd) {
    struct termios t {};
    if (::isatty(fd) == 0 || ::tcgetattr(fd, &t) < 0) return;
    saved_ = t;
    ::cfmakeraw(&t);
    ::tcsetattr(fd, TCSADRAIN, &t);
}

RawTerminal::~RawTerminal() {
    if (saved_) ::tcsetattr(fd_, TCSADRAIN, &*saved_);
}

void copy_window_size(int pty_master) noexcept {
    struct winsize ws {};
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0) return;
    ::ioctl(pty_master, TIOCSWINSZ, &ws);
}

} // namespace skiff::runtime
