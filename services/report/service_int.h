/*  service_int: what the files of the report service share (not for other modules).
 *
 *  service.c owns the object (requests, jobs, rendering, the PDF child, lifecycle);
 *  service_auto.c decides which quarterly and annual reports are due.
 */
#ifndef MVOI_REPORT_SERVICE_INT_H
#define MVOI_REPORT_SERVICE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "bus.h"
#include "gather.h"
#include "mvoi_id.h"
#include "outbox.h"
#include "rp_disk.h"
#include "report.h"
#include "report_service.h"
#include "store.h"
#include "text.h"

#define RP_JOB_MAXWAIT 16

typedef struct rp_job_t rp_job_t;
struct rp_job_t {
    rp_job_t *next;
    rp_service_t *svc;
    char buyer[128];
    uint32_t year, quarter;
    uint32_t formats;          /* bit per ReportFormat */
    text_lang_t lang;
    text_lang_t tl;            /* of its refusals: the requester's (rp_ids_lang) */
    bool automatic;
    char rid[MVOI_ID_MAX + 1]; /* "" for automatic jobs; as long as the other services take */
    struct { uint8_t id[256]; size_t idlen; } wait[RP_JOB_MAXWAIT];
    int nwait;
    rp_input_t in;
    rp_report_t model;
    rp_gather_t *gather;
    uv_work_t work;
    int render_rc;
    char render_why[1024];     /* a renderer's refusal of the data, in the report's language */
    char dir[4096];
    char path[8][4200];        /* by format */
    char stage[8][4200];       /* where each is written until all are (rp_stage.h) */
    uv_process_t proc;
    uv_timer_t pdf_timer;
    bool pdf_running, pdf_timer_on;
    void (*printed)(rp_job_t *);   /* rp_print_start's: when Chromium and its timer are done */
    int64_t t0;
};

struct rp_service_t {
    uv_loop_t *loop;
    bus_ctx_t *ctx;
    rp_service_opts_t o;
    store_t *store;
    outbox_t *outbox;
    bus_sock_t *router, *pub;
    uv_timer_t hb_timer, auto_timer;
    char api_ep[256], pub_ep[256];
    rp_job_t *queue;            /* queue->... ; the head runs */
    bool running, stopping;
    uint64_t generated;
    int handles_open;
    rp_disk_t disk;            /* the report files' volume (rp_disk.h) */
};

/* Queue a report of buyer for year/quarter (0: the year) in formats (bit per ReportFormat)
 * and lang, its refusals in tl; rid the request id ("" or NULL for an automatic job),
 * id/idlen the client awaiting it (NULL for none). The job may start, and end, before this
 * returns. 0 or -ENOMEM. */
int rp_service_enqueue(rp_service_t *self, const char *buyer, uint32_t year, uint32_t quarter,
                       uint32_t formats, text_lang_t lang, text_lang_t tl, const char *rid,
                       bool automatic, const uint8_t *id, size_t idlen);

/* rp_print.c: print the job's staged HTML to its staged PDF's ".tmp" with Chromium, a child
 * process watched by the loop and killed after pdf_timeout_ms; printed(j) runs once the
 * process and its timer are closed, whatever the outcome (rp_disk_commit_pdf checks it).
 * 0, -ENAMETOOLONG for paths Chromium's arguments cannot hold (never cut), or uv_spawn's
 * error (nothing started). */
int rp_print_start(rp_job_t *j, void (*printed)(rp_job_t *));

/* service_auto.c: the next buyer of auto_buyers (names separated by commas and spaces)
 * from *cursor into buf, whole: its length, 0 at the end of the list, or -ENAMETOOLONG
 * for a name buf cannot hold (buf has its start, for the log; *cursor is past it). */
int rp_auto_buyer_next(const char **cursor, char *buf, size_t cap);

#endif
