/*  service_int: what the files of the impact service share (not for other modules).
 *
 *  service.c owns the object (routes, calendar projection, lifecycle); the handlers live in
 *  service_submit.c, service_correct.c and service_query.c; service_util.c holds the
 *  helpers they share. The databases are described in impact_service.h.
 */
#ifndef MVOI_IMPACT_SERVICE_INT_H
#define MVOI_IMPACT_SERVICE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lmdb.h>

#include "factors.h"
#include "feed.h"
#include "impact_error.h"
#include "impact_service.h"
#include "inbox.h"
#include "outbox.h"
#include "server.h"
#include "store.h"
#include "codec.h"

#include "mvoi_id.h"
#include "tender_cache.h"
#include "text.h"

/* Room for any key of valid ids (mvoi_id.h); a key builder that is given more refuses. */
#define IMPACT_SVC_KEY_MAX MVOI_ID_KEY_MAX
#define IMPACT_SVC_EXPLAIN_MAX 2048

/* The dbs a submit keeps a cursor on (service_cursor.c). */
typedef enum { IMPACT_CUR_MEAS, IMPACT_CUR_BYTENDER, IMPACT_CUR_RECENT, IMPACT_CUR_N } impact_cur_t;

/* A request refused for a tender the calendar may have just registered (service_await.c). */
#define IMPACT_AWAIT_SLOTS 256
typedef struct {
    uint64_t key;     /* hash of buyer and request id; 0 = free */
    uint64_t token;   /* feed_sync's, asked when the request was first seen */
} impact_await_t;

struct impact_svc {
    uv_loop_t *loop;
    bus_ctx_t *bus;
    impact_opts_t opts;
    factors_t *factors;
    store_t *store;
    outbox_t *outbox;
    inbox_t *inbox;
    server_t *server;
    feed_t *feed;
    bus_sock_t *hb;            /* SUB on the calendar's "hb": is the calendar alive? */
    uint64_t cal_heard_ms;
    MDB_dbi tenders, measurements, history, bytender, recent;
    impact_tcache_t *tcache;   /* tenders a submit's write transaction read (tender_cache.h) */
    uint8_t *enc;              /* service_encode.c: the packed measurement and impact */
    size_t enc_cap;
    MDB_txn *cur_txn;          /* service_cursor.c: the submit whose cursors are open */
    MDB_cursor *cur[IMPACT_CUR_N];   /* opened on first use */
    impact_await_t await[IMPACT_AWAIT_SLOTS];
};
/* ---- service_util.c */

/* Unpack bytes into request memory (freed with the reply): the message with *rc 0, or NULL
 * with *rc MVOI_E_UNDECODABLE (bytes that are no d: the caller logs which record) or -ENOMEM. */
ProtobufCMessage *impact_svc_unpack_req(server_req_t *req, const ProtobufCMessageDescriptor *d,
                                        const MDB_val *v, int *rc);
/* A copy of an impact in request memory. */
Mvoi__Impact *impact_svc_copy_impact(server_req_t *req, const Mvoi__Impact *in);
/* "a\0b[\0c]" into buf of cap bytes; returns its length, 0 when it does not fit. */
size_t impact_svc_key(uint8_t *buf, size_t cap, const char *a, const char *b, const char *c);
int impact_svc_put_msg(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen,
                       const ProtobufCMessage *msg);
/* The calendar feed caught up and a calendar heartbeat within calendar_stale_ms. */
bool impact_svc_calendar_current(impact_svc_t *self);
/* server ready_fn: the calendar projection is current. */
bool impact_svc_ready(void *arg);
/* "measurement.energy.x" -> "<prefix>.energy.x"; "" or "measurement" -> prefix. */
void impact_svc_field(char *out, size_t len, const char *prefix, const char *core_field);
/* The message of an impact_error_t without its "<core field>: " lead. */
const char *impact_svc_reason(const impact_error_t *e);
/* An impact_error_t code, ERR_INVALID_ARGUMENT when it has none. */
int impact_svc_error_code(int code);
/* Tender of the projection, unpacked into request memory; NULL if unknown. rc < 0 on an
 * LMDB error, MVOI_E_UNDECODABLE (logged) when its bytes are no Tender, -ENOMEM (in *rc). */
Mvoi__Tender *impact_svc_tender(impact_svc_t *self, server_req_t *req, MDB_txn *txn,
                                const char *buyer, const char *tender_id, int *rc);
/* The current record of buyer/id (malloc'd: free with
 * mvoi__measurement_record__free_unpacked), NULL if none; *rc an LMDB error,
 * MVOI_E_UNDECODABLE (logged) when its bytes are no record, or -ENOMEM. */
Mvoi__MeasurementRecord *impact_svc_record(impact_svc_t *self, MDB_txn *txn, const char *buyer,
                                           const char *id, int *rc);
/* buyer \0 id \0 be32 revision into k of cap bytes; 0 when it does not fit. */
size_t impact_svc_history_key(uint8_t *k, size_t cap, const char *buyer, const char *id,
                              uint32_t rev);
/* Packed measurement without its revision (malloc'd): the content a duplicate is compared by. */
uint8_t *impact_svc_content(const Mvoi__Measurement *m, size_t *len);
/* Emit impact.computed / impact.corrected / impact.withdrawn through the request. */
int impact_svc_emit(impact_svc_t *self, server_req_t *req, MDB_txn *txn,
                    Mvoi__ImpactEventKind kind, Mvoi__Measurement *m, Mvoi__Impact *imp,
                    Mvoi__Measurement *prev, Mvoi__Impact *prev_imp, const Mvoi__Tender *tender,
                    uint64_t *seq);
/* The envelope's buyer, NULL when missing or empty. */
const char *impact_svc_buyer(server_req_t *req);
/* The language of the explanations and refusals of this request (GetMeasurement.lang,
 * SubmitMeasurements.lang of submit and compute_impact; without one the envelope's,
 * server_lang: Dutch when unset); -EINVAL for a body's word text_lang_parse does not know
 * (*out then Dutch). */
int impact_svc_lang(server_req_t *req, text_lang_t *out);
/* A whole request's refusal in its language (impact_svc_lang): fmt is the English of a
 * catalogue "impact.err." entry (textfmt.h). server_error's return. */
int impact_svc_refuse(server_req_t *req, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The reason of a calculation's refusal in the request's language, without its
 * "<core field>: " lead. */
const char *impact_svc_reason_in(server_req_t *req, const impact_error_t *e);
/* The explanation of an impact in request memory (with the tender's SROI obligation), in
 * the language of impact_svc_lang. */
char *impact_svc_explain(impact_svc_t *self, server_req_t *req, const Mvoi__Measurement *m,
                         const Mvoi__Impact *imp, const Mvoi__Tender *t);

/* ---- service_await.c */

/* Pass 1 of a stored submit, no writes: 0 when every item's tender is known, or unknown
 * for certain (each such item is then refused by itself); else the whole request's
 * refusal as a retry (ERR_UNAVAILABLE on field[i].tender_id, nothing stored): the calendar
 * is away or behind, or it is being asked whether it just registered the tender. An LMDB
 * error is returned as such. */
int impact_svc_tenders_known(impact_svc_t *self, server_req_t *req, MDB_txn *txn,
                             const char *buyer, const char *field,
                             const Mvoi__SubmitMeasurements *sm);

/* ---- service_pack.c: the same bytes as protobuf-c's, packed by hand */
size_t impact_svc_impact_size(const Mvoi__Impact *imp);
/* Writes impact_svc_impact_size(imp) bytes at out; returns that size. */
size_t impact_svc_impact_pack(const Mvoi__Impact *imp, uint8_t *out);
/* A record's own fields (measurement and impact NULL), an event's kind and group (no
 * message field set): what service_encode.c writes before the encoded fields. */
size_t impact_svc_record_head_size(const Mvoi__MeasurementRecord *rec);
size_t impact_svc_record_head_pack(const Mvoi__MeasurementRecord *rec, uint8_t *out);
size_t impact_svc_event_head_size(const Mvoi__ImpactEvent *ie);
size_t impact_svc_event_head_pack(const Mvoi__ImpactEvent *ie, uint8_t *out);
/* A MeasurementReply. enc: NULL, or one slice per result: a slice with data is that
 * result's impact already packed, taken in place of its impact field. size fills sz (room
 * for 3 per result) for pack, which writes that many bytes at out and returns the count. */
size_t impact_svc_reply_size(const Mvoi__MeasurementReply *rep, const codec_slice_t *enc,
                             size_t *sz);
size_t impact_svc_reply_pack(const Mvoi__MeasurementReply *rep, const codec_slice_t *enc,
                             const size_t *sz, uint8_t *out);

/* ---- service_encode.c */

/* A measurement and its impact packed once (in self->enc, valid until the next encode). */
typedef struct {
    size_t ml, il;
    bool has_impact;
} impact_svc_enc_t;
/* item: NULL, or m as the client encoded it (before buyer and revision were set), which is
 * then taken as it is when that keeps its meaning (service_encode.c). */
int impact_svc_encode(impact_svc_t *self, const Mvoi__Measurement *m, const Mvoi__Impact *imp,
                      const codec_slice_t *item, impact_svc_enc_t *e);
/* The same with the impact packed already (a prep's, impact_svc_prep_t). */
int impact_svc_encode_packed(impact_svc_t *self, const Mvoi__Measurement *m,
                             const codec_slice_t *impact, const codec_slice_t *item,
                             impact_svc_enc_t *e);

/* ---- service_prep.c: a submit's calculations before its batch (server_prep_fn) */

/* The measurement in of a SubmitMeasurements as it is computed and stored: the envelope's
 * buyer, no revision yet. False when in names another buyer (refused, not computed). */
bool impact_svc_submitted(const Mvoi__Measurement *in, const char *buyer,
                          Mvoi__Measurement *out);

/* One measurement of a SubmitMeasurements, computed: its impact packed (ok), or why it
 * cannot be computed (refused). Neither: the handler computes it (a buyer that differs
 * from the envelope's is refused there before any calculation). */
typedef struct {
    bool ok;
    codec_slice_t impact;         /* request memory */
    const impact_error_t *err;    /* refused, or NULL */
} impact_svc_prep_t;
/* The calculation of each measurement of a stored SubmitMeasurements (not what_if): an
 * array of impact_svc_prep_t, one per measurement, left by server_prep_set. It reads only
 * the request and the factor tables, which are loaded once at start. */
void impact_svc_prep_submit(void *arg, server_req_t *req);
/* Store rec (its measurement and impact as e holds them) under k in db measurements. */
int impact_svc_put_record_enc(impact_svc_t *self, MDB_txn *txn, const void *k, size_t klen,
                              Mvoi__MeasurementRecord *rec, const impact_svc_enc_t *e);
/* impact_svc_emit of e's measurement and impact, without a previous revision. */
int impact_svc_emit_enc(impact_svc_t *self, server_req_t *req, MDB_txn *txn,
                        Mvoi__ImpactEventKind kind, const char *buyer,
                        const impact_svc_enc_t *e, const Mvoi__Tender *tender, uint64_t *seq);

/* ---- service_cursor.c: one cursor per db for a submit of many measurements */

/* From here until impact_svc_cursors_end, reads and writes of txn through impact_svc_get
 * and impact_svc_put use a cursor per db when the request has more than one item. */
void impact_svc_cursors_begin(impact_svc_t *self, MDB_txn *txn, size_t items);
/* Closes the cursors; call before the handler returns, on every path. */
void impact_svc_cursors_end(impact_svc_t *self);
/* store_put / mdb_get on db which, through its cursor when one is in scope. */
int impact_svc_put(impact_svc_t *self, MDB_txn *txn, impact_cur_t which, MDB_val *key,
                   MDB_val *val, unsigned flags);
int impact_svc_get(impact_svc_t *self, MDB_txn *txn, impact_cur_t which, MDB_val *key,
                   MDB_val *val);

/* ---- service_recent.c */

/* Index rec under the event seq of its revision, dropping its old_seq key (0: none), and
 * store rec (the measurement's current record) with seq and recorded_ms set; enc (may be
 * NULL): rec's measurement and impact packed already (impact_svc_encode). */
int impact_svc_recent_put(impact_svc_t *self, MDB_txn *txn, uint64_t old_seq, uint64_t seq,
                          Mvoi__MeasurementRecord *rec, const impact_svc_enc_t *enc);
/* The buyer's records latest first, from offset, at most limit into out->records (room for
 * limit); next_offset when more follow. */
int impact_svc_list_recent(impact_svc_t *self, server_req_t *req, MDB_txn *txn,
                           const char *buyer, uint32_t offset, uint32_t limit,
                           Mvoi__MeasurementList *out);

/* ---- service_snapshot.c: server_snapshot_fn, what consumers rebuild from */
int impact_svc_snapshot(void *arg, server_req_t *req, MDB_txn *txn, const char *prefix);

/* ---- the handlers (server_route_t fns) */

int impact_svc_on_submit(void *arg, server_req_t *req, MDB_txn *txn);     /* service_submit.c */
int impact_svc_on_compute(void *arg, server_req_t *req, MDB_txn *txn);
int impact_svc_on_correct(void *arg, server_req_t *req, MDB_txn *txn);    /* service_correct.c */
int impact_svc_on_withdraw(void *arg, server_req_t *req, MDB_txn *txn);
int impact_svc_on_get(void *arg, server_req_t *req, MDB_txn *txn);        /* service_query.c */
int impact_svc_on_list(void *arg, server_req_t *req, MDB_txn *txn);
int impact_svc_on_factors(void *arg, server_req_t *req, MDB_txn *txn);

#endif
