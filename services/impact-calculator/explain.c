/*  explain: the calculation of one measurement in words and numbers. See explain.h.
 *  The words are the catalogue's ("explain.*" in common/messages.def), in the language asked
 *  for; the figures are grouped as that language writes them. */
#include "explain.h"
#include "calc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t len, used;
    text_lang_t lang;
} s_out_t;

static void __attribute__((format(printf, 2, 3)))
s_put(s_out_t *o, const char *fmt, ...)
{
    if (o->used + 1 >= o->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->used += (size_t) n < o->len - o->used ? (size_t) n : o->len - o->used - 1;
}

/* s_put with the catalogue's text of key in o's language as the format (both translations
 * have the same conversions: the catalogue's own rule, checked by its tests). */
static void
s_putk(s_out_t *o, const char *key, ...)
{
    if (o->used + 1 >= o->len)
        return;
    va_list ap;
    va_start(ap, key);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int n = vsnprintf(o->buf + o->used, o->len - o->used, text_get(o->lang, key), ap);
#pragma GCC diagnostic pop
    va_end(ap);
    if (n > 0)
        o->used += (size_t) n < o->len - o->used ? (size_t) n : o->len - o->used - 1;
}

const char *
impact_fmt_fixed(char *buf, size_t len, int64_t value, int decimals)
{
    return impact_fmt_fixed_lang(buf, len, value, decimals, TEXT_NL);
}

static const char *s_fmt(char *buf, size_t len, int64_t value, int decimals, text_lang_t lang,
                         bool trim);

const char *
impact_fmt_fixed_lang(char *buf, size_t len, int64_t value, int decimals, text_lang_t lang)
{
    return s_fmt(buf, len, value, decimals, lang, true);
}

const char *
impact_fmt_cents(char *buf, size_t len, int64_t cents, text_lang_t lang)
{
    return s_fmt(buf, len, cents, 2, lang, false);
}

/* trim: drop trailing fractional zeros (a measured figure); else keep them all (money). */
static const char *
s_fmt(char *buf, size_t len, int64_t value, int decimals, text_lang_t lang, bool trim)
{
    /* Dutch 14.720,47; English 14,720.47: the grouping of numfmt_style_text, so the text
     * reads like the figures mvoictl and the reports print beside it. */
    const char group = lang == TEXT_EN ? ',' : '.', point = lang == TEXT_EN ? '.' : ',';
    char digits[32], out[64];
    uint64_t u = value < 0 ? (uint64_t) 0 - (uint64_t) value : (uint64_t) value;
    uint64_t scale = 1;
    for (int i = 0; i < decimals && i < 18; i++)
        scale *= 10;
    uint64_t ip = u / scale, fp = u % scale;
    snprintf(digits, sizeof digits, "%llu", (unsigned long long) ip);
    size_t nd = strlen(digits), o = 0;
    if (value < 0)
        out[o++] = '-';
    for (size_t i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            out[o++] = group;
        out[o++] = digits[i];
    }
    if ((fp || !trim) && decimals > 0) {
        char frac[24];
        int width = decimals < 18 ? decimals : 18;   /* the scale above stops at 10^18 */
        if (snprintf(frac, sizeof frac, "%0*llu", width, (unsigned long long) fp) >=
            (int)sizeof frac)
            frac[sizeof frac - 1] = 0;
        size_t nf = strlen(frac);
        while (trim && nf > 0 && frac[nf - 1] == '0')
            frac[--nf] = 0;
        out[o++] = point;
        memcpy(out + o, frac, nf);
        o += nf;
    }
    out[o] = 0;
    snprintf(buf, len, "%s", out);
    return buf;
}

/* A figure in the language of the s_out_t o in scope. */
#define S_F(v, d) impact_fmt_fixed_lang((char[48]){ 0 }, 48, (v), (d), o->lang)
/* An amount in cents with its cents ("€ 30.049,00"), as mvoictl and the reports print money. */
#define S_E(v) impact_fmt_cents((char[48]){ 0 }, 48, (v), o->lang)
/* An amount of a table: with its cents when the table counts in cents, else exactly. */
#define S_EUR(v, t) ((t)->decimals == 2 ? S_E(v) : S_F((v), (t)->decimals))

static const Mvoi__FactorRef *
s_ref(const Mvoi__Impact *imp, const char *table)
{
    for (size_t i = 0; imp && i < imp->n_factors; i++)
        if (imp->factors[i]->table && strcmp(imp->factors[i]->table, table) == 0)
            return imp->factors[i];
    return NULL;
}

static void
s_source(s_out_t *o, const Mvoi__FactorRef *r)
{
    if (!r)
        return;
    s_putk(o, "explain.source", r->source ? r->source : "", r->table ? r->table : "",
           r->edition ? r->edition : "", r->reference_variant ? r->reference_variant : "",
           r->unverified ? text_get(o->lang, "explain.unverified") : "");
}

static const factors_table_t *
s_table(const factors_t *f, const Mvoi__FactorRef *r)
{
    return r ? factors_select(f, r->table, r->edition) : NULL;
}

/* The factor of one side of an energy measurement: co2 row, or the grid-mix row named in
 * the co2_grid_mix FactorRef ("electricity_grid@2024"). */
static bool
s_energy_factor(const factors_t *f, const Mvoi__Impact *imp, const factors_table_t *co2,
                const char *key, int64_t *v, const char **unit)
{
    const factors_row_t *row = factors_find(co2, key);
    if (!row)
        return false;
    *v = row->value;
    *unit = row->unit;
    const Mvoi__FactorRef *g = s_ref(imp, "co2_grid_mix");
    if (g && strcmp(key, "electricity_grid") == 0 && g->reference_variant) {
        const char *at = strchr(g->reference_variant, '@');
        const factors_table_t *gt = s_table(f, g);
        const factors_row_t *gr = gt && at ? factors_find_in_range(gt, key, atoll(at + 1)) : NULL;
        if (gr)
            *v = gr->value;
    }
    return true;
}

static void
s_energy(s_out_t *o, const factors_t *f, const Mvoi__EnergyUse *e, const Mvoi__Impact *imp)
{
    const Mvoi__FactorRef *r = s_ref(imp, "co2");
    const factors_table_t *t = s_table(f, r);
    const char *act = calc_carrier_key(e->carrier);
    const char *ref = r ? r->reference_variant : NULL;
    int64_t va = 0, vr = 0;
    const char *unit = "unit", *unit2 = "";
    if (!t || !act || !ref || !s_energy_factor(f, imp, t, act, &va, &unit)
        || !s_energy_factor(f, imp, t, ref, &vr, &unit2)) {
        s_putk(o, "explain.co2", S_F(imp->co2_avoided_g, 3));
        s_source(o, r);
        return;
    }
    s_putk(o, "explain.energy", S_F(e->quantity_milli, 3), unit, act, ref,
           S_F(e->quantity_milli, 3), unit, S_F(vr, t->decimals), S_F(va, t->decimals), unit,
           S_F(imp->co2_avoided_g, 3));
    s_source(o, r);
    const Mvoi__FactorRef *g = s_ref(imp, "co2_grid_mix");
    if (g) {
        s_put(o, ";");
        s_source(o, g);
    }
}

static void
s_machine(s_out_t *o, const factors_t *f, const Mvoi__MachineUse *mu, const Mvoi__Impact *imp)
{
    const Mvoi__FactorRef *r = s_ref(imp, "nox_stage");
    const factors_table_t *t = s_table(f, r);
    const char *ka = calc_stage_key(mu->stage_actual), *kr = calc_stage_key(mu->stage_required);
    const factors_row_t *ra = t && ka ? factors_find_in_range(t, ka, mu->power_kw) : NULL;
    const factors_row_t *rr = t && kr ? factors_find_in_range(t, kr, mu->power_kw) : NULL;
    if (!ra || !rr) {
        s_putk(o, "explain.nox", S_F(imp->nox_avoided_mg, 6));
        s_source(o, r);
        return;
    }
    const char *what = strcmp(rr->kind, "hc_nox") == 0 || strcmp(ra->kind, "hc_nox") == 0
                           ? "HC+NOx" : "NOx";
    if (mu->has_metered_kwh_milli) {
        s_putk(o, "explain.metered", S_F(mu->metered_kwh_milli, 3));
        s_put(o, " × (%s − %s) g %s/kWh", S_F(rr->value, t->decimals), S_F(ra->value, t->decimals),
              what);
    }
    else {
        /* kWh = power x permille/1000 x hours_milli/1000: exact with 6 decimals. */
        int64_t kwh6 = (int64_t) mu->power_kw * mu->load_factor_permille * mu->hours_milli;
        s_putk(o, "explain.machine_kwh", mu->power_kw, S_F(mu->load_factor_permille, 3),
               S_F(mu->hours_milli, 3), S_F(kwh6, 6), S_F(kwh6, 6),
               S_F(rr->value, t->decimals), S_F(ra->value, t->decimals), what);
    }
    s_putk(o, "explain.machine_result", S_F(imp->nox_avoided_mg, 6), what, ka, kr);
    s_source(o, r);
}

static void
s_road(s_out_t *o, const factors_t *f, const Mvoi__RoadTransport *rt, const Mvoi__Impact *imp)
{
    const Mvoi__FactorRef *r = s_ref(imp, "nox_road");
    const factors_table_t *t = s_table(f, r);
    char ka[80], kr[80];
    snprintf(ka, sizeof ka, "%s:%s", rt->vehicle_class ? rt->vehicle_class : "",
             rt->euro_class_actual ? rt->euro_class_actual : "");
    snprintf(kr, sizeof kr, "%s:%s", rt->vehicle_class ? rt->vehicle_class : "",
             rt->euro_class_required ? rt->euro_class_required : "");
    const factors_row_t *ra = t ? factors_find(t, ka) : NULL, *rr = t ? factors_find(t, kr) : NULL;
    if (!ra || !rr) {
        s_putk(o, "explain.nox", S_F(imp->nox_avoided_mg, 6));
        s_source(o, r);
        return;
    }
    int64_t act = strcmp(ra->unit, "km") == 0 ? rt->km_milli : rt->kwh_milli;
    s_putk(o, "explain.road", S_F(act, 3), ra->unit, S_F(rr->value, t->decimals),
           S_F(ra->value, t->decimals), ra->unit, S_F(imp->nox_avoided_mg, 6), ka, kr);
    s_source(o, r);
}

static void
s_material(s_out_t *o, const factors_t *f, const Mvoi__Material *m, const Mvoi__Impact *imp)
{
    const Mvoi__FactorRef *r = s_ref(imp, "r_ladder");
    const factors_table_t *t = s_table(f, r);
    const char *key = calc_strategy_key(m->strategy);
    const factors_row_t *row = t && key ? factors_find(t, key) : NULL;
    s_put(o, "%s kg%s%s, %s", S_F(m->mass_g, 3), m->material ? " " : "",
          m->material ? m->material : "", key ? key : "?");
    if (row) {
        s_putk(o, "explain.material_row", row->kind, S_F(row->value, t->decimals));
        if (strcmp(row->kind, "sharing") == 0)
            s_put(o, " × (1 − 1/%s)", S_F(m->sharing_factor_milli, 3));
    }
    if (m->renewable)
        s_putk(o, "explain.renewable", S_F(imp->renewable_g, 3));
    else
        s_putk(o, "explain.primary", S_F(imp->primary_material_g, 3));
    s_source(o, r);
}

static void
s_social(s_out_t *o, const factors_t *f, const Mvoi__SocialReturn *s, const Mvoi__Impact *imp)
{
    const Mvoi__FactorRef *first = s_ref(imp, "sroi_catalogue");
    const factors_table_t *t = s_table(f, first);
    const char *sep = "";
    if (t && s->fte_months_milli > 0 && s->target_group) {
        const factors_row_t *g = factors_find(t, s->target_group);
        const factors_row_t *b = s->bonus_50plus ? factors_find(t, "bonus_50plus") : NULL;
        s_putk(o, "explain.sroi_fte", S_F(s->fte_months_milli, 3),
               g ? S_EUR(g->value, t) : "?", s->target_group);
        if (b)
            s_put(o, " + € %s bonus 50+", S_EUR(b->value, t));
        s_putk(o, "explain.sroi_per_year");
        sep = " + ";
    }
    if (t && s->social_project_hours_milli > 0) {
        const factors_row_t *h = factors_find(t, "social_project_hour");
        s_putk(o, "explain.sroi_hours", sep, S_F(s->social_project_hours_milli, 3),
               h ? S_EUR(h->value, t) : "?");
        sep = " + ";
    }
    if (s->social_enterprise_cents > 0)
        s_putk(o, "explain.sroi_invoiced", sep, S_E(s->social_enterprise_cents));
    s_putk(o, "explain.sroi_total", S_E(imp->sroi_realised_cents));
    s_source(o, first);
}

static void
s_fairtrade(s_out_t *o, const Mvoi__FairTrade *ft, const Mvoi__Impact *imp)
{
    s_putk(o, "explain.fairtrade", ft->products_fair, ft->products_total,
           ft->category ? ft->category : "");
    if (ft->products_total)
        s_putk(o, "explain.fairtrade_share",
               S_F((int64_t) ft->products_fair * 100000 / ft->products_total, 3));
    s_source(o, s_ref(imp, "isv_categories"));
}

static void
s_mki(s_out_t *o, const factors_t *f, const Mvoi__Mki *k, const Mvoi__Impact *imp)
{
    const Mvoi__FactorRef *r = s_ref(imp, "mki_shadow_prices");
    if (k->has_reference_mki_cents || k->has_offered_mki_cents) {
        s_putk(o, "explain.mki_design", S_E(k->reference_mki_cents), S_E(k->offered_mki_cents),
               S_E(imp->mki_avoided_cents));
        return;
    }
    const factors_table_t *t = s_table(f, r);
    s_putk(o, "explain.mki_sum");
    for (size_t i = 0; t && i < k->n_reference_impacts; i++) {
        const Mvoi__MkiImpact *ri = k->reference_impacts[i];
        int64_t off = 0;
        for (size_t j = 0; j < k->n_offered_impacts; j++)
            if (strcmp(k->offered_impacts[j]->category, ri->category) == 0)
                off = k->offered_impacts[j]->amount_milli;
        const factors_row_t *p = factors_find(t, ri->category);
        s_put(o, "%s (%s − %s) %s × € %s", i ? " +" : "", S_F(ri->amount_milli, 3),
              S_F(off, 3), p ? p->unit : ri->category, p ? S_F(p->value, t->decimals) : "?");
    }
    s_putk(o, "explain.mki_total", S_E(imp->mki_avoided_cents));
    s_source(o, r);
}

int
impact_explain(const factors_t *f, const Mvoi__Measurement *m, const Mvoi__Impact *imp,
               text_lang_t lang, char *buf, size_t len)
{
    if (!m || !imp || !buf || len == 0 || (lang != TEXT_NL && lang != TEXT_EN))
        return -EINVAL;
    s_out_t o = { buf, len, 0, lang };
    buf[0] = 0;
    switch (m->kind_case) {
    case MVOI__MEASUREMENT__KIND_ENERGY: s_energy(&o, f, m->energy, imp); break;
    case MVOI__MEASUREMENT__KIND_MACHINE: s_machine(&o, f, m->machine, imp); break;
    case MVOI__MEASUREMENT__KIND_ROAD: s_road(&o, f, m->road, imp); break;
    case MVOI__MEASUREMENT__KIND_MATERIAL: s_material(&o, f, m->material, imp); break;
    case MVOI__MEASUREMENT__KIND_SOCIAL: s_social(&o, f, m->social, imp); break;
    case MVOI__MEASUREMENT__KIND_FAIRTRADE: s_fairtrade(&o, m->fairtrade, imp); break;
    case MVOI__MEASUREMENT__KIND_MKI: s_mki(&o, f, m->mki, imp); break;
    case MVOI__MEASUREMENT__KIND_PILOT:
    {
        static const char *themes[] = { "?", "klimaat", "circulair", "milieu", "isv",
                                        "diversiteit_inclusie", "social_return" };
        int th = (int) m->pilot->theme;
        s_putk(&o, "explain.pilot", th > 0 && th < 7 ? themes[th] : "?",
               m->pilot->status && *m->pilot->status ? m->pilot->status : "-");
    }
        break;
    default: s_putk(&o, "explain.no_kind"); break;
    }
    return (int) o.used;
}
