/*  store_map: the map's size, and the writable map of the stores that may have one.
 *
 *  A store in WAL mode (the impact-calculator) or without flushes (the derived
 *  kpi-aggregator) is opened MDB_WRITEMAP: a transaction's pages are written in the map as
 *  it goes, so a commit writes no pages, only the meta page. Without it LMDB copies every
 *  dirty page out at commit, and the WAL's checkpoint (a second of records) held the loop
 *  about 1 ms doing that, which every request arriving meanwhile waited for (docs/latency.md,
 *  fourteenth session). Neither store relies on what MDB_WRITEMAP gives up, the order of
 *  data before meta on the device: WAL mode opens the last *confirmed* snapshot after an OS
 *  crash and replays the log (store_meta.h), the derived store is rebuilt (kpi_recover.h).
 *  The durable stores (calendar, notifier) keep LMDB's write order and stay without it.
 *
 *  A written map page of a sparse file needs a block when the kernel takes the fault: on a
 *  full disk that is SIGBUS, not an error. So every byte of the map is reserved
 *  (posix_fallocate) before LMDB maps it: at open and before each growth. A disk without the
 *  room refuses the reservation with ENOSPC, named like any other full disk (store.h), and
 *  the map stays as it was. (A copy-on-write filesystem, btrfs or ZFS, may still need new
 *  blocks to overwrite reserved ones: mvoi's data directories belong on ext4 or xfs.) */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

bool store__writemap_for(bool wal, bool nosync) { return wal || nosync; }

size_t store__writemap_size(const char *dir, size_t want)
{
    char p[4096];
    struct stat st;
    if ((size_t)snprintf(p, sizeof p, "%s/data.mdb", dir) >= sizeof p || stat(p, &st) != 0)
        return want;
    return st.st_size > 0 && (size_t)st.st_size > want ? (size_t)st.st_size : want;
}

/* Reserve [0, size) of data.mdb. On failure the file keeps the size it had (a partial
 * allocation may have grown it), and the positive errno is returned. */
static int s_reserve(store_t *self, size_t had, size_t size)
{
    int fd;
    if (mdb_env_get_fd(self->env, &fd) != 0)
        return EBADF;
    int e = posix_fallocate(fd, 0, (off_t)size);
    if (e == 0)
        return 0;
    if (had && ftruncate(fd, (off_t)had) != 0) {
        /* Nothing more to do: the next reservation tries again from this size. */
    }
    return e;
}

int store__map_reserve(store_t *self)
{
    if (!self->writemap)
        return 0;
    MDB_envinfo info;
    int rc = mdb_env_info(self->env, &info);
    if (rc != 0)
        return store__map_error(self, "env_info", rc);
    int e = s_reserve(self, 0, info.me_mapsize);
    return e ? -e : 0;
}

/* Double the map, up to map_max. Only called with no transaction active in this process. */
int store__grow(store_t *self, bool *at_limit)
{
    *at_limit = false;
    MDB_envinfo info;
    int rc = mdb_env_info(self->env, &info);
    if (rc != 0)
        return store__map_error(self, "env_info", rc);
    size_t cur = info.me_mapsize;
    if (cur >= self->map_max) {
        *at_limit = true;
        return -ENOSPC;   /* named by the caller's storage_map_limit line */
    }
    size_t next = cur > self->map_max / 2 ? self->map_max : cur * 2;
    int e = self->writemap ? s_reserve(self, cur, next) : 0;
    if (e != 0)
        return -e;   /* the disk's refusal: the caller starts the storage backoff */
    rc = mdb_env_set_mapsize(self->env, next);
    if (rc != 0)
        return store__map_error(self, "set_mapsize", rc);
    self->grows++;
    return 0;
}

int store__adopt_map(store_t *self)
{
    int rc = mdb_env_set_mapsize(self->env, 0);
    if (rc != 0)
        return store__map_error(self, "set_mapsize(0)", rc);
    return store__map_reserve(self);
}

/* mdb_env_sync on a writable map is an msync of the whole map, which would race a growth's
 * remap on the loop; fdatasync on the file writes the same pages (Linux tracks pages dirtied
 * through a shared map in the page cache) and reads no map state. */
int store__sync_data(store_t *self)
{
    if (!self->writemap)
        return mdb_env_sync(self->env, 1);
    int fd;
    if (mdb_env_get_fd(self->env, &fd) != 0)
        return EBADF;
    return fdatasync(fd) == 0 ? 0 : errno;
}
