// The per-container network helper: the skiff binary re-executed as
// `skiff __slirp MTU FLAGS [PORT...]` with a control socket on fd 3 (FLAGS:
// "-", or l for an open host loopback and 6 for IPv6).
//
// With published ports (or for a detached container) it is started before
// the container's namespaces exist, so its exec, libslirp's setup and the
// binding of the ports overlap with the container's creation, and skiff
// waits for its answer before the container runs. Otherwise nobody waits
// for it, and a foreground `run` starts it once the command runs: its
// start-up (about 15 ms of CPU here: the exec, libslirp and glib) then
// competes with neither newuidmap/newgidmap nor the container's setup for
// a small machine's cores, and a command that does not use the network
// pays for little more than a vfork, a kill and a wait.
//
// It says "ok" with the ports as bound (or the error) on fd 3, then
// receives a pidfd of the container's process (from skiff) and its tap
// device (from the container's own setup, which creates it, before or
// after the helper starts: it waits in the socket), and runs libslirp until
// that process exits, so it never outlives the container. The container
// never waits for the helper's exec.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "net/slirp_loop.hpp"

namespace skiff::net {

struct HelperRequest {
    bool detached = false; // started for a detached container: no stderr
    SlirpOptions slirp;
};

// The parent's handle: kills and reaps the helper if it is still running
// when destroyed (a failed start); wait() reaps it after the container exited.
class NetworkHelper {
public:
    NetworkHelper() = default;
    NetworkHelper(NetworkHelper&& o) noexcept;
    NetworkHelper& operator=(NetworkHelper&& o) noexcept;
    ~NetworkHelper();

    // Makes the control socket and, when its answer is awaited (ports,
    // detached), starts the helper; returns at once.
    static NetworkHelper spawn(const HelperRequest& req);

    // The container's setup creates tap0 and sends it over this socket
    // (runtime::ContainerSpec::tap_socket).
    int control_fd() const { return ctl_.get(); }

    // The container's namespaces exist (its first process is `pid`, not yet
    // released): starts the helper if spawn() did not, and hands it a pidfd
    // of `pid`. With published ports (or
    // for a detached container), waits for the helper's answer first, so a
    // busy port fails the start before the container runs; otherwise the
    // container goes on while the helper is still starting (the tap queues
    // what the container sends meanwhile). Throws Error with the helper's
    // message.
    void attach(pid_t pid);

    // Whether attach() waits for the helper's answer (ports, detached).
    // If not, the caller may attach once the command runs instead, so the
    // helper's start-up overlaps with the command and not its setup.
    bool awaits_answer() const { return wait_answer_; }

    const std::vector<PortBinding>& bound() const { return bound_; }
    pid_t pid() const { return pid_; }
    // The container has exited. A helper that is serving notices it (its
    // pidfd) and exits after forwarding what is queued; one still starting
    // has forwarded nothing and is killed here. Warns with the helper's
    // error if it failed.
    void stop();
    // stop(), then reaps it.
    void wait();
    // A detached container: the helper is left to the container's monitor
    // (the subreaper that reaps it); this handle forgets it.
    void release();

private:
    void start();       // spawns the helper on helper_end_
    void read_answer(); // throws the helper's error

    pid_t pid_ = -1;
    UniqueFd ctl_;
    UniqueFd helper_end_; // the helper's end of the control socket, until start()
    std::vector<std::string> args_;
    bool detached_ = false;
    bool answered_ = false;
    bool wait_answer_ = false;
    std::vector<PortBinding> bound_;
};

// `skiff __slirp ...` (args after the role word). Returns the exit code.
int slirp_helper_main(const std::vector<std::string>& args);

} // namespace skiff::net
