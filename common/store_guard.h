/*  store_guard: what is checked before an LMDB environment is mapped.
 *
 *  - One process per data directory: an exclusive flock(2) on <dir>/mvoi.lock, held for
 *    the process lifetime, with the holder's pid written into the file so that the error
 *    can name it. LMDB itself allows several processes on one environment, but our
 *    services keep in-memory mirrors of their state (the outbox's next seq), so a second
 *    writer would corrupt the stream instead of failing.
 *  - The file is sane before it is mapped: a data.mdb shorter than its meta page says
 *    makes LMDB fault (SIGBUS) on the first page past the end; damaged meta pages are
 *    named before LMDB says "Input/output error".
 *  - A service directory that held a complete store (marker mvoi.store) whose data.mdb is
 *    now missing or empty is refused unless
 *    the operator asked for a new store (--init / MVOI_INIT): LMDB would silently create
 *    a new, empty store and every consumer would reset to a new epoch.
 *
 *  Nothing here writes data.mdb; the checks only read it.
 */
#ifndef MVOI_STORE_GUARD_H
#define MVOI_STORE_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#define STORE_LOCK_FILE "mvoi.lock"
#define STORE_MARK_FILE "mvoi.store"   /* written once a store opened completely */

/* Take the directory's lock. Returns 0 and the open descriptor in *fd (close it to
 * release), -EBUSY when another process holds it (err names its pid), or -errno. */
int store_guard_lock(const char *dir, int *fd, char *err, size_t errlen);

/* Check <dir>/data.mdb before LMDB maps it. Returns 0 (sane, or a new store may be
 * created: *fresh says which), -EUCLEAN (truncated or damaged meta pages), -ENODATA
 * (missing or empty in a directory that held a store, and init is false), or -errno;
 * err explains. */
int store_guard_check(const char *dir, bool init, bool *fresh, char *err, size_t errlen);

/* Record that a complete store lives in dir (idempotent): from then on a missing or empty
 * data.mdb there is refused. A first start that dies before this creates anew. */
int store_guard_mark(const char *dir);

/* The process's answer to "may a missing store be created?" (set by service_init from
 * --init or MVOI_INIT; unit tests and tools that always create leave it true). */
void store_guard_set_init(bool init);
bool store_guard_init(void);

#endif
