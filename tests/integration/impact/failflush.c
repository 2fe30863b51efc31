/*  failflush: an LD_PRELOAD library that makes one flush of a running service fail.
 *
 *  While the file named by MVOI_FAILFLUSH_ARM exists, the next fdatasync of a file whose
 *  path ends in MVOI_FAILFLUSH_FILE (default "/wal.mvoi") removes it and fails with EIO:
 *  once, since only one caller can remove the file, and the test sees that it fired.
 *  Every other call goes to the real fdatasync. The data written before stays in the page
 *  cache and reaches the device later, as after a transient error; what the service must
 *  not do is acknowledge on the strength of that flush, or of any flush after it
 *  (common/server_flush.c). */
#define _GNU_SOURCE   /* RTLD_NEXT */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int s_is_target(int fd)
{
    const char *want = getenv("MVOI_FAILFLUSH_FILE");
    if (!want || !*want)
        want = "/wal.mvoi";
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = 0;
    size_t w = strlen(want);
    return (size_t)n >= w && strcmp(path + n - (ssize_t)w, want) == 0;
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    const char *arm = getenv("MVOI_FAILFLUSH_ARM");
    if (arm && *arm && s_is_target(fd) && unlink(arm) == 0) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}
