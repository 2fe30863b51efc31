/*  store_meta: which snapshot LMDB opens (see store_meta.h). */
#include "store_meta.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if MDB_VERSION_MAJOR != 0 || MDB_VERSION_MINOR != 9
#error "store_meta reads LMDB 0.9's meta page layout: check it against this LMDB version"
#endif
_Static_assert(sizeof(size_t) == 8 && sizeof(void *) == 8, "the layout below is LP64's");

/* lmdb/mdb.c, 0.9: MDB_page header 16 bytes (pgno u64, pad u16, flags u16, lower/upper
 * u16); MDB_meta: magic u32, version u32, address ptr, mapsize size_t, two MDB_db of 48
 * bytes (free db, main db; the first one's md_pad holds the page size; md_root is an
 * MDB_db's last field), last_pg u64, txnid u64. Read as bytes: no struct padding matters. */
#define S_HDR 16
#define S_FLAGS 10
#define S_P_META 0x08
#define S_MAGIC 0xBEEFC0DEu
#define S_META_SIZE 136
#define S_PSIZE (S_HDR + 24)
#define S_FREE_ROOT (S_HDR + 24 + 40)
#define S_MAIN_ROOT (S_HDR + 24 + 48 + 40)
#define S_LAST_PG (S_HDR + 120)
#define S_TXNID (S_HDR + 128)

typedef struct {
    uint8_t b[STORE_META_BYTES];
} s_page_t;

static uint32_t s_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t s_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

int store_meta_parse(const uint8_t *pg, store_meta_t *m)
{
    uint16_t flags;
    memcpy(&flags, pg + S_FLAGS, 2);
    memset(m, 0, sizeof *m);
    if (!(flags & S_P_META) || s_u32(pg + S_HDR) != S_MAGIC)
        return -EUCLEAN;
    m->version = s_u32(pg + S_HDR + 4);
    if (m->version != STORE_META_VERSION)
        return -EPROTO;
    m->txnid = s_u64(pg + S_TXNID);
    m->last_pg = s_u64(pg + S_LAST_PG);
    m->roots[0] = s_u64(pg + S_FREE_ROOT);
    m->roots[1] = s_u64(pg + S_MAIN_ROOT);
    m->psize = s_u32(pg + S_PSIZE);
    return 0;
}

static int s_read(int fd, s_page_t *p, off_t at, store_meta_t *m)
{
    ssize_t n = pread(fd, p->b, sizeof p->b, at);
    if (n < 0)
        return -errno;
    if (n != (ssize_t)sizeof p->b)
        return -EUCLEAN;
    return store_meta_parse(p->b, m) == 0 ? 0 : -EUCLEAN;
}

/* Both meta pages of the open file, and the page size (where page 1 is). */
static int s_metas(int fd, s_page_t p[2], store_meta_t m[2])
{
    int rc = s_read(fd, &p[0], 0, &m[0]);
    if (rc != 0)
        return rc;
    uint32_t ps = m[0].psize;
    if (ps < 512 || ps > 65536 || (ps & (ps - 1)))
        return -EUCLEAN;
    return s_read(fd, &p[1], ps, &m[1]);
}

static int s_open(const char *dir, int flags)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return -ENAMETOOLONG;
    int fd = open(path, flags | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

int store_meta_txnids(const char *dir, uint64_t *newest, uint64_t *other)
{
    int fd = s_open(dir, O_RDONLY);
    if (fd < 0)
        return fd;
    s_page_t p[2];
    store_meta_t m[2];
    int rc = s_metas(fd, p, m);
    close(fd);
    if (rc != 0)
        return rc;
    uint64_t a = m[0].txnid, b = m[1].txnid;
    *newest = a > b ? a : b;
    *other = a > b ? b : a;
    return 0;
}

int store_meta_fallback(const char *dir, uint64_t confirmed, uint64_t *newest,
                        bool *fell_back)
{
    *fell_back = false;
    *newest = 0;
    int fd = s_open(dir, O_RDWR);
    if (fd < 0)
        return fd;
    s_page_t p[2];
    store_meta_t m[2];
    int rc = s_metas(fd, p, m);
    if (rc == 0) {
        uint64_t t[2] = { m[0].txnid, m[1].txnid };
        int top = t[1] > t[0];
        *newest = t[top];
        /* A transaction id's parity names its page: t % 2 is where commit t wrote. */
        if (t[top] == confirmed + 1 && t[!top] == confirmed && (t[top] & 1) == (uint64_t)top) {
            off_t at = (off_t)top * m[0].psize + S_HDR;
            ssize_t n = pwrite(fd, p[!top].b + S_HDR, S_META_SIZE, at);
            if (n != S_META_SIZE)
                rc = n < 0 ? -errno : -EIO;
            else if (fdatasync(fd) != 0)
                rc = -errno;
            else
                *fell_back = true;
        }
    }
    close(fd);
    return rc;
}
