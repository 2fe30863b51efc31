/*  mvoictl measure: the replies of the impact-calculator as people read them (a table of
 *  measurements, the fields of one, the result of add/whatif/correct/withdraw, the factor
 *  tables). Dutch by default, English with --lang en, the words from the catalogue
 *  ("measure.*"), dates in words (common/datewords, as tender list/show), figures grouped as
 *  the language writes them and exact: 14.720,47 kg, as the service's calculation text that
 *  is shown beside them (it is asked for in the same language). --json prints the reply as
 *  it came; --raw keeps the earlier layout with the stored integers (scripts read it).
 */
#include <stdio.h>
#include <string.h>

#include "cal_date.h"
#include "datewords.h"
#include "numfmt.h"
#include "ctl_units.h"
#include "cmd_measure.h"

#define S_LABEL_W 16

/* s left-aligned in width characters (not bytes: "€", "−" are one column each). */
static void s_pad(const char *s, int width)
{
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        chars += (*p & 0xC0) != 0x80;
    fputs(s, stdout);
    for (; chars < width; chars++)
        putchar(' ');
}

static void s_label(const ctl_t *ctl, const char *key)
{
    s_pad(ctl_text(ctl, key), S_LABEL_W);
    putchar(' ');
}

/* v / 10^scale exactly, grouped for the language, trailing fractional zeros dropped
 * ("14.720,47", "6.610"): the form of the calculation text. Money keeps its cents. */
static void s_num(const ctl_t *ctl, char *buf, size_t cap, int64_t v, int scale, bool money)
{
    numfmt_style_t st = numfmt_style_text(ctl->tl);
    numfmt_fixed(buf, cap, v, scale, scale, st);
    if (money || scale == 0)
        return;
    char point = st == NUMFMT_EN ? '.' : ',';
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = 0;
    if (n > 0 && buf[n - 1] == point)
        buf[--n] = 0;
}

/* " CO2 14.720,47 kg": the figures of an impact; with_refs adds the factor tables used
 * ("[co2 2026 cng]"). --raw: the stored integers with their stored units, and always the
 * tables, as scripts have read them ("CO2 14720470 g [co2 2026 cng unverified]"). */
static void s_impact(const ctl_t *ctl, const Mvoi__Impact *i, bool with_refs)
{
    static const struct { const char *label, *raw_unit, *unit; int scale; } f[] = {
        { "ctl.impact.co2", "g", "kg", 3 }, { "ctl.impact.nox", "mg", "kg", 6 },
        { "ctl.impact.material", "g", "kg", 3 }, { "ctl.impact.renewable", "g", "kg", 3 },
        { "ctl.impact.sroi", "cent", "€", 2 }, { "ctl.impact.fairtrade", "", "", 0 },
        { "ctl.impact.risk", "", "", 0 }, { "ctl.impact.mki", "cent", "€", 2 },
        { "ctl.impact.pilots", "", "", 0 },
    };
    const bool has[] = { i->has_co2_avoided_g, i->has_nox_avoided_mg, i->has_primary_material_g,
                         i->has_renewable_g, i->has_sroi_realised_cents, i->has_fairtrade_products,
                         i->has_risk_products, i->has_mki_avoided_cents, i->has_pilots };
    const int64_t v[] = { i->co2_avoided_g, i->nox_avoided_mg, i->primary_material_g,
                          i->renewable_g, i->sroi_realised_cents, i->fairtrade_products,
                          i->risk_products, i->mki_avoided_cents, i->pilots };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        if (!has[k])
            continue;
        if (ctl->raw) {
            printf(" %s %lld%s%s", ctl_text(ctl, f[k].label), (long long)v[k],
                   *f[k].raw_unit ? " " : "", f[k].raw_unit);
            continue;
        }
        char b[48];
        bool money = !strcmp(f[k].unit, "€");
        s_num(ctl, b, sizeof b, v[k], f[k].scale, money);
        if (money)
            printf(" %s € %s", ctl_text(ctl, f[k].label), b);
        else
            printf(" %s %s%s%s", ctl_text(ctl, f[k].label), b, *f[k].unit ? " " : "", f[k].unit);
    }
    for (size_t k = 0; (with_refs || ctl->raw) && k < i->n_factors; k++)
        printf(" [%s %s %s%s]", i->factors[k]->table ? i->factors[k]->table : "",
               i->factors[k]->edition ? i->factors[k]->edition : "",
               i->factors[k]->reference_variant ? i->factors[k]->reference_variant : "",
               !i->factors[k]->unverified ? ""
               : ctl->raw ? " unverified" : ctl_text(ctl, "measure.unverified"));
}

static bool s_has_impact(const Mvoi__Impact *i)
{
    return i->has_co2_avoided_g || i->has_nox_avoided_mg || i->has_primary_material_g ||
           i->has_renewable_g || i->has_sroi_realised_cents || i->has_fairtrade_products ||
           i->has_risk_products || i->has_mki_avoided_cents || i->has_pilots || i->n_factors;
}

/* The service's calculation text, its sources (after " — ") each on a line of their own
 * under the text, so that the line is not twice the width of a terminal. */
static void s_explanation(const char *text)
{
    static const char sep[] = " — ";
    const char *p = text, *q;
    while ((q = strstr(p, sep)) != NULL) {
        fwrite(p, 1, (size_t)(q - p), stdout);
        putchar('\n');
        s_pad("", S_LABEL_W + 1);
        p = q + 1;   /* the line goes on with "— source" */
    }
    printf("%s\n", p);
}

/* "1 januari 2025 t/m 31 maart 2025" (the short dates of tender list); a date that is not
 * ISO is shown as it came, never guessed at. */
static void s_date(const ctl_t *ctl, char *buf, size_t len, const char *iso)
{
    int y, m, d;
    if (!iso || cal_date_parse_iso(iso, &y, &m, &d) != 0 ||
        datewords_format(buf, len, ctl->tl, cal_date_days(y, m, d), DATEWORDS_DATE) < 0)
        snprintf(buf, len, "%s", iso && *iso ? iso : "-");
}

static void s_period(const ctl_t *ctl, char *buf, size_t len, const Mvoi__Measurement *m)
{
    char a[DATEWORDS_MAX + 32], b[DATEWORDS_MAX + 32];
    s_date(ctl, a, sizeof a, m->period_start);
    s_date(ctl, b, sizeof b, m->period_end);
    snprintf(buf, len, ctl_text(ctl, "measure.period"), a, b);
}

static const char *s_phase(const ctl_t *ctl, const Mvoi__Measurement *m)
{
    if (!m->has_phase && m->phase == 0)
        return "-";
    return ctl_text(ctl, m->phase == MVOI__PHASE__PHASE_AMBITION ? "measure.phase.ambition"
                                                                  : "measure.phase.realisation");
}

/* ------------------------------------------------------------ the earlier layout (--raw) */

static void s_raw_row(const ctl_t *ctl, const Mvoi__MeasurementRecord *rec)
{
    const Mvoi__Measurement *m = rec->measurement;
    printf("%-24s %-14s %-11s %s..%s rev %u%s", m->id, m->tender_id,
           m->phase == MVOI__PHASE__PHASE_AMBITION ? "ambition" : "realisation",
           m->period_start, m->period_end, m->revision, rec->withdrawn ? " WITHDRAWN" : "");
    if (rec->impact && !rec->withdrawn)
        s_impact(ctl, rec->impact, true);
    printf("\n");
}

static void s_raw_record(const ctl_t *ctl, const Mvoi__MeasurementRecord *rec)
{
    const Mvoi__Measurement *m = rec->measurement;
    printf("%s  tender %s%s%s%s  %s..%s  by %s  revision %u%s\n", m->id, m->tender_id,
           rec->purchasing_group ? " (" : "", rec->purchasing_group ? rec->purchasing_group : "",
           rec->purchasing_group ? ")" : "", m->period_start, m->period_end,
           m->submitter ? m->submitter : "?", m->revision, rec->withdrawn ? "  WITHDRAWN" : "");
    if (rec->impact) {
        printf("impact:");
        s_impact(ctl, rec->impact, true);
        printf("\n");
    }
    if (rec->explanation)
        printf("calculation: %s\n", rec->explanation);
    for (size_t i = 0; i < rec->n_history; i++)
        printf("history: revision %u by %s%s%s\n", rec->history[i]->revision,
               rec->history[i]->submitter ? rec->history[i]->submitter : "?",
               rec->history[i]->reason ? ": " : "",
               rec->history[i]->reason ? rec->history[i]->reason : "");
}

/* ------------------------------------------------------------ for people */

/* One row of the list; widths in characters, so the columns line up in either language. */
static void s_row(const char *cells[6])
{
    static const int w[] = { 20, 14, 11, 38, 8, 0 };
    for (int i = 0; i < 6; i++) {
        if (i && (i < 5 || *cells[i]))   /* an empty last cell: the impact's own space */
            putchar(' ');
        s_pad(cells[i], w[i]);
    }
}

void ctl_measure_print_list(const ctl_t *ctl, const Mvoi__MeasurementList *ml)
{
    if (ctl->raw) {
        for (size_t i = 0; i < ml->n_records; i++)
            s_raw_row(ctl, ml->records[i]);
        printf("(%zu of %u)\n", ml->n_records, ml->total);
        return;
    }
    const char *h[6] = { ctl_text(ctl, "measure.col.id"), ctl_text(ctl, "measure.col.tender"),
                         ctl_text(ctl, "measure.col.phase"), ctl_text(ctl, "measure.col.period"),
                         ctl_text(ctl, "measure.col.revision"),
                         ctl_text(ctl, "measure.col.impact") };
    s_row(h);
    putchar('\n');
    for (size_t i = 0; i < ml->n_records; i++) {
        const Mvoi__MeasurementRecord *rec = ml->records[i];
        const Mvoi__Measurement *m = rec->measurement;
        char per[2 * DATEWORDS_MAX + 96], rev[16];
        s_period(ctl, per, sizeof per, m);
        snprintf(rev, sizeof rev, "%u", m->revision);
        const char *c[6] = { m->id ? m->id : "", m->tender_id ? m->tender_id : "",
                             s_phase(ctl, m), per, rev,
                             rec->withdrawn ? ctl_text(ctl, "measure.withdrawn") : "" };
        s_row(c);
        /* the figures only: the tables used are in `measure show` */
        if (rec->impact && !rec->withdrawn)
            s_impact(ctl, rec->impact, false);
        putchar('\n');
    }
    printf(ctl_text(ctl, "measure.count"), ml->n_records, ml->total);
    putchar('\n');
}

static void s_history(const ctl_t *ctl, const Mvoi__MeasurementRecord *rec)
{
    for (size_t i = 0; i < rec->n_history; i++) {
        const Mvoi__Measurement *h = rec->history[i];
        if (i == 0)
            s_label(ctl, "measure.label.history");
        else
            s_pad("", S_LABEL_W + 1);
        printf(ctl_text(ctl, "measure.history"), h->revision, h->submitter ? h->submitter : "?");
        printf("%s%s\n", h->reason ? ": " : "", h->reason ? h->reason : "");
    }
}

void ctl_measure_print_record(const ctl_t *ctl, const Mvoi__MeasurementRecord *rec)
{
    if (ctl->raw) {
        s_raw_record(ctl, rec);
        return;
    }
    const Mvoi__Measurement *m = rec->measurement;
    char per[2 * DATEWORDS_MAX + 96];
    s_label(ctl, "measure.label.id");
    printf("%s\n", m->id ? m->id : "");
    s_label(ctl, "measure.label.revision");
    printf("%u%s%s\n", m->revision, rec->withdrawn ? ", " : "",
           rec->withdrawn ? ctl_text(ctl, "measure.withdrawn") : "");
    s_label(ctl, "measure.label.tender");
    printf("%s", m->tender_id ? m->tender_id : "");
    if (rec->purchasing_group && *rec->purchasing_group)
        printf(ctl_text(ctl, "measure.group"), rec->purchasing_group);
    putchar('\n');
    s_label(ctl, "measure.label.phase");
    printf("%s\n", s_phase(ctl, m));
    s_period(ctl, per, sizeof per, m);
    s_label(ctl, "measure.label.period");
    printf("%s\n", per);
    s_label(ctl, "measure.label.submitter");
    printf("%s\n", m->submitter && *m->submitter ? m->submitter : "-");
    if (m->reason && *m->reason) {
        s_label(ctl, "measure.label.reason");
        printf("%s\n", m->reason);
    }
    if (rec->impact && s_has_impact(rec->impact)) {   /* a withdrawn one has none */
        s_pad(ctl_text(ctl, "measure.label.impact"), S_LABEL_W);
        s_impact(ctl, rec->impact, true);   /* each figure with its space in front */
        putchar('\n');
    }
    if (rec->explanation) {
        s_label(ctl, "measure.label.calculation");
        s_explanation(rec->explanation);
    }
    s_history(ctl, rec);
}

void ctl_measure_print_result(const ctl_t *ctl, const Mvoi__MeasurementResult *x)
{
    if (ctl->raw) {
        printf("%s rev %u%s", x->id ? x->id : "", x->revision, x->duplicate ? " (duplicate)" : "");
        if (x->impact)
            s_impact(ctl, x->impact, true);
        printf("\n");
        if (x->explanation)
            printf("  %s\n", x->explanation);
        return;
    }
    fputs(x->id ? x->id : "", stdout);
    if (x->has_revision && x->revision)   /* whatif stores nothing: no revision */
        printf(ctl_text(ctl, "measure.result_rev"), x->revision);
    if (x->duplicate)
        fputs(ctl_text(ctl, "measure.duplicate"), stdout);
    if (x->impact)
        s_impact(ctl, x->impact, true);
    putchar('\n');
    if (x->explanation)
        printf("  %s: %s\n", ctl_text(ctl, "measure.label.calculation"), x->explanation);
}

void ctl_measure_print_factors(const ctl_t *ctl, const Mvoi__FactorTableList *fl)
{
    if (ctl->raw) {
        for (size_t i = 0; i < fl->n_tables; i++)
            printf("%-18s %-10s %3u rows %3u unverified  %s\n", fl->tables[i]->table,
                   fl->tables[i]->edition, fl->tables[i]->rows,
                   fl->tables[i]->unverified_rows, fl->tables[i]->source);
        return;
    }
    s_pad(ctl_text(ctl, "measure.fcol.table"), 18);
    putchar(' ');
    s_pad(ctl_text(ctl, "measure.fcol.edition"), 10);
    printf(" %s  %s  %s\n", ctl_text(ctl, "measure.fcol.rows"),
           ctl_text(ctl, "measure.fcol.unverified"), ctl_text(ctl, "measure.fcol.source"));
    for (size_t i = 0; i < fl->n_tables; i++) {
        const Mvoi__FactorTableInfo *t = fl->tables[i];
        s_pad(t->table ? t->table : "", 18);
        putchar(' ');
        s_pad(t->edition ? t->edition : "", 10);
        /* the counts right-aligned under their headings */
        printf(" %*u  %*u  %s\n", (int)strlen(ctl_text(ctl, "measure.fcol.rows")), t->rows,
               (int)strlen(ctl_text(ctl, "measure.fcol.unverified")), t->unverified_rows,
               t->source ? t->source : "");
    }
}
