/*  store_wal: the write-ahead log file (see store_wal.h). */
#include "store_wal.h"
#include "store.h"
#include "vecstate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <isa-l/crc.h>

struct store_wal_t {
    int fd;
    int lane[STORE_WAL_LANES];   /* -1 until store_wal_format opens them: then fd flushes */
    int sync_err;        /* the first flush error of any lane (atomic) */
    uint64_t size;       /* the ring's size: the file's */
    uint64_t head;       /* where the next record goes (before the wrap rule) */
    uint64_t appended;   /* bytes appended since store_wal_start, gaps included */
    uint64_t released;   /* of which a confirmed checkpoint covers this many */
};

static uint64_t s_total(size_t len)
{
    return ((uint64_t)STORE_WAL_HDR + len + STORE_WAL_ALIGN - 1) / STORE_WAL_ALIGN
           * STORE_WAL_ALIGN;
}

static int s_path(char *buf, size_t cap, const char *dir)
{
    int n = snprintf(buf, cap, "%s/%s", dir, STORE_WAL_FILE);
    return n > 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

static void s_lanes_init(store_wal_t *w)
{
    for (unsigned i = 0; i < STORE_WAL_LANES; i++)
        w->lane[i] = -1;
}

static int s_lanes_open(store_wal_t *w, const char *path)
{
    for (unsigned i = 0; i < STORE_WAL_LANES; i++) {
        if (w->lane[i] >= 0)
            continue;
        if ((w->lane[i] = open(path, O_RDWR | O_CLOEXEC)) < 0)
            return -errno;
    }
    return 0;
}

int store_wal_open(const char *dir, store_wal_t **out, bool *exists)
{
    char path[PATH_MAX];
    *out = NULL;
    *exists = false;
    int rc = s_path(path, sizeof path, dir);
    if (rc != 0)
        return rc;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    struct stat st;
    store_wal_t *w = calloc(1, sizeof *w);
    if (!w || fstat(fd, &st) != 0) {
        rc = w ? -errno : -ENOMEM;
        free(w);
        close(fd);
        return rc;
    }
    w->fd = fd;
    s_lanes_init(w);
    w->size = (uint64_t)st.st_size;
    *out = w;
    *exists = true;
    return 0;
}

int store_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

/* Zeros written, not a hole or fallocate's unwritten extents: the first write into either
 * changes the file's metadata, which fdatasync would then have to journal. */
static int s_zero_fill(int fd, uint64_t from, uint64_t to)
{
    static const uint8_t zero[1 << 16];
    while (from < to) {
        size_t n = to - from < sizeof zero ? (size_t)(to - from) : sizeof zero;
        ssize_t w = pwrite(fd, zero, n, (off_t)from);
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        from += (uint64_t)w;
    }
    return 0;
}

int store_wal_format(const char *dir, store_wal_t **wp, uint64_t size)
{
    char path[PATH_MAX];
    int rc = s_path(path, sizeof path, dir);
    if (rc != 0)
        return rc;
    size = size / STORE_WAL_ALIGN * STORE_WAL_ALIGN;
    if (size < 2 * STORE_WAL_BASE)
        return -EINVAL;   /* the header block and a ring of one block at least */
    store_wal_t *w = *wp;
    if (!w) {
        if (!(w = calloc(1, sizeof *w)))
            return -ENOMEM;
        w->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (w->fd < 0) {
            rc = -errno;
            free(w);
            return rc;
        }
        s_lanes_init(w);
        *wp = w;
    }
    if ((rc = s_lanes_open(w, path)) != 0)
        return rc;
    if (w->size > size && ftruncate(w->fd, (off_t)size) != 0)
        return -errno;
    if (w->size < size && (rc = s_zero_fill(w->fd, w->size, size)) != 0)
        return rc;
    w->size = size;
    if (fsync(w->fd) != 0)
        return -errno;
    return store_fsync_dir(dir);
}

void store_wal_close(store_wal_t **wp)
{
    if (!wp || !*wp)
        return;
    for (unsigned i = 0; i < STORE_WAL_LANES; i++)
        if ((*wp)->lane[i] >= 0)
            close((*wp)->lane[i]);
    close((*wp)->fd);
    free(*wp);
    *wp = NULL;
}

uint64_t store_wal_size(store_wal_t *w) { return w->size; }
uint64_t store_wal_head(store_wal_t *w) { return w->head; }
uint64_t store_wal_live(store_wal_t *w) { return w->appended - w->released; }
uint64_t store_wal_appended(store_wal_t *w) { return w->appended; }

void store_wal_release(store_wal_t *w, uint64_t appended)
{
    if (appended > w->released && appended <= w->appended)
        w->released = appended;
}

/* CRC-32 (the gzip/zlib polynomial: Python's zlib.crc32 checks a record) by ISA-L, which
 * folds with carry-less multiplies where the CPU has them: zlib's table-driven crc32 was
 * 6.6 % of the impact-calculator's instructions per measurement, ISA-L's is 5x faster on
 * a 700-byte record and gives the same values (test_store_wal checks them with zlib).
 * Its AVX-512 variant returns with the vector registers' upper halves in use, which made
 * every SSE instruction of the next batch slower (vecstate.h): cleared after each call. */
static uint32_t s_crc32(uint32_t c, const void *p, size_t len)
{
    c = crc32_gzip_refl(c, p, len);   /* a 64-bit length */
    vecstate_clear();
    return c;
}

static uint32_t s_crc(const uint8_t *hdr, uint64_t salt, const uint8_t *p, size_t len)
{
    uint8_t s[8];
    store_be64(s, salt);
    uint32_t c = s_crc32(0, hdr, 24);
    c = s_crc32(c, s, sizeof s);
    return s_crc32(c, p, len);
}

int store_wal_confirmed(store_wal_t *w, uint64_t *txnid)
{
    uint8_t h[24];
    *txnid = 0;
    ssize_t n = pread(w->fd, h, sizeof h, 0);
    if (n < 0)
        return -errno;
    if (n != (ssize_t)sizeof h || store_get_be32(h) != STORE_WAL_HMAGIC
        || store_get_be32(h + 4) != 1
        || store_get_be32(h + 16) != s_crc32(0, h, 16))
        return -EUCLEAN;
    *txnid = store_get_be64(h + 8);
    return 0;
}

int store_wal_set_confirmed(store_wal_t *w, uint64_t txnid)
{
    uint8_t h[24] = { 0 };
    store_be32(h, STORE_WAL_HMAGIC);
    store_be32(h + 4, 1);
    store_be64(h + 8, txnid);
    store_be32(h + 16, s_crc32(0, h, 16));
    ssize_t n = pwrite(w->fd, h, sizeof h, 0);
    return n == (ssize_t)sizeof h ? 0 : n < 0 ? -errno : -EIO;
}

/* A valid record of this salt at off (lsn 0: any), within a map of `size` bytes. */
static bool s_valid(const uint8_t *map, uint64_t size, uint64_t off, uint64_t salt,
                    uint64_t lsn, uint64_t *len, uint64_t *rec_lsn, uint64_t *synced)
{
    if (off + STORE_WAL_HDR > size)
        return false;
    const uint8_t *h = map + off;
    if (store_get_be32(h) != STORE_WAL_MAGIC)
        return false;
    uint64_t n = store_get_be32(h + 4), l = store_get_be64(h + 8);
    if ((lsn && l != lsn) || off + STORE_WAL_HDR + n > size)
        return false;
    if (s_crc(h, salt, h + STORE_WAL_HDR, (size_t)n) != store_get_be32(h + 24))
        return false;
    *len = n;
    *rec_lsn = l;
    *synced = store_get_be64(h + 16);
    return true;
}

/* After the replay stopped at `missing`: is there a later record saying it was durable? */
static bool s_damaged(const uint8_t *map, uint64_t size, uint64_t salt, uint64_t missing)
{
    for (uint64_t off = STORE_WAL_BASE; off + STORE_WAL_HDR <= size; off += STORE_WAL_ALIGN) {
        uint64_t len, l, synced;
        if (store_get_be32(map + off) == STORE_WAL_MAGIC
            && s_valid(map, size, off, salt, 0, &len, &l, &synced)
            && l > missing && synced >= missing)
            return true;
    }
    return false;
}

/* The records *lsn, *lsn + 1, ... (up to last) of this salt from *off on, each to cb, by
 * the placement rule; stops at the first one not there (*lsn names it; *off: where it was
 * looked for last) or at cb's non-zero return, which it returns. */
static int s_walk(const uint8_t *map, uint64_t size, uint64_t salt, uint64_t last,
                  store_wal_cb *cb, void *arg, uint64_t *lsn, uint64_t *off)
{
    for (; *lsn <= last; (*lsn)++) {
        uint64_t len, l, synced;
        if (!s_valid(map, size, *off, salt, *lsn, &len, &l, &synced)) {
            *off = STORE_WAL_BASE;   /* the wrap rule: it did not fit before the end */
            if (!s_valid(map, size, *off, salt, *lsn, &len, &l, &synced))
                return 0;
        }
        int rc = cb(arg, *lsn, map + *off + STORE_WAL_HDR, (size_t)len);
        if (rc != 0)
            return rc;
        *off += s_total((size_t)len);
    }
    return 0;
}

/* The whole file, read-only; *off raised to where records start. NULL (errno) on failure. */
static uint8_t *s_map(store_wal_t *w, uint64_t *off)
{
    if (*off < STORE_WAL_BASE)
        *off = STORE_WAL_BASE;
    uint8_t *map = mmap(NULL, (size_t)w->size, PROT_READ, MAP_SHARED, w->fd, 0);
    return map == MAP_FAILED ? NULL : map;
}

int store_wal_replay(store_wal_t *w, uint64_t lsn, uint64_t off, uint64_t salt,
                     store_wal_cb *cb, void *arg, uint64_t *next, uint64_t *bad)
{
    *next = lsn;
    *bad = 0;
    if (w->size < STORE_WAL_BASE + STORE_WAL_HDR)
        return 0;
    uint8_t *map = s_map(w, &off);
    if (!map)
        return -errno;
    int rc = s_walk(map, w->size, salt, UINT64_MAX, cb, arg, &lsn, &off);
    *next = lsn;
    if (rc == 0 && s_damaged(map, w->size, salt, lsn)) {
        *bad = lsn;
        rc = -EUCLEAN;
    }
    munmap(map, (size_t)w->size);
    w->head = off;
    return rc;
}

int store_wal_reread(store_wal_t *w, uint64_t first, uint64_t last, uint64_t off,
                     uint64_t salt, store_wal_cb *cb, void *arg)
{
    if (first > last)
        return 0;
    uint8_t *map = s_map(w, &off);
    if (!map)
        return -errno;
    uint64_t lsn = first;
    int rc = s_walk(map, w->size, salt, last, cb, arg, &lsn, &off);
    munmap(map, (size_t)w->size);
    return rc == 0 && lsn <= last ? -EUCLEAN : rc;
}

void store_wal_start(store_wal_t *w, uint64_t off)
{
    w->head = off >= STORE_WAL_BASE && off < w->size ? off : STORE_WAL_BASE;
    w->appended = w->released = 0;
}

int store_wal_append(store_wal_t *w, uint64_t lsn, uint64_t synced, uint64_t salt,
                     const uint8_t *p, size_t len)
{
    uint64_t total = s_total(len), ring = w->size - STORE_WAL_BASE, live = store_wal_live(w);
    if (len > UINT32_MAX || total > ring)
        return -EFBIG;
    uint64_t at = w->head, gap = 0;
    if (at + total > w->size) {
        gap = w->size - at;
        at = STORE_WAL_BASE;
    }
    if (live + gap + total > ring)
        return live == 0 ? -EFBIG : -ENOSPC;
    uint8_t h[STORE_WAL_HDR] = { 0 };
    store_be32(h, STORE_WAL_MAGIC);
    store_be32(h + 4, (uint32_t)len);
    store_be64(h + 8, lsn);
    store_be64(h + 16, synced);
    store_be32(h + 24, s_crc(h, salt, p, len));
    /* Header and payload in one call: a record is one run of bytes in the page cache. */
    struct iovec iov[2] = { { h, sizeof h }, { (void *)p, len } };
    ssize_t n = pwritev(w->fd, iov, 2, (off_t)at);
    if (n < 0)
        return -errno;
    if ((size_t)n != sizeof h + len)
        return -EIO;
    w->head = at + total;
    w->appended += gap + total;
    return 0;
}

int store_wal_sync_lane(store_wal_t *w, unsigned lane)
{
    int rc = __atomic_load_n(&w->sync_err, __ATOMIC_ACQUIRE);
    if (rc != 0 || lane >= STORE_WAL_LANES)
        return rc ? rc : -EINVAL;
    int fd = w->lane[lane] >= 0 ? w->lane[lane] : w->fd;
    if (fdatasync(fd) == 0)
        return 0;
    rc = -errno;
    int none = 0;
    __atomic_compare_exchange_n(&w->sync_err, &none, rc, false, __ATOMIC_ACQ_REL,
                                __ATOMIC_ACQUIRE);
    return __atomic_load_n(&w->sync_err, __ATOMIC_ACQUIRE);
}

int store_wal_sync(store_wal_t *w) { return store_wal_sync_lane(w, 0); }

int store_wal_sync_failed(store_wal_t *w)
{
    return __atomic_load_n(&w->sync_err, __ATOMIC_ACQUIRE);
}
