/*  nt_service_int: what the files of the notifier service share (not for other modules).
 *
 *  nt_service.c (configuration, lifecycle) owns the object; nt_store.c keeps the reminder
 *  records and their indexes, nt_plan.c turns calendar events into reminders, nt_deliver.c
 *  sends them and records the outcome, nt_api.c answers the ROUTER.
 */
#ifndef MVOI_NT_SERVICE_INT_H
#define MVOI_NT_SERVICE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <lmdb.h>
#include <uv.h>

#include "buyers.h"
#include "bus.h"
#include "feed.h"
#include "inbox.h"
#include "mvoi_id.h"
#include "nt_cal.h"
#include "nt_hooks.h"
#include "nt_msg.h"
#include "nt_rules.h"
#include "nt_send.h"
#include "nt_service.h"
#include "outbox.h"
#include "server.h"
#include "store.h"

#define K(x) MVOI__REMINDER_KIND__REM_##x
#define ST(x) MVOI__DELIVERY_STATE__DELIVERY_##x
#define MAX_RCPT 16

#define NT_MAX_ORGS 64

/* A configured person: "Name <address>" or an address (name NULL). */
typedef struct {
    char *name, *email;
} nt_who_t;

typedef struct {
    char *buyer;
    nt_who_t who;
} nt_org_t;

struct nt_service_t {
    uint64_t grace_ms;          /* readiness: calendar heard from within this */
    uv_loop_t *loop;
    bus_ctx_t *bus;
    store_t *store;
    outbox_t *outbox;
    inbox_t *inbox;
    server_t *server;
    feed_t *feed;
    nt_sender_t *sender;
    nt_cal_t *cal;
    nt_rules_cfg_t rules;
    nt_msg_cfg_t msg;
    nt_hooks_t *hooks;          /* where each buyer's webhook copies go (nt_hooks.h) */
    MDB_dbi rem, due, sending, bytender, tenders, nmeta;
    uv_timer_t tick, clock_timer, drain;
    bool clock_timer_on, stopping, closed;
    char *fake_clock;
    int64_t retry_base, retry_max;
    int64_t retry_lifetime;     /* ms after a copy's first temporary failure: then dead */
    unsigned max_attempts, max_inflight;
    int tick_ms;
    bool unconfirmed_resend;    /* unconfirmed copies: sent again rather than held */
    char *mail_from, *location, *dashboard_url;
    nt_who_t organizer, policy, coord, core;
    nt_org_t orgs[NT_MAX_ORGS];   /* MVOI_NOTIFIER_BUYER_ORGANIZERS (the old way) */
    int norgs;
    const mvoi_buyers_t *buyers;  /* the registry: who is served, and each one's organizer */
    nt_org_t *reg_orgs;           /* the registry's organizers, parsed at start */
    int nreg_orgs;
    uint64_t refused_events;      /* tender events of buyers not in the registry */
    char maildir[4096], journal[4200];
};

/* ---- nt_people.c: configured people and each buyer's organizer. */

/* Parses "Name <address>" or "address" (empty allowed when may_be_empty). */
int nt_people_parse(const char *s, nt_who_t *out, bool may_be_empty);
/* Parses "buyer=Name <address>;buyer2=address". */
int nt_people_orgs(const char *s, nt_org_t *orgs, int max, int *n);
void nt_people_free(nt_who_t *w);
/* The organizer of a buyer: the registry's (key organizer), else the old
 * MVOI_NOTIFIER_BUYER_ORGANIZERS entry, else the configured default. */
const nt_who_t *nt_people_organizer(const nt_service_t *s, const char *buyer);
/* Parse the registry's organizers and reconcile the old setting with them: an entry for a
 * buyer not in the registry, or one that contradicts the registry, is refused (why). */
int nt_people_registry(nt_service_t *s, char *why, size_t whylen);
void nt_people_registry_free(nt_service_t *s);

/* ---- nt_store.c: reminder records (db "rem") with their "due", "sending" and "bytender"
 * indexes, and the per-tender state (db "tenders"). */

/* SCHEDULED or RETRYING: in the "due" index. */
bool nt_store_active(Mvoi__DeliveryState st);
/* SENT, DEAD, CANCELLED or UNCONFIRMED. */
bool nt_store_final(Mvoi__DeliveryState st);
/* 0 with *out (free with mvoi__reminder__free_unpacked), MDB_NOTFOUND, -EIO when the stored
 * bytes are no Reminder, -ENOMEM, or another error. */
int nt_store_get(nt_service_t *s, MDB_txn *txn, const char *id, Mvoi__Reminder **out);
/* A stored value unpacked: 0, -EIO (bytes that are no Reminder) or -ENOMEM. */
int nt_store_unpack(const MDB_val *v, Mvoi__Reminder **out);
/* Does the due index hold r's entry? 1, 0, or an error. */
int nt_store_has_due(nt_service_t *s, MDB_txn *txn, const Mvoi__Reminder *r);
/* The longest reminder id the store keeps: the one the door allows (mvoi_id, reminder id),
 * so that every stored copy can be resent and cancelled. It was 400, and ids of 257..400
 * bytes were stored but refused by every command naming them. With buyer and tender in
 * "bytender" the key stays within LMDB's 511 bytes. */
#define NT_STORE_ID_MAX MVOI_ID_REMINDER_MAX
/* Can a reminder of this buyer and tender be stored under id: a valid reminder id
 * (mvoi_id_check, the one rule) whose keys fit (nt_store_put would not refuse it)? */
bool nt_store_id_fits(const char *buyer, const char *tender, const char *id);
/* Take a reminder out of the store: its record, its index entries and its share of the
 * counts (nt_migrate, which stores it again under another id). */
int nt_store_del(nt_service_t *s, MDB_txn *txn, const char *id);
/* Write a reminder and move its index entries from the stored version's to this one's. */
int nt_store_put(nt_service_t *s, MDB_txn *txn, const Mvoi__Reminder *r);
/* Append a ReminderEvent on topic to the outbox (same transaction). */
int nt_store_emit(nt_service_t *s, MDB_txn *txn, const char *topic, Mvoi__Reminder *r);
const char *nt_store_kind_name(Mvoi__ReminderKind k);
/* The key of a tender's state: buyer NUL tender (-ENAMETOOLONG beyond cap or 511). */
int nt_store_tender_key(char *buf, size_t cap, const char *buyer, const char *tender,
                        MDB_val *out);
int nt_store_load_tender(nt_service_t *s, MDB_txn *txn, const char *buyer, const char *id,
                         Mvoi__NotifierTender **out);
int nt_store_save_tender(nt_service_t *s, MDB_txn *txn, const Mvoi__NotifierTender *nt);
typedef int (nt_store_each_fn)(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, void *arg);
int nt_store_each_of_tender(nt_service_t *s, MDB_txn *txn, const char *buyer,
                            const char *tender, nt_store_each_fn *fn, void *arg);
/* Replace an unpacked reminder's last_error (freed with the message). */
void nt_store_set_error(Mvoi__Reminder *r, const char *why);
/* State CANCELLED with reason why, stored and published (notify.cancelled). */
int nt_store_cancel(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, const char *why);

/* ---- nt_damaged.c: at start, the reminder records that do not decode (logged, counted,
 * out of "due") and those restored since (set dead, for an operator to resend or cancel). */
int nt_damaged_start(nt_service_t *s, MDB_txn *txn);

/* ---- nt_count.c: dead letters and unconfirmed copies, counted in "nmeta". */

/* A copy went from old_state (-1: new record) to now: the counters follow. */
int nt_count_change(nt_service_t *s, MDB_txn *txn, int old_state, Mvoi__DeliveryState now);
/* Counts the records once when the counters do not exist yet (data of an older version). */
int nt_count_init(nt_service_t *s, MDB_txn *txn);
/* A due reminder whose record does not decode was taken out of "due": counted
 * ("n_undecodable"), for HealthReply.undecodable_records. */
int nt_count_undecodable(nt_service_t *s, MDB_txn *txn);
/* The records that do not decode now, counted at start (nt_damaged.c): n_undecodable = n. */
int nt_count_undecodable_set(nt_service_t *s, MDB_txn *txn, uint64_t n);
/* server health_fn: HealthReply.dead_letters, unconfirmed_deliveries, retrying_deliveries,
 * undecodable_records (the records that do not decode now, instead of the server's count
 * of refusals). */
void nt_count_health(void *arg, Mvoi__HealthReply *h);

/* ---- nt_plan.c: reminders from calendar events. */

/* A reminder to create: one record per recipient, id
 * buyer/tender/kind/ordinal/v<version>/<address> (the idempotency key; '/' and '%' inside
 * the parts are %-escaped). */
typedef struct {
    const Mvoi__Tender *t;
    const char *buyer;          /* t->buyer when t is set */
    Mvoi__ReminderKind kind;
    uint32_t ordinal, version;
    int64_t due_ms, meeting_start, meeting_end, now;
    int64_t prev_start, prev_end;               /* an update: the session before */
    uint32_t sequence;
    const char *uid, *title, *reason;
    const char *period_start, *period_end, *deadline;
    const char *about_id, *about_error;         /* delivery_failed */
    bool about_gave_up;                         /* delivery_failed: temporary failures */
    /* delivery_failed: the dead copy's message's other recipients, and those of them whose
     * copy was delivered (stored as attendees and added: the text counts them) */
    Mvoi__Person *const *others;
    size_t n_others;
    Mvoi__Person *const *to;   /* explicit recipients (NULL: by kind) */
    size_t n_to;
    Mvoi__Person *const *added, *const *removed;
    size_t n_added, n_removed;
    /* made again after the people changed: a copy cancelled because its recipient no
     * longer was one (NT_REASON_MOVED) is planned again when they are one again */
    bool revive;
} nt_plan_new_t;

/* Why a copy not yet sent was cancelled when its recipient no longer was one (a new project
 * leader); such a copy is planned again should the person become a recipient again. */
#define NT_REASON_MOVED "rescheduled: no longer a recipient"

/* Creates the reminder's records (and its webhook twin); skips ids that already exist
 * (n->revive: see there). */
int nt_plan_create(nt_service_t *s, MDB_txn *txn, const nt_plan_new_t *n);
/* A copy not yet sent, as the tender is now: the tender it renders (themes still open, the
 * pilot's SDGs, the title), an SDG invitation's attendees, the webhook's recipients, the
 * stored subject; written only when that changes anything. Its id, Message-ID and
 * webhook-id stay: it is the same message, not yet delivered. */
int nt_plan_update(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, const Mvoi__Tender *t);
/* Whom a reminder of this kind goes to for the tender as it is now (out: MAX_RCPT; conf: 3
 * persons the configured ones are written into). Returns how many. */
size_t nt_plan_recipients(nt_service_t *s, const Mvoi__Tender *t, Mvoi__ReminderKind kind,
                          Mvoi__Person *conf, Mvoi__Person **out);
/* Is email among those a reminder of this kind goes to for the tender as it is now? */
bool nt_plan_is_recipient(nt_service_t *s, const Mvoi__Tender *t, Mvoi__ReminderKind kind,
                          const char *email);
/* Who is invited to a tender's kick-off (organizer excluded); persons point into t and the
 * configuration. Returns the number (<= max). */
size_t nt_plan_attendees(nt_service_t *s, const Mvoi__Tender *t, Mvoi__Person *buf,
                         Mvoi__Person **out, size_t max);
/* An escaped id part: '/' -> %2F, '%' -> %25 (-ENAMETOOLONG when it does not fit). */
int nt_plan_esc(char *buf, size_t cap, const char *part);
/* The id of one recipient's copy: "<key>/<address, escaped>", or, when that is no valid
 * reminder id or would not fit the store (nt_store_id_fits: a long tender id and a long
 * address; an address that is not ASCII), "<key>/~<16 hex of SHA-256 of the address>"
 * (the record holds the address itself). -ENAMETOOLONG when not even that fits. */
#define NT_COPY_PART_MAX 18   /* "/~" and 16 hex, and more than NT_WEBHOOK_SUFFIX */
int nt_plan_copy_id(char *id, size_t cap, const char *key, const char *email,
                    const char *buyer, const char *tender);
/* The id a stored reminder has when made now (s_key, nt_plan_copy_id, the webhook's
 * suffix): nt_migrate gives it to a record stored under an id that is no longer valid. */
int nt_plan_record_id(const Mvoi__Reminder *r, char *id, size_t cap);
/* What places a tender's session (its planned publication and title), as hex. */
void nt_plan_fingerprint(const Mvoi__Tender *t, char *buf, size_t len);
/* feed_apply_fn: a calendar TenderEvent (re)plans its tender's reminders. */
int nt_plan_apply(void *arg, MDB_txn *txn, const char *topic, const Mvoi__Envelope *ev);
/* The quarterly report reminder of the first quarter due after `after`. */
int nt_plan_quarter(nt_service_t *s, MDB_txn *txn, int64_t after);
/* store_write fn at start: resend what was in flight, schedule the first quarter. */
int nt_plan_start_txn(MDB_txn *txn, void *arg);

/* ---- nt_migrate.c: data of the previous layout rewritten once at start. */
int nt_migrate(nt_service_t *s, MDB_txn *txn);
/* The id a record stored again by the migration ("ids_256") has now, from the id it had
 * (a dead letter report of before names that one): 0 and id; MDB_NOTFOUND; -ENAMETOOLONG
 * when cap cannot hold it whole. */
int nt_migrate_former(nt_service_t *s, MDB_txn *txn, const char *former, char *id, size_t cap);

/* ---- nt_dead.c: the report of a dead letter to the coordinator. */

/* Plan the report of r's death (a copy of a message by mail, now DEAD) with what the
 * message's other recipients got so far; gave_up: it died of temporary failures. */
int nt_dead_report(nt_service_t *s, MDB_txn *txn, const Mvoi__Reminder *r, int64_t now,
                   bool gave_up);
/* As a report rep is taken to go out: its counts of the other recipients taken again.
 * *wait: some of those copies are being handed over or are due now, so rep waits for
 * their outcome (a bounded while) and is not taken now. Any other reminder: 0, as is. */
int nt_dead_refresh(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *rep, int64_t now,
                    bool *wait);

/* ---- nt_deliver.c: sending. */

/* Record a delivery's outcome (SENT, RETRYING or DEAD) and what it sets in motion. */
int nt_deliver_record(nt_service_t *s, MDB_txn *txn, const char *id, const nt_result_t *res);
/* Look for due reminders now (and then every tick_ms). */
void nt_deliver_kick(nt_service_t *s);

/* ---- nt_api.c: the ROUTER. */

extern const server_route_t nt_api_routes[];
extern const size_t nt_api_nroutes;
bool nt_api_ready(void *arg);

/* ---- nt_service.c */

/* While stopping: close everything once no delivery is in flight. */
void nt_service_maybe_close(nt_service_t *s);

#endif
