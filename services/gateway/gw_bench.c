/*  gw_bench: the national benchmark in the gateway. A Clone client of its own (gw_clone.c)
 *  follows every buyer's year totals of all dimensions (gw_bench_keep: the only totals its
 *  view keeps, a few per buyer and year, not the served buyers' full views of gw_hold.c);
 *  each is handed to the live benchmark set (common/bm), which re-sorts only the changed
 *  buyer's class. The routes
 *  serve what bm hands out and nothing else: the request's buyer's own figures and
 *  anonymous distributions of at least k buyers (MVOI_GATEWAY_BENCH_K, at least 5), of one
 *  normalisation per class, year and KPI (bm.h: the others are withheld).
 *
 *    GET /benchmark                         the page (static/benchmark.html, bench.js)
 *    GET /api/benchmark?buyer=&year=&lang=  this buyer's position (bm_json_buyer)
 *    GET /api/benchmark/open-data.json|.csv every shown distribution with definitions
 */
#include "gw_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bm_json.h"
#include "gw_assets.h"
#include "log.h"

/* KpiTotal JSON (pbjson: enums as short lowercase names, int64 as number or string). */
static int64_t s_i64(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_string(v))
        return strtoll(json_string_value(v), NULL, 10);
    return 0;
}

static bool s_empty(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v))
        || (json_is_integer(v) && json_integer_value(v) == 0);
}

static void s_apply(gw_t *gw, const gw_total_t *t)
{
    json_t *o = json_loadb(t->json, t->json_len, 0, NULL);
    if (!o)
        return;
    /* the year window of all dimensions only: quarter, theme, group and tender totals are
     * parts of it */
    const char *kpi = json_string_value(json_object_get(o, "kpi"));
    int k = bm_kpi_parse(kpi);
    if (k > 0 && s_empty(o, "quarter") && s_empty(o, "theme") && s_empty(o, "purchasing_group")
        && s_empty(o, "tender_id")) {
        int rc = bm_set_total(gw->bench, t->buyer, k, (unsigned)s_i64(o, "year"),
                              s_i64(o, "realisation"), s_i64(o, "count"));
        if (rc != 0 && rc != -ENOENT)
            log_warn("bench_total", "benchmark: total %s not applied: %d", t->key, rc);
    }
    json_decref(o);
}

bool gw_bench_keep(const Mvoi__KpiTotal *t)
{
    return t && t->quarter == 0 && t->theme == 0 && (!t->purchasing_group || !*t->purchasing_group)
        && (!t->tender_id || !*t->tender_id);
}

void gw_bench_total(gw_t *gw, const gw_total_t *t)
{
    if (gw->bench)
        s_apply(gw, t);
}

void gw_bench_resync(gw_t *gw, bool full, const gw_total_t **changed, long n)
{
    if (!gw->bench)
        return;
    if (!full) {
        for (long i = 0; i < n; i++)
            s_apply(gw, changed[i]);
        return;
    }
    bm_clear(gw->bench);
    gw_view_t *v = gw_clone_view(gw->clone);
    for (size_t i = 0; i < gw_view_count(v); i++)
        s_apply(gw, gw_view_at(v, i));
}

/* The request's language (?lang= checked with every route's, gw_lang.h); the body is in it */
static bool s_lang(gw_req_t *r, text_lang_t *lang)
{
    *lang = r->lang;
    r->lang_body = true;
    return true;
}

static bool s_fresh(gw_req_t *r)
{
    if (gw_clone_fresh(r->gw->clone))
        return true;
    char why[320];
    r->retry_after = GW_STALE_RETRY_AFTER_S;
    gw_reply_problem(r, 503, "stale", gw_clone_why(r->gw->clone, r->lang, why, sizeof why), NULL);
    return false;
}

void gw_h_benchmark(gw_req_t *r)
{
    static const char *const ok[] = { "year", "lang", "access_token", NULL };
    text_lang_t lang;
    if (!gw_only(r, ok) || !s_lang(r, &lang) || !s_fresh(r))
        return;
    const char *y = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "year");
    unsigned year = 0;
    if (y) {
        char *end = NULL;
        long v = strtol(y, &end, 10);
        if (!*y || *end || v < 1900 || v > 2999) {
            gw_reply_problem(r, 400, "invalid-argument", "expected a year 1900..2999", "year");
            return;
        }
        year = (unsigned)v;
    } else {
        /* the current year (year to date), or the newest year with figures before it */
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        year = (unsigned)tm.tm_year + 1900;
        unsigned ys[BM_YEARS_MAX];
        size_t ny = bm_years(r->gw->bench, ys, BM_YEARS_MAX);
        while (ny > 0 && ys[ny - 1] > year)
            ny--;
        if (ny > 0)
            year = ys[ny - 1];
    }
    json_t *o = bm_json_buyer(r->gw->bench, r->buyer, year, lang);
    if (!o) {
        /* open registry: a valid but unregistered buyer has no profile, so no class */
        gw_reply_problem(r, 404, "not-found", "this buyer has no benchmark profile", "buyer");
        return;
    }
    unsigned ys[BM_YEARS_MAX];
    size_t ny = bm_years(r->gw->bench, ys, BM_YEARS_MAX);
    json_t *years = json_array();
    for (size_t i = 0; i < ny; i++)
        json_array_append_new(years, json_integer(ys[i]));
    json_object_set_new(o, "years", years);
    json_t *texts = json_object();
    for (int i = 0; i < text_count(); i++)
        if (strncmp(text_key(i), "bench.", 6) == 0)
            json_object_set_new(texts, text_key(i), json_string(text_get(lang, text_key(i))));
    json_object_set_new(o, "texts", texts);
    json_object_set_new(o, "lang", json_string(text_lang_name(lang)));
    gw_reply_json(r, 200, o);
}

void gw_h_bench_data(gw_req_t *r)
{
    static const char *const ok[] = { "lang", "access_token", NULL };
    text_lang_t lang;
    if (!gw_only(r, ok) || !s_lang(r, &lang) || !s_fresh(r))
        return;
    if (strcmp(r->arg, "open-data.json") == 0) {
        gw_reply_json(r, 200, bm_json_open_data(r->gw->bench, lang));
        return;
    }
    if (strcmp(r->arg, "open-data.csv") == 0) {
        size_t len = 0;
        char *csv = bm_csv_open_data(r->gw->bench, lang, &len);
        if (!csv) {
            gw_reply_oom(r);
            return;
        }
        gw_reply_text(r, 200, "text/csv; charset=utf-8", csv, len);
        free(csv);
        return;
    }
    gw_reply_problem(r, 404, "not-found", "open-data.json or open-data.csv", NULL);
}

void gw_h_bench_page(gw_req_t *r)
{
    static const char *const ok[] = { "lang", "year", "access_token", NULL };
    /* the years /api/benchmark takes: the page asks it for the year it was given */
    if (!gw_only(r, ok) || !gw_page_params(r, 1900, 2999))
        return;
    const gw_asset_t *a = gw_asset_find("benchmark.html");
    if (!a) {
        gw_reply_problem(r, 404, "not-found", "no such file", NULL);
        return;
    }
    gw_reply_text(r, 200, gw_asset_type("benchmark.html"), (const char *)a->data, a->len);
}
