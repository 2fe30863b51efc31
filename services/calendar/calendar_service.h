/* calendar service: the handlers of mvoi-calendar (service.c) on the common server.
 *
 * Commands (one write transaction per batch, idempotent by request id): RegisterTender,
 * UpdateTender, UpsertTender, UpsertTenders (up to 1000 upserts with one result each, for
 * imports: service_upsert_batch.c), RecordAmbition, ChangeStatus, CancelTender. Queries: GetTender,
 * ListTenders, UpcomingTenders. Snapshot: every tender as a TenderEvent on topic
 * "tender.snapshot". Events (producer "calendar"): tender.registered, tender.updated,
 * tender.ambition_recorded, tender.status_changed, tender.cancelled, each with the whole tender.
 *
 * Decisions (the rules themselves are in tender_rules.h):
 *  - the tenant is Envelope.buyer, required on every request; tender.buyer must be empty
 *    (filled in) or equal to it. Tenders of other buyers are invisible (not found).
 *  - Update/Upsert replace the caller-editable fields; status, cancel_reason, version and
 *    created_ms are kept from the stored tender (status changes only through ChangeStatus,
 *    CancelTender and RecordAmbition: an Update/Upsert of a stored tender that states another
 *    status or cancel reason is refused, FAILED_PRECONDITION, never silently not taken);
 *    derived fields are recomputed. When the result packs
 *    to the same bytes as the stored tender, nothing is written: outcome UNCHANGED, version
 *    unchanged, no event (this makes re-imports idempotent). Update behaves the same way.
 *  - a tender that is completed or cancelled refuses changes (FAILED_PRECONDITION) unless
 *    the content is unchanged.
 *  - on create an explicit status is kept (imports of tenders already under way); UNSPECIFIED
 *    becomes planned; source defaults to "api". A tender created cancelled has its reason:
 *    RegisterTender/UpsertTender refuse it without one (tender.cancel_reason), UpsertTenders
 *    keeps the fact that the source gave none (cancel_without_reason), as for a cancellation
 *    of a stored tender; replies say it ("geannuleerd door de bron (csv)") in the request's
 *    language, as they do a stored English default of before (tender_cancel.h).
 *  - a recorded ambition stays recorded: a tender at ambition_recorded or later whose ambition
 *    is complete refuses an Update/Upsert/RecordAmbition/import row that leaves a theme in
 *    scope without a commitment (tender_ambition_kept; FAILED_PRECONDITION, tender.themes),
 *    except an import row that cancels it.
 *  - RecordAmbition replaces the themes when it lists any (and the SDGs when it lists any),
 *    sets sroi_pct_bp / sroi_exempt_reason when present and pilot when has_pilot_flag. When the
 *    ambition becomes complete and the tender is planned or kickoff_scheduled, its status moves
 *    to ambition_recorded if tender_transition_allowed permits it (a public tender still
 *    waiting for its kick-off stays planned).
 *  - ChangeStatus to cancelled is refused: CancelTender carries the required reason.
 *  - "today" (threshold period of a tender without planned publication, upcoming default) is
 *    the Europe/Amsterdam calendar date of clock_now_ms().
 *  - error fields are dotted paths prefixed with the body name ("update_tender.tender.cpv",
 *    "change_status.status"); the envelope's buyer is field "buyer".
 *  - error messages are in the request's language, Envelope.lang ("nl" default, "en"; any
 *    other value refused on field "lang" before anything else); UpsertTenders.lang wins
 *    over it. The texts are the catalogue's tender.err.* entries (README.md). */
#ifndef CALENDAR_SERVICE_H
#define CALENDAR_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "bus.h"
#include "server.h"

#define CALENDAR_PRODUCER "calendar"

typedef struct {
    const char *api_endpoint;   /* ROUTER */
    const char *pub_endpoint;   /* PUB */
    const char *state_dir;      /* LMDB environment directory */
    const mvoi_buyers_t *buyers; /* the buyers served (NULL: every valid id) */
    const char *data_files;     /* thresholds-*.csv and isv-risk-groups.csv */
    bool nosync;                /* LMDB without fsync (benchmarks only) */
    uint32_t batch;             /* commands per transaction, 0 = server default */
    uint32_t heartbeat_ms;      /* 0 = server default */
    uint64_t retain_events;     /* outbox keeps the newest N events; 0 = all */
    uint32_t retention_ms;      /* period of the retention pass; 0 = 60000 */
} calendar_opts_t;

typedef struct calendar_svc calendar_svc_t;

/* Load the data files, open the store and bind the sockets. Returns 0, or: -ENOENT/-EINVAL
 * when the data files are missing or malformed (a configuration error: exit 78; err says
 * which file and why), other negative errno for store/socket failures. */
int calendar_svc_new(calendar_svc_t **out, uv_loop_t *loop, bus_ctx_t *bus,
                     const calendar_opts_t *opts, char *err, size_t errlen);
/* Graceful stop: stop taking requests (sockets closed). */
void calendar_svc_stop(calendar_svc_t *self);
void calendar_svc_destroy(calendar_svc_t **self_p);

server_t *calendar_svc_server(calendar_svc_t *self);
uint64_t calendar_svc_head(calendar_svc_t *self);

/* The Europe/Amsterdam date of a Unix time in ms ("YYYY-MM-DD"). */
void calendar_today(int64_t now_ms, char out[11]);

#endif
