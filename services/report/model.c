/*  model: the input's storage, the ambition levels and the status words; the figures
 *  themselves are computed in model_build.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mvoi_names.h"
#include "report.h"

/* Test hook (rp_input_fail_growth_after): growths left before each one fails; -1 never. */
static long s_growths_left = -1;

void rp_input_fail_growth_after(long n) { s_growths_left = n < 0 ? -1 : n; }

void *rp__calloc(size_t n, size_t size)
{
    if (s_growths_left == 0)
        return NULL;
    if (s_growths_left > 0)
        s_growths_left--;
    return calloc(n, size);
}

static void *s_realloc(void *p, size_t n, size_t size)
{
    if (s_growths_left == 0 || n > SIZE_MAX / size)
        return NULL;
    if (s_growths_left > 0)
        s_growths_left--;
    return realloc(p, n * size);
}

#define S_GROW(arr, n, cap)                                                              \
    do {                                                                                 \
        if ((n) == (cap)) {                                                              \
            size_t nc = (cap) ? (cap) * 2 : 64;                                          \
            void *p = s_realloc((arr), nc, sizeof *(arr));                               \
            if (!p) return NULL;                                                         \
            (arr) = p;                                                                   \
            (cap) = nc;                                                                  \
        }                                                                                \
    } while (0)

void rp_input_init(rp_input_t *in) { memset(in, 0, sizeof *in); }

void rp_input_free(rp_input_t *in)
{
    free(in->totals);
    free(in->tenders);
    free(in->contribs);
    free(in->factors);
    for (int th = 0; th < RP_NTHEME; th++)
        free(in->narrative[th]);
    bm_destroy(&in->bench);
    memset(in, 0, sizeof *in);
}

rp_total_t *rp_input_add_total(rp_input_t *in)
{
    S_GROW(in->totals, in->ntotals, in->captotals);
    rp_total_t *t = &in->totals[in->ntotals++];
    memset(t, 0, sizeof *t);
    return t;
}
rp_tender_t *rp_input_add_tender(rp_input_t *in)
{
    S_GROW(in->tenders, in->ntenders, in->captenders);
    rp_tender_t *t = &in->tenders[in->ntenders++];
    memset(t, 0, sizeof *t);
    return t;
}
rp_contrib_t *rp_input_add_contrib(rp_input_t *in)
{
    S_GROW(in->contribs, in->ncontribs, in->capcontribs);
    rp_contrib_t *t = &in->contribs[in->ncontribs++];
    memset(t, 0, sizeof *t);
    return t;
}
rp_factor_t *rp_input_add_factor(rp_input_t *in)
{
    S_GROW(in->factors, in->nfactors, in->capfactors);
    rp_factor_t *t = &in->factors[in->nfactors++];
    memset(t, 0, sizeof *t);
    return t;
}

/* ------------------------------------------------------------------ ambition levels */

/* Plan §4: baseline 2023 all themes at 1, klimaat and circulair at 2, social return at 4;
 * goal 2027 klimaat and circulair at 4, every theme stepping up towards 4. */
static const int s_baseline[RP_NTHEME] = { 0, 2, 2, 1, 1, 1, 4 };
static const int s_goal[RP_NTHEME] = { 0, 4, 4, 4, 4, 4, 4 };
#define S_MAXLEV 256
static struct { int theme; uint32_t year; int level; } s_lev[S_MAXLEV];
static int s_nlev;

/* One line of the levels file into s_lev: 0, 1 for a comment or blank line, or -EINVAL /
 * -EFBIG. */
static int s_level_line(const char *line)
{
    if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
        return 1;
    char name[64], tail[2];
    unsigned y;
    int lv, th = 0;
    int n = sscanf(line, "%63[^;];%u;%d %1s", name, &y, &lv, tail);
    for (int t = 1; n == 3 && t < RP_NTHEME; t++)
        if (strcmp(name, rp_theme_name(t)) == 0)
            th = t;
    if (!th || y < 2000 || y > 2999 || lv < 1 || lv > 5)
        return -EINVAL;
    for (int i = 0; i < s_nlev; i++)
        if (s_lev[i].theme == th && s_lev[i].year == y)
            return -EINVAL;   /* twice: which one the council adopted is not ours to guess */
    if (s_nlev == S_MAXLEV)
        return -EFBIG;
    s_lev[s_nlev].theme = th;
    s_lev[s_nlev].year = y;
    s_lev[s_nlev++].level = lv;
    return 0;
}

int rp_levels_load(const char *path, int *bad_line)
{
    s_nlev = 0;
    if (bad_line)
        *bad_line = 0;
    if (!path || !*path)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    /* Every line is a level, a comment or blank; any other was skipped without a word
     * and its theme's level then read "niet vastgelegd" (a typo "klimat", a level 6, a
     * ',' for ';', the 257th level). */
    char line[256];
    int rc = 0, no = 0;
    while (rc >= 0 && fgets(line, sizeof line, f)) {
        no++;
        rc = strchr(line, '\n') || feof(f) ? s_level_line(line) : -EINVAL;   /* too long */
    }
    fclose(f);
    if (rc < 0) {
        s_nlev = 0;
        if (bad_line)
            *bad_line = no;
        return rc;
    }
    return s_nlev;
}

int rp_level(int theme, uint32_t year)
{
    for (int i = 0; i < s_nlev; i++)
        if (s_lev[i].theme == theme && s_lev[i].year == year)
            return s_lev[i].level;
    if (theme < 1 || theme >= RP_NTHEME)
        return 0;
    if (year == 2023)
        return s_baseline[theme];
    if (year == 2027)
        return s_goal[theme];
    return 0;
}

/* ------------------------------------------------------------------ model */

const char *rp_status_key(rp_status_t s)
{
    switch (s) {
    case RP_STATUS_ON_TRACK: return "report.status.on_track";
    case RP_STATUS_BEHIND: return "report.status.behind";
    case RP_STATUS_UNCOMMITTED: return "report.status.uncommitted";
    case RP_STATUS_NOT_MEASURED: return "report.status.not_measured";
    case RP_STATUS_TARGET_MET: return "report.status.target_met";
    case RP_STATUS_TARGET_OPEN: return "report.status.target_open";
    default: return "report.status.no_ambition";
    }
}

bool rp_unmeasured(int kpi, const rp_val_t *v, int64_t x)
{
    return kpi != 6 && v->count == 0 && x == 0;
}

bool rp_denominator_na(int kpi)
{
    return kpi != 1;
}

bool rp_series_target_na(int kpi)
{
    return !mvoi_kpi_has_target(kpi) || kpi == 6;
}

void rp_model_free(rp_report_t *r)
{
    free(r->annex);
    free(r->contracts);
    free(r->early);
    r->annex = NULL;
    r->contracts = NULL;
    r->early = NULL;
}
