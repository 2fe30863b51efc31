/*  gather_ryw: a report reads its own writes (gather_int.h, docs/design.md#read-your-writes).
 */
#include <errno.h>

#include "gather_int.h"

static const char *const s_producer[2] = { "calendar", "impact" };

/* Read your own writes, for a report: every event the calendar and the impact-calculator
 * had acknowledged when the report began is in the totals it reads. Their heads first
 * (HealthRequest; the reply names the incarnation too), then the aggregator's barrier
 * (KpiQuery{after_producer, after_seq, after_incarnation}: an
 * Ack once applied, ERR_UNAVAILABLE before) asked every 20 ms for up to timeout_ms. A report
 * generated right after an import, or at a quarter's end while the aggregator was catching
 * up, had quietly left out what it had not applied yet. */
static void s_on_retry(uv_timer_t *t) { rp_gather__next(t->data); }

static void s_begin_totals(rp_gather_t *self)
{
    self->step = ST_SNAP;
    self->kpi = 1;
    self->offset = 0;
    rp_gather__next(self);
}

void rp_gather__request_head(rp_gather_t *self)
{
    int which = self->src == 0 ? S_CAL : S_IMP;
    if (self->src > 1 || !self->sock[which]) {
        self->step = ST_CATCHUP;
        self->src = 0;
        self->catchup_until = uv_now(self->loop) + (uint64_t)self->o.timeout_ms;
        rp_gather__next(self);
        return;
    }
    Mvoi__HealthRequest h = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    env.health = &h;
    rp_gather__request(self, which, &env);
}

void rp_gather__request_catchup(rp_gather_t *self)
{
    while (self->src < 2 && !self->head[self->src])
        self->src++;
    if (self->src >= 2) {
        s_begin_totals(self);
        return;
    }
    Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;
    q.after_producer = (char *)s_producer[self->src];
    q.has_after_seq = true;
    q.after_seq = self->head[self->src];
    /* The seq is of the producer's history as of its reply: an aggregator that has not
     * noticed a restore of the producer has a cursor of the lost history, past this seq,
     * and the report would count measurements the producer no longer holds. */
    q.has_after_incarnation = self->head_inc[self->src] != 0;
    q.after_incarnation = self->head_inc[self->src];
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
    env.kpi_query = &q;
    rp_gather__request(self, S_KPI, &env);
}

void rp_gather__on_head(rp_gather_t *self, const Mvoi__Envelope *env)
{
    if (env->body_case != MVOI__ENVELOPE__BODY_HEALTH_REPLY) {
        rp_gather__finish(self, -EPROTO, "%s did not say its head: %s",
                          rp_gather__upstream(self->which), rp_gather__why(env));
        return;
    }
    const Mvoi__HealthReply *h = env->health_reply;
    self->head_inc[self->src] = env->has_incarnation ? env->incarnation : 0;
    self->head[self->src++] = h->has_head_seq ? h->head_seq : 0;
    uv_timer_stop(self->timer);
    rp_gather__next(self);
}

void rp_gather__on_catchup(rp_gather_t *self, const Mvoi__Envelope *env)
{
    bool is_err = env->body_case == MVOI__ENVELOPE__BODY_ERROR;
    uv_timer_stop(self->timer);
    if (env->body_case == MVOI__ENVELOPE__BODY_ACK) {
        self->src++;
        rp_gather__next(self);
    } else if (is_err && env->error->code == MVOI__ERROR_CODE__ERR_UNAVAILABLE &&
               uv_now(self->loop) < self->catchup_until) {
        uv_timer_start(self->timer, s_on_retry, 20, 0);
    } else if (is_err && env->error->code == MVOI__ERROR_CODE__ERR_UNAVAILABLE) {
        rp_gather__finish(self, -EAGAIN, "the kpi-aggregator has not applied every %s event yet "
                          "(%s) after %d ms: a report now would leave them out; try again",
                          s_producer[self->src], env->error->message ? env->error->message : "",
                          self->o.timeout_ms);
    } else {
        rp_gather__finish(self, -EPROTO, "kpi-aggregator KpiQuery after_seq failed: %s",
                          rp_gather__why(env));
    }
}
