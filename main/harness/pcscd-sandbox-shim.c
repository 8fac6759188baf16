/*
 * LD_PRELOAD shim for the sandbox pcscd of tests, benchmarks and `session --pcsc`
 * (built by main/harness/pcscd-sandbox.ts).
 *
 * 1. TCP_NODELAY on accepted TCP sockets. Debian's vpcd (vsmartcard 0.8)
 *    sends the 2-byte length and the payload in two send() calls; with Nagle
 *    on, the second write waits for the card's delayed ACK and every APDU
 *    costs ~40 ms. With NODELAY it is well under a millisecond.
 *
 * 2. Loopback-only listening. vpcd's server mode binds INADDR_ANY with no way
 *    to choose an address in reader.conf, so a test reader would be reachable
 *    from the whole network. pcscd itself only uses a Unix socket, so every
 *    AF_INET bind() in this process is vpcd's: rewrite the wildcard address
 *    to 127.0.0.1.
 *
 * 3. A pcscd of its own, beside the system's (only with MYNA_KIOSK_PCSCD_RUN_DIR
 *    set). pcscd 1.9 has its socket, pid file and their folder compiled in
 *    (/run/pcscd) and would take over the system's socket; every path under
 *    /run/pcscd is moved into MYNA_KIOSK_PCSCD_RUN_DIR instead, and clients
 *    reach it with PCSCLITE_CSOCK_NAME (read by libpcsclite). The USB drivers'
 *    folder is listed as that same folder, which holds no driver bundle, so
 *    this pcscd never opens a real reader: it serves its vpcd readers alone.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define PCSCD_RUN_DIR "/run/pcscd"
#define USB_DRIVERS_DIR "/usr/lib/pcsc/drivers"

/* `real` is the libc function this one stands in front of. */
#define REAL(name)                 \
    static __typeof__(name) *real; \
    if (!real)                     \
    real = (__typeof__(name) *) dlsym(RTLD_NEXT, #name)

static void set_nodelay(int fd)
{
    struct sockaddr_storage local;
    socklen_t len = sizeof local;
    int one = 1;

    if (fd < 0 || getsockname(fd, (struct sockaddr *) &local, &len) != 0)
        return;
    if (local.ss_family != AF_INET && local.ss_family != AF_INET6)
        return;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    int client;
    REAL(accept);

    client = real(fd, addr, len);
    set_nodelay(client);
    return client;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    int client;
    REAL(accept4);

    client = real(fd, addr, len, flags);
    set_nodelay(client);
    return client;
}

/*
 * The path pcscd named, moved into the private folder when it is one of
 * pcscd's own (written into `moved`). NULL with ENAMETOOLONG when the moved
 * path does not fit: never fall back to the system's path.
 */
static const char *private_path(const char *path, char *moved, size_t size)
{
    const char *dir = getenv("MYNA_KIOSK_PCSCD_RUN_DIR");
    size_t prefix = sizeof PCSCD_RUN_DIR - 1;

    if (!dir || !path || strncmp(path, PCSCD_RUN_DIR, prefix) != 0 || (path[prefix] != '\0' && path[prefix] != '/'))
        return path;
    if ((size_t) snprintf(moved, size, "%s%s", dir, path + prefix) >= size) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    return moved;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct sockaddr_in loopback;
    struct sockaddr_un local;
    char moved[sizeof local.sun_path];
    const char *path;
    REAL(bind);

    if (addr && addr->sa_family == AF_INET && len >= sizeof loopback) {
        memcpy(&loopback, addr, sizeof loopback);
        if (loopback.sin_addr.s_addr == htonl(INADDR_ANY)) {
            loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            return real(fd, (const struct sockaddr *) &loopback, sizeof loopback);
        }
    }
    if (addr && addr->sa_family == AF_UNIX && len <= sizeof local) {
        memset(&local, 0, sizeof local);
        memcpy(&local, addr, len);
        path = private_path(local.sun_path, moved, sizeof moved);
        if (!path)
            return -1;
        if (path == moved) {
            memcpy(local.sun_path, moved, sizeof moved);
            return real(fd, (const struct sockaddr *) &local, sizeof local);
        }
    }
    return real(fd, addr, len);
}

int open(const char *path, int flags, ...)
{
    char moved[4096];
    mode_t mode = 0;
    va_list args;
    REAL(open);

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_start(args, flags);
        mode = va_arg(args, mode_t);
        va_end(args);
    }
    path = private_path(path, moved, sizeof moved);
    return path ? real(path, flags, mode) : -1;
}

FILE *fopen(const char *path, const char *how)
{
    char moved[4096];
    REAL(fopen);

    path = private_path(path, moved, sizeof moved);
    return path ? real(path, how) : NULL;
}

int stat(const char *path, struct stat *buffer)
{
    char moved[4096];
    REAL(stat);

    path = private_path(path, moved, sizeof moved);
    return path ? real(path, buffer) : -1;
}

int lstat(const char *path, struct stat *buffer)
{
    char moved[4096];
    REAL(lstat);

    path = private_path(path, moved, sizeof moved);
    return path ? real(path, buffer) : -1;
}

int remove(const char *path)
{
    char moved[4096];
    REAL(remove);

    path = private_path(path, moved, sizeof moved);
    return path ? real(path) : -1;
}

int mkdir(const char *path, mode_t mode)
{
    char moved[4096];
    REAL(mkdir);

    path = private_path(path, moved, sizeof moved);
    return path ? real(path, mode) : -1;
}

int chmod(const char *path, mode_t mode)
{
    char moved[4096];
    REAL(chmod);

    path = private_path(path, moved, sizeof moved);
    return path ? real(path, mode) : -1;
}

/* The USB drivers' folder, listed as the private folder: no driver bundle, so no real reader. */
DIR *opendir(const char *path)
{
    const char *dir = getenv("MYNA_KIOSK_PCSCD_RUN_DIR");
    REAL(opendir);

    return real(dir && strcmp(path, USB_DRIVERS_DIR) == 0 ? dir : path);
}
