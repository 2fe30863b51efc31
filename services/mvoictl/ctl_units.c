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
