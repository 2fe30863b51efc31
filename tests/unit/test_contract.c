/*  mvoi_contract: the topic grammar (every family built and parsed, round trips, bad names
 *  refused by name) and the enum names. Expected topics are spelled out literally here: the
 *  bytes on the wire, not what the code under test computes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mvoi_contract.h"
#include "mvoi_error.h"

static const char *s_parse_err(const char *topic)
{
    mvoi_topic_t t;
    return mvoi_errname(mvoi_topic_parse(topic, &t));
}

Test(contract, event_topics_are_the_wire_names_and_round_trip)
{
    const struct {
        mvoi_topic_family_t family;
        int kind;
        const char *want;
    } cases[] = {
        { MVOI_TOPIC_TENDER, 1, "tender.registered" },
        { MVOI_TOPIC_TENDER, 2, "tender.updated" },
        { MVOI_TOPIC_TENDER, 3, "tender.ambition_recorded" },
        { MVOI_TOPIC_TENDER, 4, "tender.status_changed" },
        { MVOI_TOPIC_TENDER, 5, "tender.cancelled" },
        { MVOI_TOPIC_IMPACT, 1, "impact.computed" },
        { MVOI_TOPIC_IMPACT, 2, "impact.corrected" },
        { MVOI_TOPIC_IMPACT, 3, "impact.withdrawn" },
        { MVOI_TOPIC_NOTIFY, 1, "notify.scheduled" },
        { MVOI_TOPIC_NOTIFY, 2, "notify.cancelled" },
        { MVOI_TOPIC_NOTIFY, 3, "notify.sent" },
        { MVOI_TOPIC_NOTIFY, 4, "notify.failed" },
        { MVOI_TOPIC_NOTIFY, 5, "notify.dead" },
        { MVOI_TOPIC_NOTIFY, 6, "notify.unconfirmed" },
        { MVOI_TOPIC_REPORT, 1, "report.generated" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = NULL;
        switch (cases[i].family) {
        case MVOI_TOPIC_TENDER: got = mvoi_topic_tender((Mvoi__TenderEventKind)cases[i].kind); break;
        case MVOI_TOPIC_IMPACT: got = mvoi_topic_impact((Mvoi__ImpactEventKind)cases[i].kind); break;
        case MVOI_TOPIC_NOTIFY: got = mvoi_topic_notify((mvoi_notify_event_t)cases[i].kind); break;
        case MVOI_TOPIC_REPORT: got = mvoi_topic_report((mvoi_report_event_t)cases[i].kind); break;
        default: break;
        }
        cr_assert_str_eq(got, cases[i].want);
        mvoi_topic_t t;
        cr_assert_eq(mvoi_topic_parse(cases[i].want, &t), 0, "%s", cases[i].want);
        cr_assert_eq(t.family, cases[i].family, "%s", cases[i].want);
        cr_assert_eq(t.kind, cases[i].kind, "%s", cases[i].want);
    }
    /* The generated enums agree with the numbers above. */
    cr_assert_str_eq(mvoi_topic_tender(MVOI__TENDER_EVENT_KIND__TEV_CANCELLED), "tender.cancelled");
    cr_assert_str_eq(mvoi_topic_impact(MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN), "impact.withdrawn");
    mvoi_topic_t t;
    cr_assert_eq(mvoi_topic_parse("hb", &t), 0);
    cr_assert_eq(t.family, MVOI_TOPIC_HEARTBEAT);
    cr_assert_str_eq(MVOI_TOPIC_HB, "hb");
    cr_assert_str_eq(MVOI_TOPIC_KPI_PREFIX, "kpi.");
}

Test(contract, event_kinds_outside_the_enums_have_no_topic)
{
    cr_assert_null(mvoi_topic_tender(MVOI__TENDER_EVENT_KIND__TEV_UNSPECIFIED));
    cr_assert_null(mvoi_topic_tender((Mvoi__TenderEventKind)6));
    cr_assert_null(mvoi_topic_tender((Mvoi__TenderEventKind)-1));
    cr_assert_null(mvoi_topic_impact(MVOI__IMPACT_EVENT_KIND__IEV_UNSPECIFIED));
    cr_assert_null(mvoi_topic_impact((Mvoi__ImpactEventKind)4));
    cr_assert_null(mvoi_topic_notify((mvoi_notify_event_t)0));
    cr_assert_null(mvoi_topic_notify((mvoi_notify_event_t)7));
    cr_assert_null(mvoi_topic_report((mvoi_report_event_t)2));
}

Test(contract, kpi_keys_are_the_wire_layout)
{
    char k[MVOI_TOPIC_MAX];
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 5, 2026, 0, "heerlen", 0, NULL, NULL), 0);
    cr_assert_str_eq(k, "kpi.heerlen.co2.2026");
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 1, 2027, 4, "heerlen", 0, NULL, NULL), 0);
    cr_assert_str_eq(k, "kpi.heerlen.fairtrade.2027-q4");
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 2, 2026, 1, "heerlen", 5, "g", "t"), 0);
    cr_assert_str_eq(k, "kpi.heerlen.sroi.2026-q1.theme.diversiteit_inclusie");
    /* group wins over tender; '/', ' ' and '.' are encoded with upper-case hex */
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 3, 2026, 0, "gem.x", 0, "Groep A/B", "t"), 0);
    cr_assert_str_eq(k, "kpi.gem%2Ex.nox.2026.group.Groep%20A%2FB");
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 6, 2026, 2, "b-1_x", 0, "", "T.1"), 0);
    cr_assert_str_eq(k, "kpi.b-1_x.pilots.2026-q2.tender.T%2E1");
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 4, 2026, 0, "b", 0, NULL, "\xc3\xa9"), 0);
    cr_assert_str_eq(k, "kpi.b.material.2026.tender.%C3%A9");
    cr_assert_eq(mvoi_topic_kpi_prefix(k, sizeof k, "heerlen", 5, 2026), 0);
    cr_assert_str_eq(k, "kpi.heerlen.co2.2026");
    cr_assert_eq(mvoi_topic_kpi_buyer_prefix(k, sizeof k, "gem.x"), 0);
    cr_assert_str_eq(k, "kpi.gem%2Ex.");
}

/* Buyer first: every total of one buyer, and no total of another, starts with the buyer's
 * prefix (a SUB subscription and one key range), also for buyers whose ids share letters. */
Test(contract, one_buyers_totals_are_one_prefix)
{
    const char *buyers[] = { "hrl", "hrl2", "hrl-x", "hrl.x", "h" };
    char pre[5][64];
    for (int b = 0; b < 5; b++)
        cr_assert_eq(mvoi_topic_kpi_buyer_prefix(pre[b], sizeof pre[b], buyers[b]), 0);
    int in = 0;
    for (int b = 0; b < 5; b++)
        for (int kpi = 1; kpi <= MVOI_KPI_COUNT; kpi++)
            for (uint32_t q = 0; q <= 4; q++)
                for (int theme = 0; theme <= 6; theme++) {
                    char k[MVOI_TOPIC_MAX];
                    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, kpi, 2026, q, buyers[b], theme,
                                                NULL, theme ? NULL : "T.1"), 0);
                    for (int o = 0; o < 5; o++)
                        cr_assert_eq(strncmp(k, pre[o], strlen(pre[o])) == 0, o == b,
                                     "%s and %s", k, pre[o]);
                    in++;
                }
    cr_assert_eq(in, 5 * 6 * 5 * 7);
    char k[8];
    cr_assert_eq(mvoi_topic_kpi_buyer_prefix(k, sizeof k, ""), -EINVAL);
    cr_assert_eq(mvoi_topic_kpi_buyer_prefix(k, sizeof k, NULL), -EINVAL);
    cr_assert_eq(mvoi_topic_kpi_buyer_prefix(k, sizeof k, "heerlen"), -ENAMETOOLONG);
}

Test(contract, kpi_keys_round_trip_every_kpi_window_and_dimension)
{
    const char *buyers[] = { "heerlen", "gemeente.x", "a b%c" };
    const char *vals[] = { "T-1", "groep/één", "x.y.z" };
    int n = 0;
    for (int kpi = 1; kpi <= MVOI_KPI_COUNT; kpi++)
        for (uint32_t q = 0; q <= 4; q++)
            for (size_t b = 0; b < 3; b++)
                for (int dim = 0; dim < 3 + 6; dim++) {
                    int theme = dim >= 3 ? dim - 2 : 0;
                    const char *g = dim == 1 ? vals[b] : NULL, *t = dim == 2 ? vals[b] : NULL;
                    char k[MVOI_TOPIC_MAX], again[MVOI_TOPIC_MAX];
                    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, kpi, 2026, q, buyers[b], theme, g, t), 0);
                    mvoi_topic_t p;
                    cr_assert_eq(mvoi_topic_parse(k, &p), 0, "%s", k);
                    cr_assert_eq(p.family, MVOI_TOPIC_KPI);
                    cr_assert_eq(p.kpi, kpi);
                    cr_assert_eq(p.year, 2026);
                    cr_assert_eq(p.quarter, q);
                    cr_assert_str_eq(p.buyer, buyers[b]);
                    cr_assert_eq(p.theme, theme);
                    cr_assert_str_eq(p.group, g ? g : "");
                    cr_assert_str_eq(p.tender, t ? t : "");
                    cr_assert_eq(mvoi_topic_kpi(again, sizeof again, p.kpi, p.year, p.quarter,
                                                p.buyer, p.theme, p.group, p.tender), 0);
                    cr_assert_str_eq(again, k);
                    n++;
                }
    cr_assert_eq(n, 6 * 5 * 3 * 9);
}

Test(contract, two_buyers_with_the_same_tender_id_have_distinct_keys)
{
    char a[MVOI_TOPIC_MAX], b[MVOI_TOPIC_MAX], pre[64];
    cr_assert_eq(mvoi_topic_kpi(a, sizeof a, 5, 2026, 0, "heerlen", 0, NULL, "T-1"), 0);
    cr_assert_eq(mvoi_topic_kpi(b, sizeof b, 5, 2026, 0, "maastricht", 0, NULL, "T-1"), 0);
    cr_assert_str_neq(a, b);
    /* each under its own buyer's year prefix, not under the other's nor another year's */
    cr_assert_eq(mvoi_topic_kpi_prefix(pre, sizeof pre, "heerlen", 5, 2026), 0);
    cr_assert_eq(strncmp(a, pre, strlen(pre)), 0);
    cr_assert_neq(strncmp(b, pre, strlen(pre)), 0);
    cr_assert_eq(mvoi_topic_kpi_prefix(pre, sizeof pre, "maastricht", 5, 2026), 0);
    cr_assert_eq(strncmp(b, pre, strlen(pre)), 0);
    cr_assert_eq(mvoi_topic_kpi_prefix(pre, sizeof pre, "heerlen", 5, 2025), 0);
    cr_assert_neq(strncmp(a, pre, strlen(pre)), 0);
}

Test(contract, bad_topics_are_refused_by_name)
{
    const char *einval[] = {
        "", "tender", "tender.", "tender.exploded", "tender.registered.x", "Tender.registered",
        "impact.computed ", "notify.retrying", "report.failed", "hbx", "hb.",
        "kpi.", "kpi.x.co3.2026", "kpi.x.CO2.2026", "kpi.x.co2", "kpi.x.co2.", "kpi.x.co2.2026.",
        "kpi.x.co2.0", "kpi.x.co2.02026", "kpi.x.co2.99999999999", "kpi.x.co2.2026-q5",
        "kpi.x.co2.2026-q0", "kpi.x.co2.2026-Q1", "kpi.x.co2.2026-q1x", "kpi.x.co2.-1",
        "kpi.a%2e.co2.2026", "kpi.%41.co2.2026", "kpi.%00.co2.2026", "kpi.a%2.co2.2026",
        "kpi.a b.co2.2026", "kpi..co2.2026", "kpi.x", "kpi.x.",
        /* the layout before buyer-first is not a key any more */
        "kpi.co2.2026.heerlen", "kpi.co2.2026-q1.heerlen.theme.klimaat",
        "kpi.x.co2.2026.theme.foo", "kpi.x.co2.2026.theme.unspecified",
        "kpi.x.co2.2026.colour.red", "kpi.x.co2.2026.group", "kpi.x.co2.2026.group.",
        "kpi.x.co2.2026.group.a.b", "kpi.x.co2.2026.tender.a.b",
    };
    for (size_t i = 0; i < sizeof einval / sizeof einval[0]; i++)
        cr_assert_str_eq(s_parse_err(einval[i]), "EINVAL", "%s", einval[i]);
    mvoi_topic_t t;
    cr_assert_str_eq(mvoi_errname(mvoi_topic_parse(NULL, &t)), "EINVAL");
    /* a refused topic leaves nothing that looks parsed */
    cr_assert_lt(mvoi_topic_parse("kpi.x.co2.2026.theme.foo", &t), 0);
    cr_assert_eq(t.family, MVOI_TOPIC_NONE);
    cr_assert_str_eq(t.buyer, "");
    char longb[MVOI_TOPIC_SEG_MAX + 8], topic[MVOI_TOPIC_MAX + 16];
    memset(longb, 'b', sizeof longb - 1);
    longb[sizeof longb - 1] = 0;
    snprintf(topic, sizeof topic, "kpi.%s.co2.2026", longb);
    cr_assert_str_eq(s_parse_err(topic), "ENAMETOOLONG");
    memset(topic, 'k', sizeof topic - 1);
    topic[sizeof topic - 1] = 0;
    cr_assert_str_eq(s_parse_err(topic), "ENAMETOOLONG");
}

Test(contract, bad_kpi_keys_are_refused_not_truncated)
{
    char k[MVOI_TOPIC_MAX];
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 0, 2026, 0, "b", 0, NULL, NULL), -EINVAL);
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 7, 2026, 0, "b", 0, NULL, NULL), -EINVAL);
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 5, 0, 0, "b", 0, NULL, NULL), -EINVAL);
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 5, 2026, 5, "b", 0, NULL, NULL), -EINVAL);
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 5, 2026, 0, "", 0, NULL, NULL), -EINVAL);
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 5, 2026, 0, NULL, 0, NULL, NULL), -EINVAL);
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 5, 2026, 0, "b", 7, NULL, NULL), -EINVAL);
    cr_assert_eq(mvoi_topic_kpi_prefix(k, sizeof k, "b", 8, 2026), -EINVAL);
    cr_assert_eq(mvoi_topic_kpi_prefix(k, sizeof k, "", 5, 2026), -EINVAL);
    char longv[MVOI_TOPIC_SEG_MAX];
    memset(longv, '/', sizeof longv - 1);   /* 199 bytes, 597 encoded */
    longv[sizeof longv - 1] = 0;
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 5, 2026, 0, longv, 0, NULL, NULL), -ENAMETOOLONG);
    cr_assert_eq(mvoi_topic_kpi(k, sizeof k, 5, 2026, 0, "b", 0, longv, NULL), -ENAMETOOLONG);
    /* "kpi.heerlen.co2.2026" is 20 bytes: 20 do not fit with the NUL, 21 do */
    char small[21];
    cr_assert_eq(mvoi_topic_kpi(small, 20, 5, 2026, 0, "heerlen", 0, NULL, NULL), -ENAMETOOLONG);
    cr_assert_eq(mvoi_topic_kpi(small, 21, 5, 2026, 0, "heerlen", 0, NULL, NULL), 0);
    cr_assert_str_eq(small, "kpi.heerlen.co2.2026");
}

Test(contract, kpi_names_and_units)
{
    const char *names[] = { NULL, "fairtrade", "sroi", "nox", "material", "co2", "pilots" };
    const char *units[] = { NULL, "products", "cent", "mg", "g", "g", "pilots" };
    for (int k = 1; k <= 6; k++) {
        cr_assert_str_eq(mvoi_kpi_name(k), names[k]);
        cr_assert_str_eq(mvoi_kpi_unit(k), units[k]);
        int back = 0;
        cr_assert_eq(mvoi_kpi_parse(names[k], &back), 0);
        cr_assert_eq(back, k);
    }
    cr_assert_eq(MVOI__KPI__KPI_CO2, 5);
    cr_assert_null(mvoi_kpi_name(0));
    cr_assert_null(mvoi_kpi_name(7));
    cr_assert_null(mvoi_kpi_unit(-1));
    int k = 42;
    cr_assert_eq(mvoi_kpi_parse("CO2", &k), -EINVAL);
    cr_assert_eq(mvoi_kpi_parse(NULL, &k), -EINVAL);
    cr_assert_eq(k, 42);
}

/* Every value of the generated enums has a name that parses back to it. */
static void s_enum_round_trip(const ProtobufCEnumDescriptor *d, const char *(*name)(int),
                              int (*parse)(const char *, int *))
{
    for (unsigned i = 0; i < d->n_values; i++) {
        int v = d->values[i].value;
        if (v == 0)
            continue;
        int back = -1;
        cr_assert_eq(parse(name(v), &back), 0, "%s %d", d->name, v);
        cr_assert_eq(back, v, "%s %s", d->name, name(v));
    }
    cr_assert_str_eq(name(0), "unspecified");
    cr_assert_str_eq(name(9999), "unspecified");
}

#define S_ADAPT(what, type)                                                                \
    static const char *s_##what##_name(int v) { return mvoi_##what##_name((type)v); }    \
    static int s_##what##_parse(const char *s, int *v)                                     \
    {                                                                                      \
        type t;                                                                            \
        int rc = mvoi_##what##_parse(s, &t);                                               \
        if (rc == 0)                                                                       \
            *v = (int)t;                                                                   \
        return rc;                                                                         \
    }
S_ADAPT(theme, Mvoi__Theme)
S_ADAPT(kind, Mvoi__TenderKind)
S_ADAPT(procedure, Mvoi__Procedure)
S_ADAPT(commitment, Mvoi__Commitment)
S_ADAPT(status, Mvoi__TenderStatus)

Test(contract, calendar_enum_names_round_trip)
{
    s_enum_round_trip(&mvoi__theme__descriptor, s_theme_name, s_theme_parse);
    s_enum_round_trip(&mvoi__tender_kind__descriptor, s_kind_name, s_kind_parse);
    s_enum_round_trip(&mvoi__procedure__descriptor, s_procedure_name, s_procedure_parse);
    s_enum_round_trip(&mvoi__commitment__descriptor, s_commitment_name, s_commitment_parse);
    s_enum_round_trip(&mvoi__tender_status__descriptor, s_status_name, s_status_parse);
    Mvoi__Theme t;
    cr_assert_eq(mvoi_theme_parse("Diversiteit en Inclusie", &t), 0);
    cr_assert_eq(t, MVOI__THEME__THEME_DIVERSITEIT_INCLUSIE);
    cr_assert_eq(mvoi_theme_parse("weather", &t), -EINVAL);
    cr_assert_str_eq(mvoi_theme_key(1), "klimaat");
    cr_assert_null(mvoi_theme_key(0));
    cr_assert_null(mvoi_theme_key(7));
}
