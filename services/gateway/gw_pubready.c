/*  gw_pubready: the kpi-aggregator's own account of its totals (gw_pubready.h). */
#include "gw_pubready.h"

#include <inttypes.h>
#include <stdio.h>

bool gw_pubready_beat(gw_pubready_t *p, uint64_t epoch, bool has_incarnation,
                      uint64_t incarnation, uint64_t now)
{
    uint64_t inc = has_incarnation ? incarnation : 0;
    bool restart = p->have_beat && (epoch != p->epoch || inc != p->incarnation);
    p->have_beat = true;
    p->epoch = epoch;
    p->incarnation = inc;
    if (restart)
        p->restart_at = now ? now : 1;
    return restart;
}

/* Why the totals of the reply's aggregator are partial; "" when they are not. Only a reply
 * that says "not ready" counts, and only for a reason that makes figures wrong: a producer
 * silent for a while (ready false, nothing to catch up) leaves the totals as they were. */
static void s_judge(const Mvoi__HealthReply *h, char *why, size_t len)
{
    why[0] = '\0';
    if (!h->has_ready || h->ready)
        return;
    for (size_t i = 0; i < h->n_inbox; i++) {
        const Mvoi__InboxLag *l = h->inbox[i];
        const char *prod = l->producer && *l->producer ? l->producer : "a producer";
        if (l->rebuilding)
            snprintf(why, len, "the kpi-aggregator is rebuilding its totals (from %s)", prod);
        else if (l->has_epoch && l->epoch == 0)
            snprintf(why, len, "the kpi-aggregator has counted nothing from %s yet (a new "
                     "store): its totals are incomplete", prod);
        else if (l->head_seq > l->last_seq)
            snprintf(why, len, "the kpi-aggregator is catching up with %s (%" PRIu64
                     " events behind)", prod, l->head_seq - l->last_seq);
        if (why[0])
            return;
    }
}

void gw_pubready_health(gw_pubready_t *p, const Mvoi__HealthReply *h, uint64_t now)
{
    s_judge(h, p->why, sizeof p->why);
    p->health_at = now ? now : 1;
    p->health_has_epoch = h->has_epoch;
    p->health_epoch = h->epoch;
}

const char *gw_pubready_hold(const gw_pubready_t *p)
{
    if (p->restart_at &&
        (p->health_at <= p->restart_at || (p->health_has_epoch && p->health_epoch != p->epoch)))
        return "the kpi-aggregator restarted: waiting for its account of its totals";
    return p->why[0] ? p->why : NULL;
}
