/*  rp_ids: the report's ROUTER (its own, not server.c) checks requests by the same id rule
 *  and buyer registry as every other service: every string valid UTF-8 without NUL on the
 *  wire, every id by mvoi_id, the buyer served here. */
#ifndef MVOI_RP_IDS_H
#define MVOI_RP_IDS_H

#include <stddef.h>
#include <zmq.h>

#include "buyers.h"
#include "envelope.pb-c.h"
#include "mvoi_id_msg.h"

/* 0, or an error code (Mvoi__ErrorCode) with field (MVOI_ID_FIELD_MAX) and msg filled. */
int rp_ids_check_wire(const void *data, size_t len, char *field, char *msg, size_t cap);
int rp_ids_check(const mvoi_buyers_t *buyers, const Mvoi__Envelope *req, char *field,
                 char *msg, size_t cap);

/* The key that sent req (the ZAP User-Id of its frame) may do it: role and buyers
 * (mvoi_auth.h, as server.c applies them to the other services). 0, or
 * ERR_PERMISSION_DENIED with field and msg filled; logged. */
int rp_ids_auth(const Mvoi__Envelope *req, zmq_msg_t *frame, char *field, char *msg,
                size_t cap);

#endif
