/*  dataset: the known data set of the report tests, generated, deterministic.
 *
 *  Tenders and measurements of one buyer over two years (year-1 and year). The fake
 *  upstream (fakeup.c) aggregates it the way the kpi-aggregator does; the tests compute
 *  their expected figures from these arrays with their own loops.
 */
#ifndef MVOI_REPORT_DATASET_H
#define MVOI_REPORT_DATASET_H

#include <stdbool.h>
#include <stdint.h>

#define DS_BUYER "heerlen"

typedef struct {
    char id[16], title[48], group[8], planned[11];
    int kind, procedure, status;        /* status 8 = cancelled */
    int64_t value_cents, obligation_cents;
    uint32_t sroi_bp;
    bool pilot;
    int nthemes;
    int theme[2], commitment[2];
    uint32_t year, quarter;             /* of planned publication */
} ds_tender_t;

typedef struct {
    uint32_t tender;                    /* index */
    int kpi;                            /* 1..6 */
    bool ambition;                      /* phase */
    uint32_t year, quarter;
    int64_t amount, denominator;
} ds_meas_t;

typedef struct {
    uint32_t year;
    uint32_t ntenders, nmeas;
    ds_tender_t *t;
    ds_meas_t *m;
} ds_t;

/* ntenders >= 1; measurements reference tenders j % ntenders. */
int ds_generate(ds_t *ds, uint32_t year, uint32_t ntenders, uint32_t nmeas);
void ds_free(ds_t *ds);
void ds_meas_id(char *buf, uint32_t j);  /* "M0000042", buf >= 16 */
int ds_kpi_theme(int kpi);               /* the theme a KPI's measurements carry */

#endif
