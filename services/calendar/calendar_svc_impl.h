/* calendar_svc_impl: what the handler files of mvoi-calendar share (service.c: the single
 * commands and queries; service_upsert_batch.c: UpsertTenders). Not part of the API. */
#ifndef CALENDAR_SVC_IMPL_H
#define CALENDAR_SVC_IMPL_H

#include <lmdb.h>

#include "calendar_service.h"
#include "calendar_store.h"
#include "isv_map.h"
#include "outbox.h"
#include "server.h"
#include "store.h"
#include "text.h"
#include "tender_rules.h"
#include "thresholds.h"

/* Most tenders in one UpsertTenders (the envelope's 1 MiB limit allows about 3000 typical
 * ones; 1000 keeps a refusal message and the reply small). */
#define CALENDAR_UPSERT_BATCH_MAX 1000

struct calendar_svc {
    store_t *store;
    outbox_t *outbox;
    server_t *server;
    calendar_store_t cs;
    thresholds_t *th;
    isv_map_t *isv;
    uint8_t *scratch;     /* pack buffer of the batch handler, grown as needed */
    size_t scratch_cap;
};

/* The tenant of the request; NULL after an error reply. Checks the request's language
 * (Envelope.lang, field "lang") first, so every later refusal can be in it: every handler
 * calls this before it refuses anything else. */
const char *calendar_svc_buyer(server_req_t *req);


/* The request's language (Envelope.lang; Dutch when unset, or not valid: that one was
 * refused by calendar_svc_buyer). A body's own lang (UpsertTenders.lang) wins over it. */
text_lang_t calendar_svc_lang(server_req_t *req);

/* server_error with fmt, the English text of a catalogue "tender.err." entry (textfmt.h),
 * in lang: the same words as the rule's refusal in the import. */
int calendar_svc_error(server_req_t *req, text_lang_t lang, int code, const char *field,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define S_INVALID MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT
#define S_NOTFOUND MVOI__ERROR_CODE__ERR_NOT_FOUND
#define S_PRECOND MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION
/* A refusal in the request's language (fmt: a catalogue "tender.err." English text). */
#define S_ERR(req, code, field, ...) \
    calendar_svc_error((req), calendar_svc_lang(req), (code), (field), __VA_ARGS__)

/* Read the stored tender (heap copy) of buyer/id; *out NULL when there is none. packed (may
 * be NULL) gets the stored bytes (valid until the transaction writes). MVOI_E_UNDECODABLE
 * (logged) when the stored bytes are no Tender, -ENOMEM, or a store error. */
int calendar_svc_load(calendar_svc_t *self, MDB_txn *txn, const char *buyer, const char *id,
                      Mvoi__Tender **out, MDB_val *packed);

/* The tender to store from the caller's tender `in` and the stored one (old, may be NULL):
 * buyer filled in, status and cancel reason kept, derived fields recomputed (the caller
 * checks tender_ambition_kept: an import's cancellation is not held up by it). A new tender that arrives cancelled without a reason
 * keeps that fact (cancel_without_reason) when by_source (an import), or is refused
 * otherwise (field tender.cancel_reason). Returns 0 with *out (heap), -EINVAL with e filled
 * (field relative to the request's tender: "tender.cpv"), or -ENOMEM. */
int calendar_svc_prepare(calendar_svc_t *self, const char *buyer, const Mvoi__Tender *in,
                         const Mvoi__Tender *old, const char *today, bool by_source,
                         Mvoi__Tender **out, tender_error_t *e);

/* Append the event of t (kind; old = the stored tender before, or NULL) to the outbox. */
int calendar_svc_emit(server_req_t *req, MDB_txn *txn, Mvoi__TenderEventKind kind,
                      Mvoi__Tender *t, const Mvoi__Tender *old, uint64_t *seq);

/* The UpsertTenders handler (service_upsert_batch.c). */
int calendar_svc_on_upsert_batch(void *arg, server_req_t *req, MDB_txn *txn);
/* A stored tender unpacked into the reply's memory (freed after it is sent): the tender with
 * *rc 0, or NULL with *rc MVOI_E_UNDECODABLE (bytes that are no Tender: the caller logs which)
 * or -ENOMEM. */
Mvoi__Tender *calendar_svc_reply_tender(server_req_t *req, const void *data, size_t len,
                                        int *rc);
/* The TenderReply of t (outcome, seq when not 0). 0 or -ENOMEM. */
int calendar_svc_set_reply(server_req_t *req, Mvoi__Tender *t, Mvoi__UpsertOutcome outcome,
                           uint64_t seq);
/* A refusal of body's rules (tender_error_t) in the request's language. Returns 0 (the
 * refusal is the reply). */
int calendar_svc_fail(server_req_t *req, const char *body, const tender_error_t *e);
/* The queries and the snapshot (service_query.c). */
int calendar_svc_on_get(void *arg, server_req_t *req, MDB_txn *txn);
int calendar_svc_on_list(void *arg, server_req_t *req, MDB_txn *txn);
int calendar_svc_on_upcoming(void *arg, server_req_t *req, MDB_txn *txn);
int calendar_svc_snapshot(void *arg, server_req_t *req, MDB_txn *txn, const char *prefix);

#endif
