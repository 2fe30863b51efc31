/*  mvoictl: requests to services, error printing, endpoints. See ctl.h. */
#include "ctl.h"

#include <stdarg.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <zmq.h>

#include "codec.h"
#include "mvoi_curve.h"
#include "pbjson.h"

/* The documented default ports (README "Ports"). */
static const struct {
    const char *service;
    const char *api;
    const char *pub;
} s_defaults[] = {
    { "calendar", "tcp://127.0.0.1:7101", "tcp://127.0.0.1:7102" },
    { "impact", "tcp://127.0.0.1:7201", "tcp://127.0.0.1:7202" },
    { "kpi", "tcp://127.0.0.1:7301", "tcp://127.0.0.1:7302" },
    { "notifier", "tcp://127.0.0.1:7401", "tcp://127.0.0.1:7402" },
    { "report", "tcp://127.0.0.1:7501", "tcp://127.0.0.1:7502" },
};

static const char *s_lookup(const char *service, const char *suffix, bool pub)
{
    char name[96];
    snprintf(name, sizeof name, "MVOI_%s_%s", service, suffix);
    for (char *p = name; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    const char *v = getenv(name);
    if (v && *v)
        return v;
    for (size_t i = 0; i < sizeof s_defaults / sizeof s_defaults[0]; i++)
        if (strcmp(s_defaults[i].service, service) == 0)
            return pub ? s_defaults[i].pub : s_defaults[i].api;
    return NULL;
}

const char *ctl_endpoint(const char *service) { return s_lookup(service, "API", false); }

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
const char *ctl_pub_endpoint(const char *service) { return s_lookup(service, "PUB", true); }

void ctl_request_id(char *buf, size_t len, const char *prefix)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r)
        r = (uint64_t)clock() ^ (uint64_t)time(NULL);
    snprintf(buf, len, "%s-%lx-%016llx", prefix, (unsigned long)time(NULL),
             (unsigned long long)r);
}

/* The rest of a multipart message, discarded. */
static void s_drain(void *s)
{
    int more = 1;
    size_t ml = sizeof more;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, s, 0);
        zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
        zmq_msg_close(&m);
    }
}

/* The envelope fields every request of mvoictl carries (rid: room for a request id). */
static void s_stamp(const ctl_t *ctl, Mvoi__Envelope *req, char *rid, size_t cap)
{
    if (!req->request_id) {
        ctl_request_id(rid, cap, "ctl");
        req->request_id = rid;
    }
    if (!req->buyer)
        req->buyer = (char *)ctl->buyer;
    if (!req->lang)   /* the services' refusals in the reader's language (--lang) */
        req->lang = (char *)text_lang_name(ctl->tl);
    req->producer = "mvoictl";
    req->has_schema_version = true;
    req->schema_version = CODEC_SCHEMA_VERSION;
}

int ctl_dealer_open(const ctl_t *ctl, const char *service, ctl_dealer_t *d)
{
    *d = (ctl_dealer_t){ .ep = ctl_endpoint(service) };
    if (!d->ep) {
        ctl_fail(ctl, 0, "ctl.err.no_endpoint", service);
        return CTL_EX_SOFTWARE;
    }
    d->zctx = zmq_ctx_new();
    d->sock = d->zctx ? zmq_socket(d->zctx, ZMQ_DEALER) : NULL;
    if (!d->sock) {
        ctl_fail(ctl, 0, "ctl.err.zmq_setup", zmq_strerror(zmq_errno()));
        ctl_dealer_close(d);
        return CTL_EX_OSERR;
    }
    int zero = 0;
    zmq_setsockopt(d->sock, ZMQ_LINGER, &zero, sizeof zero);
    d->mon = ctl_curve_monitor(d->zctx, d->sock);
    if (mvoi_curve_client(d->sock, d->ep) != 0 || zmq_connect(d->sock, d->ep) != 0) {
        ctl_fail(ctl, 0, "ctl.err.bad_endpoint", service);
        ctl_dealer_close(d);
        return CTL_EX_USAGE;   /* a malformed endpoint in MVOI_<SERVICE>_API */
    }
    return CTL_EX_OK;
}

int ctl_dealer_refused(const ctl_t *ctl, const char *service, ctl_dealer_t *d,
                       const zmq_pollitem_t *mon_item)
{
    int status = 0;
    int ev = d->mon && (mon_item->revents & ZMQ_POLLIN) ? ctl_curve_refused(d->mon, &status) : 0;
    if (ev == 0)
        return 0;
    if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        d->lost = 0;
        return 0;
    }
    if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL && ++d->lost < CTL_HANDSHAKES_LOST)
        return 0;   /* a lost connection (status: its errno) until it repeats */
    ctl_fail(ctl, 0, "ctl.err.key_refused", service, d->ep, status);
    return EX_NOPERM;
}

void ctl_dealer_close(ctl_dealer_t *d)
{
    if (d->mon)
        zmq_close(d->mon);
    if (d->sock)
        zmq_close(d->sock);
    if (d->zctx)
        zmq_ctx_term(d->zctx);
    d->mon = d->sock = d->zctx = NULL;
}

int ctl_call(ctl_t *ctl, const char *service, Mvoi__Envelope *req, Mvoi__Envelope **reply)
{
    *reply = NULL;
    const char *ep = ctl_endpoint(service);
    if (!ep) {
        ctl_fail(ctl, 0, "ctl.err.no_endpoint", service);
        return CTL_EX_SOFTWARE;
    }
    char rid[64];
    s_stamp(ctl, req, rid, sizeof rid);
    uint8_t *buf = NULL;
    size_t len = 0;
    if (codec_pack(req, &buf, &len) != 0) {
        ctl_fail(ctl, 0, "ctl.err.too_large");
        return CTL_EX_DATAERR;
    }
    ctl_dealer_t d;
    int ex = ctl_dealer_open(ctl, service, &d);
    if (ex != CTL_EX_OK) {
        free(buf);
        if (req->request_id == rid)
            req->request_id = NULL;
        return ex;
    }
    ex = CTL_EX_UNAVAILABLE;
    void *s = d.sock, *mon = d.mon;
    if (zmq_send(s, buf, len, 0) < 0) {
        ctl_fail(ctl, 0, "ctl.err.send", service, ep, zmq_strerror(zmq_errno()));
        goto out;
    }
    /* One deadline for the whole wait: unrelated messages (late replies, stream items)
     * do not restart it. */
    int64_t deadline = s_now_ms() + ctl->timeout_ms;
    zmq_pollitem_t it[2] = { { s, 0, ZMQ_POLLIN, 0 }, { mon, 0, ZMQ_POLLIN, 0 } };
    for (;;) {
        int64_t left = deadline - s_now_ms();
        int n = left > 0 ? zmq_poll(it, mon ? 2 : 1, (long)left) : 0;
        if (n > 0 && (ex = ctl_dealer_refused(ctl, service, &d, &it[1])) != 0)
            goto out;
        ex = CTL_EX_UNAVAILABLE;
        if (n > 0 && !(it[0].revents & ZMQ_POLLIN))
            continue;
        if (n < 0 && zmq_errno() == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                ctl_fail(ctl, 0, "ctl.err.wait", service, zmq_strerror(zmq_errno()));
            else
                ctl_fail(ctl, 0, "ctl.err.no_answer", service, ep, ctl->timeout_ms);
            goto out;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, 0) < 0) {
            zmq_msg_close(&m);
            goto out;
        }
        int more = 0;
        size_t ml = sizeof more;
        zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
        if (more) {   /* a streamed [topic][envelope] item: not for plain calls */
            zmq_msg_close(&m);
            s_drain(s);
            continue;
        }
        int err = 0;
        *reply = codec_unpack(zmq_msg_data(&m), zmq_msg_size(&m), CODEC_DEFAULT_BUDGET, &err);
        zmq_msg_close(&m);
        if (!*reply) {
            ctl_fail(ctl, 0, "ctl.err.undecodable", service);
            ex = CTL_EX_SOFTWARE;
            goto out;
        }
        if ((*reply)->request_id && strcmp((*reply)->request_id, req->request_id) != 0) {
            codec_free(reply);
            continue;   /* a late reply to something else */
        }
        ex = CTL_EX_OK;
        break;
    }
out:
    ctl_dealer_close(&d);
    free(buf);
    if (req->request_id == rid)
        req->request_id = NULL;
    return ex;
}

void ctl_free(Mvoi__Envelope **reply) { codec_free(reply); }

/* The flag named like leaf's first n bytes, "--name" into buf; false when none is. */
static bool s_flag_named(const struct option *opts, const char *leaf, size_t n, char *buf,
                         size_t cap)
{
    for (const struct option *o = opts; o && o->name; o++)
        if (strlen(o->name) == n && strncmp(o->name, leaf, n) == 0) {
            snprintf(buf, cap, "--%.*s", (int)n, leaf);
            return true;
        }
    return false;
}

void ctl_field_name(const char *field, const struct option *opts, char *buf, size_t cap)
{
    const char *leaf = strrchr(field, '.');
    leaf = leaf ? leaf + 1 : field;
    size_t n = strcspn(leaf, "[");   /* "measurements[0]" as a leaf: "measurements" */
    if (s_flag_named(opts, leaf, n, buf, cap))
        return;
    /* "tender_id" is the flag --tender */
    bool id = n > 3 && strncmp(leaf + n - 3, "_id", 3) == 0;
    if (id && s_flag_named(opts, leaf, n - 3, buf, cap))
        return;
    snprintf(buf, cap, "%.*s", (int)n, leaf);
}

/* The flag of field in map (ctl_t.field_flags): the field's first name after the body and
 * "tender." ("register_tender.tender.project_leader.email" -> "project_leader"). */
static bool s_field_flag(const char *const *map, const char *field, char *buf, size_t cap)
{
    const char *p = strchr(field, '.');
    p = p ? p + 1 : field;
    if (strncmp(p, "tender.", 7) == 0)
        p += 7;
    size_t n = strcspn(p, ".[");
    for (; map && map[0] && map[1]; map += 2)
        if (strlen(map[0]) == n && strncmp(map[0], p, n) == 0) {
            snprintf(buf, cap, "%s", map[1]);
            return true;
        }
    return false;
}

const char *ctl_field_message(const char *field, const char *message)
{
    size_t n = field ? strlen(field) : 0;
    if (n && strncmp(message, field, n) == 0 && strncmp(message + n, ": ", 2) == 0)
        return message + n + 2;
    return message;
}

/* The service refused the caller's key itself, not what the key asked: server_auth.c and
 * the report's rp_ids_auth answer PERMISSION_DENIED on the field "key" for a connection
 * whose key is no longer in the registry (revoked after the handshake) or carries none. A
 * key refused in the handshake is 77 (ctl_dealer_refused); the same key refused a request
 * later is the same "key refused", not 1. The field "buyer" (a key that may not act for the
 * buyer, or a role that may not write) is the key's rights: 1, "permission denied". */
bool ctl_key_refused(const Mvoi__Error *e)
{
    return e && e->code == MVOI__ERROR_CODE__ERR_PERMISSION_DENIED && e->field &&
           strcmp(e->field, "key") == 0;
}

int ctl_check_error(ctl_t *ctl, const Mvoi__Envelope *reply)
{
    if (reply->body_case != MVOI__ENVELOPE__BODY_ERROR)
        return 0;
    const Mvoi__Error *e = reply->error;
    if (ctl->json) {
        ctl_print_json(stdout, &e->base);
    }
    /* The service's own message names the field and value (in --lang where the service
     * knows Envelope.lang, as the calendar does); what kind of refusal it is comes from the
     * catalogue. */
    char key[48], field[64] = "";
    snprintf(key, sizeof key, "ctl.code.%d", (int)e->code);
    if (e->field && *e->field &&   /* the service's path is internal: "get_tender.id" */
        !s_field_flag(ctl->field_flags, e->field, field, sizeof field))
        ctl_field_name(e->field, ctl->opts, field, sizeof field);
    fprintf(stderr, "%s (%s): %s%s%s\n", ctl_text(ctl, "ctl.error"),
            text_has(key) ? ctl_text(ctl, key) : ctl_text(ctl, "ctl.code.other"),
            field, *field ? ": " : "",
            e->message ? ctl_field_message(e->field, e->message) : "-");
    if (ctl_key_refused(e))
        return EX_NOPERM;
    switch (e->code) {
    case MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT:
    case MVOI__ERROR_CODE__ERR_NOT_FOUND:
    case MVOI__ERROR_CODE__ERR_ALREADY_EXISTS:
    case MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION:
    case MVOI__ERROR_CODE__ERR_CONFLICT:
    case MVOI__ERROR_CODE__ERR_OUT_OF_RANGE:
    case MVOI__ERROR_CODE__ERR_DECODE:
    case MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED:
        return CTL_EX_DATAERR;
    case MVOI__ERROR_CODE__ERR_UNAVAILABLE:
        return CTL_EX_UNAVAILABLE;
    default:
        return CTL_EX_FAIL;
    }
}

void ctl_print_json(FILE *out, const ProtobufCMessage *msg)
{
    char *s = pbjson_dumps(msg, PBJSON_PRETTY);
    if (s) {
        fputs(s, out);
        fputc('\n', out);
        free(s);
    }
}

const char *ctl_text(const ctl_t *ctl, const char *key) { return text_get(ctl->tl, key); }

int ctl_fail(const ctl_t *ctl, int code, const char *key, ...)
{
    va_list ap;
    va_start(ap, key);
    fputs("mvoictl: ", stderr);
    vfprintf(stderr, text_get(ctl->tl, key), ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}
