/*  gw_settle: POST /api/measurements right after its tender was registered.
 *
 *  The impact-calculator learns a tender from the calendar's feed. A measurement sent right
 *  after POST /api/tenders can reach it first: the calculator then refuses the whole request
 *  as a retry (ERR_UNAVAILABLE on submit_measurements.measurements[i].tender_id, nothing
 *  stored) and asks the calendar; the same request sent again with the same request id,
 *  once that answer is in, gets the final answer: 201, or the item's not-found when the
 *  calendar does not hold the tender. The calculator knows the retry by buyer and request id
 *  only, so every send of one HTTP request carries the same id: "gw:" + the client's
 *  Idempotency-Key, else one made here for the request. A fresh id per send would be a new
 *  request each time, refused as a retry for ever: a 503 where the client should get its
 *  201 or its 404.
 *
 *  Sent again after 5 ms, the pause doubling up to 200 ms, until upstream_timeout_ms after
 *  the first send; past it (the calendar away or behind) the refusal is the answer: 503
 *  with Retry-After and the calculator's reason in the request's language. Between sends
 *  the connection waits suspended on the gateway's wait list (gw_wait_rerun), which a closed
 *  connection (gw_wait_forget) or a stopping gateway (gw_wait_stop) empties; during a send
 *  it is an ordinary upstream request (forgotten when the connection closes).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "gw_internal.h"

#define GW_SETTLE_FIRST_MS 5
#define GW_SETTLE_MAX_MS 200
#define GW_SETTLE_DEFAULT_MS 5000   /* upstream_timeout_ms's default */

/* An id no other request sends: not another gateway's, not one of an earlier start, not one
 * gw_upstream makes ("gw-<ms>-<n>"): the calculator would answer it with that request's
 * stored reply. */
static void s_make_id(gw_req_t *r)
{
    static uint64_t n;
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
        v = (uint64_t)clock_mono_ns() ^ ((uint64_t)(uintptr_t)r << 16) ^ ++n;
    snprintf(r->rid, sizeof r->rid, "gw-%" PRIx64 "-s%016" PRIx64, (uint64_t)clock_now_ms(),
             v);
}

void gw_settle_begin(gw_req_t *r, const char **id)
{
    if (!r->settle) {   /* the first run of the handler: the bound starts with the first send */
        uint32_t t = r->gw->o.upstream_timeout_ms ? r->gw->o.upstream_timeout_ms
                                                  : GW_SETTLE_DEFAULT_MS;
        r->settle = true;
        r->settle_deadline = uv_now(r->gw->loop) + t;
        r->settle_pause_ms = GW_SETTLE_FIRST_MS;
    }
    if (!*id) {
        if (!r->rid[0])
            s_make_id(r);
        *id = r->rid;
    }
}

/* The calculator's "tender not known yet, retry with the same request id". */
static bool s_not_known_yet(const Mvoi__Error *e)
{
    static const char tail[] = ".tender_id";
    if (!e->has_code || e->code != MVOI__ERROR_CODE__ERR_UNAVAILABLE || !e->field)
        return false;
    size_t n = strlen(e->field);
    return n > sizeof tail - 1 && strcmp(e->field + n - (sizeof tail - 1), tail) == 0;
}

bool gw_settle_again(gw_req_t *r, const Mvoi__Error *e)
{
    if (!r->settle || !s_not_known_yet(e))
        return false;
    uint64_t now = uv_now(r->gw->loop);
    if (now < r->settle_deadline) {
        uint32_t pause = r->settle_pause_ms;
        if (pause > r->settle_deadline - now)
            pause = (uint32_t)(r->settle_deadline - now);
        if (gw_wait_rerun(r, pause) == 0) {
            r->settle_pause_ms = r->settle_pause_ms * 2 > GW_SETTLE_MAX_MS
                                     ? GW_SETTLE_MAX_MS : r->settle_pause_ms * 2;
            r->gw->settle_resends++;
            return true;
        }
    }
    r->gw->settle_gave_up++;
    r->retry_after = 1;   /* the calendar is away or behind: the client asks again later */
    /* "retry with the same request id" means nothing to a client that gave none */
    r->settle_gave_up = r->rid[0] != 0;
    return false;
}
