/*  server_reply: a reply on its way out (server__reply, server_send_env), and a reply whose
 *  body arm the handler packed itself (server_reply_encoded).
 *
 *  Every reply to a request carries Envelope.incarnation, appended to its bytes as it is
 *  sent (s_stamp): also a stored reply sent again to a retry, packed before this start.
 *
 *  A handler that has the parts of its reply already encoded (the impact-calculator's
 *  results carry the impacts it packed for its records and events) hands the arm over as
 *  bytes; the envelope around it is the one server_reply's would be: header fields 1-9 by
 *  codec_envelope_pack, then the arm as a length-delimited field. Stored for idempotence and
 *  sent like any reply (server.c). */
#include "server_int.h"

#include <errno.h>
#include <stdlib.h>

#include "codec.h"
#include "log.h"
#include "mvoi_error.h"

int server_reply_encoded(server_req_t *req, Mvoi__Envelope__BodyCase body,
                         const uint8_t *bytes, size_t len)
{
    /* oneof case values are the arms' field numbers */
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&mvoi__envelope__descriptor, (unsigned)body);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE || (!bytes && len))
        return -EINVAL;
    req->reply.body_case = MVOI__ENVELOPE__BODY__NOT_SET;
    req->reply_arm = f->id;
    req->reply_body = bytes;
    req->reply_body_len = len;
    return 0;
}

size_t server__reply_size(server_req_t *req, codec_env_size_t *sz)
{
    size_t n = codec_envelope_size(&req->reply, sz);
    return req->reply_arm ? n + codec_field_size(req->reply_arm, req->reply_body_len) : n;
}

size_t server__reply_pack(server_req_t *req, const codec_env_size_t *sz, uint8_t *out)
{
    size_t n = codec_envelope_pack(&req->reply, sz, out);
    if (!req->reply_arm)
        return n;
    uint8_t *end = codec_field_put(out + n, req->reply_arm, req->reply_body,
                                   req->reply_body_len);
    return (size_t)(end - out);
}

/* ---------------------------------------------------------------- sending */

/* Envelope.incarnation of a reply, written after its packed bytes (room: SERVER_STAMP_MAX):
 * a field appended to a message is a field of it, so a stored reply, packed before, gets
 * the incarnation of the start that sends it. Returns the bytes written. */
static size_t s_stamp(const server_t *self, uint8_t *end)
{
    return (size_t)(codec_num_put(end, 11, true, self->incarnation) - end);
}

static int s_send_env(server_t *self, const uint8_t *id, size_t idlen, const char *topic,
                      const Mvoi__Envelope *env, bool stamp)
{
    uint8_t stackbuf[4096];
    uint8_t *buf = stackbuf;
    codec_env_size_t sz;
    size_t len = codec_envelope_size(env, &sz);
    if (len + SERVER_STAMP_MAX > sizeof stackbuf) {
        buf = malloc(len + SERVER_STAMP_MAX);
        if (!buf)
            return -ENOMEM;
    }
    codec_envelope_pack(env, &sz, buf);
    if (stamp)
        len += s_stamp(self, buf + len);
    bus_frame_t f[3];
    int n = 0;
    f[n++] = (bus_frame_t){ id, idlen };
    if (topic)
        f[n++] = (bus_frame_t){ topic, strlen(topic) };
    f[n++] = (bus_frame_t){ buf, len };
    int rc = bus_send(self->router, f, n);
    if (buf != stackbuf)
        free(buf);
    return rc;
}

int server_send_env(server_t *self, const uint8_t *id, size_t idlen, const char *topic,
                    const Mvoi__Envelope *env)
{
    return s_send_env(self, id, idlen, topic, env, false);
}

/* A reply's bytes at data, with room for SERVER_STAMP_MAX more: stamped and sent. */
static int s_send_stamped(server_t *self, const uint8_t *id, size_t idlen, uint8_t *data,
                          size_t len)
{
    len += s_stamp(self, data + len);
    bus_frame_t f[2] = { { id, idlen }, { data, len } };
    return bus_send(self->router, f, 2);
}

/* A reply whose body arm was given encoded: packed into request memory and sent. */
static int s_send_encoded(server_t *self, server_req_t *req)
{
    codec_env_size_t sz;
    size_t len = server__reply_size(req, &sz);
    if (len > CODEC_MAX_BYTES)
        return -EMSGSIZE;
    uint8_t *b = arena_alloc(req->out, len + SERVER_STAMP_MAX);
    if (!b)
        return -ENOMEM;
    return s_send_stamped(self, req->id, req->idlen, b, server__reply_pack(req, &sz, b));
}

void server__reply(server_t *self, server_req_t *req)
{
    int rc;
    if (req->duplicate || req->packed)
        rc = s_send_stamped(self, req->id, req->idlen, req->stored, req->stored_len);
    else {
        if (req->req && !req->reply.request_id)
            req->reply.request_id = req->req->request_id;
        if (req->req && !req->reply.correlation_id)
            req->reply.correlation_id = req->req->correlation_id;
        if (req->req && !req->reply.buyer)
            req->reply.buyer = req->req->buyer;
        req->reply.producer = (char *)self->opts.name;
        req->reply.has_schema_version = true;
        req->reply.schema_version = CODEC_SCHEMA_VERSION;
        rc = req->reply_arm ? s_send_encoded(self, req)
                            : s_send_env(self, req->id, req->idlen, NULL, &req->reply, true);
    }
    if (rc < 0 && rc != -EHOSTUNREACH)
        log_warn("reply_failed", "could not reply to a %s request: %s",
                 req->req ? codec_body_name(req->req->body_case) : "bad",
                 mvoi_strerror(rc));
}

/* A traced command's times go to the trace once its reply is out. */
static void s_trace_done(server_t *self, server_req_t *req)
{
    if (!self->trace || !req->tr[ST_WAKE] || !req->req)
        return;
    req->tr[ST_REPLY] = server_trace_now(self->trace);
    server_trace_add(self->trace, req->req->request_id, req->tr);
}

void server_reply_free(server_t *self, server_req_t *req)
{
    server__reply(self, req);
    s_trace_done(self, req);
    server_req_free(&req);
}
