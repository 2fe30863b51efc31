/*  mvi_platform: the quarterly report of KPIs 1, 2 and 6 to the MVI Platform (plan §8:
 *  "De indicatoren 1, 2 en 6 worden ... per kwartaal gerapporteerd aan het MVI Platform").
 *
 *  The platform's own upload format is not published; this is the Dutch Excel CSV dialect
 *  (UTF-8 BOM, ';', decimal comma, CRLF) with one indicator per row:
 *    organisatie;jaar;kwartaal;kpi;indicator;waarde;eenheid
 *  kwartaal is 1..4, or empty for the whole year (annual report). The first row, kpi 0
 *  "voorlopig", is 1 while the period has not ended (its figures can still move), else 0;
 *  the second, kpi 0 "geen_gegevens", is 1 when the period has no tender and no
 *  measurement (its zeros are no result), else 0.
 */
#include <errno.h>
#include <string.h>

#include "report.h"

/* One indicator; none: a figure nobody measured (rp_unmeasured), an empty waarde, never a
 * 0 the platform would count as a result. */
static void s_line_known(FILE *out, const rp_report_t *r, int kpi, const char *ind,
                         int64_t raw, int scale, int dec, const char *unit, bool none)
{
    char v[48] = "", q[12] = "";
    if (!none)
        rp_num(v, sizeof v, raw, scale, dec, RP_STYLE_COMMA);
    if (r->in->quarter)
        snprintf(q, sizeof q, "%u", r->in->quarter);
    /* buyer: quoted when it holds a separator or quote */
    const char *b = r->in->buyer;
    if (strpbrk(b, ";\"\r\n")) {
        fputc('"', out);
        for (; *b; b++) {
            if (*b == '"') fputc('"', out);
            fputc(*b, out);
        }
        fputc('"', out);
    } else
        fputs(b, out);
    fprintf(out, ";%u;%s;%d;%s;%s;%s\r\n", r->in->year, q, kpi, ind, v, unit);
}

static void s_line(FILE *out, const rp_report_t *r, int kpi, const char *ind, int64_t raw,
                   int scale, int dec, const char *unit)
{
    s_line_known(out, r, kpi, ind, raw, scale, dec, unit, false);
}

int rp_render_mvi(const rp_report_t *r, FILE *out)
{
    const rp_val_t *f = &r->kpi[1][RP_COL_PERIOD], *s = &r->kpi[2][RP_COL_PERIOD],
                   *p = &r->kpi[6][RP_COL_PERIOD];
    fputs("\xEF\xBB\xBForganisatie;jaar;kwartaal;kpi;indicator;waarde;eenheid\r\n", out);
    /* A period that has not ended gives figures that can still move: said in the file,
     * not only in the HTML, before anyone uploads it. */
    s_line(out, r, 0, "voorlopig", r->provisional, 0, 0, "ja_nee");
    /* No tender and no measurement in the period: its zeros below are no result. */
    s_line(out, r, 0, "geen_gegevens", r->empty, 0, 0, "ja_nee");
    /* an indicator nobody measured has an empty waarde (not 0): see s_line_known */
    s_line_known(out, r, 1, "fairtrade_producten", f->realisation, 0, 0, "producten",
                 rp_unmeasured(1, f, f->realisation));
    s_line_known(out, r, 1, "producten_risicocategorie", f->denominator, 0, 0, "producten",
                 rp_unmeasured(1, f, f->denominator));
    s_line(out, r, 1, "projecten_isv_risicosector", f->projects, 0, 0, "projecten");
    s_line(out, r, 2, "projecten_sroi", s->projects, 0, 0, "projecten");
    s_line(out, r, 2, "sroi_verplichting", s->target, 2, 2, "EUR");
    s_line_known(out, r, 2, "sroi_besteed_sociaal", s->realisation, 2, 2, "EUR",
                 rp_unmeasured(2, s, s->realisation));
    /* KPI 6's ambition is the pilot tenders planned for publication in the period, not
     * pilots that started (it was written as "pilots_gestart"); its realisation the
     * distinct pilots that reported there. */
    s_line(out, r, 6, "pilottrajecten_gepland", p->ambition, 0, 0, "pilots");
    s_line(out, r, 6, "pilots_gerealiseerd", p->realisation, 0, 0, "pilots");
    s_line(out, r, 6, "pilots_doel_jaar", r->pilots.target ? r->pilots.target : 3, 0, 0, "pilots");
    return ferror(out) ? -EIO : 0;
}
