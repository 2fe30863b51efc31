/*  failfsync: an LD_PRELOAD library that makes one fsync of a directory fail.
 *
 *  While the file named by MVOI_FAILFSYNC_ARM exists, the next fsync of a directory whose
 *  path ends in MVOI_FAILFSYNC_DIR removes that file and fails with EIO: once, and the test
 *  sees by the file's absence that the directory was flushed at all. Every other call goes
 *  to the real fsync. The notifier's file outbox (.eml files, no SMTP) must flush the
 *  directory after the rename that publishes a mail, and must not record the mail as sent
 *  when that flush fails (services/notifier/nt_send.c). */
#define _GNU_SOURCE   /* RTLD_NEXT */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int s_is_target(int fd)
{
    const char *want = getenv("MVOI_FAILFSYNC_DIR");
    struct stat st;
    if (!want || !*want || fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode))
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

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    const char *arm = getenv("MVOI_FAILFSYNC_ARM");
    if (arm && *arm && s_is_target(fd) && unlink(arm) == 0) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}
