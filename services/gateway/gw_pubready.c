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

/* Why the totals of the reply's aggregator are partial; no fmt when they are not. Only a
 * reply that says "not ready" counts, and only for a reason that makes figures wrong: a
 * producer silent for a while (ready false, nothing to catch up) leaves the totals as they
 * were. The texts are the catalogue's (follow.*), said in the reader's language. */
static void s_judge(const Mvoi__HealthReply *h, textfmt_reason_t *why)
{
    textfmt_reason_set(why, NULL, NULL, 0, 0);
    if (!h->has_ready || h->ready)
        return;
    for (size_t i = 0; i < h->n_inbox; i++) {
        const Mvoi__InboxLag *l = h->inbox[i];
        const char *prod = l->producer && *l->producer ? l->producer : "?";
        if (l->rebuilding)
            textfmt_reason_set(why, "the kpi-aggregator is rebuilding its totals (from %s)",
                               prod, 0, 0);
        else if (l->has_epoch && l->epoch == 0)
            textfmt_reason_set(why, "the kpi-aggregator has counted nothing from %s yet (a "
                               "new store): its totals are incomplete", prod, 0, 0);
        else if (l->head_seq > l->last_seq)
            textfmt_reason_set(why, "the kpi-aggregator is catching up with %s (%llu events "
                               "behind)", prod, l->head_seq - l->last_seq, 0);
        if (why->fmt)
            return;
    }
}

void gw_pubready_health(gw_pubready_t *p, const Mvoi__HealthReply *h, uint64_t now)
{
    s_judge(h, &p->why);
    p->health_at = now ? now : 1;
    p->health_has_epoch = h->has_epoch;
    p->health_epoch = h->epoch;
}

const textfmt_reason_t *gw_pubready_hold(const gw_pubready_t *p)
{
    static const textfmt_reason_t restarted = {
        .fmt = "the kpi-aggregator restarted: waiting for its account of its totals" };
    if (p->restart_at &&
        (p->health_at <= p->restart_at || (p->health_has_epoch && p->health_epoch != p->epoch)))
        return &restarted;
    return p->why.fmt ? &p->why : NULL;
}
