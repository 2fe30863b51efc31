/*  server_stored: a stored reply's record in the "requests" db, and the request's
 *  fingerprint kept with it (server_int.h).
 *
 *  A command's reply is stored with its effect, under buyer \0 request id, so that a retry
 *  with the same id gets the same answer and changes nothing. That is only right when the
 *  retry is the same request. A client that reused an id for a different request (the
 *  gateway's Idempotency-Key sent again with another body) used to get the first request's
 *  stored reply, a success, while its own request was never run: data lost and reported
 *  stored. So the record keeps a fingerprint of the request's body arm, and a repeat whose
 *  fingerprint differs is refused (ERR_CONFLICT) instead of answered.
 *
 *  Record: [be64 stored-at ms | S_FP_BIT][be64 fingerprint][reply]. Records written before
 *  the fingerprint are [be64 ms][reply] (the bit clear: ms stays far below 2^63); they are
 *  still read, without the check. The fingerprint is CRC-64 (ISA-L) of the arm's number
 *  and its bytes as the client encoded them: a retry re-sends the same bytes, and the
 *  envelope's other fields (correlation id, send time) may differ between tries. It is
 *  taken when a command is decoded (server.c), where its bytes are at hand. 0: unknown
 *  (not the plain shape, or a record without one), never compared.
 */
#include <isa-l/crc64.h>
#include <string.h>

#include "codec.h"
#include "server_int.h"
#include "store.h"
#include "vecstate.h"

#define S_FP_BIT (1ull << 63)

uint64_t server__request_fp(const uint8_t *env, size_t len, uint32_t arm)
{
    codec_slice_t body;
    if (codec_arm_bytes(env, len, arm, &body) != 0)
        return 0;
    uint8_t nb[4] = { (uint8_t)(arm >> 24), (uint8_t)(arm >> 16), (uint8_t)(arm >> 8),
                      (uint8_t)arm };
    uint64_t fp = crc64_ecma_refl(0, nb, sizeof nb);
    fp = crc64_ecma_refl(fp, body.data, body.len);
    vecstate_clear();   /* ISA-L may leave the upper vector halves in use (vecstate.h) */
    return fp ? fp : 1;
}

size_t server__stored_head(uint8_t *b, int64_t ms, uint64_t fp)
{
    store_be64(b, (uint64_t)ms | S_FP_BIT);
    store_be64(b + 8, fp);
    return SERVER_STORED_HEAD;
}

int server__stored_parse(const void *data, size_t len, server_stored_t *out)
{
    if (len < 8)
        return -1;
    uint64_t h = store_get_be64((const uint8_t *)data);
    out->ms = (int64_t)(h & ~S_FP_BIT);
    out->fp = 0;
    size_t head = 8;
    if (h & S_FP_BIT) {
        if (len < SERVER_STORED_HEAD)
            return -1;
        out->fp = store_get_be64((const uint8_t *)data + 8);
        head = SERVER_STORED_HEAD;
    }
    out->reply = (const uint8_t *)data + head;
    out->reply_len = len - head;
    return 0;
}
