/*  rp_disk: see rp_disk.h. */
#include "rp_disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "mvoi_error.h"
#include "textfmt.h"

static bool s_storage_errno(int rc)
{
    return rc == -ENOSPC || rc == -EDQUOT || rc == -EIO || rc == -EROFS;
}

void rp_disk_note(rp_disk_t *d, int rc)
{
    if (rc == 0 && d->err) {
        const char *kv[] = { "error", mvoi_errname(d->err), NULL };
        log_emit(LOG_INFO, "storage_recovered", kv, "report files can be written again");
        d->err = 0;
    } else if (rc != 0 && s_storage_errno(rc)) {
        if (!d->err) {
            const char *kv[] = { "error", mvoi_errname(rc), NULL };
            log_emit(LOG_ERROR, "storage_failing", kv, "cannot write report files: %s; not "
                     "ready until a probe succeeds", mvoi_strerror(rc));
        }
        d->err = rc;
        d->backoff_ms = 100;
        d->next_probe_ms = clock_mono_ns() / 1000000 + d->backoff_ms;
    }
}

/* 64 KiB, fsync'ed: a disk with less room than a small report still fails it. */
static int s_probe_write(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.write-probe", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    static const char zero[4096];
    int rc = 0;
    for (int i = 0; i < 16 && rc == 0; i++)
        if (write(fd, zero, sizeof zero) != (ssize_t)sizeof zero)
            rc = errno ? -errno : -ENOSPC;
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    close(fd);
    unlink(path);
    return rc;
}

void rp_disk_probe(rp_disk_t *d, store_t *store)
{
    store_probe(store);   /* the store finds out by itself too */
    if (!d->err || clock_mono_ns() / 1000000 < d->next_probe_ms)
        return;
    errno = 0;
    int rc = s_probe_write(d->dir);
    if (rc == 0) {
        rp_disk_note(d, 0);
        return;
    }
    d->backoff_ms = d->backoff_ms >= 2500 ? 5000 : d->backoff_ms * 2;
    d->next_probe_ms = clock_mono_ns() / 1000000 + d->backoff_ms;
}

void rp_disk_why(char *buf, size_t len, text_lang_t lang, const char *what, int rc)
{
    /* what and the error's description by their English (catalogue "report.err."); the
     * errno's name stays as it is, for whoever looks it up */
    snprintf(buf, len, "%s: %s (%s)", textfmt_from_en(lang, "report.err.", what),
             mvoi_errname(rc), textfmt_from_en(lang, "report.err.", mvoi_strerror(rc)));
}

Mvoi__ErrorCode rp_disk_code(int rc)
{
    return s_storage_errno(rc) ? MVOI__ERROR_CODE__ERR_UNAVAILABLE
                               : MVOI__ERROR_CODE__ERR_INTERNAL;
}

void rp_disk_health(rp_disk_t *d, store_t *store, outbox_t *ob, bool stopping,
                    Mvoi__HealthReply *h, Mvoi__WriteFailures wf[STORE_NREASONS],
                    Mvoi__WriteFailures *wfp[STORE_NREASONS])
{
    h->service = "report";
    h->version = MVOI_VERSION;
    h->has_live = h->live = true;
    h->has_head_seq = h->has_epoch = h->has_outbox_backlog = true;
    h->head_seq = outbox_head(ob);
    h->epoch = outbox_epoch(ob);
    uint64_t from = outbox_retained_from(ob);
    h->outbox_backlog = h->head_seq + 1 > from ? h->head_seq + 1 - from : 0;
    uint64_t size = 0, used = 0;
    if (store_usage(store, &size, &used) == 0) {
        h->has_map_size = h->has_map_used = true;
        h->map_size = size;
        h->map_used = used;
    }
    int err = 0;
    bool store_bad = store_failing(store, &err);
    h->has_storage_ok = true;
    h->storage_ok = !store_bad && !d->err;
    if (!h->storage_ok)
        h->storage_error = (char *)mvoi_errname(store_bad ? err : d->err);
    h->has_ready = true;
    h->ready = !stopping && h->storage_ok;
    uint64_t failed[STORE_NREASONS];
    store_failures(store, failed);
    for (int r = 0; r < STORE_NREASONS; r++) {
        mvoi__write_failures__init(&wf[r]);
        wf[r].reason = (char *)store_reason_name((store_reason_t)r);
        wf[r].has_count = true;
        wf[r].count = failed[r];
        wfp[r] = &wf[r];
    }
    h->n_write_failures = STORE_NREASONS;
    h->write_failures = wfp;
}
