/*  store_cpsync: a checkpoint's flush off the loop (see store_cpsync.h). */
#include "store_cpsync.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "store_pace.h"

struct store_cpsync_t {
    int data_fd;
    store_wal_t *wal;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;      /* requested, stop, and the condition */
    pthread_cond_t cond;
    uint64_t requested;
    bool stop;
    pthread_mutex_t io;      /* one flush at a time: the header's id only moves forward */
    uint64_t written;        /* the id the last successful flush put in the header */
    uint64_t confirmed;      /* atomic: read by the loop without a lock */
    int failed;              /* atomic */
    uint32_t pace_ms;        /* store_pace_writeback's budget; 0: one plain fdatasync */
    bool hurry;              /* atomic: store_cpsync_now waits, the pacer stops sleeping */
};

/* Under io: data.mdb, then the header, then the log: the header names a checkpoint only
 * once everything it points to is on the device. */
static int s_flush(store_cpsync_t *self, uint64_t txnid, bool paced)
{
    if (__atomic_load_n(&self->failed, __ATOMIC_ACQUIRE))
        return __atomic_load_n(&self->failed, __ATOMIC_ACQUIRE);
    if (txnid <= self->written)
        return 0;
    int rc = paced && self->pace_ms
                 ? store_pace_writeback(self->data_fd, self->pace_ms, &self->hurry, NULL) : 0;
    if (rc == 0)
        rc = fdatasync(self->data_fd) == 0 ? 0 : -errno;
    if (rc == 0)
        rc = store_wal_set_confirmed(self->wal, txnid);
    if (rc == 0)
        rc = store_wal_sync_lane(self->wal, STORE_WAL_LANE_CP);
    if (rc != 0) {
        __atomic_store_n(&self->failed, rc, __ATOMIC_RELEASE);
        return rc;
    }
    self->written = txnid;
    __atomic_store_n(&self->confirmed, txnid, __ATOMIC_RELEASE);
    return 0;
}

static void *s_main(void *arg)
{
    store_cpsync_t *self = arg;
    pthread_mutex_lock(&self->mu);
    for (;;) {
        while (!self->stop && self->requested <= store_cpsync_confirmed(self))
            pthread_cond_wait(&self->cond, &self->mu);
        if (self->stop)
            break;
        uint64_t want = self->requested;
        pthread_mutex_unlock(&self->mu);
        pthread_mutex_lock(&self->io);
        int rc = s_flush(self, want, true);
        pthread_mutex_unlock(&self->io);
        pthread_mutex_lock(&self->mu);
        if (rc != 0)
            self->requested = 0;   /* failed: nothing more is tried (store_cpsync.h) */
    }
    pthread_mutex_unlock(&self->mu);
    return NULL;
}

int store_cpsync_new(store_cpsync_t **out, int data_fd, store_wal_t *wal, uint64_t confirmed,
                     uint32_t pace_ms)
{
    store_cpsync_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->data_fd = data_fd;
    self->pace_ms = pace_ms;
    self->wal = wal;
    self->written = self->confirmed = self->requested = confirmed;
    pthread_mutex_init(&self->mu, NULL);
    pthread_mutex_init(&self->io, NULL);
    pthread_cond_init(&self->cond, NULL);
    int rc = pthread_create(&self->thread, NULL, s_main, self);
    if (rc != 0) {
        store_cpsync_destroy(&self);
        return -rc;
    }
    self->started = true;
    *out = self;
    return 0;
}

void store_cpsync_destroy(store_cpsync_t **self_p)
{
    store_cpsync_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    if (self->started) {
        pthread_mutex_lock(&self->mu);
        self->stop = true;
        pthread_cond_signal(&self->cond);
        pthread_mutex_unlock(&self->mu);
        pthread_join(self->thread, NULL);
    }
    pthread_cond_destroy(&self->cond);
    pthread_mutex_destroy(&self->io);
    pthread_mutex_destroy(&self->mu);
    free(self);
    *self_p = NULL;
}

void store_cpsync_request(store_cpsync_t *self, uint64_t txnid)
{
    pthread_mutex_lock(&self->mu);
    if (txnid > self->requested && !store_cpsync_failed(self)) {
        self->requested = txnid;
        pthread_cond_signal(&self->cond);
    }
    pthread_mutex_unlock(&self->mu);
}

uint64_t store_cpsync_confirmed(store_cpsync_t *self)
{
    return __atomic_load_n(&self->confirmed, __ATOMIC_ACQUIRE);
}

int store_cpsync_failed(store_cpsync_t *self)
{
    return __atomic_load_n(&self->failed, __ATOMIC_ACQUIRE);
}

int store_cpsync_now(store_cpsync_t *self, uint64_t txnid)
{
    __atomic_store_n(&self->hurry, true, __ATOMIC_RELEASE);
    pthread_mutex_lock(&self->io);
    int rc = s_flush(self, txnid, false);
    __atomic_store_n(&self->hurry, false, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&self->io);
    return rc;
}
