/*  bm_class: benchmark classes, KPI and normalisation names. See bm.h.
 *  Size classes of gemeenten follow CBS's gemeentegrootteklassen, merged where a class
 *  would rarely reach k buyers: < 20.000, 20.000-50.000, 50.000-100.000, 100.000-250.000,
 *  >= 250.000 inhabitants. Provincies, waterschappen and rijk: one class each. */
#include "bm.h"

#include <string.h>

static const int64_t s_bounds[BM_SIZES - 1] = { 20000, 50000, 100000, 250000 };

int bm_class_of(const mvoi_buyer_t *b)
{
    if (!b || b->kind == MVOI_BUYER_KIND_NONE || b->kind >= MVOI_BUYER_KINDS)
        return -1;
    int base = ((int)b->kind - 1) * BM_SIZES;
    if (b->kind != MVOI_BUYER_KIND_GEMEENTE)
        return base;
    if (b->inhabitants <= 0)
        return -1;     /* a gemeente without inhabitants cannot be placed by size */
    int s = 0;
    while (s < BM_SIZES - 1 && b->inhabitants >= s_bounds[s])
        s++;
    return base + s;
}

static const char *const s_ids[BM_SIZES] = {
    "gemeente.0-19999", "gemeente.20000-49999", "gemeente.50000-99999",
    "gemeente.100000-249999", "gemeente.250000-"
};
static const char *const s_nl[BM_SIZES] = {
    "gemeenten van minder dan 20.000 inwoners", "gemeenten van 20.000-50.000 inwoners",
    "gemeenten van 50.000-100.000 inwoners", "gemeenten van 100.000-250.000 inwoners",
    "gemeenten van 250.000 inwoners of meer"
};
static const char *const s_en[BM_SIZES] = {
    "municipalities of fewer than 20,000 inhabitants",
    "municipalities of 20,000-50,000 inhabitants",
    "municipalities of 50,000-100,000 inhabitants",
    "municipalities of 100,000-250,000 inhabitants",
    "municipalities of 250,000 inhabitants or more"
};
static const char *const s_other[3][3] = {
    { "provincie.alle", "provincies", "provinces" },
    { "waterschap.alle", "waterschappen", "water authorities" },
    { "rijk.alle", "rijksorganisaties", "central government organisations" },
};

const char *bm_class_id(int cls)
{
    if (cls < 0 || cls >= BM_CLASSES)
        return "";
    if (cls < BM_SIZES)
        return s_ids[cls];
    return cls % BM_SIZES ? "" : s_other[cls / BM_SIZES - 1][0];
}

const char *bm_class_label(int cls, text_lang_t lang)
{
    if (cls < 0 || cls >= BM_CLASSES)
        return "";
    if (cls < BM_SIZES)
        return lang == TEXT_EN ? s_en[cls] : s_nl[cls];
    return cls % BM_SIZES ? "" : s_other[cls / BM_SIZES - 1][lang == TEXT_EN ? 2 : 1];
}

static const char *const s_kpis[BM_MEASURES + 1] = {
    NULL, "fairtrade", "sroi", "nox", "material", "co2", "pilots",
    "share.klimaat", "share.circulair", "share.milieu", "share.isv",
    "share.diversiteit_inclusie", "share.social_return",
    "level.klimaat", "level.circulair", "level.milieu", "level.isv",
    "level.diversiteit_inclusie", "level.social_return"
};

const char *bm_kpi_name(int kpi) { return kpi >= 1 && kpi <= BM_MEASURES ? s_kpis[kpi] : NULL; }

int bm_kpi_parse(const char *name)
{
    for (int k = 1; name && k <= BM_MEASURES; k++)
        if (strcmp(name, s_kpis[k]) == 0)
            return k;
    return -1;
}

bool bm_kpi_has_norm(int kpi, bm_norm_t n)
{
    return kpi >= 1 && kpi <= BM_MEASURES && n < BM_NORMS && (kpi <= BM_KPIS || n == BM_NORM_ABS);
}

int bm_kpi_theme(int kpi)
{
    if (kpi <= BM_KPIS || kpi > BM_MEASURES)
        return 0;
    return (kpi - BM_KPIS - 1) % BM_THEMES + 1;
}

static const char *const s_norms[BM_NORMS] = { "absolute", "per_eur_million", "per_inhabitant" };

const char *bm_norm_name(bm_norm_t n) { return n < BM_NORMS ? s_norms[n] : ""; }

int bm_norm_parse(const char *name)
{
    for (int n = 0; name && n < BM_NORMS; n++)
        if (strcmp(name, s_norms[n]) == 0)
            return n;
    return -1;
}
