/*  ctl_wait: read your own writes. After a command whose reply carries the seq it produced
 *  (MeasurementReply.seq) and the producer's incarnation (Envelope.incarnation), ask the
 *  kpi-aggregator, bounded, until it has applied that seq of that incarnation's history
 *  (KpiQuery{after_producer, after_seq, after_incarnation}: ERR_UNAVAILABLE until then, an
 *  Ack after). And a measurement sent right after its tender was added: the calculator
 *  asks the calendar first and says "retry with the same request id" until it knows
 *  (ctl_call_settled). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

bool ctl_strip_flag(int *argc, char **argv, const char *flag)
{
    bool found = false;
    int k = 0;
    for (int i = 0; i < *argc; i++) {
        if (i > 0 && strcmp(argv[i], flag) == 0)
            found = true;
        else
            argv[k++] = argv[i];
    }
    argv[k] = NULL;
    *argc = k;
    return found;
}

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ctl_wait_applied(ctl_t *ctl, const char *producer, const ctl_applied_t *at)
{
    uint64_t seq = at->seq;
    if (!seq)
        return CTL_EX_OK;   /* the command produced nothing (e.g. a duplicate of nothing) */
    int64_t deadline = s_now_ms() + ctl->timeout_ms;
    long pause_us = 1000;
    for (;;) {
        Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;
        q.after_producer = (char *)producer;
        q.has_after_seq = true;
        q.after_seq = seq;
        q.has_after_incarnation = at->incarnation != 0;
        q.after_incarnation = at->incarnation;
        Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
        req.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
        req.kpi_query = &q;
        Mvoi__Envelope *r = NULL;
        int ex = ctl_call(ctl, "kpi", &req, &r);
        if (ex != 0)
            return ex;
        bool done = r->body_case == MVOI__ENVELOPE__BODY_ACK;
        bool later = r->body_case == MVOI__ENVELOPE__BODY_ERROR &&
                     r->error->code == MVOI__ERROR_CODE__ERR_UNAVAILABLE;
        if (!done && !later)
            ex = ctl_check_error(ctl, r);
        ctl_free(&r);
        if (done)
            return CTL_EX_OK;
        if (!later)
            return ex ? ex : CTL_EX_SOFTWARE;
        if (s_now_ms() >= deadline) {
            return ctl_fail(ctl, CTL_EX_UNAVAILABLE, "ctl.err.wait_kpi", producer,
                            (unsigned long long)seq, ctl->timeout_ms);
        }
        struct timespec p = { 0, pause_us * 1000 };
        nanosleep(&p, NULL);
        if (pause_us < 50000)
            pause_us *= 2;
    }
}

bool ctl_tender_pending(const Mvoi__Envelope *r)
{
    static const char tail[] = ".tender_id";
    const char *f = r && r->body_case == MVOI__ENVELOPE__BODY_ERROR && r->error->field
                        ? r->error->field : "";
    size_t n = strlen(f);
    return r && r->body_case == MVOI__ENVELOPE__BODY_ERROR &&
           r->error->code == MVOI__ERROR_CODE__ERR_UNAVAILABLE && n >= sizeof tail - 1 &&
           strcmp(f + n - (sizeof tail - 1), tail) == 0;
}

bool ctl_settle_pause(const ctl_t *ctl, ctl_settle_t *st)
{
    int64_t now = s_now_ms();
    if (!st->until) {
        st->until = now + ctl->timeout_ms;
        st->pause_us = 2000;
    }
    if (now >= st->until)
        return false;
    struct timespec p = { 0, st->pause_us * 1000 };
    nanosleep(&p, NULL);
    if (st->pause_us < 200000)
        st->pause_us *= 2;
    return true;
}

int ctl_call_settled(ctl_t *ctl, const char *service, Mvoi__Envelope *req,
                     Mvoi__Envelope **reply)
{
    char rid[64];   /* one id: the calculator knows the retry by it (service_await.c) */
    char *own = req->request_id;
    if (!own) {
        ctl_request_id(rid, sizeof rid, "ctl");
        req->request_id = rid;
    }
    ctl_settle_t st = { 0 };
    int ex;
    while ((ex = ctl_call(ctl, service, req, reply)) == CTL_EX_OK &&
           ctl_tender_pending(*reply) && ctl_settle_pause(ctl, &st))
        ctl_free(reply);
    req->request_id = own;
    return ex;
}
