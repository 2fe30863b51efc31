/*  gw_wait: read your own writes over HTTP (docs/design.md#read-your-writes).
 *
 *  GET /api/kpi?after_seq=N[&after_incarnation=I][&after_producer=impact|calendar]
 *  [&wait_ms=M] answers once the totals it serves include event N of that producer (a
 *  command's reply carries N and I: the `seq` and `incarnation` of POST /api/measurements;
 *  with I, N is a position in the history of that start of the producer, and a producer
 *  put back to an older copy is not taken for one that has applied N). Two steps, both
 *  bounded by one deadline (wait_ms, default 5000, at most 30000):
 *
 *  1. ask the kpi-aggregator KpiQuery{after_producer, after_seq, after_incarnation}
 *     without a key until it
 *     answers Ack (not ERR_UNAVAILABLE): it has applied N, and Ack.publisher_seq is its
 *     own head in the same read transaction, so every total N changed has a seq at or
 *     below it;
 *  2. wait until the gateway's view is fresh and complete up to that head, then render.
 *
 *  Past the deadline: 504, problem type "not-applied-yet" naming after_seq, when the
 *  aggregator said "not yet" or the view is behind its head; 504 "upstream-timeout" when it
 *  never answered, 503 + Retry-After when it could not be reached. The waiters
 *  are a list checked by one timer every GW_WAIT_TICK_MS while any is waiting; a closed
 *  connection leaves the list (gw_wait_forget), a stopping gateway answers them 503.
 *
 *  The same list holds requests for a buyer whose totals are loading (gw_wait_load): the
 *  route's handler runs again once they are fresh, so a dashboard's first request is
 *  answered, not refused; after upstream_timeout_ms it is 503 + Retry-After. And requests
 *  whose handler runs again after a pause (gw_wait_rerun: a POST /api/measurements that
 *  sends its request again, gw_settle.c): one timer for all, and a closed connection or a
 *  stopping gateway takes them off the list like the others.
 */
#include "gw_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "gw_view.h"

#define GW_WAIT_DEFAULT_MS 5000
#define GW_WAIT_MAX_MS 30000
#define GW_WAIT_TICK_MS 5

struct gw_wait_t {
    gw_req_t *r;
    uint64_t after_seq;
    uint64_t after_incarnation;   /* 0: not given */
    char producer[16];
    uint64_t deadline, next_ask;
    uint32_t pause_ms;
    uint64_t target;              /* the aggregator's head once it applied after_seq */
    uint64_t target_epoch;        /* the epoch of that head (0: the aggregator did not say) */
    bool have_target, asking;
    /* what step 1 learnt: the aggregator said "not yet" (ERR_UNAVAILABLE) at least once;
     * else last_rc, the last ask's failure (-ETIMEDOUT: no answer; another: not sent or not
     * reachable). Past the deadline each is its own answer: "not applied yet" is said only
     * when the aggregator said so. */
    bool said_not_yet;
    int last_rc;
    bool load;                    /* waiting for the buyer's totals to load (gw_wait_load) */
    bool rerun;                   /* the handler runs again at next_ask (gw_wait_rerun) */
    gw_wait_t *next;
};

static uint64_t s_now(gw_t *gw) { return uv_now(gw->loop); }

static void s_unlink(gw_t *gw, gw_wait_t *w)
{
    for (gw_wait_t **p = &gw->waits; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            break;
        }
    if (!gw->waits && gw->wait_timer_on) {
        uv_timer_stop(&gw->wait_timer);
        gw->wait_timer_on = false;
    }
}

/* Answered: off the list, the connection resumed. */
static void s_done(gw_wait_t *w)
{
    gw_req_t *r = w->r;
    s_unlink(r->gw, w);
    r->wait = NULL;
    r->pending = false;
    free(w);
    gw_resume(r);
}

static void s_render(gw_wait_t *w)
{
    gw_req_t *r = w->r;
    gw_buf_t b = { 0 };
    const char *prefix = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "prefix");
    gw_held_t *h = gw_hold_find(r->gw->hold, r->buyer);
    if (!h || gw_view_render(gw_held_view(h), r->buyer, prefix, &b) < 0)
        gw_reply_oom(r);
    else
        gw_reply_text(r, 200, "application/json", b.data, b.len);
    gw_buf_free(&b);
    s_done(w);
}

static void s_timeout(gw_wait_t *w)
{
    if (!w->have_target && !w->said_not_yet && w->last_rc && w->last_rc != -ETIMEDOUT)
        gw_reply_unreachable(w->r);   /* 503 + Retry-After */
    else if (!w->have_target && !w->said_not_yet)
        gw_reply_problem(w->r, 504, "upstream-timeout",
                         "the kpi-aggregator did not answer in time", NULL);
    else if (w->have_target)
        gw_reply_problemf(w->r, 504, "not-applied-yet", "after_seq",
                          "the totals include %s seq %llu, but this gateway's view has not "
                          "caught up with them yet: ask again",
                          w->producer, (unsigned long long)w->after_seq);
    else
        gw_reply_problemf(w->r, 504, "not-applied-yet", "after_seq",
                          "the kpi-aggregator has not applied %s seq %llu yet: ask again",
                          w->producer, (unsigned long long)w->after_seq);
    s_done(w);
}

static void s_ask(gw_wait_t *w);

static void s_on_ack(void *arg, int rc, Mvoi__Envelope *reply)
{
    gw_wait_t *w = arg;
    gw_req_t *r = w->r;
    w->asking = false;
    r->up = NULL;
    if (rc == 0 && reply->body_case == MVOI__ENVELOPE__BODY_ACK && reply->ack) {
        w->have_target = true;
        w->target = reply->ack->publisher_seq;
        w->target_epoch = reply->ack->has_publisher_epoch ? reply->ack->publisher_epoch : 0;
    } else if (rc == 0 && reply->body_case == MVOI__ENVELOPE__BODY_ERROR && reply->error &&
               reply->error->code == MVOI__ERROR_CODE__ERR_UNAVAILABLE) {
        w->said_not_yet = true;
        w->next_ask = s_now(r->gw) + w->pause_ms;   /* not yet: ask again, growing pause */
        if (w->pause_ms < 50)
            w->pause_ms *= 2;
    } else if (rc == 0 && reply->body_case == MVOI__ENVELOPE__BODY_ERROR && reply->error) {
        /* Mapped by its code, as every service's refusal: the parameters were checked here
         * already, so what the aggregator refuses is mostly not the client's to fix (its
         * store failing is INTERNAL: 502; the gateway's key refused: 502). It was 400 on
         * after_producer whatever the code, telling the client to change a parameter that
         * was right. */
        r->up = r->gw->kpi;
        r->body_name = "kpi_query";
        gw_reply_upstream_error(r, reply->error);
        r->up = NULL;
        codec_free(&reply);
        s_done(w);
        return;
    } else {
        w->last_rc = rc ? rc : -EPROTO;
        w->next_ask = s_now(r->gw) + 50;   /* no answer: the deadline decides */
    }
    codec_free(&reply);
}

static void s_ask(gw_wait_t *w)
{
    gw_req_t *r = w->r;
    Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;
    q.after_producer = w->producer;
    q.has_after_seq = true;
    q.after_seq = w->after_seq;
    q.has_after_incarnation = w->after_incarnation != 0;
    q.after_incarnation = w->after_incarnation;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.buyer = r->buyer;
    env.lang = (char *)text_lang_name(r->lang);
    env.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
    env.kpi_query = &q;
    int rc = gw_upstream_request(r->gw->kpi, &env, s_on_ack, w, &r->up_id);
    if (rc == 0) {
        w->asking = true;
        r->up = r->gw->kpi;
    } else {
        w->last_rc = rc;
        w->next_ask = s_now(r->gw) + 50;
    }
}

/* A load waiter, at a tick: its handler runs again once the buyer is fresh. */
static void s_check_load(gw_wait_t *w)
{
    gw_req_t *r = w->r;
    /* got, not found: a waiting request keeps its buyer in use, or a load slower than the
     * idle time (idle_ms) dropped the buyer under it (503 "not held") */
    gw_held_t *h = gw_hold_get(r->gw->hold, r->buyer);
    /* fresh also needs the aggregator's heartbeat: a gateway that just started waits
     * for its first one too */
    if (h && !gw_held_fresh(h) && s_now(r->gw) < w->deadline)
        return;
    s_unlink(r->gw, w);
    r->wait = NULL;
    r->pending = false;
    free(w);
    if (h && gw_held_fresh(h)) {
        r->route->fn(r);
    } else {
        r->retry_after = GW_STALE_RETRY_AFTER_S;
        char why[320];
        gw_reply_problem(r, 503, h && !gw_held_loading(h) ? "stale" : "loading",
                         h ? gw_held_why(h, r->lang, why, sizeof why)
                           : "this buyer's totals are not held", NULL);
    }
    gw_resume(r);
}

/* A rerun waiter, at a tick: its handler runs again once its pause is over. The connection
 * stays suspended when the handler sent a request again (r->pending), else it resumes with
 * the answer the handler set. */
static void s_check_rerun(gw_wait_t *w)
{
    gw_req_t *r = w->r;
    if (s_now(r->gw) < w->next_ask)
        return;
    s_unlink(r->gw, w);
    r->wait = NULL;
    r->pending = false;
    free(w);
    r->route->fn(r);
    if (!r->pending)
        gw_resume(r);
}

/* Has h's view reached the aggregator's head w->target? Only a view of the same epoch has:
 * a wiped aggregator counts its seqs again from 1, and until the gateway's next heartbeat
 * a view of the old epoch, with its higher seqs, would pass for caught up and serve the
 * old totals as if they held the write. */
static bool s_reached(gw_held_t *h, const gw_wait_t *w)
{
    if (w->target_epoch && gw_view_epoch(gw_held_view(h)) != w->target_epoch)
        return false;
    return gw_held_head(h) >= w->target;
}

/* One waiter, at a tick: answered (removed) or still waiting. */
static void s_check(gw_wait_t *w)
{
    if (w->load) {
        s_check_load(w);
        return;
    }
    if (w->rerun) {
        s_check_rerun(w);
        return;
    }
    gw_t *gw = w->r->gw;
    uint64_t now = s_now(gw);
    gw_held_t *h = gw_hold_get(gw->hold, w->r->buyer);   /* held while it waits */
    if (w->have_target && h && gw_held_fresh(h) && s_reached(h, w)) {
        s_render(w);
    } else if (now >= w->deadline) {
        if (w->asking)
            gw_upstream_forget(gw->kpi, w->r->up_id);
        w->r->up = NULL;
        s_timeout(w);
    } else if (!w->have_target && !w->asking && now >= w->next_ask) {
        s_ask(w);
    }
}

static void s_on_tick(uv_timer_t *t)
{
    gw_t *gw = t->data;
    gw_wait_t *w = gw->waits;
    while (w) {
        gw_wait_t *next = w->next;   /* s_check may free w */
        s_check(w);
        w = next;
    }
}

static bool s_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* On the list, the timer running. */
static void s_enlist(gw_t *gw, gw_wait_t *w)
{
    w->next = gw->waits;
    gw->waits = w;
    if (!gw->wait_timer_init) {
        uv_timer_init(gw->loop, &gw->wait_timer);
        gw->wait_timer.data = gw;
        gw->wait_timer_init = true;
    }
    if (!gw->wait_timer_on) {
        uv_timer_start(&gw->wait_timer, s_on_tick, GW_WAIT_TICK_MS, GW_WAIT_TICK_MS);
        gw->wait_timer_on = true;
    }
}

void gw_wait_load(gw_req_t *r)
{
    gw_wait_t *w = calloc(1, sizeof *w);
    if (!w) {
        gw_reply_oom(r);
        return;
    }
    w->r = r;
    w->load = true;
    w->deadline = s_now(r->gw) + (r->gw->o.upstream_timeout_ms ? r->gw->o.upstream_timeout_ms
                                                                 : GW_WAIT_DEFAULT_MS);
    r->wait = w;
    r->pending = true;   /* the connection is suspended until the handler runs again */
    s_enlist(r->gw, w);
}

int gw_wait_rerun(gw_req_t *r, uint32_t delay_ms)
{
    if (r->gw->stopping)   /* the timer is closed: no new waiter */
        return -ECANCELED;
    gw_wait_t *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->r = r;
    w->rerun = true;
    w->next_ask = s_now(r->gw) + delay_ms;
    r->wait = w;
    r->pending = true;   /* the connection stays suspended until the handler runs again */
    s_enlist(r->gw, w);
    return 0;
}

void gw_wait_kpi(gw_req_t *r)
{
    gw_t *gw = r->gw;
    const char *a = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "after_seq");
    const char *p = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
                                                "after_producer");
    const char *ms = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "wait_ms");
    const char *inc = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
                                                  "after_incarnation");
    uint64_t seq = 0, wait = GW_WAIT_DEFAULT_MS, incarnation = 0;
    if (!s_u64(a, &seq) || seq == 0) {
        gw_reply_problem(r, 400, "invalid-argument", "after_seq must be a seq (1 or more)",
                         "after_seq");
        return;
    }
    if (inc && (!s_u64(inc, &incarnation) || incarnation == 0)) {
        gw_reply_problem(r, 400, "invalid-argument", "after_incarnation must be the "
                         "incarnation of the command's reply (1 or more)", "after_incarnation");
        return;
    }
    if (p && strcmp(p, "impact") != 0 && strcmp(p, "calendar") != 0) {
        gw_reply_problem(r, 400, "invalid-argument", "after_producer: impact or calendar",
                         "after_producer");
        return;
    }
    if (ms && (!s_u64(ms, &wait) || wait > GW_WAIT_MAX_MS)) {
        gw_reply_problem(r, 400, "invalid-argument", "wait_ms must be 0..30000", "wait_ms");
        return;
    }
    /* A guard, not a state: an empty KPI_API stops the start (config: not an endpoint) and
     * gw_new refuses to start without both, so no request meets it (no test can). */
    if (!gw->kpi || !gw->hold) {   /* asked again, refused again: for an operator */
        gw_reply_problem(r, 500, GW_MISCONFIGURED_SLUG, "no kpi-aggregator configured", NULL);
        return;
    }
    if (!gw_hold_get(gw->hold, r->buyer)) {   /* NULL: out of memory */
        gw_reply_oom(r);
        return;
    }
    gw_wait_t *w = calloc(1, sizeof *w);
    if (!w) {
        gw_reply_oom(r);
        return;
    }
    w->r = r;
    w->after_seq = seq;
    w->after_incarnation = incarnation;
    snprintf(w->producer, sizeof w->producer, "%s", p ? p : "impact");
    w->deadline = s_now(gw) + wait;
    w->pause_ms = 1;
    r->wait = w;
    r->pending = true;   /* the connection is suspended until s_done */
    s_enlist(gw, w);
    s_ask(w);
}

void gw_wait_forget(gw_req_t *r)
{
    gw_wait_t *w = r->wait;
    if (!w)
        return;
    if (w->asking && r->gw->kpi)
        gw_upstream_forget(r->gw->kpi, r->up_id);
    r->up = NULL;
    s_unlink(r->gw, w);
    r->wait = NULL;
    free(w);
}

void gw_wait_stop(gw_t *gw)
{
    while (gw->waits) {
        gw_wait_t *w = gw->waits;
        if (w->asking && gw->kpi)
            gw_upstream_forget(gw->kpi, w->r->up_id);
        w->r->up = NULL;
        gw_reply_unavailable(w->r, "the gateway is stopping");
        s_done(w);
    }
    if (gw->wait_timer_init && !uv_is_closing((uv_handle_t *)&gw->wait_timer)) {
        uv_timer_stop(&gw->wait_timer);
        gw->wait_timer_on = false;
        uv_close((uv_handle_t *)&gw->wait_timer, NULL);
    }
}
