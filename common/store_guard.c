/*  store_guard: the directory lock and the checks before mapping (see store_guard.h). */
#include "store_guard.h"
#include "store_meta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define G_P_INVALID UINT64_MAX

static bool s_init = true;

void store_guard_set_init(bool init) { s_init = init; }
bool store_guard_init(void) { return s_init; }

static int s_path(char *buf, size_t len, const char *dir, const char *file)
{
    int n = snprintf(buf, len, "%s/%s", dir, file);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int store_guard_lock(const char *dir, int *fd, char *err, size_t errlen)
{
    char path[4096];
    *fd = -1;
    if (s_path(path, sizeof path, dir, STORE_LOCK_FILE) != 0) {
        snprintf(err, errlen, "data directory %s: path too long", dir);
        return -ENAMETOOLONG;
    }
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0) {
        int e = errno;
        snprintf(err, errlen, "data directory %s: cannot open %s: %s", dir, STORE_LOCK_FILE,
                 strerror(e));
        return -e;
    }
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            char pid[32] = "";
            ssize_t n = pread(f, pid, sizeof pid - 1, 0);
            pid[n > 0 ? n : 0] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
            snprintf(err, errlen, "data directory %s is in use by pid %s", dir,
                     pid[0] ? pid : "(unknown)");
            close(f);
            return -EBUSY;
        }
        snprintf(err, errlen, "data directory %s: cannot lock %s: %s", dir, STORE_LOCK_FILE,
                 strerror(e));
        close(f);
        return -e;
    }
    /* Ours now: record who holds it, for the next one's error. */
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)n, 0) != n) {
        /* The lock holds without the pid; a full disk must not stop a start here. */
    }
    *fd = f;
    return 0;
}


/* One meta page (store_meta.h's layout): 0, or -EUCLEAN with err set. */
static int s_meta(const uint8_t *pg, int which, const char *file, store_meta_t *m,
                  char *err, size_t errlen)
{
    int rc = store_meta_parse(pg, m);
    if (rc == -EPROTO)
        snprintf(err, errlen, "%s: meta page %d has format version %u, this build reads %u",
                 file, which, m->version, STORE_META_VERSION);
    else if (rc != 0)
        snprintf(err, errlen, "%s: meta page %d is damaged (not an LMDB meta page); restore "
                 "the latest backup", file, which);
    return rc == 0 ? 0 : -EUCLEAN;
}

/* Both meta pages sane, and the file as long as the newest one says. */
static int s_check_file(int f, uint64_t size, const char *file, char *err, size_t errlen)
{
    uint8_t pg[STORE_META_BYTES];
    if (size < sizeof pg || pread(f, pg, sizeof pg, 0) != (ssize_t)sizeof pg) {
        snprintf(err, errlen, "%s is truncated: %llu bytes, shorter than its first meta "
                 "page; restore the latest backup", file, (unsigned long long)size);
        return -EUCLEAN;
    }
    store_meta_t m[2];
    int rc = s_meta(pg, 0, file, &m[0], err, errlen);
    if (rc != 0)
        return rc;
    uint32_t psize = m[0].psize;
    if (psize < 512 || psize > 65536 || (psize & (psize - 1))) {
        snprintf(err, errlen, "%s: meta page 0 is damaged (page size %u)", file, psize);
        return -EUCLEAN;
    }
    if (size < (uint64_t)psize + sizeof pg
        || pread(f, pg, sizeof pg, psize) != (ssize_t)sizeof pg) {
        snprintf(err, errlen, "%s is truncated: %llu bytes, shorter than its two meta pages "
                 "(%u bytes each); restore the latest backup", file,
                 (unsigned long long)size, psize);
        return -EUCLEAN;
    }
    if ((rc = s_meta(pg, 1, file, &m[1], err, errlen)) != 0)
        return rc;
    int cur = m[1].txnid > m[0].txnid ? 1 : 0;   /* LMDB uses the newest transaction's */
    uint64_t last = m[cur].last_pg, need = (last + 1) * psize;
    if (last >= (UINT64_MAX / psize) - 1 || size < need) {
        snprintf(err, errlen, "%s is truncated: %llu bytes, its meta page says %llu (%llu "
                 "pages of %u); restore the latest backup", file, (unsigned long long)size,
                 (unsigned long long)need, (unsigned long long)last + 1, psize);
        return -EUCLEAN;
    }
    for (int i = 0; i < 2; i++)
        if (m[cur].roots[i] != G_P_INVALID && m[cur].roots[i] > last) {
            snprintf(err, errlen, "%s: meta page %d is damaged (root page %llu beyond the "
                     "last page %llu)", file, cur, (unsigned long long)m[cur].roots[i],
                     (unsigned long long)last);
            return -EUCLEAN;
        }
    return 0;
}

int store_guard_check(const char *dir, bool init, bool *fresh, char *err, size_t errlen)
{
    char file[4096], mark[4096];
    *fresh = false;
    if (s_path(file, sizeof file, dir, "data.mdb") != 0
        || s_path(mark, sizeof mark, dir, STORE_MARK_FILE) != 0) {
        snprintf(err, errlen, "data directory %s: path too long", dir);
        return -ENAMETOOLONG;
    }
    int f = open(file, O_RDONLY | O_CLOEXEC);
    if (f < 0) {
        int e = errno;
        if (e != ENOENT) {
            snprintf(err, errlen, "%s: %s", file, strerror(e));
            return -e;
        }
        /* The marker is written once a store opened completely: a store was here. (Not
         * lock.mdb: a first start killed before LMDB wrote its meta pages leaves that.) */
        if (!init && access(mark, F_OK) == 0) {
            snprintf(err, errlen, "%s is missing but %s held a store (%s is there); "
                     "restore the latest backup, or start with --init (MVOI_INIT=true) to "
                     "begin a new, empty store", file, dir, STORE_MARK_FILE);
            return -ENODATA;
        }
        *fresh = true;
        return 0;
    }
    struct stat st;
    int rc = 0;
    if (fstat(f, &st) != 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", file, strerror(-rc));
    } else if (st.st_size == 0) {
        if (!init && access(mark, F_OK) == 0) {
            snprintf(err, errlen, "%s is empty (0 bytes); restore the latest backup, or "
                     "start with --init (MVOI_INIT=true) to begin a new, empty store", file);
            rc = -ENODATA;
        } else {
            *fresh = true;
        }
    } else {
        rc = s_check_file(f, (uint64_t)st.st_size, file, err, errlen);
    }
    close(f);
    return rc;
}

int store_guard_mark(const char *dir)
{
    char path[4096];
    if (s_path(path, sizeof path, dir, STORE_MARK_FILE) != 0)
        return -ENAMETOOLONG;
    if (access(path, F_OK) == 0)
        return 0;
    int f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0)
        return -errno;
    static const char text[] = "an mvoi store lives here; a missing or empty data.mdb "
                               "is refused unless --init\n";
    ssize_t n = write(f, text, sizeof text - 1);
    int rc = n == (ssize_t)(sizeof text - 1) && fsync(f) == 0 ? 0 : -EIO;
    close(f);
    return rc;
}
