// The host side of `-t`: the user's terminal in raw mode (restored on every
// way out), window size passed to the container's pty, bytes copied both ways.
#pragma once

#include <optional>
#include <termios.h>

namespace skiff::runtime {

// Puts fd (a terminal) in raw mode for its lifetime; restores it after.
class RawTerminal {
public:
    explicit RawTerminal(int fd);
    ~RawTerminal();
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    int fd_;
    std::optional<struct termios> saved_;
};

// Copies the size of the user's terminal (stdin, else stdout) to the pty.
void copy_window_size(int pty_master) noexcept;

} // namespace skiff::runtime
