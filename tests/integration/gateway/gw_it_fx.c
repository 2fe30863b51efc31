/*  gw_it_fx: the fixture of test_gateway_it (test_gateway_it.c, test_gateway_it_input.c):
 *  the gateway as a real process against the fake kpi-aggregator, and the requests and
 *  expectations the tests share. */
#include "gw_it_fx.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

gwt_env_t E;

void gi_up(const char *const *env)
{
    cr_assert_eq(gwt_start(&E, env), 0, "fake + gateway start (logs in %s)", E.dir);
    cr_assert_eq(gwt_wait_ready(&E, 10000), 0, "gateway ready (logs in %s)", E.dir);
}

int gi_req(const char *method, const char *path, const char *hdrs, const char *body,
           gwt_resp_t *r)
{
    int rc = gwt_http(E.http_port, method, path, hdrs, body, body ? strlen(body) : 0, r, 5000);
    cr_assert_eq(rc, 0, "%s %s: no HTTP answer", method, path);
    return r->status;
}

/* status, and for problems the field (may be NULL) and the problem content type */
void gi_expect(const char *method, const char *path, const char *hdrs, const char *body,
               int status, const char *field)
{
    gwt_resp_t r;
    int st = gi_req(method, path, hdrs, body, &r);
    cr_expect_eq(st, status, "%s %s: status %d, want %d: %s", method, path, st, status, r.body);
    if (status >= 400) {
        cr_expect(strncmp(r.ctype, "application/problem+json", 24) == 0, "%s %s: ctype %s",
                  method, path, r.ctype);
        json_t *o = gwt_json(&r);
        cr_expect(o != NULL, "problem body is JSON: %s", r.body);
        cr_expect_eq(json_integer_value(json_object_get(o, "status")), status);
        cr_expect(json_string_value(json_object_get(o, "type")) != NULL);
        cr_expect(json_string_value(json_object_get(o, "title")) != NULL);
        if (field) {
            const char *f = json_string_value(json_object_get(o, "field"));
            cr_expect(f && strcmp(f, field) == 0, "%s %s: field '%s', want '%s'", method, path,
                      f ? f : "(none)", field);
        }
        json_decref(o);
    }
    gwt_resp_free(&r);
}

/* A problem with its status, type (the slug after "urn:mvoi:problem:") and Retry-After
 * ("" for none): what a client acts on (README's table). */
void gi_expect_act(const char *path, const char *hdrs, int status, const char *slug,
                   const char *retry_after)
{
    gwt_resp_t r;
    int st = gi_req("GET", path, hdrs, NULL, &r);
    cr_expect_eq(st, status, "GET %s: status %d, want %d: %s", path, st, status, r.body);
    cr_expect_str_eq(r.retry_after, retry_after, "GET %s: Retry-After '%s', want '%s'", path,
                     r.retry_after, retry_after);
    json_t *o = gwt_json(&r);
    const char *t = json_string_value(json_object_get(o, "type"));
    char want[96];
    snprintf(want, sizeof want, "urn:mvoi:problem:%s", slug);
    cr_expect(t && strcmp(t, want) == 0, "GET %s: type '%s', want '%s': %s", path,
              t ? t : "(none)", want, r.body);
    json_decref(o);
    gwt_resp_free(&r);
}

void gi_down(void) { gwt_stop(&E); }
