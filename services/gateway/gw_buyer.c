/*  gw_buyer: which buyer a request is for. One gateway serves every buyer of the registry:
 *  each /api route takes ?buyer=ID (the gateway's MVOI_GATEWAY_BUYER when absent), checked
 *  by the id rule (400) and the registry (404) before the handler runs; GET /api/buyers
 *  lists the registry for a buyer picker. */
#include "gw_internal.h"

#include <string.h>

#include "mvoi_id.h"

bool gw_buyer_resolve(gw_req_t *r)
{
    /* with its length: "%00" decodes to a NUL that a C string would hide */
    const char *b = NULL;
    size_t blen = 0;
    if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, "buyer", 5, &b, &blen)
        != MHD_YES)
        b = NULL;
    if (!b) {
        /* checked by the id rule at start (main.c): it fits */
        snprintf(r->buyer, sizeof r->buyer, "%.64s", r->gw->buyer);
        return true;
    }
    char why[MVOI_ID_WHY_MAX];
    if (mvoi_id_check(MVOI_ID_BUYER, b, blen, why, sizeof why) != 0) {
        char d[MVOI_ID_WHY_MAX + 16];
        snprintf(d, sizeof d, "buyer %s", why);
        gw_reply_problem(r, 400, "invalid-argument", d, "buyer");
        return false;
    }
    if (!mvoi_buyers_accepts(r->gw->o.buyers, b)) {
        gw_reply_problem(r, 404, "not-found",
                         "this buyer is not served here (not in the buyer registry)", "buyer");
        return false;
    }
    snprintf(r->buyer, sizeof r->buyer, "%s", b);
    return true;
}

/* GET /api/buyers: {"default": id, "open": bool, "buyers": [{id, name, domain}...],
 * "reports": report files can be served, "narratives": a report service is configured} */
void gw_h_buyers(gw_req_t *r)
{
    const mvoi_buyers_t *reg = r->gw->o.buyers;
    json_t *list = json_array();
    for (size_t i = 0; i < mvoi_buyers_count(reg); i++) {
        const mvoi_buyer_t *b = mvoi_buyers_at(reg, i);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "id", b->id, "name", b->name,
                                              "domain", b->domain));
    }
    json_t *o = json_pack("{s:s, s:s, s:b, s:o, s:b, s:b}", "default", r->gw->buyer,
                          "default_name", mvoi_buyers_name(reg, r->gw->buyer), "open",
                          mvoi_buyers_open(reg), "buyers", list, "reports",
                          gw_reports_served(r->gw), "narratives", r->gw->rep != NULL);
    gw_reply_json(r, 200, o);
}

gw_held_t *gw_buyer_held(gw_req_t *r)
{
    gw_held_t *h = gw_hold_get(r->gw->hold, r->buyer);
    if (!h) {
        gw_reply_problem(r, 500, "internal", "out of memory", NULL);
        return NULL;
    }
    if (gw_held_fresh(h))
        return h;
    /* The first request of a buyer waits (bounded) for its totals to load, then its
     * handler runs again; a stale view is refused at once. */
    if (gw_held_loading(h))
        gw_wait_load(r);
    else
        gw_reply_problem(r, 503, "stale", gw_held_why(h), NULL);
    return NULL;
}
