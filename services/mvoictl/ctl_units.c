/*  ctl_units: KPI figures as people read them (the one number formatter,
 *  numfmt_fixed, that the report uses too).
 *
 *  Per KPI row one unit, chosen from the row's largest value so that ambition, realisation
 *  and target of a row are comparable: grams as kg, or as t from 1 t on; milligrams of NOx
 *  likewise; cents as euros with 2 decimals; products, pilots and projects as counts.
 *  Rounding (half away from zero) happens only in numfmt_fixed; --raw shows the integers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_units.h"
#include "numfmt.h"

void ctl_unit_pick(int kpi, int64_t max_abs, ctl_unit_t *u)
{
    u->scale = 0;
    u->decimals = 0;
    u->key = "ctl.unit.count";
    switch (kpi) {
    case 1: u->key = "ctl.unit.products"; break;
    case 2: u->scale = 2; u->decimals = 2; u->key = "ctl.unit.eur"; break;
    case 3:   /* mg */
        u->decimals = 3;
        u->scale = max_abs >= 1000000000 ? 9 : 6;
        u->key = u->scale == 9 ? "ctl.unit.t" : "ctl.unit.kg";
        break;
    case 4:
    case 5:   /* g */
        u->decimals = 3;
        u->scale = max_abs >= 1000000 ? 6 : 3;
        u->key = u->scale == 6 ? "ctl.unit.t" : "ctl.unit.kg";
        break;
    case 6: u->key = "ctl.unit.pilots"; break;
    default: break;
    }
}

int ctl_unit_num(char *buf, size_t cap, const ctl_unit_t *u, int64_t raw, text_lang_t lang)
{
    return numfmt_fixed(buf, cap, raw, u->scale, u->decimals, numfmt_style_text(lang));
}

/* The impact in people's units and the chosen language (the report's one formatter); --raw
 * prints the stored integers with their units. */
void ctl_print_impact(const ctl_t *ctl, const Mvoi__Impact *i)
{
    static const struct { const char *label, *raw_unit, *unit; int scale, dec; } f[] = {
        { "ctl.impact.co2", "g", "kg", 3, 3 }, { "ctl.impact.nox", "mg", "kg", 6, 3 },
        { "ctl.impact.material", "g", "kg", 3, 3 }, { "ctl.impact.renewable", "g", "kg", 3, 3 },
        { "ctl.impact.sroi", "cent", "€", 2, 2 }, { "ctl.impact.fairtrade", "", "", 0, 0 },
        { "ctl.impact.risk", "", "", 0, 0 }, { "ctl.impact.mki", "cent", "€", 2, 2 },
        { "ctl.impact.pilots", "", "", 0, 0 },
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
            printf(" %s %lld%s%s", ctl_text(ctl, f[k].label), (long long)v[k], *f[k].raw_unit ? " " : "",
                   f[k].raw_unit);
            continue;
        }
        ctl_unit_t u = { f[k].scale, f[k].dec, NULL };
        char b[48];
        ctl_unit_num(b, sizeof b, &u, v[k], ctl->tl);
        if (!strcmp(f[k].unit, "€"))
            printf(" %s € %s", ctl_text(ctl, f[k].label), b);
        else
            printf(" %s %s%s%s", ctl_text(ctl, f[k].label), b, *f[k].unit ? " " : "", f[k].unit);
    }
    for (size_t k = 0; k < i->n_factors; k++)
        printf(" [%s %s %s%s]", i->factors[k]->table, i->factors[k]->edition,
               i->factors[k]->reference_variant, i->factors[k]->unverified ? " unverified" : "");
}
