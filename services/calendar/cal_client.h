/* cal_client: the pipelined tender importer shared by `mvoictl tender import` and the
 * calendar benchmark. One DEALER, up to `window` UpsertTender requests in flight, replies
 * matched by request id.
 *
 * Idempotence at both levels: request ids are "<prefix>-<key>" with prefix derived from the
 * buyer and the file's bytes (cal_import_prefix) and key the row, so a re-run of the same
 * file repeats the same request ids and the service answers with its stored replies without
 * doing anything. Such a stored reply still carries the correlation id of the run that first
 * sent it; a reply whose correlation id is not this run's run_id is counted as `repeated`
 * (and as unchanged: nothing changed now). Content-level idempotence comes from the service
 * (UPSERT_UNCHANGED for identical content under new request ids). */
#ifndef CAL_CLIENT_H
#define CAL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.pb-c.h"

typedef struct {
    const char *endpoint;      /* the calendar's ROUTER */
    const char *buyer;         /* Envelope.buyer */
    const char *rid_prefix;    /* see cal_import_prefix */
    const char *run_id;        /* correlation id of this run, unique per run */
    const char *producer;      /* Envelope.producer, default "mvoictl" */
    unsigned window;           /* requests in flight, default 2000 */
    int timeout_ms;            /* silence after which the rest counts as failed, default 10000 */
    void (*progress)(void *arg, size_t done, size_t total);  /* every 1000 replies + at the end */
    void *progress_arg;
} cal_import_opts_t;

typedef struct {
    size_t key;                /* the row (or index + 1) */
    int code;                  /* Mvoi__ErrorCode */
    char field[128];
    char message[256];
} cal_import_failure_t;

#define CAL_IMPORT_MAX_FAILURES 1000

typedef struct {
    size_t sent, created, updated, unchanged, repeated, failed;
    cal_import_failure_t *failures;   /* the first CAL_IMPORT_MAX_FAILURES */
    size_t n_failures;
    bool unavailable;                 /* the service stopped answering */
    uint64_t last_seq;                /* highest event seq seen in a reply */
} cal_import_result_t;

/* "imp-<32 hex>" from the buyer and the bytes of the input; out >= 40 bytes. */
void cal_import_prefix(const char *buyer, const void *data, size_t len, char *out, size_t outlen);

/* Send tenders[i] with request id "<prefix>-<keys[i]>" (keys NULL: i + 1). Returns 0 when
 * every request was answered (see out->failed), -EHOSTUNREACH when the service did not
 * answer (out->unavailable), -ENOMEM, -EINVAL. out is initialised here; clear it after. */
int cal_import_send(const cal_import_opts_t *opts, Mvoi__Tender *const *tenders,
                    const size_t *keys, size_t n, cal_import_result_t *out);
void cal_import_result_clear(cal_import_result_t *out);

#endif
