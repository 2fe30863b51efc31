/* cal_client: pipelined UpsertTenders import. See cal_client.h. */
#include "cal_client.h"
#include "textfmt.h"
#include "mvoi_id_text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "codec.h"
#include "mvoi_curve.h"
#include "mvoi_id.h"

static bool s_empty(const char *s) { return !s || !*s; }

/* Two independent 64-bit FNV-1a lanes: 128 bits. */
typedef struct {
    uint64_t h1, h2;
} s_hash_t;

static void s_hash(s_hash_t *h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h->h1 = (h->h1 ^ p[i]) * 0x100000001b3ull;
        h->h2 = (h->h2 ^ (uint8_t)(p[i] + 0x5b)) * 0x100000001b3ull;
        h->h2 ^= h->h2 >> 29;
    }
}

/* buyer '\0' data, then (when given) the state digest. */
static void s_prefix(const char *buyer, const void *data, size_t len, const uint64_t *state,
                     size_t n_state, char *out, size_t outlen)
{
    s_hash_t h = { 0xcbf29ce484222325ull, 0x84222325cbf29ce4ull };
    s_hash(&h, buyer ? buyer : "", buyer ? strlen(buyer) + 1 : 0);
    s_hash(&h, data, len);
    s_hash(&h, state, n_state * sizeof *state);
    snprintf(out, outlen, "imp-%016llx%016llx", (unsigned long long)h.h1,
             (unsigned long long)h.h2);
}

void cal_import_prefix(const char *buyer, const void *data, size_t len, char *out, size_t outlen)
{
    s_prefix(buyer, data, len, NULL, 0, out, outlen);
}

void cal_import_result_clear(cal_import_result_t *out)
{
    free(out->failures);
    memset(out, 0, sizeof *out);
}

static void s_fail_row(const cal_import_opts_t *o, cal_import_result_t *out, size_t key,
                       int code, const char *field, const char *msg, bool repeated, bool unsent,
                       bool silent)
{
    /* this client's own reasons (no answer, too large) in the run's language; a service's
     * refusal is in it already and has no "tender.client." entry */
    text_lang_t lang = TEXT_NL;
    if (o->lang && text_lang_parse(o->lang, &lang) != 0)
        lang = TEXT_EN;
    msg = textfmt_from_en(lang, "tender.client.", msg);
    if (o->on_row) {
        cal_import_row_t row = { .key = key, .code = code, .field = field ? field : "",
                                 .message = msg ? msg : "", .repeated = repeated,
                                 .unsent = unsent, .silent = silent };
        o->on_row(o->row_arg, &row);
    }
    out->failed++;
    if (out->n_failures >= CAL_IMPORT_MAX_FAILURES)
        return;
    if (!out->failures) {
        out->failures = calloc(CAL_IMPORT_MAX_FAILURES, sizeof *out->failures);
        if (!out->failures)
            return;
    }
    cal_import_failure_t *f = &out->failures[out->n_failures++];
    f->key = key;
    f->code = code;
    snprintf(f->field, sizeof f->field, "%s", field ? field : "");
    snprintf(f->message, sizeof f->message, "%s", msg ? msg : "");
}

static void s_fail(const cal_import_opts_t *o, cal_import_result_t *out, size_t key, int code,
                   const char *field, const char *msg, bool repeated)
{
    s_fail_row(o, out, key, code, field, msg, repeated, false, false);
}

/* index of key k (keys ascending); -1 if absent */
static long s_find(const size_t *keys, size_t n, size_t k)
{
    if (!keys)
        return k >= 1 && k <= n ? (long)(k - 1) : -1;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (keys[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && keys[lo] == k ? (long)lo : -1;
}

#define S_KEY(i) (keys ? keys[i] : (i) + 1)

/* "upsert_tenders.tenders[7].cpv" -> "tender.cpv": the user knows the row, not the index
 * of the tender in its command. Other fields (a refusal of the whole command) stay. */
static void s_item_field(const char *field, char *out, size_t outlen)
{
    static const char pfx[] = "upsert_tenders.tenders[";
    const char *f = field ? field : "";
    if (strncmp(f, pfx, sizeof pfx - 1) == 0) {
        const char *close = strchr(f, ']');
        if (close) {
            snprintf(out, outlen, "tender%s", close + 1);
            return;
        }
    }
    snprintf(out, outlen, "%s", f);
}

typedef struct {
    const cal_import_opts_t *o;
    Mvoi__Tender *const *tenders;
    const size_t *keys;
    size_t n;
    cal_import_result_t *out;
    uint32_t *count;     /* count[i]: tenders of the command that starts at i, 0 = none */
    bool *done;          /* done[i]: the command that starts at i was answered */
} s_run_t;

/* Account one answered command (its first tender at idx). */
static void s_answer(s_run_t *r, size_t idx, const Mvoi__Envelope *env)
{
    const cal_import_opts_t *o = r->o;
    const size_t *keys = r->keys;
    cal_import_result_t *out = r->out;
    size_t cnt = r->count[idx];
    bool repeated = !env->correlation_id || !o->run_id ||
                    strcmp(env->correlation_id, o->run_id) != 0;
    if (env->body_case == MVOI__ENVELOPE__BODY_ERROR) {
        char field[128];
        s_item_field(env->error->field, field, sizeof field);
        for (size_t j = 0; j < cnt; j++)
            s_fail(o, out, S_KEY(idx + j), env->error->code, field, env->error->message, repeated);
        return;
    }
    const Mvoi__UpsertTendersReply *rep = env->body_case ==
        MVOI__ENVELOPE__BODY_UPSERT_TENDERS_REPLY ? env->upsert_tenders_reply : NULL;
    if (rep && rep->has_seq && rep->seq > out->last_seq)
        out->last_seq = rep->seq;
    for (size_t j = 0; j < cnt; j++) {
        size_t key = S_KEY(idx + j);
        const Mvoi__UpsertResult *res = rep && j < rep->n_results ? rep->results[j] : NULL;
        if (!res) {
            s_fail(o, out, key, MVOI__ERROR_CODE__ERR_INTERNAL, "", "unexpected reply", false);
            continue;
        }
        if (res->error) {
            char field[128];
            s_item_field(res->error->field, field, sizeof field);
            s_fail(o, out, key, res->error->code, field, res->error->message, repeated);
            continue;
        }
        if (res->has_seq && res->seq > out->last_seq)
            out->last_seq = res->seq;
        if (o->on_row) {
            cal_import_row_t row = { .key = key, .outcome = res->outcome, .repeated = repeated,
                                     .changed = (const char *const *)res->changed,
                                     .n_changed = res->n_changed, .warning = res->warning };
            o->on_row(o->row_arg, &row);
        }
        if (repeated) {
            out->repeated++;
            out->unchanged++;
        } else if (res->outcome == MVOI__UPSERT_OUTCOME__UPSERT_CREATED) {
            out->created++;
        } else if (res->outcome == MVOI__UPSERT_OUTCOME__UPSERT_UPDATED) {
            out->updated++;
        } else {
            out->unchanged++;
        }
    }
}

/* Pack the command for tenders[first..first+*cnt) into buf; a command over the message
 * limit is halved until it fits, so the split depends only on the input (request ids stay
 * deterministic). Returns the length, or -1 when even one tender does not fit (*cnt = 1). */
static int64_t s_pack_cmd(s_run_t *r, size_t first, size_t *cnt, uint8_t *buf)
{
    const cal_import_opts_t *o = r->o;
    const size_t *keys = r->keys;
    for (;;) {
        char rid[160];
        snprintf(rid, sizeof rid, "%s-%zu+%zu", o->rid_prefix, S_KEY(first), *cnt);
        Mvoi__UpsertTenders up = MVOI__UPSERT_TENDERS__INIT;
        up.n_tenders = *cnt;
        up.tenders = (Mvoi__Tender **)(r->tenders + first);
        Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
        env.has_schema_version = 1;
        env.schema_version = CODEC_SCHEMA_VERSION;
        env.producer = (char *)(o->producer ? o->producer : "mvoictl");
        env.request_id = rid;
        env.correlation_id = (char *)o->run_id;
        env.buyer = (char *)o->buyer;
        env.body_case = MVOI__ENVELOPE__BODY_UPSERT_TENDERS;
        env.upsert_tenders = &up;
        up.has_merge = up.merge = o->merge;
        up.has_apply_status = up.apply_status = o->apply_status;
        up.has_validate_only = up.validate_only = o->validate_only;
        up.stated = (char **)o->stated;
        up.n_stated = o->n_stated;
        up.lang = (char *)o->lang;
        int64_t len = codec_pack_into(&env, buf, CODEC_MAX_BYTES);
        if (len >= 0)
            return len;
        if (*cnt == 1)
            return -1;
        *cnt /= 2;
    }
}

/* Parse "<prefix>-<first key>+<count>" into the index of its first tender; -1 if not ours. */
static long s_reply_index(const s_run_t *r, const char *rid)
{
    const char *pfx = r->o->rid_prefix;
    size_t pl = strlen(pfx);
    if (!rid || strncmp(rid, pfx, pl) != 0 || rid[pl] != '-')
        return -1;
    char *end;
    size_t key = (size_t)strtoull(rid + pl + 1, &end, 10);
    if (*end != '+')
        return -1;
    size_t cnt = (size_t)strtoull(end + 1, NULL, 10);
    long idx = s_find(r->keys, r->n, key);
    if (idx < 0 || r->count[idx] != cnt || r->done[idx])
        return -1;
    return idx;
}

/* Commands in flight: tenders [0, next) sent, `answered` of them answered. */
typedef struct {
    size_t next, answered, flying, cmds;
} s_flight_t;

/* Tenders per command: at least four commands in flight, since the service commits what
 * has arrived in one transaction and the next commands should be on their way meanwhile. */
static size_t s_per(const cal_import_opts_t *o, size_t window)
{
    size_t per = o->per_request ? o->per_request : 500;
    if (per > 1000)
        per = 1000;
    if (per > (window + 3) / 4)
        per = (window + 3) / 4;
    return per ? per : 1;
}

/* Fill the window with whole commands. 0, or -EIO when the socket fails. */
static int s_fill(s_run_t *r, void *s, uint8_t *buf, size_t per, size_t window, s_flight_t *f)
{
    const cal_import_opts_t *o = r->o;
    const size_t *keys = r->keys;
    size_t n = r->n;
    while (f->next < n && (f->cmds == 0 || f->flying + per <= window)) {
        size_t cnt = n - f->next < per ? n - f->next : per;
        int64_t len = s_pack_cmd(r, f->next, &cnt, buf);
        if (len < 0) {
            s_fail(o, r->out, S_KEY(f->next), MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED, "tender",
                   "the tender does not fit in one message", false);
            f->answered++;
            f->next++;
            continue;
        }
        if (zmq_send(s, buf, (size_t)len, ZMQ_DONTWAIT) < 0) {
            if (zmq_errno() == EAGAIN)
                break;
            return -EIO;
        }
        r->count[f->next] = (uint32_t)cnt;
        r->out->sent += cnt;
        f->flying += cnt;
        f->cmds++;
        f->next += cnt;
    }
    return 0;
}

/* Take every reply that is there. */
static void s_take_replies(s_run_t *r, void *s, s_flight_t *f)
{
    const cal_import_opts_t *o = r->o;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        int more = zmq_msg_more(&m);
        if (more) {   /* a streamed item: not ours */
            zmq_msg_close(&m);
            while (more) {
                zmq_msg_init(&m);
                zmq_msg_recv(&m, s, 0);
                more = zmq_msg_more(&m);
                zmq_msg_close(&m);
            }
            continue;
        }
        int err = 0;
        Mvoi__Envelope *env = codec_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 0, &err);
        zmq_msg_close(&m);
        if (!env)
            continue;
        long idx = s_reply_index(r, env->request_id);
        if (idx < 0) {
            codec_free(&env);
            continue;
        }
        r->done[idx] = true;
        size_t cnt = r->count[idx];
        f->answered += cnt;
        f->flying -= cnt;
        f->cmds--;
        s_answer(r, (size_t)idx, env);
        codec_free(&env);
        if (o->progress)
            o->progress(o->progress_arg, f->answered, r->n);
    }
}

/* The service went quiet: every tender sent and not answered (stored or not: unknown), and
 * every tender not sent (not stored), is reported unavailable. */
static void s_fail_unanswered(s_run_t *r, size_t next)
{
    const cal_import_opts_t *o = r->o;
    const size_t *keys = r->keys;
    for (size_t i = 0; i < r->n; i++)
        if (r->count[i] && !r->done[i])
            for (size_t j = 0; j < r->count[i]; j++)
                s_fail_row(o, r->out, S_KEY(i + j), MVOI__ERROR_CODE__ERR_UNAVAILABLE, "",
                           "no answer from the service", false, false, true);
    for (size_t i = next; i < r->n; i++)   /* never sent: certainly not stored */
        s_fail_row(o, r->out, S_KEY(i), MVOI__ERROR_CODE__ERR_UNAVAILABLE, "",
                   "not sent: the service had stopped answering", false, true, true);
}

/* A DEALER to the calendar with the client's CURVE key, and a monitor of its handshake: a
 * service that refuses the key sends nothing at all, and without the monitor that looked
 * like a calendar that stopped answering (every row "no answer", exit 69). */
typedef struct {
    void *ctx, *sock, *mon;
} s_conn_t;

static void s_conn_close(s_conn_t *c)
{
    if (c->mon)
        zmq_close(c->mon);
    if (c->sock)
        zmq_close(c->sock);
    if (c->ctx)
        zmq_ctx_term(c->ctx);
    *c = (s_conn_t){ 0 };
}

/* 0, or -EINVAL when it cannot connect (nothing left open then). A monitor that cannot be
 * made leaves mon NULL: a refusal is then only a silence. */
static int s_conn_open(const cal_import_opts_t *o, s_conn_t *c)
{
    *c = (s_conn_t){ .ctx = zmq_ctx_new() };
    c->sock = c->ctx ? zmq_socket(c->ctx, ZMQ_DEALER) : NULL;
    int zero = 0, hwm = 1000;
    if (!c->sock) {
        s_conn_close(c);
        return -EINVAL;
    }
    zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(c->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(c->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    /* one monitor per context (a fresh context per connection): the name is free */
    if (zmq_socket_monitor(c->sock, "inproc://cal-client-handshake",
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                           | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) == 0) {
        c->mon = zmq_socket(c->ctx, ZMQ_PAIR);
        if (c->mon)
            zmq_setsockopt(c->mon, ZMQ_LINGER, &zero, sizeof zero);
        if (c->mon && zmq_connect(c->mon, "inproc://cal-client-handshake") != 0) {
            zmq_close(c->mon);
            c->mon = NULL;
        }
    }
    if (mvoi_curve_client(c->sock, o->endpoint) != 0 || zmq_connect(c->sock, o->endpoint) != 0) {
        s_conn_close(c);
        return -EINVAL;
    }
    return 0;
}

/* Wait up to timeout ms for a reply: zmq_poll's answer (> 0: the socket is readable), or
 * -EACCES when the service refused the handshake (*status: the ZAP status, e.g. 400 for a
 * key not in its registry). */
static int s_conn_poll(s_conn_t *c, int timeout, int *status)
{
    zmq_pollitem_t it[2] = { { c->sock, 0, ZMQ_POLLIN, 0 }, { c->mon, 0, ZMQ_POLLIN, 0 } };
    int pr = zmq_poll(it, c->mon ? 2 : 1, timeout);
    if (pr > 0 && c->mon && (it[1].revents & ZMQ_POLLIN)) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, c->mon, ZMQ_DONTWAIT) >= 0 && zmq_msg_size(&m) >= 6) {
            const uint8_t *d = zmq_msg_data(&m);
            *status = (int)(d[2] | d[3] << 8 | d[4] << 16 | (uint32_t)d[5] << 24);
            zmq_msg_close(&m);
            return -EACCES;
        }
        zmq_msg_close(&m);
    }
    return pr;
}

/* The commands of tenders[0..n), every id of which the calendar takes (s_precheck). */
static int s_send_run(const cal_import_opts_t *o, Mvoi__Tender *const *tenders,
                      const size_t *keys, size_t n, cal_import_result_t *out)
{
    size_t window = o->window ? o->window : 8000;
    size_t per = s_per(o, window);
    int timeout = o->timeout_ms > 0 ? o->timeout_ms : 10000;
    s_run_t r = { o, tenders, keys, n, out, NULL, NULL };
    r.count = calloc(n ? n : 1, sizeof *r.count);
    r.done = calloc(n ? n : 1, sizeof *r.done);
    uint8_t *buf = malloc(CODEC_MAX_BYTES);
    if (!r.count || !r.done || !buf) {
        free(r.count);
        free(r.done);
        free(buf);
        return -ENOMEM;
    }
    s_conn_t c;
    int rc = s_conn_open(o, &c);
    if (rc < 0) {
        free(r.count);
        free(r.done);
        free(buf);
        return rc;
    }
    void *s = c.sock;
    s_flight_t f = { 0, 0, 0, 0 };
    while (f.answered < n) {
        if ((rc = s_fill(&r, s, buf, per, window, &f)) < 0)
            goto out;
        if (f.answered >= n)
            break;
        int pr = s_conn_poll(&c, f.cmds ? timeout : 10, &out->key_refused);
        if (pr == -EACCES) {   /* nothing was taken: not a row's failure */
            rc = pr;
            goto out;
        }
        if (pr < 0) {
            rc = -EINTR;
            goto out;
        }
        if (pr == 0) {
            if (!f.cmds)
                continue;
            out->unavailable = true;
            rc = -EHOSTUNREACH;
            break;
        }
        s_take_replies(&r, s, &f);
    }
    if (out->unavailable)
        s_fail_unanswered(&r, f.next);
out:
    s_conn_close(&c);
    free(r.count);
    free(r.done);
    free(buf);
    return rc;
}

/* ---- ids: checked before a command is built ---------------------------------------- */

/* A reason of this client in lang: textfmt_tr under "tender.client.". */
/* The calendar checks every id of a request where it enters (mvoi_id_msg) and refuses the
 * whole command over one bad id, blaming each of its up to 1000 tenders. So the same rule
 * (mvoi_id.h) is applied here to each tender, which is refused alone. An empty id or buyer
 * is left to the service, as there ("required"; the request's buyer). 0 or -EINVAL. */
static int s_ids_ok(const cal_import_opts_t *o, const Mvoi__Tender *t, const char **field,
                    char *msg, size_t cap)
{
    text_lang_t lang = TEXT_NL;   /* the run's, as its other refusals */
    if (o->lang && text_lang_parse(o->lang, &lang) != 0)
        lang = TEXT_EN;
    char why[MVOI_ID_WHY_MAX];
    if (!s_empty(t->id) && mvoi_id_check_in(lang, MVOI_ID_TENDER, t->id, why, sizeof why)) {
        *field = "tender.id";
        textfmt_tr(msg, cap, lang, "tender.client.", "'%s' cannot be a tender id: %s", t->id,
                   why);
        return -EINVAL;
    }
    if (!s_empty(t->buyer) && mvoi_id_check_in(lang, MVOI_ID_BUYER, t->buyer, why, sizeof why)) {
        *field = "tender.buyer";
        textfmt_tr(msg, cap, lang, "tender.client.", "'%s' is not a buyer id (%s): the buyer's "
                   "id such as '%s' is meant, not a name", t->buyer, why,
                   s_empty(o->buyer) ? "heerlen" : o->buyer);
        return -EINVAL;
    }
    return 0;
}

/* The tenders with ids the calendar takes, into *ft and *fk (*fn of them); each other one is
 * refused under its own key. *ft stays NULL when all of them pass (send the input). */
static int s_precheck(const cal_import_opts_t *o, Mvoi__Tender *const *tenders,
                      const size_t *keys, size_t n, cal_import_result_t *out,
                      Mvoi__Tender ***ft, size_t **fk, size_t *fn)
{
    const char *field;
    char msg[400];
    size_t bad = 0;
    *ft = NULL, *fk = NULL, *fn = n;
    for (size_t i = 0; i < n; i++)
        bad += s_ids_ok(o, tenders[i], &field, msg, sizeof msg) != 0;
    if (!bad)
        return 0;
    *ft = calloc(n - bad + 1, sizeof **ft);
    *fk = calloc(n - bad + 1, sizeof **fk);
    if (!*ft || !*fk) {
        free(*ft), free(*fk);
        *ft = NULL, *fk = NULL;
        return -ENOMEM;
    }
    *fn = 0;
    for (size_t i = 0; i < n; i++) {
        if (s_ids_ok(o, tenders[i], &field, msg, sizeof msg) == 0) {
            (*ft)[*fn] = tenders[i];
            (*fk)[(*fn)++] = S_KEY(i);
        } else {
            s_fail(o, out, S_KEY(i), MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, field, msg, false);
        }
    }
    return 0;
}

int cal_import_send(const cal_import_opts_t *o, Mvoi__Tender *const *tenders,
                    const size_t *keys, size_t n, cal_import_result_t *out)
{
    memset(out, 0, sizeof *out);
    if (!o || !o->endpoint || !o->rid_prefix)
        return -EINVAL;
    Mvoi__Tender **ft;
    size_t *fk, fn;
    int rc = s_precheck(o, tenders, keys, n, out, &ft, &fk, &fn);
    if (rc < 0)
        return rc;
    if (ft)
        rc = fn ? s_send_run(o, ft, fk, fn, out) : 0;
    else
        rc = s_send_run(o, tenders, keys, n, out);
    free(ft);
    free(fk);
    return rc;
}

/* ---- the state of the tenders an import touches ------------------------------------ */

#define S_STATE_WINDOW 256   /* GetTender queries in flight */
#define S_STATE_ABSENT 0x61627365ull   /* digest of "no such tender" */
#define S_STATE_NOT_ASKED 0x736b6970ull /* an id the service would refuse: not asked */

typedef struct {
    const cal_import_opts_t *o;
    Mvoi__Tender *const *tenders;
    size_t n;
    uint64_t *digest;    /* per tender, in input order */
    bool *got;
    size_t next, answered, flying;
} s_state_t;

/* Ask for tender i (GetTender under "<run>-st-<i>"). 0, -EAGAIN (queue full) or -EIO. */
static int s_state_ask(s_state_t *st, void *s, size_t i)
{
    char rid[160];
    uint8_t buf[1024];
    snprintf(rid, sizeof rid, "%s-st-%zu", st->o->run_id ? st->o->run_id : "imp", i);
    Mvoi__GetTender g = MVOI__GET_TENDER__INIT;
    g.id = st->tenders[i]->id;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.has_schema_version = 1;
    env.schema_version = CODEC_SCHEMA_VERSION;
    env.producer = (char *)(st->o->producer ? st->o->producer : "mvoictl");
    env.request_id = rid;
    env.buyer = (char *)st->o->buyer;
    env.body_case = MVOI__ENVELOPE__BODY_GET_TENDER;
    env.get_tender = &g;
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    if (len < 0)
        return -EIO;   /* ids are at most 128 bytes: cannot happen */
    if (zmq_send(s, buf, (size_t)len, ZMQ_DONTWAIT) < 0)
        return zmq_errno() == EAGAIN ? -EAGAIN : -EIO;
    return 0;
}

/* The digest of one reply into st; 0, or -EPROTO for an answer that is neither the tender
 * nor "not found" (then the state is not known). Replies that are not ours are skipped. */
static int s_state_take(s_state_t *st, const Mvoi__Envelope *env)
{
    const char *rid = env->request_id, *run = st->o->run_id ? st->o->run_id : "imp";
    size_t rl = strlen(run);
    if (!rid || strncmp(rid, run, rl) != 0 || strncmp(rid + rl, "-st-", 4) != 0)
        return 0;
    size_t i = (size_t)strtoull(rid + rl + 4, NULL, 10);
    if (i >= st->n || st->got[i])
        return 0;
    st->got[i] = true;
    st->answered++, st->flying--;
    if (env->body_case == MVOI__ENVELOPE__BODY_ERROR &&
        env->error->code == MVOI__ERROR_CODE__ERR_NOT_FOUND) {
        st->digest[i] = S_STATE_ABSENT;
        return 0;
    }
    if (env->body_case != MVOI__ENVELOPE__BODY_TENDER_REPLY || !env->tender_reply->tender)
        return -EPROTO;
    /* the whole stored tender (version, updated_ms, every field): any change shows */
    const ProtobufCMessage *t = &env->tender_reply->tender->base;
    size_t len = protobuf_c_message_get_packed_size(t);
    uint8_t *b = malloc(len ? len : 1);
    if (!b)
        return -ENOMEM;
    protobuf_c_message_pack(t, b);
    s_hash_t h = { 0xcbf29ce484222325ull, 0x84222325cbf29ce4ull };
    s_hash(&h, b, len);
    free(b);
    st->digest[i] = h.h1 ^ (h.h2 << 1);
    return 0;
}

/* Take every reply that is there. 0 or the first error. */
static int s_state_replies(s_state_t *st, void *s)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return 0;
        }
        int err = 0;
        Mvoi__Envelope *env = zmq_msg_more(&m) ? NULL
                              : codec_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 0, &err);
        zmq_msg_close(&m);
        if (!env)
            continue;   /* a streamed item or garbage: not an answer of ours */
        int rc = s_state_take(st, env);
        codec_free(&env);
        if (rc < 0)
            return rc;
    }
}

/* Ask for tenders [next..) while the window has room; ids the service would refuse are
 * not asked (they are refused before sending anyway). 0 or -EIO. */
static int s_state_fill(s_state_t *st, void *s)
{
    char msg[400];
    const char *field;
    while (st->next < st->n && st->flying < S_STATE_WINDOW) {
        size_t i = st->next;
        if (s_empty(st->tenders[i]->id) ||
            s_ids_ok(st->o, st->tenders[i], &field, msg, sizeof msg) != 0) {
            st->digest[i] = S_STATE_NOT_ASKED;
            st->got[i] = true;
            st->answered++, st->next++;
            continue;
        }
        int rc = s_state_ask(st, s, i);
        if (rc == -EAGAIN)
            return 0;
        if (rc < 0)
            return rc;
        st->flying++, st->next++;
    }
    return 0;
}

static int s_state_run(s_state_t *st, s_conn_t *c)
{
    void *s = c->sock;
    int status = 0;
    int timeout = st->o->timeout_ms > 0 ? st->o->timeout_ms : 10000;
    while (st->answered < st->n) {
        int rc = s_state_fill(st, s);
        if (rc < 0)
            return rc;
        if (st->answered >= st->n)
            break;
        int pr = s_conn_poll(c, st->flying ? timeout : 10, &status);
        if (pr == -EACCES)
            return pr;
        if (pr < 0)
            return -EINTR;
        if (pr == 0 && st->flying)
            return -EHOSTUNREACH;
        if (pr > 0 && (rc = s_state_replies(st, s)) < 0)
            return rc;
    }
    return 0;
}

int cal_import_state_prefix(const cal_import_opts_t *o, Mvoi__Tender *const *tenders,
                            size_t n, const void *data, size_t len, char *out, size_t outlen)
{
    if (!o || !o->endpoint)
        return -EINVAL;
    s_state_t st = { .o = o, .tenders = tenders, .n = n };
    st.digest = calloc(n ? n : 1, sizeof *st.digest);
    st.got = calloc(n ? n : 1, sizeof *st.got);
    int rc = -ENOMEM;
    if (st.digest && st.got) {
        s_conn_t c;
        rc = s_conn_open(o, &c);
        if (rc == 0) {
            rc = s_state_run(&st, &c);
            s_conn_close(&c);
        }
    }
    if (rc == 0)
        s_prefix(o->buyer, data, len, st.digest, n, out, outlen);
    if (rc == 0 && o->lang && *o->lang && strcmp(o->lang, "nl") != 0) {
        /* a stored reply is in the language of its run: another language, other ids (the
         * default's stay those of the runs before there was a choice) */
        size_t l = strlen(out);
        snprintf(out + l, outlen > l ? outlen - l : 0, "-%.8s", o->lang);
    }
    free(st.digest);
    free(st.got);
    return rc;
}
