/*  gw_bench_cal: the benchmark's share measures from the calendar. The gateway asks the
 *  calendar for each registered buyer's tenders (ListTenders in that buyer's name, pages of
 *  1000) one buyer after another, counts them (common/bm/bm_tender.h) and hands the counts
 *  to the live benchmark set; after the last buyer it waits bench_tenders_ms and starts
 *  again. So a tender that gains an ambition moves the distribution within one round
 *  (a round costs one request per buyer and page). A buyer whose tenders the calendar
 *  refused keeps its last counts and the round goes on; a calendar that does not answer
 *  ends the round (every buyer keeps its counts), retried after at most a second.
 */
#include "gw_internal.h"

#include <errno.h>
#include <string.h>

#include "bm_tender.h"
#include "codec.h"
#include "log.h"

static void s_next(gw_t *gw);
static void s_tick(uv_timer_t *t);

/* On to the next buyer, from its first page and with nothing counted: a buyer refused
 * after its first page left its offset and the counts of its pages so far, and the next
 * buyer was asked from that offset (its own first tenders skipped) and given those counts
 * as its own. */
static void s_buyer_done(gw_bench_cal_t *c)
{
    c->next++;
    c->offset = 0;
    memset(&c->count, 0, sizeof c->count);
}

/* complete: every buyer was asked (some may have been refused: c->failed) */
static void s_round_done(gw_t *gw, bool complete)
{
    gw_bench_cal_t *c = &gw->bcal;
    c->busy = false;
    if (complete)
        c->rounds++;
    if (!complete || c->failed)
        c->errors++;
    /* a round the calendar did not answer (not up yet, at start) is retried sooner */
    uint32_t wait = complete || c->interval_ms < 1000 ? c->interval_ms : 1000;
    if (!gw->stopping && c->timer_init)
        uv_timer_start(&c->timer, s_tick, wait, 0);
}

static void s_on_reply(void *arg, int rc, Mvoi__Envelope *reply)
{
    gw_t *gw = arg;
    gw_bench_cal_t *c = &gw->bcal;
    c->pending = false;
    if (rc == -ECANCELED || gw->stopping) {
        codec_free(&reply);
        return;
    }
    const mvoi_buyer_t *b = mvoi_buyers_at(bm_registry(gw->bench), c->next);
    if (rc != 0 || !reply) {
        /* the calendar did not answer (timeout, no connection): asking the next buyer would
         * wait as long again; the round ends here and every buyer keeps its counts */
        log_warn("bench_tenders", "benchmark: calendar did not answer (%d), next round in "
                 "%u ms", rc, c->interval_ms < 1000 ? c->interval_ms : 1000);
        codec_free(&reply);
        s_round_done(gw, false);
        return;
    }
    if (reply->body_case != MVOI__ENVELOPE__BODY_TENDER_LIST
        || !reply->tender_list) {
        /* this buyer keeps its last counts; the others are still asked */
        log_warn("bench_tenders", "benchmark: tenders of %s not read%s%s", b->id,
                 reply->error ? ": " : "",
                 reply->error && reply->error->message ? reply->error->message : "");
        c->failed++;
        codec_free(&reply);
        s_buyer_done(c);
        s_next(gw);
        return;
    }
    const Mvoi__TenderList *l = reply->tender_list;
    for (size_t i = 0; i < l->n_tenders; i++)
        bm_tcount_add(&c->count, l->tenders[i]);
    uint32_t more = l->next_offset;
    codec_free(&reply);
    if (more > c->offset) {
        c->offset = more;
        s_next(gw);
        return;
    }
    int arc = bm_tcount_apply(gw->bench, b->id, &c->count);
    if (arc != 0)
        log_warn("bench_tenders", "benchmark: tender counts of %s not applied: %d", b->id, arc);
    s_buyer_done(c);
    s_next(gw);
}

/* Ask for the next page of the current buyer, or move on to the next buyer with a class. */
static void s_next(gw_t *gw)
{
    gw_bench_cal_t *c = &gw->bcal;
    const mvoi_buyers_t *reg = bm_registry(gw->bench);
    while (c->offset == 0 && c->next < mvoi_buyers_count(reg)
           && bm_class_of(mvoi_buyers_at(reg, c->next)) < 0)
        c->next++;
    if (c->next >= mvoi_buyers_count(reg)) {
        s_round_done(gw, true);
        return;
    }
    Mvoi__ListTenders q = MVOI__LIST_TENDERS__INIT;
    q.has_limit = q.has_offset = true;
    q.limit = 1000;
    q.offset = c->offset;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.buyer = (char *)mvoi_buyers_at(reg, c->next)->id;
    env.body_case = MVOI__ENVELOPE__BODY_LIST_TENDERS;
    env.list_tenders = &q;
    int rc = gw_upstream_request(gw->cal, &env, s_on_reply, gw, &c->req_id);
    if (rc != 0) {
        log_warn("bench_tenders", "benchmark: calendar not reachable (%d), next round in %u ms",
                 rc, c->interval_ms);
        s_round_done(gw, false);
        return;
    }
    c->pending = true;
}

static void s_tick(uv_timer_t *t)
{
    gw_t *gw = t->data;
    gw_bench_cal_t *c = &gw->bcal;
    if (c->busy || gw->stopping)
        return;
    c->busy = true;
    c->next = 0;
    c->offset = 0;
    c->failed = 0;
    memset(&c->count, 0, sizeof c->count);
    s_next(gw);
}

int gw_bench_cal_start(gw_t *gw, uint32_t interval_ms)
{
    gw_bench_cal_t *c = &gw->bcal;
    if (!interval_ms || !gw->bench || !gw->cal)
        return 0;
    c->interval_ms = interval_ms;
    int rc = uv_timer_init(gw->loop, &c->timer);
    if (rc != 0)
        return rc;
    c->timer.data = gw;
    c->timer_init = true;
    return uv_timer_start(&c->timer, s_tick, 0, 0);
}

void gw_bench_cal_stop(gw_t *gw)
{
    gw_bench_cal_t *c = &gw->bcal;
    if (c->pending && gw->cal)
        gw_upstream_forget(gw->cal, c->req_id);
    c->pending = false;
    if (c->timer_init && !uv_is_closing((uv_handle_t *)&c->timer)) {
        uv_timer_stop(&c->timer);
        uv_close((uv_handle_t *)&c->timer, NULL);
    }
}
