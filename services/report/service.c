/*  report_service: see report_service.h. */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "codec.h"
#include "mvoi_contract.h"
#include "rp_ids.h"
#include "gather.h"
#include "narrative.h"
#include "rp_disk.h"
#include "rp_fs.h"
#include "rp_stage.h"
#include "rp_store.h"
#include "log.h"
#include "mvoi_error.h"
#include "outbox.h"
#include "report.h"
#include "report_service.h"
#include "service_int.h"
#include "rp_ask.h"
#include "store.h"

static void s_start_next(rp_service_t *self);

/* ------------------------------------------------------------------ sending */

static int s_send_env(rp_service_t *self, const uint8_t *id, size_t idlen, const char *topic,
                      Mvoi__Envelope *env)
{
    env->producer = "report";
    env->schema_version = CODEC_SCHEMA_VERSION;
    env->has_schema_version = true;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = codec_pack(env, &buf, &len);
    if (rc < 0)
        return rc;
    bus_frame_t f[3];
    int n = 0;
    f[n++] = (bus_frame_t){ id, idlen };
    if (topic)
        f[n++] = (bus_frame_t){ topic, strlen(topic) };
    f[n++] = (bus_frame_t){ buf, len };
    rc = bus_send(self->router, f, n);
    free(buf);
    return rc;
}

static void s_send_error(rp_service_t *self, const uint8_t *id, size_t idlen,
                         const Mvoi__Envelope *req, Mvoi__ErrorCode code, const char *field,
                         const char *msg)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    codec_error_t es;
    codec_set_error(&env, &es, code, field, "%s", msg);
    if (req) {
        env.request_id = req->request_id;
        env.correlation_id = req->correlation_id;
        env.buyer = req->buyer;
    }
    s_send_env(self, id, idlen, NULL, &env);
}

/* ------------------------------------------------------------------ jobs */

static void s_job_free(rp_job_t *j)
{
    if (j->dir[0])   /* a failed request's files, or the set a committed one replaced */
        rp_stage_clear(j->dir);
    rp_gather_destroy(&j->gather);
    rp_model_free(&j->model);
    rp_input_free(&j->in);
    free(j);
}

static const char *s_ext[8] = { NULL, "html", "pdf", "xlsx", "csv", "excel.csv", "json",
                                 "mvi-platform.csv" };

/* Fail every waiter (nothing is stored: a retry with the same id regenerates), in the
 * language of the requester (j->tl; fmt: see rp_ids_say). */
static void __attribute__((format(printf, 3, 4)))
s_job_fail(rp_job_t *j, Mvoi__ErrorCode code, const char *fmt, ...)
{
    rp_service_t *self = j->svc;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    rp_ids_vsay(msg, sizeof msg, j->tl, fmt, ap);
    va_end(ap);
    log_warn("report_failed", "report %s %u q%u failed: %s", j->buyer, j->year, j->quarter, msg);
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.request_id = j->rid[0] ? j->rid : NULL;
    req.buyer = j->buyer;
    for (int i = 0; i < j->nwait; i++)
        s_send_error(self, j->wait[i].id, j->wait[i].idlen, &req, code, "generate_report", msg);
}

static void s_job_done(rp_service_t *self, rp_job_t *j)
{
    self->queue = j->next;
    self->running = false;
    s_job_free(j);
    if (!self->stopping)
        s_start_next(self);
}

/* A failed write to the reports' volume (or the store) tells rp_disk, is answered with its
 * errno's name and ends the job. True when it did. */
static bool s_job_disk_failed(rp_job_t *j, const char *what, int rc)
{
    if (rc == 0)
        return false;   /* only written files clear a failure (s_after_render) */
    rp_disk_note(&j->svc->disk, rc);
    char why[300];
    rp_disk_why(why, sizeof why, j->tl, what, rc);
    s_job_fail(j, rp_disk_code(rc), "%s", why);
    s_job_done(j->svc, j);
    return true;
}

typedef struct {
    rp_service_t *self;
    rp_job_t *j;
    Mvoi__Envelope *reply;
    Mvoi__ReportEvent *ev;
    const rp_ask_file_t *files;   /* the reply's files as they stand (rp_ask.h) */
    size_t nfiles;
} s_commit_t;

static int s_commit_txn(MDB_txn *txn, void *arg)
{
    s_commit_t *c = arg;
    rp_service_t *self = c->self;
    rp_job_t *j = c->j;
    int rc;
    if (j->rid[0]) {
        uint8_t *buf = NULL;
        size_t len = 0;
        if ((rc = codec_pack(c->reply, &buf, &len)) < 0)
            return rc;
        uint8_t key[256];
        MDB_val k = { rp_request_key(key, sizeof key, j->buyer, j->rid), key };
        /* with what it answered and its files' identities (rp_ask.h) */
        size_t head = rp_ask_head_len(c->nfiles);
        MDB_val v = { head + len, NULL };
        rc = k.mv_size ? store_put(txn, store_dbi(self->store, "requests"), &k, &v,
                                   MDB_RESERVE)
                       : -ENAMETOOLONG;
        if (rc == 0) {
            rp_ask_head_put(v.mv_data, rp_ask_sig(j->year, j->quarter, j->formats, j->lang),
                            c->files, c->nfiles);
            memcpy((uint8_t *)v.mv_data + head, buf, len);
        }
        free(buf);
        if (rc)
            return rc;
    }
    if (j->automatic) {
        char key[256];
        rp_period_key(key, sizeof key, j->buyer, j->year, j->quarter);
        int64_t now = clock_now_ms();
        MDB_val k = { strlen(key), key }, v = { sizeof now, &now };
        if ((rc = store_put(txn, store_dbi(self->store, "periods"), &k, &v, 0)))
            return rc;
    }
    Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
    ev.buyer = j->buyer;
    ev.correlation_id = j->rid[0] ? j->rid : NULL;
    ev.body_case = MVOI__ENVELOPE__BODY_REPORT_EVENT;
    ev.report_event = c->ev;
    return outbox_append(self->outbox, txn, mvoi_topic_report(MVOI_REPORT_GENERATED), &ev, NULL);
}

static int s_publish_one(void *arg, uint64_t seq, const char *topic, size_t topic_len,
                         const void *env, size_t env_len)
{
    rp_service_t *self = arg;
    bus_frame_t f[2] = { { topic, topic_len }, { env, env_len } };
    return bus_send(self->pub, f, 2);
}

static void s_flush(rp_service_t *self)
{
    if (self->pub)
        outbox_publish(self->outbox, s_publish_one, self);
}

/* Is format f written by the renderers (asked for, or the html a PDF is printed from)? */
static bool s_rendered(const rp_job_t *j, int f)
{
    return (j->formats & (1u << f)) ||
           (f == MVOI__REPORT_FORMAT__FMT_HTML && (j->formats & (1u << MVOI__REPORT_FORMAT__FMT_PDF)));
}

/* The request's set becomes the period's (rp_stage.h): its own set is every format of its
 * language and the MVI export, named as s_gathered names them. */
static int s_promote(rp_job_t *j)
{
    const char *html = strrchr(j->path[MVOI__REPORT_FORMAT__FMT_HTML], '/') + 1;
    const char *mvi = strrchr(j->path[MVOI__REPORT_FORMAT__FMT_MVI_PLATFORM], '/') + 1;
    char lang[4200];
    size_t n = strlen(html) - strlen(s_ext[MVOI__REPORT_FORMAT__FMT_HTML]);   /* "...nl." */
    snprintf(lang, sizeof lang, "%.*s", (int)n, html);
    const char *own[2] = { lang, mvi };
    return rp_stage_promote(j->dir, own, 2);
}

static void s_job_commit(rp_job_t *j)
{
    rp_service_t *self = j->svc;
    if (self->stopping) {
        s_job_done(self, j);
        return;
    }
    Mvoi__ReportFile files[8], *fp[8];
    size_t n = 0;
    if ((j->formats & (1u << MVOI__REPORT_FORMAT__FMT_PDF)) &&
        s_job_disk_failed(j, "the PDF was not printed whole",
                          rp_disk_commit_pdf(j->stage[MVOI__REPORT_FORMAT__FMT_PDF])))
        return;
    for (int f = 1; f < 8; f++) {
        if (!(j->formats & (1u << f)))
            continue;
        struct stat st;
        if (stat(j->stage[f], &st) != 0) {
            s_job_fail(j, MVOI__ERROR_CODE__ERR_INTERNAL, "a report file is missing");
            s_job_done(self, j);
            return;
        }
        mvoi__report_file__init(&files[n]);
        files[n].has_format = files[n].has_bytes = true;
        files[n].format = (Mvoi__ReportFormat)f;
        files[n].path = j->path[f];
        files[n].bytes = (uint64_t)st.st_size;
        fp[n] = &files[n];
        n++;
    }
    /* every format is written (the html printed for a PDF too): only now do they become
     * the period's set, all in one step (rp_stage.h), before the store records them. A
     * crash between the two leaves a whole set that no reply names; the retry writes it
     * again. */
    if (s_job_disk_failed(j, "cannot write the report files", s_promote(j)))
        return;
    rp_ask_file_t ids[8];
    for (size_t i = 0; i < n; i++)
        if (rp_ask_file_at(files[i].path, &ids[i]) != 0) {
            s_job_fail(j, MVOI__ERROR_CODE__ERR_INTERNAL, "a report file is missing");
            s_job_done(self, j);
            return;
        }
    Mvoi__ReportReply rr = MVOI__REPORT_REPLY__INIT;
    rr.n_files = n;
    rr.files = fp;
    Mvoi__Envelope reply = MVOI__ENVELOPE__INIT;
    reply.request_id = j->rid[0] ? j->rid : NULL;
    reply.buyer = j->buyer;
    reply.producer = "report";
    reply.schema_version = CODEC_SCHEMA_VERSION;
    reply.has_schema_version = true;
    reply.body_case = MVOI__ENVELOPE__BODY_REPORT_REPLY;
    reply.report_reply = &rr;
    Mvoi__ReportEvent ev = MVOI__REPORT_EVENT__INIT;
    ev.buyer = j->buyer;
    ev.has_year = ev.has_quarter = ev.has_automatic = true;
    ev.year = j->year;
    ev.quarter = j->quarter;
    ev.n_files = n;
    ev.files = fp;
    ev.lang = (char *)text_lang_name(j->lang);
    ev.automatic = j->automatic;
    ev.request_id = j->rid[0] ? j->rid : NULL;
    s_commit_t c = { self, j, &reply, &ev, ids, n };
    int rc = store_write(self->store, s_commit_txn, &c);
    if (rc < 0 && s_job_disk_failed(j, "could not record the report", rc))
        return;
    self->generated++;
    s_flush(self);
    for (int i = 0; i < j->nwait; i++)
        s_send_env(self, j->wait[i].id, j->wait[i].idlen, NULL, &reply);
    char ms[32];
    snprintf(ms, sizeof ms, "%" PRId64, clock_mono_ns() / 1000000 - j->t0);
    const char *kv[] = { "buyer", j->buyer, "period", j->model.period, "ms", ms, NULL };
    log_emit(LOG_INFO, "report_generated", kv, "report %s %s written to %s", j->buyer,
             j->model.period, j->dir);
    s_job_done(self, j);
}

static void s_after_render(uv_work_t *w, int status)
{
    rp_job_t *j = w->data;
    rp_service_t *self = j->svc;
    if (self->stopping) {
        s_job_done(self, j);
        return;
    }
    /* The data cannot be written in a format (a sheet over Excel's limits: -EFBIG, a text
     * that is not UTF-8: -EILSEQ): refused with the renderer's reason, the error's name in
     * the log. Not a disk failure: the service stays ready. */
    if (j->render_rc != 0 && j->render_why[0]) {
        const char *kv[] = { "error", mvoi_errname(j->render_rc), NULL };
        log_emit(LOG_WARN, "report_refused", kv, "%s", j->render_why);
        s_job_fail(j, j->render_rc == -EFBIG ? MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED
                                             : MVOI__ERROR_CODE__ERR_INTERNAL,
                   "%s", j->render_why);
        s_job_done(self, j);
        return;
    }
    if (s_job_disk_failed(j, "cannot write the report files",
                          j->render_rc ? j->render_rc : status))
        return;
    rp_disk_note(&self->disk, 0);
    if (!(j->formats & (1u << MVOI__REPORT_FORMAT__FMT_PDF))) {
        s_job_commit(j);
        return;
    }
    /* Print the HTML to PDF with Chromium (rp_print.c); the job commits when it ends. */
    int rc = rp_print_start(j, s_job_commit);
    if (rc != 0) {
        if (rc == -ENAMETOOLONG)   /* never cut */
            s_job_fail(j, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "the report path is too long");
        else
            s_job_fail(j, MVOI__ERROR_CODE__ERR_UNAVAILABLE,
                       "could not start chromium for the PDF");
        s_job_done(self, j);
    }
}

static void s_render(uv_work_t *w)
{
    rp_job_t *j = w->data;
    for (int f = 1; f < 8 && j->render_rc == 0; f++)
        if (f != MVOI__REPORT_FORMAT__FMT_PDF && s_rendered(j, f))
            j->render_rc = rp_render_file(&j->model, f, j->stage[f], j->render_why,
                                          sizeof j->render_why);
}

static void s_gathered(void *arg, int rc, const char *msg)
{
    rp_job_t *j = arg;
    rp_service_t *self = j->svc;
    /* msg lives in the gather: keep a copy before the gather goes (using it afterwards
     * was the heap-use-after-free behind the start-up abort when upstreams were not up). */
    char why[512];
    snprintf(why, sizeof why, "%s", msg ? msg : "");
    rp_gather_destroy(&j->gather);
    if (rc != 0) {
        s_job_fail(j, rc == -EOVERFLOW ? MVOI__ERROR_CODE__ERR_INTERNAL
                                       : MVOI__ERROR_CODE__ERR_UNAVAILABLE, "%s", why);
        s_job_done(self, j);
        return;
    }
    /* each failure by its name: a store that cannot be read had been "out of memory" */
    int brc = rp_narrative_load(self->store, &j->in);
    if (brc != 0) {
        s_job_fail(j, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "could not read the narratives: %s",
                   mvoi_errname(brc));
        s_job_done(self, j);
        return;
    }
    if ((brc = rp_model_build(&j->model, &j->in)) != 0) {
        s_job_fail(j, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "could not build the report: %s; no "
                   "report was written", mvoi_errname(brc));
        s_job_done(self, j);
        return;
    }
    char enc[400];
    mvoi_topic_enc(enc, sizeof enc, j->buyer);   /* a registered buyer: at most 192 bytes */
    snprintf(j->dir, sizeof j->dir, "%s/%s/%s", self->o.reports_dir, enc, j->model.period);
    if (s_job_disk_failed(j, "cannot create the reports directory", rp_mkdirs(j->dir)))
        return;
    for (int f = 1; f < 8; f++) {
        int n;
        if (f == MVOI__REPORT_FORMAT__FMT_MVI_PLATFORM)
            n = snprintf(j->path[f], sizeof j->path[f], "%s/mvi-platform-%s-%s.csv", j->dir,
                         enc, j->model.period);
        else
            n = snprintf(j->path[f], sizeof j->path[f], "%s/mvoi-report-%s-%s.%s.%s", j->dir,
                         enc, j->model.period, text_lang_name(j->lang), s_ext[f]);
        if (n < 0 || (size_t)n >= sizeof j->path[f] ||
            rp_stage_path(j->stage[f], sizeof j->stage[f], j->dir, j->path[f]) != 0) {
            s_job_fail(j, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "the report path is too long");
            s_job_done(self, j);
            return;
        }
    }
    if (s_job_disk_failed(j, "cannot create the reports directory", rp_stage_open(j->dir)))
        return;
    j->work.data = j;
    if (uv_queue_work(self->loop, &j->work, s_render, s_after_render) != 0) {
        s_job_fail(j, MVOI__ERROR_CODE__ERR_INTERNAL, "cannot queue the rendering");
        s_job_done(self, j);
    }
}

static void s_start_next(rp_service_t *self)
{
    if (self->running || !self->queue || self->stopping)
        return;
    rp_job_t *j = self->queue;
    self->running = true;
    j->t0 = clock_mono_ns() / 1000000;
    rp_input_init(&j->in);
    snprintf(j->in.buyer, sizeof j->in.buyer, "%s", j->buyer);
    snprintf(j->in.buyer_name, sizeof j->in.buyer_name, "%s",
             mvoi_buyers_name(self->o.buyers, j->buyer));
    j->in.year = j->year;
    j->in.quarter = j->quarter;
    j->in.bench = bm_new(self->o.buyers, self->o.bench_k);   /* NULL: no section */
    if (j->in.bench && bm_load_levels(j->in.bench) != 0)
        bm_destroy(&j->in.bench);
    j->in.lang = j->lang;
    j->in.generated_ms = clock_now_ms();
    rp_gather_opts_t go = { self->o.kpi_api, self->o.calendar_api, self->o.impact_api,
                            (int)self->o.timeout_ms, self->o.sources_max, j->tl };
    j->gather = rp_gather_start(self->loop, self->ctx, &go, &j->in, s_gathered, j);
    if (!j->gather) {
        s_job_fail(j, MVOI__ERROR_CODE__ERR_INTERNAL, "cannot reach the upstream services");
        s_job_done(self, j);
    }
}

/* Queue a report and start it if the queue was idle. The requester (id; NULL for an
 * automatic job) is recorded before the start: a start that fails at once answers it
 * and frees the job, so nothing may touch the job after this returns. 0 or -ENOMEM. */
static bool s_fail_enqueue;   /* rp_service_fail_enqueue */

void rp_service_fail_enqueue(bool on) { s_fail_enqueue = on; }

int rp_service_enqueue(rp_service_t *self, const char *buyer, uint32_t year, uint32_t quarter,
                     uint32_t formats, text_lang_t lang, text_lang_t tl, const char *rid,
                     bool automatic, const uint8_t *id, size_t idlen)
{
    rp_job_t *j = s_fail_enqueue ? NULL : calloc(1, sizeof *j);
    if (!j)
        return -ENOMEM;
    j->svc = self;
    snprintf(j->buyer, sizeof j->buyer, "%s", buyer);
    j->year = year;
    j->quarter = quarter;
    j->formats = formats;
    j->lang = lang;
    j->tl = tl;
    j->automatic = automatic;
    snprintf(j->rid, sizeof j->rid, "%s", rid ? rid : "");
    if (id && idlen <= sizeof j->wait[0].id) {
        memcpy(j->wait[0].id, id, idlen);
        j->wait[0].idlen = idlen;
        j->nwait = 1;
    }
    rp_job_t **pp = &self->queue;
    while (*pp)
        pp = &(*pp)->next;
    *pp = j;
    s_start_next(self);
    return 0;
}

/* ------------------------------------------------------------------ requests */

static void s_reused(rp_service_t *self, const uint8_t *id, size_t idlen,
                     const Mvoi__Envelope *req)
{
    char why[512];
    text_lang_t tl;
    rp_ids_lang(req, &tl);
    rp_ids_say(why, sizeof why, tl, "request id %.128s was used for another report (period, "
               "formats or language); a retry must ask for the same one, another report "
               "needs a new id", req->request_id);
    s_send_error(self, id, idlen, req, MVOI__ERROR_CODE__ERR_CONFLICT, "request_id", why);
}

/* A repeat answered from its stored record: the reply as it was while every file it names
 * is still the one it wrote; once a later report of the period replaced or removed one
 * (rp_ask.h), refused by name (FAILED_PRECONDITION: the gateway's 409, "changed
 * meanwhile"), never the later run's file under this request's answer. */
static void s_stored(rp_service_t *self, const uint8_t *id, size_t idlen,
                     const Mvoi__Envelope *req, const rp_ask_rec_t *rec)
{
    text_lang_t tl;
    rp_ids_lang(req, &tl);
    char why[600];
    int err;
    Mvoi__Envelope *env = codec_unpack(rec->reply, rec->reply_len, 0, &err);
    if (!env || env->body_case != MVOI__ENVELOPE__BODY_REPORT_REPLY) {
        codec_free(&env);
        rp_ids_say(why, sizeof why, tl, "the stored reply of request id %.128s cannot be "
                   "read; the current report needs a new request id", req->request_id);
        s_send_error(self, id, idlen, req, MVOI__ERROR_CODE__ERR_INTERNAL, "request_id", why);
        return;
    }
    int gone = rp_ask_replaced(rec, env->report_reply);
    if (gone >= 0) {
        uint32_t f = env->report_reply->files[gone]->format;
        rp_ids_say(why, sizeof why, tl, "the report files of request id %.128s were replaced "
                   "or removed by a later report of this period (%s); the current report "
                   "needs a new request id", req->request_id,
                   f >= 1 && f < 8 ? s_ext[f] : "?");
        s_send_error(self, id, idlen, req, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                     "request_id", why);
    } else {
        bus_frame_t f[2] = { { id, idlen }, { rec->reply, rec->reply_len } };
        bus_send(self->router, f, 2);
    }
    codec_free(&env);
}

/* A repeat of a request id: its stored reply, or the job under way (joined). True when
 * answered or joined (also when refused as a different report). */
static bool s_repeat(rp_service_t *self, const uint8_t *id, size_t idlen,
                     const Mvoi__Envelope *req, const rp_ask_t *a)
{
    uint64_t sig = rp_ask_sig(a->year, a->quarter, a->formats, a->lang);
    uint8_t key[256];
    size_t klen = rp_request_key(key, sizeof key, a->buyer, a->rid);   /* both < 128 */
    uint8_t *stored = NULL;
    size_t slen = 0;
    if (klen && rp_store_get(self->store, "requests", key, klen, &stored, &slen) == 0) {
        rp_ask_rec_t rec;
        rp_ask_record(stored, slen, &rec);
        if (rec.sig && rec.sig != sig)
            s_reused(self, id, idlen, req);
        else
            s_stored(self, id, idlen, req, &rec);
        free(stored);
        return true;
    }
    for (rp_job_t *j = self->queue; j; j = j->next) {
        if (strcmp(j->rid, a->rid) != 0 || strcmp(j->buyer, a->buyer) != 0)
            continue;
        if (rp_ask_sig(j->year, j->quarter, j->formats, j->lang) != sig)
            s_reused(self, id, idlen, req);
        else if (j->nwait < RP_JOB_MAXWAIT && idlen <= sizeof j->wait[0].id) {
            memcpy(j->wait[j->nwait].id, id, idlen);
            j->wait[j->nwait++].idlen = idlen;
        }
        return true;
    }
    return false;
}

static void s_generate(rp_service_t *self, const uint8_t *id, size_t idlen,
                       const Mvoi__Envelope *req)
{
    rp_ask_t a;
    rp_ask_err_t err;
    if (rp_ask_check(req, self->o.chromium && *self->o.chromium, self->o.lang, &a, &err) != 0) {
        s_send_error(self, id, idlen, req, err.code, err.field, err.why);
        return;
    }
    if (s_repeat(self, id, idlen, req, &a))
        return;
    text_lang_t tl;
    rp_ids_lang(req, &tl);   /* checked by rp_ids_check */
    if (rp_service_enqueue(self, a.buyer, a.year, a.quarter, a.formats, a.lang, tl, a.rid, false,
                           id, idlen) != 0) {
        char why[64];
        rp_ids_say(why, sizeof why, tl, "out of memory");
        /* a passing shortage, not a request too large: asking again later may succeed
         * (the gateway answers 503 with Retry-After; RESOURCE_EXHAUSTED was its 413) */
        s_send_error(self, id, idlen, req, MVOI__ERROR_CODE__ERR_UNAVAILABLE,
                     "generate_report", why);
    }
}

static void s_health(rp_service_t *self, const uint8_t *id, size_t idlen,
                     const Mvoi__Envelope *req)
{
    Mvoi__HealthReply h = MVOI__HEALTH_REPLY__INIT;
    Mvoi__WriteFailures wf[STORE_NREASONS], *wfp[STORE_NREASONS];
    rp_disk_health(&self->disk, self->store, self->outbox, self->stopping, &h, wf, wfp);
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = req->request_id;
    env.body_case = MVOI__ENVELOPE__BODY_HEALTH_REPLY;
    env.health_reply = &h;
    s_send_env(self, id, idlen, NULL, &env);
}

typedef struct {
    rp_service_t *self;
    const uint8_t *id;
    size_t idlen;
    uint64_t last;
} s_replay_t;

static int s_replay_one(void *arg, uint64_t seq, const char *topic, size_t topic_len,
                        const void *env, size_t env_len)
{
    s_replay_t *r = arg;
    bus_frame_t f[3] = { { r->id, r->idlen }, { topic, topic_len }, { env, env_len } };
    int rc = bus_send(r->self->router, f, 3);
    if (rc < 0)
        return rc;
    r->last = seq;
    return 0;
}

static void s_replay(rp_service_t *self, const uint8_t *id, size_t idlen,
                     const Mvoi__Envelope *req)
{
    const Mvoi__ReplayRequest *rq = req->replay;
    uint64_t from = rq->has_from_seq && rq->from_seq ? rq->from_seq : 1;
    uint64_t head = outbox_head(self->outbox);
    uint32_t max = rq->has_max_count && rq->max_count ? rq->max_count : 1000;
    if (max > 5000)
        max = 5000;
    if (from > head + 1) {
        char why[128];
        text_lang_t tl;
        rp_ids_lang(req, &tl);
        rp_ids_say(why, sizeof why, tl, "from_seq is beyond the head");
        s_send_error(self, id, idlen, req, MVOI__ERROR_CODE__ERR_OUT_OF_RANGE, "replay.from_seq",
                     why);
        return;
    }
    s_replay_t r = { self, id, idlen, 0 };
    outbox_read(self->outbox, from, max, s_replay_one, &r);
    Mvoi__ReplayEnd end = MVOI__REPLAY_END__INIT;
    end.has_epoch = end.has_last_sent_seq = end.has_head_seq = end.has_retained_from = true;
    end.epoch = outbox_epoch(self->outbox);
    end.last_sent_seq = r.last;
    end.head_seq = head;
    end.retained_from = outbox_retained_from(self->outbox);
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = req->request_id;
    env.body_case = MVOI__ENVELOPE__BODY_REPLAY_END;
    env.replay_end = &end;
    s_send_env(self, id, idlen, NULL, &env);
}

/* The adviser's narrative (narrative.c): stored at once, answered with what is stored. */
static void s_narrative(rp_service_t *self, const uint8_t *id, size_t idlen,
                        const Mvoi__Envelope *req)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    rp_narrative_reply_t nr;
    rp_narrative_handle(self->store, req, &env, &nr);
    s_send_env(self, id, idlen, NULL, &env);
}

static void s_on_request(bus_sock_t *sock, int events, void *arg)
{
    rp_service_t *self = arg;
    for (int n = 0; n < 256; n++) {
        bus_msg_t m;
        if (bus_recv(sock, &m) != 0)
            break;
        if (m.nparts != 2 || self->stopping) {
            bus_msg_close(&m);
            continue;
        }
        uint8_t id[256];
        size_t idlen = bus_msg_size(&m, 0) < sizeof id ? bus_msg_size(&m, 0) : sizeof id;
        memcpy(id, bus_msg_data(&m, 0), idlen);
        int err = 0;
        char field[MVOI_ID_FIELD_MAX], msg[MVOI_ID_FIELD_MAX + 160];
        int code = rp_ids_check_wire(bus_msg_data(&m, 1), bus_msg_size(&m, 1), field, msg,
                                     sizeof msg);
        if (code) {
            bus_msg_close(&m);
            s_send_error(self, id, idlen, NULL, code, field, msg);
            continue;
        }
        Mvoi__Envelope *req = codec_unpack(bus_msg_data(&m, 1), bus_msg_size(&m, 1), 0, &err);
        int denied = req ? rp_ids_auth(req, &m.part[1], field, msg, sizeof msg) : 0;
        bus_msg_close(&m);
        if (!req) {
            rp_ids_say(msg, sizeof msg, TEXT_NL, "not an mvoi Envelope");   /* no lang known */
            s_send_error(self, id, idlen, NULL, MVOI__ERROR_CODE__ERR_DECODE, "", msg);
            continue;
        }
        if ((code = rp_ids_check(self->o.buyers, req, field, msg, sizeof msg)) || (code = denied)) {
            s_send_error(self, id, idlen, req, code, field, msg);
            codec_free(&req);
            continue;
        }
        switch (req->body_case) {
        case MVOI__ENVELOPE__BODY_GENERATE_REPORT: s_generate(self, id, idlen, req); break;
        case MVOI__ENVELOPE__BODY_HEALTH: s_health(self, id, idlen, req); break;
        case MVOI__ENVELOPE__BODY_REPLAY: s_replay(self, id, idlen, req); break;
        case MVOI__ENVELOPE__BODY_SET_NARRATIVE: s_narrative(self, id, idlen, req); break;
        default: {
            text_lang_t tl;
            rp_ids_lang(req, &tl);
            rp_ids_say(msg, sizeof msg, tl, "report does not serve %s",
                       codec_body_name(req->body_case));
            s_send_error(self, id, idlen, req, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED,
                         codec_body_name(req->body_case), msg);
        }
        }
        codec_free(&req);
    }
}

/* ------------------------------------------------------------------ timers */

static void s_on_heartbeat(uv_timer_t *t)
{
    rp_service_t *self = t->data;
    rp_disk_probe(&self->disk, self->store);   /* recovery needs no request */
    s_flush(self);
    Mvoi__Heartbeat hb = MVOI__HEARTBEAT__INIT;
    hb.has_head_seq = hb.has_epoch = true;
    hb.head_seq = outbox_head(self->outbox);
    hb.epoch = outbox_epoch(self->outbox);
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.producer = "report";
    env.epoch = hb.epoch;
    env.has_epoch = true;
    env.ts_unix_ms = clock_now_ms();
    env.has_ts_unix_ms = true;
    env.body_case = MVOI__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    uint8_t buf[256];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    if (len > 0) {
        bus_frame_t f[2] = { { MVOI_TOPIC_HB, sizeof MVOI_TOPIC_HB - 1 }, { buf, (size_t)len } };
        bus_send(self->pub, f, 2);
    }
}

static void s_on_auto(uv_timer_t *t) { rp_service_auto_check(t->data); }

/* ------------------------------------------------------------------ lifecycle */

rp_service_t *rp_service_new(uv_loop_t *loop, bus_ctx_t *ctx, const rp_service_opts_t *o,
                             int *err)
{
    rp_service_t *self = calloc(1, sizeof *self);
    if (!self) {
        *err = -ENOMEM;
        return NULL;
    }
    self->loop = loop;
    self->ctx = ctx;
    self->o = *o;
    if (!self->o.auto_check_ms) self->o.auto_check_ms = 60000;
    if (!self->o.timeout_ms) self->o.timeout_ms = 5000;
    if (!self->o.pdf_timeout_ms) self->o.pdf_timeout_ms = 60000;
    if (!self->o.heartbeat_ms) self->o.heartbeat_ms = 1000;
    if (!self->o.sources_max) self->o.sources_max = 50000;
    static const char *const dbs[] = { "requests", "periods", "narratives", OUTBOX_DBS, NULL };
    store_opts_t so = { .path = o->data_dir, .dbs = dbs, .nosync = o->nosync };
    self->store = store_new(&so, err);
    if (!self->store)
        goto fail;
    self->outbox = outbox_new(self->store, "report", err);
    if (!self->outbox)
        goto fail;
    char *rd = self->disk.dir;   /* also where the disk probe writes */
    snprintf(rd, sizeof self->disk.dir, "%s", o->reports_dir);
    if ((*err = rp_mkdirs(rd)) != 0) {
        log_error("config", "cannot create reports_dir %s", o->reports_dir);
        goto fail;
    }
    self->router = bus_sock_new(ctx, loop, ZMQ_ROUTER, NULL);
    self->pub = bus_sock_new(ctx, loop, ZMQ_PUB, NULL);
    if (!self->router || !self->pub || bus_bind(self->router, o->api) != 0 ||
        bus_bind(self->pub, o->pub) != 0) {
        log_error("bind_failed", "cannot bind %s / %s", o->api, o->pub);
        *err = -EADDRINUSE;
        goto fail;
    }
    bus_last_endpoint(self->router, self->api_ep, sizeof self->api_ep);
    bus_last_endpoint(self->pub, self->pub_ep, sizeof self->pub_ep);
    bus_watch(self->router, ZMQ_POLLIN, s_on_request, self);
    uv_timer_init(loop, &self->hb_timer);
    self->hb_timer.data = self;
    uv_timer_start(&self->hb_timer, s_on_heartbeat, self->o.heartbeat_ms, self->o.heartbeat_ms);
    uv_timer_init(loop, &self->auto_timer);
    self->auto_timer.data = self;
    if (self->o.auto_enabled)
        uv_timer_start(&self->auto_timer, s_on_auto, 0, self->o.auto_check_ms);
    self->handles_open = 2;
    s_flush(self);
    *err = 0;
    return self;
fail:
    bus_sock_destroy(&self->router);
    bus_sock_destroy(&self->pub);
    outbox_destroy(&self->outbox);
    store_destroy(&self->store);
    free(self);
    return NULL;
}

const char *rp_service_api(rp_service_t *self) { return self->api_ep; }
const char *rp_service_pub(rp_service_t *self) { return self->pub_ep; }
uint64_t rp_service_generated(rp_service_t *self) { return self->generated; }

static void s_handle_closed(uv_handle_t *h) { ((rp_service_t *)h->data)->handles_open--; }

void rp_service_stop(rp_service_t *self)
{
    if (self->stopping)
        return;
    self->stopping = true;
    uv_timer_stop(&self->hb_timer);
    uv_timer_stop(&self->auto_timer);
    uv_close((uv_handle_t *)&self->hb_timer, s_handle_closed);
    uv_close((uv_handle_t *)&self->auto_timer, s_handle_closed);
    /* The job in flight: stop gathering or printing; rendering on the pool finishes and
     * its completion sees `stopping`. Nothing was stored, so a retry regenerates. */
    rp_job_t *j = self->queue;
    if (j && self->running) {
        if (j->gather) {
            rp_job_t *next = j->next;
            rp_gather_destroy(&j->gather);
            self->queue = next;
            self->running = false;
            s_job_free(j);
        } else if (j->pdf_running) {
            uv_process_kill(&j->proc, SIGKILL);
        }
    }
    /* Queued jobs never started. */
    rp_job_t **pp = self->running ? &self->queue->next : &self->queue;
    while (*pp) {
        rp_job_t *x = *pp;
        *pp = x->next;
        s_job_free(x);
    }
    s_flush(self);
    bus_sock_destroy(&self->router);
    bus_sock_destroy(&self->pub);
}

void rp_service_destroy(rp_service_t **self_p)
{
    rp_service_t *self = *self_p;
    if (!self)
        return;
    if (!self->stopping)
        rp_service_stop(self);
    while (self->queue) {
        rp_job_t *x = self->queue;
        self->queue = x->next;
        s_job_free(x);
    }
    outbox_destroy(&self->outbox);
    store_destroy(&self->store);
    free(self);
    *self_p = NULL;
}
