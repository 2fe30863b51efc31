/*  nt_service: see nt_service.h. The configuration and the lifecycle; the work is in
 *  nt_store.c (records), nt_plan.c (planning), nt_deliver.c (sending) and nt_api.c
 *  (ROUTER). */
#include "nt_service.h"
#include "nt_service_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "feed.h"
#include "inbox.h"
#include "log.h"
#include "nt_idn.h"
#include "nt_send.h"
#include "outbox.h"
#include "server.h"
#include "store.h"

const cfg_spec_t nt_config_specs[] = {
    { "api", CFG_ENDPOINT, "tcp://127.0.0.1:7401", "ROUTER endpoint (queries, commands, replay)" },
    { "pub", CFG_ENDPOINT, "tcp://127.0.0.1:7402", "PUB endpoint (notify.* events)" },
    { "calendar_api", CFG_ENDPOINT, "tcp://127.0.0.1:7101", "calendar ROUTER (replay)" },
    { "calendar_pub", CFG_ENDPOINT, "tcp://127.0.0.1:7102", "calendar PUB (tender events)" },
    { "smtp_url", CFG_SECRET_URL, "", "smtp://host:587 or smtps://host:465; empty = write .eml files to <data_dir>/notifier/outbox-mail" },
    { "smtp_user", CFG_STRING, "", "SMTP AUTH user (empty = no AUTH)" },
    { "smtp_password", CFG_SECRET, "", "SMTP AUTH password (use MVOI_NOTIFIER_SMTP_PASSWORD_FILE)" },
    { "smtp_starttls", CFG_BOOL, "false", "require STARTTLS" },
    { "mail_from", CFG_STRING, "mvoi-noreply@example.org", "envelope sender (MAIL FROM, Sender:); From: is the buyer's organizer" },
    { "organizer", CFG_STRING, "MVOI-coördinator <mvoi-coordinator@example.org>", "ORGANIZER and From: of invitations (\"Name <address>\" or an address) for buyers without an organizer in the buyer registry" },
    { "buyer_organizers", CFG_STRING, "", "deprecated: the buyer registry's organizer key decides; per buyer \"buyer=Name <address>;buyer2=address\", used only for a buyer the registry gives no organizer, refused when it contradicts the registry" },
    { "policy_adviser", CFG_STRING, "Beleidsadviseur MVOI <beleidsadviseur-mvoi@example.org>", "invited to every kick-off (and SDG dialogues); \"Name <address>\" or an address" },
    { "mvoi_coordinator", CFG_STRING, "MVOI-coördinator <mvoi-coordinator@example.org>", "invited to every kick-off and SDG dialogue, told about late kick-offs and dead letters" },
    { "core_team", CFG_STRING, "Kernteam MVOI <mvoi-kernteam@example.org>", "quarterly KPI-report reminder; empty = none" },
    { "dashboard_url", CFG_STRING, "http://127.0.0.1:8080/", "dashboard link in reminders" },
    { "location", CFG_STRING, "", "LOCATION of kick-off sessions (e.g. a room or a meeting link)" },
    { "webhooks_file", CFG_STRING, "", "a webhook per buyer: INI, one [buyer] section each with url (or url_file), secret (or secret_file) and template; mode 0600/0640; a buyer without a section gets no webhook copy (services/notifier/README.md#webhooks)" },
    { "webhook_url", CFG_SECRET_URL, "", "one webhook for the deployment (empty = none), for the buyers webhook_buyers names and the reminders of no buyer (the quarterly report)" },
    { "webhook_buyers", CFG_STRING, "", "whose reminders webhook_url receives: * (every buyer without a section in webhooks_file) or buyer ids separated by commas; left empty, webhook_url is refused unless the buyer registry serves exactly one buyer" },
    { "webhook_secret", CFG_SECRET, "", "Standard Webhooks secret of webhook_url (whsec_<base64> or raw)" },
    { "webhook_template", CFG_STRING, "plain", "plain, teams (Workflows Adaptive Card) or slack: webhook_url's, and that of a webhooks_file section without one" },
    { "lang", CFG_STRING, "nl", "language of mails: nl or en" },
    { "holidays", CFG_STRING, "", "holiday exceptions CSV (the public holidays are computed); empty = the shipped data/holidays-nl.csv" },
    { "liberation_day", CFG_STRING, "every_year", "Bevrijdingsdag (5 May) without meetings: every_year, lustrum (2025, 2030, ...) or never" },
    { "ambition_start", CFG_STRING, "kickoff", "first ambition reminder counted from: kickoff (the session; registration without one) or registration" },
    { "kickoff_min_lead_days", CFG_INT, "10", "a kick-off fewer than this many days before the planned publication is flagged to the coordinator", 0, 365 },
    { "measurement_deadline_days", CFG_INT, "30", "measurements are due this many days after their period", 1, 365 },
    { "sdg_invite_days_before", CFG_INT, "10", "SDG-dialogue invitations go out this many working days before", 0, 60 },
    { "kickoff_lead_days", CFG_INT, "21", "kick-off this many days before planned publication", 0, 365 },
    { "kickoff_hour", CFG_INT, "10", "kick-off start hour (Europe/Amsterdam)", 8, 16 },
    { "kickoff_minutes", CFG_INT, "60", "kick-off duration", 15, 480 },
    { "reminder_days_before", CFG_INT, "2", "kick-off reminder, working days before (0 = none)", 0, 30 },
    { "reminder_hour", CFG_INT, "9", "hour at which reminders go out", 7, 17 },
    { "ambition_reminder_interval_days", CFG_INT, "7", "days between ambition reminders", 1, 365 },
    { "escalation_after_reminders", CFG_INT, "2", "escalate to the budget holder after this many", 0, 100 },
    { "ambition_max_reminders", CFG_INT, "10", "stop ambition reminders after this many", 1, 1000 },
    { "measurement_interval_months", CFG_INT, "3", "measurement period (3 = calendar quarters)", 1, 12 },
    { "alarm_minutes", CFG_INT, "15", "VALARM before the kick-off", 0, 1440 },
    { "retry_base_ms", CFG_INT, "5000", "first retry cap of a temporary failure (full jitter, doubling)", 10, 3600000 },
    { "retry_max_ms", CFG_INT, "3600000", "retry cap (postfix maximal_backoff_time: about 1 h)", 10, 86400000 },
    { "retry_lifetime_hours", CFG_INT, "120", "temporary failures (no connection, SMTP 4xx, HTTP 5xx/429) are retried this long after the first, then dead and reported; SMTP 5xx is dead at once (postfix: 5 days)", 1, 2160 },
    { "max_attempts", CFG_INT, "0", "attempts before a notification is dead (0 = retry_lifetime_hours decides)", 0, 100000 },
    { "unconfirmed", CFG_STRING, "hold", "a copy whose end of DATA went out without an answer (crash, broken connection): hold (state unconfirmed, not sent again: no duplicate) or resend (RFC 5321: a duplicate if the server had stored it)" },
    { "max_inflight", CFG_INT, "8", "concurrent deliveries", 1, 256 },
    { "tick_ms", CFG_INT, "1000", "how often due reminders are looked for", 10, 60000 },
    { "upstream_grace_ms", CFG_INT, "10000",
      "not ready (--healthcheck=ready fails) when the calendar is silent this long",
      100, 3600000 },
    { "fake_clock_file", CFG_STRING, "", "TEST HOOK: file holding the current time in Unix ms, re-read every 20 ms; never set in production" },
};
const int nt_config_count = sizeof nt_config_specs / sizeof nt_config_specs[0];

static void s_committed(void *arg)
{
    nt_service_t *s = arg;
    nt_deliver_kick(s);   /* the server publishes what the batch appended */
}

/* ------------------------------------------------------------------ test clock */

static void s_read_clock(nt_service_t *s)
{
    FILE *f = fopen(s->fake_clock, "r");
    if (!f)
        return;
    long long v = 0;
    if (fscanf(f, "%lld", &v) == 1 && v > 0)
        clock_set_fixed(v);
    fclose(f);
}

static void s_on_clock(uv_timer_t *t) { s_read_clock(t->data); }

/* ------------------------------------------------------------------ lifecycle */

static char *s_cfgdup(cfg_t *cfg, const char *key) { return strdup(cfg_str(cfg, key)); }

/* Scheduling rules from the configuration. 0 or -1 with why filled. */
static int s_config_rules(nt_service_t *s, cfg_t *cfg, nt_liberation_t *lib, char *why,
                          size_t whylen)
{
    nt_rules_defaults(&s->rules);
    s->rules.kickoff_lead_days = (int)cfg_int(cfg, "kickoff_lead_days");
    s->rules.kickoff_hour = (int)cfg_int(cfg, "kickoff_hour");
    s->rules.kickoff_minutes = (int)cfg_int(cfg, "kickoff_minutes");
    s->rules.reminder_days_before = (int)cfg_int(cfg, "reminder_days_before");
    s->rules.reminder_hour = (int)cfg_int(cfg, "reminder_hour");
    s->rules.ambition_interval_days = (int)cfg_int(cfg, "ambition_reminder_interval_days");
    s->rules.escalation_after = (int)cfg_int(cfg, "escalation_after_reminders");
    s->rules.ambition_max = (int)cfg_int(cfg, "ambition_max_reminders");
    s->rules.measurement_months = (int)cfg_int(cfg, "measurement_interval_months");
    s->rules.kickoff_min_lead_days = (int)cfg_int(cfg, "kickoff_min_lead_days");
    s->rules.measurement_deadline_days = (int)cfg_int(cfg, "measurement_deadline_days");
    s->rules.sdg_invite_days = (int)cfg_int(cfg, "sdg_invite_days_before");
    if (nt_rules_start_parse(cfg_str(cfg, "ambition_start"), &s->rules.ambition_after_kickoff)) {
        snprintf(why, whylen, "ambition_start: must be kickoff or registration");
        return -1;
    }
    const char *unc = cfg_str(cfg, "unconfirmed");
    if (strcmp(unc, "hold") != 0 && strcmp(unc, "resend") != 0) {
        snprintf(why, whylen, "unconfirmed: must be hold or resend");
        return -1;
    }
    s->unconfirmed_resend = strcmp(unc, "resend") == 0;
    if (nt_liberation_parse(cfg_str(cfg, "liberation_day"), lib) != 0) {
        snprintf(why, whylen, "liberation_day: must be every_year, lustrum or never");
        return -1;
    }
    return 0;
}

/* The webhooks, per buyer (nt_hooks.h): after the registry, which they are checked
 * against. 0 or -1 with why. */
static int s_config_hooks(nt_service_t *s, cfg_t *cfg, char *why, size_t whylen)
{
    nt_hooks_opts_t ho = { .url = cfg_str(cfg, "webhook_url"),
                           .secret = cfg_str(cfg, "webhook_secret"),
                           .template_name = cfg_str(cfg, "webhook_template"),
                           .buyers = cfg_str(cfg, "webhook_buyers"),
                           .file = cfg_str(cfg, "webhooks_file") };
    s->hooks = nt_hooks_new(&ho, s->buyers, why, whylen);
    if (!s->hooks)
        return -1;
    const char *list = cfg_str(cfg, "webhook_buyers");
    log_info("webhooks", "%zu buyers with a webhook of their own%s%s%s",
             nt_hooks_count(s->hooks), *ho.url ? "; webhook_url for " : "",
             *ho.url ? (*list ? list : "the one buyer") : "",
             *ho.url && strcmp(list, "*") == 0 ? " (every buyer without its own)" : "");
    return 0;
}

/* mail_from as every mail carries it (MAIL FROM, Sender:, the Message-ID's domain): its
 * domain in A-labels (nt_idn), so that it needs no SMTPUTF8; one with no A-label form
 * stops the start, named. 0 or -1 with why. */
static int s_mail_from_ascii(nt_service_t *s, char *why, size_t whylen)
{
    char addr[NT_IDN_ADDR_MAX], idn_why[NT_IDN_WHY_MAX] = "";
    int rc = nt_idn_address(s->mail_from, addr, sizeof addr, idn_why, sizeof idn_why);
    if (rc == -ENOSPC)
        snprintf(idn_why, sizeof idn_why, "longer than %d bytes with its domain in A-labels",
                 NT_IDN_ADDR_MAX - 1);
    if (rc) {
        snprintf(why, whylen, "mail_from: %s", rc == -ENOMEM ? "out of memory" : idn_why);
        return -1;
    }
    char *dup = strdup(addr);
    if (!dup) {
        snprintf(why, whylen, "mail_from: out of memory");
        return -1;
    }
    free(s->mail_from);
    s->mail_from = dup;
    return 0;
}

/* Messages, people and delivery settings from the configuration. 0 or -1 with why. */
static int s_config_messages(nt_service_t *s, cfg_t *cfg, char *why, size_t whylen)
{
    if (text_lang_parse(cfg_str(cfg, "lang"), &s->msg.lang) != 0) {
        snprintf(why, whylen, "lang: must be nl or en");
        return -1;
    }
    s->mail_from = s_cfgdup(cfg, "mail_from");
    s->location = s_cfgdup(cfg, "location");
    s->dashboard_url = s_cfgdup(cfg, "dashboard_url");
    if (!strchr(s->mail_from, '@')) {
        snprintf(why, whylen, "mail_from: must be an e-mail address");
        return -1;
    }
    if (!nt_msg_domain_ok(s->mail_from)) {
        snprintf(why, whylen, "mail_from: the domain is longer than %d characters",
                 NT_MSG_DOMAIN_MAX);
        return -1;
    }
    if (s_mail_from_ascii(s, why, whylen) != 0)
        return -1;
    if (nt_people_parse(cfg_str(cfg, "organizer"), &s->organizer, false) ||
        nt_people_parse(cfg_str(cfg, "policy_adviser"), &s->policy, true) ||
        nt_people_parse(cfg_str(cfg, "mvoi_coordinator"), &s->coord, true) ||
        nt_people_parse(cfg_str(cfg, "core_team"), &s->core, true)) {
        snprintf(why, whylen, "organizer/policy_adviser/mvoi_coordinator/core_team: must be "
                 "\"Name <address>\" or an address");
        return -1;
    }
    if (nt_people_orgs(cfg_str(cfg, "buyer_organizers"), s->orgs, NT_MAX_ORGS, &s->norgs)) {
        snprintf(why, whylen, "buyer_organizers: must be \"buyer=Name <address>;...\" "
                 "(at most %d buyers)", NT_MAX_ORGS);
        return -1;
    }
    int rc = nt_people_registry(s, why, whylen);
    if (rc == -ENOMEM)
        snprintf(why, whylen, "buyers_file: out of memory");
    if (rc)
        return -1;
    s->msg.mail_from = s->mail_from;
    s->msg.dashboard_url = s->dashboard_url;
    s->msg.location = s->location;
    s->msg.alarm_minutes = (int)cfg_int(cfg, "alarm_minutes");
    s->msg.min_lead_days = s->rules.kickoff_min_lead_days;
    s->retry_base = cfg_int(cfg, "retry_base_ms");
    s->retry_max = cfg_int(cfg, "retry_max_ms");
    s->max_attempts = (unsigned)cfg_int(cfg, "max_attempts");
    s->retry_lifetime = (int64_t)cfg_int(cfg, "retry_lifetime_hours") * 3600000;
    s->max_inflight = (unsigned)cfg_int(cfg, "max_inflight");
    s->tick_ms = (int)cfg_int(cfg, "tick_ms");
    s->grace_ms = (uint64_t)cfg_int(cfg, "upstream_grace_ms");
    return s_config_hooks(s, cfg, why, whylen);
}

/* The test hook: a clock read from a file, polled. */
static void s_fake_clock(nt_service_t *s, cfg_t *cfg)
{
    const char *fc = cfg_str(cfg, "fake_clock_file");
    if (!fc || !*fc)
        return;
    s->fake_clock = strdup(fc);
    log_warn("fake_clock", "TEST HOOK: the clock is read from %s", fc);
    s_read_clock(s);
    uv_timer_init(s->loop, &s->clock_timer);
    s->clock_timer.data = s;
    uv_timer_start(&s->clock_timer, s_on_clock, 20, 20);
    s->clock_timer_on = true;
}

/* The holiday calendar (the configured file, else the shipped one from the source tree or
 * the installation). The number of exceptions, or -1 with why filled. */
static int s_holidays(nt_service_t *s, cfg_t *cfg, nt_liberation_t lib, char *why,
                      size_t whylen)
{
    s->cal = nt_cal_new();
    nt_cal_set_liberation(s->cal, lib);
    const char *hol = cfg_str(cfg, "holidays");
    char holpath[4096];
    snprintf(holpath, sizeof holpath, "%s", hol && *hol ? hol : MVOI_NOTIFIER_DATA_DIR_SRC "/holidays-nl.csv");
    int nh = nt_cal_load(s->cal, holpath);
    if (nh < 0 && !(hol && *hol)) {
        snprintf(holpath, sizeof holpath, "%s", MVOI_NOTIFIER_DATA_DIR_INSTALL "/holidays-nl.csv");
        nh = nt_cal_load(s->cal, holpath);
    }
    if (nh < 0) {
        snprintf(why, whylen, "holidays: cannot read %s: %s", holpath, strerror(-nh));
        return -1;
    }
    return nh;
}

/* The store, its databases, outbox and inbox. 0 or -1 with *err and why. */
static int s_open_store(nt_service_t *s, const char *data_dir, int *err, char *why,
                        size_t whylen)
{
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, INBOX_DBS, "rem", "due", "sending",
                                       "bytender", "tenders", "nmeta", NULL };
    store_opts_t so = { .path = data_dir, .dbs = dbs };
    s->store = store_new(&so, err);
    if (!s->store) {
        snprintf(why, whylen, "data_dir: cannot open %s", data_dir);
        return -1;
    }
    s->rem = store_dbi(s->store, "rem");
    s->due = store_dbi(s->store, "due");
    s->sending = store_dbi(s->store, "sending");
    s->bytender = store_dbi(s->store, "bytender");
    s->tenders = store_dbi(s->store, "tenders");
    s->nmeta = store_dbi(s->store, "nmeta");
    s->outbox = outbox_new(s->store, "notifier", err);
    s->inbox = s->outbox ? inbox_new(s->store, err) : NULL;
    if (!s->inbox) {
        snprintf(why, whylen, "data_dir: cannot open the outbox/inbox");
        return -1;
    }
    snprintf(s->maildir, sizeof s->maildir, "%s/outbox-mail", data_dir);
    snprintf(s->journal, sizeof s->journal, "%s/sent.journal", data_dir);
    return 0;
}

/* Delivery, the server, the start-up transaction and the calendar feed. 0 or -1 with *err
 * and why. */
static int s_start(nt_service_t *s, bus_ctx_t *bus, cfg_t *cfg, int *err, char *why,
                   size_t whylen)
{
    nt_send_opts_t sopts = {
        .smtp_url = cfg_str(cfg, "smtp_url"), .smtp_user = cfg_str(cfg, "smtp_user"),
        .smtp_password = cfg_str(cfg, "smtp_password"),
        .smtp_starttls = cfg_bool(cfg, "smtp_starttls"), .mail_from = s->mail_from,
        .maildir = s->maildir, .journal = s->journal,
    };
    s->sender = nt_sender_new(s->loop, &sopts, err);
    if (!s->sender) {
        snprintf(why, whylen, "smtp_url: cannot set up delivery (%s)", s->maildir);
        return -1;
    }
    server_opts_t o = { .name = "notifier", .api_endpoint = cfg_str(cfg, "api"),
                        .pub_endpoint = cfg_str(cfg, "pub"), .store = s->store,
                        .outbox = s->outbox, .routes = nt_api_routes,
                        .nroutes = nt_api_nroutes, .arg = s,
                        .heartbeat_ms = 1000, .ready_fn = nt_api_ready,
                        .health_fn = nt_count_health, .buyers = s->buyers };
    s->server = server_new(s->loop, bus, &o, err);
    if (!s->server) {
        snprintf(why, whylen, "api: cannot bind %s / %s", o.api_endpoint, o.pub_endpoint);
        return -1;
    }
    /* After the server: what the start-up transaction emits goes through it. */
    if ((*err = store_write(s->store, nt_plan_start_txn, s)) != 0) {
        snprintf(why, whylen, "data_dir: start-up transaction failed");
        return -1;
    }
    nt_sender_journal_reset(s->sender);   /* reconciled and committed */
    feed_opts_t fo = { .producer = "calendar", .pub_endpoint = cfg_str(cfg, "calendar_pub"),
                       .api_endpoint = cfg_str(cfg, "calendar_api"), .apply = nt_plan_apply,
                       .committed = s_committed, .arg = s, .stall_ms = 1000 };
    s->feed = feed_new(s->loop, bus, s->store, s->inbox, &fo, err);
    if (!s->feed) {
        snprintf(why, whylen, "calendar_api: cannot follow the calendar");
        return -1;
    }
    server_add_feed(s->server, s->feed);
    return 0;
}

nt_service_t *nt_service_new(uv_loop_t *loop, bus_ctx_t *bus, cfg_t *cfg, const char *data_dir,
                             const mvoi_buyers_t *buyers, int *err, char *why, size_t whylen)
{
    nt_service_t *s = calloc(1, sizeof *s);
    if (!s) {
        *err = -ENOMEM;
        return NULL;
    }
    s->loop = loop;
    s->bus = bus;
    s->buyers = buyers;
    *err = -EINVAL;
    nt_liberation_t lib;
    if (s_config_rules(s, cfg, &lib, why, whylen) < 0 ||
        s_config_messages(s, cfg, why, whylen) < 0)
        goto fail;
    s_fake_clock(s, cfg);
    int nh = s_holidays(s, cfg, lib, why, whylen);
    if (nh < 0 || s_open_store(s, data_dir, err, why, whylen) < 0 ||
        s_start(s, bus, cfg, err, why, whylen) < 0)
        goto fail;
    uv_timer_init(loop, &s->tick);
    s->tick.data = s;
    uv_timer_init(loop, &s->drain);
    s->drain.data = s;
    nt_deliver_kick(s);
    log_info("started", "notifier on %s / %s, mail via %s%s, holidays computed, %d exceptions",
             server_api_endpoint(s->server), server_pub_endpoint(s->server),
             nt_sender_uses_smtp(s->sender) ? "SMTP" : "files in ",
             nt_sender_uses_smtp(s->sender) ? "" : s->maildir, nh);
    *err = 0;
    return s;
fail:
    if (*err == 0)
        *err = -EINVAL;
    nt_service_stop(s);
    nt_service_destroy(&s);
    return NULL;
}

static void s_close_all(nt_service_t *s)
{
    if (s->closed)
        return;
    s->closed = true;
    if (s->tick.data) {
        uv_timer_stop(&s->tick);
        uv_close((uv_handle_t *)&s->tick, NULL);
        uv_timer_stop(&s->drain);
        uv_close((uv_handle_t *)&s->drain, NULL);
    }
    if (s->clock_timer_on) {
        uv_timer_stop(&s->clock_timer);
        uv_close((uv_handle_t *)&s->clock_timer, NULL);
        s->clock_timer_on = false;
    }
    nt_sender_destroy(&s->sender);
    feed_destroy(&s->feed);
    server_destroy(&s->server);
}

void nt_service_maybe_close(nt_service_t *s)
{
    if (!s->sender || nt_sender_inflight(s->sender) == 0)
        s_close_all(s);
}

static void s_on_drain(uv_timer_t *t)
{
    nt_service_t *s = t->data;
    log_warn("drain_timeout", "%u deliveries still in flight at stop; they are sent again "
             "after the restart", s->sender ? nt_sender_inflight(s->sender) : 0);
    s_close_all(s);
}

void nt_service_stop(nt_service_t *s)
{
    if (!s || s->stopping)
        return;
    s->stopping = true;
    feed_destroy(&s->feed);   /* stop taking events */
    if (s->tick.data)
        uv_timer_stop(&s->tick);
    if (s->sender && nt_sender_inflight(s->sender) > 0 && s->drain.data) {
        uv_timer_start(&s->drain, s_on_drain, 5000, 0);
        return;
    }
    s_close_all(s);
}

void nt_service_destroy(nt_service_t **self_p)
{
    nt_service_t *s = *self_p;
    if (!s)
        return;
    *self_p = NULL;
    outbox_destroy(&s->outbox);
    inbox_destroy(&s->inbox);
    store_destroy(&s->store);
    nt_cal_destroy(&s->cal);
    nt_hooks_destroy(&s->hooks);
    free(s->fake_clock);
    free(s->mail_from);
    free(s->location);
    free(s->dashboard_url);
    nt_people_free(&s->organizer);
    nt_people_registry_free(s);
    nt_people_free(&s->policy);
    nt_people_free(&s->coord);
    nt_people_free(&s->core);
    for (int i = 0; i < s->norgs; i++) {
        free(s->orgs[i].buyer);
        nt_people_free(&s->orgs[i].who);
    }
    free(s);
}
