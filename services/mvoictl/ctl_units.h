/*  ctl_units: KPI figures in human units for mvoictl (see ctl_units.c). */
#ifndef MVOI_CTL_UNITS_H
#define MVOI_CTL_UNITS_H

#include <stddef.h>
#include <stdint.h>
#include "text.h"

typedef struct {
    int scale;          /* raw / 10^scale */
    int decimals;
    const char *key;    /* catalogue key of the unit: ctl.unit.kg ... */
} ctl_unit_t;

/* The unit of a KPI row (kpi 1..6) whose largest absolute value is max_abs. */
void ctl_unit_pick(int kpi, int64_t max_abs, ctl_unit_t *u);
/* raw in that unit, Dutch or English grouping; returns the length. */
int ctl_unit_num(char *buf, size_t cap, const ctl_unit_t *u, int64_t raw, text_lang_t lang);

#endif
