/*  json: the whole model as JSON (jansson; json_int_t is long long, so cents and grams are
 *  exact). Figures are raw integers in the unit named next to them; "scale" says how many
 *  decimals the shown unit has (kg = g / 10^3).
 */
#include <errno.h>
#include <jansson.h>

#include "clock.h"
#include "report.h"
#include "bm_json.h"

static json_t *s_val(const rp_val_t *v)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "ambition", (json_int_t)v->ambition,
                     "realisation", (json_int_t)v->realisation, "projects",
                     (json_int_t)v->projects, "target", (json_int_t)v->target, "denominator",
                     (json_int_t)v->denominator, "count", (json_int_t)v->count);
}

/* A total of KPI k: a quantity nobody measured (rp_unmeasured: ambition, realisation,
 * denominator with count 0) is null, not 0; so is the denominator of a KPI other than fair
 * trade (it has none). projects and count are counts: always a number. */
static json_t *s_known_val(int k, const rp_val_t *v)
{
    json_t *o = s_val(v);
    if (rp_unmeasured(k, v, v->ambition))
        json_object_set_new(o, "ambition", json_null());
    if (rp_unmeasured(k, v, v->realisation))
        json_object_set_new(o, "realisation", json_null());
    if (rp_denominator_na(k) || rp_unmeasured(k, v, v->denominator))
        json_object_set_new(o, "denominator", json_null());
    return o;
}

/* A KPI column; target null where it has no figure (model_build.c: a KPI without a
 * target, a quarter of the pilots' yearly one, the previous year's SROI obligation), never
 * a 0 that reads as a target of nothing. */
static json_t *s_col(const rp_report_t *r, int k, int col)
{
    json_t *v = s_known_val(k, &r->kpi[k][col]);
    if (r->target_na[k][col])
        json_object_set_new(v, "target", json_null());
    return v;
}

/* Per KPI: its units and the period, year-to-date, previous-year and quarterly figures. */
static json_t *s_kpis(const rp_report_t *r)
{
    const rp_input_t *in = r->in;
    json_t *kpis = json_array();
    for (int k = 1; k < RP_NKPI; k++) {
        const rp_kpi_info_t *ki = rp_kpi_info(k);
        json_t *series = json_array();
        for (int i = 0; i < 8; i++) {
            json_t *s = s_known_val(k, &in->series[k][i]);
            /* the aggregator's 0 where there is no target is no target of 0 */
            if (rp_series_target_na(k))
                json_object_set_new(s, "target", json_null());
            json_object_set_new(s, "year", json_integer(in->year - 1 + (uint32_t)(i / 4)));
            json_object_set_new(s, "quarter", json_integer(i % 4 + 1));
            json_array_append_new(series, s);
        }
        json_array_append_new(kpis, json_pack("{s:i,s:s,s:s,s:s,s:i,s:o,s:o,s:o,s:o,s:I}", "kpi", k,
                                              "name", ki->name, "unit", ki->unit_raw, "shown_unit",
                                              ki->unit_shown, "scale", ki->scale, "period",
                                              s_col(r, k, RP_COL_PERIOD), "ytd",
                                              s_col(r, k, RP_COL_YTD), "previous_year",
                                              s_col(r, k, RP_COL_PREV), "series", series,
                                              "measurements", (json_int_t)in->contrib_total[k]));
    }
    return kpis;
}

/* The tenders of the annex with their themes and what was measured per KPI. */
static json_t *s_annex(const rp_report_t *r)
{
    json_t *annex = json_array();
    for (size_t i = 0; i < r->nannex; i++) {
        const rp_tender_t *t = r->annex[i].t;
        json_t *th = json_array();
        for (int j = 0; j < t->nthemes && j < 8; j++)
            json_array_append_new(th, json_pack("{s:s,s:s}", "theme",
                                                rp_theme_name(t->themes[j].theme)
                                                    ? rp_theme_name(t->themes[j].theme) : "",
                                                "commitment",
                                                rp_enum_name('c', t->themes[j].commitment)));
        json_t *m = json_object();
        for (int k = 1; k < RP_NKPI; k++)
            if (r->annex[i].count[k])
                json_object_set_new(m, rp_kpi_info(k)->name,
                                    json_pack("{s:I,s:I}", "realisation",
                                              (json_int_t)r->annex[i].realisation[k], "count",
                                              (json_int_t)r->annex[i].count[k]));
        json_array_append_new(annex, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:b,s:o,s:o,s:s}",
                                               "id", t->id, "title", t->title, "group", t->group,
                                               "planned_publication", t->planned, "kind",
                                               rp_enum_name('k', t->kind), "procedure",
                                               rp_enum_name('p', t->procedure), "status",
                                               rp_enum_name('s', t->status), "value_cents",
                                               (json_int_t)t->value_cents, "sroi_pct_bp",
                                               (json_int_t)t->sroi_bp, "sroi_obligation_cents",
                                               (json_int_t)t->sroi_obligation_cents, "pilot",
                                               t->pilot, "themes", th, "measured", m,
                                               "cancel_reason", t->cancel_reason));
        /* no estimated value in the calendar: null, never 0 (a row json_pack refused is
         * not there: s_whole counts the rows) */
        if (t->value_unknown && json_array_size(annex) == i + 1)
            json_object_set_new(json_array_get(annex, i), "value_cents", json_null());
    }
    return annex;
}

/* Realisation counted before the tender's planned publication, every one (the HTML lists
 * at most 500 and points here for the rest). */
static json_t *s_early(const rp_report_t *r)
{
    json_t *early = json_array();
    for (size_t i = 0; i < r->nearly; i++) {
        const rp_early_t *e = &r->early[i];
        const rp_kpi_info_t *ki = rp_kpi_info(e->kpi);
        json_array_append_new(early, json_pack("{s:s,s:s,s:I,s:I,s:I,s:s}", "tender",
                                               e->t->id, "kpi", ki ? ki->name : "", "year",
                                               (json_int_t)r->in->year, "quarter",
                                               (json_int_t)e->quarter, "realisation",
                                               (json_int_t)e->realisation,
                                               "planned_publication", e->t->planned));
    }
    return early;
}

/* Every row made it into the document. json_pack refuses a string that is not UTF-8 (or
 * missing) with NULL, and appending NULL does nothing: a tender, contract or measurement
 * would be missing from a file that looks whole. Such a file is refused (EILSEQ) instead. */
static bool s_whole(json_t *root, const rp_report_t *r)
{
    const rp_input_t *in = r->in;
    json_t *f = json_object_get(root, "factor_tables");
    return json_array_size(json_object_get(root, "kpis")) == RP_NKPI - 1 &&
           json_array_size(json_object_get(root, "themes")) == RP_NTHEME - 1 &&
           json_object_get(root, "pilots") &&
           json_array_size(json_object_get(root, "sroi_contracts")) == r->ncontracts &&
           json_array_size(json_object_get(root, "annex")) == r->nannex &&
           json_array_size(json_object_get(root, "sources")) == in->ncontribs &&
           json_array_size(json_object_get(root, "early")) == r->nearly &&
           (!in->factors_ok || json_array_size(f) == in->nfactors);
}

int rp_render_json(const rp_report_t *r, FILE *out)
{
    const rp_input_t *in = r->in;
    char ts[40];
    clock_format_rfc3339(in->generated_ms, ts, sizeof ts);
    json_t *root = json_pack("{s:s,s:I,s:I,s:s,s:s,s:s,s:I,s:b,s:I}", "buyer", in->buyer,
                             "year", (json_int_t)in->year, "quarter", (json_int_t)in->quarter,
                             "period", r->period, "lang", text_lang_name(in->lang), "generated",
                             ts, "kpi_seq", (json_int_t)in->kpi_seq, "empty", r->empty,
                             "cancelled_tenders", (json_int_t)r->cancelled);
    if (!root)
        return -ENOMEM;
    /* the period has not ended: its figures can still move (the HTML says "Voorlopig") */
    json_object_set_new(root, "provisional", json_boolean(r->provisional));
    json_object_set_new(root, "buyer_name",
                        json_string(in->buyer_name[0] ? in->buyer_name : in->buyer));
    json_object_set_new(root, "kpis", s_kpis(r));
    json_t *themes = json_array();
    for (int th = 1; th < RP_NTHEME; th++) {
        const rp_theme_row_t *t = &r->themes[th];
        json_array_append_new(themes, json_pack("{s:s,s:s,s:o,s:i,s:i,s:i,s:i,s:i,s:i,s:s}",
                                                "theme", rp_theme_name(th), "kpi",
                                                rp_kpi_info(t->kpi)->name, "ytd",
                                                s_known_val(t->kpi, &t->ytd),
                                                "level_2023", t->level_baseline, "level_year",
                                                t->level_year, "level_2027", t->level_goal,
                                                "in_scope", (int)t->in_scope, "committed",
                                                (int)t->committed, "innovation",
                                                (int)t->innovation, "status",
                                                rp_status_key(t->status) + 14));
    }
    /* a level 0 is "not set" (model.c): null, as the HTML and XLSX say it in words, never a
     * level below the lowest */
    static const char *lv[] = { "level_2023", "level_year", "level_2027" };
    for (size_t i = 0; i < json_array_size(themes); i++)
        for (int j = 0; j < 3; j++) {
            json_t *o = json_array_get(themes, i);
            if (json_integer_value(json_object_get(o, lv[j])) == 0)
                json_object_set_new(o, lv[j], json_null());
        }
    json_object_set_new(root, "themes", themes);
    json_object_set_new(root, "pilots", s_val(&r->pilots));
    json_t *contracts = json_array();
    for (size_t i = 0; i < r->ncontracts; i++)
        json_array_append_new(contracts, json_pack("{s:s,s:s,s:I,s:I}", "tender",
                                                   r->contracts[i].tender, "title",
                                                   r->contracts[i].t ? r->contracts[i].t->title : "",
                                                   "obligation_cents",
                                                   (json_int_t)r->contracts[i].obligation,
                                                   "realised_cents",
                                                   (json_int_t)r->contracts[i].realised));
    /* an obligation the calendar does not know and a realisation nobody reported: null */
    for (size_t i = 0; i < r->ncontracts; i++) {
        json_t *o = json_array_get(contracts, i);
        if (o && r->contracts[i].obligation <= 0)
            json_object_set_new(o, "obligation_cents", json_null());
        if (o && !r->contracts[i].realised_count && !r->contracts[i].realised)
            json_object_set_new(o, "realised_cents", json_null());
    }
    json_object_set_new(root, "sroi_contracts", contracts);
    json_object_set_new(root, "annex", s_annex(r));
    json_object_set_new(root, "early", s_early(r));
    json_t *factors = json_array();
    for (size_t i = 0; i < in->nfactors; i++)
        json_array_append_new(factors, json_pack("{s:s,s:s,s:s,s:i,s:i}", "table",
                                                 in->factors[i].table, "edition",
                                                 in->factors[i].edition, "source",
                                                 in->factors[i].source, "rows",
                                                 (int)in->factors[i].rows, "unverified_rows",
                                                 (int)in->factors[i].unverified_rows));
    json_object_set_new(root, "factor_tables", in->factors_ok ? factors : json_null());
    if (!in->factors_ok)
        json_decref(factors);
    json_t *src = json_array();
    for (size_t i = 0; i < in->ncontribs; i++) {
        const rp_contrib_t *c = &in->contribs[i];
        json_array_append_new(src, json_pack("{s:s,s:s,s:s,s:i,s:I,s:I}", "kpi",
                                             rp_kpi_info(c->kpi) ? rp_kpi_info(c->kpi)->name : "",
                                             "measurement", c->measurement, "tender", c->tender,
                                             "revision", (int)c->revision, "ambition",
                                             (json_int_t)c->ambition, "realisation",
                                             (json_int_t)c->realisation));
    }
    json_object_set_new(root, "sources", src);
    /* the national benchmark (annual report): the buyer's own figures and anonymous
     * distributions only (common/bm) */
    json_t *bench = in->bench && !in->quarter ? bm_json_buyer(in->bench, in->buyer, in->year,
                                                              in->lang) : NULL;
    json_object_set_new(root, "benchmark", bench ? bench : json_null());
    if (!s_whole(root, r)) {
        json_decref(root);
        return -EILSEQ;
    }
    int rc = json_dumpf(root, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(root);
    return rc == 0 && !ferror(out) ? 0 : -EIO;
}
