/*  gw_metrics: /metrics in the Prometheus text format 0.0.4, written by hand (no C client
 *  library is packaged; docs/libraries.md#prometheus). Checked with `promtool check metrics`. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include "follow.h"
#include "gw_internal.h"

static void s_head(gw_buf_t *b, const char *name, const char *type, const char *help)
{
    gw_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values come from our own services (reason and producer names we chose), but a
 * stray quote or backslash must still not break the exposition format. */
static const char *s_label(const char *v)
{
    return strpbrk(v, "\"\\\n") ? "invalid" : v;
}

static void s_store_metrics(gw_buf_t *b, const gw_upstream_stats_t *st, int n)
{
    s_head(b, "mvoi_gateway_upstream_storage_ok", "gauge",
           "0 while the service's store refuses writes (no space, I/O error).");
    for (int i = 0; i < n; i++)
        if (st[i].have_health)
            gw_buf_printf(b, "mvoi_gateway_upstream_storage_ok{service=\"%s\"} %d\n",
                          st[i].name, st[i].storage_ok);
    s_head(b, "mvoi_gateway_upstream_write_failures_total", "counter",
           "Write attempts the service's store refused, by reason.");
    for (int i = 0; i < n; i++)
        for (int r = 0; st[i].have_health && r < st[i].nfail; r++)
            gw_buf_printf(b, "mvoi_gateway_upstream_write_failures_total{service=\"%s\","
                          "reason=\"%s\"} %" PRIu64 "\n", st[i].name,
                          s_label(st[i].fail[r].reason), st[i].fail[r].count);
    s_head(b, "mvoi_gateway_upstream_dead_letters", "gauge",
           "Copies in the notifier's dead-letter list now (mvoictl reminders list --state dead).");
    for (int i = 0; i < n; i++)
        if (st[i].have_health && st[i].have_deliveries)
            gw_buf_printf(b, "mvoi_gateway_upstream_dead_letters{service=\"%s\"} %" PRIu64 "\n",
                          st[i].name, st[i].dead_letters);
    s_head(b, "mvoi_gateway_upstream_unconfirmed_deliveries", "gauge",
           "Copies whose end of DATA went out without an answer, held (--state unconfirmed).");
    for (int i = 0; i < n; i++)
        if (st[i].have_health && st[i].have_deliveries)
            gw_buf_printf(b, "mvoi_gateway_upstream_unconfirmed_deliveries{service=\"%s\"} %"
                          PRIu64 "\n", st[i].name, st[i].unconfirmed);
    s_head(b, "mvoi_gateway_upstream_retrying_deliveries", "gauge",
           "Copies the notifier retries after a temporary failure (relay down, SMTP 4xx); "
           "dead letters after MVOI_NOTIFIER_RETRY_LIFETIME_HOURS.");
    for (int i = 0; i < n; i++)
        if (st[i].have_health && st[i].have_retrying)
            gw_buf_printf(b, "mvoi_gateway_upstream_retrying_deliveries{service=\"%s\"} %"
                          PRIu64 "\n", st[i].name, st[i].retrying);
}

/* HealthReply.inbox of each consumer: its cursor per producer, the producer's head it
 * heard of, the lag, resyncs (new epoch), replays and rebuilds (snapshot + tail). */
static void s_consumer_metrics(gw_buf_t *b, const gw_upstream_stats_t *st, int n)
{
    s_head(b, "mvoi_gateway_upstream_consumer_cursor", "gauge",
           "Seq of the producer's last event a consumer applied (its inbox cursor).");
    for (int i = 0; i < n; i++)
        for (int k = 0; st[i].have_health && k < st[i].nlag; k++)
            gw_buf_printf(b, "mvoi_gateway_upstream_consumer_cursor{service=\"%s\",producer=\"%s\"} %"
                          PRIu64 "\n", st[i].name, s_label(st[i].lag[k].producer),
                          st[i].lag[k].last);
    s_head(b, "mvoi_gateway_upstream_consumer_producer_head", "gauge",
           "The producer's head seq as the consumer last heard it.");
    for (int i = 0; i < n; i++)
        for (int k = 0; st[i].have_health && k < st[i].nlag; k++)
            gw_buf_printf(b, "mvoi_gateway_upstream_consumer_producer_head{service=\"%s\","
                          "producer=\"%s\"} %" PRIu64 "\n", st[i].name,
                          s_label(st[i].lag[k].producer), st[i].lag[k].head);
    s_head(b, "mvoi_gateway_upstream_consumer_rebuilds_total", "counter",
           "Times a consumer rebuilt from its producer's snapshot (producer went back, or "
           "cursor older than its retention).");
    for (int i = 0; i < n; i++)
        for (int k = 0; st[i].have_health && k < st[i].nlag; k++)
            gw_buf_printf(b, "mvoi_gateway_upstream_consumer_rebuilds_total{service=\"%s\","
                          "producer=\"%s\"} %" PRIu64 "\n", st[i].name,
                          s_label(st[i].lag[k].producer), st[i].lag[k].rebuilds);
    s_head(b, "mvoi_gateway_upstream_consumer_rebuilding", "gauge",
           "1 while a consumer rebuilds from its producer's snapshot (not ready).");
    for (int i = 0; i < n; i++)
        for (int k = 0; st[i].have_health && k < st[i].nlag; k++)
            gw_buf_printf(b, "mvoi_gateway_upstream_consumer_rebuilding{service=\"%s\","
                          "producer=\"%s\"} %d\n", st[i].name,
                          s_label(st[i].lag[k].producer), st[i].lag[k].rebuilding ? 1 : 0);
    s_head(b, "mvoi_gateway_upstream_consumer_lag", "gauge",
           "Events a consumer knows its producer has and it has not applied yet.");
    for (int i = 0; i < n; i++)
        for (int k = 0; st[i].have_health && k < st[i].nlag; k++)
            gw_buf_printf(b, "mvoi_gateway_upstream_consumer_lag{service=\"%s\",producer=\"%s\"} %"
                          PRIu64 "\n", st[i].name, s_label(st[i].lag[k].producer),
                          st[i].lag[k].head > st[i].lag[k].last
                          ? st[i].lag[k].head - st[i].lag[k].last : 0);
    s_head(b, "mvoi_gateway_upstream_resyncs_total", "counter",
           "Times a consumer started over because its producer had a new epoch.");
    for (int i = 0; i < n; i++)
        for (int k = 0; st[i].have_health && k < st[i].nlag; k++)
            gw_buf_printf(b, "mvoi_gateway_upstream_resyncs_total{service=\"%s\",producer=\"%s\"} %"
                          PRIu64 "\n", st[i].name, s_label(st[i].lag[k].producer),
                          st[i].lag[k].resyncs);
    s_head(b, "mvoi_gateway_upstream_replays_total", "counter",
           "Replay requests a consumer sent to its producer.");
    for (int i = 0; i < n; i++)
        for (int k = 0; st[i].have_health && k < st[i].nlag; k++)
            gw_buf_printf(b, "mvoi_gateway_upstream_replays_total{service=\"%s\",producer=\"%s\"} %"
                          PRIu64 "\n", st[i].name, s_label(st[i].lag[k].producer),
                          st[i].lag[k].replays);
}

static void s_up_metrics(gw_buf_t *b, gw_upstream_t **ups, int n)
{
    gw_upstream_stats_t st[5];
    for (int i = 0; i < n; i++)
        gw_upstream_stats(ups[i], &st[i]);
    s_head(b, "mvoi_gateway_upstream_up", "gauge",
           "1 when the service answered a health request recently.");
    for (int i = 0; i < n; i++)
        gw_buf_printf(b, "mvoi_gateway_upstream_up{service=\"%s\"} %d\n", st[i].name, st[i].up);
    s_head(b, "mvoi_gateway_upstream_ready", "gauge", "The service's own readiness (HealthReply.ready).");
    for (int i = 0; i < n; i++)
        gw_buf_printf(b, "mvoi_gateway_upstream_ready{service=\"%s\"} %d\n", st[i].name,
                      st[i].up && st[i].ready);
    s_head(b, "mvoi_gateway_upstream_outbox_backlog", "gauge",
           "Events retained in the service's outbox (HealthReply.outbox_backlog).");
    for (int i = 0; i < n; i++)
        if (st[i].have_health)
            gw_buf_printf(b, "mvoi_gateway_upstream_outbox_backlog{service=\"%s\"} %" PRIu64 "\n",
                          st[i].name, st[i].outbox_backlog);
    s_head(b, "mvoi_gateway_upstream_auth_refused_total", "counter",
           "Connections and requests the service refused for their CURVE key "
           "(HealthReply.auth_refused).");
    for (int i = 0; i < n; i++)
        if (st[i].have_health)
            gw_buf_printf(b, "mvoi_gateway_upstream_auth_refused_total{service=\"%s\"} %" PRIu64
                          "\n", st[i].name, st[i].auth_refused);
    s_head(b, "mvoi_gateway_upstream_undecodable_records", "gauge",
           "Snapshots and reads the service refused since its start because a stored record "
           "does not decode (HealthReply.undecodable_records); not 0: its store needs an "
           "operator, the service's log names the record.");
    for (int i = 0; i < n; i++)
        if (st[i].have_health && st[i].have_undecodable)
            gw_buf_printf(b, "mvoi_gateway_upstream_undecodable_records{service=\"%s\"} %" PRIu64
                          "\n", st[i].name, st[i].undecodable);
    s_head(b, "mvoi_gateway_upstream_head_seq", "gauge", "The service's outbox head seq.");
    for (int i = 0; i < n; i++)
        if (st[i].have_health)
            gw_buf_printf(b, "mvoi_gateway_upstream_head_seq{service=\"%s\"} %" PRIu64 "\n",
                          st[i].name, st[i].head_seq);
    s_head(b, "mvoi_gateway_upstream_lmdb_map_used_bytes", "gauge",
           "LMDB bytes in use in the service's store.");
    for (int i = 0; i < n; i++)
        if (st[i].have_health)
            gw_buf_printf(b, "mvoi_gateway_upstream_lmdb_map_used_bytes{service=\"%s\"} %" PRIu64 "\n",
                          st[i].name, st[i].map_used);
    s_head(b, "mvoi_gateway_upstream_lmdb_map_size_bytes", "gauge",
           "LMDB map size of the service's store.");
    for (int i = 0; i < n; i++)
        if (st[i].have_health)
            gw_buf_printf(b, "mvoi_gateway_upstream_lmdb_map_size_bytes{service=\"%s\"} %" PRIu64 "\n",
                          st[i].name, st[i].map_size);
    s_store_metrics(b, st, n);
    s_consumer_metrics(b, st, n);
    s_head(b, "mvoi_gateway_upstream_requests_total", "counter",
           "Requests to a service by result (reply, timeout, error).");
    for (int i = 0; i < n; i++) {
        gw_buf_printf(b, "mvoi_gateway_upstream_requests_total{service=\"%s\",result=\"reply\"} %" PRIu64 "\n",
                      st[i].name, st[i].replies);
        gw_buf_printf(b, "mvoi_gateway_upstream_requests_total{service=\"%s\",result=\"timeout\"} %" PRIu64 "\n",
                      st[i].name, st[i].timeouts);
        gw_buf_printf(b, "mvoi_gateway_upstream_requests_total{service=\"%s\",result=\"error\"} %" PRIu64 "\n",
                      st[i].name, st[i].errors);
    }
    s_head(b, "mvoi_gateway_upstream_resent_total", "counter",
           "Requests under way sent again when the connection to the service was made anew.");
    for (int i = 0; i < n; i++)
        gw_buf_printf(b, "mvoi_gateway_upstream_resent_total{service=\"%s\"} %" PRIu64 "\n",
                      st[i].name, st[i].resent);
    s_head(b, "mvoi_gateway_upstream_pending", "gauge", "Requests waiting for a reply.");
    for (int i = 0; i < n; i++)
        gw_buf_printf(b, "mvoi_gateway_upstream_pending{service=\"%s\"} %" PRIu64 "\n",
                      st[i].name, st[i].pending);
    s_head(b, "mvoi_gateway_upstream_latency_seconds", "histogram",
           "Time from request to reply, per service.");
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < GW_UP_NBUCKETS; k++)
            gw_buf_printf(b, "mvoi_gateway_upstream_latency_seconds_bucket{service=\"%s\",le=\"%g\"} %" PRIu64 "\n",
                          st[i].name, GW_UP_BUCKETS[k], st[i].latency_le[k]);
        gw_buf_printf(b, "mvoi_gateway_upstream_latency_seconds_bucket{service=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
                      st[i].name, st[i].replies);
        gw_buf_printf(b, "mvoi_gateway_upstream_latency_seconds_sum{service=\"%s\"} %.6f\n",
                      st[i].name, st[i].latency_sum_s);
        gw_buf_printf(b, "mvoi_gateway_upstream_latency_seconds_count{service=\"%s\"} %" PRIu64 "\n",
                      st[i].name, st[i].replies);
    }
}

/* The buyers held (gw_hold.c). */
static void s_hold_metrics(gw_hold_t *hold, gw_buf_t *b)
{
    gw_hold_stats_t hs;
    gw_hold_stats(hold, &hs);
    s_head(b, "mvoi_gateway_buyers_held", "gauge",
           "Buyers whose KPI totals the gateway holds (served recently or streaming).");
    gw_buf_printf(b, "mvoi_gateway_buyers_held %" PRIu64 "\n", hs.held);
    s_head(b, "mvoi_gateway_buyers_fresh", "gauge", "Held buyers whose totals are fresh.");
    gw_buf_printf(b, "mvoi_gateway_buyers_fresh %" PRIu64 "\n", hs.fresh);
    s_head(b, "mvoi_gateway_buyer_loads_total", "counter",
           "Buyers loaded (subscribed and snapshotted) on a first request.");
    gw_buf_printf(b, "mvoi_gateway_buyer_loads_total %" PRIu64 "\n", hs.loads);
    s_head(b, "mvoi_gateway_buyer_drops_total", "counter",
           "Buyers dropped after buyer_idle_ms without a request or stream.");
    gw_buf_printf(b, "mvoi_gateway_buyer_drops_total %" PRIu64 "\n", hs.drops);
    s_head(b, "mvoi_gateway_buyer_totals", "gauge", "KPI totals held, all held buyers.");
    gw_buf_printf(b, "mvoi_gateway_buyer_totals %" PRIu64 "\n", hs.totals);
    s_head(b, "mvoi_gateway_buyer_snapshots_total", "counter",
           "Snapshots of one buyer's totals requested from the aggregator.");
    gw_buf_printf(b, "mvoi_gateway_buyer_snapshots_total %" PRIu64 "\n", hs.snapshots);
    s_head(b, "mvoi_gateway_buyer_updates_total", "counter",
           "Live updates applied to a held buyer's totals.");
    gw_buf_printf(b, "mvoi_gateway_buyer_updates_total %" PRIu64 "\n", hs.updates);
    s_head(b, "mvoi_gateway_buyer_updates_unheld_total", "counter",
           "Live updates of buyers not held (not kept).");
    gw_buf_printf(b, "mvoi_gateway_buyer_updates_unheld_total %" PRIu64 "\n", hs.unheld);
    s_head(b, "mvoi_gateway_buyer_resyncs_total", "counter",
           "New snapshots of one held buyer, by reason.");
    for (int i = 0; i < FOLLOW_REASONS; i++)
        gw_buf_printf(b, "mvoi_gateway_buyer_resyncs_total{reason=\"%s\"} %" PRIu64 "\n",
                      follow_reasons[i], hs.resyncs[i]);
}

/* POST /api/measurements sent again while the tender was not known yet (gw_settle.c) */
static void s_settle_metrics(const gw_t *gw, gw_buf_t *b)
{
    s_head(b, "mvoi_gateway_settle_resends_total", "counter",
           "Measurements sent again with the same request id: their tender was not known "
           "to the impact-calculator yet.");
    gw_buf_printf(b, "mvoi_gateway_settle_resends_total %" PRIu64 "\n", gw->settle_resends);
    s_head(b, "mvoi_gateway_settle_gave_up_total", "counter",
           "Measurements answered 503 because their tender was still not known after "
           "upstream_timeout_ms (the calendar away or behind).");
    gw_buf_printf(b, "mvoi_gateway_settle_gave_up_total %" PRIu64 "\n", gw->settle_gave_up);
}

/* The SSE streams: open, opened, refused, dropped, what they were sent. */
static void s_stream_metrics(gw_t *gw, gw_buf_t *b)
{
    gw_sse_stats_t ss = { 0 };
    if (gw->sse)
        gw_sse_stats(gw->sse, &ss);
    s_head(b, "mvoi_gateway_stream_clients", "gauge", "Connected Server-Sent Events clients.");
    gw_buf_printf(b, "mvoi_gateway_stream_clients %" PRIu64 "\n", ss.clients);
    s_head(b, "mvoi_gateway_stream_refused_total", "counter",
           "SSE streams refused (503 too-many-streams: sse_max_clients open).");
    gw_buf_printf(b, "mvoi_gateway_stream_refused_total %" PRIu64 "\n", gw->sse_refused);
    s_head(b, "mvoi_gateway_stream_connections_total", "counter", "SSE streams opened.");
    gw_buf_printf(b, "mvoi_gateway_stream_connections_total %" PRIu64 "\n", ss.opened);
    s_head(b, "mvoi_gateway_stream_slow_dropped_total", "counter",
           "SSE clients disconnected because they did not keep up.");
    gw_buf_printf(b, "mvoi_gateway_stream_slow_dropped_total %" PRIu64 "\n", ss.dropped_slow);
    s_head(b, "mvoi_gateway_stream_events_total", "counter", "SSE events formatted (once per update).");
    gw_buf_printf(b, "mvoi_gateway_stream_events_total %" PRIu64 "\n", ss.events);
    s_head(b, "mvoi_gateway_stream_sent_bytes_total", "counter", "SSE bytes handed to clients.");
    gw_buf_printf(b, "mvoi_gateway_stream_sent_bytes_total %" PRIu64 "\n", ss.bytes);
}

void gw_metrics_render(gw_t *gw, gw_buf_t *b)
{
    s_head(b, "mvoi_gateway_http_requests_total", "counter",
           "HTTP requests answered, by route and status code.");
    for (size_t i = 0; i <= gw->nroutes; i++) {
        gw_route_stat_t *s = &gw->rstats[i];
        /* GET and POST of one path share a label set: add the method */
        const char *method = i < gw->nroutes ? gw_routes[i].method : "any";
        for (int k = 0; k < s->ncodes; k++)
            gw_buf_printf(b, "mvoi_gateway_http_requests_total{route=\"%s\",method=\"%s\",code=\"%d\"} %" PRIu64 "\n",
                          s->name, method, s->code[k], s->count[k]);
    }
    s_head(b, "mvoi_gateway_http_connections", "gauge", "Open HTTP connections.");
    gw_buf_printf(b, "mvoi_gateway_http_connections %u\n",
                  gw->http ? gw_http_connections(gw->http) : 0);
    s_head(b, "mvoi_gateway_http_deadline_closed_total", "counter",
           "Connections closed because their whole request did not arrive in time.");
    gw_buf_printf(b, "mvoi_gateway_http_deadline_closed_total %" PRIu64 "\n",
                  gw->http ? gw_http_deadline_cut(gw->http) : 0);
    s_head(b, "mvoi_gateway_auth_failures_total", "counter",
           "Requests refused for a missing, unknown or too weak token.");
    gw_buf_printf(b, "mvoi_gateway_auth_failures_total %" PRIu64 "\n", gw->auth_failures);
    s_head(b, "mvoi_gateway_buyer_refused_total", "counter",
           "Requests refused (403 buyer-not-allowed) for a buyer their token may not act for.");
    gw_buf_printf(b, "mvoi_gateway_buyer_refused_total %" PRIu64 "\n", gw->buyer_refused);
    s_head(b, "mvoi_gateway_body_rejected_total", "counter", "Request bodies over max_body.");
    gw_buf_printf(b, "mvoi_gateway_body_rejected_total %" PRIu64 "\n", gw->body_rejected);
    s_settle_metrics(gw, b);

    s_stream_metrics(gw, b);

    if (gw->clone) {
        gw_clone_stats_t cs;
        gw_clone_stats(gw->clone, &cs);
        s_head(b, "mvoi_gateway_kpi_view_seq", "gauge", "Aggregator seq the gateway's KPI view is complete up to.");
        gw_buf_printf(b, "mvoi_gateway_kpi_view_seq %" PRIu64 "\n", cs.view_seq);
        s_head(b, "mvoi_gateway_kpi_upstream_head_seq", "gauge", "Head seq in the aggregator's last heartbeat.");
        gw_buf_printf(b, "mvoi_gateway_kpi_upstream_head_seq %" PRIu64 "\n", cs.hb_head);
        s_head(b, "mvoi_gateway_kpi_upstream_lag", "gauge",
               "Updates the view is behind the aggregator's last heartbeat (0 when current).");
        gw_buf_printf(b, "mvoi_gateway_kpi_upstream_lag %" PRIu64 "\n",
                      cs.hb_head > cs.view_seq ? cs.hb_head - cs.view_seq : 0);
        s_head(b, "mvoi_gateway_kpi_heartbeat_age_seconds", "gauge",
               "Seconds since the aggregator's last heartbeat (-1: none yet).");
        gw_buf_printf(b, "mvoi_gateway_kpi_heartbeat_age_seconds %.3f\n",
                      cs.hb_age_ms < 0 ? -1.0 : (double)cs.hb_age_ms / 1000.0);
        s_head(b, "mvoi_gateway_kpi_fresh", "gauge", "1 when KPI totals are served (not stale).");
        gw_buf_printf(b, "mvoi_gateway_kpi_fresh %d\n", cs.fresh);
        s_head(b, "mvoi_gateway_kpi_totals", "gauge", "Totals in the view.");
        gw_buf_printf(b, "mvoi_gateway_kpi_totals %" PRIu64 "\n", cs.totals);
        s_head(b, "mvoi_gateway_kpi_updates_total", "counter", "Live updates applied.");
        gw_buf_printf(b, "mvoi_gateway_kpi_updates_total %" PRIu64 "\n", cs.updates);
        s_head(b, "mvoi_gateway_kpi_updates_dropped_total", "counter",
               "Updates at or below a total's seq (overlap with a snapshot).");
        gw_buf_printf(b, "mvoi_gateway_kpi_updates_dropped_total %" PRIu64 "\n", cs.dropped);
        s_head(b, "mvoi_gateway_kpi_snapshots_total", "counter", "Snapshots requested from the aggregator.");
        gw_buf_printf(b, "mvoi_gateway_kpi_snapshots_total %" PRIu64 "\n", cs.snapshots);
        s_head(b, "mvoi_gateway_kpi_resyncs_total", "counter",
               "New snapshots taken because the view may have been behind, by reason.");
        for (int i = 0; i < FOLLOW_REFUSED; i++)   /* the whole range is never refused */
            gw_buf_printf(b, "mvoi_gateway_kpi_resyncs_total{reason=\"%s\"} %" PRIu64 "\n",
                          follow_reasons[i], cs.resyncs[i]);
    }
    if (gw->hold)
        s_hold_metrics(gw->hold, b);
    gw_upstream_t *ups[5];
    int n = 0;
    if (gw->cal) ups[n++] = gw->cal;
    if (gw->imp) ups[n++] = gw->imp;
    if (gw->kpi) ups[n++] = gw->kpi;
    if (gw->ntf) ups[n++] = gw->ntf;
    if (gw->rep) ups[n++] = gw->rep;
    s_up_metrics(b, ups, n);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    s_head(b, "mvoi_gateway_cpu_seconds_total", "counter", "CPU time of the gateway process.");
    gw_buf_printf(b, "mvoi_gateway_cpu_seconds_total %.3f\n",
                  (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                  (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    s_head(b, "mvoi_gateway_max_rss_bytes", "gauge", "Peak resident memory of the gateway.");
    gw_buf_printf(b, "mvoi_gateway_max_rss_bytes %ld\n", ru.ru_maxrss * 1024L);
    s_head(b, "mvoi_gateway_start_time_seconds", "gauge", "Start time, Unix seconds.");
    gw_buf_printf(b, "mvoi_gateway_start_time_seconds %" PRIu64 "\n", gw->started_ms / 1000);
}
