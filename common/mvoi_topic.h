/*  mvoi_topic: the topic grammar of the bus (part of the wire contract, mvoi_contract.h).
 *
 *  Every event a producer appends to its outbox is published as [topic][Envelope] (or, from
 *  a producer that batches, with others of its topic in one Envelope's EventBatch:
 *  docs/design.md#publish-batches); consumers subscribe by topic prefix and snapshots are
 *  asked by key prefix. The families:
 *
 *    tender.<kind>   calendar    registered updated ambition_recorded status_changed cancelled
 *    impact.<kind>   impact      computed corrected withdrawn
 *    notify.<kind>   notifier    scheduled cancelled sent failed dead
 *    report.<kind>   report      generated
 *    kpi.<buyer>.<kpi>.<window>[.theme.<t>|.group.<g>|.tender.<id>]
 *                    aggregator  one total (the topic is also the total's key); kpi a
 *                                mvoi_kpi_name, window "2026" or "2026-q1", t a
 *                                mvoi_theme_name; buyer, group and tender id percent-encoded
 *                                (every byte outside [A-Za-z0-9_-] is %XX, upper-case hex),
 *                                so a segment never holds a '.' and distinct values never
 *                                collide. The buyer comes first: one buyer's totals are one
 *                                prefix "kpi.<buyer>." (a SUB subscription, one contiguous
 *                                key range of the aggregator's store); the layout before
 *                                kpi.<kpi>.<window>.<buyer>... is rewritten at the
 *                                aggregator's start (kpi_migrate_layout.c)
 *    hb              every server's heartbeat (bare, no envelope kind)
 *
 *  Topics are built here and nowhere else; a change of the KPI key layout is a change of
 *  mvoi_topic_kpi, the two prefix builders and mvoi_topic_parse only. Parsing accepts only
 *  what the builders produce (canonical form), so build(parse(t)) == t.
 *
 *  Errors: -EINVAL for a name outside the grammar (unknown family or kind, bad window,
 *  non-canonical encoding), -ENAMETOOLONG when the result does not fit; the output is then
 *  unusable (a truncated topic is never returned as valid).
 */
#ifndef MVOI_TOPIC_H
#define MVOI_TOPIC_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.pb-c.h"
#include "impact.pb-c.h"

#define MVOI_TOPIC_HB "hb"
#define MVOI_TOPIC_KPI_PREFIX "kpi."   /* every total: the dashboards' subscription */
#define MVOI_TOPIC_MAX 512             /* room for any topic the builders accept */
#define MVOI_TOPIC_SEG_MAX 200         /* an encoded buyer/group/tender segment, with NUL */

typedef enum {
    MVOI_TOPIC_NONE = 0,
    MVOI_TOPIC_TENDER,
    MVOI_TOPIC_IMPACT,
    MVOI_TOPIC_NOTIFY,
    MVOI_TOPIC_REPORT,
    MVOI_TOPIC_KPI,
    MVOI_TOPIC_HEARTBEAT,
} mvoi_topic_family_t;

/* The notifier's and the report's events have no kind enum on the wire (the envelope body
 * says what they carry); these name their topics. */
typedef enum {
    MVOI_NOTIFY_SCHEDULED = 1,
    MVOI_NOTIFY_CANCELLED,
    MVOI_NOTIFY_SENT,
    MVOI_NOTIFY_FAILED,      /* a transient failure: retried */
    MVOI_NOTIFY_DEAD,        /* attempts exhausted or permanent: dead letter */
    MVOI_NOTIFY_UNCONFIRMED, /* end of DATA sent, no answer: held for an operator */
} mvoi_notify_event_t;

typedef enum {
    MVOI_REPORT_GENERATED = 1,
} mvoi_report_event_t;

/* The topic of an event kind; NULL for UNSPECIFIED or a value outside the enum. */
const char *mvoi_topic_tender(Mvoi__TenderEventKind kind);
const char *mvoi_topic_impact(Mvoi__ImpactEventKind kind);
const char *mvoi_topic_notify(mvoi_notify_event_t kind);
const char *mvoi_topic_report(mvoi_report_event_t kind);

/* The topic (key) of a KPI total into buf. kpi 1..6, year > 0, quarter 0 (year window) or
 * 1..4, buyer non-empty; at most one dimension: theme > 0 (a Theme), else group, else
 * tender (NULL or "" = absent). Hot path of the aggregator: no snprintf. */
int mvoi_topic_kpi(char *buf, size_t len, int kpi, uint32_t year, uint32_t quarter,
                   const char *buyer, int theme, const char *group, const char *tender);
/* The key prefix of every total of one buyer's KPI in one year, all windows
 * ("kpi.heerlen.co2.2026": the year and its quarters). */
int mvoi_topic_kpi_prefix(char *buf, size_t len, const char *buyer, int kpi, uint32_t year);
/* The key prefix of every total of one buyer ("kpi.heerlen.", with the final '.', so that
 * "heerlen2" is not in it): a subscription or a key range of that buyer only. */
int mvoi_topic_kpi_buyer_prefix(char *buf, size_t len, const char *buyer);

/* A parsed topic. kind is the event family's enum value (Mvoi__TenderEventKind,
 * Mvoi__ImpactEventKind, mvoi_notify_event_t, mvoi_report_event_t); the KPI fields are
 * set for MVOI_TOPIC_KPI, with buyer/group/tender decoded ("" when absent). */
typedef struct {
    mvoi_topic_family_t family;
    int kind;
    int kpi;
    uint32_t year, quarter;
    int theme;
    char buyer[MVOI_TOPIC_SEG_MAX];
    char group[MVOI_TOPIC_SEG_MAX];
    char tender[MVOI_TOPIC_SEG_MAX];
} mvoi_topic_t;

int mvoi_topic_parse(const char *topic, mvoi_topic_t *out);

/* Percent-encode one segment (the rule above) into out; returns the encoded length, which
 * is >= cap when it did not fit (out then holds a terminated prefix, not to be used). */
size_t mvoi_topic_enc(char *out, size_t cap, const char *in);

#endif
