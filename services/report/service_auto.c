/*  service_auto: the reports due by the calendar. Every auto_check_ms (and at start) each
 *  buyer of auto_buyers gets the quarterly report of every quarter that has ended and has no
 *  report yet, and after a fourth quarter the annual one; a long outage skips nothing (the
 *  scan starts at the latest recorded quarter). */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "rp_ask.h"
#include "rp_store.h"
#include "service_int.h"

static bool s_done(rp_service_t *self, const char *buyer, uint32_t y, uint32_t q)
{
    char key[256];
    rp_period_key(key, sizeof key, buyer, y, q);
    uint8_t *v = NULL;
    size_t len = 0;
    if (rp_store_get(self->store, "periods", key, strlen(key), &v, &len) == 0) {
        free(v);
        return true;
    }
    return false;
}

static bool s_queued(rp_service_t *self, const char *buyer, uint32_t y, uint32_t q)
{
    for (rp_job_t *j = self->queue; j; j = j->next)
        if (j->automatic && j->year == y && j->quarter == q && strcmp(j->buyer, buyer) == 0)
            return true;
    return false;
}

/* The first quarter to consider: the latest recorded one (its annual report may still be
 * missing), so a long outage skips nothing; on a fresh store just the quarter that ended
 * last. */
static uint32_t s_first_idx(rp_service_t *self, const char *buyer, uint32_t last_idx)
{
    for (uint32_t i = last_idx; i > 0 && last_idx - i < 40; i--)
        if (s_done(self, buyer, i / 4, i % 4 + 1))
            return i;
    return last_idx;
}

int rp_auto_buyer_next(const char **cursor, char *buf, size_t cap)
{
    const char *p = *cursor;
    p += strspn(p, ", ");
    size_t n = strcspn(p, ", ");
    *cursor = p + n;
    if (n == 0)
        return 0;
    if (n >= cap) {
        /* never cut: "gemeente-zuid-limb" would be another buyer's (or nobody's) report */
        snprintf(buf, cap, "%.*s", (int)(cap - 1), p);
        return -ENAMETOOLONG;
    }
    memcpy(buf, p, n);
    buf[n] = 0;
    return (int)n;
}

/* One buyer's due reports: every ended quarter from its first unrecorded one, and the
 * annual report after a fourth quarter. */
static void s_due(rp_service_t *self, const char *b, uint32_t last, uint32_t formats)
{
    for (uint32_t i = s_first_idx(self, b, last); i <= last; i++) {
        uint32_t y = i / 4, q = i % 4 + 1;
        if (!s_done(self, b, y, q) && !s_queued(self, b, y, q))
            /* no requester: a refusal only reaches the log, in English */
            rp_service_enqueue(self, b, y, q, formats, self->o.lang, TEXT_EN, NULL, true,
                               NULL, 0);
        if (q == 4 && !s_done(self, b, y, 0) && !s_queued(self, b, y, 0))
            rp_service_enqueue(self, b, y, 0, formats, self->o.lang, TEXT_EN, NULL, true,
                               NULL, 0);
    }
}

void rp_service_auto_check(rp_service_t *self)
{
    if (!self->o.auto_enabled || self->stopping)
        return;
    uint32_t cy, cq;
    rp_ams_quarter(clock_now_ms(), &cy, &cq);
    uint32_t cur = cy * 4 + (cq - 1);
    uint32_t last = cur - 1;   /* the last quarter that has ended */
    /* every format; PDF only with a chromium to print it */
    uint32_t formats = RP_ASK_ALL_FORMATS;
    if (!self->o.chromium || !*self->o.chromium)
        formats &= ~(1u << MVOI__REPORT_FORMAT__FMT_PDF);
    /* The list is read in place, a buyer at a time: copied into a 1024-byte buffer, a
     * longer list (about 80 buyers) had lost its last buyers without a word and cut the
     * one at the edge into another name. */
    const char *cursor = self->o.auto_buyers ? self->o.auto_buyers : "";
    char b[MVOI_ID_BUYER_MAX + 1];
    int n;
    while ((n = rp_auto_buyer_next(&cursor, b, sizeof b)) != 0) {
        if (n < 0) {
            log_warn("auto_buyer_refused", "auto_buyers: '%s...' is longer than a buyer id "
                     "(%d bytes); it gets no automatic report", b, MVOI_ID_BUYER_MAX);
            continue;
        }
        /* as a request for it would be ("not served here"): a typo's reports, empty,
         * had been made every quarter */
        if (!mvoi_buyers_accepts(self->o.buyers, b)) {
            log_warn("auto_buyer_refused", "auto_buyers: %s is not in the buyer registry "
                     "(MVOI_BUYERS_FILE); it gets no automatic report", b);
            continue;
        }
        s_due(self, b, last, formats);
    }
}
