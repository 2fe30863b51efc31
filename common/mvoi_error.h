/*  mvoi_error: the one error space of common/.
 *
 *  Every function in common/ that can fail returns 0 (or a count) on success and a negative
 *  code on failure, in one space, like libuv's:
 *
 *    -errno           a system condition (-ENOMEM, -EINVAL, -ENOSPC, -EAGAIN, ...); also the
 *                     two LMDB results that mean the same: MDB_NOTFOUND is -ENOENT and
 *                     MDB_KEYEXIST is -EEXIST;
 *    MVOI_E_*         conditions errno has no name for (below), all < MVOI_E_FIRST.
 *
 *  LMDB's own codes (MDB_*, -30799..-30780) and the positive errnos LMDB returns for system
 *  failures never leave the place where they arise: mvoi_mdb_error() converts them, so no
 *  caller has to test `rc > 0` or know lmdb.h's numbers. mvoi_strerror() and mvoi_errname()
 *  give the text for a person and a stable name for a log field ("ENOSPC",
 *  "MVOI_E_CORRUPTED").
 */
#ifndef MVOI_ERROR_H
#define MVOI_ERROR_H

/* Far below any errno (Linux stops at 133, libuv's own codes at -4095) and above LMDB's. */
#define MVOI_E_FIRST (-20000)

enum {
    MVOI_E_MAP_FULL = MVOI_E_FIRST,  /* the store's map is full: the write grows it, reruns */
    MVOI_E_MAP_RESIZED = MVOI_E_FIRST - 1,   /* another process grew the map: adopt, rerun */
    MVOI_E_CORRUPTED = MVOI_E_FIRST - 2,     /* the store's file is damaged (or LMDB panicked) */
    MVOI_E_INCOMPATIBLE = MVOI_E_FIRST - 3,  /* not a store of this LMDB version or layout */
    MVOI_E_READERS_FULL = MVOI_E_FIRST - 4,  /* every reader slot of the store is taken */
    MVOI_E_TXN_FULL = MVOI_E_FIRST - 5,      /* a transaction outgrew LMDB's fixed limits */
    MVOI_E_STORE_MISUSE = MVOI_E_FIRST - 6,  /* a bad handle, transaction or value size */
    MVOI_E_STORE = MVOI_E_FIRST - 7,         /* any other LMDB failure */
    /* A stored record that does not decode as the message it must be, or that an index
     * names and the store does not hold: its snapshot, replay, list or total would be
     * incomplete, so it is refused with this name, never skipped. */
    MVOI_E_UNDECODABLE = MVOI_E_FIRST - 8,
    /* A sum that would pass the int64 range (a KPI total): refused by name, since the
     * wrapped figure would be read as right. */
    MVOI_E_OVERFLOW = MVOI_E_FIRST - 9,
    MVOI_E_LAST = MVOI_E_OVERFLOW,
};

/* An LMDB result (0, an MDB_* code or a positive errno) in this space; a code already in
 * it (0 or negative, outside LMDB's range) is returned unchanged, so converting twice is
 * harmless. */
int mvoi_mdb_error(int rc);

/* Text for a person ("no space left on device", "the store's file is damaged"); never
 * NULL, also for codes it does not know. */
const char *mvoi_strerror(int code);
/* A stable name for logs and tests ("ENOENT", "MVOI_E_MAP_FULL"); "OK" for 0, "E?" for a
 * code it does not know. Never NULL. */
const char *mvoi_errname(int code);

#endif
