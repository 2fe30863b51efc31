/*  gw_body: a request's JSON body, one way for every route (gw_internal.h). */
#include "gw_internal.h"
#include "gw_jsonnul.h"

json_t *gw_body_json(gw_req_t *r, json_error_t *je)
{
    /* JSON_ALLOW_NUL so that a "\u0000" is found below and refused by its field's name;
     * without it jansson's refusal names only a column */
    json_t *o = json_loadb(r->body.data ? r->body.data : "", r->body.len,
                           JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, je);
    char path[GW_JSONNUL_PATH_MAX];
    if (o && gw_jsonnul_find(o, path)) {
        json_decref(o);
        gw_reply_problem(r, 400, "invalid-argument", "string contains a NUL character", path);
        return NULL;
    }
    return o;
}
