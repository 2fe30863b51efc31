/*  e2e_internal: what the e2e_*.c files share; not a public API.
 *
 *  The input combinations of each kind (e2e_closed_form.c), read by the encoder to fill
 *  the measurements and by the workload generator to pick a combination. */
#ifndef MVOI_E2E_INTERNAL_H
#define MVOI_E2E_INTERNAL_H

#include "e2e.h"

typedef struct {
    int carrier, reference;   /* Mvoi__Carrier; reference 0 = the table's default */
    unsigned grid_year;       /* 0 = none */
    int64_t g_per_unit;       /* g CO2 avoided per litre / kg / Nm3 / kWh */
} e2e_energy_t;

typedef struct {
    unsigned power_kw;
    int actual, required;     /* Mvoi__EmissionStage */
    unsigned load_permille;   /* 0 = metered kWh (qty is kWh) */
    int64_t mg_per_unit;      /* mg NOx avoided per hour (or per metered kWh) */
} e2e_machine_t;

typedef struct {
    const char *vehicle, *actual, *required;
    bool per_kwh;
    int64_t mg_per_unit;
} e2e_road_t;

typedef struct {
    int strategy;             /* Mvoi__RStrategy */
    unsigned sharing_milli;   /* R1 only */
    bool renewable;
    int64_t num, den;         /* avoided primary g = mass_g x num / den */
} e2e_material_t;

typedef struct {
    const char *group;        /* target group, NULL = none */
    unsigned months;          /* FTE-months per qty */
    bool bonus;
    unsigned hours;           /* social-project hours per qty */
    int64_t invoice_cents;    /* invoices at social enterprises per qty */
    int64_t cents_per_unit;
} e2e_social_t;

extern const e2e_energy_t e2e_energy[];
extern const e2e_machine_t e2e_machine[];
extern const e2e_road_t e2e_road[];
extern const e2e_material_t e2e_material[];
extern const e2e_social_t e2e_social[];
/* Number of input combinations per kind (K_*). */
extern const unsigned e2e_ncombos[K_N];

#endif
