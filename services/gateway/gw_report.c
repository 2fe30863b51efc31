/*  gw_report: the reports and the adviser's narratives through the gateway, for the
 *  request's buyer (?buyer=, gw_buyer.c).
 *
 *  GET  /api/report?year=&quarter=&format=&lang=
 *        GenerateReport to the report service (MVOI_GATEWAY_REPORT_API), then the written
 *        file itself: html and pdf inline, xlsx/csv/json as a download. The report service
 *        writes to its reports directory; the gateway reads the file from the same directory
 *        (MVOI_GATEWAY_REPORTS_DIR: one machine, or a volume both mount) and serves only
 *        files inside it.
 *  POST /api/narratives {"year", "quarter", "theme", "text"}   (role admin)
 *        SetNarrative to the report service: the narrative of one theme of one period,
 *        shown next to that theme's figures in the buyer's report. theme by name
 *        ("klimaat") or number; every field checked here with a named error before the
 *        report service checks it again (length, UTF-8).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gw_internal.h"
#include "log.h"
#include "pbjson.h"

#define GW_REPORT_MAX_BYTES (64u << 20)
#define GW_NARRATIVE_MAX 4000

static const struct {
    const char *name, *ctype, *ext;
    Mvoi__ReportFormat fmt;
    bool inline_;
} s_formats[] = {
    { "html", "text/html; charset=utf-8", "html", MVOI__REPORT_FORMAT__FMT_HTML, true },
    { "pdf", "application/pdf", "pdf", MVOI__REPORT_FORMAT__FMT_PDF, true },
    { "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx",
      MVOI__REPORT_FORMAT__FMT_XLSX, false },
    { "csv", "text/csv; charset=utf-8", "csv", MVOI__REPORT_FORMAT__FMT_CSV, false },
    { "json", "application/json", "json", MVOI__REPORT_FORMAT__FMT_JSON, false },
};
#define S_NFORMATS (sizeof s_formats / sizeof s_formats[0])

static const char *s_arg(gw_req_t *r, const char *k)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, k);
}

/* an unsigned decimal in [lo, hi]; false when absent or not that */
static bool s_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    if (!s || !*s || strlen(s) > 9)
        return false;
    unsigned v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* The reports directory is not the report service's, or cannot be read by the gateway:
 * asked again, refused again, so 500 naming it, no Retry-After (it was 503 without one, a
 * "passing" state that never passed). */
static void s_not_served(gw_req_t *r)
{
    gw_reply_problem(r, 500, GW_MISCONFIGURED_SLUG,
                     "the report was written where the gateway cannot read it "
                     "(MVOI_GATEWAY_REPORTS_DIR must be the report service's directory)",
                     NULL);
}

/* The file the reply named is gone while its directory is there: the report service
 * promotes a period's set by exchanging the directory (renameat2 RENAME_EXCHANGE, rp_stage.h),
 * and a later run of the period in the language that did not ask for this format left it
 * out. A passing state: asked again, the file is written anew. */
static void s_replaced(gw_req_t *r)
{
    gw_reply_unavailable(r, "the report file was replaced by a later run before the gateway "
                            "read it: ask again");
}

/* The report file inside the reports directory could not be opened (error e, not ENOENT).
 * The detail named the condition with strerror(): English inside a Dutch response, and in
 * the C library's words. Now the condition is said from the catalogue in the reader's
 * language, and errno's own text goes with the path to the log, for the operator who
 * corrects it. No descriptor or memory left passes (503 + Retry-After: asked again, the
 * file is read); a permission refused or anything else is the deployment's, asked again
 * refused again: 500 misconfigured, without Retry-After. */
static void s_open_failed(gw_req_t *r, const char *real, int e)
{
    const char *kv[] = { "path", real, NULL };
    log_emit(LOG_ERROR, "report_open_failed", kv, "cannot open the report file %s: %s "
             "(errno %d)", real, strerror(e), e);
    if (e == EMFILE || e == ENFILE || e == ENOMEM)
        gw_reply_unavailable(r, "the gateway has no file descriptor or memory left to read "
                                "the report file");
    else if (e == EACCES || e == EPERM)
        gw_reply_problem(r, 500, GW_MISCONFIGURED_SLUG, "the gateway may not read the report "
                         "file (permission denied): the reports directory must be readable "
                         "by the gateway's user", NULL);
    else
        gw_reply_problemf(r, 500, GW_MISCONFIGURED_SLUG, NULL,
                          "the gateway cannot read the report file (system error %d; see "
                          "the gateway's log)", e);
}

/* Opens the reply's path when it lies inside dir (the gateway's reports directory,
 * resolved): the stream, with real the path resolved; NULL with the reply set. */
static FILE *s_open_inside(gw_req_t *r, const char *dir, const char *path, char *real)
{
    size_t dl = strlen(dir);
    if (!realpath(path, real)) {
        char parent[PATH_MAX], rp[PATH_MAX];
        int e = errno;
        snprintf(parent, sizeof parent, "%s", path);
        char *slash = strrchr(parent, '/');
        if (slash)
            *slash = 0;
        bool inside = e == ENOENT && slash && realpath(parent, rp) &&
                      strncmp(rp, dir, dl) == 0 && (rp[dl] == '/' || rp[dl] == 0);
        inside ? s_replaced(r) : s_not_served(r);
        return NULL;
    }
    if (strncmp(real, dir, dl) != 0 || real[dl] != '/') {
        s_not_served(r);
        return NULL;
    }
    FILE *f = fopen(real, "rb");
    if (!f && errno == ENOENT)
        s_replaced(r);   /* between the realpath and the open */
    else if (!f)
        s_open_failed(r, real, errno);
    return f;
}

/* The file at path, if it lies inside the gateway's reports directory; the reply is set
 * either way. The file served is whole and one run's: the report service writes each
 * file beside its name and renames it, and swaps the period's directory whole, so a file
 * once opened never changes. Between the reply and the open a later run of the same
 * buyer, period, language and format may have been promoted: its file is served, a run
 * started after this request's (the service runs one job at a time), never an earlier
 * one and never a mix of two. */
static void s_serve_file(gw_req_t *r, const char *path, int fi)
{
    char dir[PATH_MAX], real[PATH_MAX];
    if (!r->gw->reports_dir[0] || !realpath(r->gw->reports_dir, dir)) {
        s_not_served(r);
        return;
    }
    FILE *f = s_open_inside(r, dir, path, real);
    if (!f)
        return;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        gw_reply_problem(r, 500, GW_MISCONFIGURED_SLUG, "the report file cannot be read", NULL);
        return;
    }
    /* Over the bound the gateway holds in memory: said with the limit and the file's size.
     * It was 503 "cannot be read" with Retry-After: a client asked again and again for a
     * file that is there and whole and will never fit. The report exists; asked again the
     * same it is refused the same (RESOURCE_EXHAUSTED of a GET: 422, README's table). */
    if ((unsigned long long)st.st_size > GW_REPORT_MAX_BYTES) {
        fclose(f);
        gw_reply_problemf(r, 422, "too-large", "format",
                          "the report file is %llu bytes, the gateway serves at most %llu "
                          "(64 MiB): ask for another format or a quarter, or take the file "
                          "from the reports directory (mvoictl report generate names it)",
                          (unsigned long long)st.st_size,
                          (unsigned long long)GW_REPORT_MAX_BYTES);
        return;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n ? n : 1);
    size_t got = buf ? fread(buf, 1, n, f) : 0;
    fclose(f);
    if (!buf) {
        gw_reply_oom(r);
        return;
    }
    if (got != n) {   /* a read error (a file renamed into place is never cut) */
        free(buf);
        gw_reply_problem(r, 500, GW_MISCONFIGURED_SLUG, "the report file cannot be read", NULL);
        return;
    }
    free(r->resp);
    r->resp = buf;
    r->resp_len = n;
    r->status = 200;
    r->ctype = s_formats[fi].ctype;
    r->has_resp = true;
    r->report_doc = true;
    const char *base = strrchr(real, '/') + 1;
    snprintf(r->disposition, sizeof r->disposition, "%s; filename=\"%s\"",
             s_formats[fi].inline_ ? "inline" : "attachment", base);
}

bool gw_reports_served(const gw_t *gw)
{
    if (!gw->rep || !gw->reports_dir[0])
        return false;
    /* the directory, or (before the first report) the report service's data directory */
    if (access(gw->reports_dir, R_OK | X_OK) == 0)
        return true;
    char parent[sizeof gw->reports_dir];
    snprintf(parent, sizeof parent, "%s", gw->reports_dir);
    char *slash = strrchr(parent, '/');
    if (!slash || slash == parent)
        return false;
    *slash = 0;
    return access(parent, R_OK | X_OK) == 0;
}

static int s_format_of(gw_req_t *r)
{
    const char *f = s_arg(r, "format");
    for (size_t i = 0; i < S_NFORMATS; i++)
        if (strcmp(f ? f : "html", s_formats[i].name) == 0)
            return (int)i;
    return -1;
}

static void s_on_report(gw_req_t *r, Mvoi__Envelope *env)
{
    int fi = s_format_of(r);
    if (env->body_case == MVOI__ENVELOPE__BODY_REPORT_REPLY && fi >= 0) {
        const Mvoi__ReportReply *rr = env->report_reply;
        for (size_t i = 0; i < rr->n_files; i++)
            if (rr->files[i]->has_format && rr->files[i]->format == s_formats[fi].fmt &&
                rr->files[i]->path) {
                s_serve_file(r, rr->files[i]->path, fi);
                return;
            }
    }
    gw_reply_problem(r, 502, "bad-upstream", "the report service sent no such file", NULL);
}

static bool s_have_report(gw_req_t *r)
{
    if (r->gw->rep)
        return true;
    gw_reply_problem(r, 500, GW_MISCONFIGURED_SLUG,
                     "no report service is configured (MVOI_GATEWAY_REPORT_API)", NULL);
    return false;
}

void gw_h_report(gw_req_t *r)
{
    static const char *const ok[] = { "year", "quarter", "format", "lang", NULL };
    if (!gw_only(r, ok) || !s_have_report(r))
        return;
    unsigned year = 0, quarter = 0;
    if (!s_uint(s_arg(r, "year"), 2000, 2100, &year)) {
        gw_reply_problem(r, 400, "invalid-argument", "required: a year 2000..2100", "year");
        return;
    }
    if (s_arg(r, "quarter") && !s_uint(s_arg(r, "quarter"), 0, 4, &quarter)) {
        gw_reply_problem(r, 400, "invalid-argument", "0 (the year) or 1..4", "quarter");
        return;
    }
    int fi = s_format_of(r);
    if (fi < 0) {
        gw_reply_problem(r, 400, "invalid-argument", "expected html, pdf, xlsx, csv or json",
                         "format");
        return;
    }
    Mvoi__GenerateReport *g = malloc(sizeof *g);
    Mvoi__ReportFormat *fmts = malloc(sizeof *fmts);
    if (!g || !fmts) {
        free(g);
        free(fmts);
        gw_reply_oom(r);
        return;
    }
    mvoi__generate_report__init(g);
    g->buyer = strdup(r->buyer);
    g->has_year = g->has_quarter = true;
    g->year = year;
    g->quarter = quarter;
    fmts[0] = s_formats[fi].fmt;
    g->formats = fmts;
    g->n_formats = 1;
    g->lang = strdup(text_lang_name(r->lang));   /* ?lang=, Accept-Language (gw_lang.h) */
    r->lang_body = true;
    gw_call(r, r->gw->rep, MVOI__ENVELOPE__BODY_GENERATE_REPORT, &g->base, s_on_report);
}

/* ---------------------------------------------------------------- narratives */

/* The body's fields, each checked with its name; false once a 400 is set. */
static bool s_narrative_fields(gw_req_t *r, json_t *o, Mvoi__SetNarrative *m)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        if (strcmp(k, "year") && strcmp(k, "quarter") && strcmp(k, "theme") && strcmp(k, "text")) {
            gw_reply_problem(r, 400, "invalid-argument", "unknown field", k);
            return false;
        }
    }
    json_t *y = json_object_get(o, "year"), *q = json_object_get(o, "quarter");
    json_t *th = json_object_get(o, "theme"), *tx = json_object_get(o, "text");
    if (!json_is_integer(y) || json_integer_value(y) < 2000 || json_integer_value(y) > 2100) {
        gw_reply_problem(r, 400, "invalid-argument", "required: a year 2000..2100", "year");
        return false;
    }
    if (q && (!json_is_integer(q) || json_integer_value(q) < 0 || json_integer_value(q) > 4)) {
        gw_reply_problem(r, 400, "invalid-argument", "0 (the year) or 1..4", "quarter");
        return false;
    }
    int theme = 0;
    if (json_is_string(th)) {
        char name[64];
        snprintf(name, sizeof name, "THEME_%s", json_string_value(th));
        for (char *p = name; *p; p++)
            *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        if (strlen(json_string_value(th)) > 40 ||
            pbjson_enum_parse(&mvoi__theme__descriptor, name, &theme) < 0)
            theme = 0;
    } else if (json_is_integer(th) && json_integer_value(th) >= 1 && json_integer_value(th) <= 6) {
        theme = (int)json_integer_value(th);
    }
    if (theme < 1 || theme > 6) {
        gw_reply_problem(r, 400, "invalid-argument",
                         "required: klimaat, circulair, milieu, isv, diversiteit_inclusie or "
                         "social_return", "theme");
        return false;
    }
    if (!json_is_string(tx)) {
        gw_reply_problem(r, 400, "invalid-argument", "required: a string (empty removes it)", "text");
        return false;
    }
    if (json_string_length(tx) > GW_NARRATIVE_MAX) {
        gw_reply_problem(r, 400, "invalid-argument", "at most 4000 bytes of UTF-8", "text");
        return false;
    }
    m->has_year = m->has_quarter = m->has_theme = true;
    m->year = (uint32_t)json_integer_value(y);
    m->quarter = q ? (uint32_t)json_integer_value(q) : 0;
    m->theme = (uint32_t)theme;
    /* jansson refuses invalid UTF-8 and keeps an embedded NUL in the length: refuse it */
    if (strlen(json_string_value(tx)) != json_string_length(tx)) {
        gw_reply_problem(r, 400, "invalid-argument", "contains a NUL character", "text");
        return false;
    }
    m->text = strdup(json_string_value(tx));
    return m->text != NULL;
}

void gw_h_narrative(gw_req_t *r)
{
    static const char *const none[] = { NULL };
    if (!gw_only(r, none) || !s_have_report(r))
        return;
    json_error_t je;
    json_t *o = gw_body_json(r, &je);
    if (!o && r->has_resp)
        return;
    if (!json_is_object(o)) {
        json_decref(o);
        gw_reply_problem(r, 400, "bad-json", "expected a JSON object {year, quarter, theme, text}",
                         NULL);
        return;
    }
    Mvoi__SetNarrative *m = malloc(sizeof *m);
    if (!m) {
        json_decref(o);
        gw_reply_oom(r);
        return;
    }
    mvoi__set_narrative__init(m);
    bool ok = s_narrative_fields(r, o, m);
    json_decref(o);
    if (!ok) {
        protobuf_c_message_free_unpacked(&m->base, NULL);
        if (!r->has_resp)
            gw_reply_oom(r);
        return;
    }
    gw_call(r, r->gw->rep, MVOI__ENVELOPE__BODY_SET_NARRATIVE, &m->base, gw_reply_200);
}
