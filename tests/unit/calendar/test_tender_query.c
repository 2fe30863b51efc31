/* tender_query: filters, order, paging, upcoming window. */
#include <criterion/criterion.h>
#include <errno.h>

#include "cal_test.h"
#include "tender_query.h"

static Mvoi__Tender *all[6];

static void setup(void)
{
    /* id, kind, euros, publication, status, theme, group, leader */
    all[0] = cal_test_tender("B", MVOI__TENDER_KIND__KIND_DIENSTEN, 250000, "2025-03-01");
    all[1] = cal_test_tender("A", MVOI__TENDER_KIND__KIND_DIENSTEN, 20000, "2025-03-01");
    all[2] = cal_test_tender("C", MVOI__TENDER_KIND__KIND_WERKEN, 1200000, "2025-07-15");
    all[3] = cal_test_tender("D", MVOI__TENDER_KIND__KIND_LEVERINGEN, 60000, "2026-01-10");
    all[4] = cal_test_tender("E", MVOI__TENDER_KIND__KIND_LEVERINGEN, 60000, NULL);
    all[5] = cal_test_tender("F", MVOI__TENDER_KIND__KIND_LEVERINGEN, 60000, "2025-04-01");
    thresholds_t *th = cal_test_thresholds();
    tender_error_t err;
    for (int i = 0; i < 6; i++)
        cr_assert_eq(tender_derive(all[i], th, NULL, "2025-01-01", &err), 0);
    thresholds_destroy(&th);
    tender_add_theme(all[2], MVOI__THEME__THEME_KLIMAAT, MVOI__COMMITMENT__COMMIT_EIS);
    tender_add_theme(all[3], MVOI__THEME__THEME_KLIMAAT, MVOI__COMMITMENT__COMMIT_EIS);
    cal_str_set(&all[2]->purchasing_group, "Openbare Ruimte");
    tender_set_person(&all[0]->project_leader, "Anja de Vries", "a.devries@heerlen.nl");
    tender_set_person(&all[3]->project_leader, "Kees Bos", "k.bos@heerlen.nl");
    all[5]->status = MVOI__TENDER_STATUS__STATUS_PUBLISHED;
}

static void teardown(void)
{
    for (int i = 0; i < 6; i++)
        tender_free(all[i]);
}

TestSuite(query, .init = setup, .fini = teardown);

static void ids(const tender_page_t *p, const char *expect)
{
    char got[32] = "";
    for (size_t i = 0; i < p->n; i++)
        strcat(got, p->items[i]->id);
    cr_assert_str_eq(got, expect);
}

#define ALL ((const Mvoi__Tender *const *)all)

Test(query, order_and_paging)
{
    Mvoi__ListTenders q = MVOI__LIST_TENDERS__INIT;
    tender_page_t p;
    tender_error_t err;
    cr_assert_eq(tender_query_list(ALL, 6, &q, &p, &err), 0);
    ids(&p, "ABFCDE"); /* date order, id on equal dates, no date last */
    cr_assert_eq(p.total, 6);
    cr_assert_eq(p.next_offset, 0);
    tender_page_clear(&p);
    q.has_limit = 1, q.limit = 4;
    cr_assert_eq(tender_query_list(ALL, 6, &q, &p, &err), 0);
    ids(&p, "ABFC");
    cr_assert_eq(p.next_offset, 4);
    tender_page_clear(&p);
    q.has_offset = 1, q.offset = 4;
    cr_assert_eq(tender_query_list(ALL, 6, &q, &p, &err), 0);
    ids(&p, "DE");
    cr_assert_eq(p.next_offset, 0);
    tender_page_clear(&p);
    q.offset = 10;
    cr_assert_eq(tender_query_list(ALL, 6, &q, &p, &err), 0);
    cr_assert_eq(p.n, 0);
    cr_assert_eq(p.total, 6);
    tender_page_clear(&p);
}

Test(query, filters)
{
    tender_page_t p;
    tender_error_t err;
    Mvoi__ListTenders q = MVOI__LIST_TENDERS__INIT;
    q.has_year = 1, q.year = 2025;
    cr_assert_eq(tender_query_list(ALL, 6, &q, &p, &err), 0);
    ids(&p, "ABFC");
    tender_page_clear(&p);
    q.has_quarter = 1, q.quarter = 3;
    cr_assert_eq(tender_query_list(ALL, 6, &q, &p, &err), 0);
    ids(&p, "C");
    tender_page_clear(&p);

    Mvoi__ListTenders q2 = MVOI__LIST_TENDERS__INIT;
    q2.has_theme = 1, q2.theme = MVOI__THEME__THEME_KLIMAAT;
    cr_assert_eq(tender_query_list(ALL, 6, &q2, &p, &err), 0);
    ids(&p, "CD");
    tender_page_clear(&p);

    Mvoi__ListTenders q3 = MVOI__LIST_TENDERS__INIT;
    q3.purchasing_group = "openbare ruimte";
    cr_assert_eq(tender_query_list(ALL, 6, &q3, &p, &err), 0);
    ids(&p, "C");
    tender_page_clear(&p);

    Mvoi__ListTenders q4 = MVOI__LIST_TENDERS__INIT;
    q4.project_leader = "DEVRIES";
    cr_assert_eq(tender_query_list(ALL, 6, &q4, &p, &err), 0);
    ids(&p, "B");
    tender_page_clear(&p);
    q4.project_leader = "bos";
    cr_assert_eq(tender_query_list(ALL, 6, &q4, &p, &err), 0);
    ids(&p, "D");
    tender_page_clear(&p);

    Mvoi__ListTenders q5 = MVOI__LIST_TENDERS__INIT;
    q5.has_procedure = 1, q5.procedure = MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR;
    cr_assert_eq(tender_query_list(ALL, 6, &q5, &p, &err), 0);
    ids(&p, "B");
    tender_page_clear(&p);

    Mvoi__ListTenders q6 = MVOI__LIST_TENDERS__INIT;
    q6.has_status = 1, q6.status = MVOI__TENDER_STATUS__STATUS_PUBLISHED;
    cr_assert_eq(tender_query_list(ALL, 6, &q6, &p, &err), 0);
    ids(&p, "F");
    tender_page_clear(&p);
}

Test(query, bad_requests)
{
    tender_page_t p;
    tender_error_t err;
    Mvoi__ListTenders q = MVOI__LIST_TENDERS__INIT;
    q.has_quarter = 1, q.quarter = 2;
    cr_assert_eq(tender_query_list(ALL, 6, &q, &p, &err), -EINVAL);
    cr_assert_str_eq(err.field, "quarter");
    q.has_year = 1, q.year = 2025, q.quarter = 5;
    cr_assert_eq(tender_query_list(ALL, 6, &q, &p, &err), -EINVAL);
    cr_assert_str_eq(err.field, "quarter");
}

Test(query, upcoming)
{
    tender_page_t p;
    tender_error_t err;
    Mvoi__UpcomingTenders q = MVOI__UPCOMING_TENDERS__INIT;
    /* default from = today 2025-01-15, 90 days -> until 2025-04-15; F is published already */
    cr_assert_eq(tender_query_upcoming(ALL, 6, &q, "2025-01-15", &p, &err), 0);
    ids(&p, "AB");
    tender_page_clear(&p);
    q.from_date = "2025-03-01";
    q.has_days = 1, q.days = 136; /* 2025-03-01 + 136 days = 2025-07-15, inclusive */
    cr_assert_eq(tender_query_upcoming(ALL, 6, &q, "2025-01-15", &p, &err), 0);
    ids(&p, "ABC");
    tender_page_clear(&p);
    q.days = 135;
    cr_assert_eq(tender_query_upcoming(ALL, 6, &q, "2025-01-15", &p, &err), 0);
    ids(&p, "AB");
    tender_page_clear(&p);
    q.has_limit = 1, q.limit = 1;
    cr_assert_eq(tender_query_upcoming(ALL, 6, &q, "2025-01-15", &p, &err), 0);
    ids(&p, "A");
    cr_assert_eq(p.total, 2);
    tender_page_clear(&p);
    q.from_date = "2025-02-30";
    cr_assert_eq(tender_query_upcoming(ALL, 6, &q, "2025-01-15", &p, &err), -EINVAL);
    cr_assert_str_eq(err.field, "from_date");
}
