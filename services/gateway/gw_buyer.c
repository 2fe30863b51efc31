/*  gw_buyer: GET /api/buyers, the registry for a buyer picker. One gateway serves every buyer
 *  of the registry (each /api route takes ?buyer=ID, gw_access.c); a token for some buyers
 *  sees only those, and its only buyer as the default. gw_buyer_held: the KPI view of the
 *  request's buyer (gw_hold.c), loaded on its first request. */
#include "gw_internal.h"

#include <string.h>

/* GET /api/buyers: {"default": id, "open": bool, "buyers": [{id, name, domain}...],
 * "reports": report files can be served, "narratives": a report service is configured} */
void gw_h_buyers(gw_req_t *r)
{
    /* as every route: a parameter it does not know (?Buyer=, a typo) is refused by name */
    static const char *const ok[] = { NULL };
    if (!gw_only(r, ok))
        return;
    const mvoi_buyers_t *reg = r->gw->o.buyers;
    const char *own = r->has_tok ? gw_token_default_buyer(&r->tok) : NULL;
    const char *def = own ? own : r->gw->buyer;
    json_t *list = json_array();
    for (size_t i = 0; i < mvoi_buyers_count(reg); i++) {
        const mvoi_buyer_t *b = mvoi_buyers_at(reg, i);
        if (r->has_tok && !gw_token_allows(&r->tok, b->id))
            continue;
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "id", b->id, "name", b->name,
                                              "domain", b->domain));
    }
    json_t *o = json_pack("{s:s, s:s, s:b, s:o, s:b, s:b}", "default", def,
                          "default_name", mvoi_buyers_name(reg, def), "open",
                          mvoi_buyers_open(reg), "buyers", list, "reports",
                          gw_reports_served(r->gw), "narratives", r->gw->rep != NULL);
    gw_reply_json(r, 200, o);
}

gw_held_t *gw_buyer_held(gw_req_t *r)
{
    gw_held_t *h = gw_hold_get(r->gw->hold, r->buyer);
    if (!h) {
        gw_reply_oom(r);
        return NULL;
    }
    if (gw_held_fresh(h))
        return h;
    /* The first request of a buyer waits (bounded) for its totals to load, then its
     * handler runs again; a stale view is refused at once. */
    if (gw_held_loading(h))
        gw_wait_load(r);
    else {
        char why[320];
        r->retry_after = GW_STALE_RETRY_AFTER_S;
        gw_reply_problem(r, 503, "stale", gw_held_why(h, r->lang, why, sizeof why), NULL);
    }
    return NULL;
}
