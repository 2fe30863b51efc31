/*  The kpi-aggregator after an OS crash, with real processes (calendar, impact-calculator,
 *  kpi-aggregator; the producers durable, the aggregator's store flushed only by its
 *  periodic checkpoint and at an orderly stop).
 *
 *  os_crash_rebuilds_exact_totals: 60 tenders, 12,000 measurements of all kinds with
 *  corrections and withdrawals (seeded; E2E_SEED to replay). While the first half streams
 *  in, the aggregator's data.mdb is read at two random moments t1 < t2. Then the machine
 *  "crashes": the aggregator is killed (-9) and its data.mdb replaced by what an OS crash
 *  under MDB_NOSYNC can leave behind: the pages as of t1 with the two meta pages as of t2
 *  (the kernel wrote back a later commit's meta page but not all of its data pages), and
 *  the boot id in its marker is another one (the reboot). After the restart the second
 *  half is sent. Then every total of a snapshot, and the state of a Clone follower that
 *  followed the stream live since before the crash, equal the closed form (e2e.c, kpi_check.c:
 *  independent arithmetic): nothing lost, nothing counted twice, no follower stays wrong.
 *  The aggregator's epoch changed (it started anew: its followers must reset).
 *  Then a kill -9 without a reboot: the store is kept (same epoch), totals still exact.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "e2e.h"
#include "kpi_check.h"

#define TENDERS 60
#define MEASUREMENTS 12000
#define BATCH 100
#define META_BYTES 8192   /* LMDB's two meta pages (4 KiB pages) */

static unsigned char *s_slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0, "cannot open %s", path);
    off_t size = lseek(fd, 0, SEEK_END);
    unsigned char *buf = malloc((size_t)size + 1);
    cr_assert_not_null(buf);
    ssize_t n = pread(fd, buf, (size_t)size, 0);
    close(fd);
    cr_assert_eq(n, size, "short read of %s", path);
    *len = (size_t)size;
    return buf;
}

static void s_write(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0, "cannot write %s", path);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

typedef struct {
    e2e_fleet_t *f;
    clone_t *follower;
    size_t at[2];             /* acks after which data.mdb is read */
    int taken;
    unsigned char *copy[2];
    size_t len[2];
} crash_t;

/* Between acknowledgements: the follower keeps up, and the two copies are taken. */
static int s_hook(void *arg, size_t acked)
{
    crash_t *c = arg;
    if (clone_pump(c->follower, 10000) == 1)
        clone_snapshot(c->follower, 10000);
    while (c->taken < 2 && acked >= c->at[c->taken]) {
        char path[256];
        snprintf(path, sizeof path, "%s/kpi-aggregator/data.mdb", c->f->dir);
        c->copy[c->taken] = s_slurp(path, &c->len[c->taken]);
        c->taken++;
    }
    return 0;
}

/* Pump the follower until it has applied everything up to the aggregator's head. */
static void s_follow(e2e_fleet_t *f, clone_t *c)
{
    int64_t end = h_now_ms() + 30000;
    while (h_now_ms() < end) {
        zmq_pollitem_t it = { clone_sub(c), 0, ZMQ_POLLIN, 0 };
        zmq_poll(&it, 1, 100);
        if (clone_pump(c, 10000) == 1)
            clone_snapshot(c, 10000);
        uint64_t head = e2e_head(f->kapi, 2000);
        if (head && clone_seq(c) == head)
            return;
    }
    cr_assert_fail("the follower did not reach the aggregator's head");
}

static void s_expect_exact(kmap_t *state, kmap_t *exp, const char *who)
{
    size_t bad = 0, missing = 0;
    size_t n = kpi_compare(state, exp, 8, &bad, &missing);
    cr_log_info("%s: %zu totals compared, %zu expected", who, n, exp->n);
    cr_assert_eq(bad, 0, "%s: %zu totals differ from the closed form", who, bad);
    cr_assert_eq(missing, 0, "%s: %zu expected totals missing", who, missing);
}

static uint64_t s_epoch(void *zctx, e2e_fleet_t *f)
{
    clone_t *c = clone_new(zctx, f->kapi, NULL);
    int rc = -1;
    for (int i = 0; i < 5 && rc != 0; i++)
        rc = clone_snapshot(c, 10000);
    cr_assert_eq(rc, 0);
    uint64_t e = clone_epoch(c);
    clone_destroy(&c);
    return e;
}

static void s_snapshot_exact(void *zctx, e2e_fleet_t *f, kmap_t *exp, const char *who)
{
    clone_t *c = clone_new(zctx, f->kapi, NULL);
    int rc = -1;
    for (int i = 0; i < 5 && rc != 0; i++)
        rc = clone_snapshot(c, 10000);
    cr_assert_eq(rc, 0, "snapshot failed: %d", rc);
    s_expect_exact(clone_state(c), exp, who);
    clone_destroy(&c);
}

/* The disk after an OS crash under MDB_NOSYNC: data pages of t1, meta pages of t2. */
static void s_crash_disk(e2e_fleet_t *f, crash_t *c)
{
    char path[256];
    snprintf(path, sizeof path, "%s/kpi-aggregator/data.mdb", f->dir);
    cr_assert_geq(c->len[0], META_BYTES);
    cr_assert_geq(c->len[1], META_BYTES);
    memcpy(c->copy[0], c->copy[1], META_BYTES);
    s_write(path, c->copy[0], c->len[0]);
    /* the reboot: the kernel's boot id is another one now */
    snprintf(path, sizeof path, "%s/kpi-aggregator/kpi.unsynced", f->dir);
    s_write(path, "00000000-0000-4000-8000-000000000000\n1\n", 39);
}

Test(kpi_oscrash, os_crash_rebuilds_exact_totals, .timeout = 240)
{
    const char *se = getenv("E2E_SEED");
    uint64_t seed = se ? strtoull(se, NULL, 0) : (uint64_t)h_now_ms();
    cr_log_info("seed %llu (E2E_SEED=%llu to replay)", (unsigned long long)seed,
                (unsigned long long)seed);
    e2e_wl_t *w = e2e_wl_new(seed, TENDERS, MEASUREMENTS, BATCH);
    e2e_fleet_t f;
    e2e_fleet_init(&f, false);
    cr_assert_eq(e2e_fleet_up(&f, 10000), 0, "services did not come up (logs in %s)", f.dir);
    void *zctx = zmq_ctx_new();
    char err[512] = "";
    e2e_sender_t *cal = e2e_sender_new(zctx, f.capi, 64, 5000);
    int rc = e2e_sender_run(cal, w, 0, w->first_meas_req, NULL, NULL, 20000, err, sizeof err);
    cr_assert_eq(rc, 0, "registering tenders: %s", err);
    cr_assert_eq(e2e_wait_impact_knows_calendar(&f, 20000), 0);

    /* a follower since before the crash */
    crash_t c = { .f = &f, .follower = clone_new(zctx, f.kapi, f.kpub) };
    usleep(200000);
    cr_assert_eq(clone_snapshot(c.follower, 10000), 0);
    uint64_t epoch0 = clone_epoch(c.follower);

    /* first half, with the two copies at random moments */
    size_t nmreq = w->first_cancel_req - w->first_meas_req, half = nmreq / 2;
    srand((unsigned)seed);
    c.at[0] = 1 + (size_t)rand() % (half / 2);
    c.at[1] = c.at[0] + 1 + (size_t)rand() % (half - c.at[0] - 1);
    cr_log_info("copies after %zu and %zu of %zu acknowledged requests", c.at[0], c.at[1],
                half);
    e2e_sender_t *imp = e2e_sender_new(zctx, f.iapi, 8, 5000);
    rc = e2e_sender_run(imp, w, w->first_meas_req, w->first_meas_req + half, s_hook, &c,
                        30000, err, sizeof err);
    cr_assert_eq(rc, 0, "measurements: %s (logs in %s)", err, f.dir);
    cr_assert_eq(c.taken, 2);
    cr_assert_eq(e2e_wait_kpi_caught_up(&f, 30000), 0);

    /* the OS crash, the reboot, the restart */
    h_kill9(&f.proc[E2E_KPI]);
    s_crash_disk(&f, &c);
    cr_assert_eq(e2e_fleet_start(&f, E2E_KPI), 0);
    cr_assert_eq(h_wait_healthy(f.kapi, 20000), 0, "no restart after the crash (logs in %s)",
                 f.dir);

    /* the second half and the cancellations while it rebuilds */
    rc = e2e_sender_run(imp, w, w->first_meas_req + half, w->first_cancel_req, s_hook, &c,
                        30000, err, sizeof err);
    cr_assert_eq(rc, 0, "measurements after the crash: %s", err);
    rc = e2e_sender_run(cal, w, w->first_cancel_req, w->nreq, NULL, NULL, 20000, err,
                        sizeof err);
    cr_assert_eq(rc, 0, "cancelling: %s", err);
    cr_assert_eq(e2e_wait_kpi_caught_up(&f, 60000), 0, "no catch-up (logs in %s)", f.dir);

    uint64_t epoch1 = s_epoch(zctx, &f);
    cr_assert_neq(epoch1, epoch0, "the aggregator kept a store an OS crash may have torn");
    wl_t *fin = e2e_wl_final(w);
    kmap_t *exp = kpi_expect(fin);
    s_snapshot_exact(zctx, &f, exp, "snapshot after the OS crash");
    s_follow(&f, c.follower);
    cr_assert_eq(clone_epoch(c.follower), epoch1, "the follower did not reset");
    s_expect_exact(clone_state(c.follower), exp, "follower since before the crash");

    /* a process crash without a reboot: the page cache holds every commit */
    cr_assert_eq(e2e_fleet_kill9_restart(&f, E2E_KPI), 0);
    cr_assert_eq(h_wait_healthy(f.kapi, 20000), 0);
    cr_assert_eq(e2e_wait_kpi_caught_up(&f, 30000), 0);
    cr_assert_eq(s_epoch(zctx, &f), epoch1, "a kill -9 started the store anew");
    s_snapshot_exact(zctx, &f, exp, "snapshot after kill -9");

    kmap_destroy(&exp);
    wl_destroy(&fin);
    free(c.copy[0]);
    free(c.copy[1]);
    clone_destroy(&c.follower);
    e2e_sender_destroy(&imp);
    e2e_sender_destroy(&cal);
    zmq_ctx_term(zctx);
    e2e_fleet_fini(&f, false);
    e2e_wl_destroy(&w);
}
