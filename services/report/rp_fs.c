/*  rp_fs: the report's directories and files on disk (reports/<buyer>/<period>/). */
#define _GNU_SOURCE   /* memmem */
#include "rp_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

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

int rp_disk_commit(const char *tmp, const char *path)
{
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    int rc = fd < 0 ? -errno : 0;
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (fd >= 0)
        close(fd);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        remove(tmp);
    return rc;
}

/* Chromium does not say why it wrote no (or half a) PDF; a volume without room for a page
 * explains it, anything else is an I/O failure. */
static int s_pdf_error(const char *path)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    struct statvfs sv;
    if (statvfs(dir, &sv) == 0 && (uint64_t)sv.f_bavail * sv.f_frsize < 65536)
        return -ENOSPC;
    return -EIO;
}

int rp_disk_commit_pdf(const char *path)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "rb");
    if (!f)
        return errno == ENOENT ? s_pdf_error(path) : -errno;
    char head[5] = "", tail[64] = "";
    size_t hn = fread(head, 1, sizeof head, f);
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    size_t tn = 0;
    if (size > (long)sizeof tail && fseek(f, size - (long)sizeof tail, SEEK_SET) == 0)
        tn = fread(tail, 1, sizeof tail, f);
    fclose(f);
    /* A PDF cut short by a full disk lacks its trailer: never presented as a report. */
    bool whole = hn == 5 && memcmp(head, "%PDF-", 5) == 0 && tn == sizeof tail &&
                 memmem(tail, tn, "%%EOF", 5) != NULL;
    if (!whole) {
        remove(tmp);
        return s_pdf_error(path);
    }
    return rp_disk_commit(tmp, path);
}
