/*  mvoictl health: ask every service (or one) for its HealthReply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "pbjson.h"

static const char *s_services[] = { "calendar", "impact", "kpi", "notifier", "report" };

/* One line per producer a consumer follows: where its cursor stands, the producer's head
 * it last heard of, how far behind, and how often it had to resynchronise or rebuild. */
static void s_print_inbox(const Mvoi__InboxLag *l)
{
    uint64_t lag = l->head_seq > l->last_seq ? l->head_seq - l->last_seq : 0;
    char lagtxt[24];
    /* while rebuilding, the cursor may be a seq of a history the producer lost: a lag of 0
     * against the new head would say "current" of totals that are not */
    if (l->rebuilding)
        snprintf(lagtxt, sizeof lagtxt, "-");
    else
        snprintf(lagtxt, sizeof lagtxt, "%llu", (unsigned long long)lag);
    printf("  <- %-9s cursor=%llu producer_head=%llu lag=%s resyncs=%llu rebuilds=%llu",
           l->producer ? l->producer : "?", (unsigned long long)l->last_seq,
           (unsigned long long)l->head_seq, lagtxt, (unsigned long long)l->resyncs,
           (unsigned long long)l->rebuilds);
    if (l->rebuild_reason && *l->rebuild_reason)
        printf(" last_rebuild=%s", l->rebuild_reason);
    if (l->rebuild_failures)
        printf(" rebuild_failures=%llu", (unsigned long long)l->rebuild_failures);
    if (l->rebuilding)
        printf(" REBUILDING");
    printf("\n");
}

/* One reachable service's line, and its inboxes in detail. */
static void s_print_human(const char *svc, const Mvoi__HealthReply *h)
{
    printf("%-10s %-6s %s head=%llu backlog=%llu map=%llu/%llu KiB", svc,
           h->ready ? "ready" : (h->live ? "live" : "DOWN"), ctl_endpoint(svc),
           (unsigned long long)h->head_seq, (unsigned long long)h->outbox_backlog,
           (unsigned long long)h->map_used / 1024, (unsigned long long)h->map_size / 1024);
    if (h->auth_refused)   /* CURVE keys refused since start (docs/design.md#access) */
        printf(" refused=%llu", (unsigned long long)h->auth_refused);
    if (h->has_storage_ok && !h->storage_ok)
        printf(" storage=%s", h->storage_error ? h->storage_error : "failing");
    if (h->undecodable_records)   /* answers refused for a damaged record: its log names it */
        printf(" undecodable=%llu", (unsigned long long)h->undecodable_records);
    if (h->has_dead_letters)   /* the notifier */
        printf(" dead_letters=%llu unconfirmed=%llu", (unsigned long long)h->dead_letters,
               (unsigned long long)h->unconfirmed_deliveries);
    if (h->has_retrying_deliveries)   /* a relay down shows here days before dead letters */
        printf(" retrying=%llu", (unsigned long long)h->retrying_deliveries);
    for (size_t i = 0; i < h->n_inbox; i++)   /* a consumer: applied/head per producer */
        printf(" %s=%llu/%llu", h->inbox[i]->producer ? h->inbox[i]->producer : "?",
               (unsigned long long)h->inbox[i]->last_seq,
               (unsigned long long)h->inbox[i]->head_seq);
    printf("\n");
    for (size_t i = 0; i < h->n_inbox; i++)   /* ... and in detail */
        s_print_inbox(h->inbox[i]);
}

/* --json: one element of the one array printed at the end (one object per service printed
 * as it came was five concatenated documents, which no JSON reader takes):
 * {"service", "endpoint", "up", "health": the HealthReply, absent when down}. With one
 * service named, only its HealthReply is printed (or, down, its entry). */
static void s_json_entry(json_t *all, const char *svc, const Mvoi__HealthReply *h)
{
    json_t *o = json_object();
    const char *ep = ctl_endpoint(svc);
    json_object_set_new(o, "service", json_string(svc));
    json_object_set_new(o, "endpoint", ep ? json_string(ep) : json_null());
    json_object_set_new(o, "up", json_boolean(h != NULL));
    if (h)
        json_object_set_new(o, "health", pbjson_encode(&h->base, 0));
    json_array_append_new(all, o);
}

/* Ask svc; a line (or an element of json when not NULL). *all_ok false unless ready;
 * *refused true when the service refused our CURVE key (its health is then unknown, and
 * the exit is 77 as for every command, not 69 "not ready"). */
static void s_health_one(ctl_t *ctl, const char *svc, json_t *json, bool *all_ok,
                         bool *refused)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    req.health = &hr;
    Mvoi__Envelope *r = NULL;
    int saved = ctl->timeout_ms;
    if (ctl->timeout_ms > 2000)
        ctl->timeout_ms = 2000;
    int ex = ctl_call(ctl, svc, &req, &r);
    ctl->timeout_ms = saved;
    if (ex == EX_NOPERM)
        *refused = true;
    const Mvoi__HealthReply *h = ex == 0 && r->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY
                                     ? r->health_reply : NULL;
    if (json)
        s_json_entry(json, svc, h);
    else if (h)
        s_print_human(svc, h);
    else
        printf("%-10s %-6s %s\n", svc, "DOWN", ctl_endpoint(svc));
    if (!h || !h->ready)
        *all_ok = false;
    ctl_free(&r);
}

static int s_health(ctl_t *ctl, int argc, char **argv)
{
    bool ok = true, refused = false;
    /* A name with no endpoint (a typo, "kpi-aggregator") is the caller's mistake: it was
     * asked as a service, shown "DOWN (null)" and exit 69, so a check with a typo reported
     * an outage for ever. Refused by name before any service is asked. */
    for (int i = 1; i < argc; i++)
        if (!ctl_endpoint(argv[i]))
            return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.unknown_service", argv[i]);
    json_t *json = ctl->json ? json_array() : NULL;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            s_health_one(ctl, argv[i], json, &ok, &refused);
    } else {
        for (size_t i = 0; i < sizeof s_services / sizeof s_services[0]; i++)
            s_health_one(ctl, s_services[i], json, &ok, &refused);
    }
    /* One service named: its HealthReply itself, as scripts read it (`... health kpi | jq
     * .ready`); down, the entry saying so. */
    json_t *one = json && argc == 2 ? json_array_get(json, 0) : NULL;
    json_t *doc = one && json_object_get(one, "health") ? json_object_get(one, "health")
                : one ? one : json;
    if (json) {
        char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s) {
            puts(s);
            free(s);
        }
        json_decref(json);
    }
    return refused ? EX_NOPERM : ok ? CTL_EX_OK : CTL_EX_UNAVAILABLE;
}

const ctl_cmd_t ctl_system_cmds[] = {
    { "health", "[SERVICE...]",
      "health of every service (exit 69 if one is not ready, 77 if one refused the key)",
      s_health },
    { NULL },
};
