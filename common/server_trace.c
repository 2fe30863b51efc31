/*  server_trace: per-command hop timestamps of the commit path (server_int.h).
 *
 *  A diagnostic for finding where a command's milliseconds go (docs/latency.md):
 *  with MVOI_TRACE_HOPS=<file> in the environment, every answered command leaves one
 *  record -- its request id and CLOCK_MONOTONIC times of the loop turn that read it, its
 *  commit, the flush that covered it and its reply -- and the server appends them all to
 *  <file>.<pid> when it stops. CLOCK_MONOTONIC is one clock for every process of the
 *  machine, so a client that stamped its sends can join the records by request id and
 *  split its own end-to-end figure per hop (bench_e2e does). Off (the default) it costs
 *  nothing but the branch: no clock is read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "server_int.h"

#define S_TRACE_MAX (1u << 18)   /* records kept at most (32 MiB): a diagnostic run, not a log */

typedef struct {
    char rid[SERVER_TRACE_RID];
    int64_t t[ST_N];
} s_rec_t;

struct server_trace {
    char path[512];
    s_rec_t *recs;
    uint32_t n, cap;
    uint64_t dropped;   /* past S_TRACE_MAX, or an id longer than a record holds */
    bool wal;           /* the commit is a WAL append, the flush the log's fdatasync */
    uint64_t cp_n;      /* WAL checkpoints and their loop stall */
    int64_t cp_p50, cp_max;
};

server_trace_t *server_trace_new(void)
{
    const char *p = getenv("MVOI_TRACE_HOPS");
    if (!p || !*p)
        return NULL;
    server_trace_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    int n = snprintf(self->path, sizeof self->path, "%s.%ld", p, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof self->path) {
        log_warn("trace_refused", "MVOI_TRACE_HOPS is longer than %zu bytes; no trace",
                 sizeof self->path - 16);
        free(self);
        return NULL;
    }
    return self;
}

int64_t server_trace_now(const server_trace_t *self) { return self ? clock_mono_ns() : 0; }

void server_trace_add(server_trace_t *self, const char *rid, const int64_t *t)
{
    size_t len = rid ? strlen(rid) : 0;
    if (!self || len == 0 || len >= SERVER_TRACE_RID || self->n >= S_TRACE_MAX) {
        if (self)
            self->dropped++;
        return;
    }
    if (self->n == self->cap) {
        uint32_t cap = self->cap ? self->cap * 2 : 4096;
        s_rec_t *r = realloc(self->recs, cap * sizeof *r);
        if (!r) {
            self->dropped++;
            return;
        }
        self->recs = r;
        self->cap = cap;
    }
    s_rec_t *r = &self->recs[self->n++];
    memcpy(r->rid, rid, len + 1);
    memcpy(r->t, t, sizeof r->t);
}

void server_trace_wal(server_trace_t *self, bool on)
{
    if (self)
        self->wal = on;
}

void server_trace_checkpoints(server_trace_t *self, uint64_t n, int64_t p50_ns,
                              int64_t max_ns)
{
    if (self) {
        self->cp_n = n;
        self->cp_p50 = p50_ns;
        self->cp_max = max_ns;
    }
}

void server_trace_destroy(server_trace_t **self_p)
{
    server_trace_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    FILE *fp = fopen(self->path, "a");
    if (!fp) {
        log_warn("trace_failed", "cannot write the hop trace %s: %s", self->path,
                 strerror(errno));
    } else {
        if (self->wal)   /* scripts/hop-table names the hops after it */
            fprintf(fp, "# store wal checkpoints %llu stall_p50_ns %lld stall_max_ns %lld\n",
                    (unsigned long long)self->cp_n, (long long)self->cp_p50,
                    (long long)self->cp_max);
        /* one line a command: id, then the ST_* times in order (0: not on this path) */
        for (uint32_t i = 0; i < self->n; i++) {
            fprintf(fp, "%s", self->recs[i].rid);
            for (int k = 0; k < ST_N; k++)
                fprintf(fp, " %lld", (long long)self->recs[i].t[k]);
            fputc('\n', fp);
        }
        if (self->dropped)
            fprintf(fp, "# %llu commands not traced\n", (unsigned long long)self->dropped);
        fclose(fp);
    }
    free(self->recs);
    free(self);
}
