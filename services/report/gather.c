/*  gather: see gather.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bm_tender.h"
#include "codec.h"
#include "mvoi_contract.h"
#include "mvoi_error.h"
#include "rp_ids.h"

#include "gather_int.h"

/* done() runs from a timer of its own turn, so that the caller may destroy us in it. */
static void s_on_done(uv_timer_t *t)
{
    rp_gather_t *self = t->data;
    self->done(self->arg, self->rc, self->msg);
}

void rp_gather__finish(rp_gather_t *self, int rc, const char *fmt, ...)
{
    if (self->finished)
        return;
    self->finished = true;
    uv_timer_stop(self->timer);
    self->rc = rc;
    self->msg[0] = 0;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        rp_ids_vsay(self->msg, sizeof self->msg, self->o.lang, fmt, ap);
        va_end(ap);
    }
    uv_timer_start(self->timer, s_on_done, 0, 0);
}

/* An upstream value into the input; one that does not fit is named in in->cut (the first
 * one) and fails the report when the gathering ends: a cut id would join the wrong rows or
 * none, a cut title would be printed as if whole. */
static void s_copy(rp_input_t *in, const char *field, char *dst, size_t cap, const char *src)
{
    if ((size_t)snprintf(dst, cap, "%s", src ? src : "") >= cap && !in->cut[0])
        snprintf(in->cut, sizeof in->cut, "%s", field);
}

/* Out of memory for an item of the input: the whole report fails. Skipping the item had
 * given totals, tenders or sources without it, reported as a report like any other. */
static void s_nomem(rp_gather_t *self, const char *what)
{
    rp_gather__finish(self, -ENOMEM, "out of memory while gathering %s (ENOMEM): no report "
                      "was written", what);
}

static void s_val(rp_val_t *v, const Mvoi__KpiTotal *t)
{
    v->ambition = t->ambition;
    v->realisation = t->realisation;
    v->projects = t->projects;
    v->target = t->target;
    v->denominator = t->denominator;
    v->count = t->count;
}

static int s_send(rp_gather_t *self, int which, Mvoi__Envelope *env)
{
    snprintf(self->rid, sizeof self->rid, "report-%u", ++self->nreq);
    env->request_id = self->rid;
    env->schema_version = CODEC_SCHEMA_VERSION;
    env->has_schema_version = true;
    env->producer = "report";
    /* an upstream's refusal is quoted in the report's: in the same language */
    env->lang = (char *)text_lang_name(self->o.lang);
    if (!env->buyer)   /* the benchmark step asks for another buyer's total in its name */
        env->buyer = self->in->buyer;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = codec_pack(env, &buf, &len);
    if (rc < 0)
        return rc;
    bus_frame_t f = { buf, len };
    rc = bus_send(self->sock[which], &f, 1);
    free(buf);
    if (rc < 0)
        return rc;
    self->which = which;
    int t = self->o.timeout_ms;
    if (which == S_IMP && t > 2000)
        t = 2000;
    return t;
}

static void s_on_timeout(uv_timer_t *t);

const char *rp_gather__why(const Mvoi__Envelope *env)
{
    return env->body_case == MVOI__ENVELOPE__BODY_ERROR && env->error->message
               ? env->error->message : "unexpected reply";
}

const char *rp_gather__upstream(int which)
{
    return which == S_KPI ? "kpi-aggregator" : which == S_CAL ? "calendar" : "impact-calculator";
}

void rp_gather__request(rp_gather_t *self, int which, Mvoi__Envelope *env)
{
    int t = s_send(self, which, env);
    if (t < 0) {
        if (which == S_IMP && self->step == ST_FACTORS) {
            self->step = ST_DONE;
            rp_gather__next(self);
            return;
        }
        rp_gather__finish(self, -EIO, "could not send to %s: %s", rp_gather__upstream(which),
                          strerror(-t));
        return;
    }
    uv_timer_stop(self->timer);
    uv_timer_start(self->timer, s_on_timeout, (uint64_t)t, 0);
}

static void s_on_timeout(uv_timer_t *t)
{
    rp_gather_t *self = t->data;
    if (self->which == S_IMP && self->step == ST_FACTORS) {   /* optional: the report says so */
        self->in->factors_ok = false;
        self->step = ST_DONE;
        rp_gather__next(self);
        return;
    }
    if (self->which == S_IMP)   /* its head: without it the totals may miss measurements */
        rp_gather__finish(self, -ETIMEDOUT, "impact-calculator did not answer within %d ms: no "
                          "report without knowing that the totals hold every acknowledged "
                          "measurement",
                          self->o.timeout_ms > 2000 ? 2000 : self->o.timeout_ms);
    else
        rp_gather__finish(self, -ETIMEDOUT, "%s did not answer within %d ms",
                          rp_gather__upstream(self->which), self->o.timeout_ms);
}

static int s_id_cmp(const void *a, const void *b) { return strcmp(a, b); }

/* The tenders measured this year but planned in another year: an SROI contract's obligation
 * and title are the calendar's whatever the period, and a realisation before the planned
 * publication is flagged (fetched one by one with GetTender; none when every measured
 * tender is of the year). */
static int s_collect_missing(rp_gather_t *self)
{
    const rp_input_t *in = self->in;
    size_t nk = in->ntenders;
    char (*known)[RP_ID] = calloc(nk ? nk : 1, sizeof *known);
    char (*miss)[RP_ID] = calloc(in->ntotals ? in->ntotals : 1, sizeof *miss);
    if (!known || !miss) {
        free(known);
        free(miss);
        return -ENOMEM;
    }
    for (size_t i = 0; i < nk; i++)
        memcpy(known[i], in->tenders[i].id, RP_ID);
    qsort(known, nk, RP_ID, s_id_cmp);
    size_t n = 0;
    for (size_t i = 0; i < in->ntotals; i++) {
        const rp_total_t *t = &in->totals[i];
        if (!t->tender[0] || t->year != in->year || !t->v.count ||
            bsearch(t->tender, known, nk, RP_ID, s_id_cmp))
            continue;
        memcpy(miss[n++], t->tender, RP_ID);
    }
    qsort(miss, n, RP_ID, s_id_cmp);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || strcmp(miss[i], miss[u - 1]) != 0)
            memmove(miss[u++], miss[i], RP_ID);
    free(known);
    free(self->missing);
    self->missing = miss;
    self->nmissing = u;
    self->collected = true;
    return 0;
}

/* The measurements behind the buyer's total of the current KPI, a page at a time. */
static int s_request_breakdown(rp_gather_t *self)
{
    rp_input_t *in = self->in;
    char key[MVOI_TOPIC_MAX];
    Mvoi__KpiBreakdownQuery q = MVOI__KPI_BREAKDOWN_QUERY__INIT;
    int rc = mvoi_topic_kpi(key, sizeof key, self->kpi, in->year, in->quarter, in->buyer, 0,
                            NULL, NULL);
    if (rc < 0)
        return rc;
    q.key = key;
    q.has_offset = q.has_limit = true;
    q.offset = self->offset;
    uint32_t room = self->o.sources_max > in->ncontribs
                        ? self->o.sources_max - (uint32_t)in->ncontribs : 0;
    /* cap reached: ask for one item only to learn the total */
    q.limit = room > 1000 ? 1000 : room ? room : 1;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_KPI_BREAKDOWN_QUERY;
    env.kpi_breakdown_query = &q;
    rp_gather__request(self, S_KPI, &env);
    return 0;
}

/* A page of the year's tenders (ST_TENDERS), or of the cancelled tenders of every year
 * (ST_CANCELLED): a measurement of this year may belong to one, and a cancelled tender is
 * no project (distinct project counts need to know). */
static void s_request_tenders(rp_gather_t *self)
{
    Mvoi__ListTenders q = MVOI__LIST_TENDERS__INIT;
    q.has_offset = q.has_limit = true;
    if (self->step == ST_TENDERS) {
        q.has_year = true;
        q.year = self->in->year;
    } else {
        q.has_status = true;
        q.status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    }
    q.offset = self->offset;
    q.limit = 1000;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_LIST_TENDERS;
    env.list_tenders = &q;
    rp_gather__request(self, S_CAL, &env);
}

/* The other buyers' year totals for the benchmark (only with in->bench): for each KPI and
 * each registered buyer of the report buyer's class but itself, a KpiQuery of exactly that
 * buyer's year total of all dimensions (the snapshot holds the report buyer's keys only).
 * O(buyers of the class) point lookups; a buyer without a class or a report buyer without
 * one takes no part in a distribution, so none is asked. Moves to ST_BENCH_CAL when done. */
static int s_request_bench(rp_gather_t *self)
{
    rp_input_t *in = self->in;
    const mvoi_buyers_t *reg = in->bench ? bm_registry(in->bench) : NULL;
    const mvoi_buyer_t *own = reg ? mvoi_buyers_find(reg, in->buyer) : NULL;
    int cls = own ? bm_class_of(own) : -1;
    size_t n = cls >= 0 ? mvoi_buyers_count(reg) : 0;
    const mvoi_buyer_t *b = NULL;
    while (self->kpi <= BM_KPIS) {
        for (; self->offset < n; self->offset++) {
            b = mvoi_buyers_at(reg, self->offset);
            if (b && strcmp(b->id, in->buyer) != 0 && bm_class_of(b) == cls)
                break;
        }
        if (self->offset < n)
            break;
        self->kpi++;
        self->offset = 0;
    }
    if (self->kpi > BM_KPIS) {
        self->kpi = 1;
        self->offset = 0;
        self->step = ST_BENCH_CAL;
        rp_gather__next(self);
        return 0;
    }
    char key[MVOI_TOPIC_MAX];
    int rc = mvoi_topic_kpi(key, sizeof key, self->kpi, in->year, 0, b->id, 0, NULL, NULL);
    if (rc < 0)
        return rc;
    Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;
    q.key = key;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    /* The aggregator answers a total only to a request made for that total's buyer; the
     * report's key (role service, every buyer) may ask in any buyer's name. */
    env.buyer = (char *)b->id;
    env.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
    env.kpi_query = &q;
    rp_gather__request(self, S_KPI, &env);
    return 0;
}

/* The share measures of the benchmark: the report year's tenders of every buyer of the
 * class, the report buyer included (ListTenders in each one's name, pages of 1000).
 * O(buyers of the class) requests. Moves to ST_TENDERS when done. */
static int s_request_bench_cal(rp_gather_t *self)
{
    rp_input_t *in = self->in;
    const mvoi_buyers_t *reg = in->bench ? bm_registry(in->bench) : NULL;
    const mvoi_buyer_t *own = reg ? mvoi_buyers_find(reg, in->buyer) : NULL;
    int cls = own ? bm_class_of(own) : -1;
    size_t n = cls >= 0 ? mvoi_buyers_count(reg) : 0;
    const mvoi_buyer_t *b = NULL;
    for (; self->offset < n; self->offset++) {
        b = mvoi_buyers_at(reg, self->offset);
        if (b && bm_class_of(b) == cls)
            break;
    }
    if (self->offset >= n) {
        self->offset = self->page = 0;
        self->step = ST_TENDERS;
        rp_gather__next(self);
        return 0;
    }
    Mvoi__ListTenders q = MVOI__LIST_TENDERS__INIT;
    q.has_year = q.has_offset = q.has_limit = true;
    q.year = in->year;
    q.offset = self->page;
    q.limit = 1000;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.buyer = (char *)b->id;
    env.body_case = MVOI__ENVELOPE__BODY_LIST_TENDERS;
    env.list_tenders = &q;
    rp_gather__request(self, S_CAL, &env);
    return 0;
}

static void s_on_bench_cal(rp_gather_t *self, const Mvoi__Envelope *env)
{
    rp_input_t *in = self->in;
    if (env->body_case != MVOI__ENVELOPE__BODY_TENDER_LIST || !env->tender_list) {
        rp_gather__finish(self, -EPROTO, "calendar ListTenders (benchmark) failed: %s",
                          rp_gather__why(env));
        return;
    }
    const Mvoi__TenderList *l = env->tender_list;
    for (size_t i = 0; i < l->n_tenders; i++)
        bm_tcount_add(&self->tcount, l->tenders[i]);
    if (l->next_offset > self->page) {
        self->page = l->next_offset;
    } else {
        const mvoi_buyer_t *b = mvoi_buyers_at(bm_registry(in->bench), self->offset);
        int rc = b ? bm_tcount_apply(in->bench, b->id, &self->tcount) : 0;
        if (rc != 0) {
            rp_gather__finish(self, rc, "benchmark: tender counts not applied");
            return;
        }
        memset(&self->tcount, 0, sizeof self->tcount);
        self->page = 0;
        self->offset++;
    }
    uv_timer_stop(self->timer);
    rp_gather__next(self);
}

/* Issue the request of the current step, or move on to the next step. */
/* Every step answered: done, unless a value did not fit (s_copy). */
static void s_gathered_all(rp_gather_t *self)
{
    if (self->in->cut[0])
        rp_gather__finish(self, -EOVERFLOW, "%s from an upstream service is longer than a "
                          "report holds; no report was written", self->in->cut);
    else
        rp_gather__finish(self, 0, NULL);
}

/* The next tender of another year whose SROI contract the period holds. */
static void s_request_contract(rp_gather_t *self)
{
    if (!self->collected && s_collect_missing(self) < 0) {
        s_nomem(self, "tender");
        return;
    }
    if (self->imissing >= self->nmissing) {
        self->step = ST_FACTORS;
        rp_gather__next(self);
        return;
    }
    Mvoi__GetTender q = MVOI__GET_TENDER__INIT;
    q.id = self->missing[self->imissing];
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_GET_TENDER;
    env.get_tender = &q;
    rp_gather__request(self, S_CAL, &env);
}

void rp_gather__next(rp_gather_t *self)
{
    if (self->finished)
        return;
    rp_input_t *in = self->in;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    char key[MVOI_TOPIC_MAX];
    int rc = -EINVAL;
    switch (self->step) {
    case ST_SNAP: {
        /* This buyer's totals of one window only (a segment range of the aggregator's
         * keys): what the report costs depends on its buyer's data, not on how many
         * buyers the aggregator holds. */
        Mvoi__SnapshotRequest s = MVOI__SNAPSHOT_REQUEST__INIT;
        if ((rc = mvoi_topic_kpi(key, sizeof key, self->kpi, in->year, self->offset,
                                 in->buyer, 0, NULL, NULL)) < 0)
            break;
        s.prefix = key;
        s.has_segment = s.segment = true;
        env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
        env.snapshot = &s;
        rp_gather__request(self, S_KPI, &env);
        return;
    }
    case ST_PREV: {
        Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;
        if ((rc = mvoi_topic_kpi(key, sizeof key, self->kpi, in->year - 1, 0, in->buyer, 0,
                                 NULL, NULL)) < 0)
            break;
        q.key = key;
        env.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
        env.kpi_query = &q;
        rp_gather__request(self, S_KPI, &env);
        return;
    }
    case ST_SERIES: {
        Mvoi__KpiSeriesQuery q = MVOI__KPI_SERIES_QUERY__INIT;
        q.buyer = in->buyer;
        q.has_kpi = q.has_from_year = q.has_to_year = true;
        q.kpi = (Mvoi__Kpi)self->kpi;
        q.from_year = in->year - 1;
        q.to_year = in->year;
        env.body_case = MVOI__ENVELOPE__BODY_KPI_SERIES_QUERY;
        env.kpi_series_query = &q;
        rp_gather__request(self, S_KPI, &env);
        return;
    }
    case ST_BREAKDOWN:
        if ((rc = s_request_breakdown(self)) < 0)
            break;
        return;
    case ST_BENCH:
        if ((rc = s_request_bench(self)) < 0)
            break;
        return;
    case ST_BENCH_CAL:
        if ((rc = s_request_bench_cal(self)) < 0)
            break;
        return;
    case ST_TENDERS:
    case ST_CANCELLED:
        s_request_tenders(self);
        return;
    case ST_CONTRACTS:
        s_request_contract(self);
        return;
    case ST_FACTORS: {
        if (!self->sock[S_IMP]) {
            self->step = ST_DONE;
            rp_gather__next(self);
            return;
        }
        Mvoi__ListFactorTables q = MVOI__LIST_FACTOR_TABLES__INIT;
        env.body_case = MVOI__ENVELOPE__BODY_LIST_FACTOR_TABLES;
        env.list_factor_tables = &q;
        rp_gather__request(self, S_IMP, &env);
        return;
    }
    case ST_DONE:
        s_gathered_all(self);
        return;
    case ST_HEADS:
        rp_gather__request_head(self);
        return;
    case ST_CATCHUP:
        rp_gather__request_catchup(self);
        return;
    }
    /* Only a key the contract refuses gets here (the buyer passed the registry first). */
    rp_gather__finish(self, rc, "no KPI key for buyer %s: %s", in->buyer, mvoi_errname(rc));
}

/* After a complete answer: advance kpi / paging / step. */
static void s_advance(rp_gather_t *self, bool more_pages)
{
    uv_timer_stop(self->timer);
    if (more_pages) {
        rp_gather__next(self);
        return;
    }
    self->offset = 0;
    if (self->step <= ST_BREAKDOWN && self->kpi < 6) {
        self->kpi++;
    } else {
        self->kpi = 1;
        self->step++;
    }
    rp_gather__next(self);
}

/* A tender into the input: 0, or -ENOMEM (the caller fails the report). */
static int s_tender(rp_input_t *in, const Mvoi__Tender *t)
{
    rp_tender_t *o = rp_input_add_tender(in);
    if (!o)
        return -ENOMEM;
    s_copy(in, "tender.id", o->id, sizeof o->id, t->id);
    s_copy(in, "tender.title", o->title, sizeof o->title, t->title);
    s_copy(in, "tender.purchasing_group", o->group, sizeof o->group, t->purchasing_group);
    s_copy(in, "tender.planned_publication", o->planned, sizeof o->planned,
           t->planned_publication);
    s_copy(in, "tender.cpv", o->cpv, sizeof o->cpv, t->cpv);
    s_copy(in, "tender.cancel_reason", o->cancel_reason, sizeof o->cancel_reason,
           t->cancel_reason);
    o->kind = t->kind;
    o->procedure = t->procedure;
    o->status = t->status;
    o->value_cents = t->value_cents;
    o->value_unknown = !t->has_value_cents;   /* no estimate: "–", never € 0 */
    o->sroi_obligation_cents = t->sroi_obligation_cents;
    o->sroi_bp = t->sroi_pct_bp;
    o->pilot = t->pilot;
    for (size_t i = 0; i < t->n_themes && o->nthemes < 8; i++) {
        o->themes[o->nthemes].theme = t->themes[i]->theme;
        o->themes[o->nthemes++].commitment = t->themes[i]->commitment;
    }
    return 0;
}

/* A snapshot item: a total of the report's buyer joins the input. */
static void s_on_total(rp_gather_t *self, const Mvoi__Envelope *env)
{
    rp_input_t *in = self->in;
    if (self->step != ST_SNAP || env->body_case != MVOI__ENVELOPE__BODY_KPI_TOTAL)
        return;
    const Mvoi__KpiTotal *k = env->kpi_total;
    /* the buyer's own year total of all dimensions feeds the benchmark (html_bench.c);
     * the other buyers' come from ST_BENCH's point queries (s_on_bench) */
    if (in->bench && k->buyer && !k->quarter && !k->theme && !(k->purchasing_group &&
        *k->purchasing_group) && !(k->tender_id && *k->tender_id) &&
        bm_set_total(in->bench, k->buyer, (int)k->kpi, k->year, k->realisation, k->count) ==
            -ENOMEM) {
        s_nomem(self, "benchmark");
        return;
    }
    if (!k->buyer || strcmp(k->buyer, in->buyer) != 0)
        return;
    rp_total_t *t = rp_input_add_total(in);
    if (!t) {
        s_nomem(self, "kpi_total");
        return;
    }
    t->kpi = k->kpi;
    t->year = k->year;
    t->quarter = k->quarter;
    t->theme = k->theme;
    s_copy(in, "kpi_total.purchasing_group", t->group, sizeof t->group, k->purchasing_group);
    s_copy(in, "kpi_total.tender_id", t->tender, sizeof t->tender, k->tender_id);
    s_val(&t->v, k);
}

/* A page of the measurements behind a total (up to sources_max in all). */
static void s_on_breakdown(rp_gather_t *self, const Mvoi__KpiBreakdown *b)
{
    rp_input_t *in = self->in;
    in->contrib_total[self->kpi] = b->total;
    for (size_t i = 0; i < b->n_items && in->ncontribs < self->o.sources_max; i++) {
        rp_contrib_t *c = rp_input_add_contrib(in);
        if (!c) {
            s_nomem(self, "breakdown");
            return;
        }
        c->kpi = self->kpi;
        s_copy(in, "breakdown.measurement_id", c->measurement, sizeof c->measurement,
               b->items[i]->measurement_id);
        s_copy(in, "breakdown.tender_id", c->tender, sizeof c->tender, b->items[i]->tender_id);
        c->revision = b->items[i]->revision;
        c->ambition = b->items[i]->ambition;
        c->realisation = b->items[i]->realisation;
    }
    bool more = b->next_offset > self->offset && in->ncontribs < self->o.sources_max;
    self->offset = b->next_offset;
    s_advance(self, more);
}

/* A page of the year's (or of the cancelled) tenders; the next page or the next step. */
static void s_on_tenders(rp_gather_t *self, const Mvoi__TenderList *l)
{
    rp_input_t *in = self->in;
    for (size_t i = 0; i < l->n_tenders; i++) {
        uint32_t y = 0, q = 0;
        if (self->step == ST_CANCELLED &&
            rp_date_quarter(l->tenders[i]->planned_publication, &y, &q) == 0 &&
            y == in->year)
            continue;   /* already listed with the year's tenders */
        if (s_tender(in, l->tenders[i]) < 0) {
            s_nomem(self, "tender");
            return;
        }
    }
    bool more = l->next_offset > self->offset && l->n_tenders > 0;
    self->offset = l->next_offset;
    if (more) {
        s_advance(self, true);
        return;
    }
    self->step++;
    self->offset = 0;
    uv_timer_stop(self->timer);
    rp_gather__next(self);
}

/* The impact-calculator's factor tables (optional: the report names its sources). */
static void s_on_factors(rp_gather_t *self, const Mvoi__FactorTableList *l)
{
    rp_input_t *in = self->in;
    in->factors_ok = true;
    for (size_t i = 0; i < l->n_tables; i++) {
        rp_factor_t *f = rp_input_add_factor(in);
        if (!f) {   /* a source list without a table would read as the whole list */
            s_nomem(self, "factor_table");
            return;
        }
        s_copy(in, "factor_table.table", f->table, sizeof f->table, l->tables[i]->table);
        s_copy(in, "factor_table.edition", f->edition, sizeof f->edition, l->tables[i]->edition);
        s_copy(in, "factor_table.source", f->source, sizeof f->source, l->tables[i]->source);
        f->rows = l->tables[i]->rows;
        f->unverified_rows = l->tables[i]->unverified_rows;
    }
}

/* Another buyer's year total for the benchmark; not found: that buyer has no figure of
 * the KPI this year and contributes nothing (as a buyer absent from a snapshot). Then the
 * next buyer (s_request_bench). */
static void s_on_bench(rp_gather_t *self, const Mvoi__Envelope *env)
{
    rp_input_t *in = self->in;
    const mvoi_buyer_t *b = mvoi_buyers_at(bm_registry(in->bench), self->offset);
    bool is_err = env->body_case == MVOI__ENVELOPE__BODY_ERROR;
    if (env->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL && b) {
        if (bm_set_total(in->bench, b->id, self->kpi, in->year, env->kpi_total->realisation,
                         env->kpi_total->count) == -ENOMEM) {
            s_nomem(self, "benchmark");
            return;
        }
    } else if (!(is_err && env->error->code == MVOI__ERROR_CODE__ERR_NOT_FOUND)) {
        rp_gather__finish(self, -EPROTO, "kpi-aggregator KpiQuery (benchmark) failed: %s",
                          rp_gather__why(env));
        return;
    }
    self->offset++;
    uv_timer_stop(self->timer);
    rp_gather__next(self);
}

/* One KPI's quarters of the year before and of the report's year. */
static void s_on_series(rp_gather_t *self, const Mvoi__Envelope *env)
{
    rp_input_t *in = self->in;
    if (env->body_case != MVOI__ENVELOPE__BODY_KPI_SERIES) {
        rp_gather__finish(self, -EPROTO, "kpi-aggregator KpiSeriesQuery failed: %s",
                          rp_gather__why(env));
        return;
    }
    for (size_t i = 0; i < env->kpi_series->n_totals; i++) {
        const Mvoi__KpiTotal *k = env->kpi_series->totals[i];
        int idx = ((int)k->year - (int)in->year + 1) * 4 + (int)k->quarter - 1;
        if (k->quarter >= 1 && k->quarter <= 4 && idx >= 0 && idx < 8)
            s_val(&in->series[self->kpi][idx], k);
    }
    s_advance(self, false);
}

static void s_handle(rp_gather_t *self, int which, Mvoi__Envelope *env, const char *topic)
{
    rp_input_t *in = self->in;
    if (which != self->which || self->finished)
        return;   /* a late answer of an optional upstream; or after the end, whose timer
                   * (done) a snapshot item's timeout would replace */
    if (topic) {  /* a snapshot item */
        /* the timeout is per item: a long stream that keeps coming is not late */
        if (self->step == ST_SNAP)
            uv_timer_start(self->timer, s_on_timeout, (uint64_t)self->o.timeout_ms, 0);
        s_on_total(self, env);
        return;
    }
    if (!env->request_id || strcmp(env->request_id, self->rid) != 0)
        return;   /* stale */
    bool is_err = env->body_case == MVOI__ENVELOPE__BODY_ERROR;
    switch (self->step) {
    case ST_HEADS:
        rp_gather__on_head(self, env);
        return;
    case ST_CATCHUP:
        rp_gather__on_catchup(self, env);
        return;
    case ST_SNAP:
        if (env->body_case == MVOI__ENVELOPE__BODY_SNAPSHOT_END) {
            if (env->snapshot_end->seq > in->kpi_seq)
                in->kpi_seq = env->snapshot_end->seq;
            bool more = self->offset < 4;   /* the year, then its four quarters */
            self->offset = more ? self->offset + 1 : 0;
            s_advance(self, more);
        } else
            rp_gather__finish(self, -EPROTO, "kpi-aggregator snapshot failed: %s",
                              rp_gather__why(env));
        return;
    case ST_PREV:
        if (env->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL)
            s_val(&in->prev[self->kpi], env->kpi_total);
        else if (!(is_err && env->error->code == MVOI__ERROR_CODE__ERR_NOT_FOUND)) {
            rp_gather__finish(self, -EPROTO, "kpi-aggregator KpiQuery failed: %s",
                              rp_gather__why(env));
            return;
        }
        s_advance(self, false);
        return;
    case ST_BENCH:
        s_on_bench(self, env);
        return;
    case ST_BENCH_CAL:
        s_on_bench_cal(self, env);
        return;
    case ST_SERIES:
        s_on_series(self, env);
        return;
    case ST_BREAKDOWN:
        if (is_err && env->error->code == MVOI__ERROR_CODE__ERR_NOT_FOUND)
            s_advance(self, false);
        else if (env->body_case != MVOI__ENVELOPE__BODY_KPI_BREAKDOWN)
            rp_gather__finish(self, -EPROTO, "kpi-aggregator KpiBreakdownQuery failed: %s",
                              rp_gather__why(env));
        else
            s_on_breakdown(self, env->kpi_breakdown);
        return;
    case ST_TENDERS:
    case ST_CANCELLED:
        if (env->body_case != MVOI__ENVELOPE__BODY_TENDER_LIST)
            rp_gather__finish(self, -EPROTO, "calendar ListTenders failed: %s",
                              rp_gather__why(env));
        else
            s_on_tenders(self, env->tender_list);
        return;
    case ST_CONTRACTS:
        if (env->body_case == MVOI__ENVELOPE__BODY_TENDER_REPLY && env->tender_reply->tender) {
            if (s_tender(in, env->tender_reply->tender) < 0) {
                s_nomem(self, "tender");
                return;
            }
        } else if (!(is_err && env->error->code == MVOI__ERROR_CODE__ERR_NOT_FOUND)) {
            rp_gather__finish(self, -EPROTO, "calendar GetTender failed: %s",
                              rp_gather__why(env));
            return;
        }
        self->imissing++;
        uv_timer_stop(self->timer);
        rp_gather__next(self);
        return;
    case ST_FACTORS:
        if (env->body_case == MVOI__ENVELOPE__BODY_FACTOR_TABLE_LIST)
            s_on_factors(self, env->factor_table_list);
        if (self->finished)
            return;   /* its timer now calls done: not to be stopped */
        self->step = ST_DONE;
        uv_timer_stop(self->timer);
        rp_gather__next(self);
        return;
    case ST_DONE:
        return;
    }
}

static void s_on_readable(bus_sock_t *sock, int events, void *arg)
{
    rp_gather_t *self = arg;
    int which = sock == self->sock[S_KPI] ? S_KPI : sock == self->sock[S_CAL] ? S_CAL : S_IMP;
    for (int budget = 0; budget < 20000 && !self->finished; budget++) {
        bus_msg_t m;
        if (bus_recv(sock, &m) != 0)
            break;
        int err = 0;
        int bi = m.nparts == 2 ? 1 : 0;
        Mvoi__Envelope *env = codec_unpack(bus_msg_data(&m, bi), bus_msg_size(&m, bi),
                                           64u << 20, &err);
        char topic[512];
        if (m.nparts == 2)
            snprintf(topic, sizeof topic, "%.*s", (int)bus_msg_size(&m, 0),
                     (const char *)bus_msg_data(&m, 0));
        bus_msg_close(&m);
        if (!env)
            continue;
        s_handle(self, which, env, bi ? topic : NULL);
        codec_free(&env);
    }
}

static void s_timer_close(uv_handle_t *h) { free(h); }

rp_gather_t *rp_gather_start(uv_loop_t *loop, bus_ctx_t *ctx, const rp_gather_opts_t *opts,
                             rp_input_t *in, rp_gather_done_fn *done, void *arg)
{
    rp_gather_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->o = *opts;
    if (!self->o.timeout_ms)
        self->o.timeout_ms = 5000;
    if (!self->o.sources_max)
        self->o.sources_max = 50000;
    self->in = in;
    self->done = done;
    self->arg = arg;
    self->kpi = 1;
    self->step = ST_HEADS;
    self->timer = calloc(1, sizeof *self->timer);
    if (!self->timer) {
        free(self);
        return NULL;
    }
    uv_timer_init(loop, self->timer);
    self->timer->data = self;
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    bo.maxmsgsize = 4 << 20;
    const char *eps[3] = { opts->kpi_api, opts->calendar_api, opts->impact_api };
    for (int i = 0; i < 3; i++) {
        if (!eps[i] || !*eps[i])
            continue;
        self->sock[i] = bus_sock_new(ctx, loop, ZMQ_DEALER, &bo);
        if (!self->sock[i] || bus_connect(self->sock[i], eps[i]) != 0 ||
            bus_watch(self->sock[i], ZMQ_POLLIN, s_on_readable, self) != 0) {
            rp_gather_destroy(&self);
            return NULL;
        }
    }
    rp_gather__next(self);
    return self;
}

void rp_gather_destroy(rp_gather_t **self_p)
{
    rp_gather_t *self = *self_p;
    if (!self)
        return;
    self->finished = true;
    for (int i = 0; i < 3; i++)
        bus_sock_destroy(&self->sock[i]);
    if (self->timer) {
        uv_timer_stop(self->timer);
        uv_close((uv_handle_t *)self->timer, s_timer_close);
    }
    free(self->missing);
    free(self);
    *self_p = NULL;
}
