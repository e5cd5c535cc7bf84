#include "runtime/child_fs.hpp"

#include <cerrno>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace skiff::runtime::childfs {

bool append(char* dst, size_t cap, const char* src) noexcept {
    size_t n = 0;
    while (n < cap && dst[n] != '\0') ++n;
    for (size_t i = 0; src[i] != '\0'; ++i) {
        if (n + 1 >= cap) return false;
        dst[n++] = src[i];
    }
    dst[n] = '\0';
    return true;
}

void fd_path(char* buf, size_t cap, int fd) noexcept {
    char digits[16];
    int nd = 0;
    unsigned v = static_cast<unsigned>(fd);
    do {
        digits[nd++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0 && nd < 15);
    buf[0] = '\0';
    append(buf, cap, "/proc/self/fd/");
    size_t n = 0;
    while (buf[n] != '\0') ++n;
    while (nd > 0 && n + 1 < cap) buf[n++] = digits[--nd];
    buf[n] = '\0';
}

int mkdir_p(const char* path, mode_t mode) noexcept {
    char buf[kPathMax];
    buf[0] = '\0';
    if (!append(buf, sizeof buf, path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char* p = buf + 1;; ++p) {
        bool end = *p == '\0';
        if (*p == '/' || end) {
            char saved = *p;
            *p = '\0';
            if (::mkdir(buf, mode) < 0 && errno != EEXIST) return -1;
            *p = saved;
            if (end) break;
        }
    }
    struct stat st {};
    if (::stat(path, &st) < 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int touch_p(const char* path) noexcept {
    char parent[kPathMax];
    parent[0] = '\0';
    if (!append(parent, sizeof parent, path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char* slash = nullptr;
    for (char* p = parent; *p != '\0'; ++p)
        if (*p == '/') slash = p;
    if (slash != nullptr && slash != parent) {
        *slash = '\0';
        if (mkdir_p(parent, 0755) < 0) return -1;
    }
    // Read-only: opening an image's file for writing would copy it up.
    int fd = ::open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0) {
        // An existing directory or device is fine as a bind target if the
        // caller's mount says so; let mount report the mismatch.
        if (errno == EISDIR || errno == EACCES || errno == ENXIO) return 0;
        return -1;
    }
    ::close(fd);
    return 0;
}

int remount_readonly(const char* path) noexcept {
    struct statvfs sv {};
    if (::statvfs(path, &sv) < 0) return -1;
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
    if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
    return ::mount(nullptr, path, nullptr, flags, nullptr);
}

int loopback_up() noexcept {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq ifr {};
    ifr.ifr_name[0] = 'l';
    ifr.ifr_name[1] = 'o';
    int rc = ::ioctl(s, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
        rc = ::ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    ::close(s);
    errno = saved;
    return rc;
}

} // namespace skiff::runtime::childfs
