/*  unit_tmp: see unit_tmp.h. */
#include "unit_tmp.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ut_tmpdir(char *dir, size_t len, const char *name)
{
    snprintf(dir, len, "/tmp/mvoi-%s-XXXXXX", name);
    cr_assert_not_null(mkdtemp(dir));
}

void ut_tmpdir_remove(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

bool ut_fd_is(int fd, const char *suffix)
{
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return false;
    path[n] = 0;
    size_t len = (size_t)n, sl = strlen(suffix);
    return len >= sl && strcmp(path + len - sl, suffix) == 0;
}
