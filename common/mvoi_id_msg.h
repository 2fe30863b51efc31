/*  mvoi_id_msg: every id of a request checked once, where it enters a service.
 *
 *  Two passes, both driven by the protobuf descriptors so that a new message or field is
 *  covered without code here:
 *
 *  - on the bytes, before decoding: every string field (at any depth) must be valid UTF-8
 *    without NUL. protobuf-c keeps a string's NUL terminator only, so after decoding
 *    "A\0-other" would silently be "A"; only the wire length shows the difference.
 *  - on the decoded envelope: request_id and buyer of the envelope, and in the body every
 *    field named buyer, tender_id, measurement_id, request_id or id (the kind of an "id"
 *    follows its message: ...Measurement -> measurement id, ...Reminder -> reminder id,
 *    otherwise tender id) must follow mvoi_id.h.
 *
 *  The field path names the offender as a client wrote it, e.g.
 *  "submit_measurements.measurements[2].tender_id".
 */
#ifndef MVOI_ID_MSG_H
#define MVOI_ID_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "envelope.pb-c.h"
#include "mvoi_id.h"

#define MVOI_ID_FIELD_MAX 160

/* 0, or -EILSEQ with field (a path) and why filled (in English; wy, when not NULL, gets
 * the reason itself, to be said in the reader's language: mvoi_id_why_t). Malformed bytes
 * pass: decoding refuses them afterwards with its own error. */
int mvoi_id_msg_check_wire(const ProtobufCMessageDescriptor *d, const uint8_t *data,
                           size_t len, char *field, size_t fcap, char *why, size_t wcap,
                           mvoi_id_why_t *wy);
/* 0, or -EINVAL with field and why (and wy) filled. */
int mvoi_id_msg_check(const ProtobufCMessage *msg, char *field, size_t fcap, char *why,
                      size_t wcap, mvoi_id_why_t *wy);

#endif
