/*  report between real processes: mvoi-report against mvoi-report-fakeup (a fake
 *  kpi-aggregator + calendar + impact-calculator serving the generated data set of
 *  dataset.c). Every figure of the report is checked against this file's own arithmetic
 *  over the raw data set (not against the fake's aggregation, not against report_core),
 *  in each format: CSV (RFC 4180 and the Dutch dialect) parsed back here, XLSX read back
 *  with python3-openpyxl, HTML (data-raw and the shown text), JSON; the HTML is rendered to
 *  PNG by headless Chromium and the PDF to PNG pages by pdftoppm.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "dataset.h"
#include "harness.h"

#define YEAR 2026
#define NT 60
#define NM 3000

static const char *s_kn[] = { NULL, "fairtrade", "sroi", "nox", "material", "co2", "pilots" };
static const int s_scale[] = { 0, 0, 2, 6, 3, 3, 0 };
static const int s_dec[] = { 0, 0, 2, 3, 3, 3, 0 };

/* ------------------------------------------------------------------ expected figures */

typedef struct { int64_t v[6]; } x_val_t;   /* ambition realisation projects target denom count */
enum { A, R, P, TG, D, C };

static ds_t ds;

/* The SROI target on the report's one basis: the obligations of the contracts (not
 * cancelled, with an obligation) published in the window or realised on there, whatever
 * year they were published in. */
static int64_t x_sroi_target(uint32_t y, unsigned qmask)
{
    int64_t sum = 0;
    for (uint32_t i = 0; i < ds.ntenders; i++) {
        const ds_tender_t *t = &ds.t[i];
        if (t->status == 8 || t->obligation_cents <= 0)
            continue;
        bool in = t->year == y && (qmask & (1u << t->quarter));
        for (uint32_t j = 0; j < ds.nmeas && !in; j++) {
            const ds_meas_t *m = &ds.m[j];
            in = m->tender == i && m->kpi == 2 && !m->ambition && m->amount && m->year == y &&
                 (qmask & (1u << m->quarter));
        }
        if (in)
            sum += t->obligation_cents;
    }
    return sum;
}

/* Targets without a figure, shown "–" (no CSV row): the KPIs the plan sets none for
 * (all but SROI and pilots), a quarter of the pilots' yearly target, and the previous
 * year's SROI target (its contracts are not fetched, so it has no figure on the report's
 * basis). */
static bool x_na(int k, int col, int m, uint32_t q)
{
    return m == TG && ((k != 2 && k != 6) || (k == 2 && col == 2) || (k == 6 && col == 0 && q));
}

/* A figure nobody measured (no measurement behind the column: count 0, value 0) has no
 * figure: "–" in the HTML and XLSX, no CSV row, null in the JSON, an empty waarde in the
 * MVI export; a measured 0 is a 0. The pilots' figures are counts (always a figure); the
 * denominator is fair trade's alone. Or a target without a figure (x_na). */
static bool x_none(int k, int col, int m, uint32_t q, const x_val_t *x)
{
    return x_na(k, col, m, q) || (m == D && k != 1) ||
           (k != 6 && (m == A || m == R || m == D) && x->v[C] == 0 && x->v[m] == 0);
}

/* quarters: a bitmask of the quarters that count (bit q), year y */
static x_val_t x_kpi(int k, uint32_t y, unsigned qmask, bool year_window)
{
    x_val_t x = { { 0 } };
    uint8_t *seen = calloc(ds.ntenders + 1, 1);
    for (uint32_t j = 0; j < ds.nmeas; j++) {
        const ds_meas_t *m = &ds.m[j];
        if (m->kpi != k || m->year != y || !(qmask & (1u << m->quarter)))
            continue;
        x.v[m->ambition ? A : R] += m->amount;
        x.v[D] += m->denominator;
        x.v[C]++;
        if (ds.t[m->tender].status != 8 && !seen[m->tender]) {
            seen[m->tender] = 1;
            x.v[P]++;
        }
    }
    free(seen);
    for (uint32_t i = 0; i < ds.ntenders; i++) {
        const ds_tender_t *t = &ds.t[i];
        if (t->status == 8 || t->year != y || !(qmask & (1u << t->quarter)))
            continue;
        if (k == 6 && t->pilot)
            x.v[A]++;
    }
    if (k == 2)
        x.v[TG] = x_sroi_target(y, qmask);
    if (k == 6 && year_window)
        x.v[TG] = 3;
    if (k == 6)   /* distinct pilots: the not cancelled tenders that reported one */
        x.v[R] = x.v[P];
    return x;
}

/* period, ytd, prev of a report (quarter 0 = annual) */
static x_val_t x_col(int k, uint32_t y, uint32_t q, int col)
{
    unsigned all = 0x1e;
    if (col == 0)
        return q ? x_kpi(k, y, 1u << q, false) : x_kpi(k, y, all, true);
    if (col == 1) {
        unsigned m = 0;
        for (uint32_t i = 1; i <= (q ? q : 4); i++)
            m |= 1u << i;
        return x_kpi(k, y, m, true);
    }
    return x_kpi(k, y - 1, all, true);
}

/* The summary's pilots of a quarterly report: realised up to the quarter's end (distinct
 * pilots, not those reported after it) of the target, the year's pilot tenders beside
 * them (it had printed the pilot tenders over 3, "3 / 3" beside a target not met). */
static void s_expect_summary_pilots(const char *html, uint32_t q)
{
    x_val_t py = x_col(6, YEAR, 0, 0), ytd = x_col(6, YEAR, q, 1);
    cr_assert_neq(ytd.v[R], py.v[R], "the data set has pilots after Q%u", q);
    char want[200];
    snprintf(want, sizeof want, "Pilots dit jaar tot en met dit kwartaal: <strong id=\"n-pilots\">"
             "%" PRId64 "</strong> gerealiseerd van het doel van 3 (pilottrajecten gepland dit "
             "jaar: %" PRId64 ")",
             ytd.v[R], py.v[A]);
    cr_expect(strstr(html, want), "summary pilots: %s", want);
}

/* Independent formatting: v / 10^scale with dec decimals, half away from zero. */
static void x_fmt(char *buf, int64_t v, int scale, int dec, char sep, char decc)
{
    int64_t p = 1;
    for (int i = 0; i < scale - dec; i++)
        p *= 10;
    int64_t a = v < 0 ? -v : v;
    int64_t q = (a + p / 2) / p;   /* now in units of 10^-dec */
    int64_t d = 1;
    for (int i = 0; i < dec; i++)
        d *= 10;
    int64_t ip = q / d, fp = q % d;
    char ib[32], grouped[48];
    snprintf(ib, sizeof ib, "%" PRId64, ip);
    int n = 0, len = (int)strlen(ib);
    for (int i = 0; i < len; i++) {
        grouped[n++] = ib[i];
        if (sep && (len - 1 - i) > 0 && (len - 1 - i) % 3 == 0)
            grouped[n++] = sep;
    }
    grouped[n] = 0;
    if (dec)
        sprintf(buf, "%s%s%c%0*" PRId64, v < 0 && q ? "-" : "", grouped, decc, dec, fp);
    else
        sprintf(buf, "%s%s", v < 0 && q ? "-" : "", grouped);
}

/* ------------------------------------------------------------------ fixture */

typedef struct {
    char dir[128], up[192], api[192], pub[192];
    char env[16][512];
    const char *envp[17];
    h_proc_t fake, rep;
} fx_t;

static fx_t fx;

static void fx_start(const char *fake_year_tenders_meas[3], const char *extra_env)
{
    memset(&fx, 0, sizeof fx);
    h_tmpdir(fx.dir, sizeof fx.dir);
    snprintf(fx.up, sizeof fx.up, "ipc://%s/up", fx.dir);
    snprintf(fx.api, sizeof fx.api, "ipc://%s/api", fx.dir);
    snprintf(fx.pub, sizeof fx.pub, "ipc://%s/pub", fx.dir);
    char bin[512];
    h_bin(bin, sizeof bin, "tests/integration/report/mvoi-report-fakeup");
    pid_t pid = fork();
    if (pid == 0) {
        char log[256];
        snprintf(log, sizeof log, "%s/fakeup.log", fx.dir);
        freopen(log, "a", stderr);
        execl(bin, bin, fx.up, fake_year_tenders_meas[0], fake_year_tenders_meas[1],
              fake_year_tenders_meas[2], (char *)NULL);
        _exit(127);
    }
    fx.fake.pid = pid;
    snprintf(fx.fake.name, sizeof fx.fake.name, "fakeup");
    int n = 0;
    snprintf(fx.env[n++], 512, "MVOI_DATA_DIR=%s/data", fx.dir);
    snprintf(fx.env[n++], 512, "MVOI_REPORT_API=%s", fx.api);
    snprintf(fx.env[n++], 512, "MVOI_REPORT_PUB=%s", fx.pub);
    snprintf(fx.env[n++], 512, "MVOI_REPORT_KPI_API=%s", fx.up);
    snprintf(fx.env[n++], 512, "MVOI_REPORT_CALENDAR_API=%s", fx.up);
    snprintf(fx.env[n++], 512, "MVOI_REPORT_IMPACT_API=%s", fx.up);
    snprintf(fx.env[n++], 512, "MVOI_REPORT_AUTO=false");
    snprintf(fx.env[n++], 512, "MVOI_REPORT_LEVELS_FILE=%s/services/report/data/ambition-levels.csv",
             MVOI_SOURCE_DIR);
    snprintf(fx.env[n++], 512, "MVOI_LOG_LEVEL=warn");
    if (extra_env)
        snprintf(fx.env[n++], 512, "%s", extra_env);
    for (int i = 0; i < n; i++)
        fx.envp[i] = fx.env[i];
    fx.envp[n] = NULL;
    h_bin(bin, sizeof bin, "services/report/mvoi-report");
    cr_assert_eq(h_spawn(&fx.rep, bin, "report", fx.dir, fx.envp), 0);
    cr_assert_eq(h_wait_healthy(fx.api, 10000), 0, "mvoi-report did not come up");
}

static void fx_stop(void)
{
    h_signal(&fx.rep, SIGTERM);
    int st = 0;
    cr_expect_eq(h_wait(&fx.rep, 10000, &st), 0);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "mvoi-report exit status %d", st);
    kill(fx.fake.pid, SIGTERM);
    waitpid(fx.fake.pid, &st, 0);
    if (!getenv("MVOI_KEEP"))
        h_tmpdir_remove(fx.dir);
}

static const char *s_known[3] = { "2026", "60", "3000" };
static void setup_known(void) { ds_generate(&ds, YEAR, NT, NM); fx_start(s_known, NULL); }
static void teardown(void) { fx_stop(); ds_free(&ds); }

/* ------------------------------------------------------------------ helpers */

static Mvoi__Envelope *s_generate(const char *rid, uint32_t year, uint32_t q, const char *lang,
                                  const int *formats, size_t nf, int timeout_ms)
{
    Mvoi__GenerateReport g = MVOI__GENERATE_REPORT__INIT;
    g.buyer = DS_BUYER;
    g.has_year = g.has_quarter = true;
    g.year = year;
    g.quarter = q;
    g.lang = (char *)lang;
    g.n_formats = nf;
    g.formats = (Mvoi__ReportFormat *)formats;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = (char *)rid;
    e.buyer = DS_BUYER;
    e.body_case = MVOI__ENVELOPE__BODY_GENERATE_REPORT;
    e.generate_report = &g;
    Mvoi__Envelope *rep = NULL;
    int rc = h_request(fx.api, &e, &rep, timeout_ms);
    cr_assert_eq(rc, 0, "GenerateReport: no reply (%d)", rc);
    return rep;
}

static const char *s_path(const Mvoi__Envelope *rep, int fmt)
{
    cr_assert_eq(rep->body_case, MVOI__ENVELOPE__BODY_REPORT_REPLY, "reply is %s: %s",
                 codec_body_name(rep->body_case),
                 rep->body_case == MVOI__ENVELOPE__BODY_ERROR ? rep->error->message : "");
    for (size_t i = 0; i < rep->report_reply->n_files; i++)
        if ((int)rep->report_reply->files[i]->format == fmt)
            return rep->report_reply->files[i]->path;
    cr_assert_fail("format %d missing from the reply", fmt);
    return NULL;
}

static char *s_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    if (len)
        *len = (size_t)n;
    return b;
}

/* RFC 4180 reader: the next record's fields into f[] (at most 16). Returns the count, 0 at
 * the end. Checks CRLF line ends. */
static int s_csv_record(const char **pp, char sep, char f[16][256])
{
    const char *p = *pp;
    if (!*p)
        return 0;
    int n = 0;
    for (;;) {
        size_t k = 0;
        if (*p == '"') {
            p++;
            for (;;) {
                cr_assert(*p, "unterminated quoted field");
                if (*p == '"' && p[1] == '"') { f[n][k++] = '"'; p += 2; continue; }
                if (*p == '"') { p++; break; }
                f[n][k++] = *p++;
            }
        } else
            while (*p && *p != sep && *p != '\r' && *p != '\n')
                f[n][k++] = *p++;
        f[n++][k] = 0;
        if (*p == sep) { p++; continue; }
        cr_assert(p[0] == '\r' && p[1] == '\n', "record does not end in CRLF");
        p += 2;
        break;
    }
    *pp = p;
    return n;
}

static int s_measure(const char *m)
{
    static const char *names[] = { "ambition", "realisation", "projects", "target",
                                   "denominator", "count" };
    for (int i = 0; i < 6; i++)
        if (strcmp(m, names[i]) == 0)
            return i;
    return -1;
}

/* Check every "kpi" row of a report CSV against the arithmetic. */
static void s_check_csv(const char *path, bool dutch, uint32_t y, uint32_t q)
{
    char *b = s_slurp(path, NULL);
    const char *p = b;
    if (dutch) {
        cr_assert(memcmp(p, "\xEF\xBB\xBF", 3) == 0, "Dutch CSV without BOM");
        p += 3;
    }
    char f[16][256];
    char sep = dutch ? ';' : ',';
    cr_assert_eq(s_csv_record(&p, sep, f), 10);
    cr_assert_str_eq(f[0], "section");
    char period[16], prev[16];
    if (q) snprintf(period, sizeof period, "%u-q%u", y, q);
    else snprintf(period, sizeof period, "%u", y);
    snprintf(prev, sizeof prev, "%u", y - 1);
    int checked = 0, n;
    while ((n = s_csv_record(&p, sep, f)) > 0) {
        cr_assert_eq(n, 10);
        if (strcmp(f[0], "kpi") != 0)
            continue;
        int k = 0;
        for (int i = 1; i <= 6; i++)
            if (strcmp(f[1], s_kn[i]) == 0)
                k = i;
        int col = strcmp(f[4], period) == 0 ? 0 : strcmp(f[4], "ytd") == 0 ? 1
                : strcmp(f[4], prev) == 0 ? 2 : -1;
        int m = s_measure(f[5]);
        cr_assert(k && col >= 0 && m >= 0, "unexpected row %s %s %s", f[1], f[4], f[5]);
        x_val_t x = x_col(k, y, q, col);
        cr_assert(!x_none(k, col, m, q, &x), "a row for a figure that has none: %s %s %s %s",
                  f[1], f[4], f[5], f[6]);
        int64_t raw = strtoll(f[8], NULL, 10);
        cr_expect_eq(raw, x.v[m], "%s %s %s: csv %" PRId64 " expected %" PRId64, f[1], f[4],
                     f[5], raw, x.v[m]);
        char want[64];
        bool qty = m == A || m == R || m == TG;
        /* exact: every decimal of the raw integer (NOx kg with 6), not rounded */
        x_fmt(want, x.v[m], qty ? s_scale[k] : 0, qty ? s_scale[k] : 0, 0, dutch ? ',' : '.');
        cr_expect_str_eq(f[6], want, "%s %s %s shown", f[1], f[4], f[5]);
        checked++;
    }
    /* every figure that has one: not the targets without a figure (4 KPIs x 3 columns,
     * SROI's previous year, a quarter's pilots), the denominators of the KPIs other than
     * fair trade, nor what nobody measured */
    int want = 0;
    for (int k = 1; k <= 6; k++)
        for (int col = 0; col < 3; col++) {
            x_val_t x = x_col(k, y, q, col);
            for (int m = 0; m < 6; m++)
                want += !x_none(k, col, m, q, &x);
        }
    cr_assert_eq(checked, want, "kpi rows checked: %d of %d", checked, want);
    free(b);
}

/* HTML: <td class="n" id="k-co2-ytd-realisation" data-raw="N">TEXT</td> */
static void s_check_html(const char *path, uint32_t y, uint32_t q, bool en)
{
    char *b = s_slurp(path, NULL);
    static const char *cols[] = { "period", "ytd", "prev" };
    static const char *ms[] = { "ambition", "realisation", "projects", "target", "denominator" };
    int checked = 0;
    for (int k = 1; k <= 6; k++)
        for (int c = 0; c < 3; c++) {
            x_val_t x = x_col(k, y, q, c);
            int nm = k == 1 ? 5 : (k == 2 || k == 6) ? 4 : 3;
            for (int m = 0; m < nm; m++) {
                char id[96], want[200], num[64];
                snprintf(id, sizeof id, "id=\"k-%s-%s-%s\"", s_kn[k], cols[c], ms[m]);
                char *at = strstr(b, id);
                cr_assert(at, "%s missing", id);
                bool qty = m == A || m == R || m == TG;
                x_fmt(num, x.v[m], qty ? s_scale[k] : 0, qty ? s_dec[k] : 0, en ? ',' : '.',
                      en ? '.' : ',');
                if (x_na(k, c, m, q))
                    snprintf(want, sizeof want, "%s>–</td>", id);
                else if (x_none(k, c, m, q, &x))   /* nothing measured: "–", no raw */
                    snprintf(want, sizeof want, "%s data-raw=\"\">–</td>", id);
                else
                    snprintf(want, sizeof want, "%s data-raw=\"%" PRId64 "\">%s</td>", id,
                             x.v[m], num);
                cr_expect(strncmp(at, want, strlen(want)) == 0, "%s: want %s got %.80s", id,
                          want, at);
                checked++;
            }
        }
    cr_assert(strstr(b, "<caption>") && strstr(b, "scope=\"col\"") && strstr(b, "<title id="),
              "semantic tables / SVG titles missing");
    cr_assert(strstr(b, "@page{size:A4"));
    cr_assert(!strstr(b, "<script") && !strstr(b, "src=\"http"), "not self-contained");
    free(b);
    cr_assert_gt(checked, 60);
}

static void s_check_xlsx(const char *path, uint32_t y, uint32_t q, bool en)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/integration/report/xlsx_dump.py '%s'",
             MVOI_SOURCE_DIR, path);
    FILE *pp = popen(cmd, "r");
    cr_assert(pp);
    char line[1024];
    int row = 0;
    bool sheets = false, notice = false;
    while (fgets(line, sizeof line, pp)) {
        char *save = NULL, *tok[8];
        int n = 0;
        for (char *t = strtok_r(line, "\t\n", &save); t && n < 8; t = strtok_r(NULL, "\t\n", &save))
            tok[n++] = t;
        if (n && strcmp(tok[0], "sheets") == 0) {
            sheets = n >= 7;
            continue;
        }
        if (n == 2 && strcmp(tok[0], "notice") == 0) {
            notice = notice ||
                     strncmp(tok[1], en ? "Provisional: " : "Voorlopig: ", en ? 13 : 11) == 0;
            continue;
        }
        cr_assert_eq(n, 8, "xlsx line: %s", line);
        int k = row / 6 + 1, m = s_measure(tok[0]);
        cr_assert_eq(m, row % 6);
        /* the reader's words, not the machine's: measure | unit */
        static const char *nl_words[] = { "Ambitie", "Realisatie", "Projecten", "Doel" };
        static const char *en_words[] = { "Ambition", "Realisation", "Projects", "Target" };
        if (m < 4) {
            char want[96];
            snprintf(want, sizeof want, "%s | %s",
                     k == 2 && m == TG ? (en ? "Target (SROI obligation)" : "Doel (SROI-verplichting)")
                                       : (en ? en_words : nl_words)[m],
                     m == 2 ? (en ? "count" : "aantal") : k == 2 ? "€" : k == 1
                         ? (en ? "products" : "producten") : k == 6 ? "pilots" : "kg");
            cr_expect_str_eq(tok[7], want, "xlsx %s row %d", s_kn[k], row);
        }
        for (int c = 0; c < 3; c++) {
            x_val_t x = x_col(k, y, q, c);
            bool qty = m == A || m == R || m == TG;
            if (x_none(k, c, m, q, &x)) {
                cr_expect(strcmp(tok[1 + c * 2], "'–'") == 0 && strcmp(tok[2 + c * 2], "na") == 0,
                          "xlsx %s %d %s: %s %s", s_kn[k], c, tok[0], tok[1 + c * 2],
                          tok[2 + c * 2]);
                continue;
            }
            double shown = strtod(tok[1 + c * 2], NULL);
            int64_t raw = strtoll(tok[2 + c * 2], NULL, 10);
            cr_expect_eq(raw, x.v[m], "xlsx %s %d %s raw", s_kn[k], c, tok[0]);
            double div = 1;
            for (int i = 0; qty && i < s_scale[k]; i++)
                div *= 10;
            double want = (double)x.v[m] / div;
            double diff = shown - want;
            cr_expect(diff < 1e-9 * (want < 0 ? -want : want) + 1e-12 &&
                      -diff < 1e-9 * (want < 0 ? -want : want) + 1e-12,
                      "xlsx %s %d %s shown %.9f want %.9f", s_kn[k], c, tok[0], shown, want);
        }
        row++;
    }
    cr_assert_eq(pclose(pp), 0, "openpyxl failed");
    cr_assert_eq(row, 36);
    cr_assert(sheets, "sheets missing");
    /* a period that has not ended says so under its figures (UTC midnight is near enough
     * for the test's periods) */
    struct tm end = { .tm_year = (int)(q && q < 4 ? y : y + 1) - 1900,
                      .tm_mon = q && q < 4 ? (int)q * 3 : 0, .tm_mday = 1 };
    cr_expect_eq(notice, time(NULL) < timegm(&end), "xlsx provisional notice %d", notice);
}

/* The MVI Platform export of Q2: its status row, then KPIs 1, 2, 6 of the quarter. */
static void s_check_mvi(const char *path)
{
    char *mvi = s_slurp(path, NULL);
    char line[256], num[64];
    x_val_t f = x_col(1, YEAR, 2, 0), s = x_col(2, YEAR, 2, 0), p = x_col(6, YEAR, 2, 0);
    cr_expect(strstr(mvi, "eenheid\r\nheerlen;2026;2;0;voorlopig;0;ja_nee\r\n"), "mvi status");
    snprintf(num, sizeof num, "%" PRId64, f.v[R]);
    snprintf(line, sizeof line, "heerlen;2026;2;1;fairtrade_producten;%s;producten\r\n",
             x_none(1, 0, R, 2, &f) ? "" : num);
    cr_expect(strstr(mvi, line), "mvi: %s", line);
    x_fmt(num, s.v[R], 2, 2, 0, ',');
    if (x_none(2, 0, R, 2, &s))   /* nothing measured: an empty waarde */
        num[0] = 0;
    snprintf(line, sizeof line, "heerlen;2026;2;2;sroi_besteed_sociaal;%s;EUR\r\n", num);
    cr_expect(strstr(mvi, line), "mvi: %s", line);
    x_fmt(num, s.v[TG], 2, 2, 0, ',');
    snprintf(line, sizeof line, "heerlen;2026;2;2;sroi_verplichting;%s;EUR\r\n", num);
    cr_expect(strstr(mvi, line), "mvi: %s", line);
    snprintf(line, sizeof line, "heerlen;2026;2;6;pilottrajecten_gepland;%" PRId64 ";pilots\r\n",
             p.v[A]);
    cr_expect(strstr(mvi, line), "mvi: %s", line);
    snprintf(line, sizeof line, "heerlen;2026;2;6;pilots_gerealiseerd;%" PRId64 ";pilots\r\n",
             p.v[R]);
    cr_expect(strstr(mvi, line), "mvi: %s", line);
    free(mvi);
}

/* A child's log into the test's output: the fixture's temp dir is removed after it. */
static void s_show_log(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len = 0;
    char *text = s_slurp(path, &len);
    fprintf(stderr, "===== %s (%zu bytes) =====\n%s\n===== end of %s =====\n", path, len,
            text ? text : "(unreadable)", name);
    free(text);
}

static int s_run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* ------------------------------------------------------------------ tests */

TestSuite(report_it, .init = setup_known, .fini = teardown, .timeout = 90);

/* The whole report of Q2 2026 in every format, Dutch. */
Test(report_it, known_quarter_all_formats)
{
    Mvoi__Envelope *rep = s_generate("t-known-q2", YEAR, 2, "nl", NULL, 0, 60000);
    s_check_csv(s_path(rep, MVOI__REPORT_FORMAT__FMT_CSV), false, YEAR, 2);
    s_check_csv(s_path(rep, MVOI__REPORT_FORMAT__FMT_CSV_NL), true, YEAR, 2);
    s_check_html(s_path(rep, MVOI__REPORT_FORMAT__FMT_HTML), YEAR, 2, false);
    s_check_xlsx(s_path(rep, MVOI__REPORT_FORMAT__FMT_XLSX), YEAR, 2, false);

    /* JSON: the period totals and the sources */
    json_error_t je;
    json_t *j = json_load_file(s_path(rep, MVOI__REPORT_FORMAT__FMT_JSON), 0, &je);
    cr_assert(j, "json: %s", je.text);
    json_t *kpis = json_object_get(j, "kpis");
    cr_assert_eq(json_array_size(kpis), 6);
    for (int k = 1; k <= 6; k++) {
        x_val_t x = x_col(k, YEAR, 2, 0);
        json_t *per = json_object_get(json_array_get(kpis, (size_t)k - 1), "period");
        cr_expect_eq(json_integer_value(json_object_get(per, "realisation")), x.v[R]);
        cr_expect_eq(json_integer_value(json_object_get(per, "ambition")), x.v[A]);
        /* nothing measured: null, not 0 */
        cr_expect_eq(json_is_null(json_object_get(per, "realisation")),
                     x_none(k, 0, R, 2, &x), "json %s realisation", s_kn[k]);
        cr_expect_eq(json_is_null(json_object_get(per, "ambition")), x_none(k, 0, A, 2, &x),
                     "json %s ambition", s_kn[k]);
        cr_expect_eq(json_integer_value(json_object_get(json_array_get(kpis, (size_t)k - 1),
                                                        "measurements")), x.v[C]);
    }
    cr_expect_eq(json_array_size(json_object_get(j, "sources")),
                 (size_t)(x_col(1, YEAR, 2, 0).v[C] + x_col(2, YEAR, 2, 0).v[C] +
                          x_col(3, YEAR, 2, 0).v[C] + x_col(4, YEAR, 2, 0).v[C] +
                          x_col(5, YEAR, 2, 0).v[C] + x_col(6, YEAR, 2, 0).v[C]));

    /* Cancelled tenders of the period: listed, counted, not projects (the arithmetic above
     * already excludes them from projects). */
    int64_t cancelled = 0, in_period = 0;
    for (uint32_t i = 0; i < ds.ntenders; i++)
        if (ds.t[i].year == YEAR && ds.t[i].quarter == 2) {
            in_period++;
            cancelled += ds.t[i].status == 8;
        }
    cr_assert_gt(cancelled, 0, "the data set has cancelled tenders in Q2");
    cr_expect_eq(json_integer_value(json_object_get(j, "cancelled_tenders")), cancelled);
    cr_expect(json_is_false(json_object_get(j, "provisional")), "Q2 2026 has ended");
    cr_expect_eq(json_array_size(json_object_get(j, "annex")), (size_t)in_period);
    json_decref(j);
    char *html = s_slurp(s_path(rep, MVOI__REPORT_FORMAT__FMT_HTML), NULL);
    char want[64];
    snprintf(want, sizeof want, "id=\"n-cancelled\">%" PRId64 "<", cancelled);
    cr_expect(strstr(html, want), "cancelled count");
    cr_expect(strstr(html, "geannuleerd: budget"), "cancel reason in the annex");
    s_expect_summary_pilots(html, 2);
    free(html);

    s_check_mvi(s_path(rep, MVOI__REPORT_FORMAT__FMT_MVI_PLATFORM));

    /* The PDF as PNG pages (pdftoppm), and the HTML as PNG by headless Chromium. */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "pdftoppm -r 40 -png '%s' '%s/page' 2>'%s/pdftoppm.err'",
             s_path(rep, MVOI__REPORT_FORMAT__FMT_PDF), fx.dir, fx.dir);
    int prc = s_run(cmd);
    if (prc != 0)
        s_show_log(fx.dir, "pdftoppm.err");
    cr_assert_eq(prc, 0, "pdftoppm failed (%d)", prc);
    snprintf(cmd, sizeof cmd, "ls %s/page*.png | wc -l", fx.dir);
    FILE *pp = popen(cmd, "r");
    int pages = 0;
    cr_assert_eq(fscanf(pp, "%d", &pages), 1);
    pclose(pp);
    cr_expect_geq(pages, 2, "PDF pages: %d", pages);
    snprintf(cmd, sizeof cmd,
             "timeout 40 chromium --headless --no-sandbox --disable-gpu "
             "--disable-background-networking --disable-component-update --no-first-run "
             "--window-size=1024,3000 --screenshot='%s/report.png' 'file://%s' "
             ">'%s/chromium.log' 2>&1",
             fx.dir, s_path(rep, MVOI__REPORT_FORMAT__FMT_HTML), fx.dir);
    int crc = s_run(cmd);
    if (crc != 0)
        s_show_log(fx.dir, "chromium.log");   /* the temp dir goes with the fixture */
    cr_assert_eq(crc, 0, "chromium failed (%d)", crc);
    struct stat st;
    char png[256];
    snprintf(png, sizeof png, "%s/report.png", fx.dir);
    cr_assert_eq(stat(png, &st), 0);
    cr_expect_gt(st.st_size, 20000, "screenshot is %ld bytes", (long)st.st_size);
    /* No renderer errors besides the container's missing D-Bus and an IPC message
     * chromium may drop as headless mode closes the page after the screenshot. */
    snprintf(cmd, sizeof cmd, "grep ':ERROR:' '%s/chromium.log' | grep -v -e dbus -e 'bus.cc' "
             "-e object_proxy -e 'rejected by interface blink.mojom.FrameWidgetHost' "
             "| grep -q .", fx.dir);
    int errs = s_run(cmd);
    if (errs == 0)
        s_show_log(fx.dir, "chromium.log");
    cr_expect_neq(errs, 0, "chromium logged errors (its log is above)");
    mvoi__envelope__free_unpacked(rep, NULL);
}

/* The annual report in English: year window, English number style. */
Test(report_it, annual_english)
{
    int fm[] = { MVOI__REPORT_FORMAT__FMT_HTML, MVOI__REPORT_FORMAT__FMT_CSV,
                 MVOI__REPORT_FORMAT__FMT_XLSX };
    Mvoi__Envelope *rep = s_generate("t-annual", YEAR, 0, "en", fm, 3, 30000);
    s_check_csv(s_path(rep, MVOI__REPORT_FORMAT__FMT_CSV), false, YEAR, 0);
    s_check_html(s_path(rep, MVOI__REPORT_FORMAT__FMT_HTML), YEAR, 0, true);
    s_check_xlsx(s_path(rep, MVOI__REPORT_FORMAT__FMT_XLSX), YEAR, 0, true);
    char *html = s_slurp(s_path(rep, MVOI__REPORT_FORMAT__FMT_HTML), NULL);
    cr_expect(strstr(html, "<html lang=\"en\">") && strstr(html, "Annual MVOI report 2026"));
    free(html);
    mvoi__envelope__free_unpacked(rep, NULL);
}

/* A period without tenders or measurements: every figure zero, the notice shown. */
Test(report_it, empty_period)
{
    int fm[] = { MVOI__REPORT_FORMAT__FMT_HTML, MVOI__REPORT_FORMAT__FMT_CSV_NL,
                 MVOI__REPORT_FORMAT__FMT_MVI_PLATFORM };
    Mvoi__Envelope *rep = s_generate("t-empty", 2030, 3, NULL, fm, 3, 30000);
    s_check_csv(s_path(rep, MVOI__REPORT_FORMAT__FMT_CSV_NL), true, 2030, 3);
    char *html = s_slurp(s_path(rep, MVOI__REPORT_FORMAT__FMT_HTML), NULL);
    cr_expect(strstr(html, "id=\"empty\""), "empty-period notice");
    cr_expect(strstr(html, "id=\"n-tenders\">0<"));
    free(html);
    mvoi__envelope__free_unpacked(rep, NULL);
}

static uint64_t s_head(void)
{
    Mvoi__HealthRequest h = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT, *rep = NULL;
    e.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    e.health = &h;
    cr_assert_eq(h_request(fx.api, &e, &rep, 5000), 0);
    uint64_t head = rep->health_reply->head_seq;
    mvoi__envelope__free_unpacked(rep, NULL);
    return head;
}

/* A repeated request id returns the stored reply and generates nothing; bad input is
 * rejected naming the field. */
Test(report_it, idempotent_and_validated)
{
    int fm[] = { MVOI__REPORT_FORMAT__FMT_JSON };
    Mvoi__Envelope *a = s_generate("t-idem", YEAR, 1, NULL, fm, 1, 30000);
    uint64_t head = s_head();
    cr_assert_eq(head, 1);
    Mvoi__Envelope *b = s_generate("t-idem", YEAR, 1, NULL, fm, 1, 30000);
    cr_assert_str_eq(s_path(a, MVOI__REPORT_FORMAT__FMT_JSON), s_path(b, MVOI__REPORT_FORMAT__FMT_JSON));
    cr_assert_eq(s_head(), head, "a repeat generated again");
    mvoi__envelope__free_unpacked(a, NULL);
    mvoi__envelope__free_unpacked(b, NULL);
    Mvoi__Envelope *c = s_generate("t-bad", YEAR, 5, NULL, fm, 1, 5000);
    cr_assert_eq(c->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_str_eq(c->error->field, "generate_report.quarter");
    mvoi__envelope__free_unpacked(c, NULL);
    c = s_generate("t-bad2", YEAR, 1, "fr", fm, 1, 5000);
    cr_assert_eq(c->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_str_eq(c->error->field, "generate_report.lang");
    mvoi__envelope__free_unpacked(c, NULL);
}

/* One SetNarrative straight to the service: the reply's error field, or "" when stored. */
static void s_set_narrative(const char *buyer, uint32_t theme, const char *text, char *field,
                            size_t cap)
{
    Mvoi__SetNarrative m = MVOI__SET_NARRATIVE__INIT;
    m.has_year = m.has_quarter = m.has_theme = true;
    m.year = YEAR;
    m.quarter = 2;
    m.theme = theme;
    m.text = (char *)text;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT, *rep = NULL;
    e.request_id = "t-narr";
    e.buyer = (char *)buyer;
    e.body_case = MVOI__ENVELOPE__BODY_SET_NARRATIVE;
    e.set_narrative = &m;
    cr_assert_eq(h_request(fx.api, &e, &rep, 5000), 0);
    snprintf(field, cap, "%s", rep->body_case == MVOI__ENVELOPE__BODY_ERROR ? rep->error->field : "");
    mvoi__envelope__free_unpacked(rep, NULL);
}

/* The adviser's narrative: entered with mvoictl per buyer, period and theme, shown in the
 * report next to the themes; another buyer's text with the same ids stays out; bad input is
 * refused naming the field and changes nothing; an empty text removes it. */
Test(report_it, narrative_per_theme)
{
    char ctl[512], cmd[2048], field[64];
    h_bin(ctl, sizeof ctl, "services/mvoictl/mvoictl");
    snprintf(cmd, sizeof cmd, "MVOI_REPORT_API=%s %s --buyer %s report narrative --year %u "
             "--quarter 2 --theme klimaat --text 'HVO100 & elektrisch materieel.\nRegel 2.' "
             ">/dev/null", fx.api, ctl, DS_BUYER, YEAR);
    cr_assert_eq(s_run(cmd), 0, "%s", cmd);
    s_set_narrative("landgraaf", 1, "Tekst van een andere organisatie", field, sizeof field);
    cr_assert_str_eq(field, "");
    s_set_narrative(DS_BUYER, 9, "x", field, sizeof field);
    cr_expect_str_eq(field, "set_narrative.theme");
    s_set_narrative(DS_BUYER, 1, "kapot \xC3\x28", field, sizeof field);
    cr_expect_str_eq(field, "set_narrative.text");
    static char big[4002];
    memset(big, 'a', 4001);
    s_set_narrative(DS_BUYER, 1, big, field, sizeof field);
    cr_expect_str_eq(field, "set_narrative.text");
    snprintf(cmd, sizeof cmd, "MVOI_REPORT_API=%s %s report narrative --year %u --theme weer "
             "--text x 2>/dev/null", fx.api, ctl, YEAR);
    cr_expect_eq(s_run(cmd), 64);

    int fm[] = { MVOI__REPORT_FORMAT__FMT_HTML };
    Mvoi__Envelope *rep = s_generate("t-narr-1", YEAR, 2, "nl", fm, 1, 60000);
    char *h = s_slurp(s_path(rep, MVOI__REPORT_FORMAT__FMT_HTML), NULL);
    cr_expect(strstr(h, "<dd id=\"narrative-klimaat\">HVO100 &amp; elektrisch materieel.\nRegel "
                        "2.</dd>"), "narrative missing");
    cr_expect(!strstr(h, "andere organisatie"), "another buyer's narrative shown");
    cr_expect(!strstr(h, "narrative-circulair"));
    free(h);
    mvoi__envelope__free_unpacked(rep, NULL);

    s_set_narrative(DS_BUYER, 1, "", field, sizeof field);
    cr_assert_str_eq(field, "");
    rep = s_generate("t-narr-2", YEAR, 2, "nl", fm, 1, 60000);
    h = s_slurp(s_path(rep, MVOI__REPORT_FORMAT__FMT_HTML), NULL);
    cr_expect(!strstr(h, "id=\"narratives\""), "removed narrative still shown");
    free(h);
    mvoi__envelope__free_unpacked(rep, NULL);
}

/* ------------------------------------------------------------------ Excel's limits */

/* The service with the workbook's row limit lowered to 50 (MVOI_REPORT_XLSX_MAX_ROWS, the
 * documented test hook; Excel's is 1,048,576): the annual report's long sheets pass it. */
static void setup_xlsx_limit(void)
{
    ds_generate(&ds, YEAR, NT, NM);
    fx_start(s_known, "MVOI_REPORT_XLSX_MAX_ROWS=50");
}

/* The first sheet over 50 rows in the workbook's order (SROI per contract, annex, sources),
 * with its rows counted here from the JSON of the same report: a header and a row per
 * contract, tender or measurement (and under a cut sources list a blank row and a line). */
static void s_over_limit(json_t *j, bool en, char *sheet, size_t cap, size_t *rows)
{
    size_t n[3] = { json_array_size(json_object_get(j, "sroi_contracts")) + 1,
                    json_array_size(json_object_get(j, "annex")) + 1,
                    json_array_size(json_object_get(j, "sources")) + 1 };
    static const char *nl[] = { "SROI per contract", "Bijlage trajecten", "Bronnen" };
    static const char *eng[] = { "SROI per contract", "Annex tenders", "Sources" };
    for (int i = 0; i < 3; i++)
        if (n[i] > 50) {
            snprintf(sheet, cap, "%s", (en ? eng : nl)[i]);
            *rows = n[i];
            return;
        }
    cr_assert_fail("no sheet over 50 rows: %zu %zu %zu", n[0], n[1], n[2]);
}

/* A workbook Excel could not hold is refused by name (ERR_RESOURCE_EXHAUSTED, the sheet,
 * its rows and the limit, in the report's language), through mvoictl too; the JSON of the
 * same report holds every row, and the service stays ready (not a disk failure). */
Test(report_limits, xlsx_over_the_row_limit_is_refused_by_name, .init = setup_xlsx_limit,
     .fini = teardown, .timeout = 90)
{
    int fj[] = { MVOI__REPORT_FORMAT__FMT_JSON }, fxl[] = { MVOI__REPORT_FORMAT__FMT_XLSX };
    for (int en = 0; en < 2; en++) {
        char rid[32];
        snprintf(rid, sizeof rid, "t-lim-json-%d", en);
        Mvoi__Envelope *rep = s_generate(rid, YEAR, 0, en ? "en" : "nl", fj, 1, 60000);
        json_t *j = json_load_file(s_path(rep, MVOI__REPORT_FORMAT__FMT_JSON), 0, NULL);
        cr_assert(j);
        char sheet[64], want[512];
        size_t rows = 0;
        s_over_limit(j, en, sheet, sizeof sheet, &rows);
        json_decref(j);
        mvoi__envelope__free_unpacked(rep, NULL);
        snprintf(rid, sizeof rid, "t-lim-xlsx-%d", en);
        rep = s_generate(rid, YEAR, 0, en ? "en" : "nl", fxl, 1, 60000);
        cr_assert_eq(rep->body_case, MVOI__ENVELOPE__BODY_ERROR, "an XLSX over the limit");
        cr_expect_eq(rep->error->code, MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED);
        if (en)
            snprintf(want, sizeof want, "The Excel file was refused: sheet '%s' would have %zu "
                     "rows (header included), Excel opens at most 50 and would leave out the "
                     "rest. Ask for this report as CSV or JSON: they hold every row.", sheet, rows);
        else
            snprintf(want, sizeof want, "Het Excel-bestand is geweigerd: het werkblad '%s' zou "
                     "%zu rijen krijgen (kopregel meegeteld), Excel opent er hoogstens 50 en zou "
                     "de rest weglaten. Vraag dit rapport op als CSV of JSON: die bevatten alle "
                     "rijen.", sheet, rows);
        cr_expect_str_eq(rep->error->message, want);
        mvoi__envelope__free_unpacked(rep, NULL);
    }
    /* mvoictl says it to the person who asked, and fails */
    char ctl[512], cmd[2048], out[256];
    h_bin(ctl, sizeof ctl, "services/mvoictl/mvoictl");
    snprintf(out, sizeof out, "%s/ctl.out", fx.dir);
    snprintf(cmd, sizeof cmd, "MVOI_REPORT_API=%s %s --buyer %s report generate --year %u "
             "--format xlsx >%s 2>&1", fx.api, ctl, DS_BUYER, YEAR, out);
    cr_expect_neq(s_run(cmd), 0, "%s", cmd);
    char *said = s_slurp(out, NULL);
    cr_expect(strstr(said, "Het Excel-bestand is geweigerd: het werkblad '"), "%s", said);
    fprintf(stderr, "mvoictl said: %s", said);
    free(said);
    /* still ready: the next report is written */
    Mvoi__Envelope *rep = s_generate("t-lim-after", YEAR, 0, "nl", fj, 1, 60000);
    cr_expect_eq(rep->body_case, MVOI__ENVELOPE__BODY_REPORT_REPLY);
    mvoi__envelope__free_unpacked(rep, NULL);
}
