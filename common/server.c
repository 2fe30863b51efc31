/*  server: ROUTER API + PUB stream of a service. See server.h. */
#include "server.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "log.h"
#include "feed.h"
#include "mvoi_contract.h"
#include "mvoi_error.h"
#include "mvoi_id.h"
#include "mvoi_id_msg.h"

#include "server_int.h"
#include "textfmt.h"

/* ---------------------------------------------------------------- request memory */

void *server_alloc(server_req_t *req, size_t size) { return arena_alloc(req->out, size); }
void *server_prep_alloc(server_req_t *req, size_t size) { return arena_alloc(req->in, size); }
void server_prep_set(server_req_t *req, const void *prep) { req->prep = prep; }
const void *server_prep(server_req_t *req) { return req->prep; }

char *server_strdup(server_req_t *req, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = server_alloc(req, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void s_req_reset_reply(server_req_t *req)
{
    arena_reset(req->out);
    Mvoi__Envelope init = MVOI__ENVELOPE__INIT;
    req->reply = init;
    req->failed = false;
    req->duplicate = false;
    req->packed = false;
    req->stored = NULL;
    req->stored_len = 0;
    req->reply_arm = 0;
    req->reply_body = NULL;
    req->reply_body_len = 0;
}

static void s_req_destroy(server_req_t *req)
{
    arena_destroy(&req->in);
    arena_destroy(&req->out);
    free(req);
}

/* A clean record: from the pool, else new. */
server_req_t *server_req_new(server_t *self)
{
    server_req_t *req = self->free_reqs;
    if (req) {
        self->free_reqs = req->next_free;
        self->nfree--;
    } else {
        req = calloc(1, sizeof *req);
        if (!req)
            return NULL;
        self->stats.records_made++;
        req->in = arena_new(SERVER_ARENA_BLOCK, SERVER_ARENA_KEEP);
        req->out = arena_new(SERVER_ARENA_BLOCK, SERVER_ARENA_KEEP);
        if (!req->in || !req->out) {
            s_req_destroy(req);
            return NULL;
        }
    }
    arena_t *in = req->in, *out = req->out;
    /* Up to the peer id: the id and the error store behind it (800 bytes) are written
     * before they are read, and clearing them showed at one measurement per request. */
    memset(req, 0, offsetof(server_req_t, id));
    req->in = in;
    req->out = out;
    req->server = self;
    s_req_reset_reply(req);
    return req;
}

/* Done with a request: its memory goes back to its arenas, the record to the pool. */
void server_req_free(server_req_t **req_p)
{
    server_req_t *req = *req_p;
    if (!req)
        return;
    *req_p = NULL;
    server_t *self = req->server;
    arena_reset(req->in);
    arena_reset(req->out);
    req->req = NULL;
    bool small = arena_held(req->in) + arena_held(req->out) <= 2 * SERVER_ARENA_BLOCK;
    if (self->nfree < SERVER_POOL || (small && self->nfree < self->pool_max)) {
        req->next_free = self->free_reqs;
        self->free_reqs = req;
        self->nfree++;
    } else {
        s_req_destroy(req);
    }
}

const Mvoi__Envelope *server_request(server_req_t *req) { return req->req; }

const uint8_t *server_request_bytes(server_req_t *req, size_t *len)
{
    *len = req->raw ? req->raw_len : 0;
    return req->raw;
}
Mvoi__Envelope *server_reply(server_req_t *req) { return &req->reply; }

text_lang_t server_lang(server_req_t *req)
{
    text_lang_t lang;
    return req->req && textfmt_env_lang(req->req->lang, &lang) == 0 ? lang : TEXT_NL;
}

int server_verror_in(server_req_t *req, Mvoi__ErrorCode code, const char *field,
                     const char *prefix, const char *fmt, va_list ap)
{
    char msg[384];
    /* The catalogue's translation has the conversions of fmt (tests/unit/test_text.c), so
     * the arguments the compiler checked against fmt fit it. */
    const char *tr = textfmt_from_en(server_lang(req), prefix, fmt);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(msg, sizeof msg, tr, ap);
#pragma GCC diagnostic pop
    codec_set_error(&req->reply, &req->errstore, code, field, "%s", msg);
    req->reply_arm = 0;   /* the error is the body now, not an arm given encoded */
    req->failed = true;
    return -EINVAL;
}

int server_error(server_req_t *req, Mvoi__ErrorCode code, const char *field,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = server_verror_in(req, code, field, "server.err.", fmt, ap);
    va_end(ap);
    return rc;
}

/* Events inherit the tenant and the request's correlation, so that a consumer can trace an
 * effect back to the command that caused it. */
static void s_inherit(server_req_t *req, Mvoi__Envelope *ev)
{
    if (req->req) {
        if (!ev->buyer && req->req->buyer)
            ev->buyer = req->req->buyer;
        if (!ev->correlation_id)
            ev->correlation_id = req->req->correlation_id ? req->req->correlation_id
                                                          : req->req->request_id;
    }
}

int server_emit(server_req_t *req, MDB_txn *txn, const char *topic, Mvoi__Envelope *ev,
                uint64_t *seq_out)
{
    server_t *self = req->server;
    if (!self->opts.outbox)
        return -ENOTSUP;
    s_inherit(req, ev);
    return server_emit_txn(self, txn, topic, ev, NULL, NULL, seq_out);
}

int server_emit_encoded(server_req_t *req, MDB_txn *txn, const char *topic,
                        Mvoi__Envelope *ev, uint32_t body_field, const uint8_t *body,
                        size_t blen, uint64_t *seq_out)
{
    server_t *self = req->server;
    if (!self->opts.outbox)
        return -ENOTSUP;
    s_inherit(req, ev);
    return outbox_append_encoded(self->opts.outbox, txn, topic, ev, body_field, body, blen,
                                 seq_out);
}

int server_emit_txn(server_t *self, MDB_txn *txn, const char *topic, Mvoi__Envelope *ev,
                    outbox_stamp_fn *stamp, void *stamp_arg, uint64_t *seq_out)
{
    if (!self->opts.outbox)
        return -ENOTSUP;
    uint64_t seq = 0;
    int rc = outbox_append_stamped(self->opts.outbox, txn, topic, ev, stamp, stamp_arg, &seq);
    if (rc == 0 && seq_out)
        *seq_out = seq;
    return rc;
}

/* The publish point; with the off-loop flush it also starts the flush of what committed. */
static void s_on_prepare(uv_prepare_t *h)
{
    server_flush_kick(h->data);
    server_publish(h->data);
    server_trim_kick(h->data);
}

/* ---------------------------------------------------------------- commands and queries */

static const server_route_t *s_route(server_t *self, Mvoi__Envelope__BodyCase body)
{
    for (int i = 0; i < self->opts.nroutes; i++)
        if (self->opts.routes[i].body == body)
            return &self->opts.routes[i];
    return NULL;
}

typedef struct {
    server_t *self;
    server_req_t *req;
} s_query_t;

static int s_query_txn(MDB_txn *txn, void *arg)
{
    s_query_t *q = arg;
    int rc = q->req->route->fn(q->self->opts.arg, q->req, txn);
    return q->req->failed ? 0 : rc;
}

static void s_query(server_t *self, server_req_t *req)
{
    s_query_t q = { self, req };
    int rc = store_read(self->opts.store, s_query_txn, &q);
    self->stats.queries++;
    if (rc < 0 && !req->failed) {
        s_req_reset_reply(req);
        if (rc == MVOI_E_UNDECODABLE)   /* never a page or a total short of a record */
            server__undecodable(self, req, "query");
        else
            server_error(req, MVOI__ERROR_CODE__ERR_INTERNAL, "", "the query failed");
    }
}

/* Is a reply stored under the bare request id (before the key had the buyer) the reply
 * to this buyer's request? It names the buyer it answered (s_batch_txn sets it), so venlo's
 * "r-1" does not get heerlen's. Read only on that path: a miss of the scoped key that the
 * bare key hits. */
static bool s_stored_for(const MDB_val *v, const char *buyer)
{
    server_stored_t st;
    if (server__stored_parse(v->mv_data, v->mv_size, &st) != 0)
        return false;
    int err = 0;
    Mvoi__Envelope *e = codec_unpack(st.reply, st.reply_len, 0, &err);
    bool same = e && e->buyer && strcmp(e->buyer, buyer) == 0;
    codec_free(&e);
    return same;
}

/* A command whose request id has a stored reply: the same request again (a retry) gets
 * that reply and changes nothing; a different request under the id is refused, not
 * answered with the other's success (server_stored.c). 0, or -ENOMEM. */
static int s_repeat(server_req_t *req, const server_stored_t *st)
{
    if (st->fp && req->fp && req->fp != st->fp) {
        char when[32];
        clock_format_rfc3339(st->ms, when, sizeof when);
        server_error(req, MVOI__ERROR_CODE__ERR_CONFLICT, "request_id",
                     "request id %.128s was used at %s for a different request; nothing was "
                     "changed: a retry must repeat that request unchanged, a new request "
                     "needs a new id", req->req->request_id, when);
        return 0;
    }
    req->duplicate = true;
    req->stored_len = st->reply_len;
    req->stored = arena_alloc(req->out, st->reply_len + SERVER_STAMP_MAX);
    if (!req->stored)
        return -ENOMEM;
    memcpy(req->stored, st->reply, st->reply_len);
    return 0;
}

/* Runs every command of the batch; re-runnable (store_write may call it again after the
 * map grew), so it resets each reply before running the handler. */
static int s_batch_txn(MDB_txn *txn, void *arg)
{
    server_t *self = arg;
    for (uint32_t i = 0; i < self->ncmds; i++) {
        server_req_t *req = self->cmds[i];
        s_req_reset_reply(req);
        /* Request ids are the client's and clients are many buyers: venlo's "r-1" is not
         * heerlen's. The key is buyer \0 request id (the bare id without a buyer, and for
         * replies stored before buyers scoped it). */
        const char *rid = req->req->request_id, *buyer = req->req->buyer;
        uint8_t kb[MVOI_ID_BUYER_MAX + 1 + MVOI_ID_MAX];
        MDB_val k = { strlen(rid), (void *)rid }, v;
        if (buyer && *buyer && (k.mv_size = mvoi_id_key2(kb, sizeof kb, buyer, rid)) != 0)
            k.mv_data = kb;
        else
            k.mv_size = strlen(rid);
        int rc = mvoi_mdb_error(mdb_get(txn, self->requests_dbi, &k, &v));
        if (rc == -ENOENT && k.mv_data == kb) {
            MDB_val old = { strlen(rid), (void *)rid };
            rc = mvoi_mdb_error(mdb_get(txn, self->requests_dbi, &old, &v));
            if (rc == 0 && !s_stored_for(&v, buyer))
                rc = -ENOENT;   /* another buyer's request with the same id: not this one */
        }
        server_stored_t st;
        if (rc == 0 && server__stored_parse(v.mv_data, v.mv_size, &st) == 0) {
            if ((rc = s_repeat(req, &st)) != 0)
                return rc;
            continue;
        }
        if (rc != 0 && rc != -ENOENT)
            return rc;
        rc = mvoi_mdb_error(req->route->fn(self->opts.arg, req, txn));
        if (req->failed)
            continue;            /* validation error: nothing was written */
        if (rc != 0)
            return rc;           /* storage error: abort the whole batch */
        /* Store the reply with the effect: a repeat of this request id gets it back. */
        req->reply.request_id = req->req->request_id;
        req->reply.correlation_id = req->req->correlation_id;
        req->reply.buyer = req->req->buyer;
        req->reply.producer = (char *)self->opts.name;
        req->reply.has_schema_version = true;
        req->reply.schema_version = CODEC_SCHEMA_VERSION;
        codec_env_size_t sz;
        size_t len = server__reply_size(req, &sz);
        MDB_val sv = { len + SERVER_STORED_HEAD, NULL };
        rc = mvoi_mdb_error(store_put(txn, self->requests_dbi, &k, &sv, MDB_RESERVE));
        if (rc != 0)
            return rc;
        /* The time lets retention drop old entries; the fingerprint tells a retry from
         * another request under the same id (server_stored.c). */
        uint8_t *rb = (uint8_t *)sv.mv_data +
                      server__stored_head(sv.mv_data, clock_now_ms(), req->fp);
        server__reply_pack(req, &sz, rb);
        /* Keep those bytes for the answer: a large reply (a batch of measurement results)
         * is packed once, not again when it is sent. */
        req->stored = arena_alloc(req->out, len + SERVER_STAMP_MAX);
        if (!req->stored)
            return -ENOMEM;
        memcpy(req->stored, rb, len);
        req->stored_len = len;
        req->packed = true;
    }
    return 0;
}

void server__run_batch(server_t *self)
{
    if (self->ncmds == 0)
        return;
    uint64_t before_txn = 0, before_seq = 0;
    if (self->flush)
        server_flush_before(self, &before_txn, &before_seq);
    int64_t t0 = server_trace_now(self->trace);
    /* After a failed flush nothing more is committed: its commands could never be
     * answered (server_flush.c), so they are refused now, not left waiting. */
    int flush_rc = self->flush ? server_flush_failed(self) : 0;
    int rc = flush_rc ? flush_rc : store_write(self->opts.store, s_batch_txn, self);
    int64_t t1 = server_trace_now(self->trace);
    self->stats.batches++;
    for (uint32_t i = 0; i < self->ncmds; i++) {
        server_req_t *req = self->cmds[i];
        req->tr[ST_COMMIT0] = t0;
        req->tr[ST_COMMIT1] = t1;
        if (rc != 0) {
            s_req_reset_reply(req);
            server_error(req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "",
                         flush_rc ? "a flush of the store failed, so the service takes no "
                                    "writes until it restarts; nothing was changed, retry "
                                    "with the same request id"
                                  : "storage failure; nothing was changed, retry with the "
                                    "same request id");
        }
        if (req->duplicate)
            self->stats.duplicates++;
        if (req->failed)
            self->stats.errors++;
        /* committed: answered once its flush is done (server_flush.c) */
        if (rc == 0 && self->flush && server_flush_hold(self, req) == 0) {
            self->cmds[i] = NULL;
            continue;
        }
        if (rc == 0 && self->flush && server_flush_sync(self) != 0) {
            /* no memory to hold it, and the flush here failed: not acknowledged */
            s_req_reset_reply(req);
            server_error(req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "",
                         "storage failure; retry with the same request id");
        }
        server_reply_free(self, req);
        self->cmds[i] = NULL;
    }
    /* A storage failure was logged by the store, once per attempt; a line per refused
     * batch would let the request rate set the log rate. */
    if (rc != 0 && !flush_rc && !store_failing(self->opts.store, NULL)) {
        const char *kv[] = { "error", mvoi_errname(rc), NULL };
        log_emit(LOG_ERROR, "batch_failed", kv, "a batch of %u commands failed: %s",
                 self->ncmds, mvoi_strerror(rc));
    }
    self->ncmds = 0;
    /* This commit's data flush made the earlier commits durable: answer theirs now. */
    if (rc == 0 && self->flush)
        server_flush_after(self, before_txn, before_seq);
    /* The events of this batch go out in s_on_prepare, with those of every other commit of
     * this turn. */
}

/* Every string of a request valid UTF-8 without NUL, every id by the rule of mvoi_id.h:
 * checked once for every service (server__decode), before any handler sees it. Kept in
 * request memory for server__dispatch, which answers; false only without memory for it. */
static bool s_refusal(server_req_t *req, const char *field, const char *why)
{
    size_t lf = strlen(field) + 1, lw = strlen(why) + 1;
    char *f = arena_alloc(req->in, lf), *w = arena_alloc(req->in, lw);
    if (!f || !w)
        return false;
    req->refused_field = memcpy(f, field, lf);
    req->refused_why = memcpy(w, why, lw);
    return true;
}

static void s_refuse(server_t *self, server_req_t *req, const char *field, const char *why)
{
    self->stats.errors++;
    char said[2 * MVOI_ID_WHY_MAX];   /* the reason is mvoi_id's: "id.err." in the catalogue */
    const mvoi_id_why_t *wy = &req->refused_wy;
    if (!wy->fmt ||
        mvoi_id_why_format(said, sizeof said, textfmt_from_en(server_lang(req), "id.err.",
                                                              wy->fmt), wy) < 0)
        snprintf(said, sizeof said, "%s", why);
    server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, field, "%s %s", field, said);
    log_warn("request_rejected", "%s %s", field, why);
}

void server__decode(server_t *self, server_req_t *req, bus_msg_t *msg)
{
    if (msg->nparts != 2 || bus_msg_size(msg, 0) > SERVER_ID_MAX) {
        req->dropped = true;   /* a DEALER sends exactly one frame */
        return;
    }
    req->idlen = bus_msg_size(msg, 0);
    memcpy(req->id, bus_msg_data(msg, 0), req->idlen);
    const uint8_t *data = bus_msg_data(msg, 1);
    size_t len = bus_msg_size(msg, 1);
    char field[MVOI_ID_FIELD_MAX], why[128];
    bool strings_ok;
    req->req = codec_unpack_in_ok(req->in, data, len, CODEC_DEFAULT_BUDGET, &req->decode_err,
                                  &strings_ok);
    /* strings_ok: the decoder read every string and found them valid (codec_lean.c), so
     * the check of the bytes has nothing to find. It answers before a decode error. */
    if (!strings_ok && len <= CODEC_MAX_BYTES &&
        mvoi_id_msg_check_wire(&mvoi__envelope__descriptor, data, len, field, sizeof field,
                               why, sizeof why, &req->refused_wy) != 0) {
        if (s_refusal(req, field, why))
            return;
        req->req = NULL;
        req->decode_err = -ENOMEM;
    }
    if (!req->req)
        return;
    if (self->opts.keep_request_bytes) {
        /* decoded, so at most CODEC_MAX_BYTES; without room the handler packs instead */
        uint8_t *raw = arena_alloc(req->in, len ? len : 1);
        if (raw) {
            memcpy(raw, data, len);
            req->raw = raw;
            req->raw_len = len;
        }
    }
    if (mvoi_id_msg_check(&req->req->base, field, sizeof field, why, sizeof why,
                          &req->refused_wy) != 0) {
        if (!s_refusal(req, field, why))
            req->req = NULL, req->decode_err = -ENOMEM;
        return;
    }
    const server_route_t *r = s_route(self, req->req->body_case);
    if (r && r->kind == SERVER_COMMAND)
        req->fp = server__request_fp(data, len, (uint32_t)req->req->body_case);
    if (r && r->kind == SERVER_COMMAND && r->prep)
        r->prep(self->opts.arg, req);
}

/* A request decode refused or could not read: answered here. True when it was (and freed). */
static bool s_undecoded(server_t *self, server_req_t *req, bus_msg_t *msg)
{
    if (req->dropped) {
        self->stats.decode_errors++;
        log_warn("request_dropped", "dropped a request with %d frames", msg->nparts);
        server_req_free(&req);
        return true;
    }
    if (req->refused_why)
        s_refuse(self, req, req->refused_field, req->refused_why);
    else if (!req->req) {
        int err = req->decode_err;
        self->stats.decode_errors++;
        if (err == -ENOMSG)
            server_error(req, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, "body",
                         "the envelope has no body this version knows");
        else if (err == -EMSGSIZE)
            server_error(req, MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED, "",
                         "message larger than %u bytes", CODEC_MAX_BYTES);
        else if (err == -ENOMEM)
            server_error(req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "",
                         "no memory to read the request; retry");
        else
            server_error(req, MVOI__ERROR_CODE__ERR_DECODE, "",
                         "the bytes are not an mvoi Envelope");
        log_warn("request_rejected", "undecodable request (%d bytes): %s",
                 (int)bus_msg_size(msg, 1), mvoi_strerror(err));
    } else
        return false;
    server__reply(self, req);
    server_req_free(&req);
    return true;
}

/* The language of the reply, the buyer registry and the key's rights, on the loop (the
 * last two may be reloaded). True when the request was refused (answered and freed). */
static bool s_not_admitted(server_t *self, server_req_t *req, bus_msg_t *msg)
{
    const char *b = req->req->buyer;
    text_lang_t lang;
    if (textfmt_env_lang(req->req->lang, &lang) != 0) {
        /* A language the reply cannot be in: refused by name (in Dutch, the default), not
         * answered in a guessed one. */
        char shown[17];
        textfmt_shown(req->req->lang, shown);
        self->stats.errors++;
        server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "lang",
                     "'%.16s' is not a language: nl or en", shown);
        log_warn("request_rejected", "unknown lang");
    } else if (b && *b && !mvoi_buyers_accepts(self->opts.buyers, b)) {
        /* One deployment, many buyers: only those of its registry (buyers.h). */
        self->stats.errors++;
        server_error(req, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, "buyer",
                     "buyer '%s' is not served here: it is not in the buyer registry "
                     "(MVOI_BUYERS_FILE)", b);
        log_warn("request_rejected", "unknown buyer %s", b);
    } else if (server_auth_check(self, req, msg) != 0) {   /* the key's role and buyers */
        self->stats.errors++;
    } else
        return false;
    server__reply(self, req);
    server_req_free(&req);
    return true;
}

/* Route one decoded request; commands are queued for the batch. */
void server__dispatch(server_t *self, server_req_t *req, bus_msg_t *msg)
{
    self->stats.requests++;
    if (s_undecoded(self, req, msg) || s_not_admitted(self, req, msg))
        return;
    switch (req->req->body_case) {
    case MVOI__ENVELOPE__BODY_HEALTH:
        server_health(self, req);
        break;
    case MVOI__ENVELOPE__BODY_REPLAY:
        server_replay(self, req);
        break;
    case MVOI__ENVELOPE__BODY_SNAPSHOT:
        server_snapshot_start(self, req);
        if (req->no_reply) {
            server_req_free(&req);
            return;
        }
        break;
    default:
        req->route = s_route(self, req->req->body_case);
        if (!req->route) {
            server_error(req, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, "body",
                         "%s does not handle %s", self->opts.name,
                         codec_body_name(req->req->body_case));
            break;
        }
        if (req->route->kind == SERVER_QUERY) {
            s_query(self, req);
            break;
        }
        const char *rid = req->req->request_id;
        if (!rid || !*rid || strlen(rid) > SERVER_REQID_MAX) {
            server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "request_id",
                         "a command needs a request id of 1 to %d characters",
                         SERVER_REQID_MAX);
            break;
        }
        self->stats.commands++;
        req->tr[ST_WAKE] = self->t_wake;
        self->cmds[self->ncmds++] = req;   /* answered after the batch commits */
        return;
    }
    if (req->failed)
        self->stats.errors++;
    server__reply(self, req);
    server_req_free(&req);
}

void server__handle(server_t *self, bus_msg_t *msg)
{
    server_req_t *req = server_req_new(self);
    if (!req) {
        self->stats.requests++;
        return;
    }
    server__decode(self, req, msg);
    server__dispatch(self, req, msg);
}

static void s_on_router(bus_sock_t *sock, int events, void *arg)
{
    server_t *self = arg;
    if (events & ZMQ_POLLERR) {
        int e = bus_sock_error(sock);
        const char *kv[] = { "error", mvoi_errname(e), NULL };
        log_emit(LOG_ERROR, "socket_failed", kv, "the API socket stopped: %s",
                 mvoi_strerror(e));
        return;
    }
    self->t_wake = server_trace_now(self->trace);
    if (self->stage) {
        server_stage_read(self, sock);
        return;
    }
    for (uint32_t n = 0; n < self->opts.batch; n++) {
        bus_msg_t msg;
        int rc = bus_recv(sock, &msg);
        if (rc == -EAGAIN)
            break;
        if (rc < 0) {
            self->stats.decode_errors++;
            continue;     /* e.g. too many frames: dropped by the bus */
        }
        server__handle(self, &msg);
        bus_msg_close(&msg);
    }
    /* Everything of this turn commits at once and is acknowledged only after it. */
    server__run_batch(self);
}

void server__watch(server_t *self, bool on)
{
    bus_watch(self->router, on ? ZMQ_POLLIN : 0, on ? s_on_router : NULL, self);
}

static void s_on_heartbeat(uv_timer_t *t)
{
    store_probe(((server_t *)t->data)->opts.store);   /* recovery needs no traffic */
    server_t *self = t->data;
    Mvoi__Heartbeat hb = MVOI__HEARTBEAT__INIT;
    hb.has_head_seq = hb.has_epoch = true;
    /* The head that was published, not the committed one: timers run before the publish
     * point, and a consumer told of a head it has not been sent would replay for nothing. */
    hb.head_seq = outbox_published(self->opts.outbox);
    hb.epoch = outbox_epoch(self->opts.outbox);
    hb.has_incarnation = true;
    hb.incarnation = self->incarnation;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.schema_version = CODEC_SCHEMA_VERSION;
    env.producer = (char *)outbox_producer(self->opts.outbox);
    env.epoch = hb.epoch;
    env.has_epoch = true;
    env.body_case = MVOI__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    uint8_t buf[256];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    if (len > 0) {
        bus_frame_t f[2] = { { MVOI_TOPIC_HB, sizeof MVOI_TOPIC_HB - 1 }, { buf, (size_t)len } };
        bus_send(self->pub, f, 2);
    }
}

/* ---------------------------------------------------------------- lifecycle */

/* A new random incarnation at every start (docs/design.md#clone): followers cannot tell
 * from seqs alone that a restarted publisher lost what it had not yet sent, or that its
 * store went back to an older copy; a new incarnation tells them to re-snapshot. */
static int s_mint_incarnation(uint64_t *out)
{
    uint64_t v = 0;
    while (v == 0) {
        ssize_t n = getrandom(&v, sizeof v, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof v)
            return n < 0 ? -errno : -EIO;
    }
    *out = v;
    return 0;
}

server_t *server_new(uv_loop_t *loop, bus_ctx_t *ctx, const server_opts_t *opts, int *err)
{
    int e = 0;
    server_t *self = calloc(1, sizeof *self);
    if (!self) {
        e = -ENOMEM;
        goto fail;
    }
    self->loop = loop;
    self->opts = *opts;
    if ((e = s_mint_incarnation(&self->incarnation)) < 0)
        goto fail;
    self->trace = server_trace_new();
    server_trace_wal(self->trace, store_wal(self->opts.store));
    if (!self->opts.batch)
        self->opts.batch = SERVER_DEFAULT_BATCH;
    if (!self->opts.replay_max)
        self->opts.replay_max = SERVER_DEFAULT_REPLAY;
    if (!self->opts.request_ttl_s)
        self->opts.request_ttl_s = 7 * 24 * 3600;
    if (!self->opts.maintenance_ms)
        self->opts.maintenance_ms = 60000;
    if (!self->opts.trim_max)
        self->opts.trim_max = 10000;   /* one pass holds the writer ~15 ms (test_server_trim) */
    self->cmds = calloc(self->opts.batch, sizeof *self->cmds);
    self->pool_max = self->opts.batch < SERVER_POOL_SMALL / 2 ? 2 * self->opts.batch
                                                              : SERVER_POOL_SMALL;
    self->requests_dbi = store_dbi(opts->store, "requests");
    if (!self->cmds || self->requests_dbi == (MDB_dbi)-1) {
        e = self->cmds ? -EINVAL : -ENOMEM;
        goto fail;
    }
    self->router = bus_sock_new(ctx, loop, ZMQ_ROUTER, opts->bus_opts);
    if (!self->router || (e = bus_bind(self->router, opts->api_endpoint)) < 0) {
        if (!e)
            e = -EIO;
        log_error("bind_failed", "cannot bind the API on %s: %s", opts->api_endpoint,
                  mvoi_strerror(e));
        goto fail;
    }
    bus_last_endpoint(self->router, self->api_ep, sizeof self->api_ep);
    if (opts->pub_endpoint && opts->outbox) {
        self->pub = bus_sock_new(ctx, loop, ZMQ_PUB, opts->bus_opts);
        if (!self->pub || (e = bus_bind(self->pub, opts->pub_endpoint)) < 0) {
            if (!e)
                e = -EIO;
            log_error("bind_failed", "cannot bind the event stream on %s: %s",
                      opts->pub_endpoint, mvoi_strerror(e));
            goto fail;
        }
        bus_last_endpoint(self->pub, self->pub_ep, sizeof self->pub_ep);
        if ((e = server_publish_init(self)) < 0)
            goto fail;
        uint32_t ivl = opts->heartbeat_ms ? opts->heartbeat_ms : 1000;
        uv_timer_init(loop, &self->hb_timer);
        self->hb_timer.data = self;
        uv_timer_start(&self->hb_timer, s_on_heartbeat, ivl, ivl);
        self->hb_started = true;
        uv_prepare_init(loop, &self->publisher);
        self->publisher.data = self;
        uv_prepare_start(&self->publisher, s_on_prepare);
        self->publisher_started = true;
    }
    uv_timer_init(loop, &self->snap_timer);
    self->snap_timer.data = self;
    self->snap_started = true;
    uv_timer_init(loop, &self->maint_timer);
    self->maint_timer.data = self;
    self->expire_at = uv_now(loop) + self->opts.maintenance_ms;
    uv_timer_start(&self->maint_timer, server_on_maintenance, self->opts.maintenance_ms,
                   self->opts.maintenance_ms);
    self->maint_started = true;
    if (opts->flush_offloop) {
        if (!self->publisher_started || (e = server_flush_init(self)) != 0) {
            e = e ? e : -EINVAL;   /* the flush is started at the publish point */
            goto fail;
        }
    }
    if (self->opts.stage_bytes && (e = server_stage_init(self)) != 0)
        goto fail;
    server__watch(self, true);
    self->ready = true;
    return self;
fail:
    if (self)
        server_destroy(&self);
    if (err)
        *err = e ? e : -ENOMEM;
    return NULL;
}

static void s_free_on_close(uv_handle_t *h)
{
    server_t *self = h->data;
    if (--self->closing == 0)
        free(self);
}

void server_destroy(server_t **self_p)
{
    server_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    server_stage_fini(self);   /* staged requests: nothing of them was committed */
    server_flush_fini(self);   /* committed commands: flushed and answered */
    if (self->trace && store_wal(self->opts.store)) {
        int64_t p50, max;
        store_checkpoint_stall(self->opts.store, &p50, &max);
        server_trace_checkpoints(self->trace, store_checkpoints(self->opts.store), p50, max);
    }
    server_trace_destroy(&self->trace);
    /* Commands of the current turn were answered in s_on_router; nothing is pending. */
    for (uint32_t i = 0; i < self->ncmds; i++)
        server_req_free(&self->cmds[i]);
    free(self->cmds);
    while (self->free_reqs) {
        server_req_t *n = self->free_reqs->next_free;
        s_req_destroy(self->free_reqs);
        self->free_reqs = n;
    }
    server_snapshot_drop_all(self);
    server_publish(self);   /* a graceful stop sends what was committed last */
    bus_sock_destroy(&self->router);
    bus_sock_destroy(&self->pub);
    codec_batch_destroy(&self->batch);
    uv_handle_t *hs[4] = { self->hb_started ? (uv_handle_t *)&self->hb_timer : NULL,
                           self->maint_started ? (uv_handle_t *)&self->maint_timer : NULL,
                           self->publisher_started ? (uv_handle_t *)&self->publisher : NULL,
                           self->snap_started ? (uv_handle_t *)&self->snap_timer : NULL };
    for (int i = 0; i < 4; i++)
        if (hs[i] && !uv_is_closing(hs[i]))
            self->closing++;
    if (self->closing == 0) {
        free(self);
        return;
    }
    for (int i = 0; i < 4; i++)
        if (hs[i] && !uv_is_closing(hs[i]))
            uv_close(hs[i], s_free_on_close);   /* uv_close stops the handle */
}

void server_set_ready(server_t *self, bool ready) { self->ready = ready; }
const char *server_api_endpoint(server_t *self) { return self->api_ep; }
uint64_t server_incarnation(server_t *self) { return self->incarnation; }
const char *server_pub_endpoint(server_t *self) { return self->pub_ep; }
void server_stats(server_t *self, server_stats_t *out) { *out = self->stats; }
