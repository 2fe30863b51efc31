/* mvoi-calendar: the queries (GetTender, ListTenders, UpcomingTenders) and the snapshot
 * (tender.snapshot), split from the commands (service.c). See calendar_service.h. */
#include "calendar_service.h"
#include "calendar_svc_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal_date.h"
#include "cal_str.h"
#include "calendar_store.h"
#include "clock.h"
#include "codec.h"
#include "mvoi_error.h"
#include "store_undecodable.h"
#include "tender_query.h"
#include "tender_util.h"

/* ------------------------------------------------------------------ queries */

int calendar_svc_on_get(void *arg, server_req_t *req, MDB_txn *txn)
{
    calendar_svc_t *self = arg;
    const Mvoi__GetTender *m = server_request(req)->get_tender;
    const char *buyer = calendar_svc_buyer(req);
    if (!buyer)
        return -EINVAL;
    if (!m || cal_str_empty(m->id))
        return S_ERR(req, S_INVALID, "get_tender.id", "required");
    MDB_val v;
    int rc = calendar_store_get(&self->cs, txn, buyer, m->id, &v);
    if (rc == -ENOENT)
        return S_ERR(req, S_NOTFOUND, "get_tender.id", "no tender %s", m->id);
    if (rc != 0)
        return rc;
    Mvoi__Tender *t = calendar_svc_reply_tender(req, v.mv_data, v.mv_size, &rc);
    if (rc == MVOI_E_UNDECODABLE)   /* named, not "out of memory" for a bad record */
        store_log_undecodable_id("tender", buyer, m->id);
    if (!t)
        return rc;
    return calendar_svc_set_reply(req, t, 0, 0);
}

typedef struct {
    server_req_t *req;
    Mvoi__TenderList *list;
    size_t cap;
} s_collect_t;

static int s_collect(void *arg, const MDB_val *packed)
{
    s_collect_t *c = arg;
    if (c->list->n_tenders >= c->cap)
        return 1;
    int rc;
    Mvoi__Tender *t = calendar_svc_reply_tender(c->req, packed->mv_data, packed->mv_size, &rc);
    if (!t)
        return rc;   /* MVOI_E_UNDECODABLE: the store's scan logs which tender */
    c->list->tenders[c->list->n_tenders++] = t;
    return 0;
}

static Mvoi__TenderList *s_list_reply(server_req_t *req, size_t cap, s_collect_t *c)
{
    Mvoi__TenderList *l = server_alloc(req, sizeof *l);
    if (!l)
        return NULL;
    mvoi__tender_list__init(l);
    l->tenders = server_alloc(req, (cap ? cap : 1) * sizeof *l->tenders);
    if (!l->tenders)
        return NULL;
    c->req = req;
    c->list = l;
    c->cap = cap;
    Mvoi__Envelope *env = server_reply(req);
    env->body_case = MVOI__ENVELOPE__BODY_TENDER_LIST;
    env->tender_list = l;
    return l;
}

static uint32_t s_limit(bool has, uint32_t v)
{
    if (!has || v == 0)
        return TENDER_QUERY_DEFAULT_LIMIT;
    return v > TENDER_QUERY_MAX_LIMIT ? TENDER_QUERY_MAX_LIMIT : v;
}

int calendar_svc_on_list(void *arg, server_req_t *req, MDB_txn *txn)
{
    calendar_svc_t *self = arg;
    const char *buyer = calendar_svc_buyer(req);
    if (!buyer)
        return -EINVAL;
    Mvoi__ListTenders empty = MVOI__LIST_TENDERS__INIT;
    const Mvoi__ListTenders *q = server_request(req)->list_tenders;
    if (!q)
        q = &empty;
    tender_error_t e = { 0 };
    if (tender_query_check(q, &e) < 0)
        return calendar_svc_fail(req, "list_tenders", &e);
    uint32_t limit = s_limit(q->has_limit, q->limit);
    uint32_t offset = q->has_offset ? q->offset : 0;
    s_collect_t c;
    Mvoi__TenderList *l = s_list_reply(req, limit, &c);
    if (!l)
        return -ENOMEM;
    uint32_t total = 0;
    int rc = calendar_store_list(&self->cs, txn, buyer, q, offset, limit, s_collect, &c, &total);
    if (rc < 0 && rc != -ENOMEM)
        return rc;
    if (rc != 0)
        return rc;
    l->has_total = 1;
    l->total = total;
    l->has_next_offset = 1;
    l->next_offset = (uint64_t)offset + l->n_tenders < total ? offset + (uint32_t)l->n_tenders : 0;
    return 0;
}

int calendar_svc_on_upcoming(void *arg, server_req_t *req, MDB_txn *txn)
{
    calendar_svc_t *self = arg;
    const char *buyer = calendar_svc_buyer(req);
    if (!buyer)
        return -EINVAL;
    Mvoi__UpcomingTenders empty = MVOI__UPCOMING_TENDERS__INIT;
    const Mvoi__UpcomingTenders *q = server_request(req)->upcoming_tenders;
    if (!q)
        q = &empty;
    char today[11];
    calendar_today(clock_now_ms(), today);
    const char *from = !cal_str_empty(q->from_date) ? q->from_date : today;
    if (!cal_date_valid(from))
        return S_ERR(req, S_INVALID, "upcoming_tenders.from_date",
                     "'%.40s' is not a date YYYY-MM-DD", from);
    uint32_t days = q->has_days && q->days ? q->days : TENDER_UPCOMING_DEFAULT_DAYS;
    if (days > TENDER_UPCOMING_MAX_DAYS)
        return S_ERR(req, S_INVALID, "upcoming_tenders.days", "%u is more than %d", days,
                     TENDER_UPCOMING_MAX_DAYS);
    char to[11];
    if (cal_date_add_days(from, days, to) < 0)
        return S_ERR(req, S_INVALID, "upcoming_tenders.days",
                     "window ends beyond the year 2999");
    uint32_t limit = s_limit(q->has_limit, q->limit);
    s_collect_t c;
    Mvoi__TenderList *l = s_list_reply(req, limit, &c);
    if (!l)
        return -ENOMEM;
    uint32_t total = 0;
    int rc = calendar_store_upcoming(&self->cs, txn, buyer, from, to, limit, s_collect, &c,
                                     &total);
    if (rc != 0)
        return rc;
    l->has_total = 1;
    l->total = total;
    l->has_next_offset = 1;
    l->next_offset = l->n_tenders < total ? (uint32_t)l->n_tenders : 0;
    return 0;
}

/* ------------------------------------------------------------------ snapshot */

typedef struct {
    server_req_t *req;
} s_snap_t;

static int s_snap_one(void *arg, const MDB_val *packed)
{
    s_snap_t *s = arg;
    int rc;
    Mvoi__Tender *t = (Mvoi__Tender *)codec_unpack_stored(&mvoi__tender__descriptor, NULL,
                                                          packed->mv_data, packed->mv_size, &rc);
    if (!t)   /* skipped, every follower would lose the tender: the snapshot is refused */
        return rc;   /* MVOI_E_UNDECODABLE, or -ENOMEM: no memory is no bad record */
    Mvoi__TenderEvent te = MVOI__TENDER_EVENT__INIT;
    te.tender = t;
    Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
    ev.body_case = MVOI__ENVELOPE__BODY_TENDER_EVENT;
    ev.tender_event = &te;
    ev.buyer = t->buyer;
    rc = server_snapshot_emit(s->req, "tender.snapshot", &ev);
    tender_free(t);
    return rc < 0 ? rc : 0;
}

int calendar_svc_snapshot(void *arg, server_req_t *req, MDB_txn *txn, const char *prefix)
{
    calendar_svc_t *self = arg;
    if (prefix && *prefix && strncmp("tender.snapshot", prefix, strlen(prefix)) != 0)
        return 0;
    s_snap_t s = { req };
    return calendar_store_each(&self->cs, txn, s_snap_one, &s);
}

