/*  gather_int: the gathering's state, shared by its files (gather.c, the steps in order;
 *  gather_ryw.c, read your own writes). Not for other modules. */
#ifndef MVOI_REPORT_GATHER_INT_H
#define MVOI_REPORT_GATHER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "bm_tender.h"
#include "envelope.pb-c.h"
#include "gather.h"

enum { S_KPI = 0, S_CAL = 1, S_IMP = 2 };
/* ST_HEADS and ST_CATCHUP come first but after the others in the enum: s_advance loops the
 * KPIs of every step up to ST_BREAKDOWN, and these two move on by themselves. */
typedef enum {
    ST_SNAP, ST_PREV, ST_SERIES, ST_BREAKDOWN, ST_BENCH, ST_BENCH_CAL, ST_TENDERS, ST_CANCELLED,
    ST_CONTRACTS, ST_FACTORS, ST_DONE, ST_HEADS, ST_CATCHUP
} rp_gather_step_t;

struct rp_gather_t {
    uv_loop_t *loop;
    bus_sock_t *sock[3];
    uv_timer_t *timer;
    rp_gather_opts_t o;
    rp_input_t *in;
    rp_gather_done_fn *done;
    void *arg;
    rp_gather_step_t step;
    int kpi;                  /* 1..6 within a step */
    uint32_t offset;          /* paging; in ST_SNAP the window: 0 the year, 1-4 a quarter;
                               * in ST_BENCH(_CAL) the registry index of the buyer asked */
    uint32_t page;            /* ST_BENCH_CAL: the offset of that buyer's next page */
    bm_tcount_t tcount;       /* ST_BENCH_CAL: that buyer's tenders so far */
    uint32_t nreq;
    char rid[32];
    int which;                /* socket of the request in flight */
    char (*missing)[RP_ID];   /* SROI contracts of tenders planned in other years */
    size_t nmissing, imissing;
    bool collected;
    /* ST_HEADS / ST_CATCHUP: the producers' heads when the report began (calendar, impact)
     * and which one is asked; the aggregator is asked until it has applied both, of the
     * history each head belongs to (the producer's incarnation: 0 when it did not say) */
    uint64_t head[2];
    uint64_t head_inc[2];
    int src;
    uint64_t catchup_until;   /* uv_now deadline */
    bool finished;
    int rc;
    char msg[512];
};

void rp_gather__finish(rp_gather_t *self, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rp_gather__next(rp_gather_t *self);
/* Sends env to upstream which, bounded by the timer; a failure finishes the gathering
 * (but for the optional factor tables). */
void rp_gather__request(rp_gather_t *self, int which, Mvoi__Envelope *env);
const char *rp_gather__upstream(int which);   /* "kpi-aggregator", "calendar", ... */
/* An error reply's message, "unexpected reply" for any other body: what a step names when
 * its answer is not the one it asked for. */
const char *rp_gather__why(const Mvoi__Envelope *env);

/* gather_ryw.c: ST_HEADS and ST_CATCHUP, then on to ST_SNAP. */
void rp_gather__request_head(rp_gather_t *self);
void rp_gather__request_catchup(rp_gather_t *self);
void rp_gather__on_head(rp_gather_t *self, const Mvoi__Envelope *env);
void rp_gather__on_catchup(rp_gather_t *self, const Mvoi__Envelope *env);

#endif
