/*  kpi_core in-process: TenderEvents and ImpactEvents applied to a temp LMDB, totals compared
 *  with arithmetic done here (the harness: kpi_ut.h; the SROI target: test_kpi_sroi.c). */
#include "kpi_ut.h"
#include "mvoi_error.h"

TestSuite(kpi, .init = setup, .fini = teardown);
/* ------------------------------------------------------------ tests */

Test(kpi, co2_measurement_feeds_every_dimension)
{
    tender(&(tender_t){ "T1", "ICT", "2026-03-01", .themes = { 1 } },
           MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    /* 10,000 l HVO100 instead of diesel B7: 10,000 x (3.251 - 0.468) kg = 27,830,000 g. */
    int64_t co2 = 10000LL * (3251 - 468);
    cr_assert_eq(co2, 27830000);
    impact(COMPUTED, &(meas_t){ "m1", "T1", "2026-05-10", .theme = 1, .kpi = 5,
                                .value = co2 }, NULL);
    const char *keys[] = { "kpi.heerlen.co2.2026", "kpi.heerlen.co2.2026-q2",
                           "kpi.heerlen.co2.2026.theme.klimaat",
                           "kpi.heerlen.co2.2026-q2.group.ICT",
                           "kpi.heerlen.co2.2026.tender.T1", "kpi.heerlen.co2.2026-q2.tender.T1" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        kpi_total_t t = total(keys[i]);
        cr_assert_eq(t.realisation, 27830000, "%s: %ld", keys[i], (long)t.realisation);
        cr_assert_eq(t.ambition, 0);
        cr_assert_eq(t.projects, 1, "%s projects %ld", keys[i], (long)t.projects);
        cr_assert_eq(t.count, 1);
        cr_assert(t.seq > 0);
    }
    cr_assert_not(exists("kpi.heerlen.co2.2026-q1"));
    cr_assert_not(exists("kpi.heerlen.nox.2026"));
    /* group from the tender projection when the event carries none */
    cr_assert_eq(total("kpi.heerlen.co2.2026.group.ICT").realisation, 27830000);
    Mvoi__KpiTotal pb;
    kpi_total_t t = total("kpi.heerlen.co2.2026");
    kpi_total_to_pb(&t, &pb);
    cr_assert_str_eq(pb.unit, "g");
    cr_assert_eq(pb.kpi, MVOI__KPI__KPI_CO2);
    /* named in the total's own key buffer, as the series query does: the key survives */
    get_t g = { NULL };
    memset(&g.t, 0, sizeof g.t);
    snprintf(g.t.key, sizeof g.t.key, "kpi.heerlen.co2.2026-q2");
    g.key = g.t.key;
    cr_assert_eq(store_read(s_store, s_get, &g), 0);
    cr_expect_str_eq(g.t.key, "kpi.heerlen.co2.2026-q2", "the series answered key \"\"");
    cr_expect_eq(g.t.realisation, 27830000);
}

Test(kpi, phases_and_units)
{
    impact(COMPUTED, &(meas_t){ "a1", "T1", "2025-12-31", .phase = MVOI__PHASE__PHASE_AMBITION,
                                .kpi = 3, .value = 96000000 }, NULL);
    impact(COMPUTED, &(meas_t){ "r1", "T1", "2025-11-01", .kpi = 3, .value = 40000000 }, NULL);
    kpi_total_t t = total("kpi.heerlen.nox.2025-q4");
    cr_assert_eq(t.ambition, 96000000);
    cr_assert_eq(t.realisation, 40000000);
    cr_assert_eq(t.projects, 1);
    cr_assert_eq(t.count, 2);
    impact(COMPUTED, &(meas_t){ "f1", "T1", "2025-02-01", .kpi = 1, .value = 30, .risk = 120 },
           NULL);
    t = total("kpi.heerlen.fairtrade.2025");
    cr_assert_eq(t.realisation, 30);
    cr_assert_eq(t.denominator, 120);
}

Test(kpi, correction_moves_by_the_difference_across_quarter_and_tender)
{
    meas_t v1 = { "m1", "T1", "2026-02-01", "G1", .theme = 1, .kpi = 5, .value = 1000 };
    meas_t other = { "m2", "T1", "2026-02-15", "G1", .theme = 1, .kpi = 5, .value = 7 };
    impact(COMPUTED, &v1, NULL);
    impact(COMPUTED, &other, NULL);
    cr_assert_eq(total("kpi.heerlen.co2.2026-q1").realisation, 1007);
    uint64_t head = outbox_head(s_outbox);
    meas_t v2 = { "m1", "T2", "2026-08-01", "G2", .revision = 2, .theme = 2, .kpi = 5,
                  .value = 1500 };
    impact(CORRECTED, &v2, &v1);
    cr_assert(outbox_head(s_outbox) > head);
    cr_assert_eq(total("kpi.heerlen.co2.2026-q1").realisation, 7);
    cr_assert_eq(total("kpi.heerlen.co2.2026-q3").realisation, 1500);
    cr_assert_eq(total("kpi.heerlen.co2.2026").realisation, 1507);
    cr_assert_eq(total("kpi.heerlen.co2.2026").count, 2);
    cr_assert_eq(total("kpi.heerlen.co2.2026").projects, 2);
    cr_assert_eq(total("kpi.heerlen.co2.2026.tender.T1").realisation, 7);
    cr_assert_eq(total("kpi.heerlen.co2.2026.tender.T1").projects, 1);
    cr_assert_eq(total("kpi.heerlen.co2.2026.tender.T2").realisation, 1500);
    cr_assert_eq(total("kpi.heerlen.co2.2026.group.G2").realisation, 1500);
    cr_assert_eq(total("kpi.heerlen.co2.2026.theme.circulair").realisation, 1500);
    cr_assert_eq(total("kpi.heerlen.co2.2026.theme.klimaat").realisation, 7);
    /* the same revision again changes nothing and publishes nothing */
    head = outbox_head(s_outbox);
    impact(CORRECTED, &v2, &v1);
    cr_assert_eq(outbox_head(s_outbox), head);
    cr_assert_eq(total("kpi.heerlen.co2.2026").realisation, 1507);
}

Test(kpi, withdrawal_removes_the_contribution)
{
    meas_t v1 = { "m1", "T1", "2026-02-01", .kpi = 4, .value = 5000 };
    meas_t v2 = { "m2", "T1", "2026-03-01", .kpi = 4, .value = 300 };
    impact(COMPUTED, &v1, NULL);
    impact(COMPUTED, &v2, NULL);
    impact(WITHDRAWN, &v1, &v1);
    kpi_total_t t = total("kpi.heerlen.material.2026-q1");
    cr_assert_eq(t.realisation, 300);
    cr_assert_eq(t.count, 1);
    cr_assert_eq(t.projects, 1);
    impact(WITHDRAWN, &v2, &v2);
    t = total("kpi.heerlen.material.2026-q1");
    cr_assert_eq(t.realisation, 0);
    cr_assert_eq(t.count, 0);
    cr_assert_eq(t.projects, 0);
    /* a withdrawal of something never seen is harmless */
    impact(WITHDRAWN, &(meas_t){ "nope", "T1", "2026-03-01", .kpi = 4, .value = 1 }, NULL);
    cr_assert_eq(total("kpi.heerlen.material.2026").realisation, 0);
}

Test(kpi, a_project_counts_once)
{
    impact(COMPUTED, &(meas_t){ "m1", "T1", "2026-01-05", .kpi = 2, .value = 100 }, NULL);
    impact(COMPUTED, &(meas_t){ "m2", "T1", "2026-01-06", .kpi = 2, .value = 200 }, NULL);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").projects, 1);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").count, 2);
    impact(COMPUTED, &(meas_t){ "m3", "T2", "2026-04-06", .kpi = 2, .value = 5 }, NULL);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").projects, 2);
    cr_assert_eq(total("kpi.heerlen.sroi.2026-q1").projects, 1);
    cr_assert_eq(total("kpi.heerlen.sroi.2026-q2").projects, 1);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").realisation, 305);
}

Test(kpi, a_cancelled_tender_leaves_project_counts_but_keeps_quantities)
{
    tender_t t1 = { "T1", "G", "2026-01-10" }, t2 = { "T2", "G", "2026-01-10" };
    tender(&t1, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    tender(&t2, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    impact(COMPUTED, &(meas_t){ "m1", "T1", "2026-01-05", .kpi = 5, .value = 10 }, NULL);
    impact(COMPUTED, &(meas_t){ "m2", "T2", "2026-01-06", .kpi = 5, .value = 20 }, NULL);
    cr_assert_eq(total("kpi.heerlen.co2.2026").projects, 2);
    t1.status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    tender(&t1, MVOI__TENDER_EVENT_KIND__TEV_CANCELLED);
    kpi_total_t t = total("kpi.heerlen.co2.2026");
    cr_assert_eq(t.projects, 1);
    cr_assert_eq(t.realisation, 30);
    cr_assert_eq(total("kpi.heerlen.co2.2026.tender.T1").projects, 0);
    cr_assert_eq(total("kpi.heerlen.co2.2026.tender.T1").realisation, 10);
    /* later measurements of the cancelled tender add quantities, not projects */
    impact(COMPUTED, &(meas_t){ "m3", "T1", "2026-07-05", .kpi = 5, .value = 5 }, NULL);
    cr_assert_eq(total("kpi.heerlen.co2.2026").projects, 1);
    cr_assert_eq(total("kpi.heerlen.co2.2026-q3").projects, 0);
    cr_assert_eq(total("kpi.heerlen.co2.2026").realisation, 35);
    /* reopened: counted again */
    t1.status = MVOI__TENDER_STATUS__STATUS_PLANNED;
    tender(&t1, MVOI__TENDER_EVENT_KIND__TEV_STATUS_CHANGED);
    cr_assert_eq(total("kpi.heerlen.co2.2026").projects, 2);
    cr_assert_eq(total("kpi.heerlen.co2.2026-q3").projects, 1);
}

/* How many outbox events (published updates) carry topic key. */
typedef struct {
    const char *key;
    int n;
} s_topic_count_t;

static int s_topic_count(void *arg, uint64_t seq, const char *topic, size_t topic_len,
                         const void *env, size_t env_len)
{
    s_topic_count_t *c = arg;
    if (topic_len == strlen(c->key) && memcmp(topic, c->key, topic_len) == 0)
        c->n++;
    return 0;
}

static int updates_of(const char *key)
{
    s_topic_count_t c = { key, 0 };
    cr_assert_eq(outbox_read(s_outbox, 1, 100000, s_topic_count, &c), 0);
    return c.n;
}

/* The scenario above with every event in one transaction in batch mode: the working set
 * holds the project counters the measurements changed when the cancellation walks them in
 * LMDB, and each total is published once, with its value at the end of the batch. */
Test(kpi, one_batch_gives_the_totals_of_event_by_event)
{
    tender_t t1 = { "T1", "G", "2026-01-10" }, t2 = { "T2", "G", "2026-01-10" };
    batch_begin();
    tender(&t1, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    tender(&t2, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    impact(COMPUTED, &(meas_t){ "m1", "T1", "2026-01-05", .kpi = 5, .value = 10 }, NULL);
    impact(COMPUTED, &(meas_t){ "m2", "T2", "2026-01-06", .kpi = 5, .value = 20 }, NULL);
    t1.status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    tender(&t1, MVOI__TENDER_EVENT_KIND__TEV_CANCELLED);
    impact(COMPUTED, &(meas_t){ "m3", "T1", "2026-07-05", .kpi = 5, .value = 5 }, NULL);
    batch_commit();
    kpi_total_t t = total("kpi.heerlen.co2.2026");
    cr_assert_eq(t.projects, 1, "T2 only: T1 was cancelled");
    cr_assert_eq(t.realisation, 35);
    cr_assert_eq(t.count, 3);
    cr_assert_eq(total("kpi.heerlen.co2.2026.tender.T1").projects, 0);
    cr_assert_eq(total("kpi.heerlen.co2.2026.tender.T1").realisation, 15);
    cr_assert_eq(total("kpi.heerlen.co2.2026-q3").projects, 0);
    cr_assert_eq(updates_of("kpi.heerlen.co2.2026"), 1, "published once per batch");
    cr_assert_eq(updates_of("kpi.heerlen.co2.2026-q3"), 1);
    /* reopened, in a second batch: T1 counts again, in the year and in q3 */
    batch_begin();
    t1.status = MVOI__TENDER_STATUS__STATUS_PLANNED;
    tender(&t1, MVOI__TENDER_EVENT_KIND__TEV_STATUS_CHANGED);
    impact(WITHDRAWN, &(meas_t){ "m2", "T2", "2026-01-06", .kpi = 5 }, NULL);
    batch_commit();
    t = total("kpi.heerlen.co2.2026");
    cr_assert_eq(t.projects, 1, "T1 back, T2 gone with its only measurement");
    cr_assert_eq(t.realisation, 15);
    cr_assert_eq(t.count, 2);
    cr_assert_eq(total("kpi.heerlen.co2.2026-q3").projects, 1);
    cr_assert_eq(total("kpi.heerlen.co2.2026.tender.T2").projects, 0);
    cr_assert_eq(updates_of("kpi.heerlen.co2.2026"), 2);
}

Test(kpi, pilots_against_the_target)
{
    tender_t p1 = { "P1", "G", "2026-02-01", true, .themes = { 2, 2 } };
    tender_t p2 = { "P2", "G", "2026-05-01", true };
    tender_t p3 = { "P3", "G", "2026-06-01", true };
    tender(&p1, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    tender(&p2, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    tender(&p3, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    tender(&(tender_t){ "N1", "G", "2026-06-01", false }, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    kpi_total_t t = total("kpi.heerlen.pilots.2026");
    cr_assert_eq(t.ambition, 3);
    cr_assert_eq(t.target, KPI_PILOT_TARGET);
    cr_assert_eq(total("kpi.heerlen.pilots.2026-q2").ambition, 2);
    cr_assert_eq(total("kpi.heerlen.pilots.2026-q2").target, 0);
    cr_assert_eq(total("kpi.heerlen.pilots.2026.theme.circulair").ambition, 1);
    p3.status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    tender(&p3, MVOI__TENDER_EVENT_KIND__TEV_CANCELLED);
    cr_assert_eq(total("kpi.heerlen.pilots.2026").ambition, 2);
    /* moving the planned publication moves the pilot */
    p2.planned = "2027-01-15";
    tender(&p2, MVOI__TENDER_EVENT_KIND__TEV_UPDATED);
    cr_assert_eq(total("kpi.heerlen.pilots.2026").ambition, 1);
    cr_assert_eq(total("kpi.heerlen.pilots.2027-q1").ambition, 1);
    impact(COMPUTED, &(meas_t){ "pm", "P1", "2026-09-30", .kpi = 6, .value = 1 }, NULL);
    t = total("kpi.heerlen.pilots.2026");
    cr_assert_eq(t.realisation, 1);
    cr_assert_eq(t.ambition, 1);
    cr_assert_eq(t.target, 3);
}

/* KPI 6 counts pilots, not reports: three heerlen pilots report 6 times in 2026 (P1:
 * gestart Feb, lopend May, afgerond Nov; P2: gestart Mar, afgerond Feb 2027; P3: once in
 * Aug); landgraaf's P1 (same tender id) reports twice. Per window, the distinct tenders.
 * (Measurement ids differ between the buyers here: db kpi_meas is keyed by id alone on
 * this branch; keying it by buyer is the tenant work's.) */
typedef struct {
    const char *buyer;
    uint32_t year, quarter;
    kpi_pilot_status_t st;
} ps_t;

static int s_ps(MDB_txn *txn, void *arg)
{
    ps_t *p = arg;
    return kpi_pilot_status(s_kpi, txn, p->buyer, p->year, p->quarter, &p->st);
}

/* The status breakdown of KPI 6: (pilots, unspecified, gestart, lopend, afgerond, reports). */
static void assert_pilots(const char *buyer, uint32_t year, uint32_t quarter, int64_t pilots,
                          int64_t gestart, int64_t lopend, int64_t afgerond, int64_t reports)
{
    ps_t p = { buyer, year, quarter, { 0 } };
    cr_assert_eq(store_read(s_store, s_ps, &p), 0);
    cr_assert_eq(p.st.pilots, pilots, "%s %u q%u: %lld pilots", buyer, year, quarter,
                 (long long)p.st.pilots);
    cr_assert_eq(p.st.by_stage[1], gestart, "%s %u q%u gestart", buyer, year, quarter);
    cr_assert_eq(p.st.by_stage[2], lopend, "%s %u q%u lopend", buyer, year, quarter);
    cr_assert_eq(p.st.by_stage[3], afgerond, "%s %u q%u afgerond", buyer, year, quarter);
    cr_assert_eq(p.st.by_stage[0], 0);
    cr_assert_eq(p.st.reports, reports, "%s %u q%u reports", buyer, year, quarter);
}

/* KPI 6 counts pilots, not reports: three heerlen pilots report 6 times in 2026 (P1:
 * gestart Feb, lopend May, afgerond Nov; P2: gestart Mar, afgerond Feb 2027; P3: lopend,
 * once in Aug); landgraaf's P1 (same tender id) reports twice. Per window, the distinct
 * tenders; the status breakdown puts each under the furthest stage it reported there. */
Test(kpi, pilots_count_once_per_window_whatever_the_reports)
{
    static const struct { const char *id, *tender, *end, *buyer, *status; } r[] = {
        { "p1-start", "P1", "2026-02-10", NULL, "gestart" },
        { "p1-run", "P1", "2026-05-10", NULL, "lopend" },
        { "p1-done", "P1", "2026-11-10", NULL, "afgerond" },
        { "p2-start", "P2", "2026-03-10", NULL, "gestart" },
        { "p2-done", "P2", "2027-02-10", NULL, "afgerond" },
        { "p3-start", "P3", "2026-08-10", NULL, "lopend" },
        { "lg-p1-start", "P1", "2026-02-10", "landgraaf", "gestart" },
        { "lg-p1-done", "P1", "2026-03-10", "landgraaf", "afgerond" } };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        impact(COMPUTED, &(meas_t){ r[i].id, r[i].tender, r[i].end, .kpi = 6, .value = 1,
                                    .buyer = r[i].buyer, .status = r[i].status }, NULL);
    kpi_total_t y = total("kpi.heerlen.pilots.2026");
    cr_assert_eq(y.realisation, 3, "P1, P2, P3");
    cr_assert_eq(y.count, 5, "reports behind it: %lld", (long long)y.count);
    cr_assert_eq(total("kpi.heerlen.pilots.2026-q1").realisation, 2);   /* P1, P2 */
    cr_assert_eq(total("kpi.heerlen.pilots.2026-q2").realisation, 1);   /* P1 */
    cr_assert_eq(total("kpi.heerlen.pilots.2026-q3").realisation, 1);   /* P3 */
    cr_assert_eq(total("kpi.heerlen.pilots.2026-q4").realisation, 1);   /* P1 */
    cr_assert_eq(total("kpi.heerlen.pilots.2027").realisation, 1);      /* P2 */
    cr_assert_eq(total("kpi.heerlen.pilots.2026.tender.P1").realisation, 1);
    cr_assert_eq(total("kpi.landgraaf.pilots.2026").realisation, 1);
    cr_assert_eq(total("kpi.landgraaf.pilots.2026").count, 2);
    /* buyer, year, quarter: pilots, gestart, lopend, afgerond, reports */
    assert_pilots("heerlen", 2026, 0, 3, 1, 1, 1, 5);   /* P2 gestart, P3 lopend, P1 afgerond */
    assert_pilots("heerlen", 2026, 1, 2, 2, 0, 0, 2);   /* P1, P2 gestart */
    assert_pilots("heerlen", 2026, 2, 1, 0, 1, 0, 1);   /* P1 lopend */
    assert_pilots("heerlen", 2026, 4, 1, 0, 0, 1, 1);   /* P1 afgerond */
    assert_pilots("heerlen", 2027, 0, 1, 0, 0, 1, 1);   /* P2 afgerond */
    assert_pilots("landgraaf", 2026, 0, 1, 0, 0, 1, 2); /* its own P1, afgerond */
    /* withdrawing one of P1's reports leaves P1 counted; withdrawing P3's only one drops it */
    impact(MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN,
           &(meas_t){ "p1-run", "P1", "2026-05-10", .kpi = 6, .value = 1, .revision = 2 },
           &(meas_t){ "p1-run", "P1", "2026-05-10", .kpi = 6, .value = 1 });
    impact(MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN,
           &(meas_t){ "p3-start", "P3", "2026-08-10", .kpi = 6, .value = 1, .revision = 2 },
           &(meas_t){ "p3-start", "P3", "2026-08-10", .kpi = 6, .value = 1 });
    cr_assert_eq(total("kpi.heerlen.pilots.2026").realisation, 2);      /* P1, P2 */
    cr_assert_eq(total("kpi.heerlen.pilots.2026-q2").realisation, 0);
    assert_pilots("heerlen", 2026, 0, 2, 1, 0, 1, 3);
    assert_pilots("heerlen", 2026, 2, 0, 0, 0, 0, 0);
}

typedef struct {
    const char *key;
    uint32_t offset, limit, total, n;
    char ids[1000][32];
} bd_t;

static int s_bd_item(void *arg, const kpi_contrib_t *c)
{
    bd_t *b = arg;
    snprintf(b->ids[b->n++], 32, "%.31s", c->measurement_id);
    return 0;
}

static int s_bd(MDB_txn *txn, void *arg)
{
    bd_t *b = arg;
    b->n = 0;
    return kpi_breakdown(s_kpi, txn, b->key, b->offset, b->limit, s_bd_item, b, &b->total);
}

Test(kpi, breakdown_pages_through_the_measurements)
{
    for (int i = 0; i < 25; i++) {
        char id[16], tid[8];
        snprintf(id, sizeof id, "m%02d", i);
        snprintf(tid, sizeof tid, "T%d", i % 3);
        char date[16];
        snprintf(date, sizeof date, "2026-%02d-01", 1 + i % 12);
        impact(COMPUTED, &(meas_t){ id, tid, date, .theme = 1 + i % 2, .kpi = 5,
                                    .value = i }, NULL);
    }
    static bd_t b;
    memset(&b, 0, sizeof b);
    b.key = "kpi.heerlen.co2.2026";
    b.limit = 10;
    int seen = 0;
    char all[25][32];
    for (;;) {
        cr_assert_eq(store_read(s_store, s_bd, &b), 0);
        cr_assert_eq(b.total, 25);
        for (uint32_t i = 0; i < b.n; i++)
            strcpy(all[seen++], b.ids[i]);
        if (b.offset + b.n >= b.total)
            break;
        b.offset += b.n;
    }
    cr_assert_eq(seen, 25);
    for (int i = 0; i < 25; i++)
        for (int j = i + 1; j < 25; j++)
            cr_assert_str_neq(all[i], all[j]);
    b.key = "kpi.heerlen.co2.2026-q1";   /* months 1-3: i%12 in 0..2: i = 0,1,2,12,13,14,24 */
    b.offset = 0;
    b.limit = 100;
    cr_assert_eq(store_read(s_store, s_bd, &b), 0);
    cr_assert_eq(b.total, 7);
    b.key = "kpi.heerlen.co2.2026.tender.T1";
    cr_assert_eq(store_read(s_store, s_bd, &b), 0);
    cr_assert_eq(b.total, 8);   /* i%3==1 in 0..24 */
    b.key = "kpi.heerlen.co2.2026.theme.klimaat";
    cr_assert_eq(store_read(s_store, s_bd, &b), 0);
    cr_assert_eq(b.total, 13);
    b.key = "kpi.heerlen.co2.2030";
    cr_assert_eq(store_read(s_store, s_bd, &b), -ENOENT);
    /* withdrawn measurements leave the breakdown */
    impact(WITHDRAWN, &(meas_t){ "m00", "T0", "2026-01-01", .kpi = 5 }, NULL);
    b.key = "kpi.heerlen.co2.2026";
    cr_assert_eq(store_read(s_store, s_bd, &b), 0);
    cr_assert_eq(b.total, 24);
}

typedef struct {
    const char *prefix;
    int n;
    uint64_t maxseq;
} snap_t;

static int s_snap_item(void *arg, const kpi_total_t *t)
{
    snap_t *s = arg;
    cr_assert_eq(strncmp(t->key, s->prefix, strlen(s->prefix)), 0);
    s->n++;
    if (t->seq > s->maxseq)
        s->maxseq = t->seq;
    return 0;
}

static int s_snap(MDB_txn *txn, void *arg)
{
    snap_t *s = arg;
    return kpi_each(s_kpi, txn, s->prefix, s_snap_item, s);
}

/* Three bytes (shorter than any total) under the first total key with prefix arg. */
static int s_corrupt_first(MDB_txn *txn, void *arg)
{
    const char *prefix = arg;
    MDB_dbi dbi = store_dbi(s_store, "kpi_totals");
    MDB_cursor *c;
    cr_assert_eq(mdb_cursor_open(txn, dbi, &c), 0);
    MDB_val k = { strlen(prefix), (void *)prefix }, v;
    cr_assert_eq(mdb_cursor_get(c, &k, &v, MDB_SET_RANGE), 0);
    cr_assert_eq(strncmp(k.mv_data, prefix, strlen(prefix)), 0);
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)k.mv_size, (const char *)k.mv_data);
    mdb_cursor_close(c);
    MDB_val nk = { strlen(key), key }, nv = { 3, "xyz" };
    return store_put(txn, dbi, &nk, &nv, 0);
}

Test(kpi, snapshot_by_prefix_and_seq)
{
    impact(COMPUTED, &(meas_t){ "c1", "T1", "2026-02-01", "G", .theme = 1, .kpi = 5,
                                .value = 1 }, NULL);
    impact(COMPUTED, &(meas_t){ "n1", "T1", "2026-02-01", "G", .theme = 1, .kpi = 3,
                                .value = 1 }, NULL);
    impact(COMPUTED, &(meas_t){ "c2", "T1", "2025-02-01", "G", .kpi = 5, .value = 1 }, NULL);
    snap_t s = { "kpi.heerlen.co2.2026", 0, 0 };
    cr_assert_eq(store_read(s_store, s_snap, &s), 0);
    cr_assert_eq(s.n, 8);   /* 2 windows x (all, theme, group, tender) */
    snap_t all = { "", 0, 0 };
    cr_assert_eq(store_read(s_store, s_snap, &all), 0);
    cr_assert_eq(all.n, 8 + 8 + 6);
    /* every change was published: the highest total seq is the outbox head */
    cr_assert_eq(all.maxseq, outbox_head(s_outbox));
    cr_assert_eq(outbox_head(s_outbox), 8 + 8 + 6);
    /* another buyer, the same ids; then one of heerlen's 2026 CO2 totals holds bytes no
     * total has: heerlen's snapshot is refused by name, not sent 7 of 8 (before: it was),
     * venlo's is whole */
    impact(COMPUTED, &(meas_t){ "c1", "T1", "2026-02-01", "G", .theme = 1, .kpi = 5,
                                .value = 1, .buyer = "venlo" }, NULL);
    cr_assert_eq(store_write(s_store, s_corrupt_first, "kpi.heerlen.co2.2026"), 0);
    snap_t bad = { "kpi.heerlen.co2.2026", 0, 0 };
    cr_assert_eq(store_read(s_store, s_snap, &bad), MVOI_E_UNDECODABLE);
    snap_t other = { "kpi.venlo.co2.2026", 0, 0 };
    cr_assert_eq(store_read(s_store, s_snap, &other), 0);
    cr_assert_eq(other.n, 8);
}

static int s_reset_impact(MDB_txn *txn, void *arg) { return kpi_reset(s_kpi, txn, "impact"); }

/* Bytes that are no ImpactEvent (a varint longer than 10 bytes) as heerlen's record arg. */
static int s_garbage_meas(MDB_txn *txn, void *arg)
{
    char key[64];
    int kl = snprintf(key, sizeof key, "heerlen%c%s", '\0', (const char *)arg);
    static const char garbage[] = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
    MDB_val k = { (size_t)kl, key }, v = { sizeof garbage - 1, (void *)garbage }, old;
    cr_assert_eq(mdb_get(txn, store_dbi(s_store, "kpi_meas"), &k, &old), 0, "no %s", key);
    return store_put(txn, store_dbi(s_store, "kpi_meas"), &k, &v, 0);
}

Test(kpi, a_wiped_producer_takes_its_contributions_along)
{
    tender(&(tender_t){ "P1", "G", "2026-02-01", true }, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    impact(COMPUTED, &(meas_t){ "m1", "P1", "2026-02-01", .kpi = 6, .value = 1 }, NULL);
    cr_assert_eq(total("kpi.heerlen.pilots.2026").realisation, 1);
    cr_assert_eq(store_write(s_store, s_reset_impact, NULL), 0);
    kpi_total_t t = total("kpi.heerlen.pilots.2026");
    cr_assert_eq(t.realisation, 0);
    cr_assert_eq(t.projects, 0);
    cr_assert_eq(t.ambition, 1);   /* from the calendar, untouched */
    /* two pilots report again; then m2's stored record turns into bytes that are no
     * record: KPI 6's breakdown and the reset are refused by name and change nothing
     * (before: the breakdown said 1 pilot, and the reset left m2's 1 in the total) */
    tender(&(tender_t){ "P2", "G", "2026-03-01", true }, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    impact(COMPUTED, &(meas_t){ "m1", "P1", "2026-02-01", .kpi = 6, .value = 1 }, NULL);
    impact(COMPUTED, &(meas_t){ "m2", "P2", "2026-03-01", .kpi = 6, .value = 1,
                                .status = "lopend" }, NULL);
    ps_t p = { "heerlen", 2026, 0, { 0 } };
    cr_assert_eq(store_read(s_store, s_ps, &p), 0);
    cr_assert_eq(p.st.pilots, 2);
    cr_assert_eq(store_write(s_store, s_garbage_meas, "m2"), 0);
    cr_assert_eq(store_read(s_store, s_ps, &p), MVOI_E_UNDECODABLE);
    cr_assert_eq(store_write(s_store, s_reset_impact, NULL), MVOI_E_UNDECODABLE);
    cr_assert_eq(total("kpi.heerlen.pilots.2026").realisation, 2);
}

Test(kpi, bad_events_are_skipped)
{
    Mvoi__ImpactEvent ie = MVOI__IMPACT_EVENT__INIT;   /* no measurement */
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_IMPACT_EVENT;
    env.impact_event = &ie;
    apply_env(&env);
    impact(COMPUTED, &(meas_t){ "bad-date", "T1", "2026-13-01", .kpi = 5, .value = 9 }, NULL);
    impact(COMPUTED, &(meas_t){ "dots", "T.1 x", "2026-01-01", "a.b", .kpi = 5, .value = 9 },
           NULL);
    cr_assert_eq(total("kpi.heerlen.co2.2026").realisation, 9);
    cr_assert_eq(total("kpi.heerlen.co2.2026.tender.T%2E1%20x").realisation, 9);
    cr_assert_eq(total("kpi.heerlen.co2.2026.group.a%2Eb").realisation, 9);
    uint32_t y, q;
    cr_assert_eq(kpi_date_window("2026-12-31", &y, &q), 0);
    cr_assert_eq(q, 4);
    cr_assert_neq(kpi_date_window("2026-1-31", &y, &q), 0);
}

/* ------------------------------------------------------------ one buyer's range */

typedef struct {
    const char *prefix, *buyer;
    bool segment;
    int n, others;
} scope_t;

static int s_scope_item(void *arg, const kpi_total_t *t)
{
    scope_t *s = arg;
    s->n++;
    if (!s->buyer || strcmp(t->buyer, s->buyer) != 0)
        s->others++;
    return 0;
}

static int s_scope(MDB_txn *txn, void *arg)
{
    scope_t *s = arg;
    return kpi_each_after(s_kpi, txn, s->prefix, s->segment, NULL, s_scope_item, s);
}

/* What the report asks for (services/report/gather.c: one segment request per KPI and
 * window of its year) and a buyer's whole snapshot (the prefix kpi.<buyer>.) reach exactly
 * that buyer's totals in a store of buyers whose ids share letters ("hrl", "hrl2",
 * "hrl-x") and whose tender and measurement ids are the same, and read no other buyer's
 * keys. Counted: each buyer has one CO2 and one NOx measurement with a theme, a group and
 * a tender in 2026-Q1: 2 KPIs x 2 windows (2026, 2026-q1) x 4 dimensions (all, theme,
 * group, tender) = 16 totals per buyer; 40 buyers, 640 totals in all. */
Test(kpi, a_report_reads_only_its_buyers_totals)
{
    const char *named[] = { "hrl", "hrl2", "hrl-x", "a" };
    char buyers[40][16];
    for (int b = 0; b < 40; b++) {
        if (b < 4)
            snprintf(buyers[b], sizeof buyers[b], "%s", named[b]);
        else
            snprintf(buyers[b], sizeof buyers[b], "b%02d", b);
        impact(COMPUTED, &(meas_t){ "m1", "T1", "2026-02-01", "G", .theme = 1, .kpi = 5,
                                    .value = 3, .buyer = buyers[b] }, NULL);
        impact(COMPUTED, &(meas_t){ "m2", "T1", "2026-02-01", "G", .theme = 1, .kpi = 3,
                                    .value = 4, .buyer = buyers[b] }, NULL);
    }
    int sent = 0, others = 0;
    kpi_stats_t st0, st1;
    kpi_stats(s_kpi, &st0);
    for (int k = 1; k <= 6; k++)
        for (uint32_t w = 0; w <= 4; w++) {
            char p[128];
            cr_assert_eq(mvoi_topic_kpi(p, sizeof p, k, 2026, w, "hrl", 0, NULL, NULL), 0);
            scope_t s = { p, "hrl", true, 0, 0 };
            cr_assert_eq(store_read(s_store, s_scope, &s), 0);
            sent += s.n;
            others += s.others;
        }
    kpi_stats(s_kpi, &st1);
    cr_assert_eq(sent, 16, "the report of hrl read %d totals, hrl has 16", sent);
    cr_assert_eq(others, 0);
    /* each of the 30 ranges steps over its totals, the quarter key where its year's
     * dimensions are sought and the key that ends it: none of the other 624 totals */
    cr_assert_leq(st1.keys_read - st0.keys_read, 16 + 2 * 30, "read %llu keys",
                  (unsigned long long)(st1.keys_read - st0.keys_read));
    /* the buyer's whole snapshot: its 16 totals, one key beyond, whatever the store holds */
    char bp[64];
    cr_assert_eq(mvoi_topic_kpi_buyer_prefix(bp, sizeof bp, "hrl"), 0);
    cr_assert_str_eq(bp, "kpi.hrl.");
    for (int seg = 0; seg < 2; seg++) {
        scope_t all = { bp, "hrl", seg, 0, 0 };
        kpi_stats(s_kpi, &st0);
        cr_assert_eq(store_read(s_store, s_scope, &all), 0);
        kpi_stats(s_kpi, &st1);
        cr_assert_eq(all.n, 16);
        cr_assert_eq(all.others, 0);
        cr_assert_leq(st1.keys_read - st0.keys_read, 16 + 1, "read %llu keys",
                      (unsigned long long)(st1.keys_read - st0.keys_read));
    }
    /* a plain prefix of the same letters would also take hrl2's and hrl-x's */
    scope_t plain = { "kpi.hrl", "hrl", false, 0, 0 };
    cr_assert_eq(store_read(s_store, s_scope, &plain), 0);
    cr_assert_eq(plain.n, 3 * 16);
    cr_assert_eq(plain.others, 2 * 16);
}

typedef struct {
    const char *key;
    uint32_t total, n;
    char measurement[KPI_ID_BUF + 8], tender[KPI_ID_BUF + 8];
} long_bd_t;

static int s_long_item(void *arg, const kpi_contrib_t *c)
{
    long_bd_t *b = arg;
    b->n++;
    snprintf(b->measurement, sizeof b->measurement, "%s", c->measurement_id);
    snprintf(b->tender, sizeof b->tender, "%s", c->tender_id);
    return 0;
}

static int s_long_bd(MDB_txn *txn, void *arg)
{
    long_bd_t *b = arg;
    return kpi_breakdown(s_kpi, txn, b->key, 0, 10, s_long_item, b, &b->total);
}

/* Ids of the longest length the contract allows (128 bytes) are kept whole: the total's
 * tender id was held in 127 bytes, published so, and then never matched the breakdown's
 * key (a breakdown of that tender's total found nothing); the breakdown cut both ids the
 * dashboard opens. */
Test(kpi, ids_of_128_bytes_whole_in_totals_and_breakdowns)
{
    char mid[MVOI_ID_MAX + 1], tid[MVOI_ID_MAX + 1], key[KPI_KEY_MAX];
    memset(mid, 'M', MVOI_ID_MAX);
    mid[MVOI_ID_MAX] = 0;
    memset(tid, 'T', MVOI_ID_MAX);
    tid[MVOI_ID_MAX] = 0;
    impact(COMPUTED, &(meas_t){ mid, tid, "2026-03-01", .theme = 1, .kpi = 5, .value = 7 },
           NULL);
    snprintf(key, sizeof key, "kpi.heerlen.co2.2026.tender.%s", tid);
    kpi_total_t t = total(key);
    cr_expect_str_eq(t.tender, tid, "the total's tender id: %zu bytes", strlen(t.tender));
    cr_expect_eq(t.count, 1);
    static long_bd_t b;
    memset(&b, 0, sizeof b);
    b.key = key;
    cr_assert_eq(store_read(s_store, s_long_bd, &b), 0);
    cr_expect_eq(b.total, 1, "the tender's breakdown: %u", b.total);
    cr_expect_str_eq(b.measurement, mid);
    cr_expect_str_eq(b.tender, tid);
}
