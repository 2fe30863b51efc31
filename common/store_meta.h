/*  store_meta: which of data.mdb's two snapshots LMDB opens, decided before mdb_env_open.
 *
 *  LMDB keeps two meta pages and opens the one with the higher transaction id. A store in
 *  WAL mode commits its checkpoints without a flush and confirms them once their flush
 *  returned (store_wal.h, the header's `confirmed`). After an OS crash in between, the
 *  newest meta page may be on the device while pages it points to are not; the snapshot
 *  before it is whole (LMDB reuses a snapshot's pages only two transactions later, and the
 *  next checkpoint waits for the confirmation), and the log holds every record since it.
 *  LMDB 0.9.24 has no way to open the previous snapshot (MDB_PREVSNAPSHOT came later), so
 *  the newest meta page is overwritten with the confirmed one: the state LMDB itself
 *  leaves after creating a file (two equal meta pages); its next commit writes that page.
 *
 *  The meta page layout is LMDB 0.9's (lmdb/mdb.c: a 16-byte page header, then MDB_meta);
 *  it is checked (page flag, magic, version, page size, the two transaction ids) before a
 *  byte is written, and anything unexpected is left alone.
 */
#ifndef MVOI_STORE_META_H
#define MVOI_STORE_META_H

#include <stdbool.h>
#include <stdint.h>

/* The bytes of a meta page that are read: the page header and MDB_meta. */
#define STORE_META_BYTES (16 + 136)
#define STORE_META_VERSION 1u

typedef struct {
    uint64_t txnid, last_pg;
    uint64_t roots[2];      /* the free db's and the main db's root page */
    uint32_t psize;         /* the page size (LMDB keeps it in the free db's md_pad) */
    uint32_t version;
} store_meta_t;

/* One meta page's first STORE_META_BYTES: 0; -EUCLEAN: not an LMDB meta page; -EPROTO:
 * another format version (m->version says which). */
int store_meta_parse(const uint8_t *pg, store_meta_t *m);

/* The two meta pages' transaction ids of <dir>/data.mdb (newest, other). -ENOENT: no
 * file; -EUCLEAN: they do not have LMDB 0.9's layout; -errno. */
int store_meta_txnids(const char *dir, uint64_t *newest, uint64_t *other);

/* If the newest snapshot is confirmed + 1 and the other one is `confirmed`, make LMDB open
 * the confirmed one (flushed before returning) and set *fell_back. Else change nothing.
 * *newest: the newest transaction id found. Errors as store_meta_txnids. */
int store_meta_fallback(const char *dir, uint64_t confirmed, uint64_t *newest,
                        bool *fell_back);

#endif
