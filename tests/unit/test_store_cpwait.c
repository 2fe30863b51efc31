/*  test_store_cpwait: a checkpoint that is only due (by age or size) does not hold the
 *  writer while the previous checkpoint's flush still runs (store_walmode.c, s_put_off).
 *
 *  This file defines fdatasync for the process: a call for data.mdb (the checkpoint
 *  thread's flush, store_cpsync.c, or the writer's own when it confirms the previous
 *  checkpoint itself) waits at a gate while s_hold is set. A watchdog opens the gate after 3 s so that a writer that does wait
 *  cannot hang the test; the test records whether its write returned before the gate
 *  opened. Then the put-off checkpoint is taken once the flush ended, and a restart holds
 *  every write. */
#define _GNU_SOURCE   /* RTLD_NEXT */
#include <criterion/criterion.h>

#include <dlfcn.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "unit_tmp.h"

static volatile int s_hold, s_held, s_opened;
static sem_t s_gate;

int fdatasync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (__atomic_load_n(&s_hold, __ATOMIC_ACQUIRE) && ut_fd_is(fd, "/data.mdb")) {
        __atomic_store_n(&s_held, 1, __ATOMIC_RELEASE);
        sem_wait(&s_gate);
    }
    return real(fd);
}

static void s_open_gate(void)
{
    if (__atomic_exchange_n(&s_opened, 1, __ATOMIC_ACQ_REL))
        return;
    __atomic_store_n(&s_hold, 0, __ATOMIC_RELEASE);
    for (int i = 0; i < 8; i++)
        sem_post(&s_gate);
}

static void *s_watchdog(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300 && !__atomic_load_n(&s_opened, __ATOMIC_ACQUIRE); i++)
        usleep(10000);
    s_open_gate();
    return NULL;
}

static char s_dir[64];
static const char *const s_dbs[] = { "a", NULL };

static store_t *s_open(void)
{
    store_opts_t o = { .path = s_dir, .dbs = s_dbs, .wal = true, .wal_size = 1 << 20,
                       .wal_checkpoint_bytes = 1 << 20, .wal_checkpoint_ms = 20 };
    int err = 0;
    store_t *s = store_new(&o, &err);
    cr_assert_not_null(s, "store_new(%s): %d", s_dir, err);
    return s;
}

typedef struct {
    store_t *s;
    int i;
} put_t;

static int s_put_fn(MDB_txn *txn, void *arg)
{
    put_t *p = arg;
    char k[16];
    snprintf(k, sizeof k, "k%d", p->i);
    MDB_val key = { strlen(k), k }, val = { strlen(k), k };
    return store_put(txn, store_dbi(p->s, "a"), &key, &val, 0);
}

static void s_write(store_t *s, int i)
{
    put_t p = { s, i };
    cr_assert_eq(store_write(s, s_put_fn, &p), 0, "write %d", i);
}

static int s_count_fn(MDB_txn *txn, void *arg)
{
    MDB_stat st;
    int rc = mdb_stat(txn, store_dbi(((put_t *)arg)->s, "a"), &st);
    ((put_t *)arg)->i = (int)st.ms_entries;
    return rc;
}

Test(cpwait, a_due_checkpoint_waits_for_the_previous_flush_not_the_writer, .timeout = 30)
{
    ut_tmpdir(s_dir, sizeof s_dir, "cpwait");
    cr_assert_eq(sem_init(&s_gate, 0, 0), 0);
    store_t *s = s_open();
    __atomic_store_n(&s_hold, 1, __ATOMIC_RELEASE);
    pthread_t dog;
    cr_assert_eq(pthread_create(&dog, NULL, s_watchdog, NULL), 0);
    s_write(s, 0);
    usleep(30000);
    s_write(s, 1);   /* due by age: checkpoint 1, whose flush now waits at the gate */
    for (int i = 0; i < 200 && !__atomic_load_n(&s_held, __ATOMIC_ACQUIRE); i++)
        usleep(10000);
    bool held = __atomic_load_n(&s_held, __ATOMIC_ACQUIRE);
    s_write(s, 2);
    usleep(30000);
    s_write(s, 3);   /* k2 is due by age, the previous checkpoint not yet flushed */
    bool early = !__atomic_load_n(&s_opened, __ATOMIC_ACQUIRE);
    s_open_gate();
    pthread_join(dog, NULL);
    cr_assert(held, "the first checkpoint's flush never reached data.mdb");
    cr_assert(early, "a due checkpoint held the writer until the previous flush ended");
    usleep(30000);
    s_write(s, 4);   /* the put-off checkpoint is taken now */
    store_destroy(&s);
    s = s_open();
    put_t c = { s, 0 };
    cr_assert_eq(store_read(s, s_count_fn, &c), 0);
    cr_assert_eq(c.i, 5, "%d of 5 writes after the restart", c.i);
    store_destroy(&s);
    sem_destroy(&s_gate);
    ut_tmpdir_remove(s_dir);
}
