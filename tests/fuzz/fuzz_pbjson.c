/*  fuzz_pbjson: JSON text -> any request or event (the Envelope with every body, as the
 *  gateway decodes bodies), strictly; what decoded must encode and decode to JSON again. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include "envelope.pb-c.h"
#include "pbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return 0;
    ProtobufCMessage *m = NULL;
    pbjson_error_t e;
    pbjson_decode_opts_t small = { .max_depth = 8, .max_string = 256, .max_array = 64 };
    if (pbjson_decode_opts(j, &mvoi__envelope__descriptor, &m, &e, &small) == 0) {
        char *text = pbjson_dumps(m, 0);
        if (!text)
            abort();
        json_t *j2 = json_loads(text, 0, &je);
        ProtobufCMessage *m2 = NULL;
        if (!j2 || pbjson_decode(j2, &mvoi__envelope__descriptor, &m2, &e) != 0)
            abort();          /* our own JSON must decode: field "%s" e.field */
        protobuf_c_message_free_unpacked(m2, NULL);
        json_decref(j2);
        free(text);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    json_decref(j);
    return 0;
}
