/*  fuzz_codec: bytes off the bus -> Envelope (codec_unpack, malloc'ed and arena), and what
 *  decoded must encode and decode again; the hand-packed envelope (codec_env.c) must be
 *  protobuf-c's bytes exactly. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "arena.h"
#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int err = 0;
    Mvoi__Envelope *env = codec_unpack(data, size, 0, &err);
    if (env) {
        size_t ref = mvoi__envelope__get_packed_size(env);
        codec_env_size_t sz;
        if (codec_envelope_size(env, &sz) != ref)
            abort();
        uint8_t *r = malloc(ref ? ref : 1), *h = malloc(ref ? ref : 1);
        if (r && h && (mvoi__envelope__pack(env, r) != ref ||
                       codec_envelope_pack(env, &sz, h) != ref || memcmp(r, h, ref) != 0))
            abort();              /* the same bytes as protobuf-c's */
        free(r);
        free(h);
        uint8_t *buf = NULL;
        size_t len = 0;
        if (codec_pack(env, &buf, &len) == 0) {
            int err2 = 0;
            Mvoi__Envelope *again = codec_unpack(buf, len, 0, &err2);
            if (!again && err2 != -ENOMSG && err2 != -EMSGSIZE)
                abort();          /* our own encoding must decode */
            codec_free(&again);
            free(buf);
        }
        codec_free(&env);
    }
    arena_t *a = arena_new(4096, 0);
    if (a) {
        Mvoi__Envelope *e2 = codec_unpack_in(a, data, size, 64 * 1024, &err);
        (void)e2;
        arena_destroy(&a);
    }
    return 0;
}
