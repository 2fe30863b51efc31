/*  Stored replies expire in bounded passes: a producer keeps a week of replies (millions),
 *  keyed by request id, so finding the expired ones means reading all of them; one walk
 *  held the loop about 26 ns per stored reply. Here two buyers use the same request ids: venlo's
 *  replies are a day old (the TTL is an hour), heerlen's fresh. The sweep must remove
 *  exactly venlo's, read at most 4096 a loop turn (uv_run NOWAIT runs the due timers once,
 *  as one turn), go on where the last pass stopped (heerlen's keys sort first: a pass that
 *  started over would never reach venlo's), and keep what was stored while it ran, also
 *  under ids it had already removed. The figures are the test's own: the entries it
 *  wrote and the clock it stamped them with. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "mvoi_id.h"
#include "retention_fx.h"

#ifndef N_IDS
#define N_IDS 12000   /* -DN_IDS=500000 for the longest turn at a producer's scale */
#endif
#define WALK 4096   /* SERVER_EXPIRE_WALK */
#define REUSED 100

typedef struct {
    MDB_dbi dbi;
    const char *buyer;
    int from, to;
    uint64_t at_ms;
    int present;   /* s_count: how many of buyer's ids from..to are stored */
} s_put_t;

static size_t s_key(uint8_t *kb, const char *buyer, int i)
{
    char rid[32];
    snprintf(rid, sizeof rid, "r-%05d", i);
    size_t n = mvoi_id_key2(kb, MVOI_ID_BUYER_MAX + 1 + MVOI_ID_MAX, buyer, rid);
    cr_assert_gt(n, 0);
    return n;
}

static int s_put(MDB_txn *txn, void *arg)
{
    s_put_t *p = arg;
    for (int i = p->from; i < p->to; i++) {
        uint8_t kb[MVOI_ID_BUYER_MAX + 1 + MVOI_ID_MAX], val[40] = { 0 };
        store_be64(val, p->at_ms);   /* [be64 stored-at ms][reply], as server.c stores */
        MDB_val k = { s_key(kb, p->buyer, i), kb }, v = { sizeof val, val };
        int rc = store_put(txn, p->dbi, &k, &v, 0);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int s_count(MDB_txn *txn, void *arg)
{
    s_put_t *p = arg;
    p->present = 0;
    for (int i = p->from; i < p->to; i++) {
        uint8_t kb[MVOI_ID_BUYER_MAX + 1 + MVOI_ID_MAX];
        MDB_val k = { s_key(kb, p->buyer, i), kb }, v;
        int rc = mdb_get(txn, p->dbi, &k, &v);
        if (rc == 0)
            p->present++;
        else if (rc != MDB_NOTFOUND)
            return rc;
    }
    return 0;
}

static int s_present(store_t *store, MDB_dbi dbi, const char *buyer, int from, int to)
{
    s_put_t p = { dbi, buyer, from, to, 0, 0 };
    cr_assert_eq(store_read(store, s_count, &p), 0);
    return p.present;
}

static void s_store(store_t *store, MDB_dbi dbi, const char *buyer, int from, int to,
                    uint64_t at_ms)
{
    s_put_t p = { dbi, buyer, from, to, at_ms, 0 };
    cr_assert_eq(store_write(store, s_put, &p), 0);
}

Test(server_expire, a_sweep_goes_in_bounded_passes_and_removes_exactly_the_expired)
{
    rfx_t fx;
    rfx_open(&fx, "expire");
    store_t *store = fx.store;
    MDB_dbi dbi = store_dbi(store, "requests");
    uint64_t now = (uint64_t)clock_now_ms(), day = 24ull * 3600 * 1000;
    s_store(store, dbi, "venlo", 0, N_IDS, now - day);
    s_store(store, dbi, "heerlen", 0, N_IDS, now);
    rfx_serve(&fx, (server_opts_t){ .request_ttl_s = 3600, .maintenance_ms = 1 });

    uint64_t walked = 0, expired = 0, max_walk = 0, passes = 0;
    bool reused = false;
    int64_t t0 = clock_now_ms();
    /* the first sweep reads each of the 2 * N_IDS replies once */
    double longest = 0;
    while (walked < 2 * N_IDS && clock_now_ms() - t0 < 20000) {
        double a = rfx_now_ms();
        uv_run(&fx.loop, UV_RUN_NOWAIT);
        double turn = rfx_now_ms() - a;
        longest = turn > longest ? turn : longest;
        server_stats_t st;
        server_stats(fx.srv, &st);
        if (st.expire_walked > walked) {
            uint64_t pass = st.expire_walked - walked;
            cr_assert_leq(pass, WALK, "one loop turn read %llu stored replies",
                          (unsigned long long)pass);
            max_walk = pass > max_walk ? pass : max_walk;
            passes++;
        }
        walked = st.expire_walked;
        expired = st.expired_replies;
        if (!reused && expired > 0) {
            /* stored while the sweep runs, under ids it removed and ids still ahead */
            s_store(store, dbi, "venlo", 0, REUSED, (uint64_t)clock_now_ms());
            s_store(store, dbi, "venlo", N_IDS - REUSED, N_IDS, (uint64_t)clock_now_ms());
            reused = true;
        }
    }
    fprintf(stderr, "server_expire: %llu of %d stored replies read in %llu passes of at most "
            "%d, %llu removed, %lld ms, longest loop turn %.2f ms\n", (unsigned long long)walked,
            2 * N_IDS, (unsigned long long)passes, WALK, (unsigned long long)expired,
            (long long)(clock_now_ms() - t0), longest);
    /* venlo's old replies, less the REUSED ids ahead of the sweep, stored anew before it
     * reached them */
    cr_assert_eq(expired, N_IDS - REUSED, "%llu removed", (unsigned long long)expired);
    cr_assert_eq(max_walk, WALK);
    cr_assert_geq(passes, (2 * N_IDS + WALK - 1) / WALK);
    cr_assert_eq(s_present(store, dbi, "heerlen", 0, N_IDS), N_IDS);
    cr_assert_eq(s_present(store, dbi, "venlo", 0, REUSED), REUSED);
    cr_assert_eq(s_present(store, dbi, "venlo", REUSED, N_IDS - REUSED), 0);
    cr_assert_eq(s_present(store, dbi, "venlo", N_IDS - REUSED, N_IDS), REUSED);

    rfx_close(&fx);
}
