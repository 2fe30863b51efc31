/*  html_bench: the annual report's national benchmark section. Where the buyer stands per
 *  KPI and normalisation, and per theme by its share of tenders with an ambition and its
 *  Manifest ambition level, among the buyers of its kind and size class (common/bm): its own
 *  figure, the anonymous quartiles when at least k buyers contribute, its percentile, and
 *  the sentence; nothing of any other buyer (bm hands out nothing else). */
#include "html_int.h"

#include <string.h>

#define T(key) rp_t(r, key)

static void s_row(FILE *out, const rp_report_t *r, const bm_t *b, int k, bm_norm_t n)
{
    const rp_input_t *in = r->in;
    text_lang_t lang = in->lang;
    bm_pos_t p;
    char num[64], key[48], unit[96];
    if (!bm_kpi_has_norm(k, n) || bm_position(b, in->buyer, k, in->year, n, &p) != 0)
        return;
    snprintf(key, sizeof key, "bench.norm.%s", bm_norm_name(n));
    if (!bm_kpi_has_norm(k, n))
        return;
    fprintf(out, "<tr id=\"bench-%s-%s\"><th scope=\"row\">", bm_kpi_name(k), bm_norm_name(n));
    char label[160];
    rp_html_esc(out, k <= BM_KPIS ? rp_html_kpi_label(r, k)
                                  : bm_kpi_label(k, lang, label, sizeof label));
    fprintf(out, "</th><td>");
    rp_html_esc(out, T(key));
    fprintf(out, " (");
    rp_html_esc(out, bm_unit_label(k, n, lang, unit, sizeof unit));
    fprintf(out, ")</td><td class=\"num\">%s</td>",
            p.has_value ? bm_num(p.value, lang, num, sizeof num) : "–");
    if (p.status == BM_OK) {
        fprintf(out, "<td class=\"num\">%s</td>", bm_num(p.q1, lang, num, sizeof num));
        fprintf(out, "<td class=\"num\">%s</td>", bm_num(p.median, lang, num, sizeof num));
        fprintf(out, "<td class=\"num\">%s</td>", bm_num(p.q3, lang, num, sizeof num));
        fprintf(out, "<td class=\"num\">%s</td><td class=\"num\">%u</td>",
                bm_num(p.percentile, lang, num, sizeof num), p.count);
    } else {
        fprintf(out, "<td colspan=\"5\" class=\"muted\">");
        char why[512];
        rp_html_esc(out, bm_sentence(b, in->buyer, k, n, &p, lang, why, sizeof why));
        fprintf(out, "</td>");
    }
    fprintf(out, "</tr>");
}

void rp_html_bench(FILE *out, const rp_report_t *r)
{
    const rp_input_t *in = r->in;
    const bm_t *b = in->bench;
    if (!b || in->quarter != 0)
        return;   /* the annual report's section */
    char kbuf[16], buf[512];
    snprintf(kbuf, sizeof kbuf, "%u", bm_k(b));
    const mvoi_buyer_t *me = mvoi_buyers_find(bm_registry(b), in->buyer);
    int cls = bm_class_of(me);
    fprintf(out, "<section aria-labelledby=\"h-bench\"><h2 id=\"h-bench\">%s</h2><p>",
            T("bench.title"));
    fprintf(out, T("report.text.bench"), kbuf);
    if (cls >= 0) {
        fprintf(out, " ");
        rp_html_esc(out, T("report.text.bench_class"));
        fprintf(out, " ");
        rp_html_esc(out, bm_class_label(cls, in->lang));
        fprintf(out, ".");
    }
    fprintf(out, "</p><ul id=\"bench-sentences\">");
    for (int k = 1; k <= BM_MEASURES; k++)
        for (int n = 0; n < BM_NORMS; n++) {
            bm_pos_t p;
            if (!bm_kpi_has_norm(k, (bm_norm_t)n) ||
                bm_position(b, in->buyer, k, in->year, (bm_norm_t)n, &p) != 0 || p.status != BM_OK)
                continue;
            fprintf(out, "<li>");
            rp_html_esc(out, bm_sentence(b, in->buyer, k, (bm_norm_t)n, &p, in->lang, buf,
                                         sizeof buf));
            fprintf(out, "</li>");
        }
    fprintf(out, "</ul><table id=\"bench\"><thead><tr><th scope=\"col\">%s</th>"
                 "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                 "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                 "<th scope=\"col\">%s</th></tr></thead><tbody>",
            T("bench.col.kpi"), T("bench.col.norm"), T("bench.col.value"), T("bench.col.q1"),
            T("bench.col.median"), T("bench.col.q3"), T("bench.col.percentile"),
            T("bench.col.count"));
    /* the KPIs, then per theme the share of tenders with an ambition and the level */
    for (int k = 1; k <= BM_MEASURES; k++)
        for (int n = 0; n < BM_NORMS; n++)
            s_row(out, r, b, k, (bm_norm_t)n);
    fprintf(out, "</tbody></table></section>\n");
}
