/*  bm_json: JSON and CSV renderings of the benchmark. See bm_json.h. */
#include "bm_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *s_profile(const mvoi_buyer_t *b)
{
    json_t *p = json_object();
    json_object_set_new(p, "kind", json_string(mvoi_buyer_kind_name(b->kind)));
    if (b->inhabitants) {
        json_object_set_new(p, "inhabitants", json_integer(b->inhabitants));
        json_object_set_new(p, "inhabitants_year", json_integer(b->inhabitants_year));
        json_object_set_new(p, "inhabitants_source", json_string(b->inhabitants_source));
    }
    if (b->volume_eur) {
        json_object_set_new(p, "purchasing_volume_eur", json_integer(b->volume_eur));
        json_object_set_new(p, "purchasing_volume_year", json_integer(b->volume_year));
        json_object_set_new(p, "purchasing_volume_source", json_string(b->volume_source));
    }
    return p;
}

static json_t *s_norm(const bm_t *self, const char *buyer, int kpi, unsigned year,
                      bm_norm_t n, text_lang_t lang)
{
    bm_pos_t pos;
    char buf[512];
    if (bm_position(self, buyer, kpi, year, n, &pos) != 0)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "norm", json_string(bm_norm_name(n)));
    json_object_set_new(o, "unit", json_string(bm_unit_label(kpi, n, lang, buf, sizeof buf)));
    json_object_set_new(o, "status", json_string(bm_status_name(pos.status)));
    if (pos.status == BM_WITHHELD && pos.shown < BM_NORMS)
        json_object_set_new(o, "shown", json_string(bm_norm_name(pos.shown)));
    if (pos.has_value)
        json_object_set_new(o, "value", json_real(pos.value));
    if (pos.count && pos.status != BM_WITHHELD) {   /* s_gate fills nothing else either */
        json_object_set_new(o, "count", json_integer(pos.count));
        json_object_set_new(o, "q1", json_real(pos.q1));
        json_object_set_new(o, "median", json_real(pos.median));
        json_object_set_new(o, "q3", json_real(pos.q3));
    }
    if (pos.status == BM_OK) {
        json_object_set_new(o, "percentile", json_real(pos.percentile));
        json_object_set_new(o, "quartile", json_integer(pos.quartile));
    }
    json_object_set_new(o, "sentence", json_string(bm_sentence(self, buyer, kpi, n, &pos,
                                                               lang, buf, sizeof buf)));
    return o;
}

/* A share measure: the buyer's own counts behind its share (its own figures only). */
static void s_own_counts(const bm_t *self, const char *buyer, int k, unsigned year,
                         text_lang_t lang, json_t *m)
{
    int th = bm_kpi_theme(k);
    int64_t n, with[BM_THEMES];
    if (th) {
        char key[48];
        snprintf(key, sizeof key, "theme.%s", bm_kpi_name(k) + 6);
        json_object_set_new(m, "group", json_string(k < BM_M_LEVEL(1) ? "share" : "level"));
        json_object_set_new(m, "theme", json_string(bm_kpi_name(k) + 6));
        json_object_set_new(m, "theme_label", json_string(text_get(lang, key)));
    }
    if (!th || k >= BM_M_LEVEL(1) || bm_tenders(self, buyer, year, &n, with) != 0)
        return;
    json_object_set_new(m, "tenders", json_integer(n));
    json_object_set_new(m, "with_ambition", json_integer(with[th - 1]));
}

json_t *bm_json_buyer(const bm_t *self, const char *buyer, unsigned year, text_lang_t lang)
{
    const mvoi_buyer_t *b = mvoi_buyers_find(bm_registry(self), buyer);
    if (!b)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "buyer", json_string(b->id));
    json_object_set_new(o, "name", json_string(b->name));
    json_object_set_new(o, "year", json_integer(year));
    json_object_set_new(o, "k", json_integer(bm_k(self)));
    int cls = bm_class_of(b);
    json_object_set_new(o, "class", cls < 0 ? json_null()
        : json_pack("{s:s,s:s}", "id", bm_class_id(cls), "label", bm_class_label(cls, lang)));
    json_object_set_new(o, "profile", s_profile(b));
    json_t *kpis = json_array();
    for (int k = 1; k <= BM_MEASURES; k++) {
        char label[160];
        json_t *norms = json_array();
        for (int n = 0; n < BM_NORMS; n++)
            if (bm_kpi_has_norm(k, (bm_norm_t)n))
                json_array_append_new(norms, s_norm(self, buyer, k, year, (bm_norm_t)n, lang));
        json_t *m = json_pack("{s:s,s:s,s:o}", "kpi", bm_kpi_name(k), "label",
                              bm_kpi_label(k, lang, label, sizeof label), "norms", norms);
        s_own_counts(self, buyer, k, year, lang, m);
        json_array_append_new(kpis, m);
    }
    json_object_set_new(o, "kpis", kpis);
    return o;
}

typedef void (s_row_fn)(void *arg, unsigned year, int cls, int kpi, bm_norm_t n,
                        const bm_dist_t *d, const char *unit);

/* Every shown distribution, in year, class, KPI, normalisation order. */
static void s_each(const bm_t *self, text_lang_t lang, s_row_fn *fn, void *arg)
{
    unsigned years[BM_YEARS_MAX];
    size_t ny = bm_years(self, years, BM_YEARS_MAX);
    char unit[128];
    for (size_t y = 0; y < ny; y++)
        for (int c = 0; c < BM_CLASSES; c++)
            for (int k = 1; k <= BM_MEASURES; k++)
                for (int n = 0; n < BM_NORMS; n++) {
                    bm_dist_t d;
                    if (bm_kpi_has_norm(k, (bm_norm_t)n) && bm_distribution(self, c, k, years[y], (bm_norm_t)n, &d) == 0
                        && d.status == BM_OK)
                        fn(arg, years[y], c, k, (bm_norm_t)n, &d,
                           bm_unit_label(k, (bm_norm_t)n, lang, unit, sizeof unit));
                }
}

typedef struct { json_t *rows; text_lang_t lang; } s_json_arg_t;

static void s_json_row(void *arg, unsigned year, int cls, int kpi, bm_norm_t n,
                       const bm_dist_t *d, const char *unit)
{
    s_json_arg_t *a = arg;
    json_array_append_new(a->rows, json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:i,s:f,s:f,s:f}",
        "year", (int)year, "class", bm_class_id(cls), "class_label",
        bm_class_label(cls, a->lang), "kpi", bm_kpi_name(kpi), "normalisation",
        bm_norm_name(n), "unit", unit, "count", (int)d->count, "q1", d->q1, "median",
        d->median, "q3", d->q3));
}

json_t *bm_json_open_data(const bm_t *self, text_lang_t lang)
{
    s_json_arg_t a = { json_array(), lang };
    s_each(self, lang, s_json_row, &a);
    json_t *defs = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
        "year", "calendar year of the KPI window (the current year: year to date)",
        "class", "kind of buyer and size class by inhabitants (gemeente: CBS-like classes)",
        "class_label", "the class in words, in the language asked for (lang)",
        "unit", "the unit of q1, median and q3, in the language asked for (lang): kg, EUR, "
                "products, pilots, percent of the tenders or level, per EUR million or per "
                "inhabitant where normalised; numbers use a decimal point",
        "kpi", "fairtrade sroi nox material co2 pilots: the realisation of the KPI; "
               "share.<theme>: percent of the buyer's tenders planned for publication in the "
               "year (not cancelled) that have an ambition for the theme (the theme in scope "
               "with a commitment: eis, gunning or innovatie), from the procurement calendar; "
               "level.<theme>: the Manifest MVOI ambition level (1..5) the buyer declared for "
               "the theme and year, from the registry with its source. Themes: klimaat "
               "circulair milieu isv diversiteit_inclusie social_return",
        "normalisation", "absolute (share and level: absolute only); per_eur_million: per EUR million of the registered yearly "
                         "purchasing volume; per_inhabitant: per registered inhabitant. One "
                         "normalisation per year, class and kpi: the first of per_inhabitant, "
                         "absolute, per_eur_million with at least k buyers (with the public "
                         "inhabitants and volumes, two of them would trace figures to buyers)",
        "count", "buyers in the class that contribute (at least k): with a total for this "
                 "KPI and year (share: with tenders planned in the year; level: with a "
                 "registered level), and for a normalisation with its denominator registered",
        "q1", "first quartile, Hyndman-Fan type 7 (linear interpolation, h = (n-1)p)",
        "median", "second quartile, type 7",
        "q3", "third quartile, type 7");
    return json_pack("{s:i,s:s,s:o,s:o}", "k", (int)bm_k(self), "anonymity",
                     "a distribution is published only when at least k (at least 5) buyers "
                     "contribute, and of one year, class and kpi only one normalisation; no "
                     "buyer's own figure, id, minimum or maximum is published",
                     "definitions", defs, "distributions", a.rows);
}

typedef struct { char *buf; size_t len, cap; bool oom; } s_csv_t;

static void s_csv_add(s_csv_t *c, const char *s)
{
    size_t n = strlen(s);
    if (c->oom)
        return;
    if (c->len + n + 1 > c->cap) {
        size_t cap = (c->cap + n + 1) * 2;
        char *nb = realloc(c->buf, cap);
        if (!nb) {
            c->oom = true;
            return;
        }
        c->buf = nb;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, s, n + 1);
    c->len += n;
}

/* a CSV field: quoted, inner quotes doubled */
static void s_csv_field(s_csv_t *c, const char *s, bool last)
{
    s_csv_add(c, "\"");
    for (const char *p = s; *p; p++) {
        char ch[2] = { *p, 0 };
        s_csv_add(c, *p == '"' ? "\"\"" : ch);
    }
    s_csv_add(c, last ? "\"\r\n" : "\",");
}

/* The shortest decimal that reads back as v: "322102.4", as the JSON has it, not
 * "322102.40000000002" (%.17g), which is a figure nobody computed. */
static const char *s_csv_num(double v, char *buf, size_t cap)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

static void s_csv_row(void *arg, unsigned year, int cls, int kpi, bm_norm_t n,
                      const bm_dist_t *d, const char *unit)
{
    s_csv_t *c = arg;
    char num[160], q[3][40];
    snprintf(num, sizeof num, "%u,", year);
    s_csv_add(c, num);
    s_csv_field(c, bm_class_id(cls), false);
    s_csv_field(c, bm_kpi_name(kpi), false);
    s_csv_field(c, bm_norm_name(n), false);
    s_csv_field(c, unit, false);
    snprintf(num, sizeof num, "%u,%s,%s,%s\r\n", d->count, s_csv_num(d->q1, q[0], sizeof q[0]),
             s_csv_num(d->median, q[1], sizeof q[1]), s_csv_num(d->q3, q[2], sizeof q[2]));
    s_csv_add(c, num);
}

char *bm_csv_open_data(const bm_t *self, text_lang_t lang, size_t *len)
{
    s_csv_t c = { 0 };
    s_csv_add(&c, "year,class,kpi,normalisation,unit,count,q1,median,q3\r\n");
    s_each(self, lang, s_csv_row, &c);
    if (c.oom) {
        free(c.buf);
        return NULL;
    }
    *len = c.len;
    return c.buf;
}
