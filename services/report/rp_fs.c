/*  rp_fs: the report service's directories on disk (reports/<buyer>/<period>/). */
#include "rp_fs.h"

#include <errno.h>
#include <sys/stat.h>

int rp_mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;   /* each parent in turn */
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            *p = '/';
            return -errno;
        }
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}
