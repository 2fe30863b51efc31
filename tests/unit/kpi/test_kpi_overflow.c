/*  kpi_core: a total that would pass INT64_MAX is refused by name (MVOI_E_OVERFLOW), its
 *  batch not applied, never stored wrapped. Figures written by hand: INT64_MAX is
 *  9,223,372,036,854,775,807. */
#include "kpi_ut.h"
#include "mvoi_error.h"

#include <inttypes.h>

TestSuite(kpi_overflow, .init = setup, .fini = teardown);

static const int64_t s_near = 9223372036854775802LL;   /* INT64_MAX - 5 */

/* impact() without its assertion: the store_write's result. */
static int try_impact(const meas_t *now)
{
    mi_t a;
    Mvoi__ImpactEvent ie = MVOI__IMPACT_EVENT__INIT;
    ie.has_kind = true;
    ie.kind = COMPUTED;
    s_fill(&a, now);
    ie.measurement = &a.m;
    ie.impact = &a.im;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_IMPACT_EVENT;
    env.impact_event = &ie;
    return store_write(s_store, s_apply_env, &env);
}

static uint64_t overflows(void)
{
    kpi_stats_t st;
    kpi_stats(s_kpi, &st);
    return st.overflows;
}

Test(kpi_overflow, a_sum_beyond_int64_is_refused_and_nothing_of_it_kept)
{
    impact(COMPUTED, &(meas_t){ "m1", "T1", "2026-05-10", .kpi = 5, .value = s_near }, NULL);
    /* venlo uses the same ids: its totals are its own */
    impact(COMPUTED, &(meas_t){ "m1", "T1", "2026-05-10", .kpi = 5, .value = 10,
                                .buyer = "venlo" }, NULL);
    /* 9,223,372,036,854,775,802 + 10 passes INT64_MAX: refused, nothing of it kept */
    cr_assert_eq(try_impact(&(meas_t){ "m2", "T2", "2026-05-11", .kpi = 5, .value = 10 }),
                 MVOI_E_OVERFLOW, "the wrapped sum was committed as a figure");
    cr_assert_eq(overflows(), 1);
    kpi_total_t t = total("kpi.heerlen.co2.2026");
    cr_assert_eq(t.realisation, s_near, "%" PRId64, t.realisation);
    cr_assert_eq(t.count, 1);
    cr_assert_eq(t.projects, 1);
    cr_assert_not(exists("kpi.heerlen.co2.2026.tender.T2"));
    cr_assert_eq(total("kpi.venlo.co2.2026").realisation, 10);
    /* + 5 reaches INT64_MAX exactly: that is still a figure */
    impact(COMPUTED, &(meas_t){ "m3", "T2", "2026-05-11", .kpi = 5, .value = 5 }, NULL);
    t = total("kpi.heerlen.co2.2026");
    cr_assert_eq(t.realisation, 9223372036854775807LL);
    cr_assert_eq(t.count, 2);
    /* withdrawing m1 takes its 9,223,372,036,854,775,802 out: 5 left */
    impact(WITHDRAWN, &(meas_t){ "m1", "T1", "2026-05-10", .kpi = 5, .revision = 2 }, NULL);
    cr_assert_eq(total("kpi.heerlen.co2.2026").realisation, 5);
    cr_assert_eq(total("kpi.heerlen.co2.2026-q2.tender.T2").realisation, 5);
}

Test(kpi_overflow, sroi_targets_beyond_int64_are_refused)
{
    tender(&(tender_t){ "T1", "ICT", "2026-03-01", .sroi = s_near },
           MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    tender(&(tender_t){ "T2", "ICT", "2026-03-02", .sroi = 4 },
           MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 9223372036854775806LL);
    /* T3's 2 on top passes INT64_MAX by 1: the TenderEvent is refused */
    tev_t e;
    tender_build(&e, &(tender_t){ "T3", "ICT", "2026-03-03", .sroi = 2 },
                 MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    cr_assert_eq(store_write(s_store, s_apply_env, &e.env), MVOI_E_OVERFLOW);
    cr_assert_eq(overflows(), 1);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 9223372036854775806LL);
    cr_assert_not(exists("kpi.heerlen.sroi.2026.tender.T3"));
    /* T9, published in 2025 with 10, measured on in 2026: a project there, so its 10 would
     * join 2026's target (kpi_sroi.c) and pass INT64_MAX: the measurement is refused */
    tender(&(tender_t){ "T9", "ICT", "2025-06-01", .sroi = 10 },
           MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    cr_assert_eq(try_impact(&(meas_t){ "m9", "T9", "2026-05-01", .kpi = 2, .value = 100 }),
                 MVOI_E_OVERFLOW);
    cr_assert_eq(overflows(), 2);
    kpi_total_t t = total("kpi.heerlen.sroi.2026");
    cr_assert_eq(t.target, 9223372036854775806LL);
    cr_assert_eq(t.realisation, 0);
    cr_assert_eq(t.projects, 0);
    cr_assert_eq(total("kpi.heerlen.sroi.2025").target, 10);
}
