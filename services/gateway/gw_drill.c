/*  gw_drill: what the dashboard's drill-down reads, each scoped to the request's buyer.
 *
 *  GET /api/measurements/{id}  impact-calculator GetMeasurement: the record with its impact,
 *                              the factor references (table, edition, public source) and the
 *                              calculation spelled out.
 *  GET /api/factors            impact-calculator ListFactorTables: every table edition loaded.
 *  GET /api/breakdown?key=     kpi-aggregator KpiBreakdownQuery: the measurements behind one
 *                              total. Only the key of a total of the request's buyer (?buyer=)
 *                              in the gateway's view is asked for; any other key is 404: no
 *                              other tenant's key is read through it.
 *  GET /favicon.ico            the dashboard's icon (browsers ask for it whatever the page says).
 */
#include <stdlib.h>
#include <string.h>
#include "gw_internal.h"
#include "gw_view.h"

/* The request's language (?lang=, Accept-Language, the gateway's: gw_lang.h) is the
 * language of the calculation spelled out (the service renders it). */
void gw_h_measurement(gw_req_t *r)
{
    static const char *const ok[] = { "lang", NULL };
    if (!gw_only(r, ok))
        return;
    Mvoi__GetMeasurement *g = malloc(sizeof *g);
    if (!g) {
        gw_reply_oom(r);
        return;
    }
    mvoi__get_measurement__init(g);
    g->id = strdup(r->arg);
    g->lang = strdup(text_lang_name(r->lang));
    r->lang_body = true;   /* the explanation */
    gw_call(r, r->gw->imp, MVOI__ENVELOPE__BODY_GET_MEASUREMENT, &g->base, gw_reply_200);
}

void gw_h_factors(gw_req_t *r)
{
    static const char *const ok[] = { NULL };
    if (!gw_only(r, ok))
        return;
    Mvoi__ListFactorTables *l = malloc(sizeof *l);
    if (!l) {
        gw_reply_oom(r);
        return;
    }
    mvoi__list_factor_tables__init(l);
    gw_call(r, r->gw->imp, MVOI__ENVELOPE__BODY_LIST_FACTOR_TABLES, &l->base, gw_reply_200);
}

void gw_h_breakdown(gw_req_t *r)
{
    Mvoi__KpiBreakdownQuery *q = (Mvoi__KpiBreakdownQuery *)gw_query_msg(
        r, &mvoi__kpi_breakdown_query__descriptor, NULL);
    if (!q)
        return;
    if (!q->key || !*q->key) {
        protobuf_c_message_free_unpacked(&q->base, NULL);
        gw_reply_problem(r, 400, "invalid-argument", "required: a total's key", "key");
        return;
    }
    gw_held_t *h = gw_buyer_held(r);
    if (!h) {
        protobuf_c_message_free_unpacked(&q->base, NULL);
        return;
    }
    const gw_total_t *t = gw_view_get(gw_held_view(h), q->key);
    if (!t || strcmp(t->buyer, r->buyer) != 0) {
        protobuf_c_message_free_unpacked(&q->base, NULL);
        gw_reply_problem(r, 404, "not-found", "no such total", "key");
        return;
    }
    gw_call(r, r->gw->kpi, MVOI__ENVELOPE__BODY_KPI_BREAKDOWN_QUERY, &q->base, gw_reply_200);
}

void gw_h_favicon(gw_req_t *r)
{
    /* the same bars as the page's inline icon */
    static const char svg[] =
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'>"
        "<rect width='16' height='16' rx='3' fill='#00589c'/>"
        "<rect x='3' y='8' width='2' height='5' fill='#fff'/>"
        "<rect x='7' y='5' width='2' height='8' fill='#fff'/>"
        "<rect x='11' y='3' width='2' height='10' fill='#fff'/></svg>";
    gw_reply_text(r, 200, "image/svg+xml", svg, sizeof svg - 1);
    r->cacheable = true;
}
