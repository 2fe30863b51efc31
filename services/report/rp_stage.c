/*  rp_stage: a request's report files, all of its formats or none (rp_stage.h). */
#include "rp_stage.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rp_stage_path(char *out, size_t cap, const char *dir, const char *final)
{
    const char *base = strrchr(final, '/');
    base = base ? base + 1 : final;
    int n = snprintf(out, cap, "%s/" RP_STAGE_DIR "/%s", dir, base);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int rp_stage_open(const char *dir)
{
    char p[4200];
    int n = snprintf(p, sizeof p, "%s/" RP_STAGE_DIR, dir);
    if (n < 0 || (size_t)n >= sizeof p)
        return -ENAMETOOLONG;
    return mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

void rp_stage_clear(const char *dir, const char *const *staged, size_t n)
{
    char p[4300];
    for (size_t i = 0; i < n; i++) {
        if (!staged[i] || !staged[i][0])
            continue;
        remove(staged[i]);
        if ((size_t)snprintf(p, sizeof p, "%s.tmp", staged[i]) < sizeof p)
            remove(p);
    }
    if ((size_t)snprintf(p, sizeof p, "%s/" RP_STAGE_DIR, dir) < sizeof p)
        rmdir(p);   /* ENOTEMPTY: something not ours, kept */
}
