/* mvoi_names: see mvoi_names.h. Tables, not switch statements, so names and synonyms sit
 * side by side and a new synonym is one line. */
#include "mvoi_names.h"

#include <errno.h>
#include <string.h>

typedef struct {
    const char *name;
    int value;
} s_alias_t;

static const s_alias_t s_themes[] = {
    {"klimaat", MVOI__THEME__THEME_KLIMAAT},
    {"climate", MVOI__THEME__THEME_KLIMAAT},
    {"circulair", MVOI__THEME__THEME_CIRCULAIR},
    {"circular", MVOI__THEME__THEME_CIRCULAIR},
    {"biobased", MVOI__THEME__THEME_CIRCULAIR},
    {"milieu", MVOI__THEME__THEME_MILIEU},
    {"environment", MVOI__THEME__THEME_MILIEU},
    {"isv", MVOI__THEME__THEME_ISV},
    {"internationale_sociale_voorwaarden", MVOI__THEME__THEME_ISV},
    {"diversiteit_inclusie", MVOI__THEME__THEME_DIVERSITEIT_INCLUSIE},
    {"diversiteit_en_inclusie", MVOI__THEME__THEME_DIVERSITEIT_INCLUSIE},
    {"diversity_inclusion", MVOI__THEME__THEME_DIVERSITEIT_INCLUSIE},
    {"diversiteit", MVOI__THEME__THEME_DIVERSITEIT_INCLUSIE},
    {"inclusie", MVOI__THEME__THEME_DIVERSITEIT_INCLUSIE},
    {"social_return", MVOI__THEME__THEME_SOCIAL_RETURN},
    {"sroi", MVOI__THEME__THEME_SOCIAL_RETURN},
    {NULL, 0},
};

static const s_alias_t s_kinds[] = {
    {"leveringen", MVOI__TENDER_KIND__KIND_LEVERINGEN},
    {"levering", MVOI__TENDER_KIND__KIND_LEVERINGEN},
    {"supplies", MVOI__TENDER_KIND__KIND_LEVERINGEN},
    {"goods", MVOI__TENDER_KIND__KIND_LEVERINGEN},
    {"diensten", MVOI__TENDER_KIND__KIND_DIENSTEN},
    {"dienst", MVOI__TENDER_KIND__KIND_DIENSTEN},
    {"services", MVOI__TENDER_KIND__KIND_DIENSTEN},
    {"werken", MVOI__TENDER_KIND__KIND_WERKEN},
    {"werk", MVOI__TENDER_KIND__KIND_WERKEN},
    {"works", MVOI__TENDER_KIND__KIND_WERKEN},
    {NULL, 0},
};

static const s_alias_t s_procs[] = {
    {"enkelvoudig_onderhands", MVOI__PROCEDURE__PROC_ENKELVOUDIG_ONDERHANDS},
    {"enkelvoudig", MVOI__PROCEDURE__PROC_ENKELVOUDIG_ONDERHANDS},
    {"meervoudig_onderhands", MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS},
    {"meervoudig", MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS},
    {"nationaal_openbaar", MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR},
    {"nationaal", MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR},
    {"europees_openbaar", MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR},
    {"europees", MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR},
    /* TenderNed's names of the procedures */
    {"europese_openbare_procedure", MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR},
    {"nationale_openbare_procedure", MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR},
    {"meervoudig_onderhandse_procedure", MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS},
    {"enkelvoudig_onderhandse_procedure", MVOI__PROCEDURE__PROC_ENKELVOUDIG_ONDERHANDS},
    {NULL, 0},
};

static const s_alias_t s_commits[] = {
    {"eis", MVOI__COMMITMENT__COMMIT_EIS},
    {"requirement", MVOI__COMMITMENT__COMMIT_EIS},
    {"gunning", MVOI__COMMITMENT__COMMIT_GUNNING},
    {"gunningscriterium", MVOI__COMMITMENT__COMMIT_GUNNING},
    {"award", MVOI__COMMITMENT__COMMIT_GUNNING},
    {"innovatie", MVOI__COMMITMENT__COMMIT_INNOVATIE},
    {"innovation", MVOI__COMMITMENT__COMMIT_INNOVATIE},
    {"pilot", MVOI__COMMITMENT__COMMIT_INNOVATIE},
    {NULL, 0},
};

static const s_alias_t s_statuses[] = {
    {"planned", MVOI__TENDER_STATUS__STATUS_PLANNED},
    {"gepland", MVOI__TENDER_STATUS__STATUS_PLANNED},
    {"kickoff_scheduled", MVOI__TENDER_STATUS__STATUS_KICKOFF_SCHEDULED},
    {"ambition_recorded", MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED},
    {"published", MVOI__TENDER_STATUS__STATUS_PUBLISHED},
    {"gepubliceerd", MVOI__TENDER_STATUS__STATUS_PUBLISHED},
    {"awarded", MVOI__TENDER_STATUS__STATUS_AWARDED},
    {"gegund", MVOI__TENDER_STATUS__STATUS_AWARDED},
    {"in_execution", MVOI__TENDER_STATUS__STATUS_IN_EXECUTION},
    {"in_uitvoering", MVOI__TENDER_STATUS__STATUS_IN_EXECUTION},
    {"completed", MVOI__TENDER_STATUS__STATUS_COMPLETED},
    {"afgerond", MVOI__TENDER_STATUS__STATUS_COMPLETED},
    {"cancelled", MVOI__TENDER_STATUS__STATUS_CANCELLED},
    {"geannuleerd", MVOI__TENDER_STATUS__STATUS_CANCELLED},
    {"ingetrokken", MVOI__TENDER_STATUS__STATUS_CANCELLED},
    {"kickoff_gepland", MVOI__TENDER_STATUS__STATUS_KICKOFF_SCHEDULED},
    /* the words mvoictl and the reports show ("startsessie gepland") read back */
    {"startsessie_gepland", MVOI__TENDER_STATUS__STATUS_KICKOFF_SCHEDULED},
    {"ambitie_vastgelegd", MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED},
    {NULL, 0},
};

/* The first table entry with a given value is its canonical name. */
static const char *s_name(const s_alias_t *tab, int v)
{
    for (; tab->name; tab++)
        if (tab->value == v)
            return tab->name;
    return "unspecified";
}

/* Normalise "Diversiteit en Inclusie" / "social-return" to "diversiteit_en_inclusie" /
 * "social_return" before looking up, so spreadsheet spellings match. */
static int s_parse(const s_alias_t *tab, const char *s, int *out)
{
    char key[64];
    size_t n = 0;
    if (!s)
        return -EINVAL;
    while (*s == ' ' || *s == '\t')
        s++;
    for (; *s && n + 1 < sizeof key; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c == ' ' || c == '-' || c == '&')
            c = '_';
        key[n++] = c;
    }
    if (*s)
        return -EINVAL;
    while (n > 0 && key[n - 1] == '_')
        n--;
    key[n] = '\0';
    for (; tab->name; tab++) {
        if (strcmp(tab->name, key) == 0) {
            *out = tab->value;
            return 0;
        }
    }
    return -EINVAL;
}

const char *mvoi_theme_name(Mvoi__Theme t) { return s_name(s_themes, t); }
const char *mvoi_theme_key(int t)
{
    return t >= MVOI__THEME__THEME_KLIMAAT && t <= MVOI__THEME__THEME_SOCIAL_RETURN
               ? s_name(s_themes, t)
               : NULL;
}
const char *mvoi_kind_name(Mvoi__TenderKind k) { return s_name(s_kinds, k); }
const char *mvoi_procedure_name(Mvoi__Procedure p) { return s_name(s_procs, p); }
const char *mvoi_commitment_name(Mvoi__Commitment c) { return s_name(s_commits, c); }
const char *mvoi_status_name(Mvoi__TenderStatus s) { return s_name(s_statuses, s); }

#define S_PARSER(fn, tab, type)                                                          \
    int fn(const char *s, type *out)                                                     \
    {                                                                                    \
        int v;                                                                           \
        int rc = s_parse(tab, s, &v);                                                    \
        if (rc == 0)                                                                     \
            *out = (type)v;                                                              \
        return rc;                                                                       \
    }

S_PARSER(mvoi_theme_parse, s_themes, Mvoi__Theme)
S_PARSER(mvoi_kind_parse, s_kinds, Mvoi__TenderKind)
S_PARSER(mvoi_procedure_parse, s_procs, Mvoi__Procedure)
S_PARSER(mvoi_commitment_parse, s_commits, Mvoi__Commitment)
S_PARSER(mvoi_status_parse, s_statuses, Mvoi__TenderStatus)

static const char *s_kpi_names[] = { NULL, "fairtrade", "sroi", "nox", "material", "co2",
                                     "pilots" };
static const char *s_kpi_units[] = { NULL, "products", "cent", "mg", "g", "g", "pilots" };

const char *mvoi_kpi_name(int kpi)
{
    return kpi >= 1 && kpi <= MVOI_KPI_COUNT ? s_kpi_names[kpi] : NULL;
}

const char *mvoi_kpi_unit(int kpi)
{
    return kpi >= 1 && kpi <= MVOI_KPI_COUNT ? s_kpi_units[kpi] : NULL;
}

bool mvoi_kpi_has_target(int kpi)
{
    return kpi == MVOI__KPI__KPI_SROI || kpi == MVOI__KPI__KPI_PILOTS;
}

int mvoi_kpi_parse(const char *name, int *kpi)
{
    for (int k = 1; name && k <= MVOI_KPI_COUNT; k++)
        if (strcmp(name, s_kpi_names[k]) == 0) {
            *kpi = k;
            return 0;
        }
    return -EINVAL;
}
