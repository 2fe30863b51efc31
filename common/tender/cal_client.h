/* cal_client: the pipelined tender importer shared by `mvoictl tender import` and the
 * calendar benchmark. One DEALER; the tenders go in UpsertTenders commands of `per_request`
 * tenders each (fewer when window / 4 is smaller: at least four commands are in flight, so
 * that the next ones are on their way while the service commits; the last command may be
 * shorter), with up to `window` tenders in flight. Replies are matched by request id and
 * carry one result per tender, in order.
 *
 * Idempotence at both levels: a command's request id is "<prefix>-<first key>+<count>", with
 * prefix derived from the buyer, the file's bytes and the stored state of the tenders the
 * file touches, read just before (cal_import_state_prefix), and first key the row of its
 * first tender. A stored reply is the verdict against the state it met; so only a re-run in
 * the same state (a retry after a timeout before the service committed, or a file that
 * changed nothing) repeats the request ids and is answered from the stored replies. Once a
 * tender changed (by the import itself or anyone else), the ids are new and the file's
 * content is applied again, as the dry run (validate_only) says. Such a stored reply still
 * carries the correlation id of the run that first sent it; its tenders count as `repeated`
 * (and as unchanged: nothing changed now), except those it refused, which are failures
 * again. Content-level idempotence comes from the service (UPSERT_UNCHANGED for identical
 * content under new request ids), so new ids never apply anything twice.
 *
 * Ids are checked before a command is built (mvoi_id.h, the rule the service applies where
 * a request enters): a tender whose id or buyer the service would refuse would make it
 * refuse the whole command, blaming every tender of it; it is refused alone instead
 * (ERR_INVALID_ARGUMENT, field "tender.id" / "tender.buyer") and never sent. */
#ifndef CAL_CLIENT_H
#define CAL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.pb-c.h"

/* One row's verdict, for callers that report per row (dry run, --json). Pointers are
 * valid during the callback only. outcome is a Mvoi__UpsertOutcome, 0 when refused. */
typedef struct {
    size_t key;
    int outcome;
    bool repeated;             /* answered from a stored reply of an earlier run */
    const char *const *changed; /* UPDATED: the fields that differ */
    size_t n_changed;
    const char *warning;       /* or NULL */
    int code;                  /* refused: Mvoi__ErrorCode */
    const char *field;         /* refused: relative to the tender ("tender.status") */
    const char *message;
    bool unsent;               /* ERR_UNAVAILABLE: the service fell silent before this row was
                                  sent (not stored); without it, sent and not answered (stored
                                  or not: unknown) */
    bool silent;               /* ERR_UNAVAILABLE of this client, not the service's answer:
                                  no answer came (unsent tells sent from not sent) */
} cal_import_row_t;

typedef struct {
    const char *endpoint;      /* the calendar's ROUTER */
    const char *buyer;         /* Envelope.buyer */
    const char *rid_prefix;    /* see cal_import_prefix */
    const char *run_id;        /* correlation id of this run, unique per run */
    const char *producer;      /* Envelope.producer, default "mvoictl" */
    unsigned window;           /* tenders in flight, default 8000 */
    unsigned per_request;      /* tenders per UpsertTenders, default 500, at most 1000 */
    int timeout_ms;            /* silence after which the rest counts as failed, default 10000 */
    void (*progress)(void *arg, size_t done, size_t total);  /* every 1000 replies + at the end */
    void *progress_arg;
    bool merge;                /* UpsertTenders.merge: unset fields keep the stored value */
    bool apply_status;         /* UpsertTenders.apply_status: the source's status moves it */
    bool validate_only;        /* UpsertTenders.validate_only: a preview, nothing written */
    const char *const *stated; /* UpsertTenders.stated: with merge, the fields the source */
    size_t n_stated;           /* states (unset = cleared); others keep the stored value */
    const char *lang;          /* UpsertTenders.lang: of the refusals and warnings (NULL: nl) */
    void (*on_row)(void *arg, const cal_import_row_t *row);  /* every row, in reply order */
    void *row_arg;
} cal_import_opts_t;

typedef struct {
    size_t key;                /* the row (or index + 1) */
    int code;                  /* Mvoi__ErrorCode */
    char field[128];           /* relative to the tender ("tender.cpv"), or "" */
    char message[256];
} cal_import_failure_t;

#define CAL_IMPORT_MAX_FAILURES 1000

typedef struct {
    size_t sent, created, updated, unchanged, repeated, failed;
    cal_import_failure_t *failures;   /* the first CAL_IMPORT_MAX_FAILURES */
    size_t n_failures;
    bool unavailable;                 /* the service stopped answering */
    int key_refused;                  /* -EACCES: the ZAP status of the refusal (400 ...) */
    uint64_t last_seq;                /* highest event seq seen in a reply */
} cal_import_result_t;

/* "imp-<32 hex>" from the buyer and the bytes of the input; out >= 40 bytes. */
void cal_import_prefix(const char *buyer, const void *data, size_t len, char *out, size_t outlen);

/* The prefix of an import of data by buyer in the current state: cal_import_prefix's
 * input and a digest of the stored state of each of tenders[0..n) (GetTender under
 * "<run_id>-st-<i>" on opts->endpoint, the whole tender, or "none"; an id that
 * cal_import_send refuses is not asked). The same file in the same state gives the same
 * prefix; any stored change gives another. 0, -EHOSTUNREACH (no answer within
 * opts->timeout_ms), -EACCES (the service refused our CURVE key in the handshake),
 * -EPROTO (an answer other than the tender or ERR_NOT_FOUND, e.g.
 * refused access), -EINVAL, -ENOMEM: then the state is not known, and the caller takes a
 * prefix of its own run (new request ids: safe, as upserts are idempotent by content). */
int cal_import_state_prefix(const cal_import_opts_t *opts, Mvoi__Tender *const *tenders,
                            size_t n, const void *data, size_t len, char *out, size_t outlen);

/* Send tenders[0..n) (keys[i] the row of tenders[i], ascending; keys NULL: i + 1) in
 * UpsertTenders commands with request ids "<prefix>-<first key>+<count>". Returns 0 when
 * every request was answered (see out->failed), -EHOSTUNREACH when the service did not
 * answer (out->unavailable), -EACCES when it refused our CURVE key in the handshake (nothing
 * was taken; out->key_refused the ZAP status), -ENOMEM, -EINVAL. out is initialised here;
 * clear it after. */
int cal_import_send(const cal_import_opts_t *opts, Mvoi__Tender *const *tenders,
                    const size_t *keys, size_t n, cal_import_result_t *out);
void cal_import_result_clear(cal_import_result_t *out);

#endif
