/*  dataset: see dataset.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"

/* co2 -> klimaat(1), material -> circulair(2), nox -> milieu(3), fairtrade -> isv(4),
 * pilots -> diversiteit_inclusie(5), sroi -> social_return(6) */
int ds_kpi_theme(int kpi)
{
    static const int map[] = { 0, 4, 6, 3, 2, 1, 5 };
    return kpi >= 1 && kpi <= 6 ? map[kpi] : 0;
}

void ds_meas_id(char *buf, uint32_t j) { snprintf(buf, 16, "M%07u", j); }

int ds_generate(ds_t *ds, uint32_t year, uint32_t ntenders, uint32_t nmeas)
{
    memset(ds, 0, sizeof *ds);
    ds->year = year;
    ds->ntenders = ntenders;
    ds->nmeas = nmeas;
    ds->t = calloc(ntenders ? ntenders : 1, sizeof *ds->t);
    ds->m = calloc(nmeas ? nmeas : 1, sizeof *ds->m);
    if (!ds->t || !ds->m)
        return -1;
    for (uint32_t i = 0; i < ntenders; i++) {
        ds_tender_t *t = &ds->t[i];
        snprintf(t->id, sizeof t->id, "T%05u", i);
        snprintf(t->title, sizeof t->title, "Traject %u \"%s\"; deel %u", i,
                 i % 4 == 0 ? "groen & schoon" : "onderhoud", i % 3);
        snprintf(t->group, sizeof t->group, "G%u", i % 7);
        t->kind = 1 + (int)(i % 3);
        t->procedure = 1 + (int)(i % 4);
        t->status = i % 11 == 3 ? 8 : 5;
        t->value_cents = 1000000 + (int64_t)((i * 7919u) % 100000u) * 100;
        t->sroi_bp = i % 3 == 0 ? 200 + (i % 4) * 100 : 0;
        t->obligation_cents = t->value_cents * t->sroi_bp / 10000;
        t->pilot = i % 5 == 0;
        t->nthemes = 2;
        t->theme[0] = 1 + (int)(i % 6);
        t->commitment[0] = (int)(i % 4);
        t->theme[1] = 1 + (int)((i + 2) % 6);
        t->commitment[1] = (int)((i / 3) % 4);
        t->year = i % 6 == 5 ? year - 1 : year;
        t->quarter = 1 + (i / 2) % 4;
        snprintf(t->planned, sizeof t->planned, "%04u-%02u-%02u", t->year, (t->quarter - 1) * 3 + 2,
                 1 + i % 28);
    }
    for (uint32_t j = 0; j < nmeas; j++) {
        ds_meas_t *m = &ds->m[j];
        m->tender = ntenders ? (j * 13u + j / 97u) % ntenders : 0;
        m->kpi = 1 + (int)(j % 6);
        m->ambition = j % 5 == 0;
        m->year = j % 9 == 0 ? year - 1 : year;
        m->quarter = 1 + (j / 7) % 4;
        int64_t base = (int64_t)(j % 1000) + 1;
        switch (m->kpi) {
        case 1: m->amount = base % 5 + 1; m->denominator = m->ambition ? 0 : base % 5 + 3; break;
        case 2: m->amount = base * 5001; break;        /* cents */
        case 3: m->amount = base * 777777; break;      /* mg: kg with rounding */
        case 4: m->amount = base * 3217; break;        /* g */
        case 5: m->amount = base * 123457; break;      /* g */
        case 6: m->amount = 1; break;
        }
    }
    return 0;
}

void ds_free(ds_t *ds)
{
    free(ds->t);
    free(ds->m);
    memset(ds, 0, sizeof *ds);
}
