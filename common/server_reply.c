/*  server_reply: a reply whose body arm the handler packed itself (server_reply_encoded).
 *
 *  A handler that has the parts of its reply already encoded (the impact-calculator's
 *  results carry the impacts it packed for its records and events) hands the arm over as
 *  bytes; the envelope around it is the one server_reply's would be: header fields 1-9 by
 *  codec_envelope_pack, then the arm as a length-delimited field. Stored for idempotence and
 *  sent like any reply (server.c). */
#include "server_int.h"

#include <errno.h>

#include "codec.h"

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
