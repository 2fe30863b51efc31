/* A feed's rebuild by buyer (common/feed_rebuild_buyer.c): a snapshot larger than
 * snapshot_max as a whole, of two buyers that use the SAME item ids and each fit, rebuilds;
 * a rebuild stopped after the first buyer's transaction resumes at the next start and ends
 * exact; one buyer larger than the bound fails by name and loses nothing. In-process: the
 * real server (snapshot stream) and the real feed on one loop, two LMDB stores. The
 * consumer is a small one of the test's own: per buyer a record per item id ("rec",
 * buyer '\0' id -> value) and a sum ("tot", buyer -> sum), forgotten through its records as
 * the kpi-aggregator does. Every expected figure is the test's own arithmetic. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "feed.h"
#include "inbox.h"
#include "mvoi_error.h"
#include "outbox.h"
#include "server.h"
#include "store.h"
#include "unit_tmp.h"

#define B_API "inproc://test-rbbuyer-api"
#define B_PUB "inproc://test-rbbuyer-pub"
#define B_STALL_MS 150
#define B_MAXITEMS 2000

/* The producer's state, in its store's order (buyer first): buyer, id, value. */
typedef struct {
    const char *buyer;
    char id[16];
    uint64_t value;
} b_item_t;

static struct {
    char pdir[64], cdir[64];
    uv_loop_t loop;
    bus_ctx_t *ctx;
    store_t *pstore, *cstore;
    outbox_t *ob;
    server_t *srv;
    inbox_t *inbox;
    feed_t *feed;
    MDB_dbi rec, tot;
    b_item_t items[B_MAXITEMS];
    int nitems;
    const char *fail_buyer;   /* reset_buyer of this buyer fails once (a stop mid-rebuild) */
    bool lost_once;           /* the next snapshot has an item the feed cannot take */
    int whole_resets;
} B;

/* ---------------------------------------------------------------- the producer */

static int s_snapshot(void *arg, server_req_t *req, MDB_txn *txn, const char *prefix)
{
    (void)arg;
    (void)txn;
    (void)prefix;
    for (int i = 0; i < B.nitems; i++) {
        Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
        te.has_n = true;
        te.n = B.items[i].value;
        Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
        env.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
        env.test_event = &te;
        env.buyer = (char *)B.items[i].buyer;
        char topic[32];
        snprintf(topic, sizeof topic, "test.%s", B.items[i].id);
        int rc = server_snapshot_emit(req, topic, &env);
        if (rc < 0)
            return rc;
        /* one more of this buyer, counted by the server, whose topic the feed drops
         * (FEED_TOPIC_MAX): an item lost on the way */
        if (B.lost_once && i + 1 < B.nitems && strcmp(B.items[i + 1].buyer, env.buyer)) {
            B.lost_once = false;
            char lost[200];
            memset(lost, 'x', sizeof lost - 1);
            lost[sizeof lost - 1] = 0;
            if ((rc = server_snapshot_emit(req, lost, &env)) < 0)
                return rc;
        }
    }
    return 0;
}

/* n items m-1..m-n of buyer, value = i * mult, in the producer's order */
static void s_add_items(const char *buyer, int n, uint64_t mult)
{
    for (int i = 1; i <= n; i++) {
        cr_assert_lt(B.nitems, B_MAXITEMS);
        b_item_t *it = &B.items[B.nitems++];
        it->buyer = buyer;
        snprintf(it->id, sizeof it->id, "m-%d", i);
        it->value = (uint64_t)i * mult;
    }
}

/* What the snapshot weighs as the feed holds it (two 4-byte lengths, topic, envelope), per
 * buyer or whole (buyer NULL). */
static size_t s_wire_bytes(const char *buyer)
{
    size_t sum = 0;
    for (int i = 0; i < B.nitems; i++) {
        if (buyer && strcmp(buyer, B.items[i].buyer) != 0)
            continue;
        Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
        te.has_n = true;
        te.n = B.items[i].value;
        Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
        env.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
        env.test_event = &te;
        env.buyer = (char *)B.items[i].buyer;
        env.request_id = "rebuild-1";
        sum += 8 + 5 + strlen(B.items[i].id) + mvoi__envelope__get_packed_size(&env);
    }
    return sum;
}

/* ---------------------------------------------------------------- the consumer */

static size_t s_key(uint8_t *kb, const char *buyer, const char *id)
{
    size_t lb = strlen(buyer), li = strlen(id);
    memcpy(kb, buyer, lb + 1);
    memcpy(kb + lb + 1, id, li);
    return lb + 1 + li;
}

static int s_tot_add(MDB_txn *txn, const char *buyer, int64_t d)
{
    MDB_val k = { strlen(buyer), (void *)buyer }, v;
    int64_t t = 0;
    int rc = mdb_get(txn, B.tot, &k, &v);
    if (rc == 0)
        memcpy(&t, v.mv_data, sizeof t);
    else if (rc != MDB_NOTFOUND)
        return rc;
    t += d;
    v.mv_size = sizeof t;
    v.mv_data = &t;
    return store_put(txn, B.tot, &k, &v, 0);
}

/* Upsert one item: take its old value off the sum, add the new one. */
static int s_put(MDB_txn *txn, const char *buyer, const char *id, uint64_t value)
{
    uint8_t kb[256];
    MDB_val k = { s_key(kb, buyer, id), kb }, v;
    int64_t old = 0;
    int rc = mdb_get(txn, B.rec, &k, &v);
    if (rc == 0)
        memcpy(&old, v.mv_data, sizeof old);
    else if (rc != MDB_NOTFOUND)
        return rc;
    int64_t nv = (int64_t)value;
    v.mv_size = sizeof nv;
    v.mv_data = &nv;
    if ((rc = store_put(txn, B.rec, &k, &v, 0)) != 0)
        return rc;
    return s_tot_add(txn, buyer, nv - old);
}

static int s_apply(void *arg, MDB_txn *txn, const char *topic, const Mvoi__Envelope *ev)
{
    (void)arg;
    cr_assert_eq(ev->body_case, MVOI__ENVELOPE__BODY_TEST_EVENT);
    cr_assert(ev->buyer && *ev->buyer);
    cr_assert_eq(strncmp(topic, "test.", 5), 0);
    return s_put(txn, ev->buyer, topic + 5, ev->test_event->n);
}

/* Forget one buyer through its records (prefix "buyer\0"), or every buyer (NULL). */
static int s_forget(MDB_txn *txn, const char *buyer)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, B.rec, &c);
    if (rc != 0)
        return rc;
    size_t pl = buyer ? strlen(buyer) + 1 : 0;
    MDB_val k = { pl, (void *)buyer }, v;
    rc = mdb_cursor_get(c, &k, &v, buyer ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == 0 && (!buyer || (k.mv_size >= pl && memcmp(k.mv_data, buyer, pl) == 0))) {
        int64_t old;
        memcpy(&old, v.mv_data, sizeof old);
        const char *by = k.mv_data;   /* NUL-terminated by the key's own separator */
        if ((rc = s_tot_add(txn, by, -old)) != 0 || (rc = store_cursor_del(c, 0)) != 0)
            break;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

static int s_reset(void *arg, MDB_txn *txn, const char *producer, uint64_t old_epoch,
                   uint64_t new_epoch)
{
    (void)arg;
    (void)producer;
    (void)old_epoch;
    (void)new_epoch;
    B.whole_resets++;
    return s_forget(txn, NULL);
}

static int s_reset_buyer(void *arg, MDB_txn *txn, const char *producer, const char *buyer)
{
    (void)arg;
    (void)producer;
    if (B.fail_buyer && strcmp(buyer, B.fail_buyer) == 0) {
        B.fail_buyer = NULL;
        return -EIO;
    }
    return s_forget(txn, buyer);
}

static int s_next_buyer(void *arg, MDB_txn *txn, const char *producer, const char *after,
                        char *buf, size_t cap)
{
    (void)arg;
    (void)producer;
    uint8_t sk[256];
    size_t la = after ? strlen(after) : 0;
    memcpy(sk, after ? after : "", la);
    sk[la] = 1;   /* past every key of `after` */
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, B.rec, &c);
    if (rc != 0)
        return rc;
    MDB_val k = { la + 1, sk }, v;
    rc = mdb_cursor_get(c, &k, &v, after ? MDB_SET_RANGE : MDB_FIRST);
    if (rc == 0)
        snprintf(buf, cap, "%s", (const char *)k.mv_data);
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? -ENOENT : rc;
}

/* ---------------------------------------------------------------- harness */

static uint64_t s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool s_run_until(bool (*cond)(void), int timeout_ms)
{
    uint64_t end = s_ms() + (uint64_t)timeout_ms;
    while (!cond() && s_ms() < end)
        uv_run(&B.loop, UV_RUN_NOWAIT);
    return cond();
}

static bus_opts_t s_bo;

static void s_feed_start(size_t snapshot_max)
{
    feed_opts_t fo = { .producer = "rbb", .pub_endpoint = B_PUB, .api_endpoint = B_API,
                       .apply = s_apply, .reset = s_reset, .reset_buyer = s_reset_buyer,
                       .next_buyer = s_next_buyer, .arg = &B, .stall_ms = B_STALL_MS,
                       .snapshot_prefix = "test.", .snapshot_max = snapshot_max,
                       .bus_opts = &s_bo };
    int err = 0;
    B.feed = feed_new(&B.loop, B.ctx, B.cstore, B.inbox, &fo, &err);
    cr_assert_not_null(B.feed, "feed_new: %s", mvoi_strerror(err));
}

static void s_start(void)
{
    memset(&B, 0, sizeof B);
    ut_tmpdir(B.pdir, sizeof B.pdir, "rbbuyer-p");
    ut_tmpdir(B.cdir, sizeof B.cdir, "rbbuyer-c");
    cr_assert_eq(uv_loop_init(&B.loop), 0);
    B.ctx = bus_ctx_new();
    int err = 0;
    static const char *const pdbs[] = { OUTBOX_DBS, SERVER_DBS, NULL };
    store_opts_t po = { .path = B.pdir, .dbs = pdbs, .nosync = true };
    B.pstore = store_new(&po, &err);
    cr_assert_not_null(B.pstore, "store_new: %s", mvoi_strerror(err));
    B.ob = outbox_new(B.pstore, "rbb", &err);
    cr_assert_not_null(B.ob);
    bus_opts_default(&s_bo);
    s_bo.linger_ms = 0;
    server_opts_t so = { .name = "rbb", .api_endpoint = B_API, .pub_endpoint = B_PUB,
                         .store = B.pstore, .outbox = B.ob, .snapshot = s_snapshot,
                         .heartbeat_ms = 0, .bus_opts = &s_bo };
    B.srv = server_new(&B.loop, B.ctx, &so, &err);
    cr_assert_not_null(B.srv, "server_new: %s", mvoi_strerror(err));
    static const char *const cdbs[] = { INBOX_DBS, "rec", "tot", NULL };
    store_opts_t co = { .path = B.cdir, .dbs = cdbs, .nosync = true };
    B.cstore = store_new(&co, &err);
    cr_assert_not_null(B.cstore, "store_new: %s", mvoi_strerror(err));
    B.rec = store_dbi(B.cstore, "rec");
    B.tot = store_dbi(B.cstore, "tot");
    B.inbox = inbox_new(B.cstore, &err);
    cr_assert_not_null(B.inbox);
}

static void s_stop(void)
{
    feed_destroy(&B.feed);
    server_destroy(&B.srv);
    uv_run(&B.loop, UV_RUN_NOWAIT);
    bus_ctx_destroy(&B.ctx);
    uv_run(&B.loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&B.loop), 0);
    inbox_destroy(&B.inbox);
    outbox_destroy(&B.ob);
    store_destroy(&B.cstore);
    store_destroy(&B.pstore);
    ut_tmpdir_remove(B.pdir);
    ut_tmpdir_remove(B.cdir);
}

/* The consumer's state before the rebuild: history the producer no longer has. */
typedef struct {
    const char *buyer, *id;
    uint64_t value;
} b_seed_t;

static const b_seed_t *s_seeds;

static int s_seed_txn(MDB_txn *txn, void *arg)
{
    (void)arg;
    for (const b_seed_t *s = s_seeds; s->buyer; s++) {
        int rc = s_put(txn, s->buyer, s->id, s->value);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void s_seed(const b_seed_t *seeds)
{
    s_seeds = seeds;
    cr_assert_eq(store_write(B.cstore, s_seed_txn, NULL), 0);
}

typedef struct {
    const char *buyer;
    int64_t tot;
    int found, nrec;
} b_read_t;

static int s_read_txn(MDB_txn *txn, void *arg)
{
    b_read_t *r = arg;
    MDB_val k = { strlen(r->buyer), (void *)r->buyer }, v;
    int rc = mdb_get(txn, B.tot, &k, &v);
    r->found = rc == 0;
    r->tot = 0;
    if (rc == 0)
        memcpy(&r->tot, v.mv_data, sizeof r->tot);
    MDB_cursor *c;
    cr_assert_eq(mdb_cursor_open(txn, B.rec, &c), 0);
    size_t pl = strlen(r->buyer) + 1;
    MDB_val pk = { pl, (void *)r->buyer };
    r->nrec = 0;
    for (rc = mdb_cursor_get(c, &pk, &v, MDB_SET_RANGE);
         rc == 0 && pk.mv_size >= pl && memcmp(pk.mv_data, r->buyer, pl) == 0;
         rc = mdb_cursor_get(c, &pk, &v, MDB_NEXT))
        r->nrec++;
    mdb_cursor_close(c);
    return 0;
}

/* The buyer's sum (0 when it holds nothing) and its number of records. */
static int64_t s_tot(const char *buyer, int *nrec)
{
    b_read_t r = { .buyer = buyer };
    cr_assert_eq(store_read(B.cstore, s_read_txn, &r), 0);
    if (nrec)
        *nrec = r.nrec;
    return r.tot;
}

static bool s_caught_up(void) { return feed_caught_up(B.feed); }
static bool s_rebuilt(void)
{
    feed_stats_t st;
    feed_stats(B.feed, &st);
    return st.rebuilds > 0 && !feed_rebuilding(B.feed) && feed_caught_up(B.feed);
}
static bool s_failed_once(void)
{
    feed_stats_t st;
    feed_stats(B.feed, &st);
    return st.rebuild_failures > 0;
}

/* 1 + 2 + ... + n */
static int64_t s_tri(int64_t n) { return n * (n + 1) / 2; }

#define N_ITEMS 300

/* heerlen and venlo both hold m-1..m-300; almere (before both) and zwolle (after both) are
 * held by the consumer but no longer by the producer. */
static const b_seed_t s_old[] = {
    { "almere", "m-1", 5 }, { "heerlen", "m-1", 77 }, { "heerlen", "m-999", 3 },
    { "venlo", "m-2", 11 }, { "zwolle", "m-7", 13 }, { NULL, NULL, 0 },
};

static void s_assert_exact(void)
{
    int n = 0;
    cr_assert_eq(s_tot("heerlen", &n), s_tri(N_ITEMS), "heerlen %lld",
                 (long long)s_tot("heerlen", NULL));
    cr_assert_eq(n, N_ITEMS);
    cr_assert_eq(s_tot("venlo", &n), 1000 * s_tri(N_ITEMS));
    cr_assert_eq(n, N_ITEMS);
    cr_assert_eq(s_tot("almere", &n), 0, "a buyer the snapshot no longer has is forgotten");
    cr_assert_eq(n, 0);
    cr_assert_eq(s_tot("zwolle", &n), 0);
    cr_assert_eq(n, 0);
    cr_assert_eq(inbox_rebuild_marked(B.inbox, NULL, "rbb", NULL), 0, "the mark is gone");
}

Test(feed_rebuild_buyer, a_snapshot_larger_than_the_bound_rebuilds_buyer_by_buyer)
{
    s_start();
    s_add_items("heerlen", N_ITEMS, 1);
    s_add_items("venlo", N_ITEMS, 1000);
    size_t whole = s_wire_bytes(NULL), per = s_wire_bytes("venlo");
    size_t bound = whole * 7 / 10;
    cr_assert_gt(whole, bound, "the whole snapshot does not fit");
    cr_assert_lt(per, bound, "each buyer fits");
    s_feed_start(bound);
    cr_assert(s_run_until(s_caught_up, 3000), "the feed did not start");
    s_seed(s_old);
    cr_assert_eq(s_tot("heerlen", NULL), 80);
    cr_assert_eq(feed_rebuild(B.feed, FEED_REBUILD_REQUESTED), 0);
    cr_assert(s_run_until(s_rebuilt, 5000), "the rebuild did not finish");
    s_assert_exact();
    cr_assert_eq(B.whole_resets, 0, "nothing was forgotten whole");
    feed_stats_t st;
    feed_stats(B.feed, &st);
    cr_assert_eq(st.rebuild_failures, 0);
    s_stop();
}

Test(feed_rebuild_buyer, a_rebuild_stopped_after_the_first_buyer_resumes_at_the_next_start)
{
    s_start();
    s_add_items("heerlen", N_ITEMS, 1);
    s_add_items("venlo", N_ITEMS, 1000);
    s_feed_start(0);
    cr_assert(s_run_until(s_caught_up, 3000), "the feed did not start");
    s_seed(s_old);
    uint64_t epoch0 = 0, last0 = 0;
    cr_assert_eq(inbox_get(B.inbox, NULL, "rbb", &epoch0, &last0), 0);
    B.fail_buyer = "venlo";   /* its transaction fails: the service stops right there */
    cr_assert_eq(feed_rebuild(B.feed, FEED_REBUILD_REQUESTED), 0);
    cr_assert(s_run_until(s_failed_once, 5000), "the rebuild did not stop at venlo");
    feed_destroy(&B.feed);
    /* In between: heerlen stands at the snapshot (almere, before it, is gone), venlo and
     * zwolle at the old history, the cursor did not move, and the mark says so. */
    cr_assert_eq(s_tot("heerlen", NULL), s_tri(N_ITEMS));
    cr_assert_eq(s_tot("almere", NULL), 0);
    cr_assert_eq(s_tot("venlo", NULL), 11);
    cr_assert_eq(s_tot("zwolle", NULL), 13);
    uint64_t epoch1 = 0, last1 = 0;
    cr_assert_eq(inbox_get(B.inbox, NULL, "rbb", &epoch1, &last1), 0);
    cr_assert_eq(epoch1, epoch0);
    cr_assert_eq(last1, last0);
    uint32_t reason = 0;
    cr_assert_eq(inbox_rebuild_marked(B.inbox, NULL, "rbb", &reason), 1);
    cr_assert_eq(reason, FEED_REBUILD_REQUESTED);
    /* The next start resumes by itself (no feed_rebuild call) and ends exact: heerlen,
     * done before, is forgotten and applied again, not added twice. */
    s_feed_start(0);
    cr_assert(feed_rebuilding(B.feed), "the start did not resume the rebuild");
    cr_assert(s_run_until(s_rebuilt, 5000), "the resumed rebuild did not finish");
    s_assert_exact();
    s_stop();
}

Test(feed_rebuild_buyer, one_buyer_larger_than_the_bound_fails_by_name_and_loses_nothing)
{
    s_start();
    s_add_items("heerlen", 20, 1);
    s_add_items("venlo", N_ITEMS, 1000);
    size_t bound = s_wire_bytes("venlo") / 2;
    cr_assert_gt(bound, s_wire_bytes("heerlen"));
    s_feed_start(bound);
    cr_assert(s_run_until(s_caught_up, 3000), "the feed did not start");
    s_seed(s_old);
    cr_assert_eq(feed_rebuild(B.feed, FEED_REBUILD_REQUESTED), 0);
    cr_assert(s_run_until(s_failed_once, 5000), "no failure said");
    cr_assert(feed_rebuilding(B.feed), "still rebuilding: not ready, asked again");
    cr_assert_not(feed_ready(B.feed, 100000));
    /* venlo keeps its old history whole; heerlen, which fits, stands at the snapshot. */
    int n = 0;
    cr_assert_eq(s_tot("venlo", &n), 11);
    cr_assert_eq(n, 1);
    cr_assert_eq(s_tot("zwolle", NULL), 13);
    cr_assert_eq(s_tot("heerlen", NULL), s_tri(20));
    cr_assert_eq(inbox_rebuild_marked(B.inbox, NULL, "rbb", NULL), 1);
    s_stop();
}

Test(feed_rebuild_buyer, a_snapshot_not_grouped_by_buyer_fails_by_name)
{
    s_start();
    s_add_items("venlo", 3, 1000);
    s_add_items("heerlen", 3, 1);   /* out of order: not a store keyed buyer-first */
    s_feed_start(0);
    cr_assert(s_run_until(s_caught_up, 3000), "the feed did not start");
    s_seed(s_old);
    cr_assert_eq(feed_rebuild(B.feed, FEED_REBUILD_REQUESTED), 0);
    cr_assert(s_run_until(s_failed_once, 5000), "no failure said");
    cr_assert(feed_rebuilding(B.feed), "not ready: the cursor does not move onto a mix");
    cr_assert_eq(inbox_rebuild_marked(B.inbox, NULL, "rbb", NULL), 1);
    s_stop();
}

/* A snapshot whose stream lacks an item the producer counted (its SnapshotEnd.count) is not
 * taken as whole: it fails by name (EBADMSG), the mark stays, and the next snapshot, whole,
 * ends exact. Before, the short one was taken: heerlen without the item, the rebuild done. */
Test(feed_rebuild_buyer, a_snapshot_short_of_its_count_fails_and_is_asked_again)
{
    s_start();
    s_add_items("heerlen", N_ITEMS, 1);
    s_add_items("venlo", N_ITEMS, 1000);
    s_feed_start(0);
    cr_assert(s_run_until(s_caught_up, 3000), "the feed did not start");
    s_seed(s_old);
    B.lost_once = true;
    cr_assert_eq(feed_rebuild(B.feed, FEED_REBUILD_REQUESTED), 0);
    cr_assert(s_run_until(s_failed_once, 5000), "the short snapshot was not refused");
    cr_assert(s_run_until(s_rebuilt, 5000), "the rebuild did not finish");
    s_assert_exact();
    feed_stats_t st;
    feed_stats(B.feed, &st);
    cr_assert_eq(st.rebuild_failures, 1);
    cr_assert_eq(st.rebuilds, 1);
    s_stop();
}
