// What skiff and skiff-monitor say to each other. The monitor is a separate,
// deliberately small program (libc only, statically linked) so that one can
// stay behind per detached container for well under a MiB; everything that
// needs the store, the image or the runtime is done by short-lived skiff
// processes it starts: `skiff __start ID` and `skiff __cleanup ID`.
//
// Files in the container's directory:
//   ctr.log          the log, podman's k8s-file format:
//                    "<RFC 3339 nano> stdout|stderr F|P <bytes>\n"
//                    (P: the line goes on in the next record)
//   exit             "<code> <unix seconds> <nanoseconds>[ restarting]\n",
//                    written atomically by the monitor when the container
//                    exits ("restarting": its restart policy starts it again)
//   attach           the monitor's SOCK_SEQPACKET socket for `attach`
//   stopped-by-user  written by `stop`: no restart after this exit
//
// The monitor's fds when skiff execs it: 0-2 /dev/null; 3 the status pipe
// to the starting skiff; 4 that skiff's stderr, handed to the first
// `__start` only so that its errors reach the user.
//
// For a container's first run without --attach-first, skiff does not have
// the monitor spawn `__start`: the child it forks starts the container
// itself (saving an exec of skiff), having opened the log and the attach
// socket first; writes kStatusStarted on the status pipe, and execs the
// monitor with --adopt PID. The monitor is then already the container's
// parent; its ends of the run's stdio, the log and the listening socket
// are on fds 5-10 (kAdopted*, closed where there is none); fds 3 and 4
// are closed.
//
// `__start` gets 0-1 /dev/null, 2 the error fd, 3-5 the container's stdio
// ends, 6 a SOCK_SEQPACKET socket to the monitor on which it sends, with
// a terminal, the pty master (SCM_RIGHTS, one byte 'T'), and then 'P' and
// the container's pid as a native int.
#pragma once

#include <cstdint>

namespace skiff::monitor {

constexpr int kStatusFd = 3;
constexpr int kUserErrFd = 4;

constexpr int kStarterStdin = 3;
constexpr int kStarterStdout = 4;
constexpr int kStarterStderr = 5;
constexpr int kStarterSync = 6;

constexpr int kAdoptedOut = 5;
constexpr int kAdoptedErr = 6;
constexpr int kAdoptedIn = 7;
constexpr int kAdoptedPty = 8;
constexpr int kAdoptedLog = 9;
constexpr int kAdoptedListen = 10;

// Status pipe, monitor -> starting skiff.
constexpr char kStatusListening = 'L'; // attach socket ready (--attach-first)
constexpr char kStatusStarted = 'S';   // followed by the __start exit code (int32)

// Attach socket, monitor -> client: one tag byte, then the payload.
constexpr char kOutStdout = 1;
constexpr char kOutStderr = 2;
constexpr char kOutExit = 3; // int32 exit code: the container has exited

// Attach socket, client -> monitor.
constexpr char kInData = 0;
constexpr char kInResize = 1; // uint16 rows, uint16 cols
constexpr char kInCloseStdin = 2;

constexpr const char* kLogFile = "ctr.log";
constexpr const char* kExitFile = "exit";
constexpr const char* kAttachSocket = "attach";
constexpr const char* kStoppedByUser = "stopped-by-user";

} // namespace skiff::monitor
