/*  failflush: an LD_PRELOAD library that makes one flush of a running service fail.
 *
 *  fdatasync: while the file named by MVOI_FAILFLUSH_ARM exists, the next fdatasync of a
 *  file whose path ends in MVOI_FAILFLUSH_FILE (default "/wal.mvoi") removes it and fails
 *  with EIO: once, since only one caller can remove the file, and the test sees that it
 *  fired. The data written before stays in the page cache and reaches the device later, as
 *  after a transient error; what the service must not do is acknowledge on the strength of
 *  that flush, or of any flush after it (common/server_flush.c).
 *
 *  fsync of a directory: the same with MVOI_FAILFSYNC_ARM and MVOI_FAILFSYNC_DIR (no
 *  default). The notifier's file outbox flushes its directory after the rename that
 *  publishes a mail and must not record the mail as sent when that fails
 *  (services/notifier/nt_send.c).
 *
 *  Every other call goes to the real function. */
#define _GNU_SOURCE   /* RTLD_NEXT */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Does fd's path end in want (and is it a directory, when dir)? */
static int s_is_target(int fd, const char *want, int dir)
{
    struct stat st;
    if (!want || !*want || (dir && (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode))))
        return 0;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = 0;
    size_t w = strlen(want);
    return (size_t)n >= w && strcmp(path + n - (ssize_t)w, want) == 0;
}

/* Armed and aimed at fd: disarm (once) and fail. */
static int s_fire(int fd, const char *arm_var, const char *want, int dir)
{
    const char *arm = getenv(arm_var);
    if (arm && *arm && s_is_target(fd, want, dir) && unlink(arm) == 0) {
        errno = EIO;
        return 1;
    }
    return 0;
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    const char *want = getenv("MVOI_FAILFLUSH_FILE");
    if (s_fire(fd, "MVOI_FAILFLUSH_ARM", want && *want ? want : "/wal.mvoi", 0))
        return -1;
    return real(fd);
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (s_fire(fd, "MVOI_FAILFSYNC_ARM", getenv("MVOI_FAILFSYNC_DIR"), 1))
        return -1;
    return real(fd);
}
