/*  nt_service: the notifier service object (everything but main).
 *
 *  State (LMDB, <data_dir>/notifier): db "rem" reminder id -> Reminder, one record per
 *  recipient (id buyer/tender/kind/ordinal/v<version>/<address>); db "due" (be64 due ms ++
 *  id) -> "" for SCHEDULED/RETRYING reminders; db "sending" id -> "" for reminders handed to
 *  a channel whose outcome is not yet recorded; db "bytender" (buyer ++ 0 ++ tender ++ 0 ++
 *  id) -> ""; db "tenders" (buyer ++ 0 ++ tender) -> NotifierTender; db "nmeta" ("layout",
 *  "qr", and the counts "n_dead", "n_unconfirmed" kept by every write of a reminder); plus
 *  the plumbing's inbox (calendar cursor), outbox (ReminderEvents) and request log.
 *  <data_dir>/notifier/sent.journal: per SMTP copy in flight, "E id" when its end of DATA
 *  goes out, "A id" / "R id" when the server accepted / refused it (see README.md).
 *
 *  Flow: the feed applies calendar TenderEvents and (re)plans reminders in the same
 *  transaction as the inbox cursor. A libuv timer (tick_ms) takes due reminders in one
 *  write transaction (state SENDING, attempts + 1), hands them to a channel, and records
 *  the outcome in a second transaction: SENT only after the server accepted the message,
 *  RETRYING with backoff, DEAD, or UNCONFIRMED (end of DATA sent, no answer: held, not
 *  sent again). Each change is published (notify.scheduled, notify.sent, notify.failed,
 *  notify.dead, notify.unconfirmed, notify.cancelled).
 *
 *  After a crash (README.md, "Exactly once"): a copy the journal shows accepted is SENT; one
 *  whose end of DATA went out is UNCONFIRMED (MVOI_NOTIFIER_UNCONFIRMED=resend: sent
 *  again); the others never reached a server whole and are sent again with the same
 *  Message-ID / webhook-id / file name. Webhooks are not journalled: a crash after the
 *  receiver took one and before the commit sends it again (same Idempotency-Key).
 *  Nothing else can duplicate: the idempotency key (buyer/tender/kind/ordinal/version/
 *  recipient) is the record's id.
 */
#ifndef MVOI_NT_SERVICE_H
#define MVOI_NT_SERVICE_H

#include <stdbool.h>
#include <uv.h>
#include "bus.h"
#include "buyers.h"
#include "config.h"
#include "nt_msg.h"
#include "nt_rules.h"

typedef struct nt_service_t nt_service_t;

extern const cfg_spec_t nt_config_specs[];
extern const int nt_config_count;

/* Builds the service from its configuration; data_dir is "<data_dir>/notifier"; buyers is
 * the registry (service_buyers): requests and tender events of other buyers are refused,
 * and each buyer's organizer comes from it. */
nt_service_t *nt_service_new(uv_loop_t *loop, bus_ctx_t *bus, cfg_t *cfg, const char *data_dir,
                             const mvoi_buyers_t *buyers, int *err, char *why, size_t whylen);
/* Graceful stop: stop taking events, wait (bounded) for sends in flight, close. */
void nt_service_stop(nt_service_t *self);
void nt_service_destroy(nt_service_t **self_p);

#endif
