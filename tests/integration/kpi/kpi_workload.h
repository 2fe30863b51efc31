/*  kpi_workload: a deterministic, seeded workload for the kpi-aggregator tests.
 *
 *  The same generator is used by mvoi-kpi-testprod (which plays "calendar" and "impact")
 *  and by the tests, which compute the expected totals from the final states with their
 *  own arithmetic (kpi_expect.c), independent of kpi_core.
 */
#ifndef MVOI_KPI_WORKLOAD_H
#define MVOI_KPI_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "envelope.pb-c.h"

typedef struct {
    uint16_t idx;              /* tender number: id "T%04u" */
    uint8_t buyer;             /* 0 heerlen, 1 landgraaf */
    uint8_t group;             /* "G%u" */
    uint16_t pub_year;
    uint8_t pub_month, pub_day;
    bool pilot, cancelled;
    int64_t sroi;
    uint8_t themes[3], nthemes;
} wl_tender_t;

typedef struct {
    uint32_t id;               /* measurement id "M%06u" */
    uint16_t tender;           /* tender idx */
    uint8_t buyer, group;      /* of the tender at the time */
    uint8_t phase;             /* Mvoi__Phase */
    uint16_t year;
    uint8_t month, day;
    uint32_t revision;
    uint8_t theme;
    uint8_t fields;            /* bit k-1: feeds KPI k */
    int64_t v[7];              /* v[k] for KPI k; v[0] = risk_products */
} wl_meas_t;

typedef struct {
    uint8_t kind;              /* TenderEventKind */
    wl_tender_t t;
} wl_tev_t;

typedef struct {
    uint8_t kind;              /* ImpactEventKind */
    wl_meas_t cur, prev;       /* prev for corrections and withdrawals */
} wl_iev_t;

typedef struct {
    wl_tev_t *tev;
    size_t ntev;
    wl_iev_t *iev;
    size_t niev;
    uint32_t ntenders;
} wl_t;

wl_t *wl_new(uint64_t seed, uint32_t tenders, uint32_t measurements);
void wl_destroy(wl_t **self_p);

const char *wl_buyer(uint8_t b);
void wl_tender_id(char *buf, size_t len, uint16_t idx);
void wl_group(char *buf, size_t len, uint8_t g);
void wl_meas_id(char *buf, size_t len, uint32_t id);

/* Fill an Envelope (and the structs it points into, held by the caller's storage) for
 * event i of the calendar or impact stream. */
typedef struct {
    Mvoi__Envelope env;
    Mvoi__TenderEvent te;
    Mvoi__Tender t;
    Mvoi__ThemeAmbition ta[3], *tap[3];
    Mvoi__ImpactEvent ie;
    Mvoi__Measurement m, pm;
    Mvoi__Impact im, pim;
    char s[8][32];
} wl_env_t;
void wl_calendar_env(const wl_t *w, size_t i, wl_env_t *out);
void wl_impact_env(const wl_t *w, size_t i, wl_env_t *out);

#endif
