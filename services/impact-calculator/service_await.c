/*  service_await: a measurement's unknown tender is refused as "not known to the calendar"
 *  only once the calendar has said so.
 *
 *  The calendar acknowledges a new tender before its event reaches us: a measurement sent
 *  right after (`mvoictl tender add` then `measure add`, an import script) can come first,
 *  while the feed counts as caught up with the calendar's last heartbeat. "Not known" then
 *  was a wrong final answer, stored under the request id, for a tender the calendar had
 *  confirmed. So a request naming a tender we do not know is refused as a retry (nothing
 *  written, no reply stored) and the feed asks the calendar (feed_sync); its retry with the
 *  same request id, once that answer is applied, gets the final answer: accepted if the
 *  tender came in, "not known" if it did not. The client's wait is one round trip to the
 *  calendar.
 *
 *  Requests waiting so are remembered by a hash of buyer and request id in a small table
 *  indexed by that hash: a request whose slot another took is asked about once more, which
 *  costs a round trip and is never wrong.
 */
#include <string.h>

#include "service_int.h"

#include "mvoi_error.h"

static uint64_t s_key(const char *buyer, const char *rid)
{
    uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a 64 */
    for (const char *p = buyer;; p++) {
        h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;   /* the '\0' separates the two */
        if (!*p)
            break;
    }
    for (const char *p = rid; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    return h ? h : 1;   /* 0 marks a free slot */
}

/* True when an unknown tender is a final answer for this request: a sync with the calendar
 * asked after the request was first seen has been applied. Else false, and one is asked. */
static bool s_final(impact_svc_t *self, server_req_t *req, const char *buyer)
{
    const char *rid = server_request(req)->request_id;
    uint64_t key = s_key(buyer, rid ? rid : "");
    impact_await_t *slot = &self->await[key % IMPACT_AWAIT_SLOTS];
    if (slot->key == key)   /* asked already (a lost answer is asked again by the feed) */
        return feed_synced(self->feed, slot->token);
    slot->key = key;
    slot->token = feed_sync(self->feed);
    return false;
}

int impact_svc_tenders_known(impact_svc_t *self, server_req_t *req, MDB_txn *txn,
                             const char *buyer, const char *field,
                             const Mvoi__SubmitMeasurements *sm)
{
    bool current = impact_svc_calendar_current(self);
    for (size_t i = 0; i < sm->n_measurements; i++) {
        const Mvoi__Measurement *m = sm->measurements[i];
        if (!m->tender_id || !*m->tender_id)
            continue;
        int rc = 0;
        const Mvoi__Tender *t = impact_tcache_get(self->tcache, txn, self->tenders, buyer,
                                                  m->tender_id, &rc);
        char f[160];
        snprintf(f, sizeof f, "%s[%zu].tender_id", field, i);
        if (rc == MVOI_E_UNDECODABLE)   /* no retry mends it: named, never "not known yet" */
            return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INTERNAL, f,
                                     "%s: the stored tender '%.64s' does not decode; its "
                                     "measurements are refused until it is repaired",
                                     mvoi_errname(rc), m->tender_id);
        if (rc != 0)
            return rc;
        if (t)
            continue;
        if (current && s_final(self, req, buyer))
            return 0;   /* each unknown tender is refused by its item */
        if (!current)
            return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, f,
                                     "tender '%.64s' is unknown and the calendar is not "
                                     "reachable (or not caught up): retry later with the "
                                     "same request id", m->tender_id);
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, f,
                                 "tender '%.64s' is not known yet; the calendar is asked "
                                 "whether it was just registered: retry in a moment with the "
                                 "same request id", m->tender_id);
    }
    return 0;
}
