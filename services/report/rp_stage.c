/*  rp_stage: a request's report files, all of its formats or none (rp_stage.h). */
#define _GNU_SOURCE   /* renameat2, RENAME_EXCHANGE */
#include "rp_stage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_PATH 4200

static int s_fault_nth, s_fault_step;
static bool s_fault_crash;

void rp_stage_fault(int nth, bool crash)
{
    s_fault_nth = nth;
    s_fault_crash = crash;
    s_fault_step = 0;
}

int rp_stage_step(void)
{
    if (!s_fault_nth || ++s_fault_step != s_fault_nth)
        return 0;
    if (s_fault_crash)
        raise(SIGKILL);
    return -EIO;
}

/* <parent>/.<base>.staging of dir; 0 or -ENAMETOOLONG. */
static int s_stage_dir(char *out, size_t cap, const char *dir)
{
    const char *slash = strrchr(dir, '/');
    int plen = slash ? (int)(slash - dir) : 1;
    const char *base = slash ? slash + 1 : dir;
    int n = snprintf(out, cap, "%.*s/.%s.staging", plen, slash ? dir : ".", base);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int rp_stage_path(char *out, size_t cap, const char *dir, const char *final)
{
    char sd[S_PATH];
    if (s_stage_dir(sd, sizeof sd, dir) != 0)
        return -ENAMETOOLONG;
    const char *base = strrchr(final, '/');
    base = base ? base + 1 : final;
    int n = snprintf(out, cap, "%s/%s", sd, base);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int s_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(p);   /* what cannot go stays; the next open tries again */
    return 0;
}

static void s_rm_tree(const char *p)
{
    nftw(p, s_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

void rp_stage_clear(const char *dir)
{
    char sd[S_PATH];
    if (s_stage_dir(sd, sizeof sd, dir) == 0)
        s_rm_tree(sd);
}

int rp_stage_open(const char *dir)
{
    char sd[S_PATH];
    if (s_stage_dir(sd, sizeof sd, dir) != 0)
        return -ENAMETOOLONG;
    s_rm_tree(sd);   /* a crashed job's partial set, or the set its exchange swapped out */
    return mkdir(sd, 0755) == 0 ? 0 : -errno;
}

static int s_fsync_dir(const char *p)
{
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

/* Is name one of the request's own set (rp_stage_promote)? */
static bool s_own(const char *name, const char *const *own, size_t nown)
{
    for (size_t i = 0; i < nown; i++)
        if (own[i] && strncmp(name, own[i], strlen(own[i])) == 0)
            return true;
    return false;
}

/* The period's files outside the request's own set (the other language's report, a file
 * not ours), hard-linked into the staging directory so that they stay. Hidden names (a
 * staging directory of the code before) and ".tmp" files are no report's and stay behind;
 * so do the files of the request's own set that it did not write this time. */
static int s_carry_over(const char *dir, const char *sd, const char *const *own, size_t nown)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    int sfd = open(sd, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = sfd < 0 ? -errno : 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        struct stat st;
        if (e->d_name[0] == '.' || (n > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0) ||
            s_own(e->d_name, own, nown) ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (fstatat(sfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            continue;   /* written by this request */
        if ((rc = rp_stage_step()) == 0 && linkat(dirfd(d), e->d_name, sfd, e->d_name, 0) != 0)
            rc = -errno;
    }
    if (sfd >= 0)
        close(sfd);
    closedir(d);
    return rc;
}

int rp_stage_promote(const char *dir, const char *const *own, size_t nown)
{
    char sd[S_PATH], parent[S_PATH];
    int rc = s_stage_dir(sd, sizeof sd, dir);
    if (rc == 0)
        rc = s_carry_over(dir, sd, own, nown);
    if (rc == 0)
        rc = s_fsync_dir(sd);   /* the links are durable before they are the set */
    if (rc == 0)
        rc = rp_stage_step();
    /* the one step that makes the set the period's: before it the earlier set, after it
     * the new one, for every reader and across a crash */
    if (rc == 0 && renameat2(AT_FDCWD, sd, AT_FDCWD, dir, RENAME_EXCHANGE) != 0)
        rc = errno == ENOENT && rename(sd, dir) == 0 ? 0 : -errno;
    if (rc != 0)
        return rc;
    snprintf(parent, sizeof parent, "%s", dir);   /* fits: sd, longer, did */
    char *slash = strrchr(parent, '/');
    if (slash)
        *slash = 0;
    rc = s_fsync_dir(slash ? parent : ".");   /* the exchange is durable */
    if (rp_stage_step() == 0)
        s_rm_tree(sd);   /* the earlier set, now under the staging name */
    return rc;
}
