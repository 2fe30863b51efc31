/*  rp_disk: the report service against a failing disk. The report files and the store live
 *  on the same volume; when it is full a report is refused with the errno's name (nothing
 *  half-written: every file is written beside its final name, checked, fsync'ed and
 *  renamed), the service answers not-ready with storage_ok false, a probe at every
 *  heartbeat (backing off from 100 ms to 5 s) finds out when space returns, and the next
 *  request goes through. */
#ifndef RP_DISK_H
#define RP_DISK_H

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "outbox.h"
#include "store.h"
#include "text.h"

typedef struct {
    int err;                  /* negative errno of the last failed file write; 0 = fine */
    int64_t next_probe_ms;
    uint32_t backoff_ms;
    char dir[4096];           /* where the probe writes (the reports directory) */
} rp_disk_t;

/* The outcome of writing a report's files (0 or a negative errno): a storage errno makes
 * the service not ready until a write or a probe succeeds. Logs the change of state. */
void rp_disk_note(rp_disk_t *d, int rc);
/* Heartbeat: while failing and the backoff has passed, one small real write. */
void rp_disk_probe(rp_disk_t *d, store_t *store);
/* "what: ENOSPC (no space left on device)" in lang (what: the English of a catalogue
 * "report.err." entry), and the error code a client retries on. */
void rp_disk_why(char *buf, size_t len, text_lang_t lang, const char *what, int rc);
Mvoi__ErrorCode rp_disk_code(int rc);

/* The HealthReply: liveness, readiness (false while the store or the files fail), outbox,
 * map usage, storage state and failed store writes by reason. wf/wfp: the caller's. */
void rp_disk_health(rp_disk_t *d, store_t *store, outbox_t *ob, bool stopping,
                    Mvoi__HealthReply *h, Mvoi__WriteFailures wf[STORE_NREASONS],
                    Mvoi__WriteFailures *wfp[STORE_NREASONS]);

#endif
