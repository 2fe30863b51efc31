/*  store_guard: the directory lock and the checks before mapping (see store_guard.h). */
#include "store_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* LMDB 0.9 on-disk meta page (mdb.c: MDB_page header, MDB_meta, MDB_db), 64-bit layout:
 * a 16-byte page header, then magic, version, address, mapsize, two MDB_db of 48 bytes
 * (free db, main db), last page, txnid. Read as bytes so that no struct padding matters. */
#define G_PAGEHDR 16
#define G_P_META 0x08
#define G_MAGIC 0xBEEFC0DEu
#define G_VERSION 1u
#define G_OFF_MAGIC 0
#define G_OFF_VERSION 4
#define G_OFF_PSIZE 24            /* mm_dbs[FREE_DBI].md_pad holds the page size */
#define G_OFF_FREE_ROOT (24 + 40)
#define G_OFF_MAIN_ROOT (24 + 48 + 40)
#define G_OFF_LAST_PG 120
#define G_OFF_TXNID 128
#define G_META_END 136
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

static uint32_t s_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t s_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* One meta page: 0 and its txnid/last page, or -EUCLEAN with err set. */
static int s_meta(const uint8_t *pg, int which, const char *file, uint64_t *txnid,
                  uint64_t *last_pg, uint64_t *roots, char *err, size_t errlen)
{
    const uint8_t *m = pg + G_PAGEHDR;
    uint16_t flags;
    memcpy(&flags, pg + 10, 2);
    if (!(flags & G_P_META) || s_u32(m + G_OFF_MAGIC) != G_MAGIC) {
        snprintf(err, errlen, "%s: meta page %d is damaged (not an LMDB meta page); restore "
                 "the latest backup", file, which);
        return -EUCLEAN;
    }
    if (s_u32(m + G_OFF_VERSION) != G_VERSION) {
        snprintf(err, errlen, "%s: meta page %d has format version %u, this build reads %u",
                 file, which, s_u32(m + G_OFF_VERSION), G_VERSION);
        return -EUCLEAN;
    }
    *txnid = s_u64(m + G_OFF_TXNID);
    *last_pg = s_u64(m + G_OFF_LAST_PG);
    roots[0] = s_u64(m + G_OFF_FREE_ROOT);
    roots[1] = s_u64(m + G_OFF_MAIN_ROOT);
    return 0;
}

/* Both meta pages sane, and the file as long as the newest one says. */
static int s_check_file(int f, uint64_t size, const char *file, char *err, size_t errlen)
{
    uint8_t pg[G_PAGEHDR + G_META_END];
    if (size < sizeof pg || pread(f, pg, sizeof pg, 0) != (ssize_t)sizeof pg) {
        snprintf(err, errlen, "%s is truncated: %llu bytes, shorter than its first meta "
                 "page; restore the latest backup", file, (unsigned long long)size);
        return -EUCLEAN;
    }
    uint64_t txn[2], last[2], roots[2][2];
    int rc = s_meta(pg, 0, file, &txn[0], &last[0], roots[0], err, errlen);
    if (rc != 0)
        return rc;
    uint32_t psize = s_u32(pg + G_PAGEHDR + G_OFF_PSIZE);
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
    if ((rc = s_meta(pg, 1, file, &txn[1], &last[1], roots[1], err, errlen)) != 0)
        return rc;
    int cur = txn[1] > txn[0] ? 1 : 0;   /* LMDB uses the meta of the newest transaction */
    uint64_t need = (last[cur] + 1) * psize;
    if (last[cur] >= (UINT64_MAX / psize) - 1 || size < need) {
        snprintf(err, errlen, "%s is truncated: %llu bytes, its meta page says %llu (%llu "
                 "pages of %u); restore the latest backup", file, (unsigned long long)size,
                 (unsigned long long)need, (unsigned long long)last[cur] + 1, psize);
        return -EUCLEAN;
    }
    for (int i = 0; i < 2; i++)
        if (roots[cur][i] != G_P_INVALID && roots[cur][i] > last[cur]) {
            snprintf(err, errlen, "%s: meta page %d is damaged (root page %llu beyond the "
                     "last page %llu)", file, cur, (unsigned long long)roots[cur][i],
                     (unsigned long long)last[cur]);
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
