/* Shared helpers for the calendar_core tests. */
#ifndef CAL_TEST_H
#define CAL_TEST_H

#include <string.h>

#include "cal_str.h"
#include "isv_map.h"
#include "tender_rules.h"
#include "tender_util.h"
#include "thresholds.h"

#define CAL_DATA_DIR MVOI_SOURCE_DIR "/services/calendar/data"
#define CAL_FIXTURES MVOI_SOURCE_DIR "/tests/unit/calendar/fixtures"
#define CAL_OCDS_DIR MVOI_SOURCE_DIR "/tests/fixtures/ocds"

/* A valid minimal tender: diensten, value in euros, planned publication date. */
static inline Mvoi__Tender *cal_test_tender(const char *id, Mvoi__TenderKind kind, long long euros,
                                            const char *pub)
{
    Mvoi__Tender *t = tender_new();
    cal_str_set(&t->id, id);
    cal_str_set(&t->buyer, "heerlen");
    cal_str_set(&t->title, "Testtraject");
    t->has_kind = 1;
    t->kind = kind;
    t->has_value_cents = 1;
    t->value_cents = euros * 100;
    cal_str_set(&t->planned_publication, pub);
    return t;
}

static inline thresholds_t *cal_test_thresholds(void)
{
    thresholds_t *th = NULL;
    char err[256];
    int rc = thresholds_load_dir(CAL_DATA_DIR, &th, err, sizeof err);
    return rc == 0 ? th : NULL;
}

#endif
